package compat_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/testnet"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// The cache matrix: every Django version × every cache library it has ×
// one and two memcached servers (Redis: one server). A cell listed here
// always runs; a cell that cannot run here is in MATRIX.md ("cache") and
// is not listed.
var cacheMatrix = map[string][]string{
	"3.2": {"pymemcache1", "pymemcache2", "pylibmc1", "pylibmc2", "memcached1", "memcached2", "djangoredis", "djangoredis_zlib"},
	"4.2": {"pymemcache1", "pymemcache2", "pylibmc1", "pylibmc2", "redis", "djangoredis", "djangoredis_zlib"},
	"5.2": {"pymemcache1", "pymemcache2", "pylibmc1", "pylibmc2", "redis", "djangoredis", "djangoredis_zlib"},
	"6.1": {"pymemcache1", "pymemcache2", "redis", "djangoredis", "djangoredis_zlib"},
}

// cacheEnv is what one run of TestCacheLive shares: two memcached servers
// it started, the Redis, and one Django peer per version.
type cacheEnv struct {
	prefix    string
	memcached []string
	redis     *redis.Client
	redisURL  string
	// sqlitePath is the cached_db engine's database, shared by the peers
	// and Go (empty: the peers use none).
	sqlitePath string
	// For cached_db: the session table on every database (empty: the
	// SQLite file migrated), the PostgreSQL role that adds PostgreSQL and
	// MariaDB, and a Redis URL nothing listens on (a cache that fails).
	table, pgUser, deadRedisURL string
}

func cacheMissing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (skipping; under CI=true this fails)", args...)
}

