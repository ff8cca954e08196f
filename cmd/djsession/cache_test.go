package main

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/internal/testnet"
)

// TestCLIMemcachedClock: --now is the clock of memcached's absolute
// expiration times too. A session that lives more than 30 days is stored
// with the absolute time --now + expiry (Django's get_backend_timeout),
// not the system clock's; a shorter one stays relative. The --now used is
// 10 days ahead of the system clock, so the server's TTL tells which clock
// made the time.
func TestCLIMemcachedClock(t *testing.T) {
	bin, err := testnet.MemcachedBinary()
	if errors.Is(err, testnet.ErrNoMemcached) {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("%v (skipping; under CI=true this fails)", err)
	}
	addr, stop, err := testnet.StartMemcached(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	const ahead = 10 * 24 * 3600
	now := time.Now().Unix() + ahead
	for _, c := range []struct {
		name   string
		expiry int64
		ttl    int64 // what the server should report, give or take a minute
	}{
		{"over 30 days: absolute, from --now", 40 * 24 * 3600, 40*24*3600 + ahead},
		{"30 days: relative", cache.MemcachedMaxRelative, cache.MemcachedMaxRelative},
		{"an hour: relative", 3600, 3600},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := "abcdefgh0123456789abcdefgh" + strconv.FormatInt(c.expiry, 36)
			flags := []string{"--engine", "cache", "--cache", "memcached://" + addr, "--now", strconv.FormatInt(now, 10), "--secret-key", vectorKey}
			exp := strconv.FormatInt(c.expiry, 10)
			if code, _, e := djs(t, `{"a":1}`, nil, append([]string{"set", key, "--expiry", exp}, flags...)...); code != 0 {
				t.Fatalf("set: exit %d %s", code, e)
			}
			ttl, found, err := testnet.MemcachedTTL(addr, cache.MakeKey(cache.KeyPrefix+key, "", 1))
			if err != nil || !found {
				t.Fatalf("the server has no item (found %v, %v)", found, err)
			}
			// memcached's clock ticks in whole seconds from its own start,
			// so the TTL it reports can be one second over.
			if ttl < c.ttl-60 || ttl > c.ttl+1 {
				t.Errorf("memcached TTL %d s, want %d s (give or take a minute): %d days, want %d", ttl, c.ttl, ttl/86400, c.ttl/86400)
			}
			code, out, e := djs(t, "", nil, append([]string{"get", key}, flags...)...)
			if want := `{"a":1,"_session_expiry":` + exp + "}\n"; code != 0 || out != want {
				t.Errorf("get: exit %d %q %s, want %q", code, out, e, want)
			}
		})
	}
}

// TestCLIRedisTopologyUsage: --cache-client and --sentinel mistakes are
// usage errors (exit 2), found before any server is contacted.
func TestCLIRedisTopologyUsage(t *testing.T) {
	base := []string{"get", "abcdefgh12345678", "--engine", "cache", "--secret-key", vectorKey}
	for name, args := range map[string][]string{
		"unknown client":             {"--cache", "redis://127.0.0.1:1/0", "--cache-client", "ring"},
		"sentinel without sentinels": {"--cache", "redis://mymaster/0", "--cache-client", "sentinel"},
		"sentinels with shard":       {"--cache", "redis://127.0.0.1:1/0", "--cache-client", "shard", "--sentinel", "127.0.0.1:2"},
		"sentinel not host:port":     {"--cache", "redis://mymaster/0", "--sentinel", "127.0.0.1"},
		"memcached":                  {"--cache", "memcached://127.0.0.1:1", "--cache-client", "shard"},
		"shard on RedisCache":        {"--cache", "redis://127.0.0.1:1/0", "--cache-client", "shard", "--cache-backend", "redis"},
		"sentinel on RedisCache":     {"--cache", "redis://mymaster/0", "--sentinel", "127.0.0.1:2", "--cache-backend", "redis"},
		"two sentinel services":      {"--cache", "redis://a/0,redis://b/0", "--sentinel", "127.0.0.1:2"},
		"cluster on db 1":            {"--cache", "redis://127.0.0.1:1/1", "--cache-client", "cluster"},
	} {
		if code, _, e := djs(t, "", nil, append(slices.Clone(base), args...)...); code != 2 {
			t.Errorf("%s: exit %d %s, want 2", name, code, e)
		}
	}
}

// TestCLIShardClient: set through --cache-client shard over three
// redis-server processes puts the session on the server django-redis'
// HashRing names for it, and get finds it there; valkey:// URLs name the
// same servers.
func TestCLIShardClient(t *testing.T) {
	bin, err := testnet.RedisBinary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("%v (skipping; under CI=true this fails)", err)
	}
	var locs []string
	raw := map[string]*redis.Client{}
	for range 3 {
		s, err := testnet.StartRedis(bin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		loc := "redis://" + s.Addr + "/0"
		locs = append(locs, loc)
		c := s.Client()
		t.Cleanup(func() { c.Close() })
		raw[loc] = c
	}
	ring := cache.NewHashRing(locs...)
	ctx := context.Background()
	for i, url := range []string{strings.Join(locs, ","), strings.ReplaceAll(strings.Join(locs, ","), "redis://", "valkey://")} {
		for j := range 20 {
			key := "abcdefgh0123456789" + strconv.Itoa(i) + "x" + strconv.Itoa(j)
			flags := []string{"--engine", "cache", "--cache", url, "--cache-client", "shard", "--secret-key", vectorKey}
			if code, _, e := djs(t, `{"a":1}`, nil, append([]string{"set", key}, flags...)...); code != 0 {
				t.Fatalf("set: exit %d %s", code, e)
			}
			made := cache.MakeKey(cache.KeyPrefix+key, "", 1)
			for loc, c := range raw {
				if has := c.Exists(ctx, made).Val() == 1; has != (loc == ring.ServerName(made)) {
					t.Fatalf("%s: on %s: %v; the ring says %s", url, loc, has, ring.ServerName(made))
				}
			}
			if code, out, e := djs(t, "", nil, append([]string{"get", key}, flags...)...); code != 0 || out != "{\"a\":1}\n" {
				t.Fatalf("get: exit %d %q %s", code, out, e)
			}
		}
	}
}

// TestCLIClusterClient: --cache-client cluster reaches every node of a
// three-primary Redis Cluster from one seed node: sessions set through the
// CLI land on the node that owns their slot and are read back.
func TestCLIClusterClient(t *testing.T) {
	bin, err := testnet.RedisBinary()
	if err == nil {
		_, err = testnet.RedisCLI()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("%v (skipping; under CI=true this fails)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, _ := testnet.RedisCLI()
	nodes, err := testnet.StartCluster(ctx, bin, cli, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		t.Cleanup(n.Stop)
	}
	flags := []string{"--engine", "cache", "--cache", "valkey://" + nodes[0].Addr, "--cache-client", "cluster", "--secret-key", vectorKey}
	for j := range 30 {
		key := "abcdefgh0123456789cluster" + strconv.Itoa(j)
		if code, _, e := djs(t, `{"a":1}`, nil, append([]string{"set", key}, flags...)...); code != 0 {
			t.Fatalf("set: exit %d %s", code, e)
		}
		if code, out, e := djs(t, "", nil, append([]string{"get", key}, flags...)...); code != 0 || out != "{\"a\":1}\n" {
			t.Fatalf("get: exit %d %q %s", code, out, e)
		}
	}
	for _, n := range nodes {
		c := n.Client()
		size := c.DBSize(ctx).Val()
		c.Close()
		if size == 0 {
			t.Errorf("node %s holds none of the 30 sessions", n.Addr)
		}
	}
}
