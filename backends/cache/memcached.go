package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
)

// MemcachedLibrary names the Python client library behind a Django
// memcached backend. It decides the flags values are stored with (pylibmc
// stores an int with flags 4 and a bool as an int, the others write flags
// 2 and pickle a bool) and, with several servers, where keys go (see
// Selector).
type MemcachedLibrary int

// The libraries of Django's three memcached backends, named after the
// backends' classes, as BACKEND names them.
const (
	// PyMemcacheCache is django.core.cache.backends.memcached.PyMemcacheCache
	// (Django 3.2+): pymemcache's HashClient with pickle_serde.
	PyMemcacheCache MemcachedLibrary = iota + 1
	// PyLibMCCache is django.core.cache.backends.memcached.PyLibMCCache: pylibmc
	// on libmemcached. It stores int with flags 4 and bool as the int 1 or 0
	// (flags 2), which reads back as an int.
	PyLibMCCache
	// MemcachedCache is django.core.cache.backends.memcached.MemcachedCache
	// (Django 3.2 and earlier): python-memcached.
	MemcachedCache
)

// String returns the Django BACKEND path of the library.
func (l MemcachedLibrary) String() string {
	switch l {
	case PyMemcacheCache:
		return "django.core.cache.backends.memcached.PyMemcacheCache"
	case PyLibMCCache:
		return "django.core.cache.backends.memcached.PyLibMCCache"
	case MemcachedCache:
		return "django.core.cache.backends.memcached.MemcachedCache"
	}
	return fmt.Sprintf("MemcachedLibrary(%d)", int(l))
}

// Selector returns the library's placement of keys over the LOCATION
// entries, with Django's default options (see NewPyMemcacheSelector,
// NewPyLibMCSelector and NewPythonMemcachedSelector).
func (l MemcachedLibrary) Selector(location ...string) (*Selector, error) {
	switch l {
	case PyMemcacheCache:
		return NewPyMemcacheSelector(location...)
	case PyLibMCCache:
		return NewPyLibMCSelector(location...)
	case MemcachedCache:
		return NewPythonMemcachedSelector(location...)
	}
	return nil, fmt.Errorf("cache: unknown memcached library %d", int(l))
}

// Memcached is a Django memcached cache on a gomemcache client. Build the
// client with memcache.NewFromSelector and the library's Selector so keys
// land where Django puts them (with one server, memcache.New works too).
// It is safe for concurrent use.
type Memcached struct {
	client *memcache.Client
	lib    MemcachedLibrary
	opts   Options
}

var _ Cache = (*Memcached)(nil)

// NewMemcached returns the cache that reads and writes as Django's backend
// for lib does, through client. A nil client, an unknown lib and the
// Redis-only options (Compressor, ReadFromPrimary: memcached's libraries
// compress by their own rules, and there are no replicas) are errors
// wrapping django.ErrImproperlyConfigured.
func NewMemcached(client *memcache.Client, lib MemcachedLibrary, opts Options) (*Memcached, error) {
	switch {
	case client == nil:
		return nil, fmt.Errorf("%w: cache: NewMemcached: nil client", django.ErrImproperlyConfigured)
	case lib < PyMemcacheCache || lib > MemcachedCache:
		return nil, fmt.Errorf("%w: cache: unknown memcached library %d", django.ErrImproperlyConfigured, int(lib))
	case opts.Compressor != NoCompressor:
		return nil, fmt.Errorf("%w: cache: Compressor is django-redis' option, not %s's", django.ErrImproperlyConfigured, lib)
	case opts.ReadFromPrimary:
		return nil, fmt.Errorf("%w: cache: ReadFromPrimary is a Redis option, not %s's", django.ErrImproperlyConfigured, lib)
	}
	return &Memcached{client: client, lib: lib, opts: opts}, nil
}

// Key returns the key sent to memcached for key, validated as Django does.
func (m *Memcached) Key(key string) (string, error) {
	k := m.opts.makeKey(key)
	if err := validateMemcachedKey(k); err != nil {
		return "", err
	}
	return k, nil
}

func memcachedErr(op string, err error) error {
	if errors.Is(err, memcache.ErrMalformedKey) {
		return fmt.Errorf("%w: %s: %w", ErrInvalidKey, op, err)
	}
	return backendErr("memcached "+op, err)
}

// Get is cache.get: a get command and the item decoded by its flags.
func (m *Memcached) Get(ctx context.Context, key string) (any, bool, error) {
	item, err := m.get(ctx, key)
	if err != nil || item == nil {
		return nil, false, err
	}
	v, err := decodeMemcached(ctx, item.Flags, item.Value)
	if err != nil {
		return nil, true, err
	}
	return v, true, nil
}

