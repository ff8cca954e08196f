package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/manage"
)

// manageRunTimeout bounds a whole convert-serializer or rotate-key run: a
// million rows take minutes, not the 30 seconds of one store call.
const manageRunTimeout = 6 * time.Hour

// defineRewriteFlags adds the flags of convert-serializer and rotate-key
// that no other command defined before.
func defineRewriteFlags(f *flagSet) {
	def := func(name, arg, d, usage string) {
		if _, ok := f.specs[name]; !ok {
			f.define(name, arg, d, usage)
		}
	}
	defBool := func(name, d, usage string) {
		if _, ok := f.specs[name]; !ok {
			f.defineBool(name, d, usage)
		}
	}
	def("to", "FORMAT", "json", "the serializer to write: json")
	defBool("dry-run", "false", "count what would be written, write nothing")
	defBool("json", "false", "print the final report as one JSON object")
	def("batch-size", "N", strconv.Itoa(manage.DefaultBatchSize), "sessions read per query")
}

// rewriteTarget opens the stored sessions of the configured engine for
// convert-serializer and rotate-key: the table (db, cached_db, with its
// cache), or the directory (file). what is the command's name.
func (c *cli) rewriteTarget(s django.Settings, what string) (manage.Target, func(), error) {
	noop := func() {}
	switch s.SessionEngine {
	case django.EngineSignedCookies:
		if what == "convert-serializer" {
			return manage.Target{}, nil, usagef("%v: signed_cookies sessions cannot be converted server-side; run the bridge serializer "+
				"(python/djsession_bridge.py, manage.Bridge) for SESSION_COOKIE_AGE, so every cookie is rewritten as JSON on its next save", manage.ErrSignedCookies)
		}
		return manage.Target{}, nil, usagef("%v: rotate-key cannot see or re-sign them; keep the old key in SECRET_KEY_FALLBACKS for SESSION_COOKIE_AGE "+
			"after the switch (Django re-signs a cookie when it saves the session)", manage.ErrSignedCookies)
	case django.EngineCache:
		if what == "convert-serializer" {
			return manage.Target{}, nil, usagef("the cache engine stores the session dict pickled by the cache backend, whatever SESSION_SERIALIZER says: there is no session_data to convert")
		}
		return manage.Target{}, nil, usagef("rotate-key works on db, cached_db and file: cache engine entries are not signed (re-stamping their auth hashes is not supported)")
	case django.EngineFile:
		st, err := file.New(s)
		if err != nil {
			return manage.Target{}, nil, err
		}
		return manage.Target{File: st}, noop, nil
	case django.EngineDB, django.EngineCachedDB:
	default:
		return manage.Target{}, nil, usagef("engine %q: %s works on db, cached_db and file", s.SessionEngine, what)
	}
	sqlDB, dialect, err := c.openDatabase()
	if err != nil {
		return manage.Target{}, nil, err
	}
	st, err := db.New(sqlDB, dialect, s)
	if err != nil {
		sqlDB.Close()
		return manage.Target{}, nil, err
	}
	t := manage.Target{DB: st}
	closeFn := func() { sqlDB.Close() }
	if s.SessionEngine == django.EngineCachedDB {
		cc, closeCache, err := c.openCache()
		if err != nil {
			sqlDB.Close()
			return manage.Target{}, nil, err
		}
		t.Cache = cc
		closeFn = func() { closeCache(); sqlDB.Close() }
	}
	return t, closeFn, nil
}

