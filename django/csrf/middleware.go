package csrf

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/djhttp"
	"github.com/djsession/djsession/internal/hookwriter"
)

// Settings are Django's CSRF_* settings, under their Django names, and
// the few other settings the checks read. Start from DefaultSettings.
type Settings struct {
	// CookieName is CSRF_COOKIE_NAME (default "csrftoken").
	CookieName string
	// CookieAge is CSRF_COOKIE_AGE in seconds (default 31449600, 52
	// weeks); 0 stands for None: a browser-session cookie.
	CookieAge int64
	// CookieDomain is CSRF_COOKIE_DOMAIN ("" is None). When set, the
	// Referer check accepts that domain (and its subdomains if it starts
	// with ".") instead of the exact host.
	CookieDomain string
	// CookiePath is CSRF_COOKIE_PATH (default "/").
	CookiePath string
	// CookieSecure is CSRF_COOKIE_SECURE (default false).
	CookieSecure bool
	// CookieHTTPOnly is CSRF_COOKIE_HTTPONLY (default false).
	CookieHTTPOnly bool
	// CookieSameSite is CSRF_COOKIE_SAMESITE (default "Lax"; "" is None).
	CookieSameSite string
	// CookieMasked is CSRF_COOKIE_MASKED (Django 4.1 and 4.2 only, default
	// false): new cookies hold a masked token instead of the bare secret.
	CookieMasked bool
	// HeaderName is CSRF_HEADER_NAME in Django's request.META form
	// (default "HTTP_X_CSRFTOKEN", the X-CSRFToken header).
	HeaderName string
	// TrustedOrigins is CSRF_TRUSTED_ORIGINS. Django 4.0+ wants origins
	// with a scheme ("https://example.com", "https://*.example.com" for
	// every subdomain); Django 3.2 wants hosts ("example.com",
	// ".example.com").
	TrustedOrigins []string
	// UseSessions is CSRF_USE_SESSIONS: keep the secret in the session
	// under SessionKey instead of a cookie. It needs django.Middleware
	// outside this one.
	UseSessions bool
	// SessionCookieDomain is SESSION_COOKIE_DOMAIN, which replaces
	// CookieDomain in the Referer check when UseSessions is set.
	SessionCookieDomain string

	// AllowedHosts is ALLOWED_HOSTS, used where Django calls
	// request.get_host() (the same-origin and Referer checks): a request
	// whose Host is not allowed gets no same-host match. Empty allows every
	// well-formed Host (Django's ["*"]); Django's empty list would allow
	// none.
	AllowedHosts []string
	// SecureProxySSLHeader is SECURE_PROXY_SSL_HEADER in META form, such as
	// {"HTTP_X_FORWARDED_PROTO", "https"}: a request is secure when that
	// header has that value. Zero (None): secure means r.TLS != nil.
	SecureProxySSLHeader [2]string

	// DjangoVersion picks the rules of 3.2 or 4.1+ (zero: the newest).
	DjangoVersion django.Version
	// Rand is the source of secrets and masks (default crypto/rand).
	Rand io.Reader
	// Clock is the time the cookie's expires is computed from (default
	// time.Now).
	Clock func() time.Time
	// Logger receives Django's "Forbidden (reason): path" warning of the
	// django.security.csrf logger (default slog.Default()).
	Logger *slog.Logger
	// FailureHandler is CSRF_FAILURE_VIEW: it answers refused requests,
	// and finds the reason with FailureReason. Default: a plain-text 403.
	FailureHandler http.Handler
}

// DefaultSettings returns Django's defaults (global_settings.py).
func DefaultSettings() Settings {
	return Settings{
		CookieName:     "csrftoken",
		CookieAge:      60 * 60 * 24 * 7 * 52,
		CookiePath:     "/",
		CookieSameSite: "Lax",
		HeaderName:     "HTTP_X_CSRFTOKEN",
	}
}

// shared is the part of django.Settings these settings repeat (until they
// merge into it): each of its defaults (the newest version, crypto/rand,
// time.Now, slog.Default) is resolved there, once.
func (s *Settings) shared() *django.Settings {
	return &django.Settings{DjangoVersion: s.DjangoVersion, Rand: s.Rand, Clock: s.Clock, Logger: s.Logger}
}

func (s *Settings) version() django.Version { return s.shared().Version() }

