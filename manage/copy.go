package manage

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// Sessions are the sessions one engine keeps, seen raw: what CopySessions
// reads from and writes to. Make them with DBSessions, FileSessions or
// CacheSessions.
type Sessions struct {
	engine   string
	db       *db.Store
	file     *file.Store
	cache    cache.Cache
	lister   cache.Lister
	settings *django.Settings
	codec    *django.Codec
}

// DBSessions are the rows of a db store's table: the db engine's sessions,
// and the cached_db engine's (Django's cached_db reads the row on a cache
// miss, so the rows are all of its sessions).
func DBSessions(s *db.Store) *Sessions {
	return &Sessions{engine: "db", db: s, settings: s.Settings(), codec: s.Codec()}
}

// FileSessions are the session files of a file store's directory.
func FileSessions(s *file.Store) (*Sessions, error) {
	codec, err := django.NewCodec(*s.Settings())
	if err != nil {
		return nil, err
	}
	return &Sessions{engine: "file", file: s, settings: s.Settings(), codec: codec}, nil
}

// CacheSessions are the cache engine's sessions in c, with settings the
// Django site's (its SESSION_COOKIE_AGE and clock). lister enumerates c's
// entries and reads their TTLs (a *cache.Redis is one; for memcached,
// cache.NewMemcachedLister): it is needed where the sessions are copied
// from, and may be nil where they are copied to.
func CacheSessions(c cache.Cache, lister cache.Lister, settings django.Settings) (*Sessions, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: copy-sessions: nil cache", django.ErrImproperlyConfigured)
	}
	return &Sessions{engine: "cache", cache: c, lister: lister, settings: &settings}, nil
}

// Engine returns the engine's short name: db, file or cache.
func (s *Sessions) Engine() string { return s.engine }

// CopyReport is what CopySessions did, in numbers. It holds no session
// key beyond ShortKey and no session contents.
type CopyReport struct {
	// From and To are the engines, by their short names.
	From string `json:"from"`
	To   string `json:"to"`
	// DryRun: nothing was written; Copied counts what would have been.
	DryRun bool `json:"dry_run"`
	// Seen is how many sessions the source holds, expired ones included.
	Seen int64 `json:"seen"`
	// Copied is how many were written to the destination.
	Copied int64 `json:"copied"`
	// AlreadyThere is how many the destination held already under the same
	// key: left as they are, never overwritten (so a second run copies
	// nothing).
	AlreadyThere int64 `json:"already_there"`
	// Expired is how many were expired at the source: not copied.
	Expired int64 `json:"expired"`
	// Empty is how many session files were empty: the placeholder of a
	// create in progress, which holds no session yet.
	Empty int64 `json:"empty,omitempty"`
	// Skipped counts the live sessions that could not be copied, by
	// reason: data this configuration cannot read, a value the
	// destination's serializer cannot carry (by Python type), a key the
	// destination cannot hold.
	Skipped map[string]int64 `json:"skipped,omitempty"`
	// Examples names up to three sessions per skip reason, as ShortKey.
	Examples map[string][]string `json:"examples,omitempty"`
	// Seconds is how long the run took.
	Seconds float64 `json:"seconds"`
}

// ExitCode is the command line's exit status for the run: ExitOK when
// every live session is at the destination, ExitLeft when some were
// skipped.
func (r *CopyReport) ExitCode() int {
	if len(r.Skipped) > 0 {
		return ExitLeft
	}
	return ExitOK
}

func (r *CopyReport) skip(reason, key string) {
	if r.Skipped == nil {
		r.Skipped, r.Examples = map[string]int64{}, map[string][]string{}
	}
	r.Skipped[reason]++
	if len(r.Examples[reason]) < 3 {
		r.Examples[reason] = append(r.Examples[reason], ShortKey(key))
	}
}

// A stored session as read from a source: its signed session_data (db,
// file) or its dict (caches), and when it expires.
type stored struct {
	key    string
	data   string       // the signed session_data; "" from a cache
	dict   *pyjson.Dict // the decoded dict: a cache's, or a signed one's once decoded
	expiry time.Time
	// noExpiry: a cache entry with no TTL (not one Django writes).
	noExpiry bool
}