// rewriteOptions reads --batch-size and --dry-run, and shows progress on
// stderr: a bar redrawn in place on a terminal, a line per batch otherwise.
func (c *cli) rewriteOptions(what string) (manage.Options, func(), error) {
	o := manage.Options{DryRun: c.flags.boolean("dry-run")}
	if v, ok := c.flags.get("batch-size"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 100000 {
			return o, nil, usagef("--batch-size takes a number from 1 to 100000, not %q", v)
		}
		o.BatchSize = n
	}
	w := io.Writer(os.Stderr)
	tty := isTerminal(os.Stderr)
	o.Progress = func(done, total int64) {
		switch {
		case tty && total > 0:
			const width = 30
			n := min(int(done*width/total), width)
			fmt.Fprintf(w, "\r%s [%s%s] %d/%d", what, strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
		case tty:
			fmt.Fprintf(w, "\r%s: %d sessions", what, done)
		case total > 0:
			fmt.Fprintf(w, "%s: %d/%d sessions\n", what, done, total)
		default:
			fmt.Fprintf(w, "%s: %d sessions\n", what, done)
		}
	}
	end := func() {
		if tty {
			fmt.Fprintln(w)
		}
	}
	return o, end, nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// convertSerializer is `djsession convert-serializer`.
func (c *cli) convertSerializer() error {
	if _, err := c.positional(0); err != nil {
		return err
	}
	if v, _ := c.flags.get("to"); v != "" && v != "json" {
		return usagef("--to takes json (the only serializer Django 5 has), not %q", v)
	}
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	s.Logger = quietLogger()
	if !s.AllowPickleSerializer {
		return usagef("convert-serializer reads PickleSerializer data: describe the site as it is now, e.g. --django-version 4.2 --session-serializer pickle --allow-pickle")
	}
	t, closeFn, err := c.rewriteTarget(s, "convert-serializer")
	if err != nil {
		return err
	}
	defer closeFn()
	return runRewrite(c, "convert-serializer", func(ctx context.Context, o manage.Options) (*manage.ConvertReport, error) {
		return manage.ConvertSerializer(ctx, t, o)
	}, c.printConvert, "convert-serializer: sessions were left as they are (see the report); exit 1")
}

// runRewrite runs convert-serializer's or rotate-key's run with the
// options of the command line (what is the command's name) under
// manageRunTimeout, then prints its report: one JSON object with --json,
// show's text otherwise. When the report says sessions were left, the
// error is leftOver's, with left as its line on stderr.
func runRewrite[R interface{ ExitCode() int }](c *cli, what string, run func(context.Context, manage.Options) (R, error), show func(R), left string) error {
	o, end, err := c.rewriteOptions(what)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), manageRunTimeout)
	defer cancel()
	r, err := run(ctx, o)
	end()
	if err != nil {
		return err
	}
	if c.flags.boolean("json") {
		if err := c.writeReport(r); err != nil {
			return err
		}
	} else {
		show(r)
	}
	return leftOver(r.ExitCode(), left)
}

func (c *cli) printConvert(r *manage.ConvertReport) {
	w := c.stdout
	verb := "converted"
	if r.DryRun {
		verb = "would convert"
	}
	fmt.Fprintf(w, "%s: %d sessions read (%s engine)\n", "convert-serializer", r.Seen, r.Engine)
	fmt.Fprintf(w, "%s %d PickleSerializer sessions to JSON\n", verb, r.Converted)
	fmt.Fprintf(w, "already JSON: %d; expired (left for clearsessions): %d\n", r.AlreadyJSON, r.Expired)
	if r.Unconvertible > 0 {
		fmt.Fprintf(w, "left as pickle, holding a value JSON cannot carry: %d sessions (%s); store these values as JSON types (a datetime as isoformat(), a set or tuple as a list) and run again\n",
			r.Unconvertible, counts(r.ByType))
	}
	printChangedMeanwhile(w, r.ChangedMeanwhile)
	if len(r.Unreadable) > 0 {
		fmt.Fprintf(w, "unreadable with these settings, left as they are: %s (check SECRET_KEY, SECRET_KEY_FALLBACKS)\n", counts(r.Unreadable))
	}
	printRewriteEnd(w, r.CacheCopiesDropped, r.Examples)
}

// printChangedMeanwhile prints a rewrite report's count of sessions
// Django wrote between the command's read and its write, when there are.
func printChangedMeanwhile(w io.Writer, n int64) {
	if n > 0 {
		fmt.Fprintf(w, "changed by Django meanwhile, left as Django wrote them: %d (run again)\n", n)
	}
}

// printRewriteEnd prints the last lines of a rewrite report: the
// cached_db cache copies dropped, when there are, and the examples.
func printRewriteEnd(w io.Writer, dropped int64, examples map[string][]string) {
	if dropped > 0 {
		fmt.Fprintf(w, "cached_db cache copies dropped: %d\n", dropped)
	}
	printExamples(w, examples)
}

// counts prints a map of counts as "a 2, b 1", largest first.
func counts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func printExamples(w io.Writer, ex map[string][]string) {
	kinds := make([]string, 0, len(ex))
	for k := range ex {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  e.g. %s: %s\n", k, strings.Join(ex[k], " "))
	}
}

// writeReport prints a report struct as one JSON object (its json tags).
func (c *cli) writeReport(v any) error {
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = c.stdout.Write(append(out, '\n'))
	return err
}

// leftOver is a run's exit status 1 (manage.ExitLeft): the report is
// printed, and stderr says in one line what was left.
func leftOver(code int, msg string) error {
	if code == manage.ExitOK {
		return nil
	}
	return notFound{msg}
}
