package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/signing"
)

// RedisFormat names the Django cache backend that owns a Redis database;
// the two differ in their timeouts and pickle protocol.
type RedisFormat int

// The Redis cache backends, named as BACKEND names them: Django's own
// RedisCache, and the third-party django-redis package's.
const (
	// RedisCache is django.core.cache.backends.redis.RedisCache
	// (Django 4.0+): an exact int is stored as its decimal text, anything
	// else pickled with protocol 5; SET ... EX seconds.
	RedisCache RedisFormat = iota + 1
	// DjangoRedis is django_redis.cache.RedisCache with its DefaultClient:
	// ints as decimal text, anything else pickled with protocol 4
	// (pickle.DEFAULT_PROTOCOL; OPTIONS["PICKLE_VERSION"] changes it) and
	// optionally compressed; SET ... PX milliseconds.
	DjangoRedis
)

// String returns the Django BACKEND path.
func (f RedisFormat) String() string {
	switch f {
	case RedisCache:
		return "django.core.cache.backends.redis.RedisCache"
	case DjangoRedis:
		return "django_redis.cache.RedisCache"
	}
	return fmt.Sprintf("RedisFormat(%d)", int(f))
}

// Compressor is django-redis' OPTIONS["COMPRESSOR"].
type Compressor int

// The compressors supported.
const (
	// NoCompressor is django-redis' default IdentityCompressor.
	NoCompressor Compressor = iota
	// ZlibCompressor is django_redis.compressors.zlib.ZlibCompressor:
	// zlib level 6 for serialized values longer than 15 bytes. Values it
	// cannot inflate are read as stored uncompressed, as django-redis
	// does.
	ZlibCompressor
)

// Redis is a Django Redis cache on go-redis clients. It is safe for
// concurrent use.
type Redis struct {
	format  RedisFormat
	clients []redis.UniversalClient
	opts    Options
	proto   int
	// ring places each key on one of clients (django-redis' ShardClient,
	// NewShardClient); nil: clients[0] is the primary, the rest replicas.
	ring *HashRing
}

var _ Cache = (*Redis)(nil)

// NewRedis returns the cache that reads and writes as the Django backend
// format does, through clients given in LOCATION order: the first is the
// primary, which takes every write (set, add, delete); the others are
// replicas, which take reads unless opts.ReadFromPrimary is set.
// Replication between them is the servers' business, as for Django.
// An unknown format, no client or a nil one, and a Compressor other than
// django-redis' zlib are errors wrapping django.ErrImproperlyConfigured.
//
// A *redis.Client is a redis.UniversalClient; so are cluster and failover
// clients, which route by themselves. The deployments of Django's settings:
//
//   - several LOCATIONs (Django's RedisCache, django-redis' DefaultClient):
//     one *redis.Client per LOCATION entry, in order; reads go to a random
//     one of the second to the last, as random.randint(1, n-1) picks them
//     in both;
//   - django-redis' SentinelClient (LOCATION redis://SERVICE/DB,
//     SENTINELS): redis.NewFailoverClient for the primary, then one with
//     ReplicaOnly for the reads, as django-redis' is_master=1 and
//     is_master=0 pools (a replica the Sentinels name, the primary when
//     none is up);
//   - a Redis Cluster (redis-py's RedisCluster in a connection factory):
//     one redis.NewClusterClient from the seed nodes; the servers place
//     the keys and go-redis follows MOVED and ASK;
//   - django-redis' ShardClient: NewShardClient.
func NewRedis(format RedisFormat, opts Options, clients ...redis.UniversalClient) (*Redis, error) {
	if format != RedisCache && format != DjangoRedis {
		return nil, fmt.Errorf("%w: cache: unknown Redis format %d", django.ErrImproperlyConfigured, int(format))
	}
	if len(clients) == 0 {
		return nil, fmt.Errorf("%w: cache: NewRedis needs at least one client", django.ErrImproperlyConfigured)
	}
	for i, c := range clients {
		if c == nil {
			return nil, fmt.Errorf("%w: cache: NewRedis: client %d is nil", django.ErrImproperlyConfigured, i)
		}
	}
	if opts.Compressor != NoCompressor && (format != DjangoRedis || opts.Compressor != ZlibCompressor) {
		return nil, fmt.Errorf("%w: cache: compressor %d is not supported for %s", django.ErrImproperlyConfigured, int(opts.Compressor), format)
	}
	def := pickle.HighestProtocol
	if format == DjangoRedis {
		def = pickle.DefaultProtocol
	}
	return &Redis{format: format, clients: append([]redis.UniversalClient(nil), clients...), opts: opts, proto: opts.protocol(def)}, nil
}

