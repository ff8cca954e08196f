package cache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The session-level key prefixes: Django concatenates them with the
// session key, with no separator, before the cache adds its own
// "KEY_PREFIX:VERSION:".
const (
	// KeyPrefix is the cache engine's prefix
	// (django.contrib.sessions.backends.cache.KEY_PREFIX).
	KeyPrefix = "django.contrib.sessions.cache"
	// CachedDBKeyPrefix is the cached_db engine's prefix
	// (django.contrib.sessions.backends.cached_db.KEY_PREFIX).
	CachedDBKeyPrefix = "django.contrib.sessions.cached_db"
)

// MemcachedMaxKeyLength is the longest key Django accepts for memcached
// (MEMCACHE_MAX_KEY_LENGTH), in characters.
const MemcachedMaxKeyLength = 250

// ErrInvalidKey is Django's InvalidCacheKey: the final key is not a valid
// memcached key (longer than 250 characters, or holding a control
// character, a space or DEL). Django's session load treats it as a miss;
// every other operation fails with it.
var ErrInvalidKey = errors.New("cache: invalid cache key")

// ErrBadValue reports a stored value this package does not turn into a Go
// value or a session: a pickle the safe decoder refuses or cannot parse
// (the error also wraps the pickle package's error), unknown memcached
// flags, a session that is not a dict. It is about the data, not the
// server: it never wraps django.ErrBackend.
var ErrBadValue = errors.New("cache: unreadable cached value")

// Options are the settings of one CACHES entry, under Django's names: one
// struct for every backend, as one CACHES entry is one dict whatever its
// BACKEND. Compressor and ReadFromPrimary are for Redis only (NewMemcached
// refuses them); the zero value of every field is Django's default.
type Options struct {
	// KeyPrefix is KEY_PREFIX (default "").
	KeyPrefix string
	// Version is VERSION (default 1; 0 means 1).
	Version int
	// KeyFunc is KEY_FUNCTION: it builds the key sent to the server from
	// the key, KEY_PREFIX and VERSION. Nil means MakeKey, Django's
	// default. A custom Python KEY_FUNCTION must be rewritten in Go.
	KeyFunc func(key, keyPrefix string, version int) string
	// PickleProtocol is the pickle protocol values are written with: 0
	// means the library's own (5, pickle.HIGHEST_PROTOCOL, for the
	// memcached libraries and Django's RedisCache; 4,
	// pickle.DEFAULT_PROTOCOL, for django-redis, or its PICKLE_VERSION
	// option). Django on Python 3.6/3.7 wrote 4. Reading accepts 2 to 5.
	PickleProtocol int
	// Compressor is django-redis' OPTIONS["COMPRESSOR"] (DjangoRedis only;
	// default NoCompressor).
	Compressor Compressor
	// ReadFromPrimary (Redis only) sends reads (get, has_key) to the first
	// client, which is never staler than a replica. By default reads go
	// where Django and django-redis send them: with several clients, a
	// random one of the second to the last (never the primary).
	ReadFromPrimary bool
}

func (o *Options) makeKey(key string) string {
	v := o.Version
	if v == 0 {
		v = 1
	}
	if o.KeyFunc != nil {
		return o.KeyFunc(key, o.KeyPrefix, v)
	}
	return MakeKey(key, o.KeyPrefix, v)
}

// The clock memcached's absolute expiration times are computed from
// (Django uses time.time()) is the session settings' (Settings.Clock): the
// session store that calls the cache puts it on the call's context, so a
// Cache has no clock of its own to disagree with it. A call without one
// uses time.Now.
type clockKey struct{}

// WithClock returns ctx carrying clock for the cache calls made with it.
// The session stores (Store, cacheddb) do this with their settings' clock;
// code that calls a Cache directly may.
func WithClock(ctx context.Context, clock func() time.Time) context.Context {
	if clock == nil {
		return ctx
	}
	return context.WithValue(ctx, clockKey{}, clock)
}

func now(ctx context.Context) time.Time {
	if c, ok := ctx.Value(clockKey{}).(func() time.Time); ok {
		return c()
	}
	return time.Now()
}

func (o *Options) protocol(def int) int {
	if o.PickleProtocol != 0 {
		return o.PickleProtocol
	}
	return def
}

// MakeKey is Django's default KEY_FUNCTION,
// django.core.cache.backends.base.default_key_func: "prefix:version:key".
func MakeKey(key, keyPrefix string, version int) string {
	var b strings.Builder
	b.Grow(len(keyPrefix) + len(key) + 4)
	b.WriteString(keyPrefix)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(version))
	b.WriteByte(':')
	b.WriteString(key)
	return b.String()
}

// validateMemcachedKey is Django's memcache_key_warnings turned into an
// error, as its memcached backends raise it: a key longer than 250
// characters (code points, as Python counts) or holding a character below
// 33 or equal to 127 fails with ErrInvalidKey.
func validateMemcachedKey(key string) error {
	if len(key) > MemcachedMaxKeyLength && utf8.RuneCountInString(key) > MemcachedMaxKeyLength {
		return fmt.Errorf("%w: key is longer than %d characters", ErrInvalidKey, MemcachedMaxKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 33 || c == 127 {
			return fmt.Errorf("%w: key contains a control character or a space (byte %d)", ErrInvalidKey, i)
		}
	}
	return nil
}
