package cache

import (
	"context"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/testnet"
)

type benchStore struct {
	name            string
	direct, counted *Store
	proxy           *testnet.Proxy
	redis           bool
}

// requests counts the requests clients sent through the proxy since the
// last call.
func (bs benchStore) requests() int {
	sent := bs.proxy.TakeSent()
	if bs.redis {
		return len(redisCommands(sent))
	}
	return len(memcachedCommands(sent))
}

// benchStores returns, per backend, a store talking to the server
// directly and one talking through a recording proxy (to count requests).
func benchStores(b *testing.B) []benchStore {
	addr := startMemcached(b)
	var out []benchStore
	for _, lib := range []MemcachedLibrary{PyMemcacheCache, PyLibMCCache} {
		mp := newProxy(b, addr)
		mk := func(a string) *Store {
			sel, _ := lib.Selector(a)
			return newStore(b, newMemcached(b, memcache.NewFromSelector(sel), lib, Options{KeyPrefix: runID}))
		}
		out = append(out, benchStore{"memcached/" + lib.String()[37:], mk(addr), mk(mp.Addr()), mp, false})
	}
	redisClient(b, 0)
	direct := redis.NewClient(&redis.Options{Addr: redisAddr()})
	b.Cleanup(func() { direct.Close() })
	for _, f := range []RedisFormat{RedisCache, DjangoRedis} {
		rp := newProxy(b, redisAddr())
		viaProxy := redis.NewClient(&redis.Options{Addr: rp.Addr(), Protocol: 2, DisableIdentity: true})
		b.Cleanup(func() { viaProxy.Close() })
		mk := func(c *redis.Client) *Store {
			r, _ := NewRedis(f, Options{KeyPrefix: runID}, c)
			return newStore(b, r)
		}
		out = append(out, benchStore{"redis/" + f.String(), mk(direct), mk(viaProxy), rp, true})
	}
	return out
}

// loadSave is one request's worth of session traffic: load, change, save.
func loadSave(b *testing.B, ctx context.Context, st *Store, key string, i int) {
	d, err := st.Load(ctx, key)
	if err != nil {
		b.Fatal(err)
	}
	d.Set("visits", int64(i))
	if err := st.Save(ctx, key, d, false); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLoadSave measures a load and an update of the sample session
// (load = 1 request; update = 1: replace / SET XX), and
// reports the requests each iteration sends, counted at a proxy.
func BenchmarkLoadSave(b *testing.B) {
	ctx := context.Background()
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			key, err := django.Create(ctx, bs.direct, sampleSession(1))
			if err != nil {
				b.Fatal(err)
			}
			loadSave(b, ctx, bs.counted, key, 0) // connect first: count requests, not handshakes
			bs.requests()
			for i := range 10 {
				loadSave(b, ctx, bs.counted, key, i)
			}
			reqs := float64(bs.requests()) / 10
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				loadSave(b, ctx, bs.direct, key, i)
			}
			b.ReportMetric(reqs, "req/op")
			bs.direct.Delete(ctx, key)
		})
	}
}

// BenchmarkLoadSaveDeadline is BenchmarkLoadSave with a context that has
// a deadline, so each call runs on its own goroutine (see the package
// documentation on contexts).
func BenchmarkLoadSaveDeadline(b *testing.B) {
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 1e12)
			defer cancel()
			key, err := django.Create(ctx, bs.direct, sampleSession(1))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				loadSave(b, ctx, bs.direct, key, i)
			}
			bs.direct.Delete(ctx, key)
		})
	}
}
