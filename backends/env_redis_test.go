package backends_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/django"
)

// TestParseCacheURLClientClass: a Redis URL's client_class is django-redis'
// CLIENT_CLASS (and so its BACKEND), or a Redis Cluster; valkey:// is
// redis:// wherever it is accepted.
func TestParseCacheURLClientClass(t *testing.T) {
	for raw, want := range map[string]backends.CacheConfig{
		"redis://a:1/0,redis://b:1/0?client_class=django_redis.client.ShardClient": {Backend: backends.DjangoRedis,
			Location: []string{"redis://a:1/0", "redis://b:1/0"}, Client: backends.RedisClientShard},
		"valkey://a:1,b:1/2?client_class=shard": {Backend: backends.RedisCache,
			Location: []string{"redis://a:1/2", "redis://b:1/2"}, Client: backends.RedisClientShard},
		"valkeys://mymaster/3?CLIENT_CLASS=django_redis.client.SentinelClient": {Backend: backends.DjangoRedis,
			Location: []string{"rediss://mymaster/3"}, Client: backends.RedisClientSentinel},
		"redis://n1:7000,n2:7001?client_class=cluster": {Backend: backends.RedisCache,
			Location: []string{"redis://n1:7000", "redis://n2:7001"}, Client: backends.RedisClientCluster},
	} {
		got, err := backends.ParseCacheURL(raw)
		if err != nil || got.Backend != want.Backend || got.Client != want.Client || !slices.Equal(got.Location, want.Location) {
			t.Errorf("%s: %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{"redis://a:1/0?client_class=django_redis.client.HerdClient", "pymemcache://a:1?client_class=shard"} {
		if _, err := backends.ParseCacheURL(raw); !errors.Is(err, django.ErrImproperlyConfigured) {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

// TestCacheConfigRedisClients: what each client needs, refused before any
// connection.
func TestCacheConfigRedisClients(t *testing.T) {
	for name, cc := range map[string]backends.CacheConfig{
		"shard on RedisCache":     {Backend: backends.RedisCache, Location: []string{"redis://a:1/0"}, Client: backends.RedisClientShard},
		"sentinel, no sentinels":  {Backend: backends.DjangoRedis, Location: []string{"redis://m/0"}, Client: backends.RedisClientSentinel},
		"sentinel, two locations": {Backend: backends.DjangoRedis, Location: []string{"redis://m/0", "redis://n/0"}, Client: backends.RedisClientSentinel, Sentinels: []string{"s:1"}},
		"sentinels, default":      {Backend: backends.DjangoRedis, Location: []string{"redis://m/0"}, Sentinels: []string{"s:1"}},
		"cluster on db 1":         {Backend: backends.DjangoRedis, Location: []string{"redis://a:1/1"}, Client: backends.RedisClientCluster},
		"unknown client":          {Backend: backends.DjangoRedis, Location: []string{"redis://a:1/0"}, Client: "herd"},
	} {
		if _, _, err := cc.Open(); !errors.Is(err, django.ErrImproperlyConfigured) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, cc := range map[string]backends.CacheConfig{
		"shard":    {Backend: backends.DjangoRedis, Location: []string{"redis://a:1/0", "redis://b:1/0"}, Client: backends.RedisClientShard},
		"sentinel": {Backend: backends.DjangoRedis, Location: []string{"redis://mymaster/0"}, Client: backends.RedisClientSentinel, Sentinels: []string{"127.0.0.1:1"}},
		"cluster":  {Backend: backends.RedisCache, Location: []string{"redis://127.0.0.1:1", "redis://127.0.0.1:2"}, Client: backends.RedisClientCluster},
	} {
		c, closeFn, err := cc.Open()
		if err != nil || c == nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		closeFn()
	}
}

// TestOpenFromEnvRedisClients: DJANGO_CACHE_CLIENT and
// DJANGO_CACHE_SENTINELS reach CacheConfig; what a client cannot use is
// refused before any connection.
func TestOpenFromEnvRedisClients(t *testing.T) {
	base := map[string]string{"SECRET_KEY": "k", "SESSION_ENGINE": "cache"}
	for name, c := range map[string]struct {
		env map[string]string
		ok  bool
	}{
		"shard":                  {map[string]string{"CACHE_URL": "redis://127.0.0.1:1/0,redis://127.0.0.1:2/0", "DJANGO_CACHE_CLIENT": "django_redis.client.ShardClient"}, true},
		"sentinels":              {map[string]string{"CACHE_URL": "redis://mymaster/0", "DJANGO_CACHE_SENTINELS": "127.0.0.1:1, 127.0.0.1:2"}, true},
		"cluster":                {map[string]string{"CACHE_URL": "valkey://127.0.0.1:1,127.0.0.1:2", "DJANGO_CACHE_CLIENT": "cluster"}, true},
		"unknown client":         {map[string]string{"CACHE_URL": "redis://127.0.0.1:1/0", "DJANGO_CACHE_CLIENT": "herd"}, false},
		"shard on RedisCache":    {map[string]string{"CACHE_URL": "redis://127.0.0.1:1/0", "DJANGO_CACHE_CLIENT": "shard", "DJANGO_CACHE_BACKEND": backends.RedisCache}, false},
		"sentinels, two servers": {map[string]string{"CACHE_URL": "redis://a/0,redis://b/0", "DJANGO_CACHE_SENTINELS": "127.0.0.1:1"}, false},
	} {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range c.env {
			env[k] = v
		}
		_, _, closeFn, err := backends.OpenFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			closeFn()
		} else if !errors.Is(err, django.ErrImproperlyConfigured) {
			t.Errorf("%s: %v, want ErrImproperlyConfigured", name, err)
		}
	}
}
