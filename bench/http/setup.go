package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/djangotest"
)

// setupDB creates the bench database (djsbenchhttp, or the one -pg names)
// when it is missing, and scs's sessions table in it (postgresstore's
// schema from its README). Django's tables come from manage.py migrate
// (bench/http/django/setup.py).
func setupDB(ctx context.Context, c config) error {
	name := dsnField(c.pgDSN, "dbname")
	admin, err := sql.Open("postgres", strings.Replace(c.pgDSN, "dbname="+name, "dbname=postgres", 1))
	if err != nil {
		return err
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("reading pg_database: %w", err)
	}
	if !exists {
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
			return fmt.Errorf("creating database %s: %w", name, err)
		}
	}
	pg, err := sql.Open("postgres", c.pgDSN)
	if err != nil {
		return err
	}
	defer pg.Close()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions (expiry)`,
	} {
		if _, err := pg.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("creating scs's table: %w", err)
		}
	}
	return nil
}

// setupSessions logs the bench user in n times in c.impl's format and
// store, and writes the cookies to path (mode 0600: they are logins).
func setupSessions(ctx context.Context, c config, n int, path string) error {
	if path == "" {
		return fmt.Errorf("-setup sessions needs -cookies FILE")
	}
	pg, err := openPG(c)
	if err != nil {
		return err
	}
	defer pg.Close()
	user, err := benchUser(ctx, pg)
	if err != nil {
		return err
	}
	var lines []string
	switch c.impl {
	case "djsession":
		lines, err = djsessionLogins(ctx, c, pg, user, n)
	case "scs":
		lines, err = scsLogins(ctx, c, pg, user, n)
	default:
		err = fmt.Errorf("-impl %q: want djsession or scs", c.impl)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// loginCookie stores one session as Django's login() leaves it.
func loginCookie(ctx context.Context, store django.Store, user *auth.User) (*http.Cookie, error) {
	return djangotest.Login(ctx, store, user)
}

// dsnField returns a key=value field of a lib/pq DSN.
func dsnField(dsn, key string) string {
	for _, f := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}
