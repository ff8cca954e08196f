package compat_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/manage"
)

// switchoverSecret is the SECRET_KEY of the switch-over and copy tests'
// Django site.
const switchoverSecret = "switchover-django-secret-key-0123456789"

// switchoverPeer starts fixtures/switchoverpeer.py under Django 5.2 with
// cfg (its secret key added), and returns once it has migrated its
// database.
func switchoverPeer(t *testing.T, cfg map[string]any) *peer {
	t.Helper()
	return switchoverPeerOn(t, "5.2", cfg)
}

// switchoverPeerOn is switchoverPeer under Django v.
func switchoverPeerOn(t *testing.T, v string, cfg map[string]any) *peer {
	t.Helper()
	django(t, v) // installs Django, fails under CI when it cannot
	cfg["secret_key"] = switchoverSecret
	b, _ := json.Marshal(cfg)
	p, err := launchPeer(v, "switchoverpeer.py", "SWITCHOVERPEER_CONFIG="+string(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	p.ok(t, map[string]any{"op": "ping"}) // migrated: the next peer may start on the same database
	return p
}

// switchoverSettings are the Django site's settings, for the Go stores.
func switchoverSettings() djsession.Settings {
	st := djsession.DefaultSettings(switchoverSecret)
	st.DjangoVersion = djsession.Django52
	return st
}

// whoIsDjango is the user id Django sees logged in with cookie ("" when
// anonymous).
func whoIsDjango(t *testing.T, p *peer, cookie string) string {
	t.Helper()
	id, _ := p.ok(t, map[string]any{"op": "whoami", "cookie": cookie})["user_id"].(string)
	return id
}

// goDo sends method path to the Go service with the session cookie and
// returns the body, failing the test on any status but 200.
func goDo(t *testing.T, srv *httptest.Server, method, path, cookie string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "sessionid", Value: cookie})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Go %s %s: %d %s", method, path, resp.StatusCode, body)
	}
	return string(body)
}

// redisPrefix returns a fresh KEY_PREFIX on Redis db 0 and removes its
// keys when the test ends.
func redisPrefix(t *testing.T, rc *redis.Client, name string) string {
	t.Helper()
	prefix := randomName(name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if keys, _ := rc.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			rc.Del(ctx, keys...)
		}
	})
	return prefix
}