// CopySessions copies every live session of from to to, under the same
// key, with the same data and the same remaining lifetime, and never over
// a session to already holds: Django's manage.py has nothing like it, and
// a change of SESSION_ENGINE otherwise logs every user out.
//
// The source is read in batches (Options.BatchSize; the db by keyset
// pagination, Redis by SCAN, memcached by lru_crawler metadump, the
// directory by ReadDir), so memory stays bounded by one batch. Each
// session is written create-only (an INSERT, an O_EXCL file, a cache add):
// one the destination holds already is counted in AlreadyThere and left
// as it is, so a second run copies nothing and a session Django wrote
// meanwhile keeps Django's data.
//
// The data moves as each destination stores it: db and file keep the
// signed session_data (copied byte for byte between them, re-signed by the
// destination's codec when it comes from a cache), caches the session dict
// that Django's cache backend pickles. The lifetime is the source's:
// expire_date (db), the TTL (caches), or the expiry Django's file engine
// computes (_session_expiry, else the modification time plus
// SESSION_COOKIE_AGE); a file written from it gets the modification time
// that gives the same expiry, a cache the TTL rounded up to a second.
//
// A live session that cannot be copied (data this configuration cannot
// read, a value JSONSerializer cannot carry when a cache's pickled session
// goes to a signed store, a key the file engine refuses) is counted in
// Skipped and left in place. An error of either store ends the run and is
// returned, wrapping django.ErrBackend, with the report so far.
func CopySessions(ctx context.Context, from, to *Sessions, opts Options) (*CopyReport, error) {
	start := time.Now()
	rep := &CopyReport{From: from.Engine(), To: to.Engine(), DryRun: opts.DryRun}
	defer func() { rep.Seconds = time.Since(start).Seconds() }()
	if from.cache != nil && from.lister == nil {
		return rep, fmt.Errorf("%w: copy-sessions: the source cache needs a lister to enumerate its sessions", django.ErrImproperlyConfigured)
	}
	batch := opts.Batch()
	total := int64(-1)
	if from.db != nil && opts.Progress != nil {
		n, err := from.db.Count(ctx)
		if err != nil {
			return rep, fmt.Errorf("copy-sessions: counting the rows: %w", err)
		}
		total = n
	}
	progress := func() {
		if rep.Seen%int64(batch) == 0 {
			t := total
			if t >= 0 {
				t = max(t, rep.Seen) // rows added since the count
			}
			opts.progress(rep.Seen, t)
		}
	}
	if n := to.writers(); n > 1 {
		return copyConcurrently(ctx, from, to, opts, rep, n, progress)
	}
	for s, err := range from.sessions(ctx, batch) {
		if err != nil {
			return rep, readError(rep.From, err)
		}
		rep.Seen++
		// The clock is read per session: a long run must not hand the
		// last sessions a TTL counted from its start.
		if err := copyOne(ctx, s, from, to, to.settings.Now(), rep, opts.DryRun); err != nil {
			return rep, keyError(s.key, err)
		}
		progress()
	}
	opts.progress(rep.Seen, rep.Seen)
	return rep, nil
}

// keyError wraps a store's error about one session for the report: the
// stores' own messages may hold the whole key (a file store's path), which
// is shown as ShortKey instead; errors.Is still sees the store's error.
func keyError(key string, err error) error {
	return keyErr{key: key, msg: "copy-sessions: session " + ShortKey(key) + ": ", err: err}
}

type keyErr struct {
	key, msg string
	err      error
}

func (e keyErr) Error() string {
	msg := e.err.Error()
	if len(e.key) > ShortKeyLength {
		msg = strings.ReplaceAll(msg, e.key, ShortKey(e.key)+"...")
	}
	msg = keyLike.ReplaceAllStringFunc(msg, func(k string) string { return k[:ShortKeyLength] + "..." })
	return e.msg + msg
}

func (e keyErr) Unwrap() error { return e.err }

// readError wraps an error of the source's listing. The key it was at is
// not known here, and a file store's message names its path: anything
// that looks like a session key (32 or more of [a-z0-9]) is shortened.
func readError(engine string, err error) error {
	return keyErr{msg: "copy-sessions: reading the " + engine + " store: ", err: err}
}

var keyLike = regexp.MustCompile(`[a-z0-9]{32,}`)

// writers is how many sessions are written to s at once: one for SQLite,
// which takes one writer at a time (more would only wait on its lock),
// several for servers and directories, whose round trips and fsyncs then
// overlap.
func (s *Sessions) writers() int {
	switch {
	case s.db != nil && s.db.Dialect() == db.SQLite:
		return 1
	case s.file != nil:
		return 4
	}
	return 8
}