func startTestMemcached(t *testing.T) string {
	t.Helper()
	bin, err := testnet.MemcachedBinary()
	if err != nil {
		cacheMissing(t, "%v", err)
	}
	addr, stop, err := testnet.StartMemcached(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// memcachedHas asks one server directly whether it holds key.
func memcachedHas(t *testing.T, addr, key string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "mg %s\r\n", key)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.HasPrefix(line, "HD")
}

func startCachePeer(t *testing.T, v string, env *cacheEnv) *peer {
	t.Helper()
	conf, _ := json.Marshal(map[string]any{"prefix": env.prefix, "memcached": env.memcached, "redis_url": env.redisURL, "sqlite_path": env.sqlitePath,
		"table": env.table, "pg_user": env.pgUser, "dead_redis_url": env.deadRedisURL})
	p, err := launchPeer(v, "cachepeer.py", "DJSESSION_CACHEPEER="+string(conf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return p
}

// ok calls the peer and fails the test unless Django answered ok.
func (p *peer) ok(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	r := p.mustCall(t, req)
	if r["ok"] != true {
		t.Fatalf("Django %s %v: %s: %s\n%s", p.version, req["op"], r["exception"], r["message"], r["traceback"])
	}
	return r
}

// goCache builds the Go side of a CACHES alias.
func goCache(t *testing.T, alias string, env *cacheEnv) (cache.Cache, *cache.Selector) {
	t.Helper()
	opts := cache.Options{KeyPrefix: env.prefix}
	n := 1
	if strings.HasSuffix(alias, "2") {
		n = 2
	}
	var lib cache.MemcachedLibrary
	switch strings.TrimRight(alias, "12") {
	case "pymemcache":
		lib = cache.PyMemcacheCache
	case "pylibmc":
		lib = cache.PyLibMCCache
	case "memcached":
		lib = cache.MemcachedCache
	case "redis":
		c, err := cache.NewRedis(cache.RedisCache, opts, env.redis)
		if err != nil {
			t.Fatal(err)
		}
		return c, nil
	case "djangoredis", "djangoredis_zlib":
		if alias == "djangoredis_zlib" {
			opts.Compressor = cache.ZlibCompressor
		}
		c, err := cache.NewRedis(cache.DjangoRedis, opts, env.redis)
		if err != nil {
			t.Fatal(err)
		}
		return c, nil
	default:
		t.Fatalf("unknown alias %s", alias)
	}
	sel, err := lib.Selector(env.memcached[:n]...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.NewMemcached(memcache.NewFromSelector(sel), lib, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, sel
}

func mustDict(t *testing.T, js string) *pyjson.Dict {
	t.Helper()
	d, err := pyjson.UnmarshalDict([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return d
}

const cacheSessionJSON = `{"_auth_user_id":"7","_auth_user_backend":"django.contrib.auth.backends.ModelBackend",` +
	`"cart":[1,2,3],"name":"Zo\u00eb \ud83d\ude00","big":1180591620717411303424,"neg":-9223372036854775808,` +
	`"f":1.5,"nested":{"b":1,"a":[true,false,null]},"empty":{}}`

func TestCacheLive(t *testing.T) {
	requireLive(t)
	django(t, "5.2") // installs the Djangos if needed
	b := make([]byte, 5)
	rand.Read(b)
	env := &cacheEnv{prefix: "djslive" + hex.EncodeToString(b), redisURL: "redis://127.0.0.1:6379/0"}
	env.memcached = []string{startTestMemcached(t), startTestMemcached(t)}
	env.redis = redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := env.redis.Keys(ctx, env.prefix+"*").Result(); len(keys) > 0 {
			env.redis.Del(ctx, keys...)
		}
		env.redis.Close()
	})
	if err := env.redis.Ping(context.Background()).Err(); err != nil {
		cacheMissing(t, "Redis is not reachable at 127.0.0.1:6379: %v", err)
	}
	cells := 0
	for _, v := range versions {
		p := startCachePeer(t, v, env)
		caps := p.ok(t, map[string]any{"op": "caps"})
		if !strings.HasPrefix(caps["version"].(string), v+".") {
			t.Fatalf("peer runs Django %v, want %s", caps["version"], v)
		}
		have := map[string]bool{}
		for _, a := range caps["aliases"].([]any) {
			have[a.(string)] = true
		}
		for _, alias := range cacheMatrix[v] {
			if !have[alias] {
				t.Errorf("Django %s: the peer has no %s alias (libraries %v); the cell must run", v, alias, caps["libraries"])
				continue
			}
			cells++
			t.Run(v+"/"+alias, func(t *testing.T) { cacheCell(t, p, v, alias, env) })
		}
	}
	t.Logf("%d cache matrix cells generated", cells)
}

func cacheCell(t *testing.T, p *peer, v, alias string, env *cacheEnv) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, sel := goCache(t, alias, env)
	settings := djsession.DefaultSettings("django-insecure-cachepeer")
	settings.SessionEngine = djsession.EngineCache
	settings.DjangoVersion, _ = djsession.ParseVersion(v)
	st, err := cache.New(c, settings)
	if err != nil {
		t.Fatal(err)
	}
	want := mustDict(t, cacheSessionJSON)
	req := func(op string, kv ...any) map[string]any {
		m := map[string]any{"op": op, "alias": alias}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return p.ok(t, m)
	}
	djangoLoad := func(key string) (*pyjson.Dict, bool, float64) {
		r := req("load", "session_key", key)
		var age float64
		if n, ok := r["expiry_age"].(json.Number); ok {
			age, _ = n.Float64()
		}
		return mustDict(t, r["value_json"].(string)), r["found"] == true, age
	}

	// Django writes, Go reads the same dict.
	key1 := req("create", "data_json", cacheSessionJSON)["session_key"].(string)
	got, err := st.Load(ctx, key1)
	if err != nil || !got.Equal(want) {
		t.Fatalf("Go read Django's session as %v, %v", got, err)
	}
	// Go modifies, Django sees the change.
	got.Set("visits", int64(43))
	if err := st.Save(ctx, key1, got, false); err != nil {
		t.Fatal(err)
	}
	if d, found, _ := djangoLoad(key1); !found || !d.Equal(got) {
		t.Fatalf("Django read Go's update as %v (found %v)", d, found)
	}
	// Django modifies, Go sees the change.
	req("modify", "session_key", key1, "data_json", `{"visits":44}`)
	if d, err := st.Load(ctx, key1); err != nil || !pyjson.Equal(mustGet(d, "visits"), int64(44)) {
		t.Fatalf("Go read Django's update as %v, %v", d, err)
	}
	// Go writes, Django reads.
	key2, err := djsession.Create(ctx, st, want)
	if err != nil {
		t.Fatal(err)
	}
	if d, found, age := djangoLoad(key2); !found || !d.Equal(want) || age != 1209600 {
		t.Fatalf("Django read Go's session as %v (found %v, age %v)", d, found, age)
	}
	if r := req("exists", "session_key", key2); r["exists"] != true {
		t.Fatal("Django's exists() does not see Go's session")
	}
	if ok, err := st.Exists(ctx, key1); !ok || err != nil {
		t.Fatalf("Go's Exists does not see Django's session: %v", err)
	}
	// An expiry set by Django (a datetime: pickled on 3.2, an ISO string
	// after) survives Go's save with the remaining age as the timeout.
	key5 := req("create", "data_json", `{"a":1}`, "expiry", map[string]any{"from_now": 3600})["session_key"].(string)
	d5, err := st.Load(ctx, key5)
	if err != nil {
		t.Fatal(err)
	}
	if v == "3.2" {
		if _, ok := mustGet(d5, djsession.ExpiryKey).(pickle.Datetime); !ok {
			t.Errorf("Django 3.2 expiry is a %T, want a pickled datetime", mustGet(d5, djsession.ExpiryKey))
		}
	}
	d5.Set("b", int64(2))
	if err := st.Save(ctx, key5, d5, false); err != nil {
		t.Fatal(err)
	}
	if d, found, age := djangoLoad(key5); !found || !pyjson.Equal(mustGet(d, "b"), int64(2)) || age > 3600 || age < 3590 {
		t.Fatalf("after Go's save of a session with a datetime expiry Django sees %v, found %v, age %v", d, found, age)
	}
	// An expired session is invisible to both.
	key3 := req("create", "data_json", `{"a":1}`, "expiry", map[string]any{"from_now": -10})["session_key"].(string)
	if d, err := st.Load(ctx, key3); !errors.Is(err, djsession.ErrNotFound) {
		t.Fatalf("Go sees Django's expired session: %v %v", d, err)
	}
	if _, found, _ := djangoLoad(key3); found {
		t.Fatal("Django sees its own expired session")
	}
	expired := mustDict(t, `{"a":1}`)
	past := time.Now().Add(-10 * time.Second)
	if v == "3.2" {
		expired.Set(djsession.ExpiryKey, pickle.DatetimeOf(past.UTC()))
	} else if err := settings.SetExpiry(expired, past, time.Now()); err != nil {
		t.Fatal(err)
	}
	key4, err := djsession.Create(ctx, st, expired)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := djangoLoad(key4); found {
		t.Fatal("Django sees Go's expired session")
	}
	if _, err := st.Load(ctx, key4); !errors.Is(err, djsession.ErrNotFound) {
		t.Fatalf("Go sees its own expired session: %v", err)
	}
	// Django deletes a session Go holds: Go's save is ErrUpdate and does
	// not bring it back.
	held, err := st.Load(ctx, key2)
	if err != nil {
		t.Fatal(err)
	}
	req("delete", "session_key", key2)
	held.Set("late", true)
	if err := st.Save(ctx, key2, held, false); !errors.Is(err, djsession.ErrUpdate) {
		t.Fatalf("Go's save of a session Django deleted: %v, want ErrUpdate", err)
	}
	if _, found, _ := djangoLoad(key2); found {
		t.Fatal("the failed update brought the session back")
	}
	// Go deletes, Django no longer finds it.
	if err := st.Delete(ctx, key1); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := djangoLoad(key1); found {
		t.Fatal("Django still finds a session Go deleted")
	}
	if sel != nil && len(sel.Locations()) > 1 {
		cachePlacement(t, ctx, p, v, alias, c, sel, env)
	}
}

func mustGet(d *pyjson.Dict, k string) any {
	v, _ := d.Get(k)
	return v
}

// cachePlacement checks that Django and Go put each of many keys on the
// same one of two servers, both ways.
func cachePlacement(t *testing.T, ctx context.Context, p *peer, v, alias string, c cache.Cache, sel *cache.Selector, env *cacheEnv) {
	const n = 100
	var djKeys, goKeys []any
	for i := range n {
		k, _ := djsession.NewSessionKey(nil)
		djKeys = append(djKeys, cache.KeyPrefix+k)
		goKeys = append(goKeys, fmt.Sprintf("go-%s-%s-%d", v, alias, i))
	}
	p.ok(t, map[string]any{"op": "cache_set", "alias": alias, "keys": djKeys, "value_json": `"p"`})
	onSecond := 0
	for _, k := range djKeys {
		sk := cache.MakeKey(k.(string), env.prefix, 1)
		server := sel.Server(sk)
		if server == env.memcached[1] {
			onSecond++
		}
		for _, addr := range env.memcached[:2] {
			if has := memcachedHas(t, addr, sk); has != (addr == server) {
				t.Errorf("%q: Django put it on %s=%v, Go picks %s", sk, addr, has, server)
			}
		}
	}
	if onSecond == 0 || onSecond == n {
		t.Errorf("all %d keys on one server (%d on the second)", n, onSecond)
	}
	for _, k := range goKeys {
		if err := c.Set(ctx, k.(string), "g", 300); err != nil {
			t.Fatal(err)
		}
	}
	r := p.ok(t, map[string]any{"op": "cache_get", "alias": alias, "keys": goKeys})
	for i, val := range r["values"].([]any) {
		if val != `"g"` {
			t.Errorf("Django reads Go's %q as %v", goKeys[i], val)
		}
	}
	// And the sessions Django creates all load in Go.
	for range 20 {
		key := p.ok(t, map[string]any{"op": "create", "alias": alias, "data_json": `{"n":1}`})["session_key"].(string)
		if _, err := mustCacheStore(t, c, djsession.DefaultSettings("x")).Load(ctx, key); err != nil {
			t.Fatalf("Go misses a session Django placed: %v", err)
		}
	}
}

// mustCacheStore is cache.New, failing the test on an error.
func mustCacheStore(t *testing.T, c cache.Cache, s djsession.Settings) *cache.Store {
	t.Helper()
	st, err := cache.New(c, s)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