// Key returns the key sent to Redis for key. Redis accepts any key (Django's
// RedisCache only warns about memcached-unsafe keys).
func (r *Redis) Key(key string) string { return r.opts.makeKey(key) }

// writer is the client that takes writes of the made key k: the primary,
// or with a ring the server that holds k.
func (r *Redis) writer(k string) redis.UniversalClient {
	if r.ring != nil {
		return r.clients[r.ring.nodeIndex(ShardKey(k))]
	}
	return r.clients[0]
}

func (r *Redis) readsReplicas() bool {
	return r.ring == nil && len(r.clients) > 1 && !r.opts.ReadFromPrimary
}

// reader is the client that takes reads of the made key k: a random
// replica (DefaultClient's get_next_client_index, RedisCache's
// _get_connection_pool_index: random.randint(1, n-1)), else the writer.
func (r *Redis) reader(k string) redis.UniversalClient {
	if r.ring != nil {
		return r.writer(k)
	}
	if r.readsReplicas() {
		return r.clients[1+rand.IntN(len(r.clients)-1)]
	}
	return r.clients[0]
}

func (r *Redis) encode(v any) ([]byte, error) {
	if _, isBool := v.(bool); !isBool {
		if b, ok := intText(v); ok {
			return b, nil
		}
	}
	data, err := pickle.Marshal(v, r.proto)
	if err != nil {
		return nil, fmt.Errorf("cache: pickling the value: %w", err)
	}
	if r.opts.Compressor == ZlibCompressor && len(data) > 15 {
		return deflate(data)
	}
	return data, nil
}

func (r *Redis) decode(ctx context.Context, data []byte) (any, error) {
	if n, ok := parsePyInt(data); ok {
		return n, nil
	}
	if r.opts.Compressor == ZlibCompressor {
		d, err := inflate(data)
		if errors.Is(err, signing.ErrTooLarge) { // not a raw pickle: too large, not corrupt
			return nil, fmt.Errorf("%w: %w", ErrBadValue, err)
		}
		if err == nil {
			data = d
		}
	}
	return unpickle(ctx, data)
}

func (r *Redis) getRaw(ctx context.Context, key string) ([]byte, error) {
	k := r.Key(key)
	c := r.reader(k)
	return bounded(ctx, "redis GET", func() ([]byte, error) {
		b, err := c.Get(ctx, k).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		if err != nil {
			return nil, backendErr("redis GET", err)
		}
		return b, nil
	})
}

// Get is cache.get: GET on a reader, the value decoded as the backend does
// (an int if it parses as one, else a pickle).
func (r *Redis) Get(ctx context.Context, key string) (any, bool, error) {
	b, err := r.getRaw(ctx, key)
	if err != nil || b == nil {
		return nil, false, err
	}
	v, err := r.decode(ctx, b)
	if err != nil {
		return nil, true, err
	}
	return v, true, nil
}

// HasKey is cache.has_key: EXISTS on a reader.
func (r *Redis) HasKey(ctx context.Context, key string) (bool, error) {
	k := r.Key(key)
	return r.exists(ctx, r.reader(k), k)
}

func (r *Redis) exists(ctx context.Context, c redis.UniversalClient, k string) (bool, error) {
	return bounded(ctx, "redis EXISTS", func() (bool, error) {
		n, err := c.Exists(ctx, k).Result()
		if err != nil {
			return false, backendErr("redis EXISTS", err)
		}
		return n > 0, nil
	})
}

