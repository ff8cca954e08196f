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

// A Django 4.2 site on PickleSerializer: convert its stored sessions to
// JSON, in place, so that Django 5 reads them.
func ExampleConvertSerializer() {
	ctx := context.Background()
	sqlDB, _ := sql.Open("sqlite", "file:example-convert?mode=memory&cache=shared")
	defer sqlDB.Close()
	db.CreateTable(ctx, sqlDB, db.SQLite)

	site := django.DefaultSettings("django-insecure-example-key")
	site.DjangoVersion = django.Django42
	site.SessionSerializer = django.PickleSerializer
	site.AllowPickleSerializer = true // the opt-in to reading pickle
	site.Logger = slog.New(slog.DiscardHandler)
	store, _ := db.New(sqlDB, db.SQLite, site)

	s := pyjson.NewDict(1)
	s.Set("cart", []any{int64(1), int64(2)})
	django.Create(ctx, store, s) // as Django 4.2 wrote it: pickle

	report, err := manage.ConvertSerializer(ctx, manage.Target{DB: store}, manage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("converted:", report.Converted, "left:", report.Unconvertible, "exit:", report.ExitCode())
	// Output: converted: 1 left: 0 exit: 0
}

// During the transition, Go services read both serializers and write
// JSON, as Django does with python/djsession_bridge.py.
func ExampleBridge() {
	site := django.DefaultSettings("django-insecure-example-key")
	site.DjangoVersion = django.Django42
	transition := manage.Bridge(site)
	fmt.Println(transition.SessionSerializer)
	// Output: djsession_bridge.BridgeSerializer
}