// copyConcurrently is CopySessions' loop with n writers: the source is
// read in order on this goroutine, the sessions are written by n others,
// each counting into a report of its own, added up at the end. The first
// error stops the reading and the writers.
func copyConcurrently(ctx context.Context, from, to *Sessions, opts Options, rep *CopyReport, n int, progress func()) (*CopyReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan stored, 2*n)
	parts := make([]CopyReport, n)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for i := range n {
		wg.Add(1)
		go func(part *CopyReport) {
			defer wg.Done()
			for s := range jobs {
				if ctx.Err() != nil {
					continue // drain: a writer failed
				}
				if err := copyOne(ctx, s, from, to, to.settings.Now(), part, opts.DryRun); err != nil {
					fail(keyError(s.key, err))
				}
			}
		}(&parts[i])
	}
	for s, err := range from.sessions(ctx, opts.Batch()) {
		if err != nil {
			fail(readError(rep.From, err)) // a writer's error, if any, stays first
			break
		}
		rep.Seen++
		select {
		case jobs <- s:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		progress()
	}
	close(jobs)
	wg.Wait()
	for i := range parts {
		rep.add(&parts[i])
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("copy-sessions: %w: %w", django.ErrBackend, ctx.Err())
	}
	return rep, firstErr
}

// add counts p's outcomes into r (not Seen: the reader counts that).
func (r *CopyReport) add(p *CopyReport) {
	r.Copied += p.Copied
	r.AlreadyThere += p.AlreadyThere
	r.Expired += p.Expired
	r.Empty += p.Empty
	for reason, n := range p.Skipped {
		if r.Skipped == nil {
			r.Skipped, r.Examples = map[string]int64{}, map[string][]string{}
		}
		r.Skipped[reason] += n
		for _, k := range p.Examples[reason] {
			if len(r.Examples[reason]) < 3 {
				r.Examples[reason] = append(r.Examples[reason], k)
			}
		}
	}
}

// sessions yields from's stored sessions. Errors end the iteration.
func (s *Sessions) sessions(ctx context.Context, batch int) iter.Seq2[stored, error] {
	return func(yield func(stored, error) bool) {
		switch {
		case s.db != nil:
			for r, err := range s.db.Rows(ctx, batch) {
				if !yield(stored{key: r.Key, data: r.Data, expiry: r.ExpireDate}, err) || err != nil {
					return
				}
			}
		case s.file != nil:
			for e, err := range s.file.Entries(ctx) {
				if err != nil {
					yield(stored{}, err)
					return
				}
				st := stored{key: e.Key, data: e.Data}
				if e.Data != "" {
					// The file engine's expiry is in the data:
					// _session_expiry, else mtime + SESSION_COOKIE_AGE.
					d, derr := s.codec.Decode(e.Data)
					if derr == nil {
						st.dict = d
						st.expiry, derr = s.settings.ExpiryDate(d, e.ModTime)
					}
					if derr != nil {
						// Unreadable here: the expiry is unknown, so
						// the file's own age decides whether it is live.
						st.dict = nil
						st.expiry = e.ModTime.Add(time.Duration(s.settings.SessionCookieAge) * time.Second)
					}
				}
				if !yield(st, nil) {
					return
				}
			}
		default:
			for e, err := range s.lister.Entries(ctx, cache.Scan{SessionPrefix: cache.KeyPrefix, Batch: batch}) {
				if err != nil {
					yield(stored{}, err)
					return
				}
				st := stored{key: e.Key}
				if _, ok := s.lister.(*cache.MemcachedLister); ok && e.TTL != cache.NoTTL {
					// The lister counts memcached's TTL when it hands the
					// entry out, in whole seconds cut down: take the
					// middle of its second.
					e.TTL += time.Second / 2
				}
				switch {
				case e.TTL == cache.NoTTL:
					st.noExpiry = true
				default:
					st.expiry = s.settings.Now().Add(e.TTL)
				}
				v, derr := s.lister.DecodeEntry(ctx, e)
				if errors.Is(derr, django.ErrBackend) {
					yield(stored{}, derr)
					return
				}
				if d, ok := v.(*pyjson.Dict); ok && derr == nil {
					st.dict = d
				}
				if !yield(st, nil) {
					return
				}
			}
		}
	}
}

