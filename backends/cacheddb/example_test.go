package cacheddb_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	_ "github.com/lib/pq" // the program's SQL driver; the library imports none
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/cacheddb"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
)

// A Go service beside a Django site whose settings are:
//
//	SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
//	DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db", "NAME": "app", ...}}
//	CACHES = {"default": {
//	    "BACKEND": "django.core.cache.backends.redis.RedisCache",
//	    "LOCATION": "redis://cache:6379/1",
//	    "KEY_PREFIX": "shop",
//	}}
//
// The store is the db store's rows with the cache in front, and the user
// is read through auth (the session auth hash checked), as in Django.
// It needs the two servers, so it is compiled, not run.
func ExampleNew() {
	settings := django.DefaultSettings(os.Getenv("DJANGO_SECRET_KEY"))
	settings.SessionEngine = django.EngineCachedDB
	sqlDB, err := sql.Open("postgres", "postgres://app@db/app?binary_parameters=yes")
	if err != nil {
		log.Fatal(err)
	}
	rows, err := db.New(sqlDB, db.Postgres, settings)
	if err != nil {
		log.Fatal(err)
	}
	// KEY_PREFIX, VERSION and the Redis db (the /1 of LOCATION) must be
	// Django's own. With any of them different every cache read misses as
	// if evicted: Go reads the rows and caches them under its own keys
	// while Django keeps serving its stale copies, so a change made in Go
	// is not seen by Django and a logout in Go leaves the user logged in
	// to Django.
	rc := redis.NewClient(&redis.Options{Addr: "cache:6379", DB: 1})
	c, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: "shop"}, rc)
	if err != nil {
		log.Fatal(err)
	}
	store, err := cacheddb.New(rows, c)
	if err != nil {
		log.Fatal(err)
	}
	// No request can tell such a cache from evicted entries; Check can,
	// from the sessions Django saved last. Call it at start-up.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := store.Check(ctx); err != nil {
		log.Fatal(err) // wraps django.ErrImproperlyConfigured and names the setting
	}

	users := &auth.Auth{Users: auth.NewSQLUsers(sqlDB, db.Postgres, auth.UserTable{})}
	http.Handle("/go/", django.Middleware(store)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := users.UserFromRequest(r)
		if err != nil || user == nil {
			http.Redirect(w, r, "/accounts/login/", http.StatusFound)
			return
		}
		fmt.Fprintf(w, "hello %s", user.Username)
	})))
	log.Fatal(http.ListenAndServe(":8080", nil))
}
