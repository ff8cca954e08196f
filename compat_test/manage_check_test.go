package compat_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/manage"
)

// `djsession check` (manage.Check) against real Django 5.2: each of the
// five misconfigurations of the safe-by-default issue (misconfig_test.go)
// is found and named, and Django's own settings agree, on the stores the
// site really wrote.

// checkCtx bounds one check: a real store, a few sessions.
func checkCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func runCheck(t *testing.T, src manage.Sources) *manage.CheckReport {
	t.Helper()
	src.Settings.Logger = (&logBuffer{}).logger()
	r, err := manage.Check(checkCtx(t), src, manage.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Text, siteSecret) {
			t.Fatalf("a finding shows SECRET_KEY: %q", f.Text)
		}
	}
	return r
}

// agrees asserts a report with no disagreement that read n sessions.
func agrees(t *testing.T, what string, r *manage.CheckReport, n int64) {
	t.Helper()
	if r.Disagrees || r.Sessions < n {
		t.Fatalf("%s: Django's own settings: %d sessions read, findings %+v", what, r.Sessions, r.Findings)
	}
}

// disagrees asserts a finding naming setting.
func disagrees(t *testing.T, what string, r *manage.CheckReport, setting string) {
	t.Helper()
	for _, f := range r.Findings {
		if f.Setting != "" && strings.Contains(f.Setting, setting) {
			if r.ExitCode() != manage.ExitLeft {
				t.Fatalf("%s: exit code %d", what, r.ExitCode())
			}
			return
		}
	}
	t.Fatalf("%s: no finding names %s: %+v", what, setting, r.Findings)
}

