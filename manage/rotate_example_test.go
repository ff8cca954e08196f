package manage_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/manage"
	"github.com/djsession/djsession/pyjson"
)

// After SECRET_KEY changed (the old one in SECRET_KEY_FALLBACKS), re-sign
// the stored sessions with the new key and learn when the fallback can go.
func ExampleRotateKey() {
	ctx := context.Background()
	sqlDB, _ := sql.Open("sqlite", "file:example-rotate?mode=memory&cache=shared")
	defer sqlDB.Close()
	db.CreateTable(ctx, sqlDB, db.SQLite)

	old := django.DefaultSettings("django-insecure-old-key")
	old.Logger = slog.New(slog.DiscardHandler)
	oldStore, _ := db.New(sqlDB, db.SQLite, old)
	s := pyjson.NewDict(1)
	s.Set("cart", "3 items")
	django.Create(ctx, oldStore, s) // signed with the old key

	site := old
	site.SecretKey = "django-insecure-new-key"
	site.SecretKeyFallbacks = []string{"django-insecure-old-key"}
	store, _ := db.New(sqlDB, db.SQLite, site)
	// nil users: auth hashes are not checked (give auth.NewSQLUsers to
	// re-stamp them too).
	report, err := manage.RotateKey(ctx, manage.Target{DB: store}, nil, manage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("re-signed:", report.Resigned, "still on fallback 0:", report.StillDepending[0])
	// Output: re-signed: 1 still on fallback 0: 0
}
