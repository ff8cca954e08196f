package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/pydatetime"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

const testSecret = "django-insecure-db-backend-test-secret-0123456789"

// t0 is the tests' clock: a moment with a non-zero microsecond.
var t0 = time.Date(2026, 11, 27, 15, 4, 58, 81970123, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// env is one cell of the matrix: a vendor, USE_TZ on or off (TIME_ZONE
// America/Chicago), a fresh table and a store on it with a frozen clock.
type env struct {
	d        Dialect
	useTZ    bool
	db       *sql.DB
	table    string
	clock    *clock
	settings django.Settings
	store    *Store
	zone     *time.Location
}

func testSettings(useTZ bool, c *clock) django.Settings {
	s := django.DefaultSettings(testSecret)
	s.UseTZ = useTZ
	if !useTZ {
		s.TimeZone = "America/Chicago"
	}
	s.Clock = c.Now
	s.Logger = slog.New(slog.DiscardHandler)
	return s
}

func newEnv(t testing.TB, d Dialect, useTZ bool) *env {
	t.Helper()
	db := openDB(t, d, "", "")
	return newEnvOn(t, d, useTZ, db)
}

func newEnvOn(t testing.TB, d Dialect, useTZ bool, db *sql.DB) *env {
	t.Helper()
	e := &env{d: d, useTZ: useTZ, db: db, clock: &clock{t: t0}}
	e.table = newTable(t, db, d)
	e.settings = testSettings(useTZ, e.clock)
	var err error
	if e.store, err = New(db, d, e.settings, WithTable(e.table)); err != nil {
		t.Fatal(err)
	}
	e.zone = time.UTC
	if !useTZ {
		e.zone, _ = time.LoadLocation("America/Chicago")
	}
	return e
}

// cells runs f for every vendor × USE_TZ, in parallel.
func cells(t *testing.T, f func(t *testing.T, e *env)) {
	for _, d := range dialects {
		for _, tz := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/USE_TZ=%v", d, tz), func(t *testing.T) {
				t.Parallel()
				f(t, newEnv(t, d, tz))
			})
		}
	}
}

func dict(kv ...any) *pyjson.Dict {
	d := pyjson.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1])
	}
	return d
}

var ctx = context.Background()

func (e *env) create(t testing.TB, s *pyjson.Dict) string {
	t.Helper()
	key, err := django.Create(ctx, e.store, s)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return key
}

// rawExpireText reads expire_date as the text the database holds.
func (e *env) rawExpireText(t testing.TB, key string) string {
	t.Helper()
	var q string
	switch e.d {
	case Postgres:
		q = "SELECT expire_date::text FROM %s WHERE session_key = $1"
	case MySQL:
		q = "SELECT CAST(expire_date AS CHAR) FROM %s WHERE session_key = ?"
	case SQLite:
		q = "SELECT CAST(expire_date AS TEXT) || '|' || typeof(expire_date) FROM %s WHERE session_key = ?"
	}
	var s string
	if err := e.db.QueryRow(fmt.Sprintf(q, e.d.QuoteName(e.table)), key).Scan(&s); err != nil {
		t.Fatalf("raw expire_date: %v", err)
	}
	return s
}

func (e *env) count(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow("SELECT COUNT(*) FROM " + e.d.QuoteName(e.table)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRoundTrip(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		in := dict("_auth_user_id", "42", "n", int64(1), "f", 1.0, "s", "é😀", "l", []any{int64(1), "x", nil}, "d", dict("b", int64(1), "a", int64(2)))
		key := e.create(t, in)
		got, err := e.store.Load(ctx, key)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if !got.Equal(in) {
			t.Fatalf("Load = %v, want %v", got, in)
		}
		ok, err := e.store.Exists(ctx, key)
		if err != nil || !ok {
			t.Fatalf("Exists = %v, %v", ok, err)
		}
		_, exp, err := e.store.LoadWithExpiry(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		want := t0.Truncate(time.Microsecond).Add(14 * 24 * time.Hour)
		if !exp.Equal(want) || exp.Location().String() != e.zone.String() && e.d != Postgres {
			t.Errorf("LoadWithExpiry expiry = %v, want %v in %v", exp, want, e.zone)
		}
		// Update keeps the key, rewrites both columns.
		in.Set("n", int64(2))
		e.clock.Set(t0.Add(time.Hour))
		if err := e.store.Save(ctx, key, in, false); err != nil {
			t.Fatalf("Save update: %v", err)
		}
		got, err = e.store.Load(ctx, key)
		if err != nil || !got.Equal(in) {
			t.Fatalf("after update Load = %v, %v", got, err)
		}
		_, exp, _ = e.store.LoadWithExpiry(ctx, key)
		if want := want.Add(time.Hour); !exp.Equal(want) {
			t.Errorf("expiry after update = %v, want %v (slides forward)", exp, want)
		}
		if err := e.store.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
			t.Fatalf("Load after Delete: %v", err)
		}
	})
}

