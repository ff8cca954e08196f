package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
)

// A replica here is a second database with the same table on the same
// server (PostgreSQL: a schema on the pool's search_path; MariaDB: a
// database; SQLite: a file), filled by hand: what a lagging replica holds
// is whatever the test puts there. compat_test/topology_pg_test.go runs
// the same store against a real streaming replica.

// replicaPair is a primary and a replica pool, each with the session
// table under one name, and stores writing straight to each.
type replicaPair struct {
	d                Dialect
	primary, replica *sql.DB
	table            string
	clock            *clock
	onPrimary        *Store // writes rows on the primary
	onReplica        *Store // writes rows on the replica (what it has replayed)
}

// newReplicaPair makes the pair; primaryAddr overrides the primary's
// server address (a proxy that counts its round trips).
func newReplicaPair(t *testing.T, d Dialect, primaryAddr string) *replicaPair {
	t.Helper()
	p := &replicaPair{d: d, clock: &clock{t: t0}}
	p.primary = openDB(t, d, primaryAddr, "")
	p.table = newTable(t, p.primary, d)
	admin := openDB(t, d, "", "")
	name := "djs_r" + strings.TrimPrefix(uniqueTable(), "djs_t")
	var err error
	switch d {
	case Postgres:
		if _, err := admin.Exec("CREATE SCHEMA " + name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec("DROP SCHEMA " + name + " CASCADE") })
		p.replica = openDB(t, d, "", "search_path="+name)
	case MySQL:
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec("DROP DATABASE " + name) })
		p.replica, err = sql.Open("mysql", strings.Replace(dsn(d, mysqlAddr, ""), "/test?", "/"+name+"?", 1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.replica.Close() })
	case SQLite:
		p.replica, err = sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "replica.sqlite3")+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.replica.Close() })
	}
	if err := CreateTable(ctx, p.replica, d, WithTable(p.table)); err != nil {
		t.Fatalf("CreateTable on the replica: %v", err)
	}
	p.onPrimary = p.store(t, p.primary)
	p.onReplica = p.store(t, p.replica)
	return p
}

