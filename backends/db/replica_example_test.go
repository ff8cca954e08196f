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

// Loads from a read replica, with the primary as the fallback for a
// session the replica has not replayed yet (here: a second SQLite file
// that replays nothing), as a Django site whose DATABASE_ROUTERS send
// the Session model's reads to a replica. Writes go to the primary.
func ExampleWithReplicas() {
	dir, _ := os.MkdirTemp("", "djsession-replica-example")
	defer os.RemoveAll(dir)
	open := func(name string) *sql.DB {
		sqlDB, err := sql.Open("sqlite", "file:"+filepath.Join(dir, name)+"?_pragma=busy_timeout(5000)")
		if err != nil {
			panic(err)
		}
		if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
			panic(err)
		}
		return sqlDB
	}
	primary, replica := open("primary.sqlite3"), open("replica.sqlite3")
	defer primary.Close()
	defer replica.Close()
	ctx := context.Background()

	store, err := db.New(primary, db.SQLite, django.DefaultSettings("the Django site's SECRET_KEY"),
		db.WithReplicas(replica))
	if err != nil {
		panic(err)
	}
	session := pyjson.NewDict(0)
	session.Set("_auth_user_id", "42")
	key, err := django.Create(ctx, store, session) // written to the primary
	if err != nil {
		panic(err)
	}
	// The replica has no row yet: the load falls back to the primary, so a
	// login is never lost to replication lag.
	loaded, err := store.Load(ctx, key)
	if err != nil {
		panic(err)
	}
	user, _ := loaded.GetString("_auth_user_id")
	fmt.Println("user:", user)
	// Output:
	// user: 42
}
