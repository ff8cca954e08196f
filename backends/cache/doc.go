// Package cache is Django's django.contrib.sessions.backends.cache: each
// session lives in a cache (memcached or Redis) under Django's key, as the
// pickled session dict, so a Go service and a Django site share sessions
// through the same servers.
//
// Two layers:
//
//   - A Cache is Django's cache API for one CACHES entry: Get, Set, Add,
//     Delete and HasKey on a key that the cache turns into
//     "KEY_PREFIX:VERSION:key", with the value encoded as the configured
//     client library encodes it (memcached flags and pickle, Django's
//     RedisCache or django-redis) and the timeout converted as that
//     backend converts it. Memcached works on the caller's
//     *memcache.Client (github.com/bradfitz/gomemcache); Redis on the
//     caller's go-redis clients, in LOCATION order.
//   - Store is the session engine on top of a Cache: the commands Django's
//     SessionStore sends (add to create, get then set to update, get to
//     load, delete), with the timeout from django.Settings.ExpiryAge.
//
// The cached_db engine uses the same Cache with CachedDBKeyPrefix.
//
// # Several memcached servers
//
// Django does not shard memcached itself: the client library does, and
// each library picks differently. A Go client must place every key on the
// server the Django site's library picks, or each side sees only its own
// sessions. NewPyMemcacheSelector, NewPyLibMCSelector,
// NewPyLibMCKetamaSelector and NewPythonMemcachedSelector return a
// memcache.ServerSelector for the LOCATION list exactly as it appears in
// the Django settings (the strings are hashed, so "localhost:11211" and
// "127.0.0.1:11211" place keys differently).
//
// # Contexts and deadlines
//
// gomemcache takes no context; its Client.Timeout bounds each socket read
// and write. Every Memcached call here runs the gomemcache call on its own
// goroutine and returns when it finishes or when ctx is done, whichever
// comes first, so a dead or stalled server yields an error wrapping
// django.ErrBackend within the context's deadline. A call abandoned that
// way keeps running in the background until the client's Timeout ends it
// (its outcome, such as a set that still lands, is then unknown, as with
// any timeout). Redis calls run the same way, because go-redis applies a
// context deadline to its sockets only when its ContextTimeoutEnabled
// option is set. A context without a Done channel (context.Background)
// runs the call directly.
//
// # Errors
//
// A missing session is django.ErrNotFound. A failure of the server or the
// client wraps django.ErrBackend. A stored value that is not a session this
// package will read (a pickle the safe decoder refuses, a value that is not
// a dict, unknown memcached flags) wraps ErrBadValue and, for pickles, the
// pickle package's ErrRefused or ErrMalformed; Load then returns no
// session at all, so nothing writes an empty session over Django's data.
// Nothing panics on input.
package cache
