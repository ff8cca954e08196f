package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// TestCLIConvertAndRotate: convert-serializer turns a 4.2 pickle table into
// JSON (a set left, exit 1), then rotate-key re-signs it with a new key;
// neither prints a session key or a secret.
func TestCLIConvertAndRotate(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "db.sqlite3")
	sqlDB, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := db.CreateTable(ctx, sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	site := django.DefaultSettings(vectorKey)
	site.DjangoVersion, site.SessionSerializer, site.AllowPickleSerializer = django.Django42, django.PickleSerializer, true
	site.Logger = quietLogger()
	store, _ := db.New(sqlDB, db.SQLite, site)
	var keys []string
	for _, v := range []any{"a", int64(2), pickle.Set{"x"}} {
		d := pyjson.NewDict(1)
		d.Set("v", v)
		k, err := django.Create(ctx, store, d)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	base := []string{"--database", "sqlite:///" + dbPath}
	noLeak := func(out string) {
		t.Helper()
		for _, k := range keys {
			if strings.Contains(out, k) {
				t.Fatal("a whole session key was printed")
			}
		}
		if strings.Contains(out, vectorKey) || strings.Contains(out, "new-key-for-the-cli-test") {
			t.Fatal("a secret was printed")
		}
	}
	code, out, e := djs(t, "", nil, append([]string{"convert-serializer", "--json", "--secret-key", vectorKey,
		"--django-version", "4.2", "--session-serializer", "pickle", "--allow-pickle"}, base...)...)
	noLeak(out + e)
	if code != 1 {
		t.Fatalf("convert: exit %d, %s %s", code, out, e)
	}
	var r struct {
		Converted     int64            `json:"converted"`
		Unconvertible int64            `json:"unconvertible"`
		ByType        map[string]int64 `json:"unconvertible_by_type"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Converted != 2 || r.Unconvertible != 1 || r.ByType["set"] != 1 {
		t.Fatalf("convert report %s (%v)", out, err)
	}
	if code, _, e := djs(t, "", nil, append([]string{"convert-serializer", "--secret-key", vectorKey, "--engine", "signed_cookies",
		"--session-serializer", "pickle", "--allow-pickle", "--django-version", "4.2"}, base...)...); code != 2 || !strings.Contains(e, "bridge") {
		t.Fatalf("signed_cookies: exit %d %s", code, e)
	}

	code, out, e = djs(t, "", nil, append([]string{"rotate-key", "--secret-key", "new-key-for-the-cli-test", "--fallback-key", vectorKey,
		"--django-version", "4.2", "--session-serializer", "pickle", "--allow-pickle"}, base...)...)
	noLeak(out + e)
	if code != 0 || !strings.Contains(out, "re-signed with the current key: 3") || !strings.Contains(out, "SECRET_KEY_FALLBACKS[0]: no live session depends on it") {
		t.Fatalf("rotate: exit %d\n%s%s", code, out, e)
	}
}
