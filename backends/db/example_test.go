package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// A Go service reading and writing the sessions of a Django site that uses
// SESSION_ENGINE = "django.contrib.sessions.backends.db" on SQLite.
func Example() {
	dir, _ := os.MkdirTemp("", "djsession-example")
	defer os.RemoveAll(dir)
	sqlDB, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "db.sqlite3")+
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		panic(err)
	}
	defer sqlDB.Close()
	ctx := context.Background()

	// Django's migrate creates the table; a Go-only setup can do it too.
	if err := db.CreateTable(ctx, sqlDB, db.SQLite); err != nil {
		panic(err)
	}

	settings := django.DefaultSettings("the Django site's SECRET_KEY")
	store, err := db.New(sqlDB, db.SQLite, settings)
	if err != nil {
		panic(err)
	}

	session := pyjson.NewDict(0)
	session.Set("_auth_user_id", "42")
	key, err := django.Create(ctx, store, session) // the sessionid cookie
	if err != nil {
		panic(err)
	}

	loaded, err := store.Load(ctx, key)
	if err != nil {
		panic(err)
	}
	user, _ := loaded.GetString("_auth_user_id")
	fmt.Println("user:", user)

	_, err = store.Load(ctx, "no-such-session-key")
	fmt.Println(err)
	// Output:
	// user: 42
	// django: session not found
}
