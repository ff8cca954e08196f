package cache

import (
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/testnet"
)

// TestShardVectors: the node django-redis 5.2.0's own HashRing and
// ShardClient.get_server_name pick (testdata/topologies.json, made by the
// spec's gen_topologies.py; django-redis 7.0.0 gives the same file) for 3
// LOCATION layouts × 5 KEY_PREFIXes, hash tags included.
func TestShardVectors(t *testing.T) {
	var doc struct {
		Shard []struct {
			Locations []string
			Key       string
			Node      string
		}
	}
	readJSON(t, "topologies.json", &doc, "shard")
	rings := map[string]*HashRing{}
	for _, v := range doc.Shard {
		id := strings.Join(v.Locations, "\x00")
		if rings[id] == nil {
			rings[id] = NewHashRing(v.Locations...)
		}
		if got := rings[id].ServerName(v.Key); got != v.Node {
			t.Errorf("%v: %q on %s, django-redis says %s", v.Locations, v.Key, got, v.Node)
		}
	}
	if len(doc.Shard) < 100 {
		t.Fatalf("only %d vectors", len(doc.Shard))
	}
}

// TestShardKey: ShardClient's re.match(r".*\{(.*)\}.*", key), each case's
// answer taken from CPython 3.11's re (None: no match, the whole key is
// hashed).
func TestShardKey(t *testing.T) {
	none := "\x00none"
	for _, c := range [][2]string{
		{"a{b}c{d}e", "d"}, {"x{}y", ""}, {"{tenant}:1:k", "tenant"}, {"a{b}c}", "b}c"},
		{"a}b{c", none}, {"{{a}}", "a}"}, {"a{b\n}c", none}, {"a{b}\nc{d}", "b"}, {"\n{a}", none},
		{"{a}\n{b}", "a"}, {"no braces", none}, {"{", none}, {"}", none}, {"}{", none},
		{"a{b{c}d}e", "c}d"}, {"é{ü}ß", "ü"}, {"{a}b}c{", "a}b"}, {"user{42}:cart{", "42"},
	} {
		want := c[1]
		if want == none {
			want = c[0]
		}
		if got := ShardKey(c[0]); got != want {
			t.Errorf("ShardKey(%q) = %q, want %q", c[0], got, want)
		}
	}
}

// TestHashRingEdges: bisect_right minus one, and -1 wrapping to the last
// point: a key hashing below every point belongs to the node of the
// highest point, and a key hashing exactly to a point to that point's node.
func TestHashRingEdges(t *testing.T) {
	h := NewHashRing("redis://a:6379/0", "redis://b:6379/0", "redis://c:6379/0")
	if len(h.points) != 3*HashRingReplicas {
		t.Fatalf("%d points", len(h.points))
	}
	for i := 1; i < len(h.points); i++ {
		if h.points[i-1] > h.points[i] {
			t.Fatal("points not sorted")
		}
	}
	// "node:i" hashes to one of node's own points: the key is that point.
	for _, n := range h.nodes {
		for i := range 5 {
			if got := h.Node(n + ":" + string(rune('0'+i))); got != n {
				t.Errorf("a key equal to a point of %s went to %s", n, got)
			}
		}
	}
	// Find a key hashing below the lowest point: it wraps to the last one.
	last := h.nodes[h.owner[len(h.owner)-1]]
	found := false
	for i := 0; i < 200000 && !found; i++ {
		k := "k" + itoa36(i)
		if hexSHA256(k) < h.points[0] {
			found = true
			if got := h.Node(k); got != last {
				t.Errorf("%q hashes below every point: %s, want the last point's %s", k, got, last)
			}
		}
	}
	if !found {
		t.Fatal("no key below the lowest point")
	}
	if NewHashRing().Node("x") != "" {
		t.Error("an empty ring has a node")
	}
	// A node named twice keeps its keys.
	d := NewHashRing("redis://a:6379/0", "redis://b:6379/0", "redis://c:6379/0", "redis://a:6379/0")
	for i := range 500 {
		k := ":1:django.contrib.sessions.cache" + itoa36(i*7919)
		if d.Node(k) != h.Node(k) {
			t.Fatalf("%q moved when a node was named twice", k)
		}
	}
}

func itoa36(i int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 36 {
		b = append([]byte{digits[i%36]}, b...)
	}
	return string(b)
}

