package compat_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/cacheddb"
	"github.com/djsession/djsession/backends/db"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// cachedDBMatrix: the cached_db engine on one memcached and one Redis
// backend per version, its database a SQLite file shared with Django.
var cachedDBMatrix = map[string][]string{
	"3.2": {"pymemcache1", "djangoredis"},
	"4.2": {"pymemcache1", "redis"},
	"5.2": {"pymemcache1", "redis"},
	"6.1": {"pymemcache1", "redis"},
}

func TestCachedDBLive(t *testing.T) {
	requireLive(t)
	django(t, "5.2")
	b := make([]byte, 5)
	rand.Read(b)
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
			p := startCachePeer(t, v, env)
			p.ok(t, map[string]any{"op": "caps"}) // migrated and ready
			sqlDB, err := sql.Open("sqlite", "file:"+env.sqlitePath+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			defer sqlDB.Close()
			for _, alias := range cachedDBMatrix[v] {
				t.Run(alias, func(t *testing.T) { cachedDBCell(t, p, v, alias, env, sqlDB) })
			}
		})
	}
}

func cachedDBCell(t *testing.T, p *peer, v, alias string, env *cacheEnv, sqlDB *sql.DB) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _ := goCache(t, alias, env)
	s := djsession.DefaultSettings("django-insecure-cachepeer")
	s.SessionEngine = djsession.EngineCachedDB
	s.DjangoVersion, _ = djsession.ParseVersion(v)
	d, err := db.New(sqlDB, db.SQLite, s)
	if err != nil {
		t.Fatal(err)
	}
	st := cacheddb.New(d, c, s)
	req := func(op string, kv ...any) map[string]any {
		m := map[string]any{"op": op, "alias": alias, "engine": "cached_db"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return p.ok(t, m)
	}
	want := mustDict(t, `{"_auth_user_id":"7","cart":[1,2,3],"name":"Zo\u00eb","f":1.5}`)

	// Django writes both copies; Go reads (a cache hit).
	key := req("create", "data_json", mustJSON(want))["session_key"].(string)
	got, err := st.Load(ctx, key)
	if err != nil || !got.Equal(want) {
		t.Fatalf("Go read Django's session as %v, %v", got, err)
	}
	// With the cache copy gone, Go reads the row and refills the cache,
	// which Django then reads.
	if err := c.Delete(ctx, cache.CachedDBKeyPrefix+key); err != nil {
		t.Fatal(err)
	}
	if got, err = st.Load(ctx, key); err != nil || !got.Equal(want) {
		t.Fatalf("Go read-through: %v, %v", got, err)
	}
	if _, found, _ := c.Get(ctx, cache.CachedDBKeyPrefix+key); !found {
		t.Error("Go's read-through did not refill the cache")
	}
	// Go modifies: both copies change, Django sees it.
	got.Set("visits", int64(43))
	if err := st.Save(ctx, key, got, false); err != nil {
		t.Fatal(err)
	}
	r := req("load", "session_key", key)
	if !mustDict(t, r["value_json"].(string)).Equal(got) {
		t.Fatalf("Django read Go's update as %v", r["value_json"])
	}
	// Go creates, Django reads; Django deletes, Go's save is ErrUpdate.
	key2, err := djsession.Create(ctx, st, &s, want)
	if err != nil {
		t.Fatal(err)
	}
	r = req("load", "session_key", key2)
	if r["found"] != true || !mustDict(t, r["value_json"].(string)).Equal(want) {
		t.Fatalf("Django read Go's session as %v", r)
	}
	req("delete", "session_key", key2)
	if err := st.Save(ctx, key2, want, false); !errors.Is(err, djsession.ErrUpdate) {
		t.Errorf("Go save after Django's delete: %v, want ErrUpdate", err)
	}
	if r := req("exists", "session_key", key2); r["exists"] != false {
		t.Error("the deleted session came back")
	}
	// Go deletes: Django sees neither copy.
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if r := req("load", "session_key", key); r["found"] == true {
		t.Errorf("Django still sees the session Go deleted: %v", r)
	}
	_ = pyjson.Equal
}
