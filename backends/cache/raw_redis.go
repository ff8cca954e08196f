package cache

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// listClients are the clients whose keys together are the cache's: the
// primary, whose replicas hold the same keys, or every shard of a
// ShardClient.
func (r *Redis) listClients() []redis.UniversalClient {
	if r.ring != nil {
		return r.clients
	}
	return r.clients[:1]
}

// Entries lists the session entries with SCAN ... MATCH (the made-key
// pattern of the cache's KEY_PREFIX and VERSION, or any key holding a
// session prefix with scan.AnyKeyPrefix) on the primary (the replicas
// hold the same keys) or on every shard (NewShardClient), then GET and
// PTTL for each batch in one pipeline. SCAN's guarantees hold: a key
// present for the whole scan is yielded (once per SCAN, which may return
// it twice: Entries yields it once per batch it is in, and a caller that
// must not see a key twice keeps the keys it saw); keys added or removed
// meanwhile may or may not be. A key whose value is
// not a string (another program's list or hash) is skipped. A Redis
// Cluster client is ErrNotListable: list its nodes' clients one by one.
func (r *Redis) Entries(ctx context.Context, scan Scan) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		pats, err := patterns(&r.opts, scan)
		if err != nil {
			yield(Entry{}, err)
			return
		}
		var globs []string
		if scan.AnyKeyPrefix {
			p := KeyPrefix
			if scan.SessionPrefix != "" {
				p = scan.SessionPrefix
			}
			globs = []string{"*" + globEscape(p) + "*" + globEscape(scan.Key)}
		} else {
			for _, p := range pats {
				globs = append(globs, globEscape(p.before)+"*"+globEscape(scan.Key+p.after))
			}
			if len(pats) == 2 && pats[0].after == pats[1].after && strings.HasPrefix(pats[0].before, pats[1].before) {
				globs = globs[1:] // cache's pattern covers cached_db's: one SCAN for both
			}
		}
		for i, c := range r.listClients() {
			if _, cluster := c.(*redis.ClusterClient); cluster {
				yield(Entry{}, fmt.Errorf("%w: a Redis Cluster client: list each node's client", ErrNotListable))
				return
			}
			for _, glob := range globs {
				if !r.scanClient(ctx, c, strconv.Itoa(i), glob, pats, scan, yield) {
					return
				}
			}
		}
	}
}

// scanClient runs one SCAN over c; false when the iteration must stop.
func (r *Redis) scanClient(ctx context.Context, c redis.UniversalClient, server, glob string, pats []keyPattern, scan Scan,
	yield func(Entry, error) bool) bool {
	var cursor uint64
	for {
		type page struct {
			keys   []string
			cursor uint64
		}
		p, err := bounded(ctx, "redis SCAN", func() (page, error) {
			keys, next, err := c.Scan(ctx, cursor, glob, int64(scan.batch())).Result()
			if err != nil {
				return page{}, backendErr("redis SCAN", err)
			}
			return page{keys, next}, nil
		})
		if err != nil {
			yield(Entry{}, err)
			return false
		}
		var batch []Entry
		for _, k := range p.keys {
			if e, ok := match(&r.opts, pats, scan, k); ok {
				e.Server = server
				batch = append(batch, e)
			}
		}
		if len(batch) > 0 {
			batch, err = r.fetch(ctx, c, batch, scan.KeysOnly)
			if err != nil {
				yield(Entry{}, err)
				return false
			}
			for _, e := range batch {
				if !yield(e, nil) {
					return false
				}
			}
		}
		if p.cursor == 0 {
			return true
		}
		cursor = p.cursor
	}
}

