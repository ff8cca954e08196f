// Package sitepeer runs the live framework tests of the adapter and example
// modules (adapters/*, examples/*): it starts fixtures/sitepeer.py, a
// Django 5.2 site with Django's own SessionMiddleware,
// AuthenticationMiddleware, login() and logout() over a SQLite database,
// and drives one scenario against a Go service built on a framework: login
// in Django, the user in the framework's handler, a write Django sees, a
// logout in Go that Django honours.
//
// It lives in the library's internal/ so that every adapter module (each a
// module of its own, with a replace directive) shares one copy, and the
// library's go.mod gains no framework.
package sitepeer

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"

	_ "modernc.org/sqlite" // the SQLite database the Django peer migrates
)

// Version is the Django version the framework tests run against.
const Version = "5.2"

// SecretKey is the SECRET_KEY both sides share.
const SecretKey = "django-insecure-framework-adapters-live-test-key"

// Root returns the repository root: the nearest directory above the
// working directory that holds fixtures/sitepeer.py.
func Root() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "fixtures", "sitepeer.py")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// Live reports whether live tests run: DJSESSION_LIVE=1, or CI=true,
// where a live test never skips.
func Live() bool { return os.Getenv("DJSESSION_LIVE") == "1" || os.Getenv("CI") == "true" }

// RequireLive skips t unless live tests run.
func RequireLive(t testing.TB) {
	t.Helper()
	if !Live() {
		t.Skip("live Django tests: set DJSESSION_LIVE=1 (make test does)")
	}
}

// Missing reports a server or tool the live test needs and cannot reach:
// a failure under CI=true, a skip elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (skipping; under CI=true this fails)", args...)
}

var (
	installOnce sync.Once
	installErr  error
)

// Peer is one fixtures/sitepeer.py process: one JSON request per line.
type Peer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	mu  sync.Mutex
}

// Start installs Django (fixtures/install-django.sh, once per test binary)
// and starts sitepeer.py under Django 5.2 with cfg as SITEPEER_CONFIG; the
// process ends with the test.
func Start(t testing.TB, cfg map[string]any) *Peer {
	t.Helper()
	RequireLive(t)
	root := Root()
	if root == "" {
		t.Fatal("fixtures/sitepeer.py not found above the working directory")
	}
	installOnce.Do(func() {
		out, err := exec.Command("bash", filepath.Join(root, "fixtures", "install-django.sh")).CombinedOutput()
		if err != nil {
			installErr = fmt.Errorf("fixtures/install-django.sh: %v\n%s", err, out)
		}
	})
	if installErr != nil {
		t.Fatal(installErr)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "fixtures", "python.sh"), Version, filepath.Join(root, "fixtures", "sitepeer.py"))
	cmd.Env = append(os.Environ(), "SITEPEER_CONFIG="+string(b))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Peer{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	t.Cleanup(func() {
		p.in.Close()
		p.cmd.Wait()
	})
	return p
}