func (s *Settings) legacy() bool { return !s.version().AtLeast(4, 0) }

func (s *Settings) rand() io.Reader { return s.shared().RandReader() }

func (s *Settings) now() time.Time { return s.shared().Now() }

func (s *Settings) logger() *slog.Logger { return s.shared().Log() }

type ctxKey int

const (
	stateKey ctxKey = iota
	reasonKey
)

// state is what Django keeps in request.META for one request:
// CSRF_COOKIE, and CSRF_COOKIE_NEEDS_UPDATE (CSRF_COOKIE_USED in 3.2).
type state struct {
	mu      sync.Mutex
	s       *Settings
	sess    *django.Session
	cookie  string // META["CSRF_COOKIE"]: 4.1+ the secret (masked with CookieMasked), 3.2 a masked token
	has     bool
	send    bool // set the cookie on the response
	cookies map[string]string
}

// Exempt marks h as csrf_exempt: Middleware does not check requests that
// it routes to h (directly, or through an *http.ServeMux, whose Handler
// method tells Middleware where a request goes). GetToken still works in
// an exempt handler.
func Exempt(h http.Handler) http.Handler { return exempt{h} }

// ExemptFunc is Exempt for a handler function.
func ExemptFunc(f func(http.ResponseWriter, *http.Request)) http.Handler {
	return exempt{http.HandlerFunc(f)}
}

type exempt struct{ http.Handler }

// router is what *http.ServeMux offers to find a request's handler.
type router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

func isExempt(h http.Handler, r *http.Request) bool {
	for range 8 {
		switch x := h.(type) {
		case exempt:
			return true
		case router:
			h, _ = x.Handler(r)
		default:
			return false
		}
	}
	return false
}

// FailureReason returns the reason Middleware refused r for, inside
// Settings.FailureHandler ("" elsewhere).
func FailureReason(r *http.Request) string {
	s, _ := r.Context().Value(reasonKey).(string)
	return s
}

// defaultFailure is a plain-text stand-in for Django's csrf_failure page.
func defaultFailure(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "Forbidden (403)\nCSRF verification failed. Request aborted.\n\nReason given for failure:\n    %s\n", FailureReason(r))
}

// Middleware is Django's CsrfViewMiddleware for net/http.
//
// Before the handler runs it reads the secret from the CSRF cookie (or
// the session), then checks every request whose method is not GET, HEAD,
// OPTIONS or TRACE and whose handler is not Exempt: the Origin header when
// present (Django 4.0+), else over HTTPS the Referer; then the token from
// the POST field csrfmiddlewaretoken (its last value, as Django's
// QueryDict.get) or, when that is empty, the X-CSRFToken header, against
// the secret. A refused request goes to Settings.FailureHandler with the
// reason Django gives, and is logged.
//
// When the request used GetToken or RotateToken, or (4.1+) arrived with an
// unusable cookie, the cookie is (re)sent before the response headers
// leave, with "Vary: Cookie", exactly as Django renders it; with
// UseSessions the secret is stored in the session instead.
func Middleware(s Settings) func(http.Handler) http.Handler {
	if s.FailureHandler == nil {
		s.FailureHandler = http.HandlerFunc(defaultFailure)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := &state{s: &s, cookies: djhttp.RequestCookies(r)}
			if s.UseSessions {
				st.sess = django.FromRequest(r)
				if st.sess == nil {
					s.logger().Error("CSRF_USE_SESSIONS is enabled, but request.session is not set. " +
						"SessionMiddleware must appear before CsrfViewMiddleware in MIDDLEWARE.")
					http.Error(w, "Internal Server Error", http.StatusInternalServerError)
					return
				}
			}
			if err := st.processRequest(); err != nil {
				s.logger().Error("csrf: random source failed", "err", err)
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), stateKey, st))
			rw := hookwriter.New(w, func(int) bool { st.processResponse(w.Header()); return false })
			h := next // per request: next is shared by every request
			if !isExempt(next, r) && !safeMethod(r.Method) {
				if reason, err := st.check(r); err != nil {
					s.logger().Error("csrf: random source failed", "err", err)
					http.Error(w, "Internal Server Error", http.StatusInternalServerError)
					return
				} else if reason != "" {
					s.logger().Warn(fmt.Sprintf("Forbidden (%s): %s", reason, r.URL.Path),
						"logger", "django.security.csrf", "status_code", http.StatusForbidden)
					r = r.WithContext(context.WithValue(r.Context(), reasonKey, reason))
					h = s.FailureHandler
				}
			}
			h.ServeHTTP(rw, r)
			rw.Finish()
		})
	}
}