func TestNotFound(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		for _, key := range []string{"abcdefgh12345678abcdefgh12345678", "short", "", strings.Repeat("a", 41), "bad\xffutf8key", "nul\x00nul\x00nul"} {
			got, err := e.store.Load(ctx, key)
			if !errors.Is(err, django.ErrNotFound) || got == nil || got.Len() != 0 {
				t.Errorf("Load(%q) = %v, %v; want empty, ErrNotFound", key, got, err)
			}
			if ok, err := e.store.Exists(ctx, key); ok || err != nil {
				t.Errorf("Exists(%q) = %v, %v", key, ok, err)
			}
			if err := e.store.Delete(ctx, key); err != nil {
				t.Errorf("Delete(%q) = %v", key, err)
			}
		}
	})
}

// TestExpiryBoundary: expire_date == now is expired for Load (Django's >)
// and survives ClearExpired (Django's <).
func TestExpiryBoundary(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		s := dict("a", int64(1))
		if err := e.settings.SetExpiry(s, 10, t0); err != nil {
			t.Fatal(err)
		}
		key := e.create(t, s)
		exp := t0.Truncate(time.Microsecond).Add(10 * time.Second)

		e.clock.Set(exp.Add(-time.Microsecond))
		if _, err := e.store.Load(ctx, key); err != nil {
			t.Fatalf("1µs before expiry: %v", err)
		}
		e.clock.Set(exp)
		if _, err := e.store.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
			t.Fatalf("at expiry: Load = %v, want ErrNotFound", err)
		}
		if ok, _ := e.store.Exists(ctx, key); !ok {
			t.Fatal("Exists ignores expire_date, as Django: want true")
		}
		if err := e.store.ClearExpired(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := e.store.Exists(ctx, key); !ok {
			t.Fatal("a row at exactly now must survive ClearExpired")
		}
		e.clock.Set(exp.Add(time.Microsecond))
		if err := e.store.ClearExpired(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := e.store.Exists(ctx, key); ok {
			t.Fatal("an expired row survived ClearExpired")
		}
	})
}

func TestErrCreate(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		key := e.create(t, dict("a", int64(1)))
		err := e.store.Save(ctx, key, dict("a", int64(2)), true)
		if !errors.Is(err, django.ErrCreate) || errors.Is(err, django.ErrBackend) {
			t.Fatalf("duplicate create = %v, want ErrCreate", err)
		}
		got, _ := e.store.Load(ctx, key)
		if v, _ := got.GetInt64("a"); v != 1 {
			t.Fatalf("the failed create changed the row: %v", got)
		}
	})
}

func TestErrUpdateNoResurrection(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		key := e.create(t, dict("a", int64(1)))
		if err := e.store.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Delete(ctx, key); err != nil {
			t.Fatalf("Delete of a missing row: %v", err)
		}
		err := e.store.Save(ctx, key, dict("a", int64(2)), false)
		if !errors.Is(err, django.ErrUpdate) {
			t.Fatalf("Save after Delete = %v, want ErrUpdate", err)
		}
		if ok, _ := e.store.Exists(ctx, key); ok {
			t.Fatal("Save brought a deleted session back")
		}
		if err := e.store.Save(ctx, strings.Repeat("k", 41), dict(), false); !errors.Is(err, django.ErrUpdate) {
			t.Fatalf("update of a 41-character key = %v, want ErrUpdate", err)
		}
		if err := e.store.Save(ctx, strings.Repeat("k", 41), dict(), true); !errors.Is(err, django.ErrBackend) {
			t.Fatalf("create of a 41-character key = %v, want ErrBackend", err)
		}
	})
}

