package cache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

const testSecret = "django-insecure-interop-vector-secret-key-0123456789"

func testSettings() django.Settings {
	s := django.DefaultSettings(testSecret)
	s.SessionEngine = django.EngineCache
	return s
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// refusedPickle is a protocol-2 pickle of os.system("id"): valid for
// CPython, outside the safe subset.
var refusedPickle = []byte("\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.")

type backend struct {
	name  string
	cache Cache
	// raw access to what the server holds
	rawSet func(t *testing.T, serverKey string, flags uint32, value []byte)
	ttl    func(t *testing.T, serverKey string) (time.Duration, bool)
	key    func(string) string
}

func memcachedBackends(t *testing.T) []backend {
	addr := startMemcached(t)
	var out []backend
	for _, lib := range []MemcachedLibrary{PyMemcacheCache, PyLibMCCache, MemcachedCache} {
		sel, err := lib.Selector(addr)
		if err != nil {
			t.Fatal(err)
		}
		c := newMemcached(t, memcache.NewFromSelector(sel), lib, Options{KeyPrefix: runID + lib.String()[37:]})
		out = append(out, backend{
			name:  lib.String(),
			cache: c,
			rawSet: func(t *testing.T, k string, flags uint32, v []byte) {
				rawSet(t, addr, k, flags, 0, v)
			},
			ttl: func(t *testing.T, k string) (time.Duration, bool) {
				m := rawMeta(t, addr, k)
				return time.Duration(m.ttl) * time.Second, m.found
			},
			key: func(k string) string { s, _ := c.Key(k); return s },
		})
	}
	return out
}

func redisBackends(t *testing.T) []backend {
	if err := pingRedis(); err != nil && !inCI() {
		t.Logf("Redis is not reachable at %s (%v): Redis cases skipped; under CI=true this fails", redisAddr(), err)
		return nil
	}
	rc := redisClient(t, 0)
	var out []backend
	for _, f := range []RedisFormat{RedisCache, DjangoRedis} {
		c, err := NewRedis(f, Options{KeyPrefix: runID + f.String()[:6]}, rc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, backend{
			name:  f.String(),
			cache: c,
			rawSet: func(t *testing.T, k string, _ uint32, v []byte) {
				if err := rc.Set(context.Background(), k, v, time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
			},
			ttl: func(t *testing.T, k string) (time.Duration, bool) {
				d, err := rc.PTTL(context.Background(), k).Result()
				if err != nil {
					t.Fatal(err)
				}
				return d, d != -2*time.Nanosecond && d != -2*time.Millisecond
			},
			key: c.Key,
		})
		t.Cleanup(func() {
			keys, _ := rc.Keys(context.Background(), runID+"*").Result()
			if len(keys) > 0 {
				rc.Del(context.Background(), keys...)
			}
		})
	}
	return out
}

func allBackends(t *testing.T) []backend {
	return append(memcachedBackends(t), redisBackends(t)...)
}

func TestStoreLifecycle(t *testing.T) {
	for _, b := range allBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := ctxT(t)
			st := newStore(t, b.cache)
			sess := sampleSession(42)
			key, err := django.Create(ctx, st, sess)
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := st.Exists(ctx, key); !ok || err != nil {
				t.Fatalf("Exists = %v, %v", ok, err)
			}
			got, err := st.Load(ctx, key)
			if err != nil || !got.Equal(sess) {
				t.Fatalf("Load = %v, %v", got, err)
			}
			// add collision
			if err := st.Save(ctx, key, sess, true); !errors.Is(err, django.ErrCreate) {
				t.Fatalf("create over an existing key: %v, want ErrCreate", err)
			}
			got.Set("visits", int64(43))
			if err := st.Save(ctx, key, got, false); err != nil {
				t.Fatal(err)
			}
			again, err := st.Load(ctx, key)
			if err != nil || !again.Equal(sampleSession(43)) {
				t.Fatalf("after update: %v, %v", again, err)
			}
			if err := st.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if err := st.Delete(ctx, key); err != nil {
				t.Fatalf("second delete: %v", err)
			}
			if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
				t.Fatalf("Load after delete: %v", err)
			}
			if err := st.Save(ctx, key, got, false); !errors.Is(err, django.ErrUpdate) {
				t.Fatalf("update of a deleted session: %v, want ErrUpdate", err)
			}
			if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
				t.Fatalf("the failed update brought the session back: %v", err)
			}
			if ok, err := st.Exists(ctx, ""); ok || err != nil {
				t.Fatalf("Exists(\"\") = %v %v", ok, err)
			}
			if d, err := st.Load(ctx, "short"); !errors.Is(err, django.ErrNotFound) || d == nil || d.Len() != 0 {
				t.Fatalf("short key: %v %v", d, err)
			}
			if err := st.ClearExpired(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStoreTimeouts(t *testing.T) {
	for _, b := range allBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := ctxT(t)
			st := newStore(t, b.cache)
			isRedis := strings.Contains(b.name, "redis")
			check := func(sess *pyjson.Dict, key string, want time.Duration) {
				t.Helper()
				ttl, found := b.ttl(t, b.key(st.CacheKey(key)))
				if !found {
					t.Fatalf("no item after save (want TTL %v)", want)
				}
				slack := 3 * time.Second
				if ttl > want || ttl < want-slack {
					t.Fatalf("TTL %v, want about %v", ttl, want)
				}
			}
			// default: SESSION_COOKIE_AGE, relative
			key, err := django.Create(ctx, st, sampleSession(1))
			if err != nil {
				t.Fatal(err)
			}
			check(nil, key, 1209600*time.Second)
			// 60 days: absolute Unix time on memcached, which the server turns back into a TTL
			s60 := sampleSession(1)
			s60.Set(django.ExpiryKey, int64(5184000))
			if err := st.Save(ctx, key, s60, false); err != nil {
				t.Fatal(err)
			}
			check(s60, key, 5184000*time.Second+time.Second)
			// an expiry in the past: memcached gets a negative exptime, Redis a DEL
			past := sampleSession(1)
			past.Set(django.ExpiryKey, st.settings.Now().Add(-11*time.Second).UTC().Format("2006-01-02T15:04:05.000000+00:00"))
			if err := st.Save(ctx, key, past, false); err != nil {
				t.Fatal(err)
			}
			if _, found := b.ttl(t, b.key(st.CacheKey(key))); found {
				t.Fatal("a session saved with an expiry in the past is still there")
			}
			if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
				t.Fatalf("expired session loads: %v", err)
			}
			// create with an expiry in the past
			key2, _ := django.NewSessionKey(nil)
			err = st.Save(ctx, key2, past, true)
			if b.name == DjangoRedis.String() {
				if err != nil {
					t.Fatalf("django-redis add with a past expiry: %v (it writes nothing and succeeds)", err)
				}
			} else if err != nil {
				t.Fatalf("create with a past expiry: %v", err)
			}
			if _, err := st.Load(ctx, key2); !errors.Is(err, django.ErrNotFound) {
				t.Fatalf("a create with a past expiry left a session: %v", err)
			}
			_ = isRedis
		})
	}
}

