package compat_test

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/signedcookies"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/django/csrf"
	"github.com/djsession/djsession/djangotest"
)

// Sessions minted by package djangotest, without Django, are ones Django
// 5.2 sees as logged in (issue 10, section 9); and the dumpdata loader
// reads what Django 5.2's dumpdata writes.

// siteUser creates a user in the site's auth_user and returns it as auth
// sees it.
func siteUser(t *testing.T, p *peer, username string) *auth.User {
	t.Helper()
	r := p.ok(t, map[string]any{"op": "create_user", "username": username})
	return &auth.User{ID: r["user_id"].(string), Password: r["password"].(string), IsActive: true, Username: username}
}

// A session minted into Django's own SQLite django_session, with
// CSRF_USE_SESSIONS on: Django sees the user, reads the rotated CSRF
// secret from the session, and its own login() leaves the same auth keys
// and cookie attributes.
func TestDjangotestLoginDB(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	p := sitePeer(t, map[string]any{"engine": "db", "database": map[string]any{"vendor": "sqlite", "path": dbPath},
		"secret_key": siteSecret, "csrf_use_sessions": true})
	user := siteUser(t, p, "alice")

	logs := &logBuffer{}
	st := goSettings("db", logs)
	st.CSRFUseSessions = true // as the site's settings
	store, err := db.New(openSQLite(t, dbPath), db.SQLite, st)
	if err != nil {
		t.Fatal(err)
	}
	l, err := djangotest.LoginWith(context.Background(), store, user, djangotest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	who := p.ok(t, map[string]any{"op": "whoami", "cookie": l.Session.Value})
	if who["user_id"] != user.ID {
		t.Fatalf("Django sees %v logged in, want user %s (log: %s)", who["user_id"], user.ID, logs)
	}
	data, _ := who["data"].(map[string]any)
	if secret, _ := who["csrf_secret"].(string); secret == "" || secret != data[csrf.SessionKey] || !csrf.TokenMatches(l.CSRFToken, secret) {
		t.Fatalf("Django's CSRF secret %v; session %v; token %q: want the rotated secret", who["csrf_secret"], data[csrf.SessionKey], l.CSRFToken)
	}
	if data[auth.HashSessionKey] != auth.SessionAuthHash(user.Password, siteSecret) || data[auth.BackendSessionKey] != auth.ModelBackend {
		t.Fatalf("session as Django reads it: %v", data)
	}

	// Django's own login() of another user: the same keys (less the CSRF
	// secret, which its RequestFactory login has no middleware to store),
	// and the same cookie attributes.
	dj := p.ok(t, map[string]any{"op": "login", "username": "bob"})
	_, djData := djangoUser(t, p, dj["cookie"].(string))
	goKeys := slices.Sorted(func(yield func(string) bool) {
		for k := range data {
			if k != csrf.SessionKey && !yield(k) {
				return
			}
		}
	})
	djKeys := slices.Sorted(func(yield func(string) bool) {
		for k := range djData {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(goKeys, djKeys) {
		t.Fatalf("keys %v, Django's login leaves %v", goKeys, djKeys)
	}
	var djCookie *http.Cookie
	for _, line := range dj["set_cookie"].([]any) {
		if c, err := http.ParseSetCookie(line.(string)); err == nil && c.Name == st.SessionCookieName {
			djCookie = c
		}
	}
	if djCookie == nil {
		t.Fatalf("Django's login set no session cookie: %v", dj["set_cookie"])
	}
	got, want := *l.Session, *djCookie
	// The value and expires (the time of each login) differ by nature.
	got.Value, got.Expires, got.Raw, want.Value, want.Expires, want.Raw = "", time.Time{}, "", "", time.Time{}, ""
	if got.String() != want.String() || got.MaxAge != want.MaxAge {
		t.Fatalf("cookie %q, Django's %q", got.String(), want.String())
	}
}

// A signed_cookies cookie minted by djangotest logs the user in to Django.
func TestDjangotestLoginSignedCookies(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	p := sitePeer(t, map[string]any{"engine": "signed_cookies", "database": map[string]any{"vendor": "sqlite", "path": dbPath},
		"secret_key": siteSecret})
	user := siteUser(t, p, "carol")
	st := goSettings("signed_cookies", &logBuffer{})
	store, err := signedcookies.New(st)
	if err != nil {
		t.Fatal(err)
	}
	cookie, err := djangotest.Login(context.Background(), store, user)
	if err != nil {
		t.Fatal(err)
	}
	if id, data := djangoUser(t, p, cookie.Value); id != user.ID || data[auth.SessionKey] != user.ID {
		t.Fatalf("Django sees %q logged in (session %v), want user %s", id, data, user.ID)
	}
	// The same user with another password is not logged in by it.
	other := *user
	other.Password = "md5$other$0123"
	stale, err := djangotest.Login(context.Background(), store, &other)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := djangoUser(t, p, stale.Value); id != "" {
		t.Fatalf("a session with another password's hash: Django sees %q, want anonymous", id)
	}
}

// Django 5.2's dumpdata output loads: the rows go into another database
// byte for byte, and the Go service sees the user Django logged in, with
// the fixture's users.
func TestDjangotestDumpdata(t *testing.T) {
	dir := t.TempDir()
	sitePath := filepath.Join(dir, "site.sqlite3")
	p := sitePeer(t, map[string]any{"engine": "db", "database": map[string]any{"vendor": "sqlite", "path": sitePath},
		"secret_key": siteSecret})
	login := p.ok(t, map[string]any{"op": "login", "username": "dave"})
	siteUser(t, p, "erin")
	cookie, userID := login["cookie"].(string), login["user_id"].(string)
	dump := p.ok(t, map[string]any{"op": "dumpdata"})["json"].(string)

	f, err := djangotest.ReadFixture(strings.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Sessions) != 1 || f.Sessions[0].Key != cookie || f.Users.Len() != 2 {
		t.Fatalf("fixture: %d sessions (%+v), %d users", len(f.Sessions), f.Sessions, f.Users.Len())
	}
	var siteData string
	if err := openSQLite(t, sitePath).QueryRow("SELECT session_data FROM django_session WHERE session_key = ?", cookie).Scan(&siteData); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	testDB := openSQLite(t, filepath.Join(dir, "test.sqlite3"))
	if err := db.CreateTable(ctx, testDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	if err := f.InsertSQL(ctx, testDB, db.SQLite, ""); err != nil {
		t.Fatal(err)
	}
	var loaded string
	if err := testDB.QueryRow("SELECT session_data FROM django_session WHERE session_key = ?", cookie).Scan(&loaded); err != nil {
		t.Fatal(err)
	}
	if loaded != siteData {
		t.Fatalf("session_data loaded %q, Django's row %q", loaded, siteData)
	}
	st := goSettings("db", &logBuffer{})
	store, err := db.New(testDB, db.SQLite, st)
	if err != nil {
		t.Fatal(err)
	}
	a := &auth.Auth{Users: f.Users}
	u, err := a.GetUser(ctx, djsession.NewSession(ctx, store, cookie))
	if err != nil || u == nil || u.ID != userID || u.Username != "dave" {
		t.Fatalf("GetUser over the loaded fixture = %+v, %v; want dave (%s)", u, err, userID)
	}
}
