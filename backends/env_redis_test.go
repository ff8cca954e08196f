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
