package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
)

// A session auth hash that does not match is what a SECRET_KEY unlike
// Django's makes of every session: by default the user is anonymous here,
// the session is left for Django, and the log names the setting; with
// Settings.DiscardUnreadable the session is flushed, as Django does.
func TestHashMismatchLeavesTheSession(t *testing.T) {
	ctx := context.Background()
	for _, discard := range []bool{false, true} {
		var logs bytes.Buffer
		a, st, _ := setup(t, django.Django52, func(s *django.Settings) {
			s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			s.DiscardUnreadable = discard
		})
		sess := django.NewSession(ctx, st, "")
		sess.Set(SessionKey, "1")
		sess.Set(BackendSessionKey, ModelBackend)
		sess.Set(HashSessionKey, SessionAuthHash(alice.Password, "the-django-sites-real-key"))
		if err := sess.Save(ctx); err != nil {
			t.Fatal(err)
		}
		key := sess.Key()
		sess = django.NewSession(ctx, st, key)
		u, err := a.GetUser(ctx, sess)
		if err != nil || u != nil {
			t.Fatalf("discard=%v: GetUser = %v, %v; want anonymous", discard, u, err)
		}
		exists, err := st.Exists(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if exists == discard {
			t.Fatalf("discard=%v: the stored session exists=%v after a hash mismatch", discard, exists)
		}
		if !discard && !strings.Contains(logs.String(), "SECRET_KEY") {
			t.Fatalf("the log does not name SECRET_KEY: %s", logs.String())
		}
	}
}

// A session whose data this service could not use is an anonymous user,
// not an error: a read-only page must not fail for it.
func TestGetUserOfUnreadableSession(t *testing.T) {
	ctx := context.Background()
	a, st, s := setup(t, django.Django52)
	other := *s
	other.SecretKey = "the-django-sites-real-key"
	djangoStore, err := file.New(other)
	if err != nil {
		t.Fatal(err)
	}
	sess := django.NewSession(ctx, djangoStore, "")
	sess.Set(SessionKey, "1")
	sess.Set(BackendSessionKey, ModelBackend)
	if err := sess.Save(ctx); err != nil {
		t.Fatal(err)
	}
	mine := django.NewSession(ctx, st, sess.Key())
	if u, err := a.GetUser(ctx, mine); err != nil || u != nil || !errors.Is(mine.Err(), django.ErrUnreadable) {
		t.Fatalf("GetUser = %v, %v; want anonymous and no error", u, err)
	}
	if err := a.Login(ctx, mine, alice, ""); err != nil {
		t.Fatalf("Login over an unreadable session: %v", err)
	}
	if mine.Key() == sess.Key() {
		t.Fatal("Login kept the unreadable session's key")
	}
}
