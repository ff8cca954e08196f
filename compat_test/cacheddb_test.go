package compat_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/cacheddb"
	"github.com/djsession/djsession/backends/db"
	djsession "github.com/djsession/djsession/django"
)

// cachedDBMatrix: the cached_db engine on one memcached and one Redis
// backend per version, each on PostgreSQL, MariaDB and a SQLite file, the
// database and the cache shared with Django.
var cachedDBMatrix = map[string][]string{
	"3.2": {"pymemcache1", "djangoredis"},
	"4.2": {"pymemcache1", "redis"},
	"5.2": {"pymemcache1", "redis"},
	"6.1": {"pymemcache1", "redis"},
}

func TestCachedDBLive(t *testing.T) {
	requireLive(t)
	django(t, "5.2")
	pgUser, pg := livePGUser(t)
	t.Cleanup(func() { pg.Close() })
	my := liveMySQL(t)
	t.Cleanup(func() { my.Close() })
	b := make([]byte, 5)
	rand.Read(b)
	start := time.Now()
	t.Cleanup(func() { t.Logf("cached_db matrix took %v", time.Since(start).Round(time.Millisecond)) })
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			env := &cacheEnv{prefix: "djscdb" + hex.EncodeToString(b) + v, redisURL: "redis://127.0.0.1:6379/0"}
			env.memcached = []string{startTestMemcached(t)}
			env.redis = redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
			defer env.redis.Close()
			if err := env.redis.Ping(context.Background()).Err(); err != nil {
				cacheMissing(t, "Redis: %v", err)
			}
			env.sqlitePath = filepath.Join(t.TempDir(), "db.sqlite3")
			env.table = fmt.Sprintf("djs_cdb_%d_%s", os.Getpid(), strings.ReplaceAll(v, ".", ""))
			env.pgUser = pgUser
			deadAddr := closedPort(t)
			env.deadRedisURL = "redis://" + deadAddr + "/0"
			lite, err := sql.Open("sqlite", "file:"+env.sqlitePath+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			defer lite.Close()
			peerStart := time.Now()
			p := startCachePeer(t, v, env)
			caps := p.ok(t, map[string]any{"op": "caps"})
			t.Logf("Django %v, database drivers %v, peer ready in %v", caps["version"], caps["drivers"], time.Since(peerStart).Round(time.Millisecond))
			deadRedis := redis.NewClient(&redis.Options{Addr: deadAddr, MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
			defer deadRedis.Close()
			pools := map[db.Dialect]*sql.DB{db.Postgres: pg, db.MySQL: my, db.SQLite: lite}
			for _, vendor := range dbVendors {
				t.Run(vendor.String(), func(t *testing.T) {
					onDB := map[string]any{"db": vendor.String()}
					p.call(with(onDB, "op", "drop_table")) // a leftover of an interrupted run, if any
					p.ok(t, with(onDB, "op", "create_table"))
					defer func() {
						if r, err := p.call(with(onDB, "op", "drop_table")); err != nil || r["ok"] != true {
							t.Logf("drop_table: %v %v", r, err)
						}
					}()
					for _, alias := range cachedDBMatrix[v] {
						t.Run(alias, func(t *testing.T) {
							c, _ := goCache(t, alias, env)
							cachedDBCell(t, newCachedDBSide(t, p, v, alias, vendor, pools[vendor], c, env.table))
						})
					}
					t.Run("cache_down", func(t *testing.T) {
						format := cache.RedisCache
						if v == "3.2" {
							format = cache.DjangoRedis // 3.2 has no RedisCache
						}
						c, err := cache.NewRedis(format, cache.Options{KeyPrefix: env.prefix}, deadRedis)
						if err != nil {
							t.Fatal(err)
						}
						cachedDBCacheDown(t, newCachedDBSide(t, p, v, "redis_dead", vendor, pools[vendor], c, env.table))
					})
				})
			}
		})
	}
}

