package csrf

import (
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
)

// getToken runs one GET through Middleware(s, opts...) whose view calls
// GetToken, and returns the token and the Set-Cookie header.
func getToken(t *testing.T, s django.Settings, opts ...Option) (token, setCookie string) {
	t.Helper()
	h := Middleware(s, opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := GetToken(r)
		if err != nil {
			t.Fatal(err)
		}
		token = tok
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	return token, rec.Header().Get("Set-Cookie")
}

// cookieSecret is the value of a csrftoken Set-Cookie header.
func cookieSecret(setCookie string) string {
	v, _ := strings.CutPrefix(setCookie, "csrftoken=")
	v, _, _ = strings.Cut(v, ";")
	return v
}

// TestZeroSettingsDefaults: what csrf.Settings' zero values used to mean,
// django.Settings' zero values mean now: the newest version's rules,
// crypto/rand, time.Now and slog.Default; and without WithFailureHandler
// (or with a nil one) a refused request gets the plain-text 403.
func TestZeroSettingsDefaults(t *testing.T) {
	s := django.DefaultSettings("k") // DjangoVersion, Rand, Clock, Logger zero
	before := time.Now()
	tok, set := getToken(t, s)
	secret := cookieSecret(set)
	if len(secret) != SecretLength || !TokenMatches(tok, secret) {
		t.Fatalf("newest version: cookie %q, token %q; want a bare 32-character secret that the token matches", secret, tok)
	}
	// The expiry is computed from time.Now: 52 weeks ahead, to the second.
	exp, ok := strings.CutPrefix(strings.Split(set, "; ")[1], "expires=")
	at, err := time.Parse(http.TimeFormat, exp)
	want := before.Add(time.Duration(s.CSRFCookieAge) * time.Second)
	if !ok || err != nil || at.Before(want.Add(-2*time.Second)) || at.After(time.Now().Add(time.Duration(s.CSRFCookieAge)*time.Second+time.Second)) {
		t.Errorf("expires %q (%v), want about %v", exp, err, want)
	}

	var logged bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	defer slog.SetDefault(old)
	for _, opts := range [][]Option{nil, {WithFailureHandler(nil)}} {
		rec := post(Middleware(s, opts...)(http.NotFoundHandler()), "", "x")
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Reason given for failure:\n    "+ReasonNoCSRFCookie) {
			t.Errorf("options %d: %d %q, want the plain-text 403", len(opts), rec.Code, rec.Body)
		}
	}
	if !strings.Contains(logged.String(), "Forbidden (CSRF cookie not set.): /form") {
		t.Errorf("slog.Default got %q, want Django's warning", logged.String())
	}
}

// TestSettingsInjected: a version, random source, clock and logger given
// in django.Settings are the ones the middleware uses, and
// WithFailureHandler answers refused requests with the reason.
func TestSettingsInjected(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var logged bytes.Buffer
	s := django.DefaultSettings("k")
	s.DjangoVersion = django.Django32
	s.Rand = bytes.NewReader(bytes.Repeat([]byte{4}, 4*TokenLength)) // every draw is 'b'
	s.Clock = func() time.Time { return at }
	s.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	s.CSRFCookieAge = 60
	s.CSRFCookieName = "ct"

	tok, set := getToken(t, s)
	masked := strings.Repeat("b", SecretLength) + strings.Repeat("c", SecretLength) // mask b, b+b = c
	want := "ct=" + masked + "; expires=Fri, 02 Jan 2026 03:05:05 GMT; Max-Age=60; Path=/; SameSite=Lax"
	if set != want || tok != masked {
		t.Errorf("3.2 with injected rand and clock:\n got %s (token %s)\nwant %s", set, tok, want)
	}

	var reason string
	h := Middleware(s, WithFailureHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reason = FailureReason(r)
		w.WriteHeader(http.StatusTeapot)
	})))(http.NotFoundHandler())
	if rec := post(h, "", "x"); rec.Code != http.StatusTeapot || reason != ReasonNoCSRFCookie {
		t.Errorf("failure handler: %d, reason %q", rec.Code, reason)
	}
	if !strings.Contains(logged.String(), "Forbidden (CSRF cookie not set.): /form") {
		t.Errorf("Settings.Logger got %q", logged.String())
	}
}

// TestMiddlewareCopiesSettings: the middleware keeps its own settings, so
// a caller that reuses its settings value or its slices afterwards does
// not change what is trusted.
func TestMiddlewareCopiesSettings(t *testing.T) {
	s := django.DefaultSettings("k")
	s.CSRFTrustedOrigins = []string{"https://good.example"}
	h := Middleware(s)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	s.CSRFTrustedOrigins[0] = "https://evil.example"
	s.CSRFCookieName = "other"

	secret := strings.Repeat("a", SecretLength)
	for origin, want := range map[string]int{"https://good.example": 200, "https://evil.example": 403} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(FormField+"="+secret))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Cookie", "csrftoken="+secret)
		r.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != want {
			t.Errorf("Origin %s: %d, want %d", origin, rec.Code, want)
		}
	}
}

// TestDefaultSettingsCSRF: django.DefaultSettings carries Django's
// global_settings.py CSRF defaults (the vectors test checks the Set-Cookie
// they produce against Django's own, byte for byte).
func TestDefaultSettingsCSRF(t *testing.T) {
	s := django.DefaultSettings("k")
	if s.CSRFCookieName != "csrftoken" || s.CSRFCookieAge != 31449600 || s.CSRFCookiePath != "/" ||
		s.CSRFCookieSameSite != "Lax" || s.CSRFHeaderName != "HTTP_X_CSRFTOKEN" || s.CSRFCookieDomain != "" ||
		s.CSRFCookieSecure || s.CSRFCookieHTTPOnly || s.CSRFCookieMasked || s.CSRFUseSessions ||
		s.CSRFTrustedOrigins != nil || s.AllowedHosts != nil || s.SecureProxySSLHeader != [2]string{} {
		t.Errorf("DefaultSettings CSRF part: %+v", s)
	}
	if legacy(&s) || s.RandReader() != rand.Reader {
		t.Errorf("zero version is legacy or zero Rand is not crypto/rand")
	}
}
