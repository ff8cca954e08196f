package compat_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/internal/sitepeer"
)

// The five misconfigurations of a Go service beside a Django 5.2 site
// (issue 9, section 3), each reproduced live: Django logs a user in, a Go
// service configured unlike Django serves a read-only page and a page that
// writes, and Django must then see the user exactly as before; or the
// store's start-up Check refuses the configuration, naming the setting. In
// every case the Go log names the setting to look at.

const siteSecret = "misconfig-django-secret-key-0123456789"

// sitePeer starts fixtures/sitepeer.py under Django 5.2 with cfg.
func sitePeer(t *testing.T, cfg map[string]any) *peer {
	t.Helper()
	django(t, "5.2") // installs Django, fails under CI when it cannot
	b, _ := json.Marshal(cfg)
	p, err := launchPeer("5.2", "sitepeer.py", "SITEPEER_CONFIG="+string(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return p
}

// logBuffer is a slog handler that keeps every record's text.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{l}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct{ l *logBuffer }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// goSite is a Go service with django.Middleware and auth: GET /read asks
// who is logged in, POST /write sets a key, POST /logout logs out.
func goSite(t *testing.T, store djsession.Store, users auth.UserStore) *httptest.Server {
	t.Helper()
	a := &auth.Auth{Users: users}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /read", sitepeer.WhoAmI(a))
	mux.HandleFunc("POST /write", sitepeer.Write(true))
	mux.HandleFunc("POST /logout", sitepeer.Logout(a))
	srv := httptest.NewServer(djsession.Middleware(store)(mux))
	t.Cleanup(srv.Close)
	return srv
}

// goRequest sends method path with the session cookie and returns the
// status and the Set-Cookie headers.
func goRequest(t *testing.T, srv *httptest.Server, method, path, cookie string) (int, []string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "sessionid", Value: cookie})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Values("Set-Cookie")
}

// djangoUser is who Django sees logged in with cookie ("" for anonymous),
// and the session as Django reads it.
func djangoUser(t *testing.T, p *peer, cookie string) (string, map[string]any) {
	t.Helper()
	r := p.ok(t, map[string]any{"op": "whoami", "cookie": cookie})
	id, _ := r["user_id"].(string)
	data, _ := r["data"].(map[string]any)
	return id, data
}

// goSettings are Django's settings as the site runs them, with the Go
// service's logger.
func goSettings(engine string, logs *logBuffer) djsession.Settings {
	st := djsession.DefaultSettings(siteSecret)
	st.SessionEngine = djsession.EngineName(engine)
	st.DjangoVersion = djsession.Django52
	st.Logger = logs.logger()
	return st
}

func randomName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	return sdb
}

func redisClient(t *testing.T, n int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: n})
	if err := c.Ping(context.Background()).Err(); err != nil {
		cacheMissing(t, "Redis: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func redisCache(t *testing.T, c *redis.Client, prefix string) cache.Cache {
	t.Helper()
	rc, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: prefix}, c)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// unchanged asserts that Django sees the same user and session as before
// the Go requests.
func unchanged(t *testing.T, p *peer, cookie, userID string, before map[string]any) {
	t.Helper()
	id, data := djangoUser(t, p, cookie)
	if id != userID {
		t.Fatalf("after the Go requests Django sees user %q, want %q (logged out by the Go service)", id, userID)
	}
	if _, ok := data["go_wrote"]; ok {
		t.Fatalf("the Go service wrote over Django's session: %v", data)
	}
	if fmt.Sprint(data) != fmt.Sprint(before) {
		t.Fatalf("Django's session changed: %v, was %v", data, before)
	}
}

// noSessionCookie asserts that a Go response did not set, replace or
// delete the browser's session cookie.
func noSessionCookie(t *testing.T, what string, setCookie []string) {
	t.Helper()
	for _, c := range setCookie {
		if strings.HasPrefix(c, "sessionid=") {
			t.Fatalf("%s: the Go service sent %q", what, c)
		}
	}
}

func logNames(t *testing.T, logs *logBuffer, setting string) {
	t.Helper()
	if !strings.Contains(logs.String(), setting) {
		t.Fatalf("the Go log does not name %s:\n%s", setting, logs.String())
	}
}