// Call sends one op and returns Django's answer; a transport failure or an
// answer that is not ok fails t.
func (p *Peer) Call(t testing.TB, req map[string]any) map[string]any {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	line, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.in.Write(append(line, '\n')); err != nil {
		t.Fatalf("sitepeer: %v", err)
	}
	type answer struct {
		b   []byte
		err error
	}
	done := make(chan answer, 1)
	go func() {
		b, err := p.out.ReadBytes('\n')
		done <- answer{b, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-time.After(2 * time.Minute): // start-up migrates a database: generous
		t.Fatalf("sitepeer did not answer %s", line)
	}
	if a.err != nil {
		t.Fatalf("sitepeer: %v", a.err)
	}
	var m map[string]any
	if err := json.Unmarshal(a.b, &m); err != nil {
		t.Fatalf("sitepeer answer %q: %v", a.b, err)
	}
	if m["ok"] != true {
		t.Fatalf("sitepeer %s: %v: %v\n%v", line, m["exception"], m["message"], m["trace"])
	}
	return m
}

// Site is a Django site and what a Go service needs to share its sessions:
// the db engine on the site's SQLite database, and its auth_user table.
type Site struct {
	Peer     *Peer
	DB       *sql.DB
	Settings django.Settings
	Store    django.Store
	Auth     *auth.Auth
}

// NewSite starts a Django 5.2 site on a fresh SQLite database (db engine)
// and opens the same database for Go.
func NewSite(t testing.TB) *Site {
	t.Helper()
	RequireLive(t)
	path := filepath.Join(t.TempDir(), "site.sqlite3")
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	return NewSiteOn(t, map[string]any{"vendor": "sqlite", "path": path}, sdb, db.SQLite)
}

// NewSiteOn starts a Django 5.2 site (db engine) on database, sitepeer.py's
// "database" setting, which Go reaches through sqlDB with dialect. Django
// migrates it (auth_user, django_session) before NewSiteOn returns.
func NewSiteOn(t testing.TB, database map[string]any, sqlDB *sql.DB, dialect db.Dialect) *Site {
	t.Helper()
	p := Start(t, map[string]any{"engine": "db", "database": database, "secret_key": SecretKey})
	// The first answer waits for the migration.
	p.Call(t, map[string]any{"op": "whoami", "cookie": ""})
	st := django.DefaultSettings(SecretKey)
	st.SessionEngine = django.EngineDB
	st.DjangoVersion = django.Django52
	return (&Site{Peer: p, Settings: st}).On(t, sqlDB, dialect)
}

// On returns the same Django site reached through another *sql.DB (a
// second driver or pool on the same database).
func (s *Site) On(t testing.TB, sqlDB *sql.DB, dialect db.Dialect) *Site {
	t.Helper()
	st := s.Settings
	store, err := db.New(sqlDB, dialect, st)
	if err != nil {
		t.Fatal(err)
	}
	return &Site{Peer: s.Peer, DB: sqlDB, Settings: st, Store: store,
		Auth: &auth.Auth{Users: auth.NewSQLUsers(sqlDB, dialect, auth.UserTable{})}}
}

// RedisStore returns the cache engine's store on the Redis at
// 127.0.0.1:6379, database 0, as Django's RedisCache lays it out under
// keyPrefix (sitepeer's "redis" and "key_prefix"). An unreachable Redis is
// Missing. It lives here, in the library's module, so that a change of the
// cache package's API shows in the library's own build.
func RedisStore(t testing.TB, keyPrefix string, st django.Settings) django.Store {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { rc.Close() })
	if err := rc.Ping(context.Background()).Err(); err != nil {
		Missing(t, "Redis on 127.0.0.1:6379: %v", err)
	}
	c, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: keyPrefix}, rc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := cache.New(c, st)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// Login logs username in on the Django side and returns the session
// cookie's value and the user's id.
func (s *Site) Login(t testing.TB, username string) (cookie, userID string) {
	t.Helper()
	m := s.Peer.Call(t, map[string]any{"op": "login", "username": username})
	cookie, _ = m["cookie"].(string)
	userID, _ = m["user_id"].(string)
	if cookie == "" || userID == "" {
		t.Fatalf("Django login answered %v", m)
	}
	return cookie, userID
}

// WhoAmI is what Django sees for cookie: the user id ("" for anonymous)
// and the session dict (nil when the session does not load).
func (s *Site) WhoAmI(t testing.TB, cookie string) (userID string, data map[string]any) {
	t.Helper()
	m := s.Peer.Call(t, map[string]any{"op": "whoami", "cookie": cookie})
	userID, _ = m["user_id"].(string)
	data, _ = m["data"].(map[string]any)
	return userID, data
}

// Response is what the scenario keeps of a Go response.
type Response struct {
	Status    int
	Body      string
	SetCookie []string
	Vary      []string
}

// Do sends method path to the Go service at base with the session cookie
// (none when cookie is "").
func (s *Site) Do(t testing.TB, base, method, path, cookie string) Response {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", s.Settings.SessionCookieName+"="+cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Body: string(body), SetCookie: resp.Header.Values("Set-Cookie"), Vary: resp.Header.Values("Vary")}
}

// FileStore is a file store in dir with Django 5.2's defaults and secret,
// for the adapters' unit tests (two stores on one dir with two secrets
// make a session one of them cannot read).
func FileStore(t testing.TB, secret, dir string) django.Store {
	t.Helper()
	st := django.DefaultSettings(secret)
	st.SessionEngine = django.EngineFile
	st.SessionFilePath = dir
	st.DjangoVersion = django.Django52
	store, err := file.New(st)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// WhoAmI is Run's GET /whoami in net/http: "user <id>" for the Django user
// that a (get_user, the auth hash checked) finds logged in, else
// "anonymous".
func WhoAmI(a *auth.Auth) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := a.UserFromRequest(r)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case u == nil:
			fmt.Fprint(w, "anonymous")
		default:
			fmt.Fprint(w, "user "+u.ID)
		}
	}
}

