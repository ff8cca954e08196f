package csrf

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/djhttp"
	"github.com/djsession/djsession/internal/hookwriter"
)

// Option shapes Middleware with what is not a Django setting; the
// CSRF_* settings themselves are fields of django.Settings.
type Option func(*options)

type options struct {
	failure http.Handler
}

// WithFailureHandler sets the handler that answers refused requests, as
// CSRF_FAILURE_VIEW names a view in Django; it finds the reason with
// FailureReason. The default (and a nil h) is a plain-text 403.
func WithFailureHandler(h http.Handler) Option {
	return func(o *options) { o.failure = h }
}

// legacy reports whether s follows Django 3.2's rules (masked cookies, no
// Origin check) rather than 4.0+'s.
func legacy(s *django.Settings) bool { return !s.Version().AtLeast(4, 0) }

type ctxKey int

const (
	stateKey ctxKey = iota
	reasonKey
)

// state is what Django keeps in request.META for one request:
// CSRF_COOKIE, and CSRF_COOKIE_NEEDS_UPDATE (CSRF_COOKIE_USED in 3.2).
type state struct {
	mu      sync.Mutex
	s       *django.Settings
	sess    *django.Session
	cookie  string // META["CSRF_COOKIE"]: 4.1+ the secret (masked with CSRFCookieMasked), 3.2 a masked token
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
// the failure handler (see WithFailureHandler; "" elsewhere).
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
// the secret. A refused request goes to the failure handler
// (WithFailureHandler) with the reason Django gives, and is logged.
//
// When the request used GetToken or RotateToken, or (4.1+) arrived with an
// unusable cookie, the cookie is (re)sent before the response headers
// leave, with "Vary: Cookie", exactly as Django renders it; with
// CSRFUseSessions the secret is stored in the session instead.
//
// s is Django's settings module: the CSRF_* settings, ALLOWED_HOSTS,
// SECURE_PROXY_SSL_HEADER, SESSION_COOKIE_DOMAIN, the version whose rules
// to follow, and the clock, random source and logger (zero values mean
// the newest version, time.Now, crypto/rand and slog.Default, as
// everywhere). Start from django.DefaultSettings, which holds Django's
// CSRF defaults. Middleware keeps its own copy of s.
func Middleware(s django.Settings, opts ...Option) func(http.Handler) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.failure == nil {
		o.failure = http.HandlerFunc(defaultFailure)
	}
	// The caller may reuse its slices; the checks must not see that.
	s.CSRFTrustedOrigins = slices.Clone(s.CSRFTrustedOrigins)
	s.AllowedHosts = slices.Clone(s.AllowedHosts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := &state{s: &s, cookies: djhttp.RequestCookies(r)}
			if s.CSRFUseSessions {
				st.sess = django.FromRequest(r)
				if st.sess == nil {
					s.Log().Error("CSRF_USE_SESSIONS is enabled, but request.session is not set. " +
						"SessionMiddleware must appear before CsrfViewMiddleware in MIDDLEWARE.")
					http.Error(w, "Internal Server Error", http.StatusInternalServerError)
					return
				}
			}
			if err := st.processRequest(); err != nil {
				s.Log().Error("csrf: random source failed", "err", err)
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), stateKey, st))
			rw := hookwriter.New(w, func(int) bool { st.processResponse(w.Header()); return false })
			h := next // per request: next is shared by every request
			if !isExempt(next, r) && !safeMethod(r.Method) {
				if reason, err := st.check(r); err != nil {
					s.Log().Error("csrf: random source failed", "err", err)
					http.Error(w, "Internal Server Error", http.StatusInternalServerError)
					return
				} else if reason != "" {
					s.Log().Warn(fmt.Sprintf("Forbidden (%s): %s", reason, r.URL.Path),
						"logger", "django.security.csrf", "status_code", http.StatusForbidden)
					r = r.WithContext(context.WithValue(r.Context(), reasonKey, reason))
					h = o.failure
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
	v, ok := st.cookies[st.s.CSRFCookieName]
	return v, ok
}

// processRequest is process_request: META["CSRF_COOKIE"] from the cookie.
func (st *state) processRequest() error {
	if legacy(st.s) {
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
	tok, err := sanitize(v, st.s.RandReader())
	return tok, true, err
}

// newCookie is 4.1+'s _add_new_csrf_cookie; it returns the secret.
func (st *state) newCookie() error {
	secret, err := NewSecret(st.s.RandReader())
	if err != nil {
		return err
	}
	st.cookie, st.has, st.send = secret, true, true
	if st.s.CSRFCookieMasked && st.s.Version() == django.Django42 {
		if st.cookie, err = MaskSecret(secret, st.s.RandReader()); err != nil {
			return err
		}
	}
	return nil
}

// check is process_view's checks for an unsafe method: the reason to
// refuse r, or "".
func (st *state) check(r *http.Request) (string, error) {
	if legacy(st.s) {
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
			if !legacy(st.s) {
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
	for _, o := range st.s.CSRFTrustedOrigins {
		if !strings.Contains(o, "*") && o == origin {
			return true
		}
	}
	u, ok := urlsplit(origin, false)
	if !ok {
		return false
	}
	for _, o := range st.s.CSRFTrustedOrigins {
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
	if st.s.CSRFUseSessions {
		return st.s.SessionCookieDomain
	}
	return st.s.CSRFCookieDomain
}

// checkReferer is 4.0+'s _check_referer.
func (st *state) checkReferer(r *http.Request) string {
	ref, ok := header(r, "Referer")
	if !ok {
		return ReasonNoReferer
	}
	u, ok := urlsplit(ref, st.s.Version() == django.Django42)
	if !ok || u.scheme == "" || u.netloc == "" {
		return ReasonMalformedReferer
	}
	if u.scheme != "https" {
		return ReasonInsecureReferer
	}
	for _, o := range st.s.CSRFTrustedOrigins {
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
		if token, present = metaHeader(r, st.s.CSRFHeaderName); !present {
			return ReasonCSRFTokenMissing
		}
		source = "None"
		if name, ok := titleHeader(st.s.CSRFHeaderName); ok {
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
		hosts := slices.Clone(st.s.CSRFTrustedOrigins)
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
		token, _ = metaHeader(r, st.s.CSRFHeaderName)
	}
	token, err = sanitize(token, st.s.RandReader())
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
	rnd := st.s.RandReader()
	if legacy(st.s) {
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
// value itself, or with CSRFCookieMasked the unmasked value.
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
	if legacy(st.s) {
		tok, err := newMaskedToken(st.s.RandReader())
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
		Domain: s.CSRFCookieDomain, Path: s.CSRFCookiePath, Secure: s.CSRFCookieSecure,
		HTTPOnly: s.CSRFCookieHTTPOnly, SameSite: s.CSRFCookieSameSite,
	}
	if s.CSRFCookieAge != 0 {
		o.SetMaxAge(s.CSRFCookieAge, s.Now())
	}
	h.Add("Set-Cookie", djhttp.SetCookieHeader(s.CSRFCookieName, st.cookie, o))
	djhttp.PatchVaryHeaders(h, "Cookie")
}
