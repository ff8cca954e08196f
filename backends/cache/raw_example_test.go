package cache_test

import (
	"context"
	"fmt"
	"log"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
)

// Listing the sessions a Django site keeps in Redis: a *cache.Redis is its
// own Lister. Entries streams them in batches (SCAN), with their TTLs; a
// key is shown by its first 8 characters only.
func ExampleLister_redis() {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 0})
	defer client.Close()
	r, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: "mysite"}, client)
	if err != nil {
		log.Fatal(err)
	}
	var l cache.Lister = r
	for e, err := range l.Entries(ctx, cache.Scan{SessionPrefix: cache.KeyPrefix, Batch: 1000}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%.8s… %d bytes, expires in %s\n", e.Key, len(e.Value), e.TTL)
	}
	// Where else Django may keep sessions: every KEY_PREFIX and VERSION.
	for e, err := range l.Entries(ctx, cache.Scan{AnyKeyPrefix: true, KeysOnly: true}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s session under KEY_PREFIX %q VERSION %d\n", e.SessionPrefix, e.KeyPrefix, e.Version)
	}
}

// Memcached has no command to list keys through its clients: the lister
// talks to the servers the Selector names (lru_crawler metadump), the same
// Selector the client places keys with.
func ExampleNewMemcachedLister() {
	ctx := context.Background()
	sel, err := cache.PyMemcacheCache.Selector("127.0.0.1:11211")
	if err != nil {
		log.Fatal(err)
	}
	m, err := cache.NewMemcached(memcache.NewFromSelector(sel), cache.PyMemcacheCache, cache.Options{})
	if err != nil {
		log.Fatal(err)
	}
	l, err := cache.NewMemcachedLister(m, sel)
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for _, err := range l.Entries(ctx, cache.Scan{KeysOnly: true}) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	fmt.Println(n, "sessions")
}
