package manage_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/manage"
	"github.com/djsession/djsession/pyjson"
)

// CopySessions moves every live session from one engine to another under
// the same key, with the same data and remaining lifetime: here from
// SESSION_FILE_PATH to the db engine's table. A second run copies nothing.
func ExampleCopySessions() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	settings := django.DefaultSettings("django-insecure-example-secret-key-0123")
	settings.SessionFilePath = dir
	files, _ := file.New(settings)
	for range 3 {
		session := pyjson.NewDict(1)
		session.Set("_auth_user_id", "42")
		if _, err := django.Create(ctx, files, session); err != nil {
			log.Fatal(err)
		}
	}

	sqlDB, _ := sql.Open("sqlite", filepath.Join(dir, "db.sqlite3"))
	defer sqlDB.Close()
	db.CreateTable(ctx, sqlDB, db.SQLite)
	rows, _ := db.New(sqlDB, db.SQLite, settings)

	from, err := manage.FileSessions(files)
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		report, err := manage.CopySessions(ctx, from, manage.DBSessions(rows), manage.Options{})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s -> %s: copied %d, already there %d\n", report.From, report.To, report.Copied, report.AlreadyThere)
	}
	// Output:
	// file -> db: copied 3, already there 0
	// file -> db: copied 0, already there 3
}

// During a change of SESSION_ENGINE, Go serves sessions through a
// SwitchoverStore: a session found only in the old store is copied forward
// on its first load, and the user stays logged in. Django does the same
// with python/djsession_switchover.py.
func ExampleNewSwitchoverStore() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	settings := django.DefaultSettings("django-insecure-example-secret-key-0123")
	settings.Clock = func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }
	settings.SessionFilePath = dir
	oldStore, _ := file.New(settings) // SESSION_ENGINE until now
	sqlDB, _ := sql.Open("sqlite", filepath.Join(dir, "db.sqlite3"))
	defer sqlDB.Close()
	db.CreateTable(ctx, sqlDB, db.SQLite)
	newStore, _ := db.New(sqlDB, db.SQLite, settings) // SESSION_ENGINE from now on

	session := pyjson.NewDict(1)
	session.Set("_auth_user_id", "42")
	key, _ := django.Create(ctx, oldStore, session) // a login before the switch

	store, err := manage.NewSwitchoverStore(newStore, oldStore)
	if err != nil {
		log.Fatal(err)
	}
	// django.Middleware(store) serves requests meanwhile.
	loaded, _ := store.Load(ctx, key)
	user, _ := loaded.GetString("_auth_user_id")
	copied, _ := newStore.Exists(ctx, key)
	fmt.Println("user", user, "- in the new store:", copied)
	// Output: user 42 - in the new store: true
}
