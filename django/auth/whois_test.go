package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/djsession/djsession/django"
)

// TestWhoisAgreesWithGetUser: for every (backend, user) shape, Whois finds
// a user exactly when GetUser logs one in, and says why when it does not.
func TestWhoisAgreesWithGetUser(t *testing.T) {
	ctx := context.Background()
	const custom = "myapp.backends.AllowAllBackend"
	carol := &User{ID: "3", Password: "md5$salt$00112233445566778899aabbccddeeff", IsActive: false}
	for _, c := range []struct {
		name     string
		backends []string
		backend  string
		user     *User
		id       string
		why      string // "" when a user is found
	}{
		{"active user, ModelBackend", nil, ModelBackend, alice, "1", ""},
		{"backend not configured", nil, custom, alice, "1", "not in Auth.Backends"},
		{"no backend in the session", nil, "", alice, "1", "not in Auth.Backends"},
		{"backend removed from the list", []string{custom}, ModelBackend, alice, "1", "not in Auth.Backends"},
		{"inactive user, ModelBackend", nil, ModelBackend, carol, "3", "inactive"},
		{"inactive user, a backend that allows it", []string{ModelBackend, custom}, custom, carol, "3", ""},
		{"missing user", nil, ModelBackend, nil, "99", "no such user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, st, s := setup(t, django.Django52)
			a.Users = mapUsers{"1": alice, "2": bob, "3": carol}
			a.Backends = c.backends

			// The same session through GetUser.
			sess := django.NewSession(ctx, st, "")
			sess.Set(SessionKey, c.id)
			sess.Set(BackendSessionKey, c.backend)
			hash := ""
			if c.user != nil {
				hash = SessionAuthHashFor(s, c.user.Password)
			}
			sess.Set(HashSessionKey, hash)
			if err := sess.Save(ctx); err != nil {
				t.Fatal(err)
			}
			loaded := django.NewSession(ctx, st, sess.Key())
			got, err := a.GetUser(ctx, loaded)
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}

			user, valid, err := a.Whois(ctx, s, c.id, c.backend, hash)
			if c.why == "" {
				if err != nil || user != c.user || !valid {
					t.Fatalf("Whois = %v, %v, %v; want %s with a valid hash", user, valid, err, c.id)
				}
				if got != c.user {
					t.Errorf("GetUser = %v; Whois found %s", got, c.id)
				}
				return
			}
			if !errors.Is(err, ErrNoUser) || user != nil || valid {
				t.Fatalf("Whois = %v, %v, %v; want ErrNoUser", user, valid, err)
			}
			if !strings.Contains(err.Error(), c.why) {
				t.Errorf("Whois error %q does not say %q", err, c.why)
			}
			if got != nil {
				t.Errorf("GetUser logged in %s where Whois finds no user", got.ID)
			}
		})
	}
}