func safeMethod(m string) bool {
	return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE"
}

// stored returns the raw secret source: the cookie, or the session value.
func (st *state) stored() (string, bool) {
	if st.sess != nil {
		v, ok := st.sess.Get(SessionKey)
		if !ok || v == nil {
			return "", false
		}
		str, isStr := v.(string)
		if !isStr {
			return "\x00", true // not a token: refused as malformed
		}
		return str, true
	}
	v, ok := st.cookies[st.s.CookieName]
	return v, ok
}

// processRequest is process_request: META["CSRF_COOKIE"] from the cookie.
func (st *state) processRequest() error {
	if st.s.legacy() {
		tok, ok, err := st.legacyToken()
		if err != nil || !ok {
			return err
		}
		st.cookie, st.has = tok, true
		return nil
	}
	secret, ok, bad := st.secret()
	switch {
	case bad != "":
		return st.newCookie()
	case ok:
		st.cookie, st.has = secret, true
	}
	return nil
}

// secret is 4.1+'s _get_secret: the unmasked secret, whether there is
// one, and the format problem of a bad cookie.
func (st *state) secret() (secret string, ok bool, bad string) {
	v, ok := st.stored()
	if !ok {
		return "", false, ""
	}
	if bad := checkFormat(v); bad != "" {
		return "", false, bad
	}
	if len(v) == TokenLength {
		v = unmask(v)
	}
	return v, true, ""
}

// legacyToken is 3.2's _get_token: the cookie sanitized to a masked
// token. A session value is used as it is.
func (st *state) legacyToken() (string, bool, error) {
	v, ok := st.stored()
	if !ok {
		return "", false, nil
	}
	if st.sess != nil {
		return v, true, nil
	}
	tok, err := sanitize(v, st.s.rand())
	return tok, true, err
}

// newCookie is 4.1+'s _add_new_csrf_cookie; it returns the secret.
func (st *state) newCookie() error {
	secret, err := NewSecret(st.s.rand())
	if err != nil {
		return err
	}
	st.cookie, st.has, st.send = secret, true, true
	if st.s.CookieMasked && st.s.version() == django.Django42 {
		if st.cookie, err = MaskSecret(secret, st.s.rand()); err != nil {
			return err
		}
	}
	return nil
}

// check is process_view's checks for an unsafe method: the reason to
// refuse r, or "".
func (st *state) check(r *http.Request) (string, error) {
	if st.s.legacy() {
		return st.check32(r)
	}
	if origin, ok := header(r, "Origin"); ok {
		if !st.originVerified(r, origin) {
			return fmt.Sprintf(ReasonBadOrigin, origin), nil
		}
	} else if st.isSecure(r) {
		if reason := st.checkReferer(r); reason != "" {
			return reason, nil
		}
	}
	return st.checkToken(r), nil
}

// header returns a request header as Django's request.META holds it:
// several values joined by ",".
func header(r *http.Request, name string) (string, bool) {
	v, ok := r.Header[http.CanonicalHeaderKey(name)]
	if !ok {
		return "", false
	}
	return strings.Join(v, ","), true
}

// metaHeader is header for a META name such as HTTP_X_CSRFTOKEN.
func metaHeader(r *http.Request, meta string) (string, bool) {
	name, ok := strings.CutPrefix(meta, "HTTP_")
	if !ok {
		return "", false
	}
	return header(r, strings.ReplaceAll(name, "_", "-"))
}

// isSecure is request.is_secure().
func (st *state) isSecure(r *http.Request) bool {
	if h := st.s.SecureProxySSLHeader; h[0] != "" {
		if v, ok := metaHeader(r, h[0]); ok {
			if !st.s.legacy() {
				v, _, _ = strings.Cut(v, ",")
				v = strings.TrimSpace(v)
			}
			return v == h[1]
		}
	}
	return r.TLS != nil
}

// getHost is request.get_host(): the Host header, if ALLOWED_HOSTS allows
// it.
func (st *state) getHost(r *http.Request) (string, bool) {
	host := r.Host
	if !validHost(host, st.s.AllowedHosts) {
		return "", false
	}
	return host, true
}