// set sends SET key value [EX s | PX ms] [NX | XX] to the primary (or the
// key's shard) and reports whether it stored; cond is "", "nx" or "xx".
func (r *Redis) set(ctx context.Context, key string, data []byte, unit string, ttl int64, cond string) (bool, error) {
	k := r.Key(key)
	args := make([]any, 0, 6)
	args = append(args, "set", k, data)
	if unit != "" {
		args = append(args, unit, strconv.FormatInt(ttl, 10))
	}
	if cond != "" {
		args = append(args, cond)
	}
	c := r.writer(k)
	return bounded(ctx, "redis SET", func() (bool, error) {
		err := c.Do(ctx, args...).Err()
		if errors.Is(err, redis.Nil) {
			return false, nil
		}
		if err != nil {
			return false, backendErr("redis SET", err)
		}
		return true, nil
	})
}

// Set is cache.set on the primary. Django's RedisCache sends SET ... EX
// seconds, and DEL when the timeout is 0 or less; django-redis sends
// SET ... PX milliseconds, and DEL when they are 0 or less.
func (r *Redis) Set(ctx context.Context, key string, value any, timeout int64) error {
	data, err := r.encode(value)
	if err != nil {
		return err
	}
	unit, ttl := r.ttl(timeout)
	if ttl <= 0 {
		return r.Delete(ctx, key)
	}
	_, err = r.set(ctx, key, data, unit, ttl, "")
	return err
}

// replace is the session update (see replacer): SET ... XX with what Set
// would send; where Set deletes (a timeout of 0 or less), DEL, whose count
// says whether there was a value. With replicas to read from, Django's check
// reads a replica (and a session the replica has not seen yet is "deleted"),
// so that case keeps Django's get on a reader, then Set.
func (r *Redis) replace(ctx context.Context, key string, value any, timeout int64) (bool, error) {
	data, err := r.encode(value)
	if err != nil {
		return false, err
	}
	unit, ttl := r.ttl(timeout)
	if r.readsReplicas() {
		b, err := r.getRaw(ctx, key)
		if err != nil || b == nil {
			return false, err
		}
		if ttl <= 0 {
			return true, r.Delete(ctx, key)
		}
		_, err = r.set(ctx, key, data, unit, ttl, "")
		return true, err
	}
	if ttl > 0 {
		return r.set(ctx, key, data, unit, ttl, "xx")
	}
	k := r.Key(key)
	c := r.writer(k)
	return bounded(ctx, "redis DEL", func() (bool, error) {
		n, err := c.Del(ctx, k).Result()
		if err != nil {
			return false, backendErr("redis DEL", err)
		}
		return n > 0, nil
	})
}

func (r *Redis) ttl(timeout int64) (string, int64) {
	if r.format == DjangoRedis {
		return "px", djangoRedisTimeout(timeout)
	}
	return "ex", redisCacheTimeout(timeout)
}

// Add is cache.add on the primary: SET ... NX. With a timeout of 0 or
// less, Django's RedisCache sends SET NX without expiry and, when it
// stored, DEL (reporting true); django-redis writes nothing and reports
// whether the key was absent (EXISTS).
func (r *Redis) Add(ctx context.Context, key string, value any, timeout int64) (bool, error) {
	data, err := r.encode(value)
	if err != nil {
		return false, err
	}
	unit, ttl := r.ttl(timeout)
	if ttl > 0 {
		return r.set(ctx, key, data, unit, ttl, "nx")
	}
	if r.format == DjangoRedis {
		k := r.Key(key)
		exists, err := r.exists(ctx, r.writer(k), k)
		return !exists, err
	}
	ok, err := r.set(ctx, key, data, "", 0, "nx")
	if err != nil || !ok {
		return ok, err
	}
	return true, r.Delete(ctx, key)
}

// Delete is cache.delete: DEL on the primary.
func (r *Redis) Delete(ctx context.Context, key string) error {
	k := r.Key(key)
	c := r.writer(k)
	_, err := bounded(ctx, "redis DEL", func() (struct{}, error) {
		if err := c.Del(ctx, k).Err(); err != nil {
			return struct{}{}, backendErr("redis DEL", err)
		}
		return struct{}{}, nil
	})
	return err
}
