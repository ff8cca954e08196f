package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/manage"
)

// destinationFlags are the flags that, after "--to-", describe
// copy-sessions' destination: the engine and the store flags.
var destinationFlags = append([]string{"engine"}, storeFlags.names...)

// copyCommand is copy-sessions' entry in the commands table.
var copyCommand = command{
	name: "copy-sessions", summary: "copy every live session to another engine",
	doc: "Copies every live session of the configured store to the store the --to- flags describe, under the same key, with the same data " +
		"and the same remaining lifetime (db expire_date, cache TTL, file modification time plus _session_expiry), never over a session " +
		"the destination holds already; a second run copies nothing. Memcached is listed with lru_crawler metadump, Redis with SCAN, the db " +
		"in batches by key. --to-FLAG is FLAG for the destination (--to-engine, --to-database, --to-cache, --to-cache-backend, " +
		"--to-cache-key-prefix, --to-session-file-path...); the settings flags are shared; the destination never reads " +
		envDatabaseURL + ", " + envCacheURL + " or " + envRedisURL + ". Exit 0 when every live session is at the destination, " +
		"1 when some could not be copied (each reason counted), 5 when a store failed.",
	flags:  append([]string{"dry-run", "json", "batch-size"}, prefixed("to-", destinationFlags)...),
	groups: []flagGroup{sessionSettings, storeFlags},
	run:    (*cli).copySessions,
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

// defineCopyFlags adds --to-NAME for each destination flag, described as
// NAME is (--dry-run, --json and --batch-size are convert-serializer's,
// defineRewriteFlags).
func defineCopyFlags(f *flagSet) {
	for _, name := range destinationFlags {
		spec := f.specs[name]
		spec.usage = "destination: " + spec.usage
		if name == "engine" {
			spec.def = "none: required"
		} else if strings.HasPrefix(spec.def, "$") {
			spec.def = "" // the destination reads no variable
		}
		f.specs["to-"+name] = spec
	}
}

// destination is the command line as the destination sees it: each
// --to-NAME read as --NAME, the source's store flags and the store
// variables dropped, the settings flags and secrets shared.
func (c *cli) destination() *cli {
	d := *c
	f := &flagSet{specs: c.flags.specs, values: map[string][]string{}, args: c.flags.args}
	for name, v := range c.flags.values {
		if to, ok := strings.CutPrefix(name, "to-"); ok {
			f.values[to] = v
		} else if !slices.Contains(destinationFlags, name) {
			f.values[name] = v
		}
	}
	d.flags = f
	d.getenv = func(k string) string {
		if k == envDatabaseURL || k == envCacheURL || k == envRedisURL {
			return ""
		}
		return c.getenv(k)
	}
	return &d
}

// copySessions is the copy-sessions command.
func (c *cli) copySessions() error {
	if _, err := c.positional(0); err != nil {
		return err
	}
	if _, ok := c.flags.get("to-engine"); !ok {
		return usagef("copy-sessions needs --to-engine (db, cache, cached_db or file) and the destination's store flags")
	}
	from, closeFrom, err := c.openSessions(true)
	if err != nil {
		return err
	}
	defer closeFrom()
	to, closeTo, err := c.destination().openSessions(false)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		// The destination's flags are read under their names without
		// "to-": say which side the message is about.
		return usagef("the destination (the --to- flags): %s", ue.msg)
	case err != nil:
		return fmt.Errorf("the destination: %w", err)
	}
	defer closeTo()

	opts, endProgress, err := c.rewriteOptions("copy-sessions")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), manageRunTimeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	rep, err := manage.CopySessions(ctx, from, to, opts)
	endProgress()
	if err != nil {
		if rep != nil && rep.Seen > 0 {
			fmt.Fprintf(os.Stderr, "copy-sessions: stopped after %d sessions (%d copied)\n", rep.Seen, rep.Copied)
		}
		return err
	}
	if c.flags.boolean("json") {
		if err := c.writeReport(rep); err != nil {
			return err
		}
	} else {
		writeCopyReport(c.stdout, rep)
	}
	var left int64
	for _, v := range rep.Skipped {
		left += v
	}
	return leftOver(rep.ExitCode(), fmt.Sprintf("copy-sessions: %d live sessions could not be copied (see the report)", left))
}

