package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/testnet"
)

// The SQL tests run on SQLite files and on the PostgreSQL and MariaDB
// servers the backends/db tests use (127.0.0.1:5432 and :3306, database
// "test"); a server that is down skips, except under CI=true.

// serverDSN is the DSN of d's test server at addr, as user (PostgreSQL:
// the role that exists there, postgres or root).
func serverDSN(d db.Dialect, addr, user string) (driver, dsn string) {
	if d == db.MySQL {
		return "mysql", fmt.Sprintf("root@tcp(%s)/test?interpolateParams=true&timeout=5s", addr)
	}
	host, port, _ := net.SplitHostPort(addr)
	return "postgres", fmt.Sprintf("host=%s port=%s user=%s dbname=test sslmode=disable binary_parameters=yes connect_timeout=5", host, port, user)
}

// openUsersDB opens a pool on d's test server at addr (a proxy, or the
// server itself).
func openUsersDB(t *testing.T, d db.Dialect, addr string) *sql.DB {
	t.Helper()
	if d == db.SQLite {
		sdb, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "users.sqlite3"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sdb.Close() })
		return sdb
	}
	var err error
	for _, user := range []string{"postgres", "root"} {
		driver, dsn := serverDSN(d, addr, user)
		var sdb *sql.DB
		if sdb, err = sql.Open(driver, dsn); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = sdb.PingContext(ctx)
		cancel()
		if err == nil {
			t.Cleanup(func() { sdb.Close() })
			return sdb
		}
		sdb.Close()
	}
	msg := fmt.Sprintf("%s test server at %s is not reachable: %v", d, addr, err)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing server is a failure)", msg)
	}
	t.Skip(msg)
	return nil
}

