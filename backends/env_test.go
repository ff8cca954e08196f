package backends_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
)

func TestParseDatabaseURL(t *testing.T) {
	for _, c := range []struct {
		url, driver, dsn string
		dialect          db.Dialect
	}{
		{"postgres://u:p@db:5432/site", "postgres", "postgres://u:p@db:5432/site?binary_parameters=yes&sslmode=disable", db.Postgres},
		{"postgresql://db/site?sslmode=require", "postgres", "postgres://db/site?binary_parameters=yes&sslmode=require", db.Postgres},
		{"mysql://root:pw@127.0.0.1/site", "mysql", "root:pw@tcp(127.0.0.1:3306)/site?clientFoundRows=true&interpolateParams=true", db.MySQL},
		{"mysql2://u@h:3307/site", "mysql", "u@tcp(h:3307)/site?clientFoundRows=true&interpolateParams=true", db.MySQL},
		{"sqlite:////srv/site/db.sqlite3", "sqlite", "file:/srv/site/db.sqlite3?_pragma=busy_timeout(5000)", db.SQLite},
		{"sqlite:///db.sqlite3", "sqlite", "file:db.sqlite3?_pragma=busy_timeout(5000)", db.SQLite},
	} {
		d, err := backends.ParseDatabaseURL(c.url)
		if err != nil || d.Driver != c.driver || d.DSN != c.dsn || d.Dialect != c.dialect {
			t.Errorf("%s: %+v, %v; want %s %s", c.url, d, err, c.driver, c.dsn)
		}
	}
	for _, bad := range []string{"oracle://x/y", "sqlite://:memory:", "postgres://u:s3cret@h:bad/x"} {
		_, err := backends.ParseDatabaseURL(bad)
		if !errors.Is(err, django.ErrImproperlyConfigured) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v (want ErrImproperlyConfigured, no password)", bad, err)
		}
	}
}

func TestParseCacheURL(t *testing.T) {
	for _, c := range []struct {
		url     string
		want    backends.CacheConfig
		backend string
	}{
		{"redis://127.0.0.1:6379/1", backends.CacheConfig{Backend: backends.RedisCache, Location: []string{"redis://127.0.0.1:6379/1"}}, ""},
		{"valkeys://h1:6380,h2:6380/0?key_prefix=site&VERSION=2", backends.CacheConfig{Backend: backends.RedisCache,
			Location: []string{"rediss://h1:6380/0", "rediss://h2:6380/0"}, KeyPrefix: "site", Version: 2}, ""},
		{"pymemcache://localhost:11211,127.0.0.1:11212", backends.CacheConfig{Backend: backends.PyMemcacheCache,
			Location: []string{"localhost:11211", "127.0.0.1:11212"}}, ""},
		{"pylibmc://m:11211", backends.CacheConfig{Backend: backends.PyLibMCCache, Location: []string{"m:11211"}}, ""},
	} {
		got, err := backends.ParseCacheURL(c.url)
		if err != nil || got.Backend != c.want.Backend || strings.Join(got.Location, ",") != strings.Join(c.want.Location, ",") ||
			got.KeyPrefix != c.want.KeyPrefix || got.Version != c.want.Version {
			t.Errorf("%s: %+v, %v; want %+v", c.url, got, err, c.want)
		}
	}
	if _, err := backends.ParseCacheURL("locmemcache://"); !errors.Is(err, django.ErrImproperlyConfigured) {
		t.Errorf("a cache Go cannot share: %v", err)
	}
}

func env(m map[string]string) backends.LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestSettingsFromEnv(t *testing.T) {
	s, err := backends.SettingsFromEnv(env(map[string]string{
		"DJANGO_SECRET_KEY": "k", "SECRET_KEY_FALLBACKS": "old1, old2", "SESSION_ENGINE": "cached_db",
		"SESSION_COOKIE_AGE": "3600", "SESSION_COOKIE_SECURE": "yes", "USE_TZ": "False", "TIME_ZONE": "Europe/Paris",
		"DJANGO_VERSION": "4.2", "SESSION_COOKIE_SAMESITE": "Strict",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s.SecretKey != "k" || len(s.SecretKeyFallbacks) != 2 || s.SecretKeyFallbacks[1] != "old2" || s.SessionEngine != django.EngineCachedDB ||
		s.SessionCookieAge != 3600 || !s.SessionCookieSecure || s.UseTZ || s.TimeZone != "Europe/Paris" ||
		s.DjangoVersion != django.Django42 || s.SessionCookieSameSite != "Strict" || !s.SessionCookieHTTPOnly {
		t.Fatalf("%+v", s)
	}
	for name, m := range map[string]map[string]string{
		"SECRET_KEY":         {},
		"SESSION_COOKIE_AGE": {"SECRET_KEY": "k", "SESSION_COOKIE_AGE": "2 weeks"},
		"TIME_ZONE":          {"SECRET_KEY": "k", "TIME_ZONE": "Mars/Olympus"},
		"DJANGO_VERSION":     {"SECRET_KEY": "k", "DJANGO_VERSION": "2.2"},
	} {
		if _, err := backends.SettingsFromEnv(env(m)); !errors.Is(err, django.ErrImproperlyConfigured) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestOpenFromEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db.sqlite3")
	d, err := backends.ParseDatabaseURL("sqlite:///" + path)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	store, settings, closeStore, err := backends.OpenFromEnv(env(map[string]string{"SECRET_KEY": "k", "DATABASE_URL": "sqlite:///" + path}))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	if _, ok := store.(*db.Store); !ok || settings.SecretKey != "k" {
		t.Fatalf("store %T", store)
	}
	key, err := django.Create(context.Background(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := store.Exists(context.Background(), key); !ok || err != nil {
		t.Fatalf("the session saved through the store from the environment: %v %v", ok, err)
	}
	_, _, _, err = backends.OpenFromEnv(env(map[string]string{"SECRET_KEY": "k", "SESSION_ENGINE": "cache"}))
	if !errors.Is(err, django.ErrImproperlyConfigured) || !strings.Contains(err.Error(), "CACHE_URL") {
		t.Fatalf("the cache engine without CACHE_URL: %v", err)
	}
}

func TestOpenFromEnvRedis(t *testing.T) {
	store, _, closeStore, err := backends.OpenFromEnv(env(map[string]string{
		"SECRET_KEY": "k", "SESSION_ENGINE": "django.contrib.sessions.backends.cache",
		"CACHE_URL": "redis://127.0.0.1:6379/0?key_prefix=djsenvtest",
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	key, err := django.Create(context.Background(), store, nil)
	if err != nil {
		if os.Getenv("CI") != "true" && errors.Is(err, django.ErrBackend) {
			t.Skipf("Redis on 127.0.0.1:6379: %v (under CI=true this fails)", err)
		}
		t.Fatal(err)
	}
	defer store.Delete(context.Background(), key)
	if ok, err := store.Exists(context.Background(), key); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
}