func TestStoreRejectsBadValues(t *testing.T) {
	for _, b := range allBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := ctxT(t)
			st := newStore(t, b.cache)
			key := "badvaluekey0000000000000000000001"
			sk := b.key(st.CacheKey(key))
			b.rawSet(t, sk, flagPickle, refusedPickle)
			d, err := st.Load(ctx, key)
			if !errors.Is(err, pickle.ErrRefused) || !errors.Is(err, ErrBadValue) || d != nil {
				t.Fatalf("refused pickle: %v, %v (want nil session, ErrRefused)", d, err)
			}
			if errors.Is(err, django.ErrNotFound) || errors.Is(err, django.ErrBackend) {
				t.Fatalf("refused pickle reported as %v", err)
			}
			// A value that is not a dict.
			notDict, _ := pickle.Marshal([]any{int64(1)}, 5)
			b.rawSet(t, sk, flagPickle, notDict)
			if d, err := st.Load(ctx, key); !errors.Is(err, ErrBadValue) || d != nil {
				t.Fatalf("list value: %v %v", d, err)
			}
			b.rawSet(t, sk, flagInteger, []byte("42"))
			if d, err := st.Load(ctx, key); !errors.Is(err, ErrBadValue) || d != nil {
				t.Fatalf("int value: %v %v", d, err)
			}
			b.rawSet(t, sk, flagPickle, []byte("\x80\x05\x95garbage"))
			if d, err := st.Load(ctx, key); !errors.Is(err, ErrBadValue) || !errors.Is(err, pickle.ErrMalformed) || d != nil {
				t.Fatalf("malformed pickle: %v %v", d, err)
			}
		})
	}
}

