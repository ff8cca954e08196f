package manage

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/internal/testnet"
	"github.com/djsession/djsession/pyjson"
)

const (
	chkSecret   = "check-test-secret-key-0123456789abcdefghijklm"
	chkOld      = "check-test-old-secret-0123456789abcdefghijklm"
	chkPassword = "pbkdf2_sha256$1$salt$hash"
)

var chkNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func chkSettings(secret string) django.Settings {
	s := django.DefaultSettings(secret)
	s.DjangoVersion = django.Django52
	s.Clock = func() time.Time { return chkNow }
	s.Logger = slog.New(slog.DiscardHandler)
	return s
}

// chkDB is a SQLite django_session and auth_user with user 1.
func chkDB(t testing.TB) *sql.DB {
	t.Helper()
	sqlDB, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "db.sqlite3")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec(`CREATE TABLE auth_user (id integer PRIMARY KEY, password text, is_active bool, username text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec(`INSERT INTO auth_user VALUES (1, ?, 1, 'alice')`, chkPassword); err != nil {
		t.Fatal(err)
	}
	return sqlDB
}

// loginDict is the session login() leaves, its hash under key.
func loginDict(key string) *pyjson.Dict {
	d := pyjson.NewDict(3)
	d.Set(auth.SessionKey, "1")
	d.Set(auth.BackendSessionKey, auth.ModelBackend)
	d.Set(auth.HashSessionKey, auth.SessionAuthHash(chkPassword, key))
	return d
}

func create(t testing.TB, st django.Store, d *pyjson.Dict) string {
	t.Helper()
	k, err := django.Create(context.Background(), st, d)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCheck(t *testing.T, src Sources, opts CheckOptions) *CheckReport {
	t.Helper()
	r, err := Check(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		for _, secret := range []string{chkSecret, chkOld} {
			if strings.Contains(f.Text, secret) {
				t.Fatalf("a finding shows a key: %q", f.Text)
			}
		}
	}
	return r
}

func names(r *CheckReport, setting string) bool {
	for _, f := range r.Findings {
		if f.Setting != "" && strings.Contains(f.Setting, setting) {
			return true
		}
	}
	return false
}

// TestCheckDB: a table written under the configured settings agrees; the
// same table read with another SECRET_KEY, serializer or zone disagrees,
// naming the setting; fallback counts are by index.
func TestCheckDB(t *testing.T) {
	sqlDB := chkDB(t)
	site := chkSettings(chkSecret)
	site.SecretKeyFallbacks = []string{"unused-fallback-0123456789abcdefghijklmnop", chkOld}
	store, _ := db.New(sqlDB, db.SQLite, site)
	old := chkSettings(chkOld)
	oldStore, _ := db.New(sqlDB, db.SQLite, old)
	users := auth.NewSQLUsers(sqlDB, db.SQLite, auth.UserTable{})
	for range 3 {
		create(t, store, loginDict(chkSecret))
	}
	create(t, oldStore, loginDict(chkOld))
	create(t, store, pyjson.NewDict(0))

	var progress []int64
	r := mustCheck(t, Sources{Settings: site, DB: store, Users: users},
		CheckOptions{All: true, Options: Options{BatchSize: 2, Progress: func(done, total int64) { progress = append(progress, done, total) }}})
	if r.Disagrees || r.Sessions != 5 || r.Keys.Current != 4 || r.Keys.Fallbacks[1] != 1 || r.Keys.Fallbacks[0] != 0 ||
		r.Serializers[SerializerJSON] != 5 || r.Users.LoggedIn != 4 || r.Users.Current != 3 || r.Users.Fallbacks[1] != 1 {
		t.Fatalf("correct settings: %+v", r)
	}
	if len(progress) == 0 || progress[len(progress)-2] != 5 || progress[len(progress)-1] != 5 {
		t.Fatalf("progress %v", progress)
	}
	sample := mustCheck(t, Sources{Settings: site, DB: store}, CheckOptions{Sample: 2})
	if sample.Sessions != 2 || sample.Disagrees {
		t.Fatalf("sample: %+v", sample)
	}

	wrong := chkSettings("not-the-site-key-0123456789abcdefghijklmnopq")
	ws, _ := db.New(sqlDB, db.SQLite, wrong)
	r = mustCheck(t, Sources{Settings: wrong, DB: ws, Users: users}, CheckOptions{})
	if !r.Disagrees || !names(r, "SECRET_KEY") || r.Keys.None != 5 {
		t.Fatalf("wrong SECRET_KEY: %+v", r.Findings)
	}

	pickled := chkSettings(chkSecret)
	pickled.DjangoVersion, pickled.SessionSerializer, pickled.AllowPickleSerializer = django.Django42, django.PickleSerializer, true
	ps, _ := db.New(sqlDB, db.SQLite, pickled)
	r = mustCheck(t, Sources{Settings: pickled, DB: ps}, CheckOptions{})
	if !names(r, "SESSION_SERIALIZER") {
		t.Fatalf("wrong SESSION_SERIALIZER: %+v", r.Findings)
	}

	tokyo := chkSettings(chkSecret)
	tokyo.SecretKeyFallbacks = site.SecretKeyFallbacks
	tokyo.UseTZ, tokyo.TimeZone = false, "Asia/Tokyo"
	ts, _ := db.New(sqlDB, db.SQLite, tokyo)
	r = mustCheck(t, Sources{Settings: tokyo, DB: ts}, CheckOptions{})
	if !names(r, "TIME_ZONE") || len(r.Offsets) == 0 || r.Offsets[0].Offset.Abs() != 9*time.Hour {
		t.Fatalf("wrong TIME_ZONE: %+v %+v", r.Offsets, r.Findings)
	}
}

// TestCheckFile: the sample is the files written last.
func TestCheckFile(t *testing.T) {
	site := chkSettings(chkSecret)
	site.SessionEngine = django.EngineFile
	site.SessionFilePath = t.TempDir()
	st, err := file.New(site)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 4 {
		keys = append(keys, create(t, st, loginDict(chkSecret)))
		mt := chkNow.Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(filepath.Join(site.SessionFilePath, "sessionid"+keys[i]), mt, mt)
	}
	r := mustCheck(t, Sources{Settings: site, File: st}, CheckOptions{Sample: 3})
	if r.Disagrees || r.Sessions != 3 || r.Keys.Current != 3 {
		t.Fatalf("file: %+v", r)
	}
	wrong := chkSettings("not-the-site-key-0123456789abcdefghijklmnopq")
	wrong.SessionEngine, wrong.SessionFilePath = django.EngineFile, site.SessionFilePath
	ws, _ := file.New(wrong)
	if r := mustCheck(t, Sources{Settings: wrong, File: ws}, CheckOptions{All: true}); !names(r, "SECRET_KEY") || r.Sessions != 4 {
		t.Fatalf("file, wrong key: %+v", r)
	}
}

func chkRedis(t *testing.T, n int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: n})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis: %v", err)
		}
		t.Skipf("Redis: %v (skipping; under CI=true this fails)", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestCheckCache: the cache engine's entries; a KEY_PREFIX or Redis db
// unlike the one holding the sessions is found, naming CACHES; a
// SECRET_KEY unlike the site's shows in the auth hashes.
func TestCheckCache(t *testing.T) {
	ctx := context.Background()
	prefix := "chk" + strings.ReplaceAll(t.Name(), "/", "") + time.Now().Format("150405.000000")
	rc := chkRedis(t, 0)
	site := chkSettings(chkSecret)
	site.SessionEngine = django.EngineCache
	site.Clock = nil // the Redis TTLs are real
	c, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: prefix}, rc)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := cache.New(c, site)
	var keys []string
	for range 3 {
		keys = append(keys, create(t, st, loginDict(chkSecret)))
	}
	t.Cleanup(func() {
		for _, k := range keys {
			st.Delete(ctx, k)
		}
	})
	sqlDB := chkDB(t)
	users := auth.NewSQLUsers(sqlDB, db.SQLite, auth.UserTable{})
	dbs := []int{0, 1}

	r := mustCheck(t, Sources{Settings: site, Cache: c, Users: users, RedisDBs: dbs}, CheckOptions{})
	if r.Disagrees || r.Sessions != 3 || r.Keys.Unsigned != 3 || r.Users.Current != 3 {
		t.Fatalf("correct settings: %+v", r)
	}
	for name, other := range map[string]*cache.Redis{
		"KEY_PREFIX": mustRedis(t, cache.Options{KeyPrefix: prefix + "x"}, rc),
		"VERSION":    mustRedis(t, cache.Options{KeyPrefix: prefix, Version: 2}, rc),
		"Redis db":   mustRedis(t, cache.Options{KeyPrefix: prefix}, chkRedis(t, 1)),
	} {
		r := mustCheck(t, Sources{Settings: site, Cache: other, RedisDBs: dbs}, CheckOptions{})
		if !names(r, "KEY_PREFIX") || r.Sessions != 0 || len(r.Elsewhere) == 0 {
			t.Fatalf("%s unlike the site's: %+v", name, r)
		}
		found := false
		for _, p := range r.Elsewhere {
			found = found || strings.Contains(p.Where, `"`+prefix+`" VERSION 1 Redis db 0`)
		}
		if !found {
			t.Fatalf("%s: the site's sessions not found elsewhere: %+v", name, r.Elsewhere)
		}
	}
	wrong := site
	wrong.SecretKey = "not-the-site-key-0123456789abcdefghijklmnopq"
	r = mustCheck(t, Sources{Settings: wrong, Cache: c, Users: users, RedisDBs: []int{}}, CheckOptions{})
	if !names(r, "SECRET_KEY") || r.Users.Invalid != 3 {
		t.Fatalf("wrong SECRET_KEY: %+v", r)
	}
}

func mustRedis(t *testing.T, o cache.Options, c *redis.Client) *cache.Redis {
	t.Helper()
	r, err := cache.NewRedis(cache.RedisCache, o, c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCheckRefuses: usage errors, not reports.
func TestCheckRefuses(t *testing.T) {
	s := chkSettings(chkSecret)
	s.SessionEngine = django.EngineSignedCookies
	if _, err := Check(context.Background(), Sources{Settings: s}, CheckOptions{}); err == nil {
		t.Fatal("signed_cookies: no error")
	}
	s.SessionEngine = django.EngineDB
	if _, err := Check(context.Background(), Sources{Settings: s}, CheckOptions{}); err == nil {
		t.Fatal("db without a database: no error")
	}
}

// TestCheckMemcached: the cache engine on memcached, enumerated with
// lru_crawler metadump; another KEY_PREFIX finds the sessions elsewhere.
func TestCheckMemcached(t *testing.T) {
	bin, err := testnet.MemcachedBinary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	addr, stop, err := testnet.StartMemcached(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	sel, err := cache.PyMemcacheCache.Selector(addr)
	if err != nil {
		t.Fatal(err)
	}
	lister := func(prefix string) (*cache.Memcached, cache.Lister) {
		m, err := cache.NewMemcached(memcache.NewFromSelector(sel), cache.PyMemcacheCache, cache.Options{KeyPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		l, err := cache.NewMemcachedLister(m, sel)
		if err != nil {
			t.Fatal(err)
		}
		return m, l
	}
	site := chkSettings(chkSecret)
	site.SessionEngine, site.Clock = django.EngineCache, nil
	m, l := lister("site")
	st, _ := cache.New(m, site)
	var keys []string
	for range 3 {
		keys = append(keys, create(t, st, loginDict(chkSecret)))
	}
	users := auth.NewSQLUsers(chkDB(t), db.SQLite, auth.UserTable{})
	r := mustCheck(t, Sources{Settings: site, Cache: l, Users: users}, CheckOptions{})
	if r.Disagrees || r.Sessions != 3 || r.Users.Current != 3 {
		t.Fatalf("memcached, the site's settings: %+v", r)
	}
	_, other := lister("other")
	r = mustCheck(t, Sources{Settings: site, Cache: other}, CheckOptions{})
	if !names(r, "KEY_PREFIX") || len(r.Elsewhere) != 1 || r.Elsewhere[0].Count != 3 || r.Elsewhere[0].Where != `KEY_PREFIX "site" VERSION 1` {
		t.Fatalf("memcached, another KEY_PREFIX: %+v", r)
	}
	e := mustExplain(t, Sources{Settings: site, Cache: other}, keys[0])
	if !e.Disagrees || len(e.Places) != 1 || e.Places[0].Where != `KEY_PREFIX "site" VERSION 1` {
		t.Fatalf("memcached explain, another KEY_PREFIX: %+v", e)
	}
}
