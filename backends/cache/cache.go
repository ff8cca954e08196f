package cache

import (
	"context"
	"fmt"

	"github.com/djsession/djsession/django"
	runner "github.com/djsession/djsession/internal/bounded"
)

// A Cache is one entry of Django's CACHES seen through Django's cache API:
// the five calls the session engines make. Keys are the keys given to
// Django's cache (for sessions, KeyPrefix + session key); the Cache adds
// KEY_PREFIX and VERSION with its key function, validates the result as
// the Django backend does, encodes values as the backend's client library
// does, and converts timeouts as the backend converts them.
//
// Timeouts are in seconds, as get_expiry_age returns them; there is no
// "never expires" (sessions always have one). Values are Go values of the
// pyjson and pickle value model.
//
// Errors: a server or client failure wraps django.ErrBackend; a key the
// backend rejects wraps ErrInvalidKey; a stored value that does not decode
// wraps ErrBadValue. A miss is not an error.
type Cache interface {
	// Get is cache.get(key): the stored value and true, or nil and false
	// when nothing is stored under key.
	Get(ctx context.Context, key string) (any, bool, error)
	// Set is cache.set(key, value, timeout): store value, replacing any.
	Set(ctx context.Context, key string, value any, timeout int64) error
	// Add is cache.add(key, value, timeout): store value only when key
	// holds nothing; it reports whether the backend reported it stored.
	Add(ctx context.Context, key string, value any, timeout int64) (bool, error)
	// Delete is cache.delete(key). A missing key is not an error.
	Delete(ctx context.Context, key string) error
	// HasKey is cache.has_key(key) (key in cache): a full get on
	// memcached, EXISTS on Redis.
	HasKey(ctx context.Context, key string) (bool, error)
}

// replacer is implemented by the caches here: the cache engine's update in
// one request. Django's update is a get (is a session still there?) then a
// set; memcached's replace and Redis' SET ... XX store only over an existing
// key, which is the same check made by the server, in the same request and
// without the race between the two (a logout between them cannot be undone
// by the set). replace reports whether there was a value to replace.
type replacer interface {
	replace(ctx context.Context, key string, value any, timeout int64) (bool, error)
}

// backendErr wraps a server or client failure.
func backendErr(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", django.ErrBackend, op, err)
}

// bounded runs f with internal/bounded.Call: its outcome, or a
// django.ErrBackend error naming op as soon as ctx is done, whichever comes
// first; f keeps running on its own goroutine in the second case (the
// client's socket timeouts end it). A panic in f becomes such an error too.
func bounded[T any](ctx context.Context, op string, f func() (T, error)) (T, error) {
	return runner.Call(ctx, f, func(err error) error { return backendErr(op, err) })
}
