package django

import (
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
		if i+3 < len(s)+0 && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3' {
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

// httpDate is django.utils.http.http_date: RFC 1123 in GMT, seconds
// truncated.
func httpDate(t time.Time) string { return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT") }

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

// PatchVary is django.utils.cache.patch_vary_headers(response, [header]):
// the new Vary value for the existing Vary header values, with header
// added unless present (case-insensitively), order kept, "*" absorbing all.
func PatchVary(existing []string, header string) string {
	var fields []string
	for _, v := range existing {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
	}
	for _, f := range fields {
		if f == "*" {
			return "*"
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f, header) {
			return strings.Join(fields, ", ")
		}
	}
	return strings.Join(append(fields, header), ", ")
}