func TestMemcachedInvalidKeys(t *testing.T) {
	for _, b := range memcachedBackends(t)[:1] {
		ctx := ctxT(t)
		st := newStore(t, b.cache)
		for _, key := range []string{"has a space in it", strings.Repeat("k", 240)} {
			if d, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) || !errors.Is(err, ErrInvalidKey) || d.Len() != 0 {
				t.Errorf("Load(%.10q) = %v %v, want a miss", key, d, err)
			}
			if err := st.Save(ctx, key, sampleSession(1), true); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Save(%.10q) = %v, want ErrInvalidKey", key, err)
			}
		}
	}
}

// TestWireCommands checks the commands and arguments each backend sends,
// through a recording proxy.
func TestWireCommands(t *testing.T) {
	ctx := ctxT(t)
	addr := startMemcached(t)
	p := newProxy(t, addr)
	for _, lib := range []MemcachedLibrary{PyMemcacheCache, PyLibMCCache, MemcachedCache} {
		sel, _ := lib.Selector(p.Addr())
		st := newStore(t, newMemcached(t, memcache.NewFromSelector(sel), lib, Options{KeyPrefix: runID}))
		key, _ := django.NewSessionKey(nil)
		p.TakeSent()
		if err := st.Save(ctx, key, sampleSession(42), true); err != nil {
			t.Fatal(err)
		}
		s60 := sampleSession(43)
		s60.Set(django.ExpiryKey, int64(5184000))
		if err := st.Save(ctx, key, s60, false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Load(ctx, key); err != nil {
			t.Fatal(err)
		}
		st.Delete(ctx, key)
		cmds := memcachedCommands(p.TakeSent())
		mk := runID + ":1:" + KeyPrefix + key
		want := []string{"add " + mk + " 1 1209600 129", "replace " + mk + " 1 ", "gets " + mk, "delete " + mk}
		if len(cmds) != len(want) {
			t.Fatalf("%s sent %q", lib, cmds)
		}
		for i := range want {
			if !strings.HasPrefix(cmds[i], want[i]) {
				t.Errorf("%s command %d = %q, want %q...", lib, i, cmds[i], want[i])
			}
		}
		// the 60-day set carries an absolute Unix time
		f := strings.Fields(cmds[1])
		if f[3] < "1700000000" || len(f[3]) != 10 {
			t.Errorf("60-day exptime %s is not an absolute time", f[3])
		}
	}

	rp := newProxy(t, redisAddr())
	redisClient(t, 0)
	rc := redis.NewClient(&redis.Options{Addr: rp.Addr(), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { rc.Close() })
	rc.Ping(ctx)
	for _, f := range []RedisFormat{RedisCache, DjangoRedis} {
		c, _ := NewRedis(f, Options{KeyPrefix: runID}, rc)
		st := newStore(t, c)
		key, _ := django.NewSessionKey(nil)
		rp.TakeSent()
		if err := st.Save(ctx, key, sampleSession(42), true); err != nil {
			t.Fatal(err)
		}
		if err := st.Save(ctx, key, sampleSession(43), false); err != nil {
			t.Fatal(err)
		}
		st.Load(ctx, key)
		st.Exists(ctx, key)
		past := sampleSession(1)
		past.Set(django.ExpiryKey, "2000-01-01T00:00:00+00:00")
		st.Save(ctx, key, past, false)
		k2, _ := django.NewSessionKey(nil)
		st.Save(ctx, k2, past, true)
		st.Delete(ctx, key)
		var got []string
		for _, c := range redisCommands(rp.TakeSent()) {
			got = append(got, strings.Join(c, " "))
		}
		rk := runID + ":1:" + KeyPrefix + key
		rk2 := runID + ":1:" + KeyPrefix + k2
		var want []string
		if f == RedisCache {
			want = []string{"set " + rk + " <129 bytes> ex 1209600 nx", "set " + rk + " <129 bytes> ex 1209600 xx", "get " + rk, "exists " + rk,
				"del " + rk, "set " + rk2 + " <175 bytes> nx", "del " + rk2, "del " + rk}
		} else {
			want = []string{"set " + rk + " <129 bytes> px 1209600000 nx", "set " + rk + " <129 bytes> px 1209600000 xx", "get " + rk, "exists " + rk,
				"del " + rk, "exists " + rk2, "del " + rk}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s sent\n%s\nwant\n%s", f, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestRedisReplicaRouting reproduces the placement spec's two-server
// experiment with two databases standing for two unreplicated servers:
// writes go to the first, reads to the second.
func TestRedisReplicaRouting(t *testing.T) {
	ctx := ctxT(t)
	primary, replica := redisClient(t, 14), redisClient(t, 15)
	for _, f := range []RedisFormat{RedisCache, DjangoRedis} {
		c, err := NewRedis(f, Options{KeyPrefix: runID}, primary, replica)
		if err != nil {
			t.Fatal(err)
		}
		st := newStore(t, c)
		key, err := django.Create(ctx, st, sampleSession(1))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
			t.Fatalf("%s: load read the primary: %v", f, err)
		}
		if err := st.Save(ctx, key, sampleSession(2), false); !errors.Is(err, django.ErrUpdate) {
			t.Fatalf("%s: update checked the primary: %v", f, err)
		}
		sk := c.Key(st.CacheKey(key))
		v, _ := primary.Get(ctx, sk).Bytes()
		replica.Set(ctx, sk, v, time.Minute)
		if d, err := st.Load(ctx, key); err != nil || !d.Equal(sampleSession(1)) {
			t.Fatalf("%s: after copying to the replica: %v %v", f, d, err)
		}
		c2, _ := NewRedis(f, Options{KeyPrefix: runID, ReadFromPrimary: true}, primary, replica)
		if _, err := newStore(t, c2).Load(ctx, key); err != nil {
			t.Fatalf("ReadFromPrimary: %v", err)
		}
		primary.Del(ctx, sk)
		replica.Del(ctx, sk)
	}
}

func TestDjangoRedisZlib(t *testing.T) {
	ctx := ctxT(t)
	rc := redisClient(t, 0)
	c, err := NewRedis(DjangoRedis, Options{KeyPrefix: runID, Compressor: ZlibCompressor}, rc)
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(t, c)
	key, err := django.Create(ctx, st, sampleSession(7))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := rc.Get(ctx, c.Key(st.CacheKey(key))).Bytes()
	if len(raw) < 2 || raw[0] != 0x78 {
		t.Fatalf("stored %x, want a zlib stream", raw)
	}
	if d, err := st.Load(ctx, key); err != nil || !d.Equal(sampleSession(7)) {
		t.Fatalf("Load = %v %v", d, err)
	}
	// A value django-redis left uncompressed (15 bytes or less, or written
	// before the compressor was configured) reads as is.
	small, _ := pickle.Marshal(pyjson.NewDict(0), 4)
	rc.Set(ctx, c.Key(st.CacheKey(key)), small, time.Minute)
	if d, err := st.Load(ctx, key); err != nil || d.Len() != 0 {
		t.Fatalf("uncompressed value: %v %v", d, err)
	}
	rc.Del(ctx, c.Key(st.CacheKey(key)))
}

func TestCacheValueRoundTrips(t *testing.T) {
	ctx := ctxT(t)
	for _, b := range allBackends(t) {
		for _, v := range []any{"héllo", int64(42), int64(-7), true, pickle.Bytes{0, 0xff}, 1.5, nil} {
			if err := b.cache.Set(ctx, "rt", v, 60); err != nil {
				t.Fatal(err)
			}
			got, found, err := b.cache.Get(ctx, "rt")
			want := v
			if v == true && b.name == PyLibMCCache.String() {
				want = int64(1)
			}
			if err != nil || !found || !pickleEqual(got, want) {
				t.Errorf("%s: %#v came back as %#v %v %v", b.name, v, got, found, err)
			}
		}
		if ok, err := b.cache.Add(ctx, "rt", "x", 60); ok || err != nil {
			t.Errorf("%s: add over a value: %v %v", b.name, ok, err)
		}
		b.cache.Delete(ctx, "rt")
		if ok, err := b.cache.HasKey(ctx, "rt"); ok || err != nil {
			t.Errorf("%s: HasKey after delete: %v %v", b.name, ok, err)
		}
	}
}

// TestMemcachedTooLarge: when memcached refuses a value (over its item
// size limit), Django deletes the key so no stale session survives; so
// does Set, and the save reports the failure.
func TestMemcachedTooLarge(t *testing.T) {
	b := memcachedBackends(t)[0]
	ctx := ctxT(t)
	st := newStore(t, b.cache)
	key, err := django.Create(ctx, st, sampleSession(1))
	if err != nil {
		t.Fatal(err)
	}
	huge := sampleSession(2)
	huge.Set("blob", strings.Repeat("x", 2<<20))
	if err := st.Save(ctx, key, huge, false); !errors.Is(err, django.ErrBackend) {
		t.Fatalf("saving a 2 MiB session: %v, want ErrBackend", err)
	}
	if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("the old session survived a refused set: %v", err)
	}
}

// newStore is New(c, testSettings()), failing the test on an error.
func newStore(tb testing.TB, c Cache) *Store {
	tb.Helper()
	st, err := New(c, testSettings())
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// newMemcached is NewMemcached, failing the test on an error.
func newMemcached(tb testing.TB, client *memcache.Client, lib MemcachedLibrary, opts Options) *Memcached {
	tb.Helper()
	m, err := NewMemcached(client, lib, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestConstructorsRefuseMisconfiguration: every constructor reports what
// cannot work as django.ErrImproperlyConfigured, before any request.
func TestConstructorsRefuseMisconfiguration(t *testing.T) {
	mc := memcache.New("127.0.0.1:1")
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { rc.Close() })
	for name, err := range map[string]error{
		"New(nil)":                 func() error { _, err := New(nil, testSettings()); return err }(),
		"NewMemcached(nil client)": func() error { _, err := NewMemcached(nil, PyMemcacheCache, Options{}); return err }(),
		"NewMemcached(library 0)":  func() error { _, err := NewMemcached(mc, 0, Options{}); return err }(),
		"NewMemcached(Compressor)": func() error {
			_, err := NewMemcached(mc, PyLibMCCache, Options{Compressor: ZlibCompressor})
			return err
		}(),
		"NewMemcached(ReadFromPrimary)": func() error { _, err := NewMemcached(mc, MemcachedCache, Options{ReadFromPrimary: true}); return err }(),
		"NewRedis(format 0)":            func() error { _, err := NewRedis(0, Options{}, rc); return err }(),
		"NewRedis(no client)":           func() error { _, err := NewRedis(RedisCache, Options{}); return err }(),
		"NewRedis(nil client)":          func() error { _, err := NewRedis(DjangoRedis, Options{}, rc, nil); return err }(),
		"NewRedis(RedisCache, zlib)":    func() error { _, err := NewRedis(RedisCache, Options{Compressor: ZlibCompressor}, rc); return err }(),
	} {
		if !errors.Is(err, django.ErrImproperlyConfigured) {
			t.Errorf("%s: %v, want django.ErrImproperlyConfigured", name, err)
		}
	}
	// One struct for every backend: a KEY_PREFIX reads the same on both.
	opts := Options{KeyPrefix: "site", Version: 2}
	m, err := NewMemcached(mc, PyMemcacheCache, opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRedis(DjangoRedis, Options{KeyPrefix: "site", Version: 2, Compressor: ZlibCompressor, ReadFromPrimary: true}, rc)
	if err != nil {
		t.Fatal(err)
	}
	if mk, _ := m.Key("k"); mk != "site:2:k" || r.Key("k") != "site:2:k" {
		t.Errorf("keys %q and %q, want site:2:k", mk, r.Key("k"))
	}
}
