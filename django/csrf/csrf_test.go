package csrf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
)

func post(h http.Handler, cookie, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/form", strings.NewReader(url.Values{FormField: {token}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestMaskRoundTrip(t *testing.T) {
	secret, err := NewSecret(nil2rand())
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		tok, _ := MaskSecret(secret, nil2rand())
		if un, err := UnmaskToken(tok); err != nil || un != secret || !TokenMatches(tok, secret) {
			t.Fatalf("%s: %s %v", tok, un, err)
		}
	}
	if TokenMatches(strings.Repeat("!", 64), secret) || TokenMatches(secret[:31], secret) {
		t.Error("malformed token matched")
	}
	if _, err := MaskSecret("short", nil2rand()); !errors.Is(err, ErrInvalidToken) {
		t.Error(err)
	}
}

func nil2rand() io.Reader { return source(nil) }

func TestExemptThroughServeMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", ExemptFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hook") }))
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "form") })
	h := Middleware(django.DefaultSettings("k"))(mux)
	// A refused request first: it must not change how later requests are
	// handled.
	for _, c := range []struct {
		path string
		want int
	}{{"/form", 403}, {"/webhook", 200}, {"/form", 403}, {"/webhook", 200}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", c.path, nil))
		if rec.Code != c.want {
			t.Errorf("%s: %d, want %d", c.path, rec.Code, c.want)
		}
	}
}

func TestReasons41(t *testing.T) {
	h := Middleware(django.DefaultSettings("k"))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	secret := "kASAOsE1nYEZ9GlGHpYaax7LBejYWo6o"
	for _, tc := range []struct{ cookie, token, reason string }{
		{"", "x", ReasonNoCSRFCookie},
		{"csrftoken=abc", "x", "CSRF cookie has incorrect length."},
		{"csrftoken=" + secret, "abc", "CSRF token from POST has incorrect length."},
		{"csrftoken=" + secret, strings.Repeat("A", 32), "CSRF token from POST incorrect."},
	} {
		rec := post(h, tc.cookie, tc.token)
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), tc.reason) {
			t.Errorf("%q/%q: %d %s", tc.cookie, tc.token, rec.Code, rec.Body)
		}
	}
	// The header fallback names the header as Django does.
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Cookie", "csrftoken="+secret)
	r.Header.Set("X-CSRFToken", "short")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if !strings.Contains(rec.Body.String(), "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.") {
		t.Error(rec.Body.String())
	}
}

func TestUseSessions(t *testing.T) {
	// One settings value for the session store and for CSRF.
	s := django.DefaultSettings("k")
	s.SessionEngine = django.EngineSignedCookies
	s.CSRFUseSessions = true
	store, err := signedcookies.New(s)
	if err != nil {
		t.Fatal(err)
	}
	var token string
	h := django.Middleware(store)(Middleware(s)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			token, _ = GetToken(r)
		}
		io.WriteString(w, "ok")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	cookies := rec.Header().Values("Set-Cookie")
	if len(cookies) != 1 || !strings.HasPrefix(cookies[0], "sessionid=") {
		t.Fatalf("want only the session cookie, got %q", cookies)
	}
	sess, _, _ := strings.Cut(cookies[0], ";")
	if rec := post(h, sess, token); rec.Code != 200 {
		t.Errorf("token from the session refused: %d %s", rec.Code, rec.Body)
	}
	if rec := post(h, "", token); rec.Code != 403 || !strings.Contains(rec.Body.String(), ReasonNoCSRFCookie) {
		t.Errorf("no session: %d %s", rec.Code, rec.Body)
	}
	// Without the session middleware: a configuration error.
	rec = httptest.NewRecorder()
	Middleware(s)(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 {
		t.Errorf("no session middleware: %d", rec.Code)
	}
}

func TestNoMiddleware(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil).WithContext(context.Background())
	if _, err := GetToken(r); !errors.Is(err, ErrNoMiddleware) {
		t.Error(err)
	}
	if err := RotateToken(r); !errors.Is(err, ErrNoMiddleware) {
		t.Error(err)
	}
}

func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		token, _ := GetToken(r)
		fmt.Fprintf(w, `<input type="hidden" name="csrfmiddlewaretoken" value="%s">`, token)
	})
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "saved")
	})
	h := Middleware(django.DefaultSettings("k"))(mux)

	// The form page sets the csrftoken cookie and embeds a token.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/form", nil))
	cookie, _, _ := strings.Cut(rec.Header().Get("Set-Cookie"), ";")
	token := rec.Body.String()[strings.Index(rec.Body.String(), `value="`)+7:][:TokenLength]

	// The browser posts the form with the cookie.
	fmt.Println(post(h, cookie, token).Body.String())
	// A forged post, with the cookie but without the token, is refused.
	fmt.Println(post(h, cookie, "").Code)
	// Output:
	// saved
	// 403
}

func init() {
	// The tests refuse many requests on purpose; keep their warnings quiet.
	slog.SetDefault(slog.New(slog.DiscardHandler))
}

// TestNilRandIsCryptoRand: the token helpers take a nil random source as
// crypto/rand, as django.Settings.Rand does, instead of panicking.
func TestNilRandIsCryptoRand(t *testing.T) {
	secret, err := NewSecret(nil)
	if err != nil || !validFormat(secret) || len(secret) != SecretLength {
		t.Fatalf("NewSecret(nil) = %q, %v", secret, err)
	}
	seen := map[string]bool{}
	for range 20 {
		tok, err := MaskSecret(secret, nil)
		if err != nil {
			t.Fatalf("MaskSecret(secret, nil): %v", err)
		}
		if !TokenMatches(tok, secret) {
			t.Fatalf("%s does not match its secret", tok)
		}
		seen[tok[:SecretLength]] = true
	}
	// 20 masks drawn from crypto/rand: a repeat has probability ~ 20²/62³².
	if len(seen) != 20 {
		t.Errorf("%d distinct masks in 20 draws", len(seen))
	}
	if tok, err := newMaskedToken(nil); err != nil || len(tok) != TokenLength {
		t.Errorf("newMaskedToken(nil) = %q, %v", tok, err)
	}
}
