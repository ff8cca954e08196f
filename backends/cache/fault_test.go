package cache

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/testnet"
)

// faultCase runs the same outage script on a store whose only path to
// the server is a proxy the test owns: a stalled connection and then a
// cut one must give ErrBackend within the context's deadline, never a
// panic, a hang, or an empty session, and must leave the stored session
// alone.
func faultCase(t *testing.T, p *testnet.Proxy, st *Store, direct *Store) {
	ctx := ctxT(t)
	key, err := django.Create(ctx, st, sampleSession(5))
	if err != nil {
		t.Fatal(err)
	}
	const deadline = 300 * time.Millisecond
	const slack = 250 * time.Millisecond
	try := func(what string) {
		t.Helper()
		ops := map[string]func(ctx context.Context) error{
			"load": func(ctx context.Context) error {
				d, err := st.Load(ctx, key)
				if d != nil {
					t.Errorf("%s: load returned a session (%v) with %v", what, d, err)
				}
				return err
			},
			"update": func(ctx context.Context) error { return st.Save(ctx, key, sampleSession(6), false) },
			"create": func(ctx context.Context) error {
				k, _ := django.NewSessionKey(nil)
				return st.Save(ctx, k, sampleSession(6), true)
			},
			"exists": func(ctx context.Context) error { _, err := st.Exists(ctx, key); return err },
			"delete": func(ctx context.Context) error { return st.Delete(ctx, key) },
		}
		for name, op := range ops {
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			start := time.Now()
			err := op(ctx)
			elapsed := time.Since(start)
			cancel()
			if !errors.Is(err, django.ErrBackend) {
				t.Errorf("%s %s: %v, want ErrBackend", what, name, err)
			}
			if elapsed > deadline+slack {
				t.Errorf("%s %s took %v, past the %v deadline", what, name, elapsed, deadline)
			}
		}
	}
	p.Stall()
	try("stalled server")
	p.Cut()
	try("cut connection")
	// The session on the server is untouched.
	got, err := direct.Load(ctx, key)
	if err != nil || !got.Equal(sampleSession(5)) {
		t.Fatalf("after the outage the server holds %v, %v", got, err)
	}
	direct.Delete(ctx, key)
}

func TestMemcachedOutage(t *testing.T) {
	addr := startMemcached(t)
	for _, lib := range []MemcachedLibrary{PyMemcacheCache, PyLibMCCache} {
		t.Run(lib.String(), func(t *testing.T) {
			p := newProxy(t, addr)
			// Two servers, both behind proxies to the same memcached, so
			// keys land on either: the outage must show whichever is picked.
			sel, _ := lib.Selector(p.Addr())
			client := memcache.NewFromSelector(sel)
			client.Timeout = 5 * time.Second // longer than the context: the context must win
			opts := Options{KeyPrefix: runID}
			st := newStore(t, newMemcached(t, client, lib, opts))
			direct := newStore(t, newMemcached(t, memcache.New(addr), lib, opts))
			faultCase(t, p, st, direct)
		})
	}
	t.Run("no server", func(t *testing.T) {
		sel, _ := NewPyMemcacheSelector("127.0.0.1:" + itoa(freePort(t)))
		st := newStore(t, newMemcached(t, memcache.NewFromSelector(sel), PyMemcacheCache, Options{}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if d, err := st.Load(ctx, "sessionkeyaaaaaaaaaaaaaa00000001"); !errors.Is(err, django.ErrBackend) || d != nil {
			t.Fatalf("Load with no server: %v %v", d, err)
		}
	})
}

func TestRedisOutage(t *testing.T) {
	redisClient(t, 0)
	for _, f := range []RedisFormat{RedisCache, DjangoRedis} {
		t.Run(f.String(), func(t *testing.T) {
			p := newProxy(t, redisAddr())
			// go-redis' defaults: 3 s read timeout, 3 retries, context
			// deadlines ignored by the sockets.
			rc := redis.NewClient(&redis.Options{Addr: p.Addr()})
			t.Cleanup(func() { rc.Close() })
			dc := redis.NewClient(&redis.Options{Addr: redisAddr()})
			t.Cleanup(func() { dc.Close() })
			opts := Options{KeyPrefix: runID}
			c, _ := NewRedis(f, opts, rc)
			d, _ := NewRedis(f, opts, dc)
			faultCase(t, p, newStore(t, c), newStore(t, d))
		})
	}
}

func TestCanceledContext(t *testing.T) {
	for _, b := range allBackends(t) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		st := newStore(t, b.cache)
		if d, err := st.Load(ctx, "sessionkeyaaaaaaaaaaaaaa00000001"); !errors.Is(err, django.ErrBackend) || !errors.Is(err, context.Canceled) || d != nil {
			t.Errorf("%s: Load with a canceled context: %v %v", b.name, d, err)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
