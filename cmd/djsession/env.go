package main

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// The environment variables Django projects read their secrets and
// servers from (django-environ, dj-database-url, 12-factor hosts), so a
// secret need not be on the command line, where every local user sees it.
const (
	envSecretKey   = "DJANGO_SECRET_KEY"
	envFallbacks   = "DJANGO_SECRET_KEY_FALLBACKS"
	envDatabaseURL = "DATABASE_URL"
	envCacheURL    = "CACHE_URL"
	envRedisURL    = "REDIS_URL"
)

// setting returns the flag's value, else the first environment variable
// that is set and not empty, with where it came from ("--flag" or
// "$VAR") for error messages; ok is false when neither gives a value.
func (c *cli) setting(flag string, env ...string) (value, source string, ok bool) {
	if v, ok := c.flags.get(flag); ok {
		return v, "--" + flag, true
	}
	for _, e := range env {
		if v := c.getenv(e); v != "" {
			return v, "$" + e, true
		}
	}
	return "", "", false
}

// redact hides the passwords of the URLs msg may quote: first the URLs
// the command was given, exactly (as typed and as %q quotes them), then
// anything else in msg that looks like scheme://user:password@.
func (c *cli) redact(msg string) string {
	for _, raw := range c.urls() {
		if r := redactURL(raw); r != raw {
			msg = strings.ReplaceAll(msg, raw, r)
			q := strconv.Quote(raw)
			msg = strings.ReplaceAll(msg, q[1:len(q)-1], redactURL(q[1:len(q)-1]))
		}
	}
	var b strings.Builder
	for _, field := range strings.SplitAfter(msg, " ") {
		b.WriteString(redactURL(field))
	}
	return b.String()
}

// urls are the URLs the command may have been given, by flag or
// environment, each split at the commas that separate several servers.
func (c *cli) urls() []string {
	var out []string
	for _, name := range []string{"database", "cache"} {
		out = append(out, c.flags.all(name)...)
	}
	for _, e := range []string{envDatabaseURL, envCacheURL, envRedisURL} {
		if v := c.getenv(e); v != "" {
			out = append(out, v)
		}
	}
	for _, u := range out {
		if strings.Contains(u, ",") {
			out = append(out, strings.Split(u, ",")...)
		}
	}
	return out
}

// redactURL replaces the password of every scheme://user:password@host in
// s with ***. It works on text that does not parse as a URL (the
// malformed URLs whose errors quote them): the userinfo ends at the last
// "@" before the first "/", "?" or "#" that follows an "@", so a password
// holding "@" or "/" is hidden whole. Where that is ambiguous it hides too
// much rather than too little.
func redactURL(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		s = s[i+3:]
		first := strings.IndexByte(s, '@')
		if first < 0 {
			continue
		}
		end := len(s)
		if j := strings.IndexAny(s[first:], "/?#"); j >= 0 {
			end = first + j
		}
		at := strings.LastIndexByte(s[:end], '@')
		userinfo := s[:at]
		if next := strings.Index(userinfo, "://"); next >= 0 {
			continue // the "@" belongs to a later URL
		}
		user, _, hasPassword := strings.Cut(userinfo, ":")
		if !hasPassword || strings.ContainsAny(user, "/?#") {
			continue // no password, or the "@" is in the path or query
		}
		b.WriteString(user + ":***")
		s = s[at:]
	}
}

// urlErr is the reason url.Parse gives, without the URL it quotes whole.
func urlErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
