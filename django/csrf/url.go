package csrf

import (
	"net/netip"
	"regexp"
	"strings"
)

// splitURL is the part of Python's urllib.parse.urlsplit (urlparse for
// Django 3.2 and 4.2) that the Origin and Referer checks read.
type splitURL struct {
	scheme, netloc, path, params, query, fragment string
}

// urlsplit follows CPython 3.11–3.13: leading C0 controls and spaces are
// stripped, tabs and newlines removed, the scheme lowercased, the netloc
// taken after "//" up to the first "/", "?" or "#". ok is false where
// Python raises ValueError: unbalanced or invalid IPv6 brackets, and (more
// strictly than Python, which only refuses what NFKC normalisation turns
// into URL delimiters) any non-ASCII netloc.
func urlsplit(url string, params bool) (u splitURL, ok bool) {
	url = strings.TrimLeft(url, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	url = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url)
	if i := strings.IndexByte(url, ':'); i > 0 && isAlpha(url[0]) {
		scheme := true
		for j := range i {
			c := url[j]
			if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
				scheme = false
				break
			}
		}
		if scheme {
			u.scheme, url = strings.ToLower(url[:i]), url[i+1:]
		}
	}
	if strings.HasPrefix(url, "//") {
		rest := url[2:]
		end := len(rest)
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			end = i
		}
		u.netloc, url = rest[:end], rest[end:]
		open, closed := strings.Contains(u.netloc, "["), strings.Contains(u.netloc, "]")
		if open != closed {
			return u, false
		}
		if open && !bracketedOK(u.netloc) {
			return u, false
		}
		for i := range len(u.netloc) {
			if u.netloc[i] >= 0x80 {
				return u, false
			}
		}
	}
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url, u.fragment = url[:i], url[i+1:]
	}
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, u.query = url[:i], url[i+1:]
	}
	u.path = url
	if params { // urlparse's _splitparams
		i := -1
		if slash := strings.LastIndexByte(url, '/'); slash >= 0 {
			if j := strings.IndexByte(url[slash:], ';'); j >= 0 {
				i = slash + j
			}
		} else {
			i = strings.IndexByte(url, ';')
		}
		if i >= 0 {
			u.path, u.params = url[:i], url[i+1:]
		}
	}
	return u, true
}

// bracketedOK is CPython's _check_bracketed_netloc.
func bracketedOK(netloc string) bool {
	hostport := netloc[strings.LastIndexByte(netloc, '@')+1:]
	before, bracketed, found := strings.Cut(hostport, "[")
	if !found {
		return true
	}
	if before != "" {
		return false
	}
	host, port, _ := strings.Cut(bracketed, "]")
	if port != "" && port[0] != ':' {
		return false
	}
	if strings.HasPrefix(host, "v") {
		return ipvFuture.MatchString(host)
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Is6()
}

var ipvFuture = regexp.MustCompile(`\Av[a-fA-F0-9]+\..+\z`)

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// geturl is SplitResult.geturl() / ParseResult.geturl().
func (u splitURL) geturl() string {
	url := u.path
	if u.params != "" {
		url += ";" + u.params
	}
	if u.netloc != "" || (u.scheme != "" && usesNetloc(u.scheme) && !strings.HasPrefix(url, "//")) {
		if url != "" && url[0] != '/' {
			url = "/" + url
		}
		url = "//" + u.netloc + url
	}
	if u.scheme != "" {
		url = u.scheme + ":" + url
	}
	if u.query != "" {
		url += "?" + u.query
	}
	if u.fragment != "" {
		url += "#" + u.fragment
	}
	return url
}

func usesNetloc(scheme string) bool {
	switch scheme {
	case "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
		"snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git", "git+ssh", "ws", "wss":
		return true
	}
	return false
}

// isSameDomain is django.utils.http.is_same_domain: a pattern starting
// with "." matches the domain and its subdomains, anything else matches
// exactly. Only the pattern is lowercased, as in Django.
func isSameDomain(host, pattern string) bool {
	if pattern == "" {
		return false
	}
	pattern = strings.ToLower(pattern)
	return pattern[0] == '.' && (strings.HasSuffix(host, pattern) || host == pattern[1:]) || pattern == host
}

var hostValidation = regexp.MustCompile(`^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$`)

// validHost is split_domain_port + validate_host: the host header is well
// formed and its domain matches allowed (Django's ALLOWED_HOSTS; empty
// allows every well-formed host, like ["*"]).
func validHost(host string, allowed []string) bool {
	m := hostValidation.FindStringSubmatch(strings.ToLower(host))
	if m == nil {
		return false
	}
	domain := strings.TrimSuffix(m[1], ".")
	if domain == "" {
		return false
	}
	if len(allowed) == 0 {
		return true
	}
	for _, p := range allowed {
		if p == "*" || isSameDomain(domain, p) {
			return true
		}
	}
	return false
}
