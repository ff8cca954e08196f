package cache

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/djsession/djsession/pyjson"
)

func TestMatchKeys(t *testing.T) {
	o := &Options{KeyPrefix: "site:a", Version: 3}
	pats, err := patterns(o, Scan{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, want, sp string
		any           bool
		prefix        string
		version       int
	}{
		{key: "site:a:3:django.contrib.sessions.cacheabcdefgh", want: "abcdefgh", sp: KeyPrefix, prefix: "site:a", version: 3},
		{key: "site:a:3:django.contrib.sessions.cached_dbabcdefgh", want: "abcdefgh", sp: CachedDBKeyPrefix, prefix: "site:a", version: 3},
		{key: "site:a:2:django.contrib.sessions.cacheabcdefgh"},
		{key: "other:1:django.contrib.sessions.cacheabcdefgh"},
		{key: "site:a:3:django.contrib.sessions.cacheabcdefgh", any: true, want: "abcdefgh", sp: KeyPrefix, prefix: "site:a", version: 3},
		{key: "other:1:django.contrib.sessions.cached_dbxyzxyzxy", any: true, want: "xyzxyzxy", sp: CachedDBKeyPrefix, prefix: "other", version: 1},
		{key: "django.contrib.sessions.cachekkkkkkkk", any: true, want: "kkkkkkkk", sp: KeyPrefix},
		{key: "site:a:3:views.decorators.cache.page", any: true},
	} {
		e, ok := match(o, pats, Scan{AnyKeyPrefix: c.any}, c.key)
		if ok != (c.want != "") || e.Key != c.want || e.SessionPrefix != c.sp || e.KeyPrefix != c.prefix || e.Version != c.version {
			t.Errorf("match(%q, any=%v) = %+v, %v", c.key, c.any, e, ok)
		}
	}
	// A cache-engine scan does not take cached_db keys for its own.
	pc, _ := patterns(o, Scan{SessionPrefix: KeyPrefix})
	for _, any := range []bool{false, true} {
		if e, ok := match(o, pc, Scan{SessionPrefix: KeyPrefix, AnyKeyPrefix: any}, "site:a:3:django.contrib.sessions.cached_dbabcdefgh"); ok {
			t.Errorf("a cache scan (any=%v) matched a cached_db key: %+v", any, e)
		}
	}
	// A hashing KEY_FUNCTION cannot be listed.
	h := &Options{KeyFunc: func(k, p string, v int) string { return fmt.Sprintf("%x", len(k)) }}
	if _, err := patterns(h, Scan{}); !errors.Is(err, ErrNotListable) {
		t.Errorf("hashing KeyFunc: %v, want ErrNotListable", err)
	}
}

func TestParseMetadump(t *testing.T) {
	k, exp, ok := parseMetadump("key=abc%3A1%3Adjango.contrib.sessions.cachex exp=1796321651 la=1 cas=1 fetch=no cls=2 size=102")
	if !ok || k != "abc:1:django.contrib.sessions.cachex" || exp != 1796321651 {
		t.Fatalf("got %q %d %v", k, exp, ok)
	}
	if k, exp, ok := parseMetadump("key=k%C3%A9x exp=-1 la=1"); !ok || k != "kéx" || exp != -1 {
		t.Fatalf("got %q %d %v", k, exp, ok)
	}
	if _, _, ok := parseMetadump("garbage"); ok {
		t.Fatal("garbage parsed")
	}
}

// listerCase is one cache with its lister, for the tests both run.
type listerCase struct {
	name  string
	cache Cache
	l     Lister
}

func listers(t *testing.T, prefix string) []listerCase {
	var out []listerCase
	addr := startMemcached(t)
	sel, err := PyMemcacheCache.Selector(addr)
	if err != nil {
		t.Fatal(err)
	}
	m := newMemcached(t, memcache.NewFromSelector(sel), PyMemcacheCache, Options{KeyPrefix: prefix})
	ml, err := NewMemcachedLister(m, sel)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, listerCase{"memcached", m, ml})
	r, err := NewRedis(RedisCache, Options{KeyPrefix: prefix}, redisClient(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, listerCase{"redis", r, r})
	return out
}

// TestListerRoundTrip: sessions stored by the store are listed (with
// their values, flags and TTLs), only under the cache's own prefix or
// under any with AnyKeyPrefix, in batches smaller than their number; an
// entry read raw and added elsewhere is the same session there.
func TestListerRoundTrip(t *testing.T) {
	ctx := ctxT(t)
	prefix := runID + "lst"
	for _, lc := range listers(t, prefix) {
		t.Run(lc.name, func(t *testing.T) {
			st := newStore(t, lc.cache)
			var keys []string
			for i := range 7 {
				k := fmt.Sprintf("%s%02d%s", lc.name[:4], i, "abcdefghijklmnopqrstuvwxyz")
				d := pyjson.NewDict(1)
				d.Set("n", int64(i))
				if err := st.Save(ctx, k, d, true); err != nil {
					t.Fatal(err)
				}
				keys = append(keys, k)
			}
			t.Cleanup(func() {
				for _, k := range append(keys, "cdbcdbcdbcdb") {
					lc.cache.Delete(ctx, KeyPrefix+k)
					lc.cache.Delete(ctx, CachedDBKeyPrefix+k)
				}
			})
			// A cached_db entry and one under another KEY_PREFIX.
			if err := lc.cache.Set(ctx, CachedDBKeyPrefix+"cdbcdbcdbcdb", pyjson.NewDict(0), 600); err != nil {
				t.Fatal(err)
			}
			other := otherPrefix(t, lc, prefix+"x")
			t.Cleanup(func() {
				other.Delete(ctx, KeyPrefix+keys[0])
				other.Delete(ctx, KeyPrefix+"otherotherother")
			})
			if err := other.Set(ctx, KeyPrefix+"otherotherother", pyjson.NewDict(0), 600); err != nil {
				t.Fatal(err)
			}

			var got []string
			for e, err := range lc.l.Entries(ctx, Scan{SessionPrefix: KeyPrefix, Batch: 3}) {
				if err != nil {
					t.Fatal(err)
				}
				if e.TTL <= 0 || e.TTL > time.Duration(testSettings().SessionCookieAge)*time.Second || e.Value == nil {
					t.Errorf("%s: TTL %v, value %d bytes", e.Key, e.TTL, len(e.Value))
				}
				v, err := lc.l.DecodeEntry(ctx, e)
				if d, ok := v.(*pyjson.Dict); err != nil || !ok || d.Len() != 1 {
					t.Errorf("%s decodes to %v, %v", e.Key, v, err)
				}
				got = append(got, e.Key)
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if !slices.Equal(got, keys) {
				t.Fatalf("listed %v, want %v", got, keys)
			}
			n := 0
			for e, err := range lc.l.Entries(ctx, Scan{AnyKeyPrefix: true, KeysOnly: true}) {
				if err != nil {
					t.Fatal(err)
				}
				if e.KeyPrefix == prefix+"x" && e.Key == "otherotherother" && e.Version == 1 {
					n++
				}
				if e.Key == "cdbcdbcdbcdb" && e.SessionPrefix != CachedDBKeyPrefix {
					t.Errorf("cached_db key listed as %q", e.SessionPrefix)
				}
				if e.Value != nil {
					t.Errorf("KeysOnly listed a value")
				}
			}
			if n != 1 {
				t.Fatalf("the other KEY_PREFIX's session listed %d times", n)
			}

			for _, any := range []bool{false, true} {
				n := 0
				for e, err := range lc.l.Entries(ctx, Scan{AnyKeyPrefix: any, Key: keys[2]}) {
					if err != nil || e.Key != keys[2] {
						t.Fatalf("Scan.Key listed %q, %v", e.Key, err)
					}
					if e.KeyPrefix == prefix {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("Scan.Key (any=%v) listed %d entries", any, n)
				}
			}

			// Raw copy under another prefix: the same session.
			e, ok, err := lc.l.GetEntry(ctx, KeyPrefix+keys[0])
			if err != nil || !ok || e.Key != keys[0] || e.SessionPrefix != KeyPrefix || e.TTL <= 0 {
				t.Fatalf("GetEntry = %+v, %v, %v", e, ok, err)
			}
			ol := otherLister(t, lc, other)
			if added, err := ol.AddEntry(ctx, e); err != nil || !added {
				t.Fatalf("AddEntry = %v, %v", added, err)
			}
			if added, err := ol.AddEntry(ctx, e); err != nil || added {
				t.Fatalf("second AddEntry = %v, %v; want false", added, err)
			}
			copied, ok, err := ol.GetEntry(ctx, KeyPrefix+keys[0])
			if err != nil || !ok || string(copied.Value) != string(e.Value) || copied.Flags != e.Flags || (copied.TTL-e.TTL).Abs() > 2*time.Second {
				t.Fatalf("copy %+v of %+v, %v", copied, e, err)
			}
			if _, ok, err := lc.l.GetEntry(ctx, KeyPrefix+"nosuchkeynosuch"); ok || err != nil {
				t.Fatalf("GetEntry of a missing key: %v, %v", ok, err)
			}
			e.TTL = 0
			if _, err := ol.AddEntry(ctx, e); !errors.Is(err, ErrExpiredEntry) {
				t.Fatalf("expired AddEntry: %v", err)
			}
		})
	}
}

func otherPrefix(t *testing.T, lc listerCase, prefix string) Cache {
	switch c := lc.cache.(type) {
	case *Memcached:
		return newMemcached(t, c.client, c.lib, Options{KeyPrefix: prefix})
	case *Redis:
		r, err := NewRedis(c.format, Options{KeyPrefix: prefix}, c.clients...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Fatalf("%T", lc.cache)
	return nil
}

func otherLister(t *testing.T, lc listerCase, c Cache) Lister {
	if m, ok := c.(*Memcached); ok {
		l, err := NewMemcachedLister(m, lc.l.(*MemcachedLister).servers)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	return c.(*Redis)
}

// TestRedisInDB: the copy on another database sees that database's keys.
func TestRedisInDB(t *testing.T) {
	ctx := ctxT(t)
	prefix := runID + "indb"
	r, err := NewRedis(RedisCache, Options{KeyPrefix: prefix}, redisClient(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	r3, closeFn, err := r.InDB(3)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if db, ok := r3.DB(); !ok || db != 3 {
		t.Fatalf("DB() = %d, %v", db, ok)
	}
	if err := r3.Set(ctx, KeyPrefix+"indbindbindb", pyjson.NewDict(0), 60); err != nil {
		t.Fatal(err)
	}
	defer r3.Delete(ctx, KeyPrefix+"indbindbindb")
	count := func(l Lister) int {
		n := 0
		for e, err := range l.Entries(ctx, Scan{}) {
			if err != nil {
				t.Fatal(err)
			}
			if e.Key == "indbindbindb" {
				n++
			}
		}
		return n
	}
	if a, b := count(r), count(r3); a != 0 || b != 1 {
		t.Fatalf("db 0 lists it %d times, db 3 %d times", a, b)
	}
}
