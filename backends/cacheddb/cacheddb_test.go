package cacheddb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// setup returns a cached_db store on a fresh SQLite database and the
// Redis at 127.0.0.1:6379 (a failure under CI=true, a skip otherwise).
func setup(t *testing.T) (*Store, *redis.Client, django.Settings) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 11})
	if err := rc.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is not reachable: %v", err)
		}
		t.Skipf("Redis is not reachable: %v", err)
	}
	t.Cleanup(func() { rc.Close() })
	sqlDB, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	s := django.DefaultSettings("cached-db-test")
	s.SessionEngine = django.EngineCachedDB
	d, err := db.New(sqlDB, db.SQLite, s)
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("cdbtest%d", time.Now().UnixNano())
	c, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: prefix}, rc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := New(d, c)
	if err != nil {
		t.Fatal(err)
	}
	return st, rc, s
}

func TestWriteThroughReadThrough(t *testing.T) {
	st, rc, _ := setup(t)
	ctx := context.Background()
	d, _ := pyjson.UnmarshalDict([]byte(`{"a":1}`))
	key, err := django.Create(ctx, st, d)
	if err != nil {
		t.Fatal(err)
	}
	// Both copies exist.
	if v, found, _ := st.cache.Get(ctx, cacheKey(key)); !found || !pyjson.Equal(v, d) {
		t.Fatalf("cache copy %v %v", v, found)
	}
	if _, err := st.db.Load(ctx, key); err != nil {
		t.Fatalf("row: %v", err)
	}
	// A cache miss reads the row and caches it again.
	st.cache.Delete(ctx, cacheKey(key))
	got, err := st.Load(ctx, key)
	if err != nil || !pyjson.Equal(got, d) {
		t.Fatalf("read-through: %v %v", got, err)
	}
	if _, found, _ := st.cache.Get(ctx, cacheKey(key)); !found {
		t.Error("read-through did not refill the cache")
	}
	// Delete removes both; an update then is ErrUpdate (the row is gone).
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := st.cache.Get(ctx, cacheKey(key)); found {
		t.Error("cache copy survived delete")
	}
	if err := st.Save(ctx, key, d, false); !errors.Is(err, django.ErrUpdate) {
		t.Errorf("update after delete: %v", err)
	}
	_ = rc
}

func TestCacheFailureOnSave(t *testing.T) {
	st, rc, _ := setup(t)
	ctx := context.Background()
	d, _ := pyjson.UnmarshalDict([]byte(`{"a":1}`))
	key, err := django.Create(ctx, st, d)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close() // the cache goes away
	// The 6.1 default (logged, the save succeeds) overridden either way;
	// the defaults per version are TestCacheErrorsDefaultPerVersion's.
	if err := mustNew(t, st.db, st.cache, WithCacheErrorsFatal(false)).Save(ctx, key, d, false); err != nil {
		t.Errorf("WithCacheErrorsFatal(false): %v", err)
	}
	if err := mustNew(t, st.db, st.cache, WithCacheErrorsFatal(true)).Save(ctx, key, d, false); !errors.Is(err, django.ErrBackend) {
		t.Errorf("WithCacheErrorsFatal(true): %v, want django.ErrBackend", err)
	}
	// A cache failure on load is a miss: the row is read.
	if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrBackend) {
		t.Errorf("load with the cache down: %v (Django's read-through set fails too)", err)
	}
}

// mustNew is New, failing the test on an error.
func mustNew(t *testing.T, d *db.Store, c cache.Cache, opts ...Option) *Store {
	t.Helper()
	st, err := New(d, c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestNewTakesTheDBStoresSettings: the cached_db store follows the settings
// its db store was made with (here the version that decides whether a
// failed cache write is fatal), and refuses what it cannot work with.
func TestNewTakesTheDBStoresSettings(t *testing.T) {
	sqlDB, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { rc.Close() })
	c, err := cache.NewRedis(cache.RedisCache, cache.Options{}, rc)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []django.Version{django.Versions[0], django.Versions[len(django.Versions)-1]} {
		s := django.DefaultSettings("cached-db-test")
		s.DjangoVersion = v
		d, err := db.New(sqlDB, db.SQLite, s)
		if err != nil {
			t.Fatal(err)
		}
		st := mustNew(t, d, c)
		if st.settings.DjangoVersion != v || st.guarded != v.AtLeast(5, 1) {
			t.Errorf("%s: settings for %s, guarded %v", v, st.settings.DjangoVersion, st.guarded)
		}
	}
	d, err := db.New(sqlDB, db.SQLite, django.DefaultSettings("cached-db-test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil, c); !errors.Is(err, django.ErrImproperlyConfigured) {
		t.Errorf("New(nil, c): %v", err)
	}
	if _, err := New(d, nil); !errors.Is(err, django.ErrImproperlyConfigured) {
		t.Errorf("New(d, nil): %v", err)
	}
}
