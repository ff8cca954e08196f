package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// TestCLICopySessions copies a SQLite table to session files and back
// with --to- flags: a dry run writes nothing, a second run copies nothing,
// the destination never reads $DATABASE_URL, and no key or secret is
// printed.
func TestCLICopySessions(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "db.sqlite3")
	sqlDB := sessionTable(t, dbPath)
	site := django.DefaultSettings(vectorKey)
	site.Logger = quietLogger()
	store, _ := db.New(sqlDB, db.SQLite, site)
	var keys []string
	for i := range 3 {
		d := pyjson.NewDict(1)
		d.Set("n", int64(i))
		k, err := django.Create(ctx, store, d)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	dir := t.TempDir()
	args := []string{"copy-sessions", "--secret-key", vectorKey, "--database", "sqlite:///" + dbPath,
		"--to-engine", "file", "--to-session-file-path", dir}
	noLeak := func(out string) {
		t.Helper()
		for _, k := range keys {
			if strings.Contains(out, k) {
				t.Fatal("a whole session key was printed")
			}
		}
		if strings.Contains(out, vectorKey) {
			t.Fatal("the secret was printed")
		}
	}

	code, out, e := djs(t, "", nil, append(args, "--dry-run")...)
	noLeak(out + e)
	if code != 0 || !strings.Contains(out, "would copy (dry run) 3") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, e)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Fatal("the dry run wrote files")
	}
	// A DATABASE_URL in the environment is the source's, never the destination's.
	env := map[string]string{"DATABASE_URL": "sqlite:///" + filepath.Join(t.TempDir(), "elsewhere.sqlite3")}
	code, out, e = djs(t, "", env, append(args, "--json")...)
	noLeak(out + e)
	var rep struct {
		Seen         int64 `json:"seen"`
		Copied       int64 `json:"copied"`
		AlreadyThere int64 `json:"already_there"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Copied != 3 {
		t.Fatalf("copy: exit %d, %v\n%s%s", code, err, out, e)
	}
	for _, k := range keys {
		if _, err := os.Stat(filepath.Join(dir, "sessionid"+k)); err != nil {
			t.Fatalf("session %s.. not copied: %v", k[:8], err)
		}
	}
	code, out, _ = djs(t, "", nil, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Copied != 0 || rep.AlreadyThere != 3 {
		t.Fatalf("second run: exit %d: %s", code, out)
	}

	// And back into a fresh table, from the files.
	back := filepath.Join(t.TempDir(), "back.sqlite3")
	sessionTable(t, back)
	code, out, e = djs(t, "", nil, "copy-sessions", "--secret-key", vectorKey, "--engine", "file", "--session-file-path", dir,
		"--to-engine", "db", "--to-database", "sqlite:///"+back)
	if code != 0 || !strings.Contains(out, "copied 3") {
		t.Fatalf("files to db: exit %d\n%s%s", code, out, e)
	}

	for _, bad := range [][]string{
		{"copy-sessions", "--secret-key", vectorKey, "--database", "sqlite:///" + dbPath},                                  // no --to-engine
		{"copy-sessions", "--secret-key", vectorKey, "--database", "sqlite:///" + dbPath, "--to-engine", "signed_cookies"}, // nothing to copy to
	} {
		if code, _, e := djs(t, "", nil, bad...); code != exitUsage {
			t.Fatalf("%v: exit %d, want 2: %s", bad, code, e)
		}
	}
}
