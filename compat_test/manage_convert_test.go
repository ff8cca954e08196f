package compat_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/manage"
)

// convertSecret is the SECRET_KEY of the convert and rotate tests' site.
const convertSecret = "convert-django-secret-key-0123456789abcdef"

// convertPeer starts fixtures/convertpeer.py under Django v with cfg.
func convertPeer(t *testing.T, v string, cfg map[string]any) *peer {
	t.Helper()
	django(t, v) // installs Django, fails under CI when it cannot
	b, _ := json.Marshal(cfg)
	p, err := launchPeer(v, "convertpeer.py", "CONVERTPEER_CONFIG="+string(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	// Wait for its migrate: two peers migrating one database at once
	// collide.
	if r := p.ok(t, map[string]any{"op": "ping"}); !strings.HasPrefix(r["version"].(string), v+".") {
		t.Fatalf("convert peer runs Django %v, want %s", r["version"], v)
	}
	return p
}

// convertSite is one place Django keeps sessions in, with the peer
// configuration and the Go target that reach it.
type convertSite struct {
	name string
	cfg  map[string]any // the peer's store settings
	// target returns the Go side's Target under settings s.
	target  func(t *testing.T, s djsession.Settings) manage.Target
	users   *sql.DB // where auth_user is
	dialect db.Dialect
}

// convertSites are SQLite, PostgreSQL (a schema of its own) and files.
func convertSites(t *testing.T) []convertSite {
	t.Helper()
	dir := t.TempDir()
	sqlitePath := filepath.Join(dir, "site.sqlite3")
	sdb := openSQLite(t, sqlitePath)
	sqliteSite := convertSite{name: "sqlite", cfg: map[string]any{"store": "sqlite", "sqlite_path": sqlitePath},
		users: sdb, dialect: db.SQLite,
		target: func(t *testing.T, s djsession.Settings) manage.Target {
			st, err := db.New(sdb, db.SQLite, s)
			if err != nil {
				t.Fatal(err)
			}
			return manage.Target{DB: st}
		}}

	pgUser, admin := livePGUser(t)
	t.Cleanup(func() { admin.Close() })
	schema := randomName("djsconv")
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	pg, err := sql.Open("postgres", fmt.Sprintf("host=127.0.0.1 port=5432 user=%s dbname=test sslmode=disable binary_parameters=yes connect_timeout=5 search_path=%s", pgUser, schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	pgSite := convertSite{name: "postgres", cfg: map[string]any{"store": "postgres", "pg_user": pgUser, "pg_schema": schema},
		users: pg, dialect: db.Postgres,
		target: func(t *testing.T, s djsession.Settings) manage.Target {
			st, err := db.New(pg, db.Postgres, s)
			if err != nil {
				t.Fatal(err)
			}
			return manage.Target{DB: st}
		}}

	filePath := filepath.Join(dir, "sessions")
	os.Mkdir(filePath, 0o700)
	fileDBPath := filepath.Join(dir, "files-site.sqlite3")
	fileSite := convertSite{name: "file", cfg: map[string]any{"store": "file", "file_path": filePath, "sqlite_path": fileDBPath},
		users: openSQLite(t, fileDBPath), dialect: db.SQLite,
		target: func(t *testing.T, s djsession.Settings) manage.Target {
			s.SessionEngine, s.SessionFilePath = djsession.EngineFile, filePath
			st, err := file.New(s)
			if err != nil {
				t.Fatal(err)
			}
			return manage.Target{File: st}
		}}
	return []convertSite{sqliteSite, pgSite, fileSite}
}

// peerCfg is site's peer configuration with more settings.
func peerCfg(site convertSite, kv ...any) map[string]any {
	m := map[string]any{}
	for k, v := range site.cfg {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// TestConvertSerializerLive: Django 4.2 on PickleSerializer writes
// sessions (three plain, one holding a datetime, a set, a tuple) to
// SQLite, PostgreSQL and files; manage.ConvertSerializer (what
// `djsession convert-serializer` runs) rewrites them while Django 4.2
// saves one of them between the command's read and its write; then
// Django 5.2 on JSONSerializer loads every converted session to the same
// Python value, the three others are untouched (Django 4.2 still reads
// them as they were) and counted by type, and the session Django saved
// mid-run holds Django's data.
func TestConvertSerializerLive(t *testing.T) {
	requireLive(t)
	t.Parallel() // mostly waiting for Django peers to start
	// The sites run in parallel, each with its own database, schema or
	// directory and its own peers; each is bounded by its own deadline.
	for _, site := range convertSites(t) {
		t.Run(site.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
			defer cancel()
			dj42 := convertPeer(t, "4.2", peerCfg(site, "serializer", "pickle", "secret_key", convertSecret))
			canon := map[string]string{}
			var plain, odd []string
			for _, kind := range []string{"plain", "plain", "plain", "datetime", "set", "tuple"} {
				r := dj42.ok(t, map[string]any{"op": "create", "kind": kind})
				k := r["key"].(string)
				canon[k] = r["canon"].(string)
				if kind == "plain" {
					plain = append(plain, k)
				} else {
					odd = append(odd, k)
				}
			}
			mid := plain[0]

			st := djsession.DefaultSettings(convertSecret)
			st.DjangoVersion = djsession.Django42
			st.SessionSerializer = djsession.PickleSerializer
			st.AllowPickleSerializer = true
			st.Logger = quietLog()
			target := site.target(t, st)
			midRuns := 0
			target.BeforeWrite = func(ctx context.Context, key string) {
				if key == mid {
					// Django 4.2 saves the session after the command read it
					// and before its conditional write.
					midRuns++
					dj42.ok(t, map[string]any{"op": "modify", "key": mid, "name": "saved_by", "value": "django mid-run"})
				}
			}
			r, err := manage.ConvertSerializer(ctx, target, manage.Options{BatchSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d read, %d converted, %d unconvertible %v, %d changed meanwhile, %.3fs",
				site.name, r.Seen, r.Converted, r.Unconvertible, r.ByType, r.ChangedMeanwhile, r.Seconds)
			if midRuns != 1 || r.Seen != 6 || r.Converted != 2 || r.Unconvertible != 3 || r.ChangedMeanwhile != 1 || r.ExitCode() != manage.ExitLeft ||
				r.ByType["datetime.datetime"] != 1 || r.ByType["set"] != 1 || r.ByType["tuple"] != 1 {
				t.Fatalf("report %+v", r)
			}

			dj52 := convertPeer(t, "5.2", peerCfg(site, "serializer", "json", "secret_key", convertSecret))
			for _, k := range plain[1:] {
				got := dj52.ok(t, map[string]any{"op": "load", "key": k})
				if got["canon"] != canon[k] {
					t.Errorf("Django 5.2 loads converted session %s as %v, want %v", manage.ShortKey(k), got["canon"], canon[k])
				}
			}
			for _, k := range odd {
				if got := dj52.ok(t, map[string]any{"op": "load", "key": k}); got["empty"] != true {
					t.Errorf("unconvertible session %s was converted", manage.ShortKey(k))
				}
				if got := dj42.ok(t, map[string]any{"op": "load", "key": k}); got["canon"] != canon[k] {
					t.Errorf("unconvertible session %s changed: %v", manage.ShortKey(k), got["canon"])
				}
			}
			got := dj42.ok(t, map[string]any{"op": "load", "key": mid})
			var c []any
			json.Unmarshal([]byte(got["canon"].(string)), &c)
			if s := fmt.Sprint(c); !strings.Contains(s, "django mid-run") {
				t.Errorf("the session Django saved mid-run lost Django's data: %s", s)
			}
			if got := dj52.ok(t, map[string]any{"op": "load", "key": mid}); got["empty"] != true {
				t.Errorf("the session Django saved mid-run was overwritten with JSON")
			}
		})
	}
}

// quietLog drops the codec's warnings.
func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestBridgeSerializerLive: Django 4.2 with python/djsession_bridge.py
// reads pickle and JSON sessions and writes JSON (which Django 5.2 on
// JSONSerializer reads), and pickle only for a session JSON cannot carry;
// on 3.2, 5.2 and 6.1 the bridge reads both and writes JSON too;
// Go with manage.Bridge reads both and Django 4.2 on the bridge reads Go's
// writes.
func TestBridgeSerializerLive(t *testing.T) {
	requireLive(t)
	t.Parallel() // mostly waiting for Django peers to start
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	site := convertSites(t)[0] // SQLite
	pickle42 := convertPeer(t, "4.2", peerCfg(site, "serializer", "pickle", "secret_key", convertSecret))
	bridge42 := convertPeer(t, "4.2", peerCfg(site, "serializer", "bridge", "secret_key", convertSecret))
	json52 := convertPeer(t, "5.2", peerCfg(site, "serializer", "json", "secret_key", convertSecret))

	fromPickle := pickle42.ok(t, map[string]any{"op": "create", "kind": "plain"})
	oddPickle := pickle42.ok(t, map[string]any{"op": "create", "kind": "set"})
	fromJSON := json52.ok(t, map[string]any{"op": "create", "kind": "plain"})
	for _, r := range []map[string]any{fromPickle, oddPickle, fromJSON} {
		if got := bridge42.ok(t, map[string]any{"op": "load", "key": r["key"]}); got["canon"] != r["canon"] {
			t.Errorf("the bridge reads %v, want %v", got["canon"], r["canon"])
		}
	}
	written := bridge42.ok(t, map[string]any{"op": "create", "kind": "plain"})
	if got := json52.ok(t, map[string]any{"op": "load", "key": written["key"]}); got["canon"] != written["canon"] {
		t.Errorf("Django 5.2 reads the bridge's write as %v", got["canon"])
	}
	writtenOdd := bridge42.ok(t, map[string]any{"op": "create", "kind": "tuple"})
	if got := pickle42.ok(t, map[string]any{"op": "load", "key": writtenOdd["key"]}); got["canon"] != writtenOdd["canon"] {
		t.Errorf("the bridge's write of a tuple is not PickleSerializer's: %v", got["canon"])
	}

	// The module's docstring says Django 3.2 to 6.1: every other version of
	// the matrix on the bridge reads 4.2's pickle and 5.2's JSON, and writes
	// what 5.2 on JSONSerializer reads.
	for _, v := range []string{"3.2", "5.2", "6.1"} {
		other := convertPeer(t, v, peerCfg(site, "serializer", "bridge", "secret_key", convertSecret))
		for _, r := range []map[string]any{fromPickle, oddPickle, fromJSON} {
			if got := other.ok(t, map[string]any{"op": "load", "key": r["key"]}); got["canon"] != r["canon"] {
				t.Errorf("the bridge on Django %s reads %v, want %v", v, got["canon"], r["canon"])
			}
		}
		w := other.ok(t, map[string]any{"op": "create", "kind": "plain"})
		if got := json52.ok(t, map[string]any{"op": "load", "key": w["key"]}); got["canon"] != w["canon"] {
			t.Errorf("Django 5.2 reads the write of the bridge on Django %s as %v", v, got["canon"])
		}
	}

	st := djsession.DefaultSettings(convertSecret)
	st.DjangoVersion = djsession.Django42
	st.Logger = quietLog()
	goBridge, err := db.New(site.users, db.SQLite, manage.Bridge(st))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []map[string]any{fromPickle, oddPickle, fromJSON, written, writtenOdd} {
		k := r["key"].(string)
		d, err := goBridge.Load(ctx, k)
		if err != nil || d.Len() == 0 {
			t.Fatalf("Go on the bridge loads %s: %v", manage.ShortKey(k), err)
		}
		// Go writes it back: JSON when JSON carries it, else pickle.
		if err := goBridge.Save(ctx, k, d, false); err != nil {
			t.Fatal(err)
		}
		if got := bridge42.ok(t, map[string]any{"op": "load", "key": k}); got["canon"] != r["canon"] {
			t.Errorf("Django on the bridge reads Go's write of %s as %v, want %v", manage.ShortKey(k), got["canon"], r["canon"])
		}
	}
	if got := json52.ok(t, map[string]any{"op": "load", "key": fromPickle["key"]}); got["canon"] != fromPickle["canon"] {
		t.Errorf("Go on the bridge did not write JSON: Django 5.2 reads %v", got["canon"])
	}
}