// copyOne writes s to the destination, create-only, and counts the
// outcome; only a backend failure is returned.
func copyOne(ctx context.Context, s stored, from, to *Sessions, now time.Time, rep *CopyReport, dryRun bool) error {
	if from.file != nil && s.data == "" {
		rep.Empty++ // an empty file: a create in progress, not a session
		return nil
	}
	if s.noExpiry {
		// A cache entry without a TTL: Django gives none, so the session
		// dict's own expiry, counted from now, stands in.
		if s.dict != nil {
			exp, err := to.settings.ExpiryDate(s.dict, now)
			if err == nil {
				s.expiry = exp
			}
		}
		if s.expiry.IsZero() {
			s.expiry = now.Add(time.Duration(to.settings.SessionCookieAge) * time.Second)
		}
	}
	if !s.expiry.After(now) {
		rep.Expired++
		return nil
	}
	if s.data == "" && s.dict == nil {
		rep.skip(reasonUnreadable, s.key)
		return nil
	}
	if !django.ValidSessionKey(s.key) || (to.file != nil && !django.ValidFileSessionKey(s.key)) || (to.db != nil && len(s.key) > db.MaxKeyLength) {
		rep.skip("key the destination cannot hold", s.key)
		return nil
	}
	// What the destination stores: signed data, or the dict.
	data, dict := s.data, s.dict
	if to.cache != nil && dict == nil {
		d, err := from.codec.Decode(data)
		if err != nil {
			rep.skip(reasonUnreadable, s.key)
			return nil
		}
		dict = d
	}
	if to.cache == nil && data == "" {
		enc, err := to.codec.Encode(dict)
		if err != nil {
			rep.skip("not serializable by "+serializerName(to.settings)+": "+unserializable(dict), s.key)
			return nil
		}
		data = enc
	}
	if dryRun {
		there, err := to.exists(ctx, s.key)
		if err != nil {
			return err
		}
		if there {
			rep.AlreadyThere++
		} else {
			rep.Copied++
		}
		return nil
	}
	var err error
	switch {
	case to.db != nil:
		err = to.db.Insert(ctx, db.Row{Key: s.key, Data: data, ExpireDate: s.expiry})
	case to.file != nil:
		age := time.Duration(to.settings.SessionCookieAge) * time.Second
		err = to.file.Insert(ctx, file.Entry{Key: s.key, Data: data, ModTime: s.expiry.Add(-age)})
	default:
		// The TTL rounded up: the copy never expires before the original.
		ttl := int64((s.expiry.Sub(now) + time.Second - 1) / time.Second)
		var added bool
		added, err = to.cache.Add(cache.WithClock(ctx, to.settings.Clock), cache.KeyPrefix+s.key, dict, ttl)
		switch {
		case errors.Is(err, cache.ErrInvalidKey):
			rep.skip("key the destination cannot hold", s.key)
			return nil
		case err == nil && !added:
			err = django.ErrCreate
		}
	}
	switch {
	case err == nil:
		rep.Copied++
	case errors.Is(err, django.ErrCreate):
		rep.AlreadyThere++
	case errors.Is(err, django.ErrInvalidSessionKey):
		rep.skip("key the destination cannot hold", s.key)
	default:
		return err
	}
	return nil
}

// exists reports whether the destination holds key (for a dry run).
func (s *Sessions) exists(ctx context.Context, key string) (bool, error) {
	switch {
	case s.db != nil:
		return s.db.Exists(ctx, key)
	case s.file != nil:
		return s.file.Exists(ctx, key)
	}
	return s.cache.HasKey(ctx, cache.KeyPrefix+key)
}

// reasonUnreadable is the skip reason of data the configured keys and
// serializer do not decode (it may be another site's, or corrupt).
const reasonUnreadable = "unreadable: data this configuration cannot decode"

func serializerName(s *django.Settings) string {
	if s.SessionSerializer == django.PickleSerializer {
		return "PickleSerializer"
	}
	return "JSONSerializer"
}

// unserializable names the Python type of the first value of d that JSON
// cannot carry, for the report (never the value).
func unserializable(d *pyjson.Dict) string {
	name := "a value"
	d.Range(func(_ string, v any) bool {
		if _, err := pyjson.Marshal(v); err != nil {
			name = pyjson.TypeName(v)
			return false
		}
		return true
	})
	return name
}