// Write is Run's POST /write: it stores value under "go_wrote".
func Write(value any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := django.FromRequest(r).Set("go_wrote", value); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "written")
	}
}

// Logout is Run's POST /logout: a's logout.
func Logout(a *auth.Auth) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.LogoutRequest(r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "bye")
	}
}

// Mux serves Run's three routes with net/http's router, for the scenario
// named name.
func (s *Site) Mux(name string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", WhoAmI(s.Auth))
	mux.HandleFunc("POST /write", Write(name))
	mux.HandleFunc("POST /logout", Logout(s.Auth))
	return mux
}

// Scenario says what the Go service under test serves and sends.
type Scenario struct {
	// Name is the framework's name; POST /write stores it under "go_wrote".
	Name string
	// Vary asserts "Vary: Cookie" on every response that read the
	// session, as django.Middleware sends it under Django 5.2.
	Vary bool
}

// Run drives the scenario against the Go service at base, which serves:
//
//	GET /whoami   "user <id>" for the Django user logged in (hash checked), else "anonymous"
//	POST /write   sets "go_wrote" to Scenario.Name in the session
//	POST /logout  logs out (the session deleted, the cookie deleted)
//
// Login happens in Django; Django must see the write and honour the logout.
func (s *Site) Run(t *testing.T, base string, sc Scenario) {
	t.Helper()
	name := s.Settings.SessionCookieName
	cookie, userID := s.Login(t, "alice")

	r := s.Do(t, base, "GET", "/whoami", cookie)
	if r.Status != http.StatusOK || r.Body != "user "+userID {
		t.Fatalf("%s whoami after a Django login: %d %q, want user %s", sc.Name, r.Status, r.Body, userID)
	}
	s.checkVary(t, sc, "whoami", r)
	if got := s.Do(t, base, "GET", "/whoami", ""); got.Body != "anonymous" {
		t.Fatalf("%s whoami without a cookie: %q, want anonymous", sc.Name, got.Body)
	}

	r = s.Do(t, base, "POST", "/write", cookie)
	if r.Status != http.StatusOK {
		t.Fatalf("%s write: %d %q", sc.Name, r.Status, r.Body)
	}
	if !hasCookie(r.SetCookie, name+"="+cookie+";") {
		t.Fatalf("%s write: Set-Cookie %q, want %s=%s (the session's key, refreshed)", sc.Name, r.SetCookie, name, cookie)
	}
	s.checkVary(t, sc, "write", r)
	id, data := s.WhoAmI(t, cookie)
	if id != userID || data["go_wrote"] != sc.Name {
		t.Fatalf("Django after the %s write: user %q, data %v; want user %s and go_wrote=%q", sc.Name, id, data, userID, sc.Name)
	}

	r = s.Do(t, base, "POST", "/logout", cookie)
	if r.Status != http.StatusOK {
		t.Fatalf("%s logout: %d %q", sc.Name, r.Status, r.Body)
	}
	if !hasCookie(r.SetCookie, name+"=", "Max-Age=0") {
		t.Fatalf("%s logout: Set-Cookie %q, want the %s cookie deleted", sc.Name, r.SetCookie, name)
	}
	if id, data := s.WhoAmI(t, cookie); id != "" || data != nil && data["_auth_user_id"] != nil {
		t.Fatalf("Django after the %s logout: user %q, data %v; want anonymous", sc.Name, id, data)
	}
	if got := s.Do(t, base, "GET", "/whoami", cookie); got.Body != "anonymous" {
		t.Fatalf("%s whoami after logout: %q, want anonymous", sc.Name, got.Body)
	}
}

func (s *Site) checkVary(t *testing.T, sc Scenario, what string, r Response) {
	t.Helper()
	if sc.Vary && !strings.Contains(strings.Join(r.Vary, ","), "Cookie") {
		t.Fatalf("%s %s: Vary %q, want Cookie", sc.Name, what, r.Vary)
	}
}

// hasCookie reports whether one of the Set-Cookie headers holds every part.
func hasCookie(headers []string, parts ...string) bool {
	for _, h := range headers {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(h, p)
		}
		if all {
			return true
		}
	}
	return false
}
