package cache

import (
	"math"
	"time"
)

// MemcachedMaxRelative is the longest relative expiration memcached takes
// (30 days); a larger exptime is an absolute Unix time.
const MemcachedMaxRelative = 2592000

// memcachedExpiration is BaseMemcachedCache.get_backend_timeout for a
// timeout in seconds, at the time now: 0 becomes -1 (expire at once, since
// memcached reads 0 as "never"); more than 30 days becomes the absolute
// Unix time now+timeout; anything else, negative values included, passes
// through. Values beyond the int32 range of the memcached protocol (as
// gomemcache carries it) are clamped to it.
func memcachedExpiration(timeout int64, now time.Time) int32 {
	if timeout == 0 {
		return -1
	}
	if timeout > MemcachedMaxRelative {
		unix := now.Unix()
		if timeout > math.MaxInt64-unix {
			return math.MaxInt32
		}
		timeout += unix
	}
	return clamp32(timeout)
}

func clamp32(v int64) int32 {
	switch {
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return int32(v)
}

// redisCacheTimeout is Django's RedisCache.get_backend_timeout: the EX
// seconds, never below 0. With 0, set deletes the key instead and add
// sets it without expiry, then deletes it.
func redisCacheTimeout(timeout int64) int64 {
	return max(0, timeout)
}

// djangoRedisTimeout is django-redis' conversion: the PX milliseconds,
// int(timeout * 1000). With 0 or less, set deletes the key instead and add
// only checks that the key is absent. It saturates instead of overflowing.
func djangoRedisTimeout(timeout int64) int64 {
	switch {
	case timeout > math.MaxInt64/1000:
		return math.MaxInt64
	case timeout < math.MinInt64/1000:
		return math.MinInt64
	}
	return timeout * 1000
}