// TestIdenticalUpdate: saving the same values twice in the same
// microsecond is not ErrUpdate, even on MySQL without clientFoundRows.
func TestIdenticalUpdate(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		s := dict("a", int64(1))
		key := e.create(t, s)
		for range 2 {
			if err := e.store.Save(ctx, key, s, false); err != nil {
				t.Fatalf("identical update: %v", err)
			}
		}
	})
}

func TestClearExpired(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		ages := []int{5, 10, 20, 3600}
		keys := map[int]string{}
		for _, age := range ages {
			s := dict("age", int64(age))
			e.settings.SetExpiry(s, age, t0)
			keys[age] = e.create(t, s)
		}
		e.clock.Set(t0.Truncate(time.Microsecond).Add(10 * time.Second))
		if err := e.store.ClearExpired(ctx); err != nil {
			t.Fatal(err)
		}
		for _, age := range ages {
			ok, err := e.store.Exists(ctx, keys[age])
			if err != nil {
				t.Fatal(err)
			}
			if want := age >= 10; ok != want {
				t.Errorf("age %d: exists = %v, want %v", age, ok, want)
			}
		}
		if n := e.count(t); n != 3 {
			t.Errorf("%d rows left, want 3", n)
		}
	})
}

// TestStoredFormat checks expire_date as the database holds it.
func TestStoredFormat(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		for _, now := range []time.Time{t0, t0.Truncate(time.Second), time.Date(2026, 7, 1, 3, 0, 0, 500000000, time.UTC)} {
			e.clock.Set(now)
			s := dict("x", int64(1))
			e.settings.SetExpiry(s, 60, now)
			key := e.create(t, s)
			exp := now.Truncate(time.Microsecond).Add(time.Minute).In(e.zone)
			got := e.rawExpireText(t, key)
			switch e.d {
			case SQLite:
				if want := pydatetime.Str(exp) + "|text"; got != want {
					t.Errorf("SQLite expire_date = %q, want %q", got, want)
				}
			case MySQL:
				if want := exp.Format("2006-01-02 15:04:05.000000"); got != want {
					t.Errorf("MySQL expire_date = %q, want %q", got, want)
				}
			case Postgres:
				// The stored instant, and the instant Django's literal gives.
				var same bool
				if err := e.db.QueryRow(fmt.Sprintf("SELECT expire_date = $1::timestamptz FROM %s WHERE session_key = $2", e.d.QuoteName(e.table)),
					exp.Format("2006-01-02T15:04:05.999999Z07:00"), key).Scan(&same); err != nil || !same {
					t.Errorf("PostgreSQL expire_date %s, want the instant %v (%v)", got, exp, err)
				}
				if !e.useTZ {
					same = false
					conn, err := e.db.Conn(ctx)
					if err != nil {
						t.Fatal(err)
					}
					conn.ExecContext(ctx, "SET TIME ZONE 'America/Chicago'")
					err = conn.QueryRowContext(ctx, fmt.Sprintf("SELECT expire_date = $1::timestamp FROM %s WHERE session_key = $2", e.d.QuoteName(e.table)),
						exp.Format("2006-01-02T15:04:05.999999"), key).Scan(&same)
					conn.ExecContext(ctx, "RESET TIME ZONE")
					conn.Close()
					if err != nil || !same {
						t.Errorf("USE_TZ=False: Django's naive literal %s does not give the stored instant (%v)", exp.Format("2006-01-02T15:04:05.999999"), err)
					}
				}
			}
		}
	})
}

