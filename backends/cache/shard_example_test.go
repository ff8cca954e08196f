package cache_test

import (
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/django"
)

// Django's settings:
//
//	CACHES = {"default": {
//	    "BACKEND": "django_redis.cache.RedisCache",
//	    "LOCATION": ["redis://10.0.0.1:6379/1", "redis://10.0.0.2:6379/1", "redis://10.0.0.3:6379/1"],
//	    "OPTIONS": {"CLIENT_CLASS": "django_redis.client.ShardClient"},
//	}}
//
// The Go side names the servers exactly as LOCATION does (the ring hashes
// the strings), one client each, so every session is read and written on
// the server django-redis put it on.
func ExampleNewShardClient() {
	locations := []string{"redis://10.0.0.1:6379/1", "redis://10.0.0.2:6379/1", "redis://10.0.0.3:6379/1"}
	var clients []redis.UniversalClient
	for _, loc := range locations {
		o, err := redis.ParseURL(loc)
		if err != nil {
			log.Fatal(err)
		}
		clients = append(clients, redis.NewClient(o))
	}
	c, err := cache.NewShardClient(cache.Options{}, locations, clients)
	if err != nil {
		log.Fatal(err)
	}
	settings := django.DefaultSettings("the Django SECRET_KEY")
	settings.SessionEngine = django.EngineCache
	store, err := cache.New(c, settings)
	if err != nil {
		log.Fatal(err)
	}
	key := c.Key(store.CacheKey("h304qp1um18yew0s6vdiqi6t9exqc0n3"))
	// django-redis' HashRing(LOCATION).get_node(key) says the same.
	fmt.Println(key, "is on", cache.NewHashRing(locations...).ServerName(key))
	// Output:
	// :1:django.contrib.sessions.cacheh304qp1um18yew0s6vdiqi6t9exqc0n3 is on redis://10.0.0.2:6379/1
}

// ShardClient's hash tag is the text between the last "{" that a "}"
// follows and the last "}": a KEY_PREFIX that is a tag keeps a tenant's
// sessions on one server. (Redis Cluster takes the first tag instead.)
func ExampleShardKey() {
	fmt.Println(cache.ShardKey("{tenant42}:1:django.contrib.sessions.cacheabc"))
	fmt.Println(cache.ShardKey("a{b}c{d}e"))
	fmt.Println(cache.ShardKey(":1:no-tag"))
	// Output:
	// tenant42
	// d
	// :1:no-tag
}