// Case 1: SECRET_KEY differs from Django's, on the cache and cached_db
// engines. The session is an unsigned pickle, so Go reads it; the auth
// hash does not match, and Django's reaction (flush) would log the user
// out of Django: Go only answers anonymous and logs SECRET_KEY.
func TestMisconfigWrongSecretKeyCache(t *testing.T) {
	for _, engine := range []string{"cache", "cached_db"} {
		t.Run(engine, func(t *testing.T) {
			rc := redisClient(t, 0)
			prefix := randomName("mc1")
			dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
			p := sitePeer(t, map[string]any{"engine": engine, "database": map[string]any{"vendor": "sqlite", "path": dbPath},
				"redis": "redis://127.0.0.1:6379/0", "key_prefix": prefix, "secret_key": siteSecret})
			login := p.ok(t, map[string]any{"op": "login", "username": "alice"})
			cookie, userID := login["cookie"].(string), login["user_id"].(string)
			_, before := djangoUser(t, p, cookie)

			logs := &logBuffer{}
			st := goSettings(engine, logs)
			st.SecretKey = "not-the-django-secret-key"
			sdb := openSQLite(t, dbPath)
			var store djsession.Store = mustCacheStore(t, redisCache(t, rc, prefix), st)
			if engine == "cached_db" {
				d, err := db.New(sdb, db.SQLite, st)
				if err != nil {
					t.Fatal(err)
				}
				cdb := mustCachedDB(t, d, redisCache(t, rc, prefix))
				// The start-up check refuses this configuration, naming it.
				if err := cdb.Check(context.Background()); !errors.Is(err, djsession.ErrImproperlyConfigured) || !strings.Contains(err.Error(), "SECRET_KEY") {
					t.Fatalf("cached_db Check = %v, want a finding naming SECRET_KEY", err)
				}
				store = cdb
			}
			srv := goSite(t, store, auth.NewSQLUsers(sdb, db.SQLite, auth.UserTable{}))
			status, sc := goRequest(t, srv, "GET", "/read", cookie)
			if status != http.StatusOK {
				t.Fatalf("read: status %d", status)
			}
			noSessionCookie(t, "read", sc)
			unchanged(t, p, cookie, userID, before)
			logNames(t, logs, "SECRET_KEY")
		})
	}
}

// Case 2: SECRET_KEY differs, db engine: Session.Err names SECRET_KEY, the
// user is anonymous, a write is refused (500) instead of replacing
// Django's row, and the start-up Check refuses the configuration.
func TestMisconfigWrongSecretKeyDB(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	p := sitePeer(t, map[string]any{"engine": "db", "database": map[string]any{"vendor": "sqlite", "path": dbPath}, "secret_key": siteSecret})
	login := p.ok(t, map[string]any{"op": "login", "username": "bob"})
	cookie := login["cookie"].(string)

	logs := &logBuffer{}
	st := goSettings("db", logs)
	st.SecretKey = "not-the-django-secret-key"
	sdb := openSQLite(t, dbPath)
	store, err := db.New(sdb, db.SQLite, st)
	if err != nil {
		t.Fatal(err)
	}
	unreadableDB(t, p, store, logs, auth.NewSQLUsers(sdb, db.SQLite, auth.UserTable{}), cookie, djsession.ErrUnreadable, "SECRET_KEY")
}

// unreadableDB is the course of cases 2 and 4: the start-up Check refuses
// the settings and the session's error names the setting; a read-only page
// answers, a write is refused (500), neither touches the cookie, and Django
// sees the user and the session exactly as before.
func unreadableDB(t *testing.T, p *peer, store *db.Store, logs *logBuffer, users auth.UserStore,
	cookie string, want error, setting string) {
	t.Helper()
	userID, before := djangoUser(t, p, cookie)
	if userID == "" {
		t.Fatal("Django does not see its own login")
	}
	if err := store.Check(context.Background()); !errors.Is(err, djsession.ErrImproperlyConfigured) || !strings.Contains(err.Error(), setting) {
		t.Fatalf("db Check = %v, want a finding naming %s", err, setting)
	}
	sess := djsession.NewSession(context.Background(), store, cookie)
	if err := sess.Load(context.Background()); !errors.Is(err, want) || !strings.Contains(err.Error(), setting) {
		t.Fatalf("Session.Load = %v, want %v naming %s", err, want, setting)
	}
	srv := goSite(t, store, users)
	status, sc := goRequest(t, srv, "GET", "/read", cookie)
	if status != http.StatusOK {
		t.Fatalf("read: status %d", status)
	}
	noSessionCookie(t, "read", sc)
	status, sc = goRequest(t, srv, "POST", "/write", cookie)
	if status != http.StatusInternalServerError {
		t.Fatalf("write over a session Go cannot use: status %d, want 500", status)
	}
	noSessionCookie(t, "write", sc)
	unchanged(t, p, cookie, userID, before)
	logNames(t, logs, setting)
}

