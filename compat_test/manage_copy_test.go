package compat_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/internal/testnet"
)

// djsessionCommand builds cmd/djsession once per test into a temporary
// directory and returns its path: the live copy test runs the command a
// user runs.
func djsessionCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "djsession")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/djsession")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/djsession: %v\n%s", err, out)
	}
	return bin
}

// copyReport is what the test reads of copy-sessions --json.
type copyReport struct {
	Seen         int64            `json:"seen"`
	Copied       int64            `json:"copied"`
	AlreadyThere int64            `json:"already_there"`
	Expired      int64            `json:"expired"`
	Skipped      map[string]int64 `json:"skipped"`
}

// runCopy runs copy-sessions --json with args (the secret from the
// environment, as the README advises) and returns its report.
func runCopy(t *testing.T, bin string, args ...string) copyReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"copy-sessions", "--json", "--django-version", "5.2"}, args...)...)
	cmd.Env = append(os.Environ(), "DJANGO_SECRET_KEY="+switchoverSecret)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("copy-sessions %v: %v\n%s%s", args, err, out, stderr.String())
	}
	var rep copyReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("copy-sessions --json printed %q: %v", out, err)
	}
	if strings.Contains(string(out)+stderr.String(), switchoverSecret) {
		t.Fatal("copy-sessions printed the secret key")
	}
	return rep
}

