package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/internal/testnet"
)

// The tests run against real servers: PostgreSQL and MariaDB on 127.0.0.1
// (trust auth / root without password, database "test") and SQLite files
// in a temp dir. A server that is down skips its tests, except under
// CI=true, where it fails them. Each test works in its own table.

const (
	pgAddr    = "127.0.0.1:5432"
	mysqlAddr = "127.0.0.1:3306"
)

// dsn returns the DSN of a vendor for a server at addr, with the
// recommended options.
func dsn(d Dialect, addr string, extra string) string {
	switch d {
	case Postgres:
		host, port, _ := net.SplitHostPort(addr)
		return fmt.Sprintf("host=%s port=%s user=%s dbname=test sslmode=disable binary_parameters=yes connect_timeout=5 %s", host, port, pgUser(), extra)
	case MySQL:
		s := fmt.Sprintf("root@tcp(%s)/test?interpolateParams=true&timeout=5s", addr)
		if extra != "" {
			s += "&" + extra
		}
		return s
	}
	return ""
}

var pgUserOnce sync.Once
var pgUserName = "postgres"

// pgUser picks the role that exists on this server: postgres, else root.
func pgUser() string {
	pgUserOnce.Do(func() {
		for _, u := range []string{"postgres", "root"} {
			db, err := sql.Open("postgres", fmt.Sprintf("host=127.0.0.1 port=5432 user=%s dbname=test sslmode=disable connect_timeout=5", u))
			if err != nil {
				continue
			}
			err = db.Ping()
			db.Close()
			if err == nil {
				pgUserName = u
				return
			}
		}
	})
	return pgUserName
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing server is a failure)", msg)
	}
	t.Skipf("%s; start it (see backends/db tests) or set CI=true to make this a failure", msg)
}

// openDB opens a pool on the vendor's test server, skipping (or failing in
// CI) when it is down. addr overrides the server address (a proxy).
func openDB(t testing.TB, d Dialect, addr, extra string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	switch d {
	case Postgres:
		if addr == "" {
			addr = pgAddr
		}
		db, err = sql.Open("postgres", dsn(d, addr, extra))
	case MySQL:
		if addr == "" {
			addr = mysqlAddr
		}
		db, err = sql.Open("mysql", dsn(d, addr, extra))
	case SQLite:
		path := filepath.Join(t.TempDir(), "sessions.sqlite3")
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		unavailable(t, "%s test server is not reachable: %v", d, err)
	}
	return db
}

var dialects = []Dialect{Postgres, MySQL, SQLite}

// uniqueTable returns a table name no other test (or test process) uses.
func uniqueTable() string {
	var b [5]byte
	rand.Read(b[:])
	return fmt.Sprintf("djs_t%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
}

// newTable creates a fresh session table and drops it when the test ends.
func newTable(t testing.TB, db *sql.DB, d Dialect) string {
	t.Helper()
	table := uniqueTable()
	if err := CreateTable(context.Background(), db, d, WithTable(table)); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP TABLE " + d.QuoteName(table)); err != nil {
			t.Logf("drop %s: %v", table, err)
		}
	})
	return table
}

// startProxy starts a testnet.Proxy to target, closed when the test ends.
func startProxy(t testing.TB, target string) *testnet.Proxy {
	t.Helper()
	p, err := testnet.NewProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Cut)
	return p
}

// openCountingSQLite opens a SQLite pool whose statements are counted.
func openCountingSQLite(t testing.TB) (*sql.DB, *atomic.Int64) {
	t.Helper()
	base, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	drv := base.Driver()
	base.Close()
	n := new(atomic.Int64)
	path := filepath.Join(t.TempDir(), "count.sqlite3")
	db := sql.OpenDB(testnet.CountingConnector{Base: drv, DSN: "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)", Count: n})
	t.Cleanup(func() { db.Close() })
	return db, n
}
