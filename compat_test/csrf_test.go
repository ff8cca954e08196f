package compat_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/csrf"
)

// webPeer returns the fixtures/webpeer.py peer for version v: real
// CsrfViewMiddleware, CookieStorage and signed cookies.
func webPeer(t *testing.T, v string) *peer {
	t.Helper()
	django(t, v) // gating and installation
	peersMu.Lock()
	defer peersMu.Unlock()
	key := "web:" + v
	if p, ok := peers[key]; ok {
		return p
	}
	p, err := launchPeer(v, "webpeer.py")
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.call(map[string]any{"op": "version"})
	if err != nil || !strings.HasPrefix(str(r, "version"), v+".") {
		t.Fatalf("webpeer %s: %v %v", v, r, err)
	}
	peers[key] = p
	return p
}

// webCall is mustCall that also fails the test on ok=false.
func webCall(t *testing.T, p *peer, req map[string]any) map[string]any {
	t.Helper()
	m := p.mustCall(t, req)
	if m["ok"] != true {
		t.Fatalf("webpeer %s %v: %v", p.version, req["op"], m)
	}
	return m
}

// csrfReq describes one request, run by Go's and Django's middleware.
type csrfReq struct {
	method, scheme, host string
	headers              map[string]string
	cookie               string
	post                 map[string]string
	getToken, rotate     bool
}

type csrfResult struct {
	accepted   bool
	status     int
	reason     string
	token      string
	setCookies []string
	vary       string
}

func (c csrfReq) withDefaults() csrfReq {
	if c.method == "" {
		c.method = "POST"
	}
	if c.scheme == "" {
		c.scheme = "http"
	}
	if c.host == "" {
		c.host = "example.com"
	}
	return c
}

// csrfConf is the settings a case runs under, both sides.
type csrfConf struct {
	trusted      []string
	cookieDomain string
	allowedHosts []string
}

func (c csrfConf) goSettings(v djsession.Version) djsession.Settings {
	s := djsession.DefaultSettings("csrf-needs-no-key")
	s.DjangoVersion = v
	s.CSRFTrustedOrigins = c.trusted
	s.CSRFCookieDomain = c.cookieDomain
	s.AllowedHosts = c.allowedHosts
	return s
}