// fetch fills the values (unless keysOnly) and TTLs of entries in one
// pipeline, dropping those that vanished or hold no string.
func (r *Redis) fetch(ctx context.Context, c redis.UniversalClient, entries []Entry, keysOnly bool) ([]Entry, error) {
	return bounded(ctx, "redis GET/PTTL", func() ([]Entry, error) {
		pipe := c.Pipeline()
		gets := make([]*redis.StringCmd, len(entries))
		ttls := make([]*redis.DurationCmd, len(entries))
		for i, e := range entries {
			if !keysOnly {
				gets[i] = pipe.Get(ctx, e.CacheKey)
			}
			ttls[i] = pipe.PTTL(ctx, e.CacheKey)
		}
		_, err := pipe.Exec(ctx)
		if err != nil && !errors.Is(err, redis.Nil) && !isWrongType(err) {
			return nil, backendErr("redis GET/PTTL", err)
		}
		out := entries[:0]
		for i, e := range entries {
			if !keysOnly {
				b, err := gets[i].Bytes()
				if errors.Is(err, redis.Nil) || isWrongType(err) {
					continue
				}
				if err != nil {
					return nil, backendErr("redis GET", err)
				}
				e.Value = b
			}
			ttl, ok := redisTTL(ttls[i])
			if !ok {
				continue
			}
			e.TTL = ttl
			out = append(out, e)
		}
		return out, nil
	})
}

func isWrongType(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE") }

// redisTTL reads PTTL's answer: the remaining time, NoTTL for -1, false
// for a key that is gone (-2) or a failed command.
func redisTTL(cmd *redis.DurationCmd) (time.Duration, bool) {
	d, err := cmd.Result()
	switch {
	case err != nil:
		return 0, false
	case d == -1:
		return NoTTL, true
	case d < 0:
		return 0, false
	}
	return d, true
}

// GetEntry is GET and PTTL of the made key, in one pipeline, on the
// primary (or the key's shard): never a replica, which may lag.
func (r *Redis) GetEntry(ctx context.Context, key string) (Entry, bool, error) {
	k := r.Key(key)
	c := r.writer(k)
	got, err := r.fetch(ctx, c, []Entry{keyEntry(&r.opts, key, k)}, false)
	if err != nil || len(got) == 0 {
		return Entry{}, false, err
	}
	return got[0], true, nil
}

// AddEntry is SET key value NX [PX ms] on the primary (or the key's
// shard), the value as it is: the cache's own format must be the entry's
// (a django-redis compressed value read by Django's RedisCache is a bad
// value there). NoTTL stores without expiry.
func (r *Redis) AddEntry(ctx context.Context, e Entry) (bool, error) {
	if err := checkEntry(e); err != nil {
		return false, err
	}
	unit, ms := "", int64(0)
	if e.TTL != NoTTL {
		if e.TTL <= 0 {
			return false, ErrExpiredEntry
		}
		// Rounded up, so that a copy never expires before its original.
		unit, ms = "px", int64((e.TTL+time.Millisecond-1)/time.Millisecond)
	}
	return r.set(ctx, e.SessionPrefix+e.Key, e.Value, unit, ms, "nx")
}

// DecodeEntry decodes e.Value as Get does.
func (r *Redis) DecodeEntry(ctx context.Context, e Entry) (any, error) {
	return r.decode(ctx, e.Value)
}

// InDB returns the same cache (format, options, placement) on database db
// of the same servers, with clients of its own, and the function that
// closes them: where check looks for sessions a Django site keeps in
// another Redis database. Only *redis.Client clients can be copied so;
// others are ErrNotListable.
func (r *Redis) InDB(db int) (*Redis, func() error, error) {
	clients := make([]redis.UniversalClient, 0, len(r.clients))
	closeAll := func() error {
		var errs []error
		for _, c := range clients {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}
	for _, c := range r.clients {
		rc, ok := c.(*redis.Client)
		if !ok {
			closeAll()
			return nil, nil, fmt.Errorf("%w: InDB: a %T cannot be copied to another database", ErrNotListable, c)
		}
		o := *rc.Options()
		o.DB = db
		clients = append(clients, redis.NewClient(&o))
	}
	nr := *r
	nr.clients = clients
	return &nr, closeAll, nil
}

// DB returns the database number of the primary client, and false for a
// client that does not say (a cluster or ring client).
func (r *Redis) DB() (int, bool) {
	rc, ok := r.clients[0].(*redis.Client)
	if !ok {
		return 0, false
	}
	return rc.Options().DB, true
}

// MadeKey is Key (Lister).
func (r *Redis) MadeKey(key string) string { return r.Key(key) }
