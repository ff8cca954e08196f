package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/csrf"
	"github.com/djsession/djsession/internal/vectors"
)

func TestSessionAuthHashVectors(t *testing.T) {
	for _, f := range vectors.PerVersion(t, "auth") {
		var v struct {
			SessionAuthHash struct {
				KeySalt string `json:"key_salt"`
				Cases   []struct {
					Password  string   `json:"password_field"`
					Secret    string   `json:"secret_key"`
					Hash      string   `json:"get_session_auth_hash"`
					Fallbacks []string `json:"fallback_hashes"`
					Legacy    string   `json:"legacy_sha1_hash"`
				} `json:"cases"`
			} `json:"session_auth_hash"`
			Fallbacks []string `json:"secret_key_fallbacks"`
		}
		f.Into(t, &v, "session_auth_hash")
		if len(v.SessionAuthHash.Cases) == 0 {
			t.Fatalf("%s: no session_auth_hash cases", f.Name)
		}
		legacy := f.Version == "3.2"
		for _, c := range v.SessionAuthHash.Cases {
			if got := SessionAuthHash(c.Password, c.Secret); got != c.Hash {
				t.Errorf("%s %q: %s, Django %s", f.Name, c.Password, got, c.Hash)
			}
			// 3.2 has the legacy hash and no fallbacks; 4.2+ the reverse.
			if legacy != (c.Legacy != "") || legacy == (len(c.Fallbacks) == len(v.Fallbacks) && len(v.Fallbacks) > 0) {
				t.Errorf("%s %q: legacy %q, %d fallback hashes for %d fallbacks", f.Name, c.Password, c.Legacy, len(c.Fallbacks), len(v.Fallbacks))
			}
			for i, fb := range c.Fallbacks {
				if got := SessionAuthHash(c.Password, v.Fallbacks[i]); got != fb {
					t.Errorf("fallback %d: %s, Django %s", i, got, fb)
				}
			}
			if c.Legacy != "" && LegacySessionAuthHash(c.Password, c.Secret) != c.Legacy {
				t.Errorf("legacy hash of %q", c.Password)
			}
		}
	}
}

type mapUsers map[string]*User

func (m mapUsers) User(_ context.Context, id string) (*User, error) {
	if u, ok := m[id]; ok {
		return u, nil
	}
	return nil, ErrNoUser
}

// The login flows of fixtures/vectors/auth-*.json (gen_login): alice and
// bob with these password fields.
var (
	alice = &User{ID: "1", Username: "alice", Password: "md5$salt$0123456789abcdef0123456789abcdef", IsActive: true}
	bob   = &User{ID: "2", Username: "bob", Password: "md5$salt$fedcba9876543210fedcba9876543210", IsActive: true}
)

// setup returns an Auth over a file store made with the interop vectors'
// settings of version, changed by opts (settings are given once, to the
// store), and those settings.
func setup(t *testing.T, version django.Version, opts ...func(*django.Settings)) (*Auth, django.Store, *django.Settings) {
	t.Helper()
	s := django.DefaultSettings("django-insecure-interop-vector-secret-key-0123456789")
	s.DjangoVersion = version
	s.SessionEngine = django.EngineFile
	s.SessionFilePath = t.TempDir()
	for _, o := range opts {
		o(&s)
	}
	st, err := file.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return &Auth{Users: mapUsers{"1": alice, "2": bob}}, st, st.Settings()
}

// The login flows (login over an anonymous session, the same user again,
// another user, a stale hash, get_user, key rotation, logout) are Django's
// rows in auth-*.json, replayed by TestLoginFlowVectors.

func TestGetUserEdgeCases(t *testing.T) {
	ctx := context.Background()
	a, st, s := setup(t, django.Django61)
	sess := django.NewSession(ctx, st, "")
	sess.Set(SessionKey, "1")
	sess.Set(BackendSessionKey, "some.other.Backend")
	sess.Set(HashSessionKey, SessionAuthHash(alice.Password, s.SecretKey))
	if u, err := a.GetUser(ctx, sess); err != nil || u != nil {
		t.Errorf("an unknown backend is anonymous: %v, %v", u, err)
	}
	sess.Set(BackendSessionKey, ModelBackend)
	sess.Set(SessionKey, "99")
	if u, err := a.GetUser(ctx, sess); err != nil || u != nil || !sess.Has(SessionKey) {
		t.Errorf("a missing user is anonymous, and the session is untouched: %v, %v", u, err)
	}
	// Django's mode: the same session over a store with DiscardUnreadable.
	_, dst, _ := setup(t, django.Django61, djangoMode)
	sess = django.NewSession(ctx, dst, "")
	sess.Set(SessionKey, "1")
	sess.Set(BackendSessionKey, ModelBackend)
	sess.Set(HashSessionKey, "")
	if u, err := a.GetUser(ctx, sess); err != nil || u != nil || sess.Has(SessionKey) {
		t.Errorf("an empty hash flushes in Django's mode: %v, %v", u, err)
	}
	// 3.2 accepts the legacy sha1 hash.
	a32, st32, s32 := setup(t, django.Django32)
	old := django.NewSession(ctx, st32, "")
	old.Set(SessionKey, "1")
	old.Set(BackendSessionKey, ModelBackend)
	old.Set(HashSessionKey, LegacySessionAuthHash(alice.Password, s32.SecretKey))
	if u, err := a32.GetUser(ctx, old); err != nil || u == nil {
		t.Errorf("3.2 accepts the legacy sha1 session hash: %v, %v", u, err)
	}
	// An empty password still hashes (Django hashes whatever the user
	// row holds); both values are Django 3.2's salted_hmac(...).hexdigest().
	if got, want := SessionAuthHash("", "k"), "8d81ac7873030a743046c0e4c3690418136e46f7fd8d17281e5c2b4f4e241754"; got != want {
		t.Errorf("SessionAuthHash(\"\", \"k\") = %s, Django's is %s", got, want)
	}
	if got, want := LegacySessionAuthHash("", "k"), "369428f8400cbf1270024db8fbf94b7fd3449c6b"; got != want {
		t.Errorf("LegacySessionAuthHash(\"\", \"k\") = %s, Django's is %s", got, want)
	}
}

func TestLoginRequestRotatesCSRF(t *testing.T) {
	a, st, s := setup(t, django.Django61)
	var before, after string
	h := django.Middleware(st)(csrf.Middleware(*s)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before, _ = csrf.GetToken(r)
		if err := a.LoginRequest(r, alice, ""); err != nil {
			t.Error(err)
		}
		after, _ = csrf.GetToken(r)
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	s1, _ := csrf.UnmaskToken(before)
	s2, _ := csrf.UnmaskToken(after)
	if s1 == "" || s2 == "" || s1 == s2 {
		t.Errorf("the CSRF secret was not rotated: %q %q", before, after)
	}
	cookies := strings.Join(rec.Header().Values("Set-Cookie"), "\n")
	if !strings.Contains(cookies, "sessionid=") || !strings.Contains(cookies, "csrftoken=") {
		t.Errorf("Set-Cookie %q", cookies)
	}
}