// closedPort returns a loopback address nothing listens on: a cache server
// that went away.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// with returns a copy of base with the pairs kv added.
func with(base map[string]any, kv ...any) map[string]any {
	m := make(map[string]any, len(base)+len(kv)/2)
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// cachedDBSide is one cell: Go's cached_db store and Django's, on the same
// cache alias and session table.
type cachedDBSide struct {
	p        *peer
	version  djsession.Version
	settings djsession.Settings
	rows     *db.Store
	cache    cache.Cache
	st       *cacheddb.Store
	base     map[string]any // alias, engine, db of every Django request
	log      *strings.Builder
}

func newCachedDBSide(t *testing.T, p *peer, v, alias string, vendor db.Dialect, pool *sql.DB, c cache.Cache, table string) *cachedDBSide {
	t.Helper()
	s := djsession.DefaultSettings("django-insecure-cachepeer")
	s.SessionEngine = djsession.EngineCachedDB
	s.DjangoVersion, _ = djsession.ParseVersion(v)
	log := &strings.Builder{}
	s.Logger = slog.New(slog.NewTextHandler(log, nil))
	d, err := db.New(pool, vendor, s, db.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	return &cachedDBSide{p: p, version: s.DjangoVersion, settings: s, rows: d, cache: c, st: mustCachedDB(t, d, c), log: log,
		base: map[string]any{"alias": alias, "engine": "cached_db", "db": vendor.String()}}
}

// django sends a request that must succeed.
func (c *cachedDBSide) django(t *testing.T, op string, kv ...any) map[string]any {
	t.Helper()
	return c.p.ok(t, with(c.base, append([]any{"op", op}, kv...)...))
}

// djangoLoad is Django's cached_db SessionStore(key).load().
func (c *cachedDBSide) djangoLoad(t *testing.T, key string) (dict string, found bool) {
	t.Helper()
	r := c.django(t, "load", "session_key", key)
	return r["value_json"].(string), r["found"] == true
}

// cached reports whether the cache holds the cached_db copy of key.
func (c *cachedDBSide) cached(t *testing.T, ctx context.Context, key string) bool {
	t.Helper()
	_, found, err := c.cache.Get(ctx, cache.CachedDBKeyPrefix+key)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func (c *cachedDBSide) dropCached(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	if err := c.cache.Delete(ctx, cache.CachedDBKeyPrefix+key); err != nil {
		t.Fatal(err)
	}
}

func cachedDBCell(t *testing.T, c *cachedDBSide) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st := c.st
	want := mustDict(t, `{"_auth_user_id":"7","cart":[1,2,3],"name":"Zo\u00eb","f":1.5}`)

	// Django writes both copies; Go reads (a cache hit).
	key := c.django(t, "create", "data_json", mustJSON(want))["session_key"].(string)
	got, err := st.Load(ctx, key)
	if err != nil || !got.Equal(want) {
		t.Fatalf("Go read Django's session as %v, %v", got, err)
	}
	// With the cache copy gone, Go reads the row and refills the cache,
	// which Django then reads.
	c.dropCached(t, ctx, key)
	if got, err = st.Load(ctx, key); err != nil || !got.Equal(want) {
		t.Fatalf("Go read-through: %v, %v", got, err)
	}
	if !c.cached(t, ctx, key) {
		t.Error("Go's read-through did not refill the cache")
	}
	// Go modifies: both copies change, Django sees it.
	got.Set("visits", int64(43))
	if err := st.Save(ctx, key, got, false); err != nil {
		t.Fatal(err)
	}
	if js, _ := c.djangoLoad(t, key); !mustDict(t, js).Equal(got) {
		t.Fatalf("Django read Go's update as %s", js)
	}

	// Go creates; with the cache emptied, Django reads Go's row (and
	// refills the cache, which Go then reads).
	key2, err := djsession.Create(ctx, st, want)
	if err != nil {
		t.Fatal(err)
	}
	c.dropCached(t, ctx, key2)
	if js, found := c.djangoLoad(t, key2); !found || !mustDict(t, js).Equal(want) {
		t.Fatalf("Django read Go's row (cache emptied) as %s, found %v", js, found)
	}
	if !c.cached(t, ctx, key2) {
		t.Error("Django's read-through did not refill the cache")
	}
	if got, err := st.Load(ctx, key2); err != nil || !got.Equal(want) {
		t.Fatalf("Go read Django's refilled cache copy as %v, %v", got, err)
	}

	// Django changes the session Go wrote; Go reads the change from the
	// cache, then from the row.
	c.django(t, "modify", "session_key", key2, "data_json", `{"visits":44,"cart":[]}`)
	changed := mustDict(t, mustJSON(want))
	changed.Set("cart", []any{})
	changed.Set("visits", int64(44))
	if got, err := st.Load(ctx, key2); err != nil || !got.Equal(changed) {
		t.Fatalf("Go read Django's change (cache) as %v, %v", got, err)
	}
	c.dropCached(t, ctx, key2)
	if got, err := st.Load(ctx, key2); err != nil || !got.Equal(changed) {
		t.Fatalf("Go read Django's change (row) as %v, %v", got, err)
	}

	// Django deletes, Go's save is ErrUpdate.
	c.django(t, "delete", "session_key", key2)
	if err := st.Save(ctx, key2, want, false); !errors.Is(err, djsession.ErrUpdate) {
		t.Errorf("Go save after Django's delete: %v, want ErrUpdate", err)
	}
	if r := c.django(t, "exists", "session_key", key2); r["exists"] != false {
		t.Error("the deleted session came back")
	}
	// Go deletes: Django sees neither copy.
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, found := c.djangoLoad(t, key); found {
		t.Error("Django still sees the session Go deleted")
	}
}

// cachedDBCacheDown: a save whose cache write fails. Django 3.2 and 4.2
// raise, 5.1+ log "Error saving to cache" (the README's version table);
// either way the row was written first. Go with the default of the same
// version does what Django did.
func cachedDBCacheDown(t *testing.T, c *cachedDBSide) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const logged = "Error saving to cache"
	raises := !c.version.AtLeast(5, 1)
	key, err := djsession.Create(ctx, c.rows, mustDict(t, `{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}

	// Django's save with the row already held (no load, which would fail
	// on its read-through cache write in every version).
	r := c.p.mustCall(t, with(c.base, "op", "update", "session_key", key, "data_json", `{"x":2}`))
	djangoLogged := fmt.Sprint(r["logged"])
	if djangoRaised := r["ok"] != true; djangoRaised != raises {
		t.Errorf("Django %s raised %v (%v: %v), the version table says %v", c.version, djangoRaised, r["exception"], r["message"], raises)
	}
	if strings.Contains(djangoLogged, logged) == raises {
		t.Errorf("Django %s logged %s", c.version, djangoLogged)
	}
	if got, err := c.rows.Load(ctx, key); err != nil || !got.Equal(mustDict(t, `{"x":2}`)) {
		t.Errorf("the row after Django's save with the cache down: %v, %v", got, err)
	}

	err = c.st.Save(ctx, key, mustDict(t, `{"x":3}`), false)
	if raises != errors.Is(err, djsession.ErrBackend) || (!raises && err != nil) {
		t.Errorf("Go with Django %s's default: Save = %v; Django raised %v (%v)", c.version, err, r["ok"] != true, r["exception"])
	}
	if strings.Contains(c.log.String(), logged) == raises {
		t.Errorf("Go with Django %s's default logged %q; Django logged %s", c.version, c.log.String(), djangoLogged)
	}
	if got, err := c.rows.Load(ctx, key); err != nil || !got.Equal(mustDict(t, `{"x":3}`)) {
		t.Errorf("the row after Go's save with the cache down: %v, %v", got, err)
	}
}

// mustCachedDB is cacheddb.New, failing the test on an error.
func mustCachedDB(t *testing.T, d *db.Store, c cache.Cache) *cacheddb.Store {
	t.Helper()
	st, err := cacheddb.New(d, c)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
