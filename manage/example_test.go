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
	"github.com/djsession/djsession/signing"
)

// A report shows a session key by its first 8 characters, never whole:
// the key is a bearer credential.
func ExampleShortKey() {
	fmt.Println(manage.ShortKey("k3b5xq9z0m2v7c4n8p1r6t0w5y2a9d3f"))
	// Output: k3b5xq9z
}

// Check reads what a store holds and says, one finding a line, how it
// agrees with the settings: here a table whose sessions Django signed with
// the key that is now the first fallback, and one of them with the new key.
func ExampleCheck() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	sqlDB, _ := sql.Open("sqlite", filepath.Join(dir, "db.sqlite3"))
	defer sqlDB.Close()
	db.CreateTable(ctx, sqlDB, db.SQLite)

	frozen := func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }
	old := django.DefaultSettings("the-old-secret-key-0123456789abcdefghij")
	old.Clock = frozen
	oldStore, _ := db.New(sqlDB, db.SQLite, old)
	for range 2 {
		django.Create(ctx, oldStore, pyjson.NewDict(0))
	}
	settings := django.DefaultSettings("the-new-secret-key-0123456789abcdefghij")
	settings.SecretKeyFallbacks = []string{old.SecretKey}
	settings.Clock = frozen
	store, _ := db.New(sqlDB, db.SQLite, settings)
	django.Create(ctx, store, pyjson.NewDict(0))

	report, err := manage.Check(ctx, manage.Sources{Settings: settings, DB: store}, manage.CheckOptions{All: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range report.Findings {
		fmt.Println(f.Text)
	}
	fmt.Println("exit", report.ExitCode())
	// Output:
	// read 3 sessions of the db store; 0 expired
	// 1 verify under SECRET_KEY
	// 2 verify only under SECRET_KEY_FALLBACKS[0]: keep it until they are saved again (djsession rotate-key re-signs them)
	// 3 written by the json serializer
	// expire_date agrees with the data of 3 of 3 rows (USE_TZ, TIME_ZONE)
	// exit 0
}

// Explain says everything about one session key (or a whole cookie value):
// where it is stored, which key signed it, when it expires, and who is
// logged in. A whole key is never printed: reports show its first 8
// characters (Value).
func ExampleExplain() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	settings := django.DefaultSettings("the-django-secret-key-0123456789abcdefghij")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath = dir
	settings.Clock = func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }
	store, _ := file.New(settings)
	session := pyjson.NewDict(1)
	session.Set("cart", []any{"CAFE-1"})
	key, _ := django.Create(ctx, store, session)

	report, err := manage.Explain(ctx, manage.Sources{Settings: settings, File: store}, key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(report.Kind, len(report.Value))
	for _, f := range report.Findings[1:] { // the first names the directory
		fmt.Println(f.Text)
	}
	// Output:
	// session key 8
	// signed with SECRET_KEY (sha256, Django 3.1+ format) at 2026-12-03T12:00:00Z, 0s ago
	// serializer: json
	// expires at 2026-12-17T12:00:00Z, in 14d0h
	// anonymous: no _auth_user_id
}

// A Verifier says which configured key signed a value, by its setting and
// index, never the key itself.
func ExampleVerifier() {
	settings := django.DefaultSettings("the-new-secret-key-0123456789abcdefghij")
	settings.SecretKeyFallbacks = []string{"an-older-key-0123456789abcdefghij", "the-old-secret-key-0123456789abcdefghij"}
	token, _ := signing.Dumps(map[string]any{"a": 1}, signing.Options{Key: "the-old-secret-key-0123456789abcdefghij"}, false)

	v, err := manage.NewVerifier(&settings, manage.SaltSigning)
	if err != nil {
		log.Fatal(err)
	}
	sig, _ := v.Verify(token, manage.SaltSigning)
	fmt.Println(sig.Verified, sig.Key, sig.Fallback, sig.Serializer)
	// Output: true SECRET_KEY_FALLBACKS[1] 1 json
}
