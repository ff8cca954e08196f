package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/db"
)

// sessionTable makes the SQLite database path with an empty
// django_session table, and returns it open (closed when the test ends).
func sessionTable(t *testing.T, path string) *sql.DB {
	t.Helper()
	sqlDB, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	return sqlDB
}

// TestCLICheckExplain: check and explain on a SQLite table the command
// itself filled: exit 0 with the site's key, 1 naming SECRET_KEY with
// another, 2 for usage; --json is one object; no output shows a whole key
// or the secret.
func TestCLICheckExplain(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "db.sqlite3")
	dbURL := "sqlite:///" + dbPath
	sessionTable(t, dbPath)
	const site = "cli-check-site-secret-0123456789abcdefghijk"
	const key = "abcdefgh0123456789abcdefgh012345"
	if code, _, stderr := djs(t, `{"cart":[1]}`, nil, "set", key, "--secret-key", site, "--database", dbURL, "--now", "1700000000"); code != 0 {
		t.Fatalf("set: %d %s", code, stderr)
	}
	noLeak := func(what, out string) {
		t.Helper()
		if strings.Contains(out, key) || strings.Contains(out, site) {
			t.Fatalf("%s shows the key or the secret:\n%s", what, out)
		}
	}
	now := []string{"--now", "1700000100", "--database", dbURL}

	code, out, stderr := djs(t, "", nil, append([]string{"check", "--secret-key", site}, now...)...)
	noLeak("check", out+stderr)
	if code != 0 || !strings.Contains(out, "1 verify under SECRET_KEY") || !strings.HasSuffix(out, "agrees with the configuration\n") {
		t.Fatalf("check: %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = djs(t, "", nil, append([]string{"check", "--secret-key", "another-secret-0123456789abcdefghijklmn", "--all"}, now...)...)
	noLeak("check, another key", out+stderr)
	if code != 1 || !strings.Contains(out, "! none of the 1 sessions is signed") || !strings.Contains(out, "[setting: SECRET_KEY") {
		t.Fatalf("check, another key: %d\n%s%s", code, out, stderr)
	}
	code, out, _ = djs(t, "", nil, append([]string{"check", "--json", "--secret-key", site, "--fallback-key", "old"}, now...)...)
	var report struct {
		Sessions  int  `json:"sessions"`
		Disagrees bool `json:"disagrees"`
		Keys      struct {
			Current   int   `json:"current"`
			Fallbacks []int `json:"fallbacks"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 0 || report.Sessions != 1 || report.Keys.Current != 1 || len(report.Keys.Fallbacks) != 1 {
		t.Fatalf("check --json: %d %v\n%s", code, err, out)
	}

	code, out, stderr = djs(t, "", nil, append([]string{"explain", key, "--secret-key", site}, now...)...)
	noLeak("explain", out+stderr)
	if code != 0 || !strings.Contains(out, "explain abcdefgh…: a session key") || !strings.Contains(out, "signed with SECRET_KEY") ||
		!strings.Contains(out, "expires at 2023-11-28T22:13:20Z") {
		t.Fatalf("explain: %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = djs(t, "", nil, append([]string{"explain", "--json", "nosuchkeynosuchkeynosuchkey00000", "--secret-key", site}, now...)...)
	noLeak("explain --json", out+stderr)
	if code != 1 || !strings.Contains(out, `"disagrees":true`) || !strings.Contains(out, `"value":"nosuchke"`) {
		t.Fatalf("explain a missing key: %d\n%s%s", code, out, stderr)
	}
	// A signed_cookies cookie, explained without any store.
	code, cookie, _ := djs(t, `{"a":1}`, nil, "encode", "--engine", "signed_cookies", "--secret-key", site, "--now", "1700000000")
	if code != 0 {
		t.Fatal("encode")
	}
	code, out, stderr = djs(t, "", nil, "explain", "--engine", "signed_cookies", "--secret-key", site, "--now", "1700000100", strings.TrimSpace(cookie))
	if code != 0 || !strings.Contains(out, "a signed_cookies session cookie") {
		t.Fatalf("explain a cookie: %d\n%s%s", code, out, stderr)
	}

	for _, args := range [][]string{
		{"check", "--secret-key", site, "--engine", "signed_cookies"},
		{"check", "--secret-key", site, "--sample", "0"},
		{"check", "extra", "--secret-key", site},
		{"explain", "--secret-key", site},
		{"check"},
	} {
		if code, _, stderr := djs(t, "", nil, append(args, "--database", dbURL)...); code != 2 || !strings.HasPrefix(stderr, "usage") && !strings.HasPrefix(stderr, "configuration") {
			t.Fatalf("%v: %d %s", args, code, stderr)
		}
	}
}
