package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// Store is Django's cache session engine
// (django.contrib.sessions.backends.cache) on a Cache. The session dict
// itself is stored, pickled by the cache, under KeyPrefix + session key;
// SESSION_SERIALIZER plays no part. It is safe for concurrent use.
//
// Its calls are Django's: Exists is has_key; a create is add; Load is get;
// Delete is delete; ClearExpired does nothing, the server expires entries
// itself. An update is Django's get, then set (a miss is ErrUpdate), made in
// one request on memcached and Redis: replace, or SET ... XX, which store
// only over an existing value (the same check, made by the server, without
// the race between the two requests). Redis with replicas to read from keeps
// Django's two requests, since Django's check reads a replica. Every save
// passes the session's expiry age (django.Settings.ExpiryAge) as the
// timeout, which the Cache converts as its Django backend does.
type Store struct {
	cache    Cache
	settings django.Settings
	prefix   string
}

var _ django.Store = (*Store)(nil)

// New returns the cache engine's store on c with settings
// (SESSION_COOKIE_AGE, the version's expiry rules, the clock). A nil c is
// an error wrapping django.ErrImproperlyConfigured.
func New(c Cache, settings django.Settings) (*Store, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: cache: New: nil Cache", django.ErrImproperlyConfigured)
	}
	return &Store{cache: c, settings: settings, prefix: KeyPrefix}, nil
}

// CacheKey returns the key given to the cache for a session key, before
// the cache adds KEY_PREFIX and VERSION.
func (s *Store) CacheKey(sessionKey string) string { return s.prefix + sessionKey }

// Load returns the session stored under key.
//
// A key Django would not keep (fewer than 8 characters), a miss, and a key
// the cache cannot hold (memcached: spaces, over 250 characters) are
// ErrNotFound with an empty session: Django's load() then starts a new
// session under a new key. A server failure wraps django.ErrBackend; a
// stored value that is not a session this package reads (a pickle the
// safe decoder refuses, which also matches pickle.ErrRefused; a value that
// is not a dict) wraps ErrBadValue. In both cases the session is nil, so
// no caller can save an empty session over Django's data.
func (s *Store) Load(ctx context.Context, key string) (*pyjson.Dict, error) {
	if !django.ValidSessionKey(key) {
		return pyjson.NewDict(0), django.ErrNotFound
	}
	v, found, err := s.cache.Get(ctx, s.CacheKey(key))
	switch {
	case errors.Is(err, ErrInvalidKey):
		return pyjson.NewDict(0), fmt.Errorf("%w: %w", django.ErrNotFound, err)
	case err != nil:
		return nil, fmt.Errorf("cache session load: %w", err)
	case !found:
		return pyjson.NewDict(0), django.ErrNotFound
	}
	d, err := sessionFromValue(v)
	if err != nil {
		return nil, fmt.Errorf("cache session load: %w", err)
	}
	return d, nil
}

// Save stores session under key with the session's expiry age as the
// timeout. With create it is cache.add, and ErrCreate when a value is
// there (or, on django-redis with an expiry in the past, never: that add
// writes nothing and succeeds, as in Django). Without create it is Django's
// get-then-set: ErrUpdate when nothing is stored. Like Django's, an update
// is not atomic: a delete between the two calls is undone by the set.
func (s *Store) Save(ctx context.Context, key string, session *pyjson.Dict, create bool) error {
	ctx = WithClock(ctx, s.settings.Clock) // memcached's absolute expiry: the settings' clock
	if session == nil {
		session = pyjson.NewDict(0)
	}
	age, err := ExpiryAge(&s.settings, session, s.settings.Now())
	if err != nil {
		return err
	}
	ck := s.CacheKey(key)
	if create {
		added, err := s.cache.Add(ctx, ck, session, age)
		if err != nil {
			return fmt.Errorf("cache session create: %w", err)
		}
		if !added {
			return django.ErrCreate
		}
		return nil
	}
	if r, ok := s.cache.(replacer); ok {
		replaced, err := r.replace(ctx, ck, session, age)
		if err != nil {
			return fmt.Errorf("cache session update: %w", err)
		}
		if !replaced {
			return django.ErrUpdate
		}
		return nil
	}
	// Another Cache: Django's own get, then set.
	_, present, err := s.cache.Get(ctx, ck)
	if errors.Is(err, ErrBadValue) {
		err = nil // a value is there; Django's own pickle.loads would read it
	}
	if err != nil {
		return fmt.Errorf("cache session update: %w", err)
	}
	if !present {
		return django.ErrUpdate
	}
	if err := s.cache.Set(ctx, ck, session, age); err != nil {
		return fmt.Errorf("cache session update: %w", err)
	}
	return nil
}

// Delete removes the session stored under key; a missing one is no error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.cache.Delete(ctx, s.CacheKey(key)); err != nil {
		return fmt.Errorf("cache session delete: %w", err)
	}
	return nil
}

// Exists reports whether a session is stored under key, as Django's
// exists(): false for the empty key, else cache.has_key.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	ok, err := s.cache.HasKey(ctx, s.CacheKey(key))
	if err != nil {
		return false, fmt.Errorf("cache session exists: %w", err)
	}
	return ok, nil
}

// ClearExpired does nothing: the cache expires sessions itself, and
// Django's clear_expired for this engine is a no-op.
func (s *Store) ClearExpired(context.Context) error { return nil }

// ExpiryAge is settings.ExpiryAge(session, now), the timeout every cache
// save passes (including Django 3.2's pickled datetime _session_expiry).
func ExpiryAge(settings *django.Settings, session *pyjson.Dict, now time.Time) (int64, error) {
	return settings.ExpiryAge(session, now)
}

// Settings returns the settings the store was made with (django.Store).
func (s *Store) Settings() *django.Settings { return &s.settings }