func (p *replicaPair) store(t *testing.T, sdb *sql.DB, opts ...Option) *Store {
	t.Helper()
	s, err := New(sdb, p.d, testSettings(true, p.clock), append([]Option{WithTable(p.table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (p *replicaPair) put(t *testing.T, s *Store, key, who string, create bool) {
	t.Helper()
	if err := s.Save(ctx, key, dict("who", who), create); err != nil {
		t.Fatalf("Save on %s: %v", who, err)
	}
}

// who loads key with s and returns which side's row it read: "primary",
// "replica", or the error.
func who(t *testing.T, s *Store, key string) string {
	t.Helper()
	d, err := s.Load(ctx, key)
	if err != nil {
		return err.Error()
	}
	v, _ := d.GetString("who")
	return v
}

func (p *replicaPair) rows(t *testing.T, sdb *sql.DB) int {
	t.Helper()
	var n int
	if err := sdb.QueryRow("SELECT COUNT(*) FROM " + p.d.QuoteName(p.table)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const (
	keyA = "replicakeyaaaaaaaaaaaaaaaaaaaaaa"
	keyB = "replicakeybbbbbbbbbbbbbbbbbbbbbb"
	keyC = "replicakeycccccccccccccccccccccc"
	keyD = "replicakeydddddddddddddddddddddd"
)

func TestReplicaReadsFallBackToPrimary(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			p := newReplicaPair(t, d, "")
			var logs bytes.Buffer
			st := testSettings(true, p.clock)
			st.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			s, err := New(p.primary, d, st, WithTable(p.table), WithReplicas(p.replica))
			if err != nil {
				t.Fatal(err)
			}
			plain := p.store(t, p.primary)

			// A: written just now, not replayed yet: the primary answers.
			p.put(t, p.onPrimary, keyA, "primary", true)
			if got := who(t, s, keyA); got != "primary" {
				t.Errorf("a row only the primary has: read %q, want it from the primary", got)
			}
			// B: replayed (the replica's copy says "replica" so that the
			// test sees where it was read): the replica answers.
			p.put(t, p.onPrimary, keyB, "primary", true)
			p.put(t, p.onReplica, keyB, "replica", true)
			if got := who(t, s, keyB); got != "replica" {
				t.Errorf("a row both have: read %q, want it from the replica", got)
			}
			// LoadWithExpiry (cached_db's read, which it caches) stays on
			// the primary.
			if d, _, err := s.LoadWithExpiry(ctx, keyB); err != nil {
				t.Fatal(err)
			} else if v, _ := d.GetString("who"); v != "primary" {
				t.Errorf("LoadWithExpiry read %q, want the primary", v)
			}
			// Without the option every read goes to the primary.
			if got := who(t, plain, keyB); got != "primary" {
				t.Errorf("without WithReplicas: read %q, want the primary", got)
			}
			// C: expired on the replica (an older version, saved a month
			// ago), live on the primary: the primary answers.
			p.clock.Set(t0.Add(-30 * 24 * time.Hour))
			p.put(t, p.onReplica, keyC, "replica", true)
			p.clock.Set(t0)
			p.put(t, p.onPrimary, keyC, "primary", true)
			if got := who(t, s, keyC); got != "primary" {
				t.Errorf("a row expired on the replica: read %q, want the primary's", got)
			}
			// D: data the replica's copy cannot decode: the primary's.
			p.put(t, p.onPrimary, keyD, "primary", true)
			p.put(t, p.onReplica, keyD, "replica", true)
			if _, err := p.replica.Exec(fmt.Sprintf("UPDATE %s SET %s = 'garbage' WHERE %s = %s",
				d.QuoteName(p.table), d.QuoteName("session_data"), d.QuoteName("session_key"), d.Placeholder(1)), keyD); err != nil {
				t.Fatal(err)
			}
			if got := who(t, s, keyD); got != "primary" {
				t.Errorf("undecodable on the replica: read %q, want the primary's", got)
			}
			// Missing on both: not found, as without replicas.
			if _, err := s.Load(ctx, "replicakeyzzzzzzzzzzzzzzzzzzzzzz"); !errors.Is(err, django.ErrNotFound) {
				t.Errorf("a row neither has: %v, want ErrNotFound", err)
			}

			// Writes, Exists and ClearExpired go to the primary only.
			before := p.rows(t, p.replica)
			key, err := django.Create(ctx, s, dict("who", "primary"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx, keyB, dict("who", "primary", "n", int64(2)), false); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, keyA); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.Exists(ctx, key); !ok || err != nil {
				t.Errorf("Exists of a row only the primary has: %v, %v", ok, err)
			}
			if err := s.ClearExpired(ctx); err != nil {
				t.Fatal(err)
			}
			if after := p.rows(t, p.replica); after != before {
				t.Errorf("the replica's table went from %d to %d rows: a write reached it", before, after)
			}
			if n := p.rows(t, p.primary); n != 4 { // B, C, D and the new one
				t.Errorf("primary rows = %d, want 4", n)
			}
			// The lag WithReplicas accepts: B's replica copy is still read.
			if got := who(t, s, keyB); got != "replica" {
				t.Errorf("after the primary's update, B read from %q; the replica's stale copy is what a replica read gives", got)
			}

			// A replica that fails: the primary answers, and the failure is logged.
			brokenDSN := map[Dialect]string{Postgres: dsn(d, "127.0.0.1:1", ""), MySQL: dsn(d, "127.0.0.1:1", ""), SQLite: ":memory:"}[d]
			broken, err := sql.Open(driverName(d), brokenDSN)
			if err != nil {
				t.Fatal(err)
			}
			broken.Close()
			s2, err := New(p.primary, d, st, WithTable(p.table), WithReplicas(broken))
			if err != nil {
				t.Fatal(err)
			}
			if got := who(t, s2, keyB); got != "primary" {
				t.Errorf("a failed replica: read %q, want the primary", got)
			}
			if !strings.Contains(logs.String(), "read replica failed") {
				t.Errorf("the replica's failure was not logged: %q", logs.String())
			}
		})
	}
}

func driverName(d Dialect) string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	}
	return "sqlite"
}

// With replicas, a load the replica answers costs the primary nothing, and
// one it cannot answer costs the primary its usual one round trip.
func TestReplicaRoundTrips(t *testing.T) {
	for _, d := range []Dialect{Postgres, MySQL} {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			addr := map[Dialect]string{Postgres: pgAddr, MySQL: mysqlAddr}[d]
			if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
				unavailable(t, "%s: %v", d, err)
			} else {
				c.Close()
			}
			proxy := startProxy(t, addr)
			p := newReplicaPair(t, d, proxy.Addr())
			s := p.store(t, p.primary, WithReplicas(p.replica))
			p.put(t, p.onPrimary, keyA, "primary", true)
			p.put(t, p.onPrimary, keyB, "primary", true)
			p.put(t, p.onReplica, keyB, "replica", true)
			measure := func(key string) int64 {
				n := proxy.Flights()
				if _, err := s.Load(context.Background(), key); err != nil {
					t.Fatal(err)
				}
				return proxy.Flights() - n
			}
			if n := measure(keyB); n != 0 {
				t.Errorf("a load the replica answers: %d round trips to the primary, want 0", n)
			}
			if n := measure(keyA); n != 1 {
				t.Errorf("a load the replica cannot answer: %d round trips to the primary, want 1", n)
			}
		})
	}
}

// A replica that hangs: under a deadline, the primary still answers in
// time.
func TestReplicaHangs(t *testing.T) {
	if c, err := net.DialTimeout("tcp", pgAddr, time.Second); err != nil {
		unavailable(t, "postgres: %v", err)
	} else {
		c.Close()
	}
	proxy := startProxy(t, pgAddr)
	p := newReplicaPair(t, Postgres, "")
	hung := openDB(t, Postgres, proxy.Addr(), "")
	s := p.store(t, p.primary, WithReplicas(hung))
	p.put(t, p.onPrimary, keyA, "primary", true)
	proxy.Stall()
	lctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	began := time.Now()
	d, err := s.Load(lctx, keyA)
	if err != nil {
		t.Fatalf("Load with a hung replica: %v", err)
	}
	if v, _ := d.GetString("who"); v != "primary" {
		t.Errorf("read %q", v)
	}
	if took := time.Since(began); took < 900*time.Millisecond || took > 1900*time.Millisecond {
		t.Errorf("took %v: the replica should have had half of the 2 s", took)
	}
}

func TestWithReplicasNone(t *testing.T) {
	sdb, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	s, err := New(sdb, SQLite, testSettings(true, &clock{t: t0}), WithReplicas(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Replicas()) != 0 {
		t.Errorf("nil replicas kept: %d", len(s.Replicas()))
	}
}
