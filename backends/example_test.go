package backends_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the program's SQL driver; the library imports none

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/db"
)

// A Go service configured from the environment the Django deployment
// already has: SECRET_KEY, SESSION_ENGINE, DATABASE_URL (dj-database-url's
// forms), CACHE_URL or REDIS_URL. In a service the lookup is os.LookupEnv.
func ExampleOpenFromEnv() {
	dir, _ := os.MkdirTemp("", "site")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "db.sqlite3")
	sqlDB, _ := sql.Open("sqlite", path) // Django's migrate makes the table; here:
	db.CreateTable(context.Background(), sqlDB, db.SQLite)
	sqlDB.Close()

	environ := map[string]string{
		"SECRET_KEY":     "the Django site's SECRET_KEY",
		"SESSION_ENGINE": "django.contrib.sessions.backends.db",
		"DATABASE_URL":   "sqlite:///" + path,
	}
	lookup := func(k string) (string, bool) { v, ok := environ[k]; return v, ok }

	store, settings, closeStore, err := backends.OpenFromEnv(lookup)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer closeStore()
	fmt.Printf("%T, cookie %s, %d-second sessions\n", store, settings.SessionCookieName, settings.SessionCookieAge)
	// Output: *db.Store, cookie sessionid, 1209600-second sessions
}