// getPort is request.get_port(): Django reads SERVER_PORT; here it is the
// Host header's port, else 443 or 80 by scheme (what a WSGI server behind
// the same Host reports).
func (st *state) getPort(r *http.Request) string {
	if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "" {
		return port
	}
	if st.isSecure(r) {
		return "443"
	}
	return "80"
}

// originVerified is 4.0+'s _origin_verified.
func (st *state) originVerified(r *http.Request, origin string) bool {
	if host, ok := st.getHost(r); ok {
		scheme := "http"
		if st.isSecure(r) {
			scheme = "https"
		}
		if origin == scheme+"://"+host {
			return true
		}
	}
	for _, o := range st.s.TrustedOrigins {
		if !strings.Contains(o, "*") && o == origin {
			return true
		}
	}
	u, ok := urlsplit(origin, false)
	if !ok {
		return false
	}
	for _, o := range st.s.TrustedOrigins {
		if !strings.Contains(o, "*") {
			continue
		}
		t, _ := urlsplit(o, false)
		if t.scheme == u.scheme && isSameDomain(u.netloc, strings.TrimLeft(t.netloc, "*")) {
			return true
		}
	}
	return false
}

func (st *state) goodRefererDomain() string {
	if st.s.UseSessions {
		return st.s.SessionCookieDomain
	}
	return st.s.CookieDomain
}

// checkReferer is 4.0+'s _check_referer.
func (st *state) checkReferer(r *http.Request) string {
	ref, ok := header(r, "Referer")
	if !ok {
		return ReasonNoReferer
	}
	u, ok := urlsplit(ref, st.s.version() == django.Django42)
	if !ok || u.scheme == "" || u.netloc == "" {
		return ReasonMalformedReferer
	}
	if u.scheme != "https" {
		return ReasonInsecureReferer
	}
	for _, o := range st.s.TrustedOrigins {
		t, _ := urlsplit(o, false)
		if isSameDomain(u.netloc, strings.TrimLeft(t.netloc, "*")) {
			return ""
		}
	}
	good := st.goodRefererDomain()
	if good == "" {
		host, ok := st.getHost(r)
		if !ok {
			return fmt.Sprintf(ReasonBadReferer, u.geturl())
		}
		good = host
	} else if port := st.getPort(r); port != "443" && port != "80" {
		good += ":" + port
	}
	if !isSameDomain(u.netloc, good) {
		return fmt.Sprintf(ReasonBadReferer, u.geturl())
	}
	return ""
}

