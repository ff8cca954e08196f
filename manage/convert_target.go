package manage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/cacheddb"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// ErrSignedCookies is returned by ConvertSerializer and RotateKey for the
// signed_cookies engine: its sessions live in the browsers' cookies, which
// no server-side command can see, let alone rewrite. The error's text says
// what to do instead.
var ErrSignedCookies = errors.New("manage: the signed_cookies engine keeps every session in the browser's cookie, which no server-side command can see or rewrite")

// A Target is the stored sessions ConvertSerializer and RotateKey rewrite
// in place, signed session_data all of them: the django_session rows of
// the db and cached_db engines, or the session files of the file engine.
// Set DB or File, not both. The settings are the store's.
type Target struct {
	// DB is the table of the db engine, and of cached_db, whose rows are
	// the truth its cache copies.
	DB *db.Store
	// Cache, with DB, is cached_db's cache: the copy of every rewritten
	// session is dropped from it (the next load reads the new row and
	// caches it), so no stale copy outlives the rewrite.
	Cache cache.Cache
	// File is the directory of the file engine.
	File *file.Store
	// BeforeWrite, when not nil, is called after a session was read and
	// its new data made, just before the conditional write (for a table,
	// before the transaction that writes its batch): a seam for
	// tests that change a session meanwhile (the write must then leave
	// Django's data), and for services that log. It is not called in a
	// dry run.
	BeforeWrite func(ctx context.Context, key string)
}

// engine is the target's short engine name.
func (t Target) engine() string {
	switch {
	case t.File != nil:
		return "file"
	case t.Cache != nil:
		return "cached_db"
	}
	return "db"
}

// settings returns the store's settings, or an error for a target without
// one store.
func (t Target) settings(command string) (django.Settings, error) {
	switch {
	case t.DB != nil && t.File != nil:
		return django.Settings{}, fmt.Errorf("%w: %s: a Target is a db table or a file directory, not both", django.ErrImproperlyConfigured, command)
	case t.DB != nil:
		return *t.DB.Settings(), nil
	case t.File != nil:
		if t.Cache != nil {
			return django.Settings{}, fmt.Errorf("%w: %s: Target.Cache goes with DB (cached_db), not File", django.ErrImproperlyConfigured, command)
		}
		return *t.File.Settings(), nil
	}
	return django.Settings{}, fmt.Errorf("%w: %s: the Target has no store (db, cached_db or file)", django.ErrImproperlyConfigured, command)
}

// quiet returns s with a logger that drops the codec's warnings: a command
// decodes every session with several codecs, and "Session data corrupted"
// for each try under the wrong key would drown the report.
func quiet(s django.Settings) django.Settings {
	s.Logger = slog.New(slog.DiscardHandler)
	return s
}

// rawSession is one stored session as a command reads it.
type rawSession struct {
	key, data string
	// expireDate is the row's expire_date (db); modTime the file's.
	expireDate, modTime time.Time
}

// expired reports whether the session is expired as its engine judges it:
// a row by expire_date, a file by _session_expiry or its modification time
// plus SESSION_COOKIE_AGE (session may be nil when the data did not decode).
func (t Target) expired(s *django.Settings, r rawSession, session *pyjson.Dict) (bool, error) {
	now := s.Now()
	if t.File == nil {
		return !r.expireDate.After(now), nil
	}
	var expiry any = r.modTime.Round(time.Microsecond).Add(time.Duration(s.SessionCookieAge) * time.Second)
	if session != nil {
		if v, ok := session.Get(django.ExpiryKey); ok && pyjson.Truthy(v) {
			expiry = v
		}
	}
	age, err := s.ExpiryAgeOf(expiry, now)
	if err != nil {
		return false, err
	}
	return age <= 0, nil
}

// total is how many sessions the target holds, for Progress: the row
// count of a table, -1 for a directory (counting would read it twice).
func (t Target) total(ctx context.Context) (int64, error) {
	if t.DB != nil {
		return t.DB.Count(ctx)
	}
	return -1, nil
}

// each calls f for every stored session, in batches of opts.Batch(),
// reporting progress after each batch. An error of f ends the walk.
func (t Target) each(ctx context.Context, opts Options, f func(rawSession) error) error {
	total, err := t.total(ctx)
	if err != nil {
		return err
	}
	batch := int64(opts.Batch())
	var done int64
	step := func(r rawSession) error {
		if err := f(r); err != nil {
			return err
		}
		done++
		if done%batch == 0 {
			opts.progress(done, total)
		}
		return nil
	}
	if t.DB != nil {
		for row, err := range t.DB.Rows(ctx, opts.Batch()) {
			if err != nil {
				return err
			}
			if err := step(rawSession{key: row.Key, data: row.Data, expireDate: row.ExpireDate}); err != nil {
				return err
			}
		}
	} else {
		for e, err := range t.File.Entries(ctx) {
			if err != nil {
				return err
			}
			if err := step(rawSession{key: e.Key, data: e.Data, modTime: e.ModTime}); err != nil {
				return err
			}
		}
	}
	if done%batch != 0 || done == 0 {
		opts.progress(done, total)
	}
	return nil
}