// keySlot is Redis Cluster's HASH_SLOT: CRC16/XMODEM of the key, or of the
// text between the first "{" and the first "}" after it when that text is
// not empty, mod 16384. The server decides it; it is here to pin down the
// spec's difference from ShardClient's rule.
func keySlot(key string) int {
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

// TestClusterSlotVectors: redis-py's key_slot for session keys under the
// spec's KEY_PREFIXes; "a{b}c{d}" hashes "b" in a cluster and "d" in a
// ShardClient.
func TestClusterSlotVectors(t *testing.T) {
	var doc struct {
		ClusterSlot []struct {
			Key  string
			Slot int
		} `json:"cluster_slot"`
	}
	readJSON(t, "topologies.json", &doc, "cluster_slot")
	for _, v := range doc.ClusterSlot {
		if got := keySlot(v.Key); got != v.Slot {
			t.Errorf("slot of %q = %d, redis-py says %d", v.Key, got, v.Slot)
		}
	}
	if keySlot("a{b}c{d}") != keySlot("b") || ShardKey("a{b}c{d}") != "d" {
		t.Error("the two hash-tag rules")
	}
}

func TestNewShardClientRefuses(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for name, f := range map[string]func() (*Redis, error){
		"no location": func() (*Redis, error) { return NewShardClient(Options{}, nil, nil) },
		"lengths": func() (*Redis, error) {
			return NewShardClient(Options{}, []string{"a", "b"}, []redis.UniversalClient{c})
		},
		"nil client": func() (*Redis, error) { return NewShardClient(Options{}, []string{"a"}, []redis.UniversalClient{nil}) },
		"ReadFromPrimary": func() (*Redis, error) {
			return NewShardClient(Options{ReadFromPrimary: true}, []string{"a"}, []redis.UniversalClient{c})
		},
	} {
		if _, err := f(); !errors.Is(err, django.ErrImproperlyConfigured) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestShardClientServers: over three redis-server processes, every
// session command (create, update, load, exists, delete) goes to the one
// server the ring names, and no other server ever holds the key.
func TestShardClientServers(t *testing.T) {
	bin, err := testnet.RedisBinary()
	if err != nil {
		missing(t, "%v", err)
	}
	ctx := ctxT(t)
	var locs []string
	var clients []redis.UniversalClient
	raw := map[string]*redis.Client{}
	for range 3 {
		s, err := testnet.StartRedis(bin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		c := s.Client()
		t.Cleanup(func() { c.Close() })
		loc := "redis://" + s.Addr + "/0"
		locs = append(locs, loc)
		clients = append(clients, c)
		raw[loc] = c
	}
	c, err := NewShardClient(Options{KeyPrefix: runID}, locs, clients)
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(t, c)
	ring := NewHashRing(locs...)
	onlyOn := func(key, want string) {
		t.Helper()
		for loc, rc := range raw {
			if has := rc.Exists(ctx, key).Val() == 1; has != (loc == want) {
				t.Fatalf("%s on %s: %v (want only on %s)", key, loc, has, want)
			}
		}
	}
	used := map[string]bool{}
	for i := range 60 {
		key, err := django.Create(ctx, st, sampleSession(1))
		if err != nil {
			t.Fatal(err)
		}
		mk := c.Key(st.CacheKey(key))
		node := ring.ServerName(mk)
		used[node] = true
		onlyOn(mk, node)
		if err := st.Save(ctx, key, sampleSession(2), false); err != nil {
			t.Fatalf("update: %v", err)
		}
		if d, err := st.Load(ctx, key); err != nil || !d.Equal(sampleSession(2)) {
			t.Fatalf("load: %v %v", d, err)
		}
		if ok, err := st.Exists(ctx, key); !ok || err != nil {
			t.Fatalf("exists: %v %v", ok, err)
		}
		onlyOn(mk, node)
		if i%2 == 0 {
			if err := st.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			onlyOn(mk, "")
			if err := st.Save(ctx, key, sampleSession(3), false); !errors.Is(err, django.ErrUpdate) {
				t.Fatalf("update of a deleted session: %v, want ErrUpdate", err)
			}
		}
	}
	if len(used) != 3 {
		t.Errorf("60 sessions used %d of 3 servers", len(used))
	}
}
