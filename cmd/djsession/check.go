package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/manage"
)

// checkCommand is `djsession check`.
var checkCommand = command{
	name: "check", summary: "does the store agree with these settings? (keys, serializer, zone, cache prefix, auth hashes)",
	doc: "Inspects what the configured store holds (a sample of the most recently written sessions, all with --all) and reports " +
		"how many sessions verify under SECRET_KEY, under each fallback (by index), under none; which serializer wrote them; " +
		"expire_date offsets that a USE_TZ/TIME_ZONE mismatch makes; sessions under another KEY_PREFIX, VERSION or Redis db " +
		"(Redis SCAN, memcached lru_crawler metadump); cached_db copies that differ from their rows; and, with the auth_user " +
		"table in --database, how many logged-in sessions carry a valid auth hash. Each disagreement is one line naming the " +
		"setting to look at. It only reads. Exit 0 everything agrees, 1 something disagrees, 2 usage, 5 backend error.",
	flags:  []string{"all", "sample", "json", "batch-size", "user-table"},
	groups: []flagGroup{sessionSettings, storeFlags}, run: (*cli).check,
}

// defineCheckFlags adds the flags of check and explain that no other
// command defined before.
func defineCheckFlags(f *flagSet) {
	if _, ok := f.specs["all"]; !ok {
		f.defineBool("all", "false", "check every session, not a sample")
	}
	if _, ok := f.specs["sample"]; !ok {
		f.define("sample", "N", strconv.Itoa(manage.DefaultCheckSample), "how many of the most recently written sessions to check")
	}
	if _, ok := f.specs["json"]; !ok {
		f.defineBool("json", "false", "print the final report as one JSON object")
	}
	if _, ok := f.specs["batch-size"]; !ok {
		f.define("batch-size", "N", strconv.Itoa(manage.DefaultBatchSize), "sessions read per query")
	}
}

// check is `djsession check`.
func (c *cli) check() error {
	if _, err := c.positional(0); err != nil {
		return err
	}
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	s.Logger = quietLogger()
	engine := django.EngineName(s.SessionEngine)
	if engine == django.EngineSignedCookies {
		return usagef("the signed_cookies engine stores nothing server-side: explain a cookie value instead (djsession explain VALUE)")
	}
	o, end, err := c.rewriteOptions("check")
	if err != nil {
		return err
	}
	opts := manage.CheckOptions{Options: o, All: c.flags.boolean("all")}
	if v, ok := c.flags.get("sample"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return usagef("--sample takes a positive number, not %q", v)
		}
		opts.Sample = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), manageRunTimeout)
	defer cancel()
	src, closeFn, err := c.sources(ctx, s, false)
	if err != nil {
		return err
	}
	defer closeFn()
	r, err := manage.Check(ctx, src, opts)
	end()
	if err != nil {
		return err
	}
	if c.flags.boolean("json") {
		if err := c.writeReport(r); err != nil {
			return err
		}
	} else {
		scope := fmt.Sprintf("a sample of the %d most recently written sessions", r.Sessions)
		switch {
		case r.All:
			scope = "every session"
		case r.Sessions == 0:
			scope = "no session in the configured store"
		}
		fmt.Fprintf(c.stdout, "check: the %s engine, %s\n", r.Engine, scope)
		printFindings(c.stdout, r.Findings)
	}
	return leftOver(r.ExitCode(), "check: something disagrees with the configuration (the lines starting with !); exit 1")
}

// printFindings prints one finding a line: "! ... [setting: X]" for a
// disagreement, "- ..." for the rest, and a last line that sums them up.
func printFindings(w io.Writer, findings []manage.Finding) {
	n := 0
	for _, f := range findings {
		if f.Setting != "" {
			n++
			fmt.Fprintf(w, "! %s [setting: %s]\n", f.Text, f.Setting)
		} else {
			fmt.Fprintf(w, "- %s\n", f.Text)
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "agrees with the configuration")
	} else {
		fmt.Fprintf(w, "%d finding(s) disagree with the configuration\n", n)
	}
}

// sources opens the stores of check (the configured engine's) or explain
// (every store the flags name: the engine's, and the others given). The
// database also gives the users (auth_user, or --user-table) when it has
// that table.
func (c *cli) sources(ctx context.Context, s django.Settings, every bool) (manage.Sources, func(), error) {
	src := manage.Sources{Settings: s}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	engine := django.EngineName(s.SessionEngine)
	usesDB := engine == django.EngineDB || engine == django.EngineCachedDB
	usesCache := engine == django.EngineCache || engine == django.EngineCachedDB
	_, _, dbGiven := c.setting("database", envDatabaseURL)
	_, _, cacheGiven := c.setting("cache", envCacheURL, envRedisURL)
	var sqlDB *sql.DB
	var dialect db.Dialect
	if usesDB || dbGiven {
		var err error
		if sqlDB, dialect, err = c.openDatabase(); err != nil {
			return src, nil, err
		}
		closers = append(closers, func() { sqlDB.Close() })
		if usesDB || every {
			st, err := db.New(sqlDB, dialect, s)
			if err != nil {
				closeAll()
				return src, nil, err
			}
			src.DB = st
		}
		table := auth.UserTable{}
		if v, ok := c.flags.get("user-table"); ok {
			table.Table = v
		}
		users := auth.NewSQLUsers(sqlDB, dialect, table)
		// A database without the user table (a service's own) checks no
		// auth hashes: an unknown id is ErrNoUser only when the table is there.
		if _, err := users.User(ctx, "0"); errors.Is(err, auth.ErrNoUser) {
			src.Users = users
		}
	}
	if usesCache || (every && cacheGiven) {
		l, closeCache, err := c.openLister()
		if err != nil {
			closeAll()
			return src, nil, err
		}
		closers = append(closers, closeCache)
		src.Cache = l
	}
	_, fileGiven := c.flags.get("session-file-path")
	if engine == django.EngineFile || (every && fileGiven) {
		st, err := file.New(s)
		if err != nil {
			closeAll()
			return src, nil, err
		}
		src.File = st
	}
	return src, closeAll, nil
}

// openLister opens the configured cache with its raw access (cacheLister).
func (c *cli) openLister() (cache.Lister, func(), error) {
	cc, closeCache, err := c.openCache()
	if err != nil {
		return nil, nil, err
	}
	l, err := c.cacheLister(cc)
	if err != nil {
		closeCache()
		return nil, nil, err
	}
	return l, closeCache, nil
}
