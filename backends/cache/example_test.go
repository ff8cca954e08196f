package cache_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/django"
)

// Django's settings:
//
//	CACHES = {"default": {
//	    "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
//	    "LOCATION": "127.0.0.1:11211;127.0.0.1:11212;127.0.0.1:11213",
//	}}
//
// The Go side names the servers exactly as LOCATION does, so each session
// key is looked up on the server pymemcache put it on.
func ExampleNewPyMemcacheSelector() {
	sel, err := cache.NewPyMemcacheSelector(cache.SplitLocation("127.0.0.1:11211;127.0.0.1:11212;127.0.0.1:11213")...)
	if err != nil {
		log.Fatal(err)
	}
	key := cache.MakeKey(cache.KeyPrefix+"h304qp1um18yew0s6vdiqi6t9exqc0n3", "", 1)
	fmt.Println(key)
	fmt.Println("pymemcache:", sel.Server(key))

	lib, _ := cache.NewPyLibMCSelector("127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213")
	fmt.Println("pylibmc:   ", lib.Server(key))
	// Output:
	// :1:django.contrib.sessions.cacheh304qp1um18yew0s6vdiqi6t9exqc0n3
	// pymemcache: 127.0.0.1:11211
	// pylibmc:    127.0.0.1:11213
}

// Reading the session of a Django user from memcached in a Go handler.
func ExampleNew() {
	sel, err := cache.NewPyMemcacheSelector("127.0.0.1:11211", "127.0.0.1:11212")
	if err != nil {
		log.Fatal(err)
	}
	mc := memcache.NewFromSelector(sel)
	settings := django.DefaultSettings("the Django SECRET_KEY")
	settings.SessionEngine = django.EngineCache
	c, err := cache.NewMemcached(mc, cache.PyMemcacheCache, cache.Options{})
	if err != nil {
		log.Fatal(err)
	}
	store, err := cache.New(c, settings)
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	session, err := store.Load(ctx, "the sessionid cookie value")
	switch {
	case errors.Is(err, django.ErrNotFound):
		fmt.Println("no session: anonymous")
	case err != nil:
		log.Print(err) // a cache outage (django.ErrBackend) or an unreadable value
	default:
		uid, _ := session.GetString("_auth_user_id")
		fmt.Println("user", uid)
	}
}

// Django's RedisCache with a primary and a replica:
//
//	CACHES = {"default": {
//	    "BACKEND": "django.core.cache.backends.redis.RedisCache",
//	    "LOCATION": ["redis://primary:6379/0", "redis://replica:6379/0"],
//	}}
func ExampleNewRedis() {
	primary := redis.NewClient(&redis.Options{Addr: "primary:6379"})
	replica := redis.NewClient(&redis.Options{Addr: "replica:6379"})
	c, err := cache.NewRedis(cache.RedisCache, cache.Options{}, primary, replica)
	if err != nil {
		log.Fatal(err)
	}
	store, err := cache.New(c, django.DefaultSettings("the Django SECRET_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	_ = store
}
