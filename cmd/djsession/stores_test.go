package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/db"
)

func TestCLIStoresSQLiteAndFile(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "db.sqlite3")
	sqlDB, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	engines := map[string][]string{
		"db":   {"--database", "sqlite:///" + dbPath},
		"file": {"--engine", "file", "--session-file-path", dir},
	}
	for name, flags := range engines {
		t.Run(name, func(t *testing.T) {
			base := append([]string{"--secret-key", vectorKey}, flags...)
			cmd := func(stdin string, args ...string) (int, string, string) {
				return djs(t, stdin, nil, append(append([]string{}, args...), base...)...)
			}
			key := "abcdefgh0123456789abcdefgh012345"
			if code, _, e := cmd("", "get", key); code != 1 {
				t.Fatalf("get of a missing key: exit %d %s", code, e)
			}
			if code, _, e := cmd(`{"b":1,"a":"é","f":1.0}`, "set", key, "--expiry", "300"); code != 0 {
				t.Fatalf("set: exit %d %s", code, e)
			}
			code, out, e := cmd("", "get", key)
			if code != 0 || out != `{"b":1,"a":"\u00e9","f":1.0,"_session_expiry":300}`+"\n" {
				t.Fatalf("get: exit %d %q %s", code, out, e)
			}
			// set replaces, it does not merge.
			if code, _, e := cmd(`{"only":true}`, "set", key); code != 0 {
				t.Fatalf("set again: %d %s", code, e)
			}
			if _, out, _ := cmd("", "get", key); out != `{"only":true}`+"\n" {
				t.Errorf("after replace: %q", out)
			}
			if code, _, _ := djs(t, "", nil, append(append([]string{"get", key}, base...), "--secret-key", "another key")...); code != 3 {
				t.Errorf("get with the wrong key: exit %d, want 3", code)
			}
			if code, _, _ := cmd("", "delete", key); code != 0 {
				t.Errorf("delete: %d", code)
			}
			if code, _, _ := cmd("", "delete", key); code != 0 {
				t.Errorf("delete of a missing key: %d", code)
			}
			if code, _, _ := cmd("", "clearsessions"); code != 0 {
				t.Errorf("clearsessions: %d", code)
			}
			if code, _, _ := cmd("{}", "set", "short"); code != 2 {
				t.Errorf("short key: exit %d, want 2", code)
			}
		})
	}
	if code, _, _ := djs(t, "{}", nil, "set", "ABCDEFGHIJK", "--engine", "file", "--session-file-path", dir, "--secret-key", "k"); code != 2 {
		t.Errorf("file engine, upper-case key: exit %d, want 2", code)
	}
	if code, _, _ := djs(t, "", nil, "get", "abcdefghijk", "--engine", "signed_cookies", "--secret-key", "k"); code != 2 {
		t.Errorf("get on signed_cookies: exit %d, want 2", code)
	}
	code, _, e := djs(t, "", nil, "get", "abcdefghijk", "--database", "postgres://nobody@127.0.0.1:1/none", "--secret-key", "k")
	if code != 5 || strings.Count(e, "\n") != 1 {
		t.Errorf("unreachable database: exit %d %q, want 5 and one line", code, e)
	}
}
