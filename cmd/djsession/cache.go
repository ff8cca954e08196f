package main

import (
	"context"
	"net"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/cache"
)

// openCache reads --cache (or $CACHE_URL, $REDIS_URL) as
// backends.ParseCacheURL does, then --cache-backend, --cache-key-prefix,
// --cache-version, --cache-client and --sentinel over what the URL says.
// memcached's absolute expiration times come from the settings' clock
// (--now) through the session store.
func (c *cli) openCache() (cache.Cache, func(), error) {
	raw, source, ok := c.setting("cache", envCacheURL, envRedisURL)
	if !ok || raw == "" {
		return nil, nil, usagef("the cache engines need --cache (or $%s) memcached://host:port[,...] or redis://host:port/N[,...]", envCacheURL)
	}
	cc, err := backends.ParseCacheURL(raw)
	if err != nil {
		return nil, nil, usagef("%s: %v", source, err)
	}
	if v, ok := c.flags.get("cache-key-prefix"); ok {
		cc.KeyPrefix = v
	}
	if v, ok := c.flags.get("cache-version"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, nil, usagef("--cache-version takes an integer, not %q", v)
		}
		cc.Version = n
	}
	if backend, _ := c.flags.get("cache-backend"); backend != "" {
		memcached := cc.Backend != backends.RedisCache && cc.Backend != backends.DjangoRedis
		path := map[bool]map[string]string{
			true:  {"pymemcache": backends.PyMemcacheCache, "pylibmc": backends.PyLibMCCache, "python-memcached": backends.MemcachedCache},
			false: {"redis": backends.RedisCache, "django-redis": backends.DjangoRedis},
		}[memcached][backend]
		if path == "" {
			if memcached {
				return nil, nil, usagef("--cache-backend for memcached: pymemcache, pylibmc or python-memcached, not %q", backend)
			}
			return nil, nil, usagef("--cache-backend for redis: redis or django-redis, not %q", backend)
		}
		cc.Backend = path
	}
	if err := c.redisTopology(&cc); err != nil {
		return nil, nil, err
	}
	// go-redis logs each failed dial and Sentinel query on its own; the
	// command's contract is one line on stderr, the error it returns.
	redis.SetLogger(quietRedisLog{})
	cl, closeCache, err := cc.Open()
	if err != nil {
		return nil, nil, usagef("%s: %v", source, err)
	}
	return cl, func() { closeCache() }, nil
}

// redisTopology applies --cache-client and --sentinel: django-redis'
// CLIENT_CLASS (a shard or sentinel client names django-redis' BACKEND
// unless --cache-backend said otherwise) or a Redis Cluster, and the
// SENTINELS (--sentinel alone means the sentinel client).
func (c *cli) redisTopology(cc *backends.CacheConfig) error {
	client, named := c.flags.get("cache-client")
	sentinels := c.flags.all("sentinel")
	if !named && len(sentinels) == 0 {
		return nil
	}
	redisURL := cc.Backend == backends.RedisCache || cc.Backend == backends.DjangoRedis
	if !redisURL {
		return usagef("--cache-client and --sentinel are for a Redis --cache")
	}
	switch client {
	case "":
		if named {
			return usagef("--cache-client: default, shard, sentinel or cluster")
		}
		client = backends.RedisClientSentinel
	case backends.RedisClientDefault, backends.RedisClientShard, backends.RedisClientSentinel, backends.RedisClientCluster:
	default:
		return usagef("--cache-client: default, shard, sentinel or cluster, not %q", client)
	}
	if len(sentinels) > 0 && client != backends.RedisClientSentinel {
		return usagef("--sentinel goes with --cache-client sentinel, not %s", client)
	}
	if client == backends.RedisClientSentinel && len(sentinels) == 0 {
		return usagef("--cache-client sentinel needs --sentinel HOST:PORT (one per Sentinel) and --cache redis://SERVICE/DB")
	}
	for _, s := range sentinels {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return usagef("--sentinel takes HOST:PORT, not %q", s)
		}
	}
	cc.Client, cc.Sentinels = client, sentinels
	if backend, _ := c.flags.get("cache-backend"); backend == "" && (client == backends.RedisClientShard || client == backends.RedisClientSentinel) {
		cc.Backend = backends.DjangoRedis
	}
	return nil
}

// quietRedisLog is go-redis' logger, discarding: the failures it would log
// reach the command as the error of the call that met them.
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}