// TestSwitchoverLive changes SESSION_ENGINE from cache (Redis) to db
// (SQLite) under Django 5.2 with users logged in, with Django on
// python/djsession_switchover.py and Go on manage.SwitchoverStore
// meanwhile, and then on the db engine alone: every user who did not log
// out is still logged in, on either side, and every logout holds.
func TestSwitchoverLive(t *testing.T) {
	requireLive(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rc := redisClient(t, 0)
	prefix := redisPrefix(t, rc, "djsswitch")
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	redisConf := map[string]any{"backend": "redis", "location": "redis://127.0.0.1:6379/0"}

	// Before: Django on the cache engine logs six users in.
	before := switchoverPeer(t, map[string]any{"engine": "cache", "cache": redisConf, "key_prefix": prefix, "sqlite_path": dbPath})
	users := []string{"alice", "bob", "carol", "dave", "frank", "grace", "henry"}
	cookie, uid := map[string]string{}, map[string]string{}
	for _, u := range users {
		r := before.ok(t, map[string]any{"op": "login", "username": u})
		cookie[u], uid[u] = r["cookie"].(string), r["user_id"].(string)
	}

	// During: Django on djsession_switchover (old: cache, new: db), Go on
	// SwitchoverStore over the same two stores.
	during := switchoverPeer(t, map[string]any{"engine": "switchover", "old_engine": "cache", "new_engine": "db",
		"cache": redisConf, "key_prefix": prefix, "sqlite_path": dbPath})
	st := switchoverSettings()
	sdb := openSQLite(t, dbPath)
	newStore, err := db.New(sdb, db.SQLite, st)
	if err != nil {
		t.Fatal(err)
	}
	oldCache := redisCache(t, rc, prefix)
	oldStore := mustCacheStore(t, oldCache, st)
	sw, err := manage.NewSwitchoverStore(newStore, oldStore)
	if err != nil {
		t.Fatal(err)
	}
	srv := goSite(t, sw, auth.NewSQLUsers(sdb, db.SQLite, auth.UserTable{}))
	inNew := func(u string) bool {
		ok, err := newStore.Exists(ctx, cookie[u])
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	inOld := func(u string) bool {
		ok, err := oldStore.Exists(ctx, cookie[u])
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	// alice visits Django: logged in, and copied forward by Django.
	if got := whoIsDjango(t, during, cookie["alice"]); got != uid["alice"] {
		t.Fatalf("Django during the switch sees alice as %q, want %q", got, uid["alice"])
	}
	if !inNew("alice") {
		t.Fatal("Django's switch-over engine did not copy alice's session to the db")
	}
	// bob visits Go: logged in, and copied forward by Go.
	if got := goDo(t, srv, "GET", "/read", cookie["bob"]); got != "user "+uid["bob"] {
		t.Fatalf("Go during the switch sees bob as %q", got)
	}
	if !inNew("bob") {
		t.Fatal("SwitchoverStore did not copy bob's session to the db")
	}
	// carol logs out in Go before any copy, dave in Django: gone from both.
	goDo(t, srv, "POST", "/logout", cookie["carol"])
	during.ok(t, map[string]any{"op": "logout", "cookie": cookie["dave"]})
	for _, u := range []string{"carol", "dave"} {
		if inNew(u) || inOld(u) {
			t.Fatalf("%s logged out, but a store still holds the session (db %v, cache %v)", u, inNew(u), inOld(u))
		}
		if got := whoIsDjango(t, during, cookie[u]); got != "" {
			t.Fatalf("Django sees %s, who logged out, as %q", u, got)
		}
		if got := goDo(t, srv, "GET", "/read", cookie[u]); got != "anonymous" {
			t.Fatalf("Go sees %s, who logged out, as %q", u, got)
		}
	}
	// frank's session is written by Go while only the cache holds it;
	// grace's by Django.
	goDo(t, srv, "POST", "/write", cookie["frank"])
	during.ok(t, map[string]any{"op": "set", "cookie": cookie["grace"], "key": "django_wrote", "value": 1})
	if !inNew("frank") || !inNew("grace") {
		t.Fatal("a write during the switch did not reach the db")
	}
	// erin logs in during the switch, on Django: only the db holds her.
	r := during.ok(t, map[string]any{"op": "login", "username": "erin"})
	cookie["erin"], uid["erin"] = r["cookie"].(string), r["user_id"].(string)
	if inOld("erin") || !inNew("erin") {
		t.Fatalf("a login during the switch: db %v, cache %v; want the db only", inNew("erin"), inOld("erin"))
	}
	if got := goDo(t, srv, "GET", "/read", cookie["erin"]); got != "user "+uid["erin"] {
		t.Fatalf("Go sees erin, logged in during the switch, as %q", got)
	}

	// After: copy-sessions moves what nobody visited (henry; here the
	// library call the command makes), and Django runs on the db engine
	// alone.
	from, err := manage.CacheSessions(oldCache, oldCache.(cache.Lister), st)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := manage.CopySessions(ctx, from, manage.DBSessions(newStore), manage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != 1 || len(rep.Skipped) != 0 {
		t.Fatalf("copy-sessions after the switch copied %d sessions (want henry's alone): %+v", rep.Copied, rep)
	}
	after := switchoverPeer(t, map[string]any{"engine": "db", "sqlite_path": dbPath})
	for _, u := range []string{"alice", "bob", "erin", "frank", "grace", "henry"} {
		if got := whoIsDjango(t, after, cookie[u]); got != uid[u] {
			t.Errorf("Django on the db engine sees %s as %q, want %q", u, got, uid[u])
		}
	}
	for _, u := range []string{"carol", "dave"} {
		if got := whoIsDjango(t, after, cookie[u]); got != "" {
			t.Errorf("Django on the db engine sees %s, who logged out, as %q", u, got)
		}
	}
	d, err := newStore.Load(ctx, cookie["frank"])
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Get("go_wrote"); !ok {
		t.Error("frank's session lost what Go wrote during the switch")
	}
}

// TestSwitchoverModuleVersions runs python/djsession_switchover.py under
// every Django version besides 5.2 (db to file, engines every version
// has): a login made on the old engine is seen and copied forward, a
// logout removes both copies, a new login lands in the new engine only.
func TestSwitchoverModuleVersions(t *testing.T) {
	requireLive(t)
	for _, v := range []string{"3.2", "4.2", "6.1"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel() // three Djangos at once: each mostly waits on its start-up
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			dbPath, dir := filepath.Join(t.TempDir(), "site.sqlite3"), t.TempDir()
			before := switchoverPeerOn(t, v, map[string]any{"engine": "db", "sqlite_path": dbPath})
			var cookies, ids []string
			for _, u := range []string{"ann", "ben"} {
				r := before.ok(t, map[string]any{"op": "login", "username": u})
				cookies, ids = append(cookies, r["cookie"].(string)), append(ids, r["user_id"].(string))
			}
			during := switchoverPeerOn(t, v, map[string]any{"engine": "switchover", "old_engine": "db", "new_engine": "file",
				"file_path": dir, "sqlite_path": dbPath})
			st := switchoverSettings()
			newStore := sitepeerFileStore(t, st, dir)
			oldStore, err := db.New(openSQLite(t, dbPath), db.SQLite, st)
			if err != nil {
				t.Fatal(err)
			}
			has := func(s djsession.Store, key string) bool {
				ok, err := s.Exists(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			if got := whoIsDjango(t, during, cookies[0]); got != ids[0] {
				t.Fatalf("Django %s on the switch-over engine sees ann as %q, want %q", v, got, ids[0])
			}
			if !has(newStore, cookies[0]) {
				t.Fatalf("Django %s did not copy ann's session forward", v)
			}
			during.ok(t, map[string]any{"op": "logout", "cookie": cookies[0]})
			if has(newStore, cookies[0]) || has(oldStore, cookies[0]) {
				t.Fatalf("Django %s: a logout left a copy of the session", v)
			}
			r := during.ok(t, map[string]any{"op": "login", "username": "cat"})
			if c := r["cookie"].(string); has(oldStore, c) || !has(newStore, c) {
				t.Fatalf("Django %s: a login during the switch is not in the new engine alone", v)
			}
			if got := whoIsDjango(t, during, cookies[1]); got != ids[1] {
				t.Fatalf("Django %s sees ben as %q, want %q", v, got, ids[1])
			}
		})
	}
}

// sitepeerFileStore is the file engine's store on dir with st.
func sitepeerFileStore(t *testing.T, st djsession.Settings, dir string) djsession.Store {
	t.Helper()
	st.SessionEngine = djsession.EngineFile
	st.SessionFilePath = dir
	s, err := file.New(st)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
