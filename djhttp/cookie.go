// Package djhttp holds Django's cookie and header helpers, byte for byte:
// django.http.parse_cookie and request.COOKIES, HttpResponse.set_cookie
// and delete_cookie (rendered as Python's http.cookies.Morsel writes them),
// django.utils.http.http_date and django.utils.cache.patch_vary_headers.
// Go's net/http reads and writes cookies by other rules (it keeps the first
// of a repeated name, drops values it finds invalid, and orders attributes
// differently), so a Go service next to a Django app would otherwise see
// and send cookies Django does not.
//
// It imports nothing of this module: the session middleware, CSRF and
// messages all stand on it.
package djhttp

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParseCookie is Django's django.http.cookie.parse_cookie: split on ";",
// each chunk at its first "=", names and values stripped, quoted values
// unquoted as Python's http.cookies does, and a repeated name keeps its
// last value. Go's Request.Cookie keeps the first and drops values it
// finds invalid, so Django and Go could otherwise see different sessions.
func ParseCookie(header string) map[string]string {
	out := map[string]string{}
	for chunk := range strings.SplitSeq(header, ";") {
		key, val, found := strings.Cut(chunk, "=")
		if !found {
			key, val = "", chunk
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if key != "" || val != "" {
			out[key] = unquoteCookie(val)
		}
	}
	return out
}

// unquoteCookie is http.cookies._unquote: a value in double quotes loses
// them, and \ooo octal and \c escapes inside are decoded.
func unquoteCookie(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3' {
			n, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// cookieLegal are the characters Python's Morsel writes unquoted.
func cookieLegal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~:", c) >= 0
}

// quoteCookie is http.cookies._quote.
func quoteCookie(v string) string {
	legal := v != ""
	for i := 0; i < len(v) && legal; i++ {
		legal = cookieLegal(v[i])
	}
	if legal {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 256 && !(r < 128 && (cookieLegal(byte(r)) || strings.ContainsRune(" ()/<=>?@[]{}", r))):
			b.WriteString("\\" + strconv.FormatInt(int64(r)+01000, 8)[1:])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// HTTPDate is django.utils.http.http_date: RFC 1123 in GMT, seconds
// truncated (the layout of an expires= attribute).
func HTTPDate(t time.Time) string { return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT") }

// setCookie renders a Set-Cookie value as Django's Morsel.OutputString does:
// attributes in the order domain, expires, httponly, max-age, path,
// samesite, secure, with Django's spelling ("expires" in lower case).
type setCookie struct {
	name, value  string
	domain, path string
	expires      string
	maxAge       *int64
	httpOnly     bool
	secure       bool
	sameSite     string
}

func (c setCookie) String() string {
	var b strings.Builder
	b.WriteString(c.name)
	b.WriteByte('=')
	b.WriteString(quoteCookie(c.value))
	if c.domain != "" {
		b.WriteString("; Domain=" + c.domain)
	}
	if c.expires != "" {
		b.WriteString("; expires=" + c.expires)
	}
	if c.httpOnly {
		b.WriteString("; HttpOnly")
	}
	if c.maxAge != nil {
		b.WriteString("; Max-Age=" + strconv.FormatInt(*c.maxAge, 10))
	}
	if c.path != "" {
		b.WriteString("; Path=" + c.path)
	}
	if c.sameSite != "" {
		b.WriteString("; SameSite=" + c.sameSite)
	}
	if c.secure {
		b.WriteString("; Secure")
	}
	return b.String()
}

// PatchVaryHeaders is django.utils.cache.patch_vary_headers(response,
// newheaders) on h: each new header not already named in Vary
// (case-insensitively) is appended, the existing order kept, and a "*"
// anywhere makes the value "*".
func PatchVaryHeaders(h http.Header, newheaders ...string) {
	var fields []string
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
	}
	existing := len(fields)
	for _, n := range newheaders {
		if !slices.ContainsFunc(fields[:existing], func(f string) bool { return strings.EqualFold(f, n) }) {
			fields = append(fields, n)
		}
	}
	if slices.Contains(fields, "*") {
		h.Set("Vary", "*")
		return
	}
	h.Set("Vary", strings.Join(fields, ", "))
}

// CookieOptions are the keyword arguments of Django's
// HttpResponse.set_cookie. The zero value is set_cookie's defaults except
// Path: an empty Path writes no Path attribute, so pass "/" as Django's
// default does.
type CookieOptions struct {
	// MaxAge is max_age in seconds; nil is None (no Max-Age). Django
	// also writes expires= as now+max_age: set both with SetMaxAge, which
	// takes the caller's clock.
	MaxAge *int64
	// Expires is an expires= string written verbatim (see HTTPDate); ""
	// is None.
	Expires string
	// Domain is domain= ("" is None).
	Domain string
	// Path is path= (Django's default "/").
	Path string
	// Secure and HTTPOnly write the Secure and HttpOnly flags.
	Secure, HTTPOnly bool
	// SameSite is samesite= written verbatim ("Lax", "Strict", "None");
	// "" is None: no attribute.
	SameSite string
}

// SetMaxAge is set_cookie's max_age= argument given without expires=:
// Max-Age is age and expires is HTTPDate(now+age), as Django computes it.
// now comes from the caller (Settings.Now) so that one clock, frozen in
// tests, dates every cookie.
func (o *CookieOptions) SetMaxAge(age int64, now time.Time) {
	o.MaxAge = &age
	o.Expires = HTTPDate(now.Add(time.Duration(age) * time.Second))
}

// SetCookieHeader renders the Set-Cookie header value that Django's
// set_cookie(name, value, ...) produces: the value quoted as Python's
// http.cookies does when it holds characters outside the cookie-safe set
// ("" is written as ""), attributes in Morsel's order and spelling
// (Domain, expires, HttpOnly, Max-Age, Path, SameSite, Secure). Go's
// http.Cookie writes another order and spelling. It writes the options as
// given: expires= is there only when o.Expires is (see SetMaxAge).
func SetCookieHeader(name, value string, o CookieOptions) string {
	c := setCookie{
		name: name, value: value, domain: o.Domain, path: o.Path,
		expires: o.Expires, maxAge: o.MaxAge, httpOnly: o.HTTPOnly,
		secure: o.Secure, sameSite: o.SameSite,
	}
	return c.String()
}

// DeleteCookieHeader renders Django's delete_cookie(name, path, domain,
// samesite): an empty value, Max-Age=0, expires at the epoch, no HttpOnly,
// and Secure only where browsers demand it (a __Secure- or __Host- name,
// or SameSite=None). Only Path, Domain and SameSite of o are used; an
// empty Path is Django's default "/".
func DeleteCookieHeader(name string, o CookieOptions) string {
	zero := int64(0)
	path := o.Path
	if path == "" {
		path = "/"
	}
	return setCookie{
		name: name, path: path, domain: o.Domain,
		expires: "Thu, 01 Jan 1970 00:00:00 GMT", maxAge: &zero, sameSite: o.SameSite,
		secure: strings.HasPrefix(name, "__Secure-") || strings.HasPrefix(name, "__Host-") ||
			strings.EqualFold(o.SameSite, "none"),
	}.String()
}

// RequestCookies returns a request's cookies as Django's request.COOKIES
// sees them (ParseCookie over every Cookie header; a repeated name keeps
// its last value).
func RequestCookies(r *http.Request) map[string]string {
	return ParseCookie(strings.Join(r.Header.Values("Cookie"), "; "))
}
