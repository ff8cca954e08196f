package compat_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/db"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/pydatetime"
	"github.com/djsession/djsession/pyjson"
)

// TestDBMatrix runs Django's db session backend (fixtures/dbpeer.py, one
// long-lived process per Django version and USE_TZ setting) and
// backends/db against the same tables on PostgreSQL, MariaDB and SQLite:
// Django 3.2, 4.2, 5.2, 6.1 × three vendors × USE_TZ on/off
// (TIME_ZONE=America/Chicago), every cell the same scenarios. A server
// that is down skips (fails under CI=true).

const dbSecret = "django-insecure-interop-vector-secret-key-0123456789" // dbpeer.py's SECRET_KEY

var dbVendors = []db.Dialect{db.Postgres, db.MySQL, db.SQLite}

func dbServerDown(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing server is a failure)", msg)
	}
	t.Skipf("%s: start it (PostgreSQL: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; "+
		"MariaDB: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd)", msg)
}

// livePGUser finds the PostgreSQL role that exists: postgres, else root.
func livePGUser(t *testing.T) (string, *sql.DB) {
	t.Helper()
	var lastErr error
	for _, u := range []string{"postgres", "root"} {
		pool, err := sql.Open("postgres", fmt.Sprintf("host=127.0.0.1 port=5432 user=%s dbname=test sslmode=disable binary_parameters=yes connect_timeout=5", u))
		if err != nil {
			t.Fatal(err)
		}
		if lastErr = pool.Ping(); lastErr == nil {
			return u, pool
		}
		pool.Close()
	}
	dbServerDown(t, "PostgreSQL on 127.0.0.1:5432 is not reachable: %v", lastErr)
	return "", nil
}

func liveMySQL(t *testing.T) *sql.DB {
	t.Helper()
	pool, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/test?interpolateParams=true&timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Ping(); err != nil {
		dbServerDown(t, "MariaDB on 127.0.0.1:3306 is not reachable: %v", err)
	}
	return pool
}

