package djangotest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/django/csrf"
	"github.com/djsession/djsession/djangotest"
	"github.com/djsession/djsession/internal/sitepeer"
)

const secret = "djangotest-secret-key-0123456789abcdef"

var alice = &auth.User{ID: "42", Username: "alice", IsActive: true,
	Password: "pbkdf2_sha256$1000000$salt$AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg="}

var frozen = time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC)

func settings(t *testing.T, engine string) django.Settings {
	t.Helper()
	st := django.DefaultSettings(secret)
	st.SessionEngine = django.EngineName(engine)
	st.SessionFilePath = t.TempDir()
	st.Clock = func() time.Time { return frozen }
	st.Rand = rand.New(rand.NewSource(1))
	st.Logger = discard()
	return st
}

func fileStore(t *testing.T, st django.Settings) *file.Store {
	t.Helper()
	s, err := file.New(st)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// whoami runs r through the session and CSRF middlewares to a handler that
// asks auth who is logged in.
func whoami(t *testing.T, store django.Store, st django.Settings, users auth.UserStore, r *http.Request) (int, string) {
	t.Helper()
	h := sitepeer.WhoAmI(&auth.Auth{Users: users})
	rec := httptest.NewRecorder()
	django.Middleware(store)(csrf.Middleware(st)(h)).ServeHTTP(rec, r)
	return rec.Code, rec.Body.String()
}

// The file store holds what Django's login() writes, in Django's key
// order, with the hash of the user's password field under SECRET_KEY,
// and the cookie has the attributes of Django's SessionMiddleware.
func TestLoginFileStore(t *testing.T) {
	ctx := context.Background()
	st := settings(t, "file")
	store := fileStore(t, st)
	cookie, err := djangotest.Login(ctx, store, alice)
	if err != nil {
		t.Fatal(err)
	}
	if cookie.Name != "sessionid" || !django.ValidSessionKey(cookie.Value) {
		t.Fatalf("cookie %s=%q, want sessionid=<a session key>", cookie.Name, cookie.Value)
	}
	if !cookie.HttpOnly || cookie.Secure || cookie.Path != "/" || cookie.SameSite != http.SameSiteLaxMode ||
		cookie.MaxAge != 1209600 || !cookie.Expires.Equal(frozen.Add(1209600*time.Second)) {
		t.Fatalf("cookie attributes %+v, want Django's defaults", cookie)
	}
	data, err := store.Load(ctx, cookie.Value)
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{auth.SessionKey, auth.BackendSessionKey, auth.HashSessionKey}
	if got := data.Keys(); !slices.Equal(got, wantKeys) {
		t.Fatalf("session keys %v, want %v", got, wantKeys)
	}
	want := map[string]string{
		auth.SessionKey:        "42",
		auth.BackendSessionKey: auth.ModelBackend,
		auth.HashSessionKey:    auth.SessionAuthHash(alice.Password, secret),
	}
	for k, v := range want {
		if got, _ := data.Get(k); got != v {
			t.Errorf("session[%q] = %v, want %q", k, got, v)
		}
	}

	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	if code, body := whoami(t, store, st, djangotest.NewUsers(alice), req); code != 200 || body != "user 42" {
		t.Fatalf("whoami: %d %q, want user 42", code, body)
	}
	// A password change logs the session out, as in Django.
	changed := *alice
	changed.Password += "x"
	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	if _, body := whoami(t, store, st, djangotest.NewUsers(&changed), req); body != "anonymous" {
		t.Fatalf("after a password change: %q, want anonymous", body)
	}
}

// With CSRF_USE_SESSIONS the rotated secret is the fourth key, as
// rotate_token leaves it, and no csrftoken cookie is sent; without it the
// cookie is. Either way a POST with LoggedIn.AddTo passes CSRF checks.
func TestLoginCSRF(t *testing.T) {
	for _, useSessions := range []bool{false, true} {
		t.Run(fmt.Sprint("UseSessions=", useSessions), func(t *testing.T) {
			ctx := context.Background()
			st := settings(t, "file")
			st.CSRFUseSessions = useSessions
			st.Logger = discard()
			store := fileStore(t, st)
			l, err := djangotest.LoginWith(ctx, store, alice, djangotest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			data, err := store.Load(ctx, l.Session.Value)
			if err != nil {
				t.Fatal(err)
			}
			var secretNow string
			if useSessions {
				want := []string{auth.SessionKey, auth.BackendSessionKey, auth.HashSessionKey, csrf.SessionKey}
				if got := data.Keys(); !slices.Equal(got, want) {
					t.Fatalf("session keys %v, want %v", got, want)
				}
				if l.CSRF != nil {
					t.Fatalf("a csrftoken cookie %v with CSRF_USE_SESSIONS", l.CSRF)
				}
				v, _ := data.Get(csrf.SessionKey)
				secretNow, _ = v.(string)
			} else {
				if data.Has(csrf.SessionKey) {
					t.Fatal("_csrftoken in the session without CSRF_USE_SESSIONS")
				}
				if l.CSRF == nil || l.CSRF.Name != "csrftoken" {
					t.Fatalf("CSRF cookie %v, want csrftoken", l.CSRF)
				}
				secretNow = l.CSRF.Value
			}
			if len(secretNow) != csrf.SecretLength || !csrf.TokenMatches(l.CSRFToken, secretNow) {
				t.Fatalf("token %q does not match the rotated secret %q", l.CSRFToken, secretNow)
			}

			post := httptest.NewRequest("POST", "/", nil)
			l.AddTo(post)
			if code, body := whoami(t, store, st, djangotest.NewUsers(alice), post); code != 200 || body != "user 42" {
				t.Fatalf("POST: %d %q, want user 42", code, body)
			}
			bare := httptest.NewRequest("POST", "/", nil)
			bare.AddCookie(l.Session)
			if code, _ := whoami(t, store, st, djangotest.NewUsers(alice), bare); code != http.StatusForbidden {
				t.Fatalf("POST without the token: %d, want 403", code)
			}
		})
	}
}

// With signed_cookies the cookie is the session: it decodes to the auth
// keys, and it logs the request in.
func TestLoginSignedCookies(t *testing.T) {
	ctx := context.Background()
	st := settings(t, "signed_cookies")
	store, err := signedcookies.New(st)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	if err := djangotest.AddLogin(req, store, alice); err != nil {
		t.Fatal(err)
	}
	cookie, err := req.Cookie("sessionid")
	if err != nil {
		t.Fatal(err)
	}
	data, err := store.Load(ctx, cookie.Value)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := data.Get(auth.HashSessionKey); got != auth.SessionAuthHash(alice.Password, secret) {
		t.Fatalf("hash %v", got)
	}
	if got := data.Keys(); !slices.Equal(got, []string{auth.SessionKey, auth.BackendSessionKey, auth.HashSessionKey}) {
		t.Fatalf("keys %v", got)
	}
	if code, body := whoami(t, store, st, djangotest.NewUsers(alice), req); code != 200 || body != "user 42" {
		t.Fatalf("whoami: %d %q, want user 42", code, body)
	}
	// Another SECRET_KEY cannot read it.
	other := st
	other.SecretKey = "another-key"
	otherStore, _ := signedcookies.New(other)
	if _, err := otherStore.Load(ctx, cookie.Value); err == nil {
		t.Fatal("the cookie verified under another SECRET_KEY")
	}
}

// Django 3.2 with DEFAULT_HASHING_ALGORITHM = "sha1" stores the legacy
// hash, as auth computes it for that version.
func TestLoginDjango32SHA1(t *testing.T) {
	ctx := context.Background()
	st := settings(t, "file")
	st.DjangoVersion = django.Django32
	st.DefaultHashingAlgorithm = "sha1"
	store := fileStore(t, st)
	cookie, err := djangotest.Login(ctx, store, alice)
	if err != nil {
		t.Fatal(err)
	}
	data, err := store.Load(ctx, cookie.Value)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := data.Get(auth.HashSessionKey); got != auth.LegacySessionAuthHash(alice.Password, secret) {
		t.Fatalf("hash %v, want the sha1 hash", got)
	}
}

// A store that fails makes Login fail with ErrLogin and the store's own
// error, not a cookie.
func TestLoginStoreFailure(t *testing.T) {
	ctx := context.Background()
	st := settings(t, "file")
	store := fileStore(t, st)
	if err := os.RemoveAll(st.SessionFilePath); err != nil {
		t.Fatal(err)
	}
	cookie, err := djangotest.Login(ctx, store, alice)
	if !errors.Is(err, djangotest.ErrLogin) || !errors.Is(err, django.ErrBackend) || cookie != nil {
		t.Fatalf("Login over a missing directory = %v, %v; want ErrLogin wrapping ErrBackend", cookie, err)
	}
	if _, err := djangotest.Login(ctx, store, nil); !errors.Is(err, djangotest.ErrLogin) {
		t.Fatalf("Login(nil user) = %v, want ErrLogin", err)
	}

	// The signed_cookies store refuses at the response, in the session
	// middleware: its error still reaches the caller.
	cst := settings(t, "signed_cookies")
	small, err := signedcookies.New(cst, signedcookies.WithSizeLimit(64))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := djangotest.Login(ctx, small, alice); !errors.Is(err, djangotest.ErrLogin) || !errors.Is(err, signedcookies.ErrCookieTooLarge) {
		t.Fatalf("Login with a 64-byte cookie limit = %v, want ErrLogin wrapping ErrCookieTooLarge", err)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
