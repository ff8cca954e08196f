package cacheddb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// closedPort returns a loopback address nothing listens on: a cache
// server that went away, with real clients and no mock.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestCacheErrorsDefaultPerVersion: when the cache fails during a save,
// the default follows Settings.DjangoVersion as Django does: 3.2 and 4.2
// raise (after the row was written), 5.1 and later log "Error saving to
// cache" on the django.contrib.sessions logger and the save succeeds.
// Django's own behaviour per version is compat_test's
// TestCachedDBLive/<version>/<database>/cache_down.
func TestCacheErrorsDefaultPerVersion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc := redis.NewClient(&redis.Options{Addr: closedPort(t), MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { rc.Close() })
	deadRedis, err := cache.NewRedis(cache.RedisCache, cache.Options{}, rc)
	if err != nil {
		t.Fatal(err)
	}
	mc := memcache.New(closedPort(t))
	mc.Timeout = time.Second
	deadMemcached, err := cache.NewMemcached(mc, cache.PyMemcacheCache, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	caches := map[string]cache.Cache{"redis": deadRedis, "memcached": deadMemcached}

	for _, v := range django.Versions {
		raises := !v.AtLeast(5, 1)
		for name, c := range caches {
			t.Run(v.String()+"/"+name, func(t *testing.T) {
				sqlDB, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "db.sqlite3"))
				if err != nil {
					t.Fatal(err)
				}
				defer sqlDB.Close()
				if err := db.CreateTable(ctx, sqlDB, db.SQLite); err != nil {
					t.Fatal(err)
				}
				var logged bytes.Buffer
				s := django.DefaultSettings("cached-db-test")
				s.SessionEngine = django.EngineCachedDB
				s.DjangoVersion = v
				s.Logger = slog.New(slog.NewTextHandler(&logged, nil))
				d, err := db.New(sqlDB, db.SQLite, s)
				if err != nil {
					t.Fatal(err)
				}
				st := mustNew(t, d, c)
				want, _ := pyjson.UnmarshalDict([]byte(`{"a":1}`))
				key := "abcdefgh12345678abcdefgh12345678"

				err = st.Save(ctx, key, want, true)
				if raises {
					if !errors.Is(err, django.ErrBackend) {
						t.Errorf("Django %s raises when the cache fails: Save = %v, want django.ErrBackend", v, err)
					}
					if logged.Len() != 0 {
						t.Errorf("Django %s raises, it does not log: %s", v, logged.String())
					}
				} else {
					if err != nil {
						t.Errorf("Django %s logs and succeeds when the cache fails: Save = %v", v, err)
					}
					if !strings.Contains(logged.String(), "Error saving to cache") || !strings.Contains(logged.String(), "django.contrib.sessions") {
						t.Errorf("Django %s logs %q on django.contrib.sessions; the log has %q", v, "Error saving to cache", logged.String())
					}
				}
				// Either way the row was written first, as in Django.
				if got, err := d.Load(ctx, key); err != nil || !got.Equal(want) {
					t.Errorf("the row after a save with the cache down: %v, %v", got, err)
				}
			})
		}
	}
}
