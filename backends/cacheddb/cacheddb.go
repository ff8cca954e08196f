// Package cacheddb is Django's django.contrib.sessions.backends.cached_db:
// the database is the source of truth (a django_session row, as the db
// engine writes it) and the cache holds a copy of the session dict under
// "django.contrib.sessions.cached_db" + session key, written through on
// every save and read first on every load.
//
// The order of operations is Django's: a save writes the row, then sets the
// cache; a load tries the cache (any error counts as a miss), then reads
// the row and sets the cache for the row's remaining age; a delete removes
// the row, then the cache entry; clearsessions touches only the database.
// A cache hit is trusted without looking at the row's expire_date: the
// cache timeout is the expiry check, in Django as here.
//
// Call Store.Check at start-up. The cache must be Django's CACHES entry
// exactly (LOCATION, the Redis db, KEY_PREFIX, VERSION): with any of them
// different, every cache read misses as if evicted, so this service reads
// the row and caches it under its own keys while Django keeps serving its
// copy; a session changed here is stale for Django, and a logout here
// leaves the user logged in to Django until its copy expires. No single
// request can tell that from an evicted entry; Check can (it looks for
// the sessions Django saved last in the cache), and refuses the
// configuration with an error naming the setting.
package cacheddb

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// KeyPrefix is the cached_db engine's cache key prefix.
const KeyPrefix = cache.CachedDBKeyPrefix

// Store is the cached_db engine over a db.Store and a cache.Cache.
type Store struct {
	db       *db.Store
	cache    cache.Cache
	settings django.Settings
	guarded  bool
	logger   *slog.Logger
}

var _ django.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithCacheErrorsFatal makes a failed cache write after a save an error,
// as in Django 3.2 to 5.0. By default the behaviour follows
// Settings.DjangoVersion: from Django 5.1 on (ticket #34806) the failure is
// logged ("Error saving to cache") and the save succeeds, since the
// database holds the session.
func WithCacheErrorsFatal(fatal bool) Option { return func(s *Store) { s.guarded = !fatal } }

// New returns the cached_db store: database rows through d, cached copies
// in c, under the settings d was made with (d.Settings()). A nil d or c is
// an error wrapping django.ErrImproperlyConfigured.
func New(d *db.Store, c cache.Cache, opts ...Option) (*Store, error) {
	if d == nil || c == nil {
		return nil, fmt.Errorf("%w: cached_db: New needs a db.Store and a cache.Cache", django.ErrImproperlyConfigured)
	}
	settings := *d.Settings()
	s := &Store{db: d, cache: c, settings: settings, guarded: settings.Version().AtLeast(5, 1), logger: settings.Log()}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func cacheKey(key string) string { return KeyPrefix + key }

// Settings returns the settings of the db store (django.Store).
func (s *Store) Settings() *django.Settings { return &s.settings }

// Load returns the cached session, or the database row's (then cached).
// A cache failure is a miss, as in Django; a failure of the cache write
// after reading the row is an error, as in Django (whose read-through set
// is not guarded in any version).
func (s *Store) Load(ctx context.Context, key string) (*pyjson.Dict, error) {
	ctx = cache.WithClock(ctx, s.settings.Clock) // memcached's absolute expiry: the settings' clock
	if !django.ValidSessionKey(key) {
		return pyjson.NewDict(0), django.ErrNotFound
	}
	if v, found, err := s.cache.Get(ctx, cacheKey(key)); err == nil && found {
		if d, ok := v.(*pyjson.Dict); ok {
			return d, nil
		}
	}
	d, expireDate, err := s.db.LoadWithExpiry(ctx, key)
	if err != nil {
		return d, err
	}
	age, err := s.settings.ExpiryAgeOf(expireDate, s.settings.Now())
	if err != nil {
		return pyjson.NewDict(0), err
	}
	if err := s.cache.Set(ctx, cacheKey(key), d, age); err != nil {
		return pyjson.NewDict(0), fmt.Errorf("cached_db: caching the session read from the database: %w", err)
	}
	return d, nil
}

// Save writes the row (create: INSERT, else UPDATE, as the db engine),
// then the cache copy with the session's expiry age.
func (s *Store) Save(ctx context.Context, key string, session *pyjson.Dict, create bool) error {
	ctx = cache.WithClock(ctx, s.settings.Clock) // memcached's absolute expiry: the settings' clock
	if err := s.db.Save(ctx, key, session, create); err != nil {
		return err
	}
	age, err := cache.ExpiryAge(&s.settings, session, s.settings.Now())
	if err == nil {
		err = s.cache.Set(ctx, cacheKey(key), session, age)
	}
	if err != nil {
		if s.guarded {
			s.logger.Error(fmt.Sprintf("Error saving to cache (%T)", s.cache), "logger", "django.contrib.sessions", "err", err)
			return nil
		}
		return fmt.Errorf("cached_db: the database row was saved, the cache copy was not: %w", err)
	}
	return nil
}

// Delete removes the row, then the cache copy.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.db.Delete(ctx, key); err != nil {
		return err
	}
	return s.cache.Delete(ctx, cacheKey(key))
}

// Exists is true when the cache holds the key, else when the row exists
// (expired or not), as Django's exists() checks.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if key != "" {
		ok, err := s.cache.HasKey(ctx, cacheKey(key))
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return s.db.Exists(ctx, key)
}

// ClearExpired deletes expired rows; cached copies expire by their TTL.
func (s *Store) ClearExpired(ctx context.Context) error { return s.db.ClearExpired(ctx) }