// TestReadDjangoRows: rows in the forms Django writes load with the right
// expiry, including SQLite without a fraction and PostgreSQL's naive
// literal under the TIME_ZONE session setting.
func TestReadDjangoRows(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		data, err := e.store.Codec().Encode(dict("from", "django"))
		if err != nil {
			t.Fatal(err)
		}
		for i, exp := range []time.Time{t0.Add(time.Hour).Truncate(time.Microsecond), t0.Add(time.Hour).Truncate(time.Second)} {
			key := fmt.Sprintf("djangowrote%d%s", i, strings.Repeat("x", 20))
			wall := pydatetime.Str(exp.In(e.zone))
			var q string
			var args []any
			switch e.d {
			case Postgres:
				if e.useTZ {
					q, args = "INSERT INTO %s VALUES ($1, $2, $3::timestamptz)", []any{key, data, exp.Format("2006-01-02T15:04:05.999999-07:00")}
				} else {
					q, args = "INSERT INTO %s VALUES ($1, $2, $3::timestamp)", []any{key, data, strings.Replace(wall, " ", "T", 1)}
				}
			default:
				q, args = "INSERT INTO %s VALUES (?, ?, ?)", []any{key, data, wall}
			}
			conn, err := e.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if e.d == Postgres && !e.useTZ {
				conn.ExecContext(ctx, "SET TIME ZONE 'America/Chicago'")
			}
			_, err = conn.ExecContext(ctx, fmt.Sprintf(q, e.d.QuoteName(e.table)), args...)
			if e.d == Postgres {
				conn.ExecContext(ctx, "RESET TIME ZONE")
			}
			conn.Close()
			if err != nil {
				t.Fatal(err)
			}
			got, gotExp, err := e.store.LoadWithExpiry(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := got.GetString("from"); v != "django" || !gotExp.Equal(exp) {
				t.Errorf("row %q: got %v expiring %v, want expiry %v", wall, got, gotExp, exp)
			}
			e.clock.Set(exp)
			if _, err := e.store.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
				t.Errorf("row %q at its expiry: %v", wall, err)
			}
			e.clock.Set(t0)
		}
	})
}

func TestGarbageData(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		key := e.create(t, dict("a", int64(1)))
		q := fmt.Sprintf("UPDATE %s SET %s = %s", e.d.QuoteName(e.table), e.d.QuoteName("session_data"), e.d.Placeholder(1))
		for _, garbage := range []string{"garbage", "e30:1tRbYd:bad-signature", ""} {
			if _, err := e.db.Exec(q, garbage); err != nil {
				t.Fatal(err)
			}
			got, err := e.store.Load(ctx, key)
			if err == nil || got == nil || got.Len() != 0 {
				t.Fatalf("garbage %q: Load = %v, %v; want empty and an error", garbage, got, err)
			}
			if errors.Is(err, django.ErrNotFound) || errors.Is(err, django.ErrBackend) {
				t.Fatalf("garbage %q: %v must be neither not-found nor a backend error", garbage, err)
			}
			if !errors.Is(err, django.ErrSessionCorrupted) && !errors.Is(err, signing.ErrMalformed) {
				t.Fatalf("garbage %q: %v", garbage, err)
			}
		}
	})
}

// TestContextCancel: a cancelled context, and a deadline hit while the row
// is locked by another transaction, end the call quickly with an error.
func TestContextCancel(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		key := e.create(t, dict("a", int64(1)))
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.store.Load(cancelled, key); !errors.Is(err, context.Canceled) || !errors.Is(err, django.ErrBackend) {
			t.Errorf("Load with a cancelled context = %v", err)
		}
		if err := e.store.Save(cancelled, key, dict(), false); !errors.Is(err, context.Canceled) {
			t.Errorf("Save with a cancelled context = %v", err)
		}

		tx, err := e.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		lock := fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s", e.d.QuoteName(e.table),
			e.d.QuoteName("session_data"), e.d.Placeholder(1), e.d.QuoteName("session_key"), e.d.Placeholder(2))
		if _, err := tx.Exec(lock, "locked", key); err != nil {
			t.Fatal(err)
		}
		short, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel2()
		start := time.Now()
		err = e.store.Save(short, key, dict("a", int64(2)), false)
		took := time.Since(start)
		if err == nil || !errors.Is(err, django.ErrBackend) {
			t.Errorf("Save on a locked row with a deadline = %v", err)
		}
		if took > 3*time.Second {
			t.Errorf("Save took %v after its deadline", took)
		}
		t.Logf("blocked Save returned after %v: %v", took.Round(time.Millisecond), err)
	})
}

