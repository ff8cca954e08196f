package main

import (
	"strconv"

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/cache"
)

// openCache reads --cache (or $CACHE_URL, $REDIS_URL) as
// backends.ParseCacheURL does, then --cache-backend, --cache-key-prefix
// and --cache-version over what the URL says. memcached's absolute
// expiration times come from the settings' clock (--now) through the
// session store.
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
	cl, closeCache, err := cc.Open()
	if err != nil {
		return nil, nil, usagef("%s: %v", source, err)
	}
	return cl, func() { closeCache() }, nil
}