// writeCopyReport prints the report in words, one finding a line.
func writeCopyReport(w io.Writer, r *manage.CopyReport) {
	verb := "copied"
	if r.DryRun {
		verb = "would copy (dry run)"
	}
	fmt.Fprintf(w, "%s -> %s: %d sessions seen, %s %d, already at the destination %d (left as they are), expired %d",
		r.From, r.To, r.Seen, verb, r.Copied, r.AlreadyThere, r.Expired)
	if r.Empty > 0 {
		fmt.Fprintf(w, ", empty files %d", r.Empty)
	}
	fmt.Fprintf(w, " (%.1f s)\n", r.Seconds)
	reasons := make([]string, 0, len(r.Skipped))
	for k := range r.Skipped {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		fmt.Fprintf(w, "not copied: %d, %s (for example %s)\n", r.Skipped[k], k, strings.Join(r.Examples[k], ", "))
	}
}

// openSessions opens the configured engine's sessions, raw, and returns
// the function that closes what it opened. The source needs to list a
// cache's entries; the destination only adds to it.
func (c *cli) openSessions(source bool) (*manage.Sessions, func(), error) {
	s, err := c.storeSettings()
	if err != nil {
		return nil, nil, err
	}
	s.Logger = quietLogger()
	nothing := func() {}
	switch s.SessionEngine {
	case django.EngineDB, django.EngineCachedDB:
		// cached_db: the rows are every session; Django's cached_db
		// reads the row when its cache has no copy.
		sqlDB, dialect, err := c.openDatabase()
		if err != nil {
			return nil, nil, err
		}
		st, err := db.New(sqlDB, dialect, s)
		if err != nil {
			sqlDB.Close()
			return nil, nil, err
		}
		return manage.DBSessions(st), func() { sqlDB.Close() }, nil
	case django.EngineFile:
		st, err := file.New(s)
		if err != nil {
			return nil, nil, err
		}
		fs, err := manage.FileSessions(st)
		return fs, nothing, err
	case django.EngineCache:
		cl, closeCache, err := c.openCache()
		if err != nil {
			return nil, nil, err
		}
		var lister cache.Lister
		if source {
			if lister, err = c.cacheLister(cl); err != nil {
				closeCache()
				return nil, nil, err
			}
		}
		cs, err := manage.CacheSessions(cl, lister, s)
		if err != nil {
			closeCache()
			return nil, nil, err
		}
		return cs, closeCache, nil
	case django.EngineSignedCookies:
		return nil, nil, usagef("the signed_cookies engine keeps sessions in the browser: there is nothing to copy")
	}
	return nil, nil, usagef("engine %q: copy-sessions copies between db, cache, cached_db and file", s.SessionEngine)
}

// cacheLister is the raw access to cl's entries, for check, explain and
// copy-sessions: a Redis cache is its own; memcached's needs the servers
// of --cache, placed as the URL's library places them, so that one key's
// entry (check, explain) is looked for on the server that holds it.
func (c *cli) cacheLister(cl cache.Cache) (cache.Lister, error) {
	switch x := cl.(type) {
	case cache.Lister:
		return x, nil
	case *cache.Memcached:
		raw, source, _ := c.setting("cache", envCacheURL, envRedisURL)
		cc, err := backends.ParseCacheURL(raw)
		if err != nil {
			return nil, usagef("%s: %v", source, err)
		}
		sel, err := x.Library().Selector(cc.Location...)
		if err != nil {
			return nil, usagef("%s: %v", source, err)
		}
		return cache.NewMemcachedLister(x, sel)
	}
	return nil, usagef("this cache's sessions cannot be listed")
}