// startDBPeer starts fixtures/dbpeer.py for Django v with USE_TZ useTZ.
func startDBPeer(t *testing.T, v string, useTZ bool, table, sqlitePath, pgUser string) *peer {
	t.Helper()
	tz := "0"
	if useTZ {
		tz = "1"
	}
	want, ok := matrixDrivers[v]
	if !ok {
		t.Fatalf("compat_test/MATRIX.md names no drivers for Django %s", v)
	}
	p, err := launchPeer(v, "dbpeer.py", "DBPEER_TABLE="+table, "DBPEER_USE_TZ="+tz, "DBPEER_TIME_ZONE=America/Chicago",
		"DBPEER_SQLITE="+sqlitePath, "DBPEER_PG_USER="+pgUser, "DBPEER_MYSQL_DRIVER="+want["mysql"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	r, err := p.call(map[string]any{"op": "version"})
	if err != nil {
		t.Fatalf("Django %s db peer: %v", v, err)
	}
	if got, _ := r["version"].(string); !strings.HasPrefix(got, v+".") {
		t.Fatalf("db peer runs Django %q, want %s.x (%v)", got, v, r)
	}
	drivers, _ := r["drivers"].(map[string]any)
	for db, name := range want {
		d, _ := drivers[db].(map[string]any)
		if d["name"] != name {
			t.Fatalf("Django %s talks to %s through %v; compat_test/MATRIX.md names %s", v, db, d["name"], name)
		}
	}
	t.Logf("Django %v on Python %v, drivers %v", r["version"], r["python_version"], drivers)
	return p
}

// matrixDrivers are the database drivers compat_test/MATRIX.md names for
// each Django version (the db peer loads the MySQL one it is given and
// reports what Django's backends loaded; fixtures/install-django.sh
// installs them).
var matrixDrivers = map[string]map[string]string{
	"3.2": {"postgres": "psycopg2", "mysql": "mysqlclient"},
	"4.2": {"postgres": "psycopg2", "mysql": "mysqlclient"},
	"5.2": {"postgres": "psycopg2", "mysql": "mysqlclient"},
	"6.1": {"postgres": "psycopg", "mysql": "PyMySQL"},
}

type liveClock struct {
	mu     sync.Mutex
	frozen time.Time
}

func (c *liveClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen.IsZero() {
		return time.Now()
	}
	return c.frozen
}

func (c *liveClock) Freeze(t time.Time) { c.mu.Lock(); c.frozen = t; c.mu.Unlock() }
func (c *liveClock) Thaw()              { c.Freeze(time.Time{}) }

// dbCell is one cell: a Django version, USE_TZ, a vendor.
type dbCell struct {
	v        string
	version  djsession.Version
	useTZ    bool
	vendor   db.Dialect
	p        *peer
	pool     *sql.DB
	table    string
	clock    *liveClock
	settings djsession.Settings
	store    *db.Store
	zone     *time.Location
}

func (c *dbCell) req(op string, kv ...any) map[string]any {
	m := map[string]any{"op": op, "db": c.vendor.String()}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// django sends a request that must succeed.
func (c *dbCell) django(t *testing.T, op string, kv ...any) map[string]any {
	t.Helper()
	r := c.p.mustCall(t, c.req(op, kv...))
	if r["ok"] != true {
		t.Fatalf("Django %s %s %s: %s: %s\n%v", c.v, c.vendor, op, r["exception"], r["message"], r["traceback"])
	}
	return r
}

// djangoLoad is SessionStore(key).load(): the dict and whether Django kept the key.
func (c *dbCell) djangoLoad(t *testing.T, key string, kv ...any) (*pyjson.Dict, bool) {
	t.Helper()
	r := c.django(t, "load", append([]any{"key", key}, kv...)...)
	d, err := pyjson.UnmarshalDict([]byte(r["session_json"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	return d, r["key_kept"] == true
}

func (c *dbCell) djangoCreate(t *testing.T, s *pyjson.Dict, kv ...any) string {
	t.Helper()
	b, err := pyjson.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	r := c.django(t, "save", append([]any{"mode", "create", "session_json", string(b)}, kv...)...)
	return r["key"].(string)
}

func (c *dbCell) djangoExists(t *testing.T, key string) bool {
	t.Helper()
	return c.django(t, "exists", "key", key)["exists"] == true
}

func (c *dbCell) goCreate(t *testing.T, s *pyjson.Dict) string {
	t.Helper()
	key, err := djsession.Create(context.Background(), c.store, s)
	if err != nil {
		t.Fatalf("Go create: %v", err)
	}
	return key
}

func (c *dbCell) goExists(t *testing.T, key string) bool {
	t.Helper()
	ok, err := c.store.Exists(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// djangoTime reads an isoformat() datetime from Django: aware, or naive in TIME_ZONE.
func (c *dbCell) djangoTime(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := pydatetime.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d.Time(c.zone)
}

func mkDict(kv ...any) *pyjson.Dict {
	d := pyjson.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1])
	}
	return d
}

func sameDict(t *testing.T, what string, got, want *pyjson.Dict) {
	t.Helper()
	if !got.Equal(want) {
		gb, _ := pyjson.Marshal(got)
		wb, _ := pyjson.Marshal(want)
		t.Fatalf("%s: got %s, want %s", what, gb, wb)
	}
}

var dbSample = func() *pyjson.Dict {
	d, err := pyjson.UnmarshalDict([]byte(`{"_auth_user_id":"42","b":1,"a":2.0,"s":"Zo\u00eb \ud83d\ude00","l":[1,"x",null,true],"d":{"z":1,"y":[]}}`))
	if err != nil {
		panic(err)
	}
	return d
}

func TestDBMatrix(t *testing.T) {
	requireLive(t)
	installDjango(t)
	pgUser, pg := livePGUser(t)
	t.Cleanup(func() { pg.Close() })
	my := liveMySQL(t)
	t.Cleanup(func() { my.Close() })
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	t.Cleanup(func() { t.Logf("matrix took %v", time.Since(start).Round(time.Millisecond)) })
	for _, v := range versions {
		for _, useTZ := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/USE_TZ=%v", v, useTZ), func(t *testing.T) {
				t.Parallel()
				version, err := djsession.ParseVersion(v)
				if err != nil {
					t.Fatal(err)
				}
				table := fmt.Sprintf("djs_live_%d_%s_%v", os.Getpid(), strings.ReplaceAll(v, ".", ""), useTZ)
				sqlitePath := filepath.Join(t.TempDir(), "sessions.sqlite3")
				lite, err := sql.Open("sqlite", "file:"+sqlitePath+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { lite.Close() })
				if err := lite.Ping(); err != nil {
					t.Fatal(err)
				}
				p := startDBPeer(t, v, useTZ, table, sqlitePath, pgUser)
				pools := map[db.Dialect]*sql.DB{db.Postgres: pg, db.MySQL: my, db.SQLite: lite}
				for _, vendor := range dbVendors {
					t.Run(vendor.String(), func(t *testing.T) {
						c := &dbCell{v: v, version: version, useTZ: useTZ, vendor: vendor, p: p, pool: pools[vendor], table: table, clock: &liveClock{}}
						c.zone = time.UTC
						c.settings = djsession.DefaultSettings(dbSecret)
						c.settings.DjangoVersion = version
						c.settings.UseTZ = useTZ
						if !useTZ {
							c.settings.TimeZone = "America/Chicago"
							c.zone = chicago
						}
						c.settings.Clock = c.clock.Now
						c.settings.Logger = slog.New(slog.DiscardHandler)
						if c.store, err = db.New(c.pool, vendor, c.settings, db.WithTable(table)); err != nil {
							t.Fatal(err)
						}
						p.call(c.req("drop_table")) // a leftover of an interrupted run, if any (fails otherwise)
						c.django(t, "create_table")
						t.Cleanup(func() {
							if r, err := p.call(c.req("drop_table")); err != nil || r["ok"] != true {
								t.Logf("drop_table: %v %v", r, err)
							}
						})
						for _, sc := range dbScenarios {
							t.Run(sc.name, func(t *testing.T) {
								c.clock.Thaw()
								sc.run(t, c)
							})
						}
					})
				}
			})
		}
	}
}

type dbScenario struct {
	name string
	run  func(t *testing.T, c *dbCell)
}

var dbScenarios = []dbScenario{
	{"ddl", scDDL},
	{"django_writes_go_reads", scDjangoWritesGoReads},
	{"go_writes_django_reads", scGoWritesDjangoReads},
	{"go_modifies_django_sees", scGoModifies},
	{"django_modifies_go_sees", scDjangoModifies},
	{"same_row_bytes", scSameRowBytes},
	{"expired_invisible_to_both", scExpired},
	{"clear_expired_by_django", func(t *testing.T, c *dbCell) { scClearExpired(t, c, true) }},
	{"clear_expired_by_go", func(t *testing.T, c *dbCell) { scClearExpired(t, c, false) }},
	{"expiry_boundary", scBoundary},
	{"deleted_by_django_go_save_errupdate", scDeletedByDjango},
	{"deleted_by_go_django_save_updateerror", scDeletedByGo},
	{"datetime_set_expiry", scDatetimeExpiry},
}

// scDDL: Dialect.Schema is the SQL Django's schema editor generates.
func scDDL(t *testing.T, c *dbCell) {
	r := c.django(t, "ddl")
	var got []string
	for _, s := range r["sql"].([]any) {
		got = append(got, s.(string))
	}
	var want []string
	for _, s := range c.vendor.Schema(c.table) {
		want = append(want, s+";")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Django DDL:\n%s\nGo Schema:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func scDjangoWritesGoReads(t *testing.T, c *dbCell) {
	key := c.djangoCreate(t, dbSample())
	got, exp, err := c.store.LoadWithExpiry(context.Background(), key)
	if err != nil {
		t.Fatalf("Go Load of Django's session: %v", err)
	}
	sameDict(t, "Go reads Django's session", got, dbSample())
	row := c.django(t, "row", "key", key)
	if want := c.djangoTime(t, row["expire_date_iso"].(string)); !exp.Equal(want) {
		t.Errorf("Go reads expire_date %v, Django %v", exp, want)
	}
	if d := time.Until(exp) - 14*24*time.Hour; d > time.Minute || d < -time.Minute {
		t.Errorf("expire_date %v is not about 14 days away", exp)
	}
}

func scGoWritesDjangoReads(t *testing.T, c *dbCell) {
	now := time.Now().Truncate(time.Microsecond)
	c.clock.Freeze(now)
	key := c.goCreate(t, dbSample())
	c.clock.Thaw()
	got, kept := c.djangoLoad(t, key)
	sameDict(t, "Django reads Go's session", got, dbSample())
	if !kept {
		t.Error("Django dropped the key of a valid session")
	}
	row := c.django(t, "row", "key", key)
	want := now.Add(14 * 24 * time.Hour)
	if got := c.djangoTime(t, row["expire_date_iso"].(string)); !got.Equal(want) {
		t.Errorf("Django reads Go's expire_date as %v (%s), want %v", got, row["expire_date_iso"], want)
	}
	if c.vendor != db.Postgres {
		if txt, want := row["expire_date_text"].(string), pydatetime.Str(want.In(c.zone)); !textMatches(c.vendor, txt, want) {
			t.Errorf("stored expire_date text %q, want %q", txt, want)
		}
	}
}

// textMatches compares the stored text: SQLite exactly, MySQL after its
// CAST prints all six fraction digits.
func textMatches(vendor db.Dialect, got, want string) bool {
	if vendor == db.MySQL && !strings.Contains(want, ".") {
		want += ".000000"
	}
	if vendor == db.MySQL && len(want) < len("2006-01-02 15:04:05.000000") {
		want += strings.Repeat("0", len("2006-01-02 15:04:05.000000")-len(want))
	}
	return got == want
}

func scGoModifies(t *testing.T, c *dbCell) {
	key := c.djangoCreate(t, mkDict("n", int64(1), "keep", "x"))
	ctx := context.Background()
	s, err := c.store.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("n", int64(2))
	s.Set("go", true)
	if err := c.store.Save(ctx, key, s, false); err != nil {
		t.Fatalf("Go update: %v", err)
	}
	got, kept := c.djangoLoad(t, key)
	sameDict(t, "Django sees Go's change", got, mkDict("n", int64(2), "keep", "x", "go", true))
	if !kept {
		t.Error("key dropped")
	}
}

func scDjangoModifies(t *testing.T, c *dbCell) {
	key := c.goCreate(t, mkDict("n", int64(1)))
	r := c.django(t, "save", "mode", "modify", "key", key, "session_json", `{"n": 3, "django": "yes"}`)
	if r["key"] != key {
		t.Fatalf("Django's modify changed the key: %v", r["key"])
	}
	got, err := c.store.Load(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	sameDict(t, "Go sees Django's change", got, mkDict("n", int64(3), "django", "yes"))
}

// scSameRowBytes: at the same frozen moment, Django and Go write
// byte-identical session_data and expire_date (the text on MySQL and
// SQLite), with a microsecond and without one.
func scSameRowBytes(t *testing.T, c *dbCell) {
	for _, now := range []time.Time{
		time.Now().Add(time.Hour).Truncate(time.Microsecond),
		time.Now().Add(time.Hour).Truncate(time.Second),
	} {
		s := mkDict("x", int64(1), "y", "z")
		c.clock.Freeze(now)
		if err := c.settings.SetExpiry(s, 3600, now); err != nil {
			t.Fatal(err)
		}
		goKey := c.goCreate(t, s)
		c.clock.Thaw()
		djKey := c.djangoCreate(t, mkDict("x", int64(1), "y", "z"), "expiry_seconds", 3600, "now_us", now.UnixMicro())
		goRow := c.django(t, "row", "key", goKey)
		djRow := c.django(t, "row", "key", djKey)
		if goRow["session_data"] != djRow["session_data"] {
			t.Errorf("session_data differs: Go %q, Django %q", goRow["session_data"], djRow["session_data"])
		}
		if goRow["expire_date_text"] != djRow["expire_date_text"] || goRow["expire_date_iso"] != djRow["expire_date_iso"] {
			t.Errorf("expire_date differs: Go %q / %q, Django %q / %q", goRow["expire_date_text"], goRow["expire_date_iso"],
				djRow["expire_date_text"], djRow["expire_date_iso"])
		}
		if c.vendor == db.SQLite {
			if want := pydatetime.Str(now.Add(time.Hour).In(c.zone)); djRow["expire_date_text"] != want {
				t.Errorf("Django's SQLite text %q, spec says %q", djRow["expire_date_text"], want)
			}
		}
	}
}

func scExpired(t *testing.T, c *dbCell) {
	ctx := context.Background()
	past := time.Now().Add(-2 * time.Minute)
	c.clock.Freeze(past)
	s := mkDict("old", true)
	c.settings.SetExpiry(s, 60, past)
	goKey := c.goCreate(t, s)
	c.clock.Thaw()
	djKey := c.djangoCreate(t, mkDict("old", true), "expiry_seconds", 60, "now_us", past.UnixMicro())
	for who, key := range map[string]string{"Go": goKey, "Django": djKey} {
		if _, err := c.store.Load(ctx, key); !errors.Is(err, djsession.ErrNotFound) {
			t.Errorf("Go loads the expired session written by %s: %v", who, err)
		}
		got, kept := c.djangoLoad(t, key)
		if got.Len() != 0 || kept {
			t.Errorf("Django loads the expired session written by %s: %v, key kept %v", who, got, kept)
		}
		// exists() ignores expiry on both sides.
		if !c.goExists(t, key) || !c.djangoExists(t, key) {
			t.Errorf("expired row written by %s: exists must still be true on both sides", who)
		}
	}
}

func scClearExpired(t *testing.T, c *dbCell, byDjango bool) {
	now := time.Now()
	var expired, valid []string
	for i, age := range []int{-3600, -1, 3600, 7200} {
		s := mkDict("i", int64(i))
		// Written 2 minutes ago with a positive age of 60 s → expired;
		// negative ages are expressed the same way.
		at := now
		exp := age
		if age < 0 {
			at, exp = now.Add(time.Duration(age)*time.Second-time.Minute), 60
		}
		c.clock.Freeze(at)
		c.settings.SetExpiry(s, exp, at)
		gk := c.goCreate(t, s)
		c.clock.Thaw()
		dk := c.djangoCreate(t, mkDict("i", int64(i)), "expiry_seconds", exp, "now_us", at.UnixMicro())
		if age < 0 {
			expired = append(expired, gk, dk)
		} else {
			valid = append(valid, gk, dk)
		}
	}
	if byDjango {
		c.django(t, "clear_expired")
	} else if err := c.store.ClearExpired(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, k := range expired {
		if c.goExists(t, k) || c.djangoExists(t, k) {
			t.Errorf("expired session %s survived clear_expired", k[:6])
		}
	}
	for _, k := range valid {
		if !c.goExists(t, k) || !c.djangoExists(t, k) {
			t.Errorf("valid session %s was removed by clear_expired", k[:6])
		}
	}
}

// scBoundary: a row whose expire_date equals now is invisible to load on
// both sides and survives clear_expired on both sides.
func scBoundary(t *testing.T, c *dbCell) {
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	exp := at.Add(time.Minute)
	c.clock.Freeze(at)
	s := mkDict("b", true)
	c.settings.SetExpiry(s, 60, at)
	goKey := c.goCreate(t, s)
	djKey := c.djangoCreate(t, mkDict("b", true), "expiry_seconds", 60, "now_us", at.UnixMicro())
	for who, key := range map[string]string{"Go": goKey, "Django": djKey} {
		c.clock.Freeze(exp.Add(-time.Microsecond))
		if _, err := c.store.Load(ctx, key); err != nil {
			t.Errorf("%s's row 1µs before expiry: Go Load %v", who, err)
		}
		if _, kept := c.djangoLoad(t, key, "now_us", exp.Add(-time.Microsecond).UnixMicro()); !kept {
			t.Errorf("%s's row 1µs before expiry: Django does not find it", who)
		}
		c.clock.Freeze(exp)
		if _, err := c.store.Load(ctx, key); !errors.Is(err, djsession.ErrNotFound) {
			t.Errorf("%s's row at expiry: Go Load %v, want ErrNotFound", who, err)
		}
		if _, kept := c.djangoLoad(t, key, "now_us", exp.UnixMicro()); kept {
			t.Errorf("%s's row at expiry: Django still finds it", who)
		}
	}
	c.django(t, "clear_expired", "now_us", exp.UnixMicro())
	if err := c.store.ClearExpired(ctx); err != nil { // clock frozen at exp
		t.Fatal(err)
	}
	for who, key := range map[string]string{"Go": goKey, "Django": djKey} {
		if !c.goExists(t, key) {
			t.Errorf("%s's row at exactly now did not survive clear_expired", who)
		}
	}
	c.clock.Freeze(exp.Add(time.Microsecond))
	if err := c.store.ClearExpired(ctx); err != nil {
		t.Fatal(err)
	}
	for who, key := range map[string]string{"Go": goKey, "Django": djKey} {
		if c.djangoExists(t, key) {
			t.Errorf("%s's row 1µs past expiry survived Go's clear_expired", who)
		}
	}
}

func scDeletedByDjango(t *testing.T, c *dbCell) {
	ctx := context.Background()
	key := c.djangoCreate(t, mkDict("u", "1"))
	s, err := c.store.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	c.django(t, "delete", "key", key) // a logout elsewhere
	s.Set("later", true)
	if err := c.store.Save(ctx, key, s, false); !errors.Is(err, djsession.ErrUpdate) {
		t.Fatalf("Go save of a session Django deleted = %v, want ErrUpdate", err)
	}
	if c.goExists(t, key) || c.djangoExists(t, key) {
		t.Fatal("the deleted session came back")
	}
}

func scDeletedByGo(t *testing.T, c *dbCell) {
	key := c.goCreate(t, mkDict("u", "1"))
	if err := c.store.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	r := c.p.mustCall(t, c.req("save", "mode", "update", "key", key, "session_json", `{"u": "1", "later": true}`))
	if r["ok"] != false || r["exception"] != "UpdateError" {
		t.Fatalf("Django save of a session Go deleted = %v, want UpdateError", r)
	}
	if c.djangoExists(t, key) {
		t.Fatal("the deleted session came back")
	}
}

// scDatetimeExpiry: set_expiry(datetime). Django 3.2 cannot save it with
// JSON (TypeError), and neither can Go for 3.2 (ErrNotSerializable); 4.2+
// store the ISO string and expire_date is that moment, on both sides.
func scDatetimeExpiry(t *testing.T, c *dbCell) {
	ctx := context.Background()
	when := time.Now().Add(3 * time.Hour).Truncate(time.Microsecond)
	// datetime.isoformat(): six fraction digits unless the microsecond is 0.
	layout := "2006-01-02T15:04:05.000000"
	if when.Nanosecond() == 0 {
		layout = "2006-01-02T15:04:05"
	}
	var iso string
	if c.useTZ {
		iso = when.UTC().Format(layout + "-07:00")
	} else {
		iso = when.In(c.zone).Format(layout)
	}
	r := c.p.mustCall(t, c.req("save", "mode", "create", "session_json", `{"dt": 1}`, "expiry_iso", iso))
	s := mkDict("dt", int64(1))
	goErr := c.settings.SetExpiry(s, when, time.Now())
	if !c.version.AtLeast(4, 2) {
		if r["ok"] != false || r["exception"] != "TypeError" {
			t.Errorf("Django 3.2 set_expiry(datetime) + save = %v, want TypeError", r)
		}
		if !errors.Is(goErr, djsession.ErrNotSerializable) {
			t.Errorf("Go SetExpiry(time) for 3.2 = %v, want ErrNotSerializable", goErr)
		}
		return
	}
	if r["ok"] != true {
		t.Fatalf("Django save with a datetime expiry: %v", r)
	}
	if goErr != nil {
		t.Fatal(goErr)
	}
	djKey := r["key"].(string)
	goKey := c.goCreate(t, s)
	for who, key := range map[string]string{"Django": djKey, "Go": goKey} {
		got, exp, err := c.store.LoadWithExpiry(ctx, key)
		if err != nil {
			t.Fatalf("%s's session: %v", who, err)
		}
		if !exp.Equal(when) {
			t.Errorf("%s's session: expire_date %v, want %v", who, exp, when)
		}
		if v, _ := got.GetString(djsession.ExpiryKey); v != iso {
			t.Errorf("%s's session: _session_expiry %q, want %q", who, v, iso)
		}
		dj, kept := c.djangoLoad(t, key)
		if !kept || !dj.Equal(got) {
			t.Errorf("%s's session: Django reads %v (kept %v), Go %v", who, dj, kept, got)
		}
		row := c.django(t, "row", "key", key)
		if d := c.djangoTime(t, row["expire_date_iso"].(string)); !d.Equal(when) {
			t.Errorf("%s's session: Django reads expire_date %v, want %v", who, d, when)
		}
	}
}