func TestMySQLCollation(t *testing.T) {
	e := newEnv(t, MySQL, true)
	key := e.create(t, dict("a", int64(1)))
	// As for Django: MariaDB's utf8mb4_general_ci finds other case and
	// trailing spaces. Keys are passed through unchanged.
	for _, k := range []string{strings.ToUpper(key), key + " "} {
		if _, err := e.store.Load(ctx, k); err != nil {
			t.Errorf("Load(%q) on MariaDB = %v; Django finds it too", k, err)
		}
	}
}

func TestCreateTable(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			db := openDB(t, d, "", "")
			table := newTable(t, db, d)
			if err := CreateTable(ctx, db, d, WithTable(table)); err != nil {
				t.Fatalf("second CreateTable: %v", err)
			}
			var q string
			switch d {
			case Postgres:
				q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1"
			case MySQL:
				q = "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ?"
			case SQLite:
				q = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
			}
			rows, err := db.Query(q, table)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var n string
				rows.Scan(&n)
				got = append(got, n)
			}
			rows.Close()
			slices.Sort(got)
			want := []string{d.indexName(table, "expire_date", "")}
			switch d {
			case Postgres:
				want = append(want, table+"_pkey", d.indexName(table, "session_key", "_like"))
			case MySQL:
				want = append(want, "PRIMARY")
			case SQLite:
				want = append(want, "sqlite_autoindex_"+table+"_1")
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("indexes = %v, want %v", got, want)
			}
		})
	}
}

// TestRoundTrips counts what each operation sends: request flights through
// a TCP proxy for PostgreSQL and MariaDB, statements for SQLite.
func TestRoundTrips(t *testing.T) {
	type conf struct {
		name  string
		d     Dialect
		extra string
		want  int // round trips per operation; 0: only report
		// identical: round trips of an UPDATE that rewrites the same values
		identical int
	}
	confs := []conf{
		{"postgres/binary_parameters=yes", Postgres, "", 1, 1},
		{"postgres/binary_parameters=no", Postgres, "binary_parameters=no", 0, 0},
		{"mysql/interpolateParams=true", MySQL, "", 1, 2},
		{"mysql/interpolateParams=true&clientFoundRows=true", MySQL, "clientFoundRows=true", 1, 1},
		{"mysql/interpolateParams=false", MySQL, "interpolateParams=false", 0, 0},
	}
	for _, c := range confs {
		t.Run(c.name, func(t *testing.T) {
			target := pgAddr
			if c.d == MySQL {
				target = mysqlAddr
			}
			openDB(t, c.d, "", "") // skip early when the server is down
			p := startProxy(t, target)
			db := openDB(t, c.d, p.Addr(), c.extra)
			db.SetMaxOpenConns(1)
			db.SetMaxIdleConns(1)
			e := newEnvOn(t, c.d, true, db)
			measure := func(op string, f func() error) {
				t.Helper()
				before := p.Flights()
				if err := f(); err != nil {
					t.Fatalf("%s: %v", op, err)
				}
				n := int(p.Flights() - before)
				t.Logf("%-16s %d round trip(s)", op, n)
				want := c.want
				switch {
				case op == "Save identical":
					want = c.identical
				case op == "Load missing" && c.d != Postgres && want != 0:
					want++ // the row whatever its expiry (mismatch.go)
				}
				if want != 0 && n != want {
					t.Errorf("%s: %d round trips, want %d", op, n, want)
				}
			}
			runOps(t, e, measure)
			before := p.Flights()
			e.store.Load(ctx, "short")
			e.store.Load(ctx, strings.Repeat("x", 41))
			if n := p.Flights() - before; n != 0 {
				t.Errorf("Load of impossible keys sent %d requests, want none", n)
			}
		})
	}
	t.Run("sqlite/statements", func(t *testing.T) {
		db, n := openCountingSQLite(t)
		e := newEnvOn(t, SQLite, true, db)
		runOps(t, e, func(op string, f func() error) {
			t.Helper()
			before := n.Load()
			if err := f(); err != nil {
				t.Fatalf("%s: %v", op, err)
			}
			got := n.Load() - before
			t.Logf("%-16s %d statement(s)", op, got)
			want := int64(1)
			if op == "Load missing" {
				want = 2 // the row whatever its expiry (mismatch.go)
			}
			if got != want && op != "Save identical" {
				t.Errorf("%s: %d statements, want %d", op, got, want)
			}
		})
	})
}

