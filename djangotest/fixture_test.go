package djangotest_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/djangotest"
)

// testdata/dumpdata-5.2.json is `manage.py dumpdata sessions.session
// auth.user` as Django 5.2 wrote it (fixtures/sitepeer.py, ops login
// "alice", create_user "bob", dumpdata; SECRET_KEY is secret).
const dumpdata = "testdata/dumpdata-5.2.json"

const aliceSession = "1i3x8yy9jvbyl30vd5rd9eyqbzlc1mit"

// fixtureSettings are the site's settings at a time the dumped session is
// live (it expires 2026-12-17T16:04:32.998Z).
func fixtureSettings(t *testing.T, engine string) django.Settings {
	t.Helper()
	st := settings(t, engine)
	st.Clock = func() time.Time { return time.Date(2026, 12, 3, 16, 5, 0, 0, time.UTC) }
	return st
}

func TestReadFixture(t *testing.T) {
	f, err := djangotest.ReadFixtureFile(dumpdata)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Sessions) != 1 || f.Sessions[0].Key != aliceSession || f.Sessions[0].ExpireDate != "2026-12-17T16:04:32.998Z" ||
		!strings.HasPrefix(f.Sessions[0].SessionData, ".eJxVjDEOwjAMRe") {
		t.Fatalf("sessions %+v", f.Sessions)
	}
	if f.Users.Len() != 2 {
		t.Fatalf("%d users, want 2", f.Users.Len())
	}
	u, err := f.Users.User(context.Background(), "01")
	if err != nil || u.Username != "alice" || !u.IsActive || !strings.HasPrefix(u.Password, "md5$") || u.ID != "1" {
		t.Fatalf("user 1 = %+v, %v", u, err)
	}
	if b, ok := f.Users.ByUsername("bob"); !ok || b.ID != "2" {
		t.Fatalf("bob = %+v", b)
	}
	if _, err := f.Users.User(context.Background(), "3"); !errors.Is(err, auth.ErrNoUser) {
		t.Fatalf("user 3: %v, want ErrNoUser", err)
	}
	for _, bad := range []string{
		`{"model": "auth.user"}`,
		`[{"model": "sessions.session", "pk": "k", "fields": {"session_data": "x"}}]`,
		`[{"model": "sessions.session", "pk": "k", "fields": {"session_data": "x", "expire_date": "tomorrow"}}]`,
		`[{"model": "auth.user", "pk": 1.5, "fields": {"password": "x"}}]`,
		`[{"model": "auth.user", "pk": 1, "fields": {"username": "x"}}]`,
	} {
		if _, err := djangotest.ReadFixture(strings.NewReader(bad)); !errors.Is(err, djangotest.ErrFixture) {
			t.Errorf("ReadFixture(%s) = %v, want ErrFixture", bad, err)
		}
	}
}

// The rows go into django_session byte for byte, and the Go service then
// sees the fixture's user logged in with the fixture's users; after the
// dumped expire_date the session is gone.
func TestFixtureInsertSQL(t *testing.T) {
	ctx := context.Background()
	f, err := djangotest.ReadFixtureFile(dumpdata)
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "s.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if err := db.CreateTable(ctx, sdb, db.SQLite); err != nil {
		t.Fatal(err)
	}
	if err := f.InsertSQL(ctx, sdb, db.SQLite, ""); err != nil {
		t.Fatal(err)
	}
	var data, exp string
	if err := sdb.QueryRow("SELECT session_data, CAST(expire_date AS TEXT) FROM django_session WHERE session_key = ?", aliceSession).Scan(&data, &exp); err != nil {
		t.Fatal(err)
	}
	if data != f.Sessions[0].SessionData || exp != "2026-12-17 16:04:32.998000" {
		t.Fatalf("row (%q, %q), want the dumped session_data and Django's text for expire_date", data, exp)
	}

	st := fixtureSettings(t, "db")
	store, err := db.New(sdb, db.SQLite, st)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "sessionid", Value: aliceSession})
	if code, body := whoami(t, store, st, f.Users, req); code != 200 || body != "user 1" {
		t.Fatalf("whoami: %d %q, want user 1", code, body)
	}
	st.Clock = func() time.Time { return time.Date(2026, 12, 17, 16, 4, 33, 0, time.UTC) }
	late, _ := db.New(sdb, db.SQLite, st)
	if _, err := late.Load(ctx, aliceSession); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("Load after expire_date: %v, want ErrNotFound", err)
	}
}

// Stores without rows get the decoded session under the same key; a
// fixture under another SECRET_KEY is refused, naming the data's fault.
func TestFixtureSave(t *testing.T) {
	ctx := context.Background()
	f, err := djangotest.ReadFixtureFile(dumpdata)
	if err != nil {
		t.Fatal(err)
	}
	st := fixtureSettings(t, "file")
	store := fileStore(t, st)
	if err := f.Save(ctx, store, st); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "sessionid", Value: aliceSession})
	if code, body := whoami(t, store, st, f.Users, req); code != 200 || body != "user 1" {
		t.Fatalf("whoami: %d %q, want user 1", code, body)
	}

	other := fixtureSettings(t, "file")
	other.SecretKey = "not-the-fixture-key"
	if err := f.Save(ctx, fileStore(t, other), other); !errors.Is(err, django.ErrSessionCorrupted) {
		t.Fatalf("Save under another SECRET_KEY = %v, want ErrSessionCorrupted", err)
	}
	cst := fixtureSettings(t, "signed_cookies")
	cs, _ := signedcookies.New(cst)
	if err := f.Save(ctx, cs, cst); !errors.Is(err, django.ErrImproperlyConfigured) {
		t.Fatalf("Save into signed_cookies = %v, want ErrImproperlyConfigured", err)
	}
}

// ReadFixture takes files users did not check: it must fail with
// ErrFixture, never panic, on any input.
func FuzzReadFixture(f *testing.F) {
	f.Add(`[{"model": "sessions.session", "pk": "k", "fields": {"session_data": "x", "expire_date": "2026-12-17T16:04:32.998Z"}}]`)
	f.Add(`[{"model": "auth.user", "pk": 1, "fields": {"password": "md5$a$b", "is_active": false}}]`)
	f.Add(`[{"model": "auth.user", "pk": "0b1d", "fields": {"password": "x", "username": null}}]`)
	f.Fuzz(func(t *testing.T, doc string) {
		fx, err := djangotest.ReadFixture(strings.NewReader(doc))
		if err != nil {
			if !errors.Is(err, djangotest.ErrFixture) {
				t.Fatalf("error %v is not ErrFixture", err)
			}
			return
		}
		for _, s := range fx.Sessions {
			if s.ExpireDate == "" {
				t.Fatalf("a session without expire_date: %+v", s)
			}
		}
	})
}
