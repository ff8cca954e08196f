package compat_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/cache"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/testnet"
	"github.com/djsession/djsession/pyjson"
)

// The Redis topologies of issue 12, live: django-redis's ShardClient over
// three servers, its SentinelClient with a failover, and a Redis Cluster
// through redis-py's RedisCluster, each against real Django
// (fixtures/redispeer.py) and real redis-server processes the test starts
// on loopback ports (internal/testnet). Every test is bounded by a
// context deadline.

// topologyVersions are the Django versions of the shard test, for the
// two django-redis releases whose ShardClient they bring: 3.2's 5.2.0
// (the one the spec read) and 5.2's 7.0.0. 4.2's 5.4.0 has the same
// hash_ring.py and get_server_name as 5.2.0 but for type hints, and 6.1's
// is 5.2's 7.0.0 under Python 3.13: MATRIX.md.
var topologyVersions = []string{"3.2", "5.2"}

func redisServerBin(t *testing.T) string {
	t.Helper()
	bin, err := testnet.RedisBinary()
	if err != nil {
		cacheMissing(t, "%v", err)
	}
	return bin
}

func startRedisServer(t *testing.T, bin string, args ...string) *testnet.RedisServer {
	t.Helper()
	s, err := testnet.StartRedis(bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// startRedisPeer starts fixtures/redispeer.py under Django v with the
// given CACHES aliases and checks it runs that version.
func startRedisPeer(t *testing.T, v string, caches map[string]any, factory string) *peer {
	t.Helper()
	conf, _ := json.Marshal(map[string]any{"caches": caches, "connection_factory": factory})
	p, err := launchPeer(v, "redispeer.py", "DJSESSION_REDISPEER="+string(conf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	caps := p.ok(t, map[string]any{"op": "caps"})
	if !strings.HasPrefix(caps["version"].(string), v+".") {
		t.Fatalf("peer runs Django %v, want %s", caps["version"], v)
	}
	t.Logf("Django %s, django-redis %s, redis-py %s", caps["version"], caps["django_redis"], caps["redis_py"])
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sessionKeys returns n random session keys as Django makes them (32
// characters of [a-z0-9]).
func sessionKeys(n int) []string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	keys := make([]string, n)
	b := make([]byte, 32)
	for i := range keys {
		rand.Read(b)
		for j := range b {
			b[j] = chars[int(b[j])%len(chars)]
		}
		keys[i] = string(b)
	}
	return keys
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

const topologySessionJSON = `{"_auth_user_id":"7","_auth_user_backend":"django.contrib.auth.backends.ModelBackend",` +
	`"cart":[1,2,3],"name":"Zo\u00eb","big":1180591620717411303424}`

func topologySettings(v string) djsession.Settings {
	s := djsession.DefaultSettings("redispeer-not-used-the-cache-engine-signs-nothing")
	s.SessionEngine = djsession.EngineCache
	s.DjangoVersion, _ = djsession.ParseVersion(v)
	return s
}

// djangoLoadMany has Django load each session and returns how many it
// found equal to want.
func djangoLoadMany(t *testing.T, p *peer, alias string, keys []string, want *pyjson.Dict) int {
	t.Helper()
	r := p.ok(t, map[string]any{"op": "load_many", "alias": alias, "keys": anyList(keys)})
	n := 0
	for _, v := range r["values"].([]any) {
		if s, ok := v.(string); ok && mustDict(t, s).Equal(want) {
			n++
		}
	}
	return n
}

// TestRedisShardLive: django-redis's ShardClient over three redis-server
// processes. For 1000 session keys (and cache keys with hash tags, and a
// KEY_PREFIX that is a hash tag), Go's HashRing names the server
// django-redis's get_server_name names; Go writes half and Django reads
// them, Django writes the other half and Go reads them; then every server
// is asked which keys it holds: each key is on exactly the one server
// both sides named.
func TestRedisShardLive(t *testing.T) {
	requireLive(t)
	django(t, "5.2") // installs the Djangos if needed
	bin := redisServerBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	var locations []string
	var clients []redis.UniversalClient
	raw := map[string]*redis.Client{}
	for range 3 {
		s := startRedisServer(t, bin)
		loc := "redis://" + s.Addr + "/0"
		locations = append(locations, loc)
		c := s.Client()
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
		raw[loc] = c
	}
	prefix := "djsshard" + randomHex(4)
	tagPrefix := "{tenant" + randomHex(3) + "}"
	for _, v := range topologyVersions {
		t.Run(v, func(t *testing.T) {
			opts := map[string]any{"CLIENT_CLASS": "django_redis.client.ShardClient"}
			p := startRedisPeer(t, v, map[string]any{
				"shard":     map[string]any{"BACKEND": "django_redis.cache.RedisCache", "LOCATION": locations, "KEY_PREFIX": prefix, "OPTIONS": opts},
				"shard_tag": map[string]any{"BACKEND": "django_redis.cache.RedisCache", "LOCATION": locations, "KEY_PREFIX": tagPrefix, "OPTIONS": opts},
			}, "")
			shardCell(ctx, t, p, v, locations, clients, raw, map[string]string{"shard": prefix, "shard_tag": tagPrefix})
			for _, c := range clients {
				c.FlushDB(ctx)
			}
		})
	}
}

// shardCell runs the shard checks against one Django version; prefixes
// are the KEY_PREFIX of each alias.
func shardCell(ctx context.Context, t *testing.T, p *peer, v string, locations []string, clients []redis.UniversalClient,
	raw map[string]*redis.Client, prefixes map[string]string) {
	want := mustDict(t, topologySessionJSON)
	ring := cache.NewHashRing(locations...)
	for _, alias := range []string{"shard", "shard_tag"} {
		n := 1000
		if alias == "shard_tag" {
			n = 100
		}
		c, err := cache.NewShardClient(cache.Options{KeyPrefix: prefixes[alias]}, locations, clients)
		if err != nil {
			t.Fatal(err)
		}
		st, err := cache.New(c, topologySettings(v))
		if err != nil {
			t.Fatal(err)
		}
		keys := sessionKeys(n)
		cacheKeys := make([]string, n)
		for i, k := range keys {
			cacheKeys[i] = st.CacheKey(k)
		}
		// The placement functions agree on every key.
		names := p.ok(t, map[string]any{"op": "server_names", "alias": alias, "keys": anyList(cacheKeys)})["names"].([]any)
		perServer := map[string]int{}
		for i, k := range cacheKeys {
			goName := ring.ServerName(c.Key(k))
			if names[i] != goName {
				t.Fatalf("%s: key %d: Go places it on %s, django-redis on %v", alias, i, goName, names[i])
			}
			perServer[goName]++
		}
		// Go writes the first half, Django the second; each reads the other's.
		half := n / 2
		for _, k := range keys[:half] {
			if err := st.Save(ctx, k, want, true); err != nil {
				t.Fatalf("%s: Go create: %v", alias, err)
			}
		}
		r := p.ok(t, map[string]any{"op": "save_many", "alias": alias, "keys": anyList(keys[half:]), "data_json": topologySessionJSON, "create": true})
		if r["errors"].(json.Number).String() != "0" {
			t.Fatalf("%s: Django's creates failed: %v %v", alias, r["errors"], r["first_error"])
		}
		if got := djangoLoadMany(t, p, alias, keys[:half], want); got != half {
			t.Fatalf("%s: Django found %d of Go's %d sessions", alias, got, half)
		}
		for i, k := range keys[half:] {
			d, err := st.Load(ctx, k)
			if err != nil || !d.Equal(want) {
				t.Fatalf("%s: Go read Django's session %d as %v, %v", alias, i, d, err)
			}
		}
		// Each server holds exactly the keys both sides named for it.
		holders := make([]int, n)
		for loc, rc := range raw {
			pipe := rc.Pipeline()
			cmds := make([]*redis.IntCmd, n)
			for i, k := range cacheKeys {
				cmds[i] = pipe.Exists(ctx, c.Key(k))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			for i, cmd := range cmds {
				if cmd.Val() == 1 {
					holders[i]++
					if loc != names[i] {
						t.Fatalf("%s: key %d is on %s, both sides named %v", alias, i, loc, names[i])
					}
				}
			}
		}
		for i, h := range holders {
			if h != 1 {
				t.Fatalf("%s: key %d is on %d servers", alias, i, h)
			}
		}
		if alias == "shard_tag" && len(perServer) != 1 {
			t.Errorf("a KEY_PREFIX that is a hash tag spread the sessions over %d servers", len(perServer))
		}
		t.Logf("%s: %d sessions, both directions, placed alike; per server %v", alias, n, perServer)
	}
	// Cache keys with hash tags (ShardClient's rule: the last "{" that a
	// "}" follows, to the last "}"), written by each side through the
	// cache API and read by the other.
	c, err := cache.NewShardClient(cache.Options{KeyPrefix: prefixes["shard"]}, locations, clients)
	if err != nil {
		t.Fatal(err)
	}
	var tagged []string
	for i := range 60 {
		tagged = append(tagged, fmt.Sprintf("cart{user%d}", i), fmt.Sprintf("a{%d}b{x%d}c", i, i), fmt.Sprintf("x{}y%d", i), fmt.Sprintf("u{%d}}z}", i))
	}
	names := p.ok(t, map[string]any{"op": "server_names", "alias": "shard", "keys": anyList(tagged)})["names"].([]any)
	var items []any
	for i, k := range tagged {
		if goName := ring.ServerName(c.Key(k)); names[i] != goName {
			t.Fatalf("tagged key %q: Go places it on %s, django-redis on %v", k, goName, names[i])
		}
		if i%2 == 0 {
			if err := c.Set(ctx, k, int64(i), 300); err != nil {
				t.Fatal(err)
			}
		} else {
			items = append(items, []any{k, strconv.Itoa(i)})
		}
	}
	p.ok(t, map[string]any{"op": "cache_set", "alias": "shard", "items": items, "timeout": 300})
	vals := p.ok(t, map[string]any{"op": "cache_get", "alias": "shard", "keys": anyList(tagged)})["values"].([]any)
	for i, k := range tagged {
		if vals[i] != strconv.Itoa(i) {
			t.Fatalf("Django read %q as %v, want %d", k, vals[i], i)
		}
		got, found, err := c.Get(ctx, k)
		if err != nil || !found || !pyjson.Equal(got, int64(i)) {
			t.Fatalf("Go read %q as %v (%v, %v), want %d", k, got, found, err, i)
		}
		if raw[names[i].(string)].Exists(ctx, c.Key(k)).Val() != 1 {
			t.Fatalf("%q is not on %v", k, names[i])
		}
	}
}

// sentinelTimes keep a failover within a few seconds: the primary is
// subjectively down after 1 s without an answer, and a failover that
// stalls is retried after 3 s.
var sentinelTimes = testnet.SentinelTimes{DownAfter: time.Second, FailoverTimeout: 3 * time.Second}

// TestRedisSentinelLive: a primary, a replica and three Sentinels on
// loopback; Django 5.2 with django-redis' SentinelClient and Go
// (CacheConfig{Client: "sentinel"}: go-redis failover clients, the
// primary for writes and a Sentinel-chosen replica for reads, as
// django-redis routes them) read each other's sessions. Then the primary
// is killed (SIGKILL) during a run of Go writes, each bounded by a
// 2-second request deadline: every request ends within it, Go writes to
// the new primary once the Sentinels promoted the replica, and the test
// reports how many acknowledged writes were lost (Redis replication is
// asynchronous: a write the primary acknowledged but had not sent to the
// replica dies with it). Both sides then share sessions on the new
// primary. A second replica joins, and the new primary is hung (SIGSTOP):
// the same run, with requests on the hung connections ended by their
// deadline; Django's pooled connection times out once before it asks
// the Sentinels again.
func TestRedisSentinelLive(t *testing.T) {
	requireLive(t)
	django(t, "5.2")
	bin := redisServerBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t0 := time.Now()
	primary := startRedisServer(t, bin)
	replica, err := testnet.StartReplica(ctx, bin, primary)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(replica.Stop)
	const service = "djsmaster"
	sentinels, err := testnet.StartSentinels(ctx, bin, service, primary, 1, 3, sentinelTimes)
	if err != nil {
		t.Fatal(err)
	}
	var sentinelAddrs []string
	var sentinelList []any
	for _, s := range sentinels {
		t.Cleanup(s.Stop)
		sentinelAddrs = append(sentinelAddrs, s.Addr)
		sentinelList = append(sentinelList, []any{"127.0.0.1", s.Port})
	}
	t.Logf("primary, replica and 3 Sentinels up in %v", time.Since(t0).Round(time.Millisecond))
	prefix := "djssent" + randomHex(4)
	p := startRedisPeer(t, "5.2", map[string]any{
		"sentinel": map[string]any{"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://" + service + "/0", "KEY_PREFIX": prefix,
			"OPTIONS": map[string]any{"CLIENT_CLASS": "django_redis.client.SentinelClient", "SENTINELS": sentinelList,
				"CONNECTION_POOL_CLASS": "redis.sentinel.SentinelConnectionPool", "SOCKET_TIMEOUT": 2, "SOCKET_CONNECT_TIMEOUT": 1}},
	}, "django_redis.pool.SentinelConnectionFactory")

	cc := backends.CacheConfig{Backend: backends.DjangoRedis, Location: []string{"redis://" + service + "/0"}, KeyPrefix: prefix,
		Client: backends.RedisClientSentinel, Sentinels: sentinelAddrs}
	gc, closeCache, err := cc.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeCache() })
	st, err := cache.New(gc, topologySettings("5.2"))
	if err != nil {
		t.Fatal(err)
	}
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: sentinelAddrs[0]})
	t.Cleanup(func() { sentinel.Close() })
	primaryAddr := func() string {
		a, err := sentinel.GetMasterAddrByName(ctx, service).Result()
		if err != nil || len(a) != 2 {
			t.Fatalf("the Sentinel names no primary: %v", err)
		}
		return a[0] + ":" + a[1]
	}
	// waitReplicated waits until the current primary's writes reached the
	// replica (WAIT 1): reads go to the replica on both sides.
	waitReplicated := func(addr string) {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		if n, err := c.Wait(ctx, 1, 2*time.Second).Result(); err != nil || n < 1 {
			t.Fatalf("WAIT 1 on %s: %d, %v", addr, n, err)
		}
	}
	want := mustDict(t, topologySessionJSON)
	share := func(stage string, replicated bool) {
		t.Helper()
		keys := sessionKeys(40)
		for _, k := range keys[:20] {
			if err := st.Save(ctx, k, want, true); err != nil {
				t.Fatalf("%s: Go create: %v", stage, err)
			}
		}
		r := p.ok(t, map[string]any{"op": "save_many", "alias": "sentinel", "keys": anyList(keys[20:]), "data_json": topologySessionJSON, "create": true})
		if r["errors"].(json.Number).String() != "0" {
			t.Fatalf("%s: Django's creates failed: %v %v", stage, r["errors"], r["first_error"])
		}
		if replicated {
			waitReplicated(primaryAddr())
		}
		if got := djangoLoadMany(t, p, "sentinel", keys[:20], want); got != 20 {
			t.Fatalf("%s: Django found %d of Go's 20 sessions", stage, got)
		}
		for _, k := range keys[20:] {
			if d, err := st.Load(ctx, k); err != nil || !d.Equal(want) {
				t.Fatalf("%s: Go read Django's session as %v, %v", stage, d, err)
			}
		}
		t.Logf("%s: Django and Go read each other's 20 sessions (primary %s)", stage, primaryAddr())
	}
	share("before the failover", true)
	if got := primaryAddr(); got != primary.Addr {
		t.Fatalf("the primary is %s, want %s", got, primary.Addr)
	}

	// A run of Go writes with the primary killed, then (a new replica
	// having joined) one with the new primary hung.
	failover := func(stage string, fail func(), want *testnet.RedisServer) {
		t.Helper()
		r := failoverRun(ctx, t, st, fail)
		if got := primaryAddr(); got != want.Addr {
			t.Fatalf("%s: the Sentinels promoted %s, want %s", stage, got, want.Addr)
		}
		np := redis.NewClient(&redis.Options{Addr: want.Addr})
		defer np.Close()
		lost := 0
		for _, k := range r.acked {
			if np.Exists(ctx, gc.(*cache.Redis).Key(st.CacheKey(k))).Val() != 1 {
				lost++
			}
		}
		t.Logf("%s: %d Go writes from 4 goroutines (%d acknowledged before the fault at %v), %d failed with an error within the %v deadline, "+
			"first acknowledged write on the new primary %v after the fault, slowest request %v; acknowledged writes lost: %d of %d",
			stage, r.writes, r.ackedBefore, r.faultAt.Round(time.Millisecond), r.failed, failoverDeadline, r.firstAfter.Round(time.Millisecond),
			r.slowest.Round(time.Millisecond), lost, len(r.acked))
	}
	failover("primary killed (SIGKILL)", primary.Kill, replica)
	share("after the failover", false)

	replica2, err := testnet.StartReplica(ctx, bin, replica)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(replica2.Stop)
	if err := testnet.WaitSentinelsSeeReplica(ctx, sentinels, service, replica2); err != nil {
		t.Fatal(err)
	}
	// The hung primary stays stopped (the Sentinels list it as down, so
	// neither side reads from it) until the test ends.
	failover("primary hung (SIGSTOP)", func() { replica.Pause() }, replica2)
	// redis-py keeps its pooled connections to the hung primary until one
	// times out (SOCKET_TIMEOUT 2 s here): Django's first calls after the
	// hang fail, the next ones ask the Sentinels again.
	djangoFailed := 0
	for range 4 {
		keys := sessionKeys(2)
		w := p.mustCall(t, map[string]any{"op": "save_many", "alias": "sentinel", "keys": anyList(keys), "data_json": topologySessionJSON, "create": true})
		r := p.mustCall(t, map[string]any{"op": "load_many", "alias": "sentinel", "keys": anyList(keys)})
		if w["ok"] != true || w["errors"].(json.Number).String() != "0" || r["ok"] != true {
			djangoFailed++
			continue
		}
		break
	}
	t.Logf("Django after the hang: %d round(s) of 2 creates and 2 loads failed before its pools asked the Sentinels again", djangoFailed)
	share("after the second failover", false)
}

// failoverDeadline is each request's deadline in a failover run.
const failoverDeadline = 2 * time.Second

// failoverResult is what a failover run saw.
type failoverResult struct {
	writes, failed, ackedBefore int
	acked                       []string // the session keys acknowledged
	faultAt, firstAfter         time.Duration
	slowest                     time.Duration
}

// failoverRun has four goroutines create sessions through st, each with a
// failoverDeadline, calls fault a second in, and stops once 200 creates
// were acknowledged after the fault (or after 25 s). Every request must
// end within its deadline.
func failoverRun(ctx context.Context, t *testing.T, st *cache.Store, fault func()) failoverResult {
	t.Helper()
	want := mustDict(t, topologySessionJSON)
	type write struct {
		key      string
		acked    bool
		at, took time.Duration
	}
	var (
		mu       sync.Mutex
		writes   []write
		okAfter  int
		faultAt  time.Duration
		firstAck time.Duration = -1
	)
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 { // four request handlers writing at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				done := time.Since(start) > 25*time.Second || okAfter >= 200
				mu.Unlock()
				if done {
					return
				}
				k := sessionKeys(1)[0]
				rctx, rcancel := context.WithTimeout(ctx, failoverDeadline)
				at := time.Since(start)
				err := st.Save(rctx, k, want, true)
				rcancel()
				w := write{key: k, acked: err == nil, at: at, took: time.Since(start) - at}
				mu.Lock()
				writes = append(writes, w)
				if faultAt > 0 && at > faultAt && w.acked {
					if firstAck < 0 {
						firstAck = at + w.took - faultAt
					}
					okAfter++
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	fault()
	mu.Lock()
	faultAt = time.Since(start)
	mu.Unlock()
	wg.Wait()
	if firstAck < 0 {
		t.Fatalf("no Go write succeeded in the %v after the fault", time.Since(start)-faultAt)
	}
	r := failoverResult{writes: len(writes), faultAt: faultAt, firstAfter: firstAck}
	for _, w := range writes {
		if w.took > failoverDeadline+400*time.Millisecond { // the deadline, plus scheduling on a loaded machine
			t.Errorf("a write took %v, past its %v deadline", w.took, failoverDeadline)
		}
		r.slowest = max(r.slowest, w.took)
		if !w.acked {
			r.failed++
			continue
		}
		r.acked = append(r.acked, w.key)
		if w.at+w.took < faultAt {
			r.ackedBefore++
		}
	}
	return r
}

// clusterSlot is Redis Cluster's HASH_SLOT (CRC16/XMODEM mod 16384, the
// first non-empty {tag}), to find session keys that share a slot.
func clusterSlot(key string) int {
	if s := strings.IndexByte(key, '{'); s >= 0 {
		if e := strings.IndexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

// TestRedisClusterLive: three primaries joined by redis-cli --cluster
// create; Django 5.2 (django-redis' DefaultClient on redis-py's
// RedisCluster through fixtures/redispeer.py's connection factory) and Go
// (CacheConfig{Client: "cluster"}: go-redis' ClusterClient from the seed
// nodes) read each other's sessions, spread over the three nodes by the
// servers' slots. Then the slot of a few sessions moves to another node
// with CLUSTER SETSLOT IMPORTING/MIGRATING and MIGRATE: while it
// migrates, a moved key is answered with ASK and a new key of the slot is
// written to the importing node; once the slot is assigned, the old owner
// answers MOVED. Both sides follow, and read every session afterwards.
func TestRedisClusterLive(t *testing.T) {
	requireLive(t)
	django(t, "5.2")
	bin := redisServerBin(t)
	cli, err := testnet.RedisCLI()
	if err != nil {
		cacheMissing(t, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t0 := time.Now()
	nodes, err := testnet.StartCluster(ctx, bin, cli, 3)
	if err != nil {
		t.Fatal(err)
	}
	var seeds []string
	raw := map[string]*redis.Client{}
	ids := map[string]string{}
	for _, n := range nodes {
		t.Cleanup(n.Stop)
		seeds = append(seeds, "redis://"+n.Addr)
		c := n.Client()
		t.Cleanup(func() { c.Close() })
		raw[n.Addr] = c
		id, err := c.Do(ctx, "cluster", "myid").Text()
		if err != nil {
			t.Fatal(err)
		}
		ids[n.Addr] = id
	}
	t.Logf("3-primary cluster up in %v", time.Since(t0).Round(time.Millisecond))
	prefix := "djsclus" + randomHex(4)
	p := startRedisPeer(t, "5.2", map[string]any{
		"cluster": map[string]any{"BACKEND": "django_redis.cache.RedisCache", "LOCATION": seeds[0], "KEY_PREFIX": prefix,
			"OPTIONS": map[string]any{"CLIENT_CLASS": "django_redis.client.DefaultClient", "CONNECTION_FACTORY": "redispeer.ClusterConnectionFactory",
				"SOCKET_TIMEOUT": 2, "SOCKET_CONNECT_TIMEOUT": 1}},
	}, "redispeer.ClusterConnectionFactory")
	cc := backends.CacheConfig{Backend: backends.DjangoRedis, Location: seeds, KeyPrefix: prefix, Client: backends.RedisClientCluster}
	gc, closeCache, err := cc.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeCache() })
	st, err := cache.New(gc, topologySettings("5.2"))
	if err != nil {
		t.Fatal(err)
	}
	made := func(k string) string { return gc.(*cache.Redis).Key(st.CacheKey(k)) }
	want := mustDict(t, topologySessionJSON)
	goWrites := func(keys []string) {
		t.Helper()
		for _, k := range keys {
			if err := st.Save(ctx, k, want, true); err != nil {
				t.Fatalf("Go create: %v", err)
			}
		}
	}
	djangoWrites := func(keys []string) {
		t.Helper()
		r := p.ok(t, map[string]any{"op": "save_many", "alias": "cluster", "keys": anyList(keys), "data_json": topologySessionJSON, "create": true})
		if r["errors"].(json.Number).String() != "0" {
			t.Fatalf("Django's creates failed: %v %v", r["errors"], r["first_error"])
		}
	}
	bothRead := func(stage string, keys []string) {
		t.Helper()
		if got := djangoLoadMany(t, p, "cluster", keys, want); got != len(keys) {
			t.Fatalf("%s: Django found %d of %d sessions", stage, got, len(keys))
		}
		for _, k := range keys {
			if d, err := st.Load(ctx, k); err != nil || !d.Equal(want) {
				t.Fatalf("%s: Go read a session as %v, %v", stage, d, err)
			}
		}
	}
	keys := sessionKeys(400)
	goWrites(keys[:200])
	djangoWrites(keys[200:])
	bothRead("both sides' writes", keys)
	perNode := map[string]int64{}
	for addr, c := range raw {
		perNode[addr] = c.DBSize(ctx).Val()
		if perNode[addr] == 0 {
			t.Errorf("node %s holds no session: the cluster did not spread them", addr)
		}
	}
	t.Logf("400 sessions, 200 from each side, read by both; per node %v", perNode)

	// The slot of keys[0], and sessions of the same slot.
	slot := clusterSlot(made(keys[0]))
	if s, err := raw[nodes[0].Addr].ClusterKeySlot(ctx, made(keys[0])).Result(); err != nil || int(s) != slot {
		t.Fatalf("CLUSTER KEYSLOT %d, %v; the test computes %d", s, err, slot)
	}
	var same []string
	for len(same) < 4 {
		for _, k := range sessionKeys(2000) {
			if clusterSlot(made(k)) == slot {
				same = append(same, k)
			}
		}
	}
	owner := ""
	for addr, c := range raw {
		if n, err := c.Exists(ctx, made(keys[0])).Result(); err == nil && n == 1 { // others answer MOVED
			owner = addr
		}
	}
	if owner == "" {
		t.Fatal("no node answers for the session's slot")
	}
	target := ""
	for addr := range raw {
		if addr != owner {
			target = addr
			break
		}
	}
	src, dst := raw[owner], raw[target]
	goWrites(same[:1])      // Go's session in the slot, on the old owner
	djangoWrites(same[1:2]) // Django's
	mustDo := func(c *redis.Client, args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args[:3], err)
		}
	}
	mustDo(dst, "cluster", "setslot", slot, "importing", ids[owner])
	mustDo(src, "cluster", "setslot", slot, "migrating", ids[target])
	// Move Go's and Django's sessions of the slot, and keys[0]; the old
	// owner now answers ASK for them.
	host, port, _ := strings.Cut(target, ":")
	for _, k := range []string{keys[0], same[0], same[1]} {
		mustDo(src, "migrate", host, port, made(k), 0, 5000)
	}
	bothRead("slot migrating (ASK)", []string{keys[0], same[0], same[1]})
	// A new session of the slot: the old owner has no such key and sends
	// the write to the importing node (ASK).
	goWrites(same[2:3])
	djangoWrites(same[3:4])
	bothRead("new sessions in the migrating slot", same[2:4])
	// Both clients were sent there by ASK: each sent ASKING first.
	stats := dst.Info(ctx, "commandstats").Val()
	asking := 0
	if _, rest, ok := strings.Cut(stats, "cmdstat_asking:calls="); ok {
		asking, _ = strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
	}
	if asking < 10 { // 3 reads and 2 creates, by each side
		t.Errorf("the importing node saw %d ASKING, want at least 10 (5 redirected calls from each side)", asking)
	}
	if n := dst.Do(ctx, "cluster", "countkeysinslot", slot).Val(); n.(int64) < 5 {
		t.Fatalf("the importing node holds %v keys of the slot, want 5", n)
	}
	// The rest of the slot, then the slot is the target's everywhere: the
	// old owner answers MOVED.
	for {
		rest, err := src.ClusterGetKeysInSlot(ctx, slot, 100).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(rest) == 0 {
			break
		}
		for _, k := range rest {
			mustDo(src, "migrate", host, port, k, 0, 5000)
		}
	}
	for _, c := range raw {
		mustDo(c, "cluster", "setslot", slot, "node", ids[target])
	}
	if err := src.Get(ctx, made(keys[0])).Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED") {
		t.Fatalf("the old owner answers %v, want MOVED", err)
	}
	bothRead("slot moved (MOVED)", append(append([]string{}, same...), keys...))
	t.Logf("slot %d moved from %s to %s during the run: ASK (%d ASKING seen) and MOVED followed by both sides", slot, owner, target, asking)
}