func runOps(t *testing.T, e *env, measure func(string, func() error)) {
	key, err := django.NewSessionKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := dict("a", int64(1))
	measure("Save create", func() error { return e.store.Save(ctx, key, s, true) })
	measure("Load", func() error { _, err := e.store.Load(ctx, key); return err })
	measure("LoadWithExpiry", func() error { _, _, err := e.store.LoadWithExpiry(ctx, key); return err })
	e.clock.Set(t0.Add(time.Second))
	measure("Save update", func() error { return e.store.Save(ctx, key, dict("a", int64(2)), false) })
	measure("Save identical", func() error { return e.store.Save(ctx, key, dict("a", int64(2)), false) })
	measure("Exists", func() error { _, err := e.store.Exists(ctx, key); return err })
	measure("ClearExpired", func() error { return e.store.ClearExpired(ctx) })
	measure("Delete", func() error { return e.store.Delete(ctx, key) })
	measure("Load missing", func() error {
		if _, err := e.store.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
			return fmt.Errorf("want ErrNotFound, got %v", err)
		}
		return nil
	})
}

func BenchmarkLoadSave(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.String(), func(b *testing.B) {
			db := openDB(b, d, "", "")
			e := &env{d: d, useTZ: true, db: db, clock: &clock{t: t0}}
			e.table = newTable(b, db, d)
			e.settings = testSettings(true, e.clock)
			e.settings.Clock = nil // the real clock: every save changes expire_date
			var err error
			if e.store, err = New(db, d, e.settings, WithTable(e.table)); err != nil {
				b.Fatal(err)
			}
			s := dict("_auth_user_id", "42", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
				"_auth_user_hash", "0c1bd1e25c5a0d0d6e7c4d2e0f5a8e1b9c3d7f2a4b6c8e0d1f3a5b7c9d2e4f6a")
			key := e.create(b, s)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				got, err := e.store.Load(ctx, key)
				if err != nil {
					b.Fatal(err)
				}
				if err := e.store.Save(ctx, key, got, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad is Load alone: a read, with no commit to flush to disk.
func BenchmarkLoad(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.String(), func(b *testing.B) {
			e := newEnv(b, d, true)
			e.settings.Clock = nil
			e.store, _ = New(e.db, d, e.settings, WithTable(e.table))
			key := e.create(b, dict("_auth_user_id", "42"))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.store.Load(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMySQLDriverTimeSettings: the driver's parseTime and loc settings
// change neither what Save writes nor what LoadWithExpiry reads.
func TestMySQLDriverTimeSettings(t *testing.T) {
	for _, useTZ := range []bool{true, false} {
		t.Run(fmt.Sprintf("USE_TZ=%v", useTZ), func(t *testing.T) {
			e := newEnvOn(t, MySQL, useTZ, openDB(t, MySQL, "", "parseTime=true&loc=Asia%2FTokyo"))
			key := e.create(t, dict("a", int64(1)))
			want := t0.Truncate(time.Microsecond).Add(14 * 24 * time.Hour)
			if got := e.rawExpireText(t, key); got != want.In(e.zone).Format("2006-01-02 15:04:05.000000") {
				t.Errorf("stored %q, want the %v wall clock of %v", got, e.zone, want)
			}
			_, exp, err := e.store.LoadWithExpiry(ctx, key)
			if err != nil || !exp.Equal(want) {
				t.Errorf("LoadWithExpiry = %v, %v; want %v", exp, err, want)
			}
		})
	}
}
