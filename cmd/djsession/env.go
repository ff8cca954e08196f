package main

import (
	"strconv"
	"strings"

	"github.com/djsession/djsession/internal/redact"
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
		if r := redact.URL(raw); r != raw {
			msg = strings.ReplaceAll(msg, raw, r)
			q := strconv.Quote(raw)
			msg = strings.ReplaceAll(msg, q[1:len(q)-1], redact.URL(q[1:len(q)-1]))
		}
	}
	var b strings.Builder
	for _, field := range strings.SplitAfter(msg, " ") {
		b.WriteString(redact.URL(field))
	}
	return b.String()
}

// urls are the URLs the command may have been given, by flag or
// environment, each split at the commas that separate several servers.
func (c *cli) urls() []string {
	var out []string
	for _, name := range []string{"database", "cache", "to-database", "to-cache"} {
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