// writer makes a command's conditional writes: a file's at once, a
// table's a batch at a time in one transaction (db.Store.ReplaceMany),
// which costs one commit per batch instead of one per row.
type writer struct {
	t       Target
	batch   int
	pending []db.Replacement
	done    []func(ok bool)
}

func (t Target) writer(opts Options) *writer { return &writer{t: t, batch: opts.Batch()} }

// write writes data over old for key, conditionally, now or with the
// batch; done learns whether it was written (false: the session changed
// meanwhile, and Django's data stands).
func (w *writer) write(ctx context.Context, key, old, data string, done func(ok bool)) error {
	if w.t.File != nil {
		if w.t.BeforeWrite != nil {
			w.t.BeforeWrite(ctx, key)
		}
		ok, err := w.t.File.Replace(ctx, key, old, data)
		if err != nil {
			return err
		}
		done(ok)
		return nil
	}
	w.pending = append(w.pending, db.Replacement{Key: key, Old: old, Data: data})
	w.done = append(w.done, done)
	if len(w.pending) >= w.batch {
		return w.flush(ctx)
	}
	return nil
}

// flush writes the pending batch, then drops the cached_db cache copies
// of the rows written.
func (w *writer) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	if w.t.BeforeWrite != nil {
		for _, r := range w.pending {
			w.t.BeforeWrite(ctx, r.Key)
		}
	}
	ok, err := w.t.DB.ReplaceMany(ctx, w.pending)
	if err != nil {
		return err
	}
	for i, r := range w.pending {
		if ok[i] && w.t.Cache != nil {
			if err := w.t.Cache.Delete(ctx, cacheddb.KeyPrefix+r.Key); err != nil {
				return fmt.Errorf("%w: the row of session %s was rewritten, its cached_db cache copy could not be dropped: %w",
					django.ErrBackend, ShortKey(r.Key), err)
			}
		}
		w.done[i](ok[i])
	}
	clear(w.pending)
	clear(w.done)
	w.pending, w.done = w.pending[:0], w.done[:0]
	return nil
}

// unreadableReason names why data did not decode, for a report: the
// classes of django.Codec.Decode's errors.
func unreadableReason(err error) string {
	switch {
	case errors.Is(err, signing.ErrBadSignature):
		return "not signed by any configured key"
	case errors.Is(err, signing.ErrLimit):
		return "beyond a size or depth limit"
	case errors.Is(err, pickle.ErrRefused):
		// An object of a class outside the safe subset Go reads: Django
		// reads it, JSON cannot carry it either.
		return "pickle of a class outside the safe subset"
	}
	return "malformed"
}

// tally is a count by reason with up to three example keys each.
type tally struct {
	Counts   map[string]int64
	Examples map[string][]string
}

func (t *tally) add(reason, key string) {
	if t.Counts == nil {
		t.Counts, t.Examples = map[string]int64{}, map[string][]string{}
	}
	t.Counts[reason]++
	if len(t.Examples[reason]) < 3 {
		t.Examples[reason] = append(t.Examples[reason], ShortKey(key))
	}
}

func (t *tally) total() int64 {
	var n int64
	for _, c := range t.Counts {
		n += c
	}
	return n
}

// sessionKeyRun matches what may be a whole session key in an error's
// text: a run of 32 or more key characters (a file store's error names
// the file, SESSION_COOKIE_NAME + key).
var sessionKeyRun = regexp.MustCompile(`[a-z0-9]{32,}`)

// redacted is an error whose text shows session keys as ShortKey; it
// unwraps to the original, so errors.Is still finds its class.
type redacted struct {
	err error
	msg string
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }

// redactKeys returns err with every whole session key in its text cut to
// ShortKey: a report or a command's stderr never shows a whole key.
func redactKeys(err error) error {
	if err == nil {
		return nil
	}
	msg := sessionKeyRun.ReplaceAllStringFunc(err.Error(), func(run string) string {
		// A key is the last 32 characters of the run (a file name is
		// the cookie name, then the key).
		head, key := run[:len(run)-32], run[len(run)-32:]
		return head + ShortKey(key) + "…"
	})
	if msg == err.Error() {
		return err
	}
	return redacted{err: err, msg: msg}
}
