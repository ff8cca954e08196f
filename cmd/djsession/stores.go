package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	// The command, unlike the library, brings its SQL drivers.
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
)

// defaultDatabase is Django's own default: db.sqlite3 in the project
// directory (here, the working directory).
const defaultDatabase = "sqlite:///db.sqlite3"

// storeSettings adds the store flags to the settings flags.
func (c *cli) storeSettings() (django.Settings, error) {
	s, err := c.settings()
	if err != nil {
		return s, err
	}
	if v, ok := c.flags.get("use-tz"); ok {
		s.UseTZ = v == "true"
	}
	if v, ok := c.flags.get("time-zone"); ok {
		s.TimeZone = v
		if _, err := s.Location(); err != nil {
			return s, usagef("--time-zone: unknown zone %q", v)
		}
	}
	if v, ok := c.flags.get("session-file-path"); ok {
		s.SessionFilePath = v
	}
	if v, ok := c.flags.get("session-cookie-name"); ok {
		if v == "" {
			return s, usagef("--session-cookie-name must not be empty")
		}
		s.SessionCookieName = v
	}
	return s, nil
}

// openStore returns the store of the configured engine and a function that
// releases what it opened: the database for db and cached_db, the cache for
// cache and cached_db.
func (c *cli) openStore(s django.Settings) (django.Store, func(), error) {
	var clients backends.Clients
	var closers []func()
	closeAll := func() {
		for _, f := range closers {
			f()
		}
	}
	switch s.SessionEngine {
	case django.EngineSignedCookies:
		return nil, nil, usagef("the signed_cookies engine keeps the session in the cookie: use encode and decode")
	case django.EngineDB, django.EngineCache, django.EngineCachedDB, django.EngineFile:
	default:
		return nil, nil, usagef("engine %q: give db, cache, cached_db, file or signed_cookies", s.SessionEngine)
	}
	if s.SessionEngine == django.EngineDB || s.SessionEngine == django.EngineCachedDB {
		sqlDB, dialect, err := c.openDatabase()
		if err != nil {
			return nil, nil, err
		}
		clients.DB, clients.Dialect = sqlDB, dialect
		closers = append(closers, func() { sqlDB.Close() })
	}
	if s.SessionEngine == django.EngineCache || s.SessionEngine == django.EngineCachedDB {
		cc, closeCache, err := c.openCache()
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		clients.Cache = cc
		closers = append(closers, closeCache)
	}
	st, err := backends.Open(s, clients)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return st, closeAll, nil
}

// openDatabase opens --database (or $DATABASE_URL), a dj-database-url
// style URL, as backends.ParseDatabaseURL reads it.
func (c *cli) openDatabase() (*sql.DB, db.Dialect, error) {
	raw, source, ok := c.setting("database", envDatabaseURL)
	if !ok {
		raw, source = defaultDatabase, "the default database"
	}
	d, err := backends.ParseDatabaseURL(raw)
	if err != nil {
		return nil, 0, usagef("%s: %v", source, err)
	}
	sqlDB, err := d.Open()
	if err != nil {
		return nil, 0, err
	}
	return sqlDB, d.Dialect, nil
}

// withStore opens the configured store, runs f with a bounded context,
// and closes what it opened.
func (c *cli) withStore(s django.Settings, f func(ctx context.Context, st django.Store) error) error {
	st, closeFn, err := c.openStore(s)
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := c.context()
	defer cancel()
	return f(ctx, st)
}

// getSession prints the stored dict: exit 1 when there is none.
func (c *cli) getSession() error {
	a, err := c.positional(1)
	if err != nil {
		return err
	}
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	s.Logger = quietLogger()
	return c.withStore(s, func(ctx context.Context, st django.Store) error {
		d, err := st.Load(ctx, a[0])
		switch {
		case errorsIs(err, django.ErrNotFound):
			return notFound{fmt.Sprintf("no session %q (missing or expired)", a[0])}
		case err != nil:
			return err
		}
		return c.writeJSON(d)
	})
}

// setSession makes the session exactly the JSON object on stdin, saved
// as SessionStore.save would: a create when the key is absent.
func (c *cli) setSession() error {
	a, err := c.positional(1)
	if err != nil {
		return err
	}
	key := a[0]
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	if !django.ValidSessionKey(key) {
		return usagef("session key %q: Django uses no key shorter than 8 characters", key)
	}
	if s.SessionEngine == django.EngineFile && !django.ValidFileSessionKey(key) {
		return usagef("session key %q: the file engine allows only [a-z0-9]", key)
	}
	v, err := c.readJSON()
	if err != nil {
		return err
	}
	d, ok := asDict(v)
	if !ok {
		return usagef("set reads a JSON object")
	}
	if e, ok := c.flags.get("expiry"); ok {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return usagef("--expiry takes whole seconds, not %q", e)
		}
		d.Set(django.ExpiryKey, n)
	}
	return c.withStore(s, func(ctx context.Context, st django.Store) error {
		exists, err := st.Exists(ctx, key)
		if err != nil {
			return err
		}
		return st.Save(ctx, key, d, !exists)
	})
}

// deleteSession removes a session; a missing one is not an error.
func (c *cli) deleteSession() error {
	a, err := c.positional(1)
	if err != nil {
		return err
	}
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	return c.withStore(s, func(ctx context.Context, st django.Store) error { return st.Delete(ctx, a[0]) })
}

// clearSessions is manage.py clearsessions.
func (c *cli) clearSessions() error {
	if _, err := c.positional(0); err != nil {
		return err
	}
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	if s.SessionEngine == django.EngineSignedCookies {
		return nil // nothing is stored
	}
	return c.withStore(s, func(ctx context.Context, st django.Store) error { return st.ClearExpired(ctx) })
}
