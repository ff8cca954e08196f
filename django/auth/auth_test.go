package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/csrf"
)

func TestSessionAuthHashVectors(t *testing.T) {
	files, _ := filepath.Glob("../../fixtures/vectors/auth-*.json")
	if len(files) == 0 {
		t.Fatal("no auth vectors")
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		var v struct {
			SessionAuthHash struct {
				Cases []struct {
					Password  string   `json:"password_field"`
					Secret    string   `json:"secret_key"`
					Hash      string   `json:"get_session_auth_hash"`
					Fallbacks []string `json:"fallback_hashes"`
					Legacy    string   `json:"legacy_sha1_hash"`
				} `json:"cases"`
			} `json:"session_auth_hash"`
			Fallbacks []string `json:"secret_key_fallbacks"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		for _, c := range v.SessionAuthHash.Cases {
			if got := SessionAuthHash(c.Password, c.Secret); got != c.Hash {
				t.Errorf("%s %q: %s, Django %s", filepath.Base(f), c.Password, got, c.Hash)
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
	alice = &User{ID: "1", Password: "md5$salt$0123456789abcdef0123456789abcdef", IsActive: true}
	bob   = &User{ID: "2", Password: "md5$salt$fedcba9876543210fedcba9876543210", IsActive: true}
)

func setup(t *testing.T, version django.Version) (*Auth, django.Store, *django.Settings) {
	t.Helper()
	s := django.DefaultSettings("django-insecure-interop-vector-secret-key-0123456789")
	s.DjangoVersion = version
	s.SessionEngine = django.EngineFile
	s.SessionFilePath = t.TempDir()
	st, err := file.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return &Auth{Settings: &s, Users: mapUsers{"1": alice, "2": bob}}, st, &s
}

func TestLoginFlows(t *testing.T) {
	ctx := context.Background()
	a, st, s := setup(t, django.Django52)

	// Anonymous session → login: key cycled, data kept.
	sess := django.NewSession(ctx, st, s, "")
	sess.Set("pre_login", "kept")
	sess.Save(ctx)
	before := sess.Key()
	if err := a.Login(ctx, sess, alice, ""); err != nil {
		t.Fatal(err)
	}
	if sess.Key() == before || sess.Key() == "" {
		t.Error("login over an anonymous session cycles the key")
	}
	if v, _ := sess.GetString("pre_login"); v != "kept" {
		t.Error("data kept")
	}
	// Django's vector: alice's hash under the vector key.
	if h, _ := sess.GetString(HashSessionKey); h != "5d20810be881da7435e13ff7e9a960920048415981a21f0c933aac7582b3308c" {
		t.Errorf("hash %s", h)
	}
	sess.Save(ctx)
	key := sess.Key()

	// The same user again: nothing happens to the key.
	again := django.NewSession(ctx, st, s, key)
	a.Login(ctx, again, alice, "")
	if again.Key() != key {
		t.Error("same user, same hash: no cycle")
	}
	// Another user over it: flushed.
	other := django.NewSession(ctx, st, s, key)
	a.Login(ctx, other, bob, "")
	if other.Has("pre_login") {
		t.Error("a different user's login flushes the session")
	}
	// get_user with a valid session.
	u, err := a.GetUser(ctx, again)
	if err != nil || u == nil || u.ID != "1" {
		t.Errorf("GetUser = %v, %v", u, err)
	}
	// A changed password logs the session out.
	changed := *alice
	changed.Password = "md5$salt$ffffffffffffffffffffffffffffffff"
	a2 := &Auth{Settings: s, Users: mapUsers{"1": &changed}}
	if u, _ := a2.GetUser(ctx, again); u != nil || again.Key() != "" {
		t.Error("a stale hash flushes and is anonymous")
	}
}

func TestGetUserAfterKeyRotation(t *testing.T) {
	ctx := context.Background()
	a, st, s := setup(t, django.Django52)
	sess := django.NewSession(ctx, st, s, "")
	a.Login(ctx, sess, alice, "")
	sess.Save(ctx)
	key := sess.Key()
	// Rotate: the old key becomes a fallback.
	s.SecretKeyFallbacks = []string{s.SecretKey}
	s.SecretKey = "brand-new-secret-key"
	st2, _ := file.New(*s)
	sess2 := django.NewSession(ctx, st2, s, key)
	u, err := a.GetUser(ctx, sess2)
	if err != nil || u == nil {
		t.Fatalf("GetUser after rotation: %v %v", u, err)
	}
	if sess2.Key() == key {
		t.Error("the key is cycled when a fallback hash matches")
	}
	// Django's vector: alice's hash under the new key.
	if h, _ := sess2.GetString(HashSessionKey); h != "a203c2361eb8a31d29ff3246a35ca05a2d5ff20c1636de422633eb3ae2b0de1d" {
		t.Errorf("re-stamped hash %s", h)
	}
}

func TestGetUserEdgeCases(t *testing.T) {
	ctx := context.Background()
	a, st, s := setup(t, django.Django61)
	sess := django.NewSession(ctx, st, s, "")
	sess.Set(SessionKey, "1")
	sess.Set(BackendSessionKey, "some.other.Backend")
	sess.Set(HashSessionKey, SessionAuthHash(alice.Password, s.SecretKey))
	if u, _ := a.GetUser(ctx, sess); u != nil {
		t.Error("an unknown backend is anonymous")
	}
	sess.Set(BackendSessionKey, ModelBackend)
	sess.Set(SessionKey, "99")
	if u, _ := a.GetUser(ctx, sess); u != nil || !sess.Has(SessionKey) {
		t.Error("a missing user is anonymous, and the session is untouched")
	}
	sess.Set(SessionKey, "1")
	sess.Set(HashSessionKey, "")
	if u, _ := a.GetUser(ctx, sess); u != nil || sess.Has(SessionKey) {
		t.Error("an empty hash flushes")
	}
	// 3.2 accepts the legacy sha1 hash.
	a32, st32, s32 := setup(t, django.Django32)
	old := django.NewSession(ctx, st32, s32, "")
	old.Set(SessionKey, "1")
	old.Set(BackendSessionKey, ModelBackend)
	old.Set(HashSessionKey, LegacySessionAuthHash(alice.Password, s32.SecretKey))
	if u, _ := a32.GetUser(ctx, old); u == nil {
		t.Error("3.2 accepts the legacy sha1 session hash")
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
	cs := csrf.DefaultSettings()
	var before, after string
	h := django.Middleware(st, *s)(csrf.Middleware(cs)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
