package cache

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/djsession/djsession/django"
)

// Raw access to the entries of a cache, for the tools that look at or move
// sessions without a session key in hand (package manage: check,
// copy-sessions): a Lister enumerates what a Redis database or memcached
// servers hold under Django's session keys, reads one entry with its
// remaining lifetime, and adds an entry as it was stored. Django's cache
// API has none of this; each server has its own way (Redis: SCAN;
// memcached: lru_crawler metadump).

// NoTTL is the TTL of an entry that never expires.
const NoTTL time.Duration = -1

// ErrExpiredEntry is AddEntry's error for an entry whose TTL has run out:
// nothing is stored (memcached would read a zero expiration as "never").
var ErrExpiredEntry = errors.New("cache: the entry's TTL has run out")

// ErrNotListable is the error of a Lister that cannot enumerate: a custom
// KeyFunc that does not keep the key as it is (a hashing one), a Redis
// Cluster client, a memcached server without lru_crawler.
var ErrNotListable = errors.New("cache: the cache's entries cannot be enumerated")

// An Entry is one value as a cache server holds it, undecoded.
type Entry struct {
	// Key is the session key: the end of CacheKey after the session
	// engine's prefix (SessionPrefix).
	Key string
	// CacheKey is the whole key on the server, KEY_PREFIX and VERSION
	// included (the made key).
	CacheKey string
	// Value is the stored value as it is on the server (a pickle, maybe
	// compressed; an int's decimal text); nil when the listing was asked
	// for keys only (Scan.KeysOnly).
	Value []byte
	// Flags are the memcached client flags the value was stored with (how
	// the client library encoded it); 0 on Redis.
	Flags uint32
	// TTL is the entry's remaining lifetime, whole seconds on memcached,
	// milliseconds on Redis; NoTTL when it has none.
	TTL time.Duration
	// SessionPrefix is the session engine's prefix the key carries:
	// KeyPrefix (cache) or CachedDBKeyPrefix (cached_db).
	SessionPrefix string
	// KeyPrefix and Version are the KEY_PREFIX and VERSION that CacheKey
	// was made with: the cache's own, or, for an entry listed with
	// Scan.AnyKeyPrefix, what CacheKey says under Django's default
	// KEY_FUNCTION ("prefix:version:key"; Version 0 when CacheKey does not
	// read that way).
	KeyPrefix string
	Version   int
	// Server is where the entry was found: the memcached server's
	// address; on Redis, the index of the client in LOCATION order.
	Server string
}

// A Scan says which entries a Lister's Entries yields.
type Scan struct {
	// SessionPrefix is the session engine whose entries to list: KeyPrefix
	// (cache) or CachedDBKeyPrefix (cached_db); "" lists both.
	SessionPrefix string
	// AnyKeyPrefix lists the session entries under every KEY_PREFIX and
	// VERSION (the keys holding the session prefix anywhere), not only the
	// cache's own: where a Django site with other cache settings keeps its
	// sessions. The cache's KeyFunc plays no part then.
	AnyKeyPrefix bool
	// Batch is how many keys are asked for per round trip (SCAN's COUNT,
	// the values fetched at once); 0 or less means DefaultScanBatch.
	Batch int
	// KeysOnly skips the values: Entry.Value is nil. The TTL is still read.
	KeysOnly bool
	// Key, when not empty, lists only the entries of this session key:
	// where else one session is stored.
	Key string
}

// DefaultScanBatch is Scan.Batch when it is 0.
const DefaultScanBatch = 500

func (s Scan) batch() int {
	if s.Batch <= 0 {
		return DefaultScanBatch
	}
	return s.Batch
}

// A Lister is the raw access to a cache's session entries. *Redis is one;
// NewMemcachedLister makes one for memcached, which needs its servers'
// addresses.
type Lister interface {
	// Entries yields the session entries scan selects, one server at a
	// time, in batches of scan.Batch: memory stays bounded by one batch.
	// An entry that vanishes between the listing and the fetch of its value
	// is not yielded. A failure is yielded once, wrapping django.ErrBackend
	// (or ErrNotListable), and ends the iteration.
	Entries(ctx context.Context, scan Scan) iter.Seq2[Entry, error]
	// GetEntry returns the entry stored under key (the key given to the
	// cache: a session prefix and the session key, as Cache.Get takes it),
	// with its value and TTL, and false when there is none.
	GetEntry(ctx context.Context, key string) (Entry, bool, error)
	// AddEntry stores e.Value under e.Key with e.SessionPrefix (the key as
	// Cache.Add takes it), as it is (the flags too, on memcached), with
	// e.TTL as the expiry, only when nothing is stored there: false when a
	// value is. The cache's own KEY_PREFIX and VERSION apply, not e's. An
	// entry whose TTL has run out is ErrExpiredEntry.
	AddEntry(ctx context.Context, e Entry) (bool, error)
	// DecodeEntry returns the Go value of e.Value as Cache.Get would (for
	// a session, a *pyjson.Dict); errors as Cache.Get's.
	DecodeEntry(ctx context.Context, e Entry) (any, error)
	// MadeKey returns the key sent to the server for key, with the
	// cache's KEY_PREFIX, VERSION and KeyFunc: an entry listed with
	// Scan.AnyKeyPrefix is the cache's own when its CacheKey is
	// MadeKey(SessionPrefix + Key).
	MadeKey(key string) string
}

