package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/django"
)

// openCache reads --cache (or $CACHE_URL, $REDIS_URL), --cache-backend,
// --cache-key-prefix and --cache-version. The cache computes memcached's
// absolute expiration times with the settings' clock, the one that stamps
// the session (--now).
func (c *cli) openCache(s django.Settings) (cache.Cache, func(), error) {
	raw, source, ok := c.setting("cache", envCacheURL, envRedisURL)
	if !ok || raw == "" {
		return nil, nil, usagef("the cache engines need --cache (or $%s) memcached://host:port[,...] or redis://host:port/N[,...]", envCacheURL)
	}
	opts := cache.Options{Clock: s.Clock}
	opts.KeyPrefix, _ = c.flags.get("cache-key-prefix")
	if v, ok := c.flags.get("cache-version"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, nil, usagef("--cache-version takes an integer, not %q", v)
		}
		opts.Version = n
	}
	backend, _ := c.flags.get("cache-backend")
	switch {
	case strings.HasPrefix(raw, "memcached://"):
		var location []string
		for _, part := range strings.Split(strings.TrimPrefix(raw, "memcached://"), ",") {
			location = append(location, strings.TrimPrefix(part, "memcached://"))
		}
		lib := map[string]cache.MemcachedLibrary{
			"": cache.PyMemcache, "pymemcache": cache.PyMemcache, "pylibmc": cache.PyLibMC,
			"python-memcached": cache.PythonMemcached,
		}[backend]
		if lib == 0 {
			return nil, nil, usagef("--cache-backend for memcached: pymemcache, pylibmc or python-memcached, not %q", backend)
		}
		sel, err := lib.Selector(location...)
		if err != nil {
			return nil, nil, usagef("%s: %v", source, err)
		}
		return cache.NewMemcached(memcache.NewFromSelector(sel), lib, opts), func() {}, nil
	case strings.HasPrefix(raw, "redis://") || strings.HasPrefix(raw, "rediss://"):
		format := map[string]cache.RedisFormat{"": cache.DjangoRedisCache, "redis": cache.DjangoRedisCache, "django-redis": cache.DjangoRedis}[backend]
		if format == 0 {
			return nil, nil, usagef("--cache-backend for redis: redis or django-redis, not %q", backend)
		}
		var clients []redis.UniversalClient
		closeAll := func() {
			for _, cl := range clients {
				cl.Close()
			}
		}
		for _, part := range strings.Split(raw, ",") {
			if _, err := url.Parse(part); err != nil {
				closeAll()
				return nil, nil, usagef("%s %q: %v", source, redactURL(part), urlErr(err))
			}
			o, err := redis.ParseURL(part)
			if err != nil {
				closeAll()
				return nil, nil, usagef("%s %q: %v", source, redactURL(part), err)
			}
			clients = append(clients, redis.NewClient(o))
		}
		r, err := cache.NewRedis(format, cache.RedisOptions{Options: opts}, clients...)
		if err != nil {
			closeAll()
			return nil, nil, usagef("%s: %v", source, err)
		}
		return r, closeAll, nil
	}
	return nil, nil, usagef("%s: unsupported URL %q (memcached:// or redis://)", source, redactURL(raw))
}
