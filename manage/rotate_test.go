package manage

import (
	"context"
	"testing"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
)

func TestRotateKey(t *testing.T) {
	ctx := context.Background()
	const oldKey, newKey = "rotate-old-secret-0123456789abcdefghijklmnop", "rotate-new-secret-0123456789abcdefghijklmnop"
	sqlDB := convDB(t)
	if _, err := sqlDB.Exec(`CREATE TABLE auth_user (id integer PRIMARY KEY, password text, is_active bool, username text)`); err != nil {
		t.Fatal(err)
	}
	for i, pw := range []string{"pbkdf2_sha256$1$a$x", "pbkdf2_sha256$1$b$y", "pbkdf2_sha256$1$c$z"} {
		sqlDB.Exec(`INSERT INTO auth_user VALUES (?, ?, 1, ?)`, i+1, pw, "u")
	}
	users := auth.NewSQLUsers(sqlDB, db.SQLite, auth.UserTable{})
	oldSite := convSettings(oldKey)
	oldSite.SessionSerializer = django.JSONSerializer
	oldStore, _ := db.New(sqlDB, db.SQLite, oldSite)
	login := func(st *db.Store, id, pw, key string) string {
		k, err := django.Create(ctx, st, convDict(auth.SessionKey, id, auth.BackendSessionKey, auth.ModelBackend,
			auth.HashSessionKey, auth.SessionAuthHash(pw, key)))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	// Logged in under the old key (signature and hash), an anonymous one
	// signed with the old key, and, under the new key, one whose hash was
	// made with the old key.
	login(oldStore, "1", "pbkdf2_sha256$1$a$x", oldKey)
	login(oldStore, "2", "pbkdf2_sha256$1$b$y", oldKey)
	django.Create(ctx, oldStore, convDict("cart", "x"))
	newSite := convSettings(newKey)
	newSite.SessionSerializer = django.JSONSerializer
	newSite.SecretKeyFallbacks = []string{"unused-fallback-0123456789abcdefghijklmnop", oldKey}
	store, _ := db.New(sqlDB, db.SQLite, newSite)
	login(store, "3", "pbkdf2_sha256$1$c$z", oldKey)
	login(store, "1", "changed-password", newKey) // stale: matches no key

	dry, err := RotateKey(ctx, Target{DB: store}, users, Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Resigned != 3 || dry.Restamped != 3 || dry.StillDepending[1] != 4 || dry.StillDepending[0] != 0 || dry.ExitCode() != ExitLeft {
		t.Fatalf("dry run %+v", dry)
	}
	r, err := RotateKey(ctx, Target{DB: store}, users, Options{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Seen != 5 || r.Resigned != 3 || r.Restamped != 3 || r.StaleAuthHash != 1 || r.StillDepending[1] != 0 || r.ExitCode() != ExitOK {
		t.Fatalf("report %+v", r)
	}
	// Without the fallbacks, every session reads, and every hash verifies.
	only := newSite
	only.SecretKeyFallbacks = nil
	onlyStore, _ := db.New(sqlDB, db.SQLite, only)
	valid := 0
	for row, err := range onlyStore.Rows(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		d, err := onlyStore.Load(ctx, row.Key)
		if err != nil {
			t.Fatalf("session %s does not read under the new key alone: %v", ShortKey(row.Key), err)
		}
		id, ok := d.GetString(auth.SessionKey)
		if !ok {
			continue
		}
		_, hv, err := (&auth.Auth{Users: users}).Whois(ctx, &only, id, auth.ModelBackend, func() string { h, _ := d.GetString(auth.HashSessionKey); return h }())
		if err != nil {
			t.Fatal(err)
		}
		if hv {
			valid++
		}
	}
	if valid != 3 {
		t.Fatalf("%d valid auth hashes under the new key, want 3", valid)
	}
}