// postToken is request.POST.get("csrfmiddlewaretoken", ""): the last
// value, from a urlencoded or multipart body.
func postToken(r *http.Request) string {
	if r.Method != "POST" {
		return ""
	}
	if r.PostForm == nil {
		_ = r.ParseMultipartForm(32 << 20)
	}
	if v := r.PostForm[FormField]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// checkToken is 4.1+'s _check_token.
func (st *state) checkToken(r *http.Request) string {
	secret, ok, bad := st.secret()
	if bad != "" {
		return "CSRF cookie " + bad + "."
	}
	if !ok {
		return ReasonNoCSRFCookie
	}
	token, source := postToken(r), "POST"
	if token == "" {
		var present bool
		if token, present = metaHeader(r, st.s.HeaderName); !present {
			return ReasonCSRFTokenMissing
		}
		source = "None"
		if name, ok := titleHeader(st.s.HeaderName); ok {
			source = "'" + name + "'"
		}
		source = "the " + source + " HTTP header"
	}
	if bad := checkFormat(token); bad != "" {
		return "CSRF token from " + source + " " + bad + "."
	}
	if !TokenMatches(token, secret) {
		return "CSRF token from " + source + " incorrect."
	}
	return ""
}

// check32 is Django 3.2's process_view checks.
func (st *state) check32(r *http.Request) (string, error) {
	if st.isSecure(r) {
		ref, ok := header(r, "Referer")
		if !ok {
			return ReasonNoReferer, nil
		}
		u, ok := urlsplit(ref, true)
		if !ok || u.scheme == "" || u.netloc == "" {
			return ReasonMalformedReferer, nil
		}
		if u.scheme != "https" {
			return ReasonInsecureReferer, nil
		}
		good := st.goodRefererDomain()
		if good != "" {
			if port := st.getPort(r); port != "443" && port != "80" {
				good += ":" + port
			}
		} else if host, ok := st.getHost(r); ok {
			good = host
		}
		hosts := slices.Clone(st.s.TrustedOrigins)
		if good != "" {
			hosts = append(hosts, good)
		}
		if !slices.ContainsFunc(hosts, func(h string) bool { return isSameDomain(u.netloc, h) }) {
			return fmt.Sprintf(ReasonBadReferer, u.geturl()), nil
		}
	}
	cookie, ok, err := st.legacyToken()
	if err != nil {
		return "", err
	}
	if !ok {
		return ReasonNoCSRFCookie, nil
	}
	token := postToken(r)
	if token == "" {
		token, _ = metaHeader(r, st.s.HeaderName)
	}
	token, err = sanitize(token, st.s.rand())
	if err != nil {
		return "", err
	}
	if len(cookie) != TokenLength || !validFormat(cookie) ||
		subtle.ConstantTimeCompare([]byte(unmask(token)), []byte(unmask(cookie))) != 1 {
		return ReasonBadToken, nil
	}
	return "", nil
}

// GetToken is Django's get_token(request): a freshly masked token for a
// form field or header, different on every call. The first call of a
// request without a usable secret creates one. Either way the cookie is
// (re)sent with the response, to renew its expiry, as Django does.
func GetToken(r *http.Request) (string, error) {
	st, _ := r.Context().Value(stateKey).(*state)
	if st == nil {
		return "", ErrNoMiddleware
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	rnd := st.s.rand()
	if st.s.legacy() {
		var secret string
		if !st.has {
			s, err := NewSecret(rnd)
			if err != nil {
				return "", err
			}
			if st.cookie, err = MaskSecret(s, rnd); err != nil {
				return "", err
			}
			st.has, secret = true, s
		} else {
			secret = unmaskLoose(st.cookie)
		}
		st.send = true
		return MaskSecret(secret, rnd)
	}
	if st.has {
		st.send = true
		return MaskSecret(secretOf(st.cookie), rnd)
	}
	if err := st.newCookie(); err != nil {
		return "", err
	}
	return MaskSecret(secretOf(st.cookie), rnd)
}

// secretOf returns the secret of a META["CSRF_COOKIE"] value of 4.1+: the
// value itself, or with CookieMasked the unmasked value.
func secretOf(v string) string {
	if len(v) == TokenLength {
		return unmask(v)
	}
	return v
}

// unmaskLoose unmasks a 3.2 META["CSRF_COOKIE"], which can come from a
// session unchecked; a value that is no masked token yields a secret that
// matches nothing.
func unmaskLoose(v string) string {
	if len(v) == TokenLength && validFormat(v) {
		return unmask(v)
	}
	return strings.Repeat("a", SecretLength)
}

// RotateToken is Django's rotate_token(request), which login calls: a new
// secret replaces the old one, and the cookie (or session value) is sent
// with the response. Tokens of earlier pages stop working.
func RotateToken(r *http.Request) error {
	st, _ := r.Context().Value(stateKey).(*state)
	if st == nil {
		return ErrNoMiddleware
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s.legacy() {
		tok, err := newMaskedToken(st.s.rand())
		if err != nil {
			return err
		}
		st.cookie, st.has, st.send = tok, true, true
		return nil
	}
	return st.newCookie()
}

// processResponse is process_response: send the cookie if needed.
func (st *state) processResponse(h http.Header) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.send {
		return
	}
	st.send = false
	s := st.s
	if st.sess != nil {
		if cur, _ := st.sess.GetString(SessionKey); cur != st.cookie || !st.sess.Has(SessionKey) {
			st.sess.Set(SessionKey, st.cookie)
		}
		return
	}
	o := djhttp.CookieOptions{
		Domain: s.CookieDomain, Path: s.CookiePath, Secure: s.CookieSecure,
		HTTPOnly: s.CookieHTTPOnly, SameSite: s.CookieSameSite,
	}
	if s.CookieAge != 0 {
		o.SetMaxAge(s.CookieAge, s.now())
	}
	h.Add("Set-Cookie", djhttp.SetCookieHeader(s.CookieName, st.cookie, o))
	djhttp.PatchVaryHeaders(h, "Cookie")
}