func (c csrfConf) pySettings() map[string]any {
	m := map[string]any{"CSRF_TRUSTED_ORIGINS": orEmpty(c.trusted), "ALLOWED_HOSTS": []string{"*"}}
	if c.allowedHosts != nil {
		m["ALLOWED_HOSTS"] = c.allowedHosts
	}
	if c.cookieDomain != "" {
		m["CSRF_COOKIE_DOMAIN"] = c.cookieDomain
	}
	return m
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func goCSRF(t *testing.T, v djsession.Version, conf csrfConf, c csrfReq) csrfResult {
	t.Helper()
	c = c.withDefaults()
	s := conf.goSettings(v)
	var res csrfResult
	failure := csrf.WithFailureHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res.reason = csrf.FailureReason(r)
		w.WriteHeader(http.StatusForbidden)
	}))
	h := csrf.Middleware(s, failure)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res.accepted = true
		if c.rotate {
			if err := csrf.RotateToken(r); err != nil {
				t.Fatal(err)
			}
		}
		if c.getToken {
			tok, err := csrf.GetToken(r)
			if err != nil {
				t.Fatal(err)
			}
			res.token = tok
		}
		io.WriteString(w, "ok")
	}))
	var body io.Reader
	if c.post != nil {
		f := url.Values{}
		for k, v := range c.post {
			f.Set(k, v)
		}
		body = strings.NewReader(f.Encode())
	}
	r := httptest.NewRequest(c.method, c.scheme+"://"+c.host+"/", body)
	r.Host = c.host
	if c.scheme == "https" {
		r.TLS = &tls.ConnectionState{}
	} else {
		r.TLS = nil
	}
	if c.post != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	if c.cookie != "" {
		r.Header.Set("Cookie", c.cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res.status = rec.Code
	res.setCookies = rec.Header().Values("Set-Cookie")
	res.vary = rec.Header().Get("Vary")
	return res
}

func pyCSRF(t *testing.T, p *peer, conf csrfConf, c csrfReq) csrfResult {
	t.Helper()
	c = c.withDefaults()
	req := map[string]any{"op": "csrf", "settings": conf.pySettings(), "method": c.method, "scheme": c.scheme,
		"host": c.host, "headers": c.headers, "get_token": c.getToken, "rotate": c.rotate}
	if c.cookie != "" {
		req["cookie"] = c.cookie
	}
	if c.post != nil {
		req["post"] = c.post
	}
	m := webCall(t, p, req)
	res := csrfResult{accepted: m["accepted"] == true, reason: str(m, "reason"), token: str(m, "token"), vary: str(m, "vary")}
	fmt.Sscan(fmt.Sprint(m["status"]), &res.status)
	for _, c := range m["set_cookie"].([]any) {
		res.setCookies = append(res.setCookies, c.(string))
	}
	return res
}

// cookieValue returns the value of a Set-Cookie for name.
func cookieValue(t *testing.T, setCookies []string, name string) string {
	t.Helper()
	for _, c := range setCookies {
		if v, ok := strings.CutPrefix(c, name+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	t.Fatalf("no %s cookie in %q", name, setCookies)
	return ""
}

// shape is a Set-Cookie with its value and expires blanked.
func shape(c string) string {
	var out []string
	for i, part := range strings.Split(c, "; ") {
		switch {
		case i == 0:
			name, _, _ := strings.Cut(part, "=")
			out = append(out, name+"=…")
		case strings.HasPrefix(part, "expires="):
			out = append(out, "expires=…")
		default:
			out = append(out, part)
		}
	}
	return strings.Join(out, "; ")
}

func shapes(cs []string) []string {
	var out []string
	for _, c := range cs {
		out = append(out, shape(c))
	}
	return out
}

func TestLiveCSRFTokensBothWays(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver, func(t *testing.T) {
			p := webPeer(t, ver)
			v, _ := djsession.ParseVersion(ver)
			conf := csrfConf{}
			// Go mints a cookie and a token; Django accepts them (form and header).
			g := goCSRF(t, v, conf, csrfReq{method: "GET", getToken: true})
			d := pyCSRF(t, p, conf, csrfReq{method: "GET", getToken: true})
			if !reflect.DeepEqual(shapes(g.setCookies), shapes(d.setCookies)) || g.vary != d.vary {
				t.Errorf("fresh GET: Go %q %q, Django %q %q", g.setCookies, g.vary, d.setCookies, d.vary)
			}
			gc := "csrftoken=" + cookieValue(t, g.setCookies, "csrftoken")
			dc := "csrftoken=" + cookieValue(t, d.setCookies, "csrftoken")
			if len(gc) != len(dc) {
				t.Errorf("cookie lengths: Go %s, Django %s", gc, dc)
			}
			for _, tc := range []struct {
				name   string
				cookie string
				token  string
			}{
				{"Go cookie, Go token", gc, g.token},
				{"Django cookie, Django token", dc, d.token},
			} {
				for _, viaHeader := range []bool{false, true} {
					c := csrfReq{cookie: tc.cookie, post: map[string]string{"csrfmiddlewaretoken": tc.token}}
					if viaHeader {
						c = csrfReq{cookie: tc.cookie, headers: map[string]string{"X-CSRFToken": tc.token}}
					}
					gr, dr := goCSRF(t, v, conf, c), pyCSRF(t, p, conf, c)
					if !gr.accepted || !dr.accepted {
						t.Errorf("%s (header=%v): Go %v %q, Django %v %q", tc.name, viaHeader, gr.accepted, gr.reason, dr.accepted, dr.reason)
					}
				}
			}
			// Each side's token for the other's cookie: a GET carrying the
			// cookie, get_token on the other side, POST to the first.
			dOnG := pyCSRF(t, p, conf, csrfReq{method: "GET", cookie: gc, getToken: true})
			gOnD := goCSRF(t, v, conf, csrfReq{method: "GET", cookie: dc, getToken: true})
			for name, c := range map[string]csrfReq{
				"Go cookie, Django token": {cookie: gc, post: map[string]string{"csrfmiddlewaretoken": dOnG.token}},
				"Django cookie, Go token": {cookie: dc, post: map[string]string{"csrfmiddlewaretoken": gOnD.token}},
			} {
				if gr, dr := goCSRF(t, v, conf, c), pyCSRF(t, p, conf, c); !gr.accepted || !dr.accepted {
					t.Errorf("%s: Go %v %q, Django %v %q", name, gr.accepted, gr.reason, dr.accepted, dr.reason)
				}
			}
			if !reflect.DeepEqual(shapes(dOnG.setCookies), shapes(gOnD.setCookies)) {
				t.Errorf("renewed cookie: Django %q, Go %q", dOnG.setCookies, gOnD.setCookies)
			}
			// rotate_token (login): the new cookie works, the old token does not.
			rot := goCSRF(t, v, conf, csrfReq{method: "GET", cookie: gc, rotate: true, getToken: true})
			nc := "csrftoken=" + cookieValue(t, rot.setCookies, "csrftoken")
			for name, c := range map[string]csrfReq{
				"rotated cookie, new token": {cookie: nc, post: map[string]string{"csrfmiddlewaretoken": rot.token}},
				"rotated cookie, old token": {cookie: nc, post: map[string]string{"csrfmiddlewaretoken": g.token}},
			} {
				gr, dr := goCSRF(t, v, conf, c), pyCSRF(t, p, conf, c)
				if gr.accepted != dr.accepted || gr.reason != dr.reason || gr.accepted != strings.Contains(name, "new") {
					t.Errorf("%s: Go %v %q, Django %v %q", name, gr.accepted, gr.reason, dr.accepted, dr.reason)
				}
			}
		})
	}
}

func TestLiveCSRFChecksAgree(t *testing.T) {
	const secret = "kASAOsE1nYEZ9GlGHpYaax7LBejYWo6o"
	const masked = "96ipbNClShVP4wY4for9duMl7JRU7BT4jw0PP56c55pE329AMDf9dRJWyN0ITPPi"
	good := map[string]string{"csrfmiddlewaretoken": masked}
	ck := "csrftoken=" + secret
	h := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	trusted4 := []string{"https://trusted.com", "https://*.wild.org", "http://plain.net:8080"}
	trusted3 := []string{"trusted.com", ".wild.org"}
	type tc struct {
		name string
		conf csrfConf
		req  csrfReq
	}
	cases := []tc{
		// Tokens.
		{"no cookie", csrfConf{}, csrfReq{post: good}},
		{"no token", csrfConf{}, csrfReq{cookie: ck, post: map[string]string{}}},
		{"no token, no body", csrfConf{}, csrfReq{cookie: ck}},
		{"empty header", csrfConf{}, csrfReq{cookie: ck, headers: h("X-CSRFToken", "")}},
		{"short header", csrfConf{}, csrfReq{cookie: ck, headers: h("X-CSRFToken", "abc")}},
		{"bad chars post", csrfConf{}, csrfReq{cookie: ck, post: map[string]string{"csrfmiddlewaretoken": strings.Repeat("!", 64)}}},
		{"wrong token", csrfConf{}, csrfReq{cookie: ck, post: map[string]string{"csrfmiddlewaretoken": strings.Repeat("A", 64)}}},
		{"wrong header", csrfConf{}, csrfReq{cookie: ck, headers: h("X-CSRFToken", strings.Repeat("A", 32))}},
		{"unmasked token", csrfConf{}, csrfReq{cookie: ck, post: map[string]string{"csrfmiddlewaretoken": secret}}},
		{"masked cookie", csrfConf{}, csrfReq{cookie: "csrftoken=" + masked, post: good}},
		{"cookie bad length", csrfConf{}, csrfReq{cookie: "csrftoken=abc", post: good}},
		{"cookie bad chars", csrfConf{}, csrfReq{cookie: "csrftoken=" + strings.Repeat("-", 32), post: good}},
		{"repeated cookie keeps last", csrfConf{}, csrfReq{cookie: "csrftoken=abc; " + ck, post: good}},
		{"PUT with header", csrfConf{}, csrfReq{method: "PUT", cookie: ck, headers: h("X-CSRFToken", masked)}},
		{"DELETE without token", csrfConf{}, csrfReq{method: "DELETE", cookie: ck}},
		{"OPTIONS is safe", csrfConf{}, csrfReq{method: "OPTIONS"}},
		// Origin (4.0+; ignored by 3.2).
		{"same origin http", csrfConf{}, csrfReq{cookie: ck, post: good, headers: h("Origin", "http://example.com")}},
		{"same origin https", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "https://example.com")}},
		{"origin scheme mismatch", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "http://example.com")}},
		{"origin other host", csrfConf{}, csrfReq{cookie: ck, post: good, headers: h("Origin", "http://evil.com")}},
		{"origin null", csrfConf{}, csrfReq{cookie: ck, post: good, headers: h("Origin", "null")}},
		{"origin with port", csrfConf{}, csrfReq{host: "example.com:8000", cookie: ck, post: good, headers: h("Origin", "http://example.com:8000")}},
		{"origin upper case", csrfConf{}, csrfReq{cookie: ck, post: good, headers: h("Origin", "http://EXAMPLE.com")}},
		{"origin bad ipv6", csrfConf{}, csrfReq{cookie: ck, post: good, headers: h("Origin", "http://[::1")}},
		{"origin host not allowed", csrfConf{allowedHosts: []string{"other.com"}}, csrfReq{cookie: ck, post: good, headers: h("Origin", "http://example.com")}},
		{"trusted exact", csrfConf{trusted: trusted4}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "https://trusted.com")}},
		{"trusted exact wrong scheme", csrfConf{trusted: trusted4}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "http://trusted.com")}},
		{"trusted wildcard sub", csrfConf{trusted: trusted4}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "https://a.b.wild.org")}},
		{"trusted wildcard apex", csrfConf{trusted: trusted4}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "https://wild.org")}},
		{"trusted wildcard scheme", csrfConf{trusted: trusted4}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "http://a.wild.org")}},
		{"trusted wildcard suffix trick", csrfConf{trusted: trusted4}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "https://evilwild.org")}},
		{"trusted port", csrfConf{trusted: trusted4}, csrfReq{cookie: ck, post: good, headers: h("Origin", "http://plain.net:8080")}},
		// Referer (HTTPS without Origin).
		{"https no referer", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good}},
		{"https same referer", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Referer", "https://example.com/form?x=1#f")}},
		{"https insecure referer", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Referer", "http://example.com/")}},
		{"https malformed referer", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Referer", "example.com/form")}},
		{"https empty referer", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Referer", "")}},
		{"https bad referer", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Referer", "https://evil.com/a;b?c#d")}},
		{"https referer with port", csrfConf{}, csrfReq{scheme: "https", host: "example.com:8443", cookie: ck, post: good, headers: h("Referer", "https://example.com:8443/")}},
		{"https referer upper case scheme", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Referer", "HTTPS://example.com/")}},
		{"https referer cookie domain", csrfConf{cookieDomain: ".example.com"}, csrfReq{scheme: "https", host: "www.example.com", cookie: ck, post: good, headers: h("Referer", "https://static.example.com/")}},
		{"https referer cookie domain port", csrfConf{cookieDomain: ".example.com"}, csrfReq{scheme: "https", host: "www.example.com:8443", cookie: ck, post: good, headers: h("Referer", "https://static.example.com/")}},
		{"https referer host not allowed", csrfConf{allowedHosts: []string{"other.com"}}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Referer", "https://example.com/")}},
		{"http ignores referer", csrfConf{}, csrfReq{cookie: ck, post: good, headers: h("Referer", "https://evil.com/")}},
		{"https origin wins over referer", csrfConf{}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Origin", "https://example.com", "Referer", "https://evil.com/")}},
	}
	for _, ver := range versions {
		t.Run(ver, func(t *testing.T) {
			p := webPeer(t, ver)
			v, _ := djsession.ParseVersion(ver)
			all := append([]tc(nil), cases...)
			tr := trusted4
			if ver == "3.2" {
				tr = trusted3
			}
			for _, ref := range []string{"https://trusted.com/x", "https://a.wild.org/", "https://wild.org/", "https://evil.org/"} {
				all = append(all, tc{"https referer trusted " + ref, csrfConf{trusted: tr}, csrfReq{scheme: "https", cookie: ck, post: good, headers: h("Referer", ref)}})
			}
			for _, c := range all {
				g, d := goCSRF(t, v, c.conf, c.req), pyCSRF(t, p, c.conf, c.req)
				if g.accepted != d.accepted || g.status != d.status || g.reason != d.reason {
					t.Errorf("%s:\n Go     %v %d %q\n Django %v %d %q", c.name, g.accepted, g.status, g.reason, d.accepted, d.status, d.reason)
				}
				if !reflect.DeepEqual(shapes(g.setCookies), shapes(d.setCookies)) {
					t.Errorf("%s: Set-Cookie Go %q, Django %q", c.name, g.setCookies, d.setCookies)
				}
			}
		})
	}
}