// userTable creates a table shaped as Django's auth_user (the columns
// SQLUsers reads) holding alice (id 1, active) and carol (id 3,
// inactive), dropped when the test ends.
func userTable(t *testing.T, sdb *sql.DB, d db.Dialect) string {
	t.Helper()
	var b [5]byte
	rand.Read(b[:])
	table := fmt.Sprintf("djs_users%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	q := d.QuoteName
	boolType := "bool"
	if d == db.MySQL {
		boolType = "tinyint(1)"
	}
	stmts := []string{
		fmt.Sprintf("CREATE TABLE %s (%s integer NOT NULL PRIMARY KEY, %s varchar(128) NOT NULL, %s %s NOT NULL, %s varchar(150) NOT NULL)",
			q(table), q("id"), q("password"), q("is_active"), boolType, q("username")),
		fmt.Sprintf("INSERT INTO %s VALUES (1, %s, %s, %s), (3, %s, %s, %s)", q(table),
			d.Placeholder(1), d.Placeholder(2), d.Placeholder(3), d.Placeholder(4), d.Placeholder(5), d.Placeholder(6)),
	}
	args := [][]any{nil, {alice.Password, true, "alice", "md5$x$y", false, "carol"}}
	for i, s := range stmts {
		if _, err := sdb.Exec(s, args[i]...); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	t.Cleanup(func() { sdb.Exec("DROP TABLE " + q(table)) })
	return table
}

// TestSQLUsers: the users of an auth_user table on each vendor, and ids
// that are not Django's integer pk, which are no such user without a
// query (Django's to_python refuses them before it queries).
func TestSQLUsers(t *testing.T) {
	for _, d := range []db.Dialect{db.SQLite, db.Postgres, db.MySQL} {
		t.Run(d.String(), func(t *testing.T) {
			addr := "127.0.0.1:5432"
			if d == db.MySQL {
				addr = "127.0.0.1:3306"
			}
			sdb := openUsersDB(t, d, addr)
			users := NewSQLUsers(sdb, d, UserTable{Table: userTable(t, sdb, d)})
			ctx := context.Background()
			u, err := users.User(ctx, "1")
			if err != nil || u.ID != "1" || u.Username != "alice" || u.Password != alice.Password || !u.IsActive {
				t.Errorf("User(1) = %+v, %v", u, err)
			}
			if u, err := users.User(ctx, "3"); err != nil || u.IsActive {
				t.Errorf("User(3) = %+v, %v; want carol, inactive", u, err)
			}
			// "1abc" is user 1 to MySQL's cast and a query error to
			// PostgreSQL; to Django it is no user at all.
			for _, id := range []string{"2", "1abc", "abc", "", "1.0", "99999999999999999999"} {
				if u, err := users.User(ctx, id); !errors.Is(err, ErrNoUser) || errors.Is(err, django.ErrBackend) {
					t.Errorf("User(%q) = %+v, %v; want ErrNoUser", id, u, err)
				}
			}
		})
	}
}

// TestSQLUsersTextID: with TextID the id goes to the database as it is.
func TestSQLUsersTextID(t *testing.T) {
	sdb := openUsersDB(t, db.SQLite, "")
	if _, err := sdb.Exec(`CREATE TABLE "u" ("uuid" varchar(36) PRIMARY KEY, "password" text, "is_active" bool, "email" text)`); err != nil {
		t.Fatal(err)
	}
	const id = "6f1c0e54-9f8e-4d2b-a9a5-1c1b2f3e4d5a"
	if _, err := sdb.Exec(`INSERT INTO "u" VALUES (?, 'x', 1, 'a@example.com')`, id); err != nil {
		t.Fatal(err)
	}
	users := NewSQLUsers(sdb, db.SQLite, UserTable{Table: "u", IDColumn: "uuid", UsernameColumn: "email", TextID: true})
	if u, err := users.User(context.Background(), id); err != nil || u.Username != "a@example.com" {
		t.Errorf("User(%s) = %+v, %v", id, u, err)
	}
}

func TestSQLUsersWithoutDialect(t *testing.T) {
	users := NewSQLUsers(openUsersDB(t, db.SQLite, ""), nil, UserTable{})
	if _, err := users.User(context.Background(), "1"); !errors.Is(err, django.ErrImproperlyConfigured) {
		t.Errorf("User with no dialect: %v; want ErrImproperlyConfigured", err)
	}
}

// TestSQLUsersStalledServer: behind a proxy that stops forwarding (a hung
// server), User returns at its deadline with a backend error. lib/pq on
// its own waits for the answer to its cancel request: it was still blocked
// after minutes.
func TestSQLUsersStalledServer(t *testing.T) {
	for _, d := range []db.Dialect{db.Postgres, db.MySQL} {
		t.Run(d.String(), func(t *testing.T) {
			target := "127.0.0.1:5432"
			if d == db.MySQL {
				target = "127.0.0.1:3306"
			}
			direct := openUsersDB(t, d, target)
			table := userTable(t, direct, d)
			px, err := testnet.NewProxy(target)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(px.Cut)
			users := NewSQLUsers(openUsersDB(t, d, px.Addr()), d, UserTable{Table: table})
			if _, err := users.User(context.Background(), "1"); err != nil {
				t.Fatalf("before the stall: %v", err)
			}
			px.Stall()
			const deadline = 500 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			type outcome struct {
				u   *User
				err error
				el  time.Duration
			}
			done := make(chan outcome, 1)
			start := time.Now()
			go func() {
				u, err := users.User(ctx, "1")
				done <- outcome{u, err, time.Since(start)}
			}()
			var r outcome
			select {
			case r = <-done:
			case <-time.After(deadline + 10*time.Second):
				// Unbounded, lib/pq waits on a hung server for minutes.
				t.Fatalf("User still blocked %v after a %v deadline", time.Since(start), deadline)
			}
			if r.u != nil || !errors.Is(r.err, django.ErrBackend) || !errors.Is(r.err, context.DeadlineExceeded) {
				t.Errorf("User behind a stalled server = %+v, %v; want ErrBackend and the deadline", r.u, r.err)
			}
			// The margin is generous: the call returns at the deadline,
			// not at the driver's timeouts (minutes).
			if r.el > deadline+2*time.Second {
				t.Errorf("User returned after %v with a %v deadline", r.el, deadline)
			}
		})
	}
}

// TestAuthDoesNotImportStores: django/auth sits above the session stores
// (DESIGN.md's layers); its code imports none of backends/.
func TestAuthDoesNotImportStores(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/djsession/djsession/backends") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