func (m *Memcached) get(ctx context.Context, key string) (*memcache.Item, error) {
	k, err := m.Key(key)
	if err != nil {
		return nil, err
	}
	return bounded(ctx, "memcached get", func() (*memcache.Item, error) {
		item, err := m.client.Get(k)
		if errors.Is(err, memcache.ErrCacheMiss) {
			return nil, nil
		}
		if err != nil {
			return nil, memcachedErr("get", err)
		}
		return item, nil
	})
}

// HasKey is cache.has_key, which Django's memcached backends implement as
// a full get.
func (m *Memcached) HasKey(ctx context.Context, key string) (bool, error) {
	item, err := m.get(ctx, key)
	return item != nil, err
}

// replace is the session update (see replacer): a replace command with what
// Set would send. NOT_STORED means no value was there; any other refusal
// (a value too large) is handled as Set handles it.
func (m *Memcached) replace(ctx context.Context, key string, value any, timeout int64) (bool, error) {
	it, err := m.item(ctx, key, value, timeout)
	if err != nil {
		return false, err
	}
	return bounded(ctx, "memcached replace", func() (bool, error) {
		err := m.client.Replace(it)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, memcache.ErrNotStored):
			return false, nil
		}
		return false, memcachedErr("replace", m.dropRefused(it.Key, err))
	})
}

func (m *Memcached) item(ctx context.Context, key string, value any, timeout int64) (*memcache.Item, error) {
	k, err := m.Key(key)
	if err != nil {
		return nil, err
	}
	data, flags, err := encodeMemcached(m.lib, value, m.opts.protocol(pickle.HighestProtocol))
	if err != nil {
		return nil, err
	}
	return &memcache.Item{Key: k, Value: data, Flags: flags, Expiration: memcachedExpiration(timeout, now(ctx))}, nil
}

// Set is cache.set: a set command with Django's expiration
// (BaseMemcachedCache.get_backend_timeout: 0 expires at once, more than 30
// days is an absolute Unix time from Options.Clock). When the server refuses the value (larger than its
// item size limit), Django deletes the key so that no stale value
// survives; so does Set, and it reports the refusal as an error.
func (m *Memcached) Set(ctx context.Context, key string, value any, timeout int64) error {
	it, err := m.item(ctx, key, value, timeout)
	if err != nil {
		return err
	}
	_, err = bounded(ctx, "memcached set", func() (struct{}, error) {
		err := m.client.Set(it)
		if err == nil {
			return struct{}{}, nil
		}
		return struct{}{}, memcachedErr("set", m.dropRefused(it.Key, err))
	})
	return err
}

// dropRefused deletes key when the server refused to store a value under it
// (Django's rule: no stale session survives a failed write) and returns the
// write's error, with the delete's if that failed too.
func (m *Memcached) dropRefused(key string, err error) error {
	if serverRefused(err) {
		if derr := m.client.Delete(key); derr != nil && !errors.Is(derr, memcache.ErrCacheMiss) {
			err = errors.Join(err, derr)
		}
	}
	return err
}

// serverRefused reports an answer of the server other than STORED (such
// as SERVER_ERROR object too large for cache), as opposed to a failure to
// talk to it.
func serverRefused(err error) bool {
	return errors.Is(err, memcache.ErrNotStored) || strings.Contains(err.Error(), "unexpected response line")
}

// Add is cache.add: an add command; false when the key holds a value.
func (m *Memcached) Add(ctx context.Context, key string, value any, timeout int64) (bool, error) {
	it, err := m.item(ctx, key, value, timeout)
	if err != nil {
		return false, err
	}
	return bounded(ctx, "memcached add", func() (bool, error) {
		err := m.client.Add(it)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, memcache.ErrNotStored):
			return false, nil
		}
		return false, memcachedErr("add", err)
	})
}

// Delete is cache.delete: a delete command; a missing key is no error.
func (m *Memcached) Delete(ctx context.Context, key string) error {
	k, err := m.Key(key)
	if err != nil {
		return err
	}
	_, err = bounded(ctx, "memcached delete", func() (struct{}, error) {
		err := m.client.Delete(k)
		if err == nil || errors.Is(err, memcache.ErrCacheMiss) {
			return struct{}{}, nil
		}
		return struct{}{}, memcachedErr("delete", err)
	})
	return err
}
