package backends_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the program's SQL driver; the library imports none

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
)

// One Go service beside several Django deployments, each with its own
// SESSION_ENGINE: Open picks the store the engine names, over the clients
// the service already has. An engine whose client is missing is refused at
// start-up, before any request.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "site")
	defer os.RemoveAll(dir)
	sqlDB, _ := sql.Open("sqlite", filepath.Join(dir, "db.sqlite3")) // DATABASES["default"]
	defer sqlDB.Close()
	db.CreateTable(context.Background(), sqlDB, db.SQLite) // Django's migrate makes it
	// A service with a cache sets Cache too (cache.NewRedis or
	// cache.NewMemcached, as CACHES[SESSION_CACHE_ALIAS] is).
	clients := backends.Clients{DB: sqlDB, Dialect: db.SQLite}

	for _, engine := range []string{
		"django.contrib.sessions.backends.db",
		"django.contrib.sessions.backends.signed_cookies",
		"django.contrib.sessions.backends.cached_db",
	} {
		settings := django.DefaultSettings("the Django site's SECRET_KEY")
		settings.SessionEngine = engine
		store, err := backends.Open(settings, clients)
		if errors.Is(err, django.ErrImproperlyConfigured) {
			fmt.Println("refused:", err)
			continue
		}
		fmt.Printf("%s: %T\n", engine, store)
	}
	// Output:
	// django.contrib.sessions.backends.db: *db.Store
	// django.contrib.sessions.backends.signed_cookies: *signedcookies.Store
	// refused: django: improperly configured: SESSION_ENGINE django.contrib.sessions.backends.cached_db needs a cache
}