// redisLister is Django's RedisCache with o on c, and its raw access.
func redisLister(t *testing.T, o cache.Options, c *redis.Client) *cache.Redis {
	t.Helper()
	r, err := cache.NewRedis(cache.RedisCache, o, c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Cases 1 (cache and cached_db) and 3 (cached_db): a SECRET_KEY unlike
// Django's shows in the auth hashes of the cache engine's unsigned entries
// and in cached_db's rows; a KEY_PREFIX or Redis db unlike Django's leaves
// the configured place empty while Django's sessions are found elsewhere.
func TestManageCheckCacheEngines(t *testing.T) {
	for _, engine := range []string{"cache", "cached_db"} {
		t.Run(engine, func(t *testing.T) {
			rc := redisClient(t, 0)
			prefix := randomName("chk" + engine[:4])
			dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
			p := sitePeer(t, map[string]any{"engine": engine, "database": map[string]any{"vendor": "sqlite", "path": dbPath},
				"redis": "redis://127.0.0.1:6379/0", "key_prefix": prefix, "secret_key": siteSecret})
			var cookies []string
			for _, u := range []string{"alice", "bob", "carol"} {
				cookies = append(cookies, p.ok(t, map[string]any{"op": "login", "username": u})["cookie"].(string))
			}
			t.Cleanup(func() {
				for _, c := range cookies {
					rc.Del(context.Background(), prefix+":1:"+cache.KeyPrefix+c, prefix+":1:"+cache.CachedDBKeyPrefix+c)
				}
			})
			sdb := openSQLite(t, dbPath)
			users := auth.NewSQLUsers(sdb, db.SQLite, auth.UserTable{})
			src := func(st djsession.Settings, c *cache.Redis) manage.Sources {
				s := manage.Sources{Settings: st, Cache: c, Users: users, RedisDBs: []int{0, 1}}
				if engine == "cached_db" {
					d, err := db.New(sdb, db.SQLite, st)
					if err != nil {
						t.Fatal(err)
					}
					s.DB = d
				}
				return s
			}
			site := goSettings(engine, &logBuffer{})
			own := redisLister(t, cache.Options{KeyPrefix: prefix}, rc)
			r := runCheck(t, src(site, own))
			agrees(t, "Django's settings", r, 3)
			if r.Users == nil || r.Users.Current != 3 {
				t.Fatalf("auth hashes: %+v", r.Users)
			}
			if engine == "cached_db" && (r.CachedDB == nil || r.CachedDB.Cached != 3 || r.CachedDB.Differ != 0) {
				t.Fatalf("cache copies: %+v", r.CachedDB)
			}

			wrong := site
			wrong.SecretKey = "not-the-django-secret-key"
			disagrees(t, "SECRET_KEY", runCheck(t, src(wrong, own)), "SECRET_KEY")

			for name, other := range map[string]*cache.Redis{
				"KEY_PREFIX": redisLister(t, cache.Options{KeyPrefix: prefix + "x"}, rc),
				"Redis db":   redisLister(t, cache.Options{KeyPrefix: prefix}, redisClient(t, 1)),
			} {
				r := runCheck(t, src(site, other))
				disagrees(t, name, r, "KEY_PREFIX")
				found := false
				for _, pc := range r.Elsewhere {
					found = found || strings.Contains(pc.Where, `"`+prefix+`" VERSION 1 Redis db 0`) && pc.Engine == engine && pc.Count == 3
				}
				if !found {
					t.Fatalf("%s: Django's 3 sessions not found where Django keeps them: %+v", name, r.Elsewhere)
				}
			}
		})
	}
}

// Case 2: SECRET_KEY unlike Django's on the db engine (SQLite).
func TestManageCheckDBSecretKey(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	p := sitePeer(t, map[string]any{"engine": "db", "database": map[string]any{"vendor": "sqlite", "path": dbPath}, "secret_key": siteSecret})
	for _, u := range []string{"dave", "erin"} {
		p.ok(t, map[string]any{"op": "login", "username": u})
	}
	sdb := openSQLite(t, dbPath)
	users := auth.NewSQLUsers(sdb, db.SQLite, auth.UserTable{})
	for _, c := range []struct {
		secret string
		agree  bool
	}{{siteSecret, true}, {"not-the-django-secret-key", false}} {
		st := goSettings("db", &logBuffer{})
		st.SecretKey = c.secret
		store, err := db.New(sdb, db.SQLite, st)
		if err != nil {
			t.Fatal(err)
		}
		r := runCheck(t, manage.Sources{Settings: st, DB: store, Users: users})
		if c.agree {
			agrees(t, "Django's SECRET_KEY", r, 2)
			if r.Keys.Current != 2 || r.Serializers[manage.SerializerJSON] != 2 || r.Users.Current != 2 {
				t.Fatalf("counts: %+v", r)
			}
		} else {
			disagrees(t, "another SECRET_KEY", r, "SECRET_KEY")
		}
	}
}

// Case 4: USE_TZ/TIME_ZONE unlike Django's on MariaDB: expire_date nine
// hours off from what the data says.
func TestManageCheckTimeZoneMariaDB(t *testing.T) {
	name := randomName("djscheck")
	admin, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/?timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	requireLive(t)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		dbServerDown(t, "MariaDB on 127.0.0.1:3306: %v", err)
	}
	defer admin.Exec("DROP DATABASE " + name)
	p := sitePeer(t, map[string]any{"engine": "db", "database": map[string]any{"vendor": "mysql", "name": name},
		"secret_key": siteSecret, "cookie_age": 3600})
	p.ok(t, map[string]any{"op": "login", "username": "frank"})
	p.ok(t, map[string]any{"op": "login", "username": "grace"})
	sdb, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/"+name+"?timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	for _, c := range []struct {
		useTZ bool
		zone  string
		agree bool
	}{{true, "UTC", true}, {false, "Asia/Tokyo", false}, {false, "America/New_York", false}} {
		st := goSettings("db", &logBuffer{})
		st.SessionCookieAge = 3600
		st.UseTZ, st.TimeZone = c.useTZ, c.zone
		store, err := db.New(sdb, db.MySQL, st)
		if err != nil {
			t.Fatal(err)
		}
		r := runCheck(t, manage.Sources{Settings: st, DB: store, Users: auth.NewSQLUsers(sdb, db.MySQL, auth.UserTable{})})
		if c.agree {
			agrees(t, "Django's zone", r, 2)
			continue
		}
		disagrees(t, c.zone, r, "TIME_ZONE")
		if len(r.Offsets) == 0 || r.Offsets[0].Count != 2 || r.Offsets[0].Offset.Abs() < 4*time.Hour {
			t.Fatalf("%s: offsets %+v", c.zone, r.Offsets)
		}
	}
}

// Case 5, through the default search of Redis databases 0 to 15: the
// cache engine configured on another db finds Django's sessions in db 0.
func TestManageCheckCacheRedisDBs(t *testing.T) {
	prefix := randomName("chk5")
	dbPath := filepath.Join(t.TempDir(), "site.sqlite3")
	p := sitePeer(t, map[string]any{"engine": "cache", "database": map[string]any{"vendor": "sqlite", "path": dbPath},
		"redis": "redis://127.0.0.1:6379/0", "key_prefix": prefix, "secret_key": siteSecret})
	cookie := p.ok(t, map[string]any{"op": "login", "username": "heidi"})["cookie"].(string)
	rc0 := redisClient(t, 0)
	t.Cleanup(func() { rc0.Del(context.Background(), prefix+":1:"+cache.KeyPrefix+cookie) })
	other := redisLister(t, cache.Options{KeyPrefix: prefix}, redisClient(t, 7))
	r := runCheck(t, manage.Sources{Settings: goSettings("cache", &logBuffer{}), Cache: other})
	disagrees(t, "Redis db 7", r, "the Redis db")
	if len(r.Elsewhere) == 0 {
		t.Fatalf("nothing found elsewhere: %+v", r)
	}
}

// TestManageCheckMemcached: Django 5.2's PyMemcacheCache on two memcached
// servers (fixtures/cachepeer.py) writes sessions; check lists both
// servers with lru_crawler metadump and agrees with Django's settings,
// another KEY_PREFIX finds them elsewhere, and explain finds one where
// pymemcache put it.
func TestManageCheckMemcached(t *testing.T) {
	requireLive(t)
	django(t, "5.2")
	env := &cacheEnv{prefix: randomName("chkmc"), memcached: []string{startTestMemcached(t), startTestMemcached(t)}}
	p := startCachePeer(t, "5.2", env)
	var keys []string
	for range 6 {
		r := p.ok(t, map[string]any{"op": "create", "alias": "pymemcache2", "data_json": `{"cart":[1,2]}`, "expiry": nil})
		keys = append(keys, r["session_key"].(string))
	}
	c, sel := goCache(t, "pymemcache2", env)
	lister := func(c cache.Cache) cache.Lister {
		l, err := cache.NewMemcachedLister(c.(*cache.Memcached), sel)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	site := goSettings("cache", &logBuffer{})
	r := runCheck(t, manage.Sources{Settings: site, Cache: lister(c)})
	agrees(t, "memcached, Django's settings", r, 6)
	if r.Sessions != 6 || r.Undecodable != 0 {
		t.Fatalf("memcached: %+v", r)
	}
	other, _ := goCache(t, "pymemcache2", &cacheEnv{prefix: env.prefix + "x", memcached: env.memcached})
	r = runCheck(t, manage.Sources{Settings: site, Cache: lister(other)})
	disagrees(t, "memcached, another KEY_PREFIX", r, "KEY_PREFIX")
	if len(r.Elsewhere) != 1 || r.Elsewhere[0].Count != 6 || r.Elsewhere[0].KeyPrefix != env.prefix {
		t.Fatalf("memcached elsewhere: %+v", r.Elsewhere)
	}
	e := runExplain(t, manage.Sources{Settings: site, Cache: lister(c)}, keys[0])
	if e.Disagrees || len(e.Places) != 1 || !e.Places[0].Configured || e.Expired {
		t.Fatalf("memcached explain: %+v", e)
	}
}