// Case 3: cached_db with a KEY_PREFIX or Redis db unlike Django's: no
// request can tell, so the start-up Check must; and with the right
// settings a logout in Go removes every copy Django reads.
func TestMisconfigCachedDBPrefix(t *testing.T) {
	rc := redisClient(t, 0)
	prefix := randomName("mc3")
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	p := sitePeer(t, map[string]any{"engine": "cached_db", "database": map[string]any{"vendor": "sqlite", "path": dbPath},
		"redis": "redis://127.0.0.1:6379/0", "key_prefix": prefix, "secret_key": siteSecret})
	var cookies []string
	for _, u := range []string{"carol", "dave", "erin"} {
		cookies = append(cookies, p.ok(t, map[string]any{"op": "login", "username": u})["cookie"].(string))
	}
	sdb := openSQLite(t, dbPath)
	logs := &logBuffer{}
	st := goSettings("cached_db", logs)
	d, err := db.New(sdb, db.SQLite, st)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]cache.Cache{
		"KEY_PREFIX": redisCache(t, rc, prefix+"x"),
		"Redis db":   redisCache(t, redisClient(t, 1), prefix),
	} {
		err := mustCachedDB(t, d, c).Check(context.Background())
		if !errors.Is(err, djsession.ErrImproperlyConfigured) || !strings.Contains(err.Error(), "KEY_PREFIX") {
			t.Fatalf("%s differs from Django's: Check = %v, want a finding naming KEY_PREFIX", name, err)
		}
	}
	good := mustCachedDB(t, d, redisCache(t, rc, prefix))
	if err := good.Check(context.Background()); err != nil {
		t.Fatalf("Django's own settings: Check = %v", err)
	}
	srv := goSite(t, good, auth.NewSQLUsers(sdb, db.SQLite, auth.UserTable{}))
	status, sc := goRequest(t, srv, "POST", "/logout", cookies[0])
	if status != http.StatusOK || len(sc) == 0 || !strings.Contains(sc[0], "Max-Age=0") {
		t.Fatalf("logout: status %d, Set-Cookie %q", status, sc)
	}
	if id, _ := djangoUser(t, p, cookies[0]); id != "" {
		t.Fatalf("after a logout in Go, Django still sees user %s", id)
	}
}

// Case 4: USE_TZ/TIME_ZONE unlike Django's on MariaDB: the session looks
// expired to Go; its own data says it is live, so Session.Err names
// USE_TZ/TIME_ZONE, a write is refused instead of replacing the browser's
// login with a new session, and the start-up Check refuses the settings.
func TestMisconfigTimeZoneMariaDB(t *testing.T) {
	name := randomName("djsmisconf")
	admin, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/?timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		dbServerDown(t, "MariaDB on 127.0.0.1:3306: %v", err)
	}
	defer admin.Exec("DROP DATABASE " + name)
	// Django: USE_TZ = True (UTC wall clocks), sessions of one hour.
	p := sitePeer(t, map[string]any{"engine": "db", "database": map[string]any{"vendor": "mysql", "name": name},
		"secret_key": siteSecret, "cookie_age": 3600})
	login := p.ok(t, map[string]any{"op": "login", "username": "frank"})
	cookie := login["cookie"].(string)

	sdb, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/"+name+"?timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	logs := &logBuffer{}
	st := goSettings("db", logs)
	st.SessionCookieAge = 3600
	st.UseTZ, st.TimeZone = false, "Asia/Tokyo" // nine hours ahead of Django's UTC
	store, err := db.New(sdb, db.MySQL, st)
	if err != nil {
		t.Fatal(err)
	}
	unreadableDB(t, p, store, logs, auth.NewSQLUsers(sdb, db.MySQL, auth.UserTable{}), cookie, djsession.ErrExpiryMismatch, "TIME_ZONE")
}

// Case 5: the cache engine on another Redis db (or KEY_PREFIX) than
// Django's: the session is simply not there for Go. Django's middleware
// deletes the cookie of a session it cannot find; Go's leaves it, so a
// read-only page logs nobody out, and its debug log names the settings.
func TestMisconfigCacheRedisDB(t *testing.T) {
	prefix := randomName("mc5")
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	p := sitePeer(t, map[string]any{"engine": "cache", "database": map[string]any{"vendor": "sqlite", "path": dbPath},
		"redis": "redis://127.0.0.1:6379/0", "key_prefix": prefix, "secret_key": siteSecret})
	login := p.ok(t, map[string]any{"op": "login", "username": "grace"})
	cookie, userID := login["cookie"].(string), login["user_id"].(string)
	_, before := djangoUser(t, p, cookie)

	for name, c := range map[string]cache.Cache{
		"Redis db":   redisCache(t, redisClient(t, 1), prefix),
		"KEY_PREFIX": redisCache(t, redisClient(t, 0), prefix+"x"),
	} {
		t.Run(name, func(t *testing.T) {
			logs := &logBuffer{}
			st := goSettings("cache", logs)
			srv := goSite(t, mustCacheStore(t, c, st), auth.NewSQLUsers(openSQLite(t, dbPath), db.SQLite, auth.UserTable{}))
			status, sc := goRequest(t, srv, "GET", "/read", cookie)
			if status != http.StatusOK {
				t.Fatalf("read: status %d", status)
			}
			noSessionCookie(t, "read", sc)
			unchanged(t, p, cookie, userID, before)
			logNames(t, logs, "KEY_PREFIX")
		})
	}
}
