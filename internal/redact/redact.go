// Package redact hides the passwords of URLs in text meant for people:
// error messages and logs of the CLI and of backends' URL parsing.
package redact

import "strings"

// URL replaces the password of every scheme://user:password@host in
// s with ***. It works on text that does not parse as a URL (the
// malformed URLs whose errors quote them): the userinfo ends at the last
// "@" before the first "/", "?" or "#" that follows an "@", so a password
// holding "@" or "/" is hidden whole. Where that is ambiguous it hides too
// much rather than too little.
func URL(s string) string {
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