// TestCopySessionsLive is issue 11's proof for copy-sessions: Django 5.2
// logs users in on the cache engine, on Redis and on memcached (one with a
// session expiry of its own); `djsession copy-sessions` copies both caches
// to the db engine, and Django on the db engine sees every user still
// logged in, each row expiring within 2 seconds of its cache entry; then
// db to Redis under another KEY_PREFIX, with the same result; a second run
// copies nothing.
func TestCopySessionsLive(t *testing.T) {
	requireLive(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	bin := djsessionCommand(t)
	rc := redisClient(t, 0)
	redisFrom, redisTo := redisPrefix(t, rc, "djscopyfrom"), redisPrefix(t, rc, "djscopyto")
	mc := startTestMemcached(t)
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	redisConf := map[string]any{"backend": "redis", "location": "redis://127.0.0.1:6379/0"}

	onRedis := switchoverPeer(t, map[string]any{"engine": "cache", "cache": redisConf, "key_prefix": redisFrom, "sqlite_path": dbPath})
	onMemcached := switchoverPeer(t, map[string]any{"engine": "cache", "cache": map[string]any{"backend": "pymemcache", "location": []string{mc}},
		"sqlite_path": dbPath})
	type user struct{ name, cookie, id string }
	var users []user
	login := func(p *peer, name string) user {
		r := p.ok(t, map[string]any{"op": "login", "username": name})
		return user{name, r["cookie"].(string), r["user_id"].(string)}
	}
	for _, n := range []string{"ruth", "rita", "rosa"} {
		users = append(users, login(onRedis, n))
	}
	for _, n := range []string{"mona", "mila", "maud"} {
		users = append(users, login(onMemcached, n))
	}
	// One session each with an expiry of its own: 1 hour, 3 days.
	onRedis.ok(t, map[string]any{"op": "set_expiry", "cookie": users[1].cookie, "seconds": 3600})
	onMemcached.ok(t, map[string]any{"op": "set_expiry", "cookie": users[4].cookie, "seconds": 3 * 86400})

	// When each cache entry expires, from its TTL.
	sessionKey := cache.KeyPrefix
	expiry := map[string]time.Time{}
	for i, u := range users {
		var ttl time.Duration
		if i < 3 {
			d, err := rc.PTTL(ctx, cache.MakeKey(sessionKey+u.cookie, redisFrom, 1)).Result()
			if err != nil || d <= 0 {
				t.Fatalf("Redis TTL of %s's session: %v, %v", u.name, d, err)
			}
			ttl = d
		} else {
			secs, found, err := testnet.MemcachedTTL(mc, cache.MakeKey(sessionKey+u.cookie, "", 1))
			if err != nil || !found || secs <= 0 {
				t.Fatalf("memcached TTL of %s's session: %d, %v, %v", u.name, secs, found, err)
			}
			// Whole seconds left: the middle of that second is the best guess.
			ttl = time.Duration(secs)*time.Second + time.Second/2
		}
		expiry[u.name] = time.Now().Add(ttl)
	}

	// The db engine's table: Django's migrate made it in dbPath.
	dbURL := "sqlite:///" + dbPath
	rep := runCopy(t, bin, "--engine", "cache", "--cache", "redis://127.0.0.1:6379/0", "--cache-key-prefix", redisFrom,
		"--to-engine", "db", "--to-database", dbURL)
	if rep.Copied != 3 || len(rep.Skipped) != 0 {
		t.Fatalf("Redis to db: %+v", rep)
	}
	rep = runCopy(t, bin, "--engine", "cache", "--cache", "memcached://"+mc, "--to-engine", "db", "--to-database", dbURL)
	if rep.Copied != 3 || len(rep.Skipped) != 0 {
		t.Fatalf("memcached to db: %+v", rep)
	}
	onDB := switchoverPeer(t, map[string]any{"engine": "db", "sqlite_path": dbPath})
	sdb := openSQLite(t, dbPath)
	for _, u := range users {
		if got := whoIsDjango(t, onDB, u.cookie); got != u.id {
			t.Errorf("Django on the db engine sees %s as %q, want %q", u.name, got, u.id)
		}
		exp := rowExpiry(t, sdb, u.cookie)
		if d := exp.Sub(expiry[u.name]); d < -2*time.Second || d > 2*time.Second {
			t.Errorf("%s: the row expires %v after the cache entry (more than 2 s)", u.name, d)
		}
		expiry[u.name] = exp
	}

	// db to Redis, under another KEY_PREFIX.
	rep = runCopy(t, bin, "--database", dbURL, "--to-engine", "cache", "--to-cache", "redis://127.0.0.1:6379/0", "--to-cache-key-prefix", redisTo)
	if rep.Copied != 6 || len(rep.Skipped) != 0 {
		t.Fatalf("db to Redis: %+v", rep)
	}
	onRedis2 := switchoverPeer(t, map[string]any{"engine": "cache", "cache": redisConf, "key_prefix": redisTo, "sqlite_path": dbPath})
	for _, u := range users {
		if got := whoIsDjango(t, onRedis2, u.cookie); got != u.id {
			t.Errorf("Django on Redis (copied from the db) sees %s as %q, want %q", u.name, got, u.id)
		}
		d, err := rc.PTTL(ctx, cache.MakeKey(sessionKey+u.cookie, redisTo, 1)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if diff := time.Now().Add(d).Sub(expiry[u.name]); diff < -2*time.Second || diff > 2*time.Second {
			t.Errorf("%s: the Redis copy expires %v after the row (more than 2 s)", u.name, diff)
		}
	}
	// Idempotent: nothing left to copy, nothing overwritten.
	rep = runCopy(t, bin, "--database", dbURL, "--to-engine", "cache", "--to-cache", "redis://127.0.0.1:6379/0", "--to-cache-key-prefix", redisTo)
	if rep.Copied != 0 || rep.AlreadyThere != 6 {
		t.Fatalf("second run: %+v", rep)
	}
}

// rowExpiry reads the expire_date of a django_session row (USE_TZ: UTC
// wall clock text on SQLite).
func rowExpiry(t *testing.T, sdb *sql.DB, key string) time.Time {
	t.Helper()
	st, err := db.New(sdb, db.SQLite, switchoverSettings())
	if err != nil {
		t.Fatal(err)
	}
	r, ok, err := st.Row(context.Background(), key)
	if err != nil || !ok {
		t.Fatalf("no row for a copied session: %v", err)
	}
	return r.ExpireDate
}