var _ Lister = (*Redis)(nil)

// The session prefixes, longest first: "django.contrib.sessions.cache" is
// a prefix of "django.contrib.sessions.cached_db".
var sessionPrefixes = []string{CachedDBKeyPrefix, KeyPrefix}

// keyPattern is how a Lister recognizes the made keys of one session
// prefix under the cache's KEY_PREFIX, VERSION and KeyFunc: the made key of
// a session key K is before + K + after.
type keyPattern struct {
	sessionPrefix string
	before, after string
}

// mark stands for the session key in the made key of a probe: no KeyFunc
// that keeps the key as it is loses it, and no real key holds it.
const mark = "\x00djsession\x00"

// patterns returns the key patterns of the cache's own key layout for the
// session prefixes scan selects, or ErrNotListable when the KeyFunc does
// not keep the key (a hash of it).
func patterns(o *Options, scan Scan) ([]keyPattern, error) {
	prefixes := sessionPrefixes
	if scan.SessionPrefix != "" {
		prefixes = []string{scan.SessionPrefix}
	}
	var out []keyPattern
	for _, sp := range prefixes {
		made := o.makeKey(sp + mark)
		before, after, ok := strings.Cut(made, mark)
		if !ok || strings.Contains(after, mark) {
			return nil, fmt.Errorf("%w: KEY_FUNCTION does not keep the key as it is", ErrNotListable)
		}
		out = append(out, keyPattern{sessionPrefix: sp, before: before, after: after})
	}
	return out, nil
}

// match reads a made key: the entry it is for, or false when it is not a
// session key the scan selects. With the cache's own layout (pats), the
// made key is checked by making it again; with AnyKeyPrefix, it is read as
// default_key_func's "prefix:version:key".
func match(o *Options, pats []keyPattern, scan Scan, cacheKey string) (Entry, bool) {
	e, ok := matchKey(o, pats, scan, cacheKey)
	if !ok || scan.Key != "" && e.Key != scan.Key {
		return Entry{}, false
	}
	return e, true
}

func matchKey(o *Options, pats []keyPattern, scan Scan, cacheKey string) (Entry, bool) {
	if !scan.AnyKeyPrefix {
		for _, p := range pats {
			if len(cacheKey) < len(p.before)+len(p.after) || !strings.HasPrefix(cacheKey, p.before) || !strings.HasSuffix(cacheKey, p.after) {
				continue
			}
			key := cacheKey[len(p.before) : len(cacheKey)-len(p.after)]
			if o.makeKey(p.sessionPrefix+key) != cacheKey {
				continue
			}
			if p.sessionPrefix == KeyPrefix && strings.HasPrefix(KeyPrefix+key, CachedDBKeyPrefix) {
				continue // a cached_db key, which the scan does not select
			}
			v := o.Version
			if v == 0 {
				v = 1
			}
			return Entry{Key: key, CacheKey: cacheKey, SessionPrefix: p.sessionPrefix,
				KeyPrefix: o.KeyPrefix, Version: v}, true
		}
		return Entry{}, false
	}
	for _, sp := range sessionPrefixes {
		if scan.SessionPrefix != "" && scan.SessionPrefix != sp {
			continue
		}
		i := strings.LastIndex(cacheKey, sp)
		if i < 0 {
			continue
		}
		if sp == KeyPrefix && strings.HasPrefix(cacheKey[i:], CachedDBKeyPrefix) {
			return Entry{}, false // a cached_db key, which the scan does not select
		}
		e := Entry{Key: cacheKey[i+len(sp):], CacheKey: cacheKey, SessionPrefix: sp}
		if head, ok := strings.CutSuffix(cacheKey[:i], ":"); ok {
			if j := strings.LastIndexByte(head, ':'); j >= 0 {
				if v, err := strconv.Atoi(head[j+1:]); err == nil {
					e.KeyPrefix, e.Version = head[:j], v
				}
			}
		}
		return e, true
	}
	return Entry{}, false
}

// keyEntry is the Entry of key (a session prefix and the session key, as
// Cache.Get takes it) under the cache's own layout, made key k, before its
// value and TTL are read: what GetEntry fills on every server kind.
func keyEntry(o *Options, key, k string) Entry {
	e := Entry{CacheKey: k, KeyPrefix: o.KeyPrefix, Version: max(o.Version, 1)}
	for _, sp := range sessionPrefixes {
		if rest, ok := strings.CutPrefix(key, sp); ok {
			e.Key, e.SessionPrefix = rest, sp
			break
		}
	}
	return e
}

// globEscape escapes Redis' glob characters in s, for SCAN's MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ttlSeconds is e.TTL as a whole number of seconds, rounded up so that a
// copy never expires before its original, or an error for an entry whose
// TTL has run out; -1 for NoTTL.
func ttlSeconds(ttl time.Duration) (int64, error) {
	if ttl == NoTTL {
		return -1, nil
	}
	if ttl <= 0 {
		return 0, ErrExpiredEntry
	}
	return int64((ttl + time.Second - 1) / time.Second), nil
}

func checkEntry(e Entry) error {
	switch {
	case e.SessionPrefix == "":
		return fmt.Errorf("%w: AddEntry: the entry has no SessionPrefix", django.ErrImproperlyConfigured)
	case e.Value == nil:
		return fmt.Errorf("%w: AddEntry: the entry has no value", django.ErrImproperlyConfigured)
	}
	return nil
}
