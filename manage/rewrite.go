package manage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/djsession/djsession/django"
)

// rewrite is one run of a command that rewrites stored sessions in place
// (ConvertSerializer, RotateKey): what both do around their own decision
// for each session, kept once so that their reports count alike. It
// fills the fields both reports have, through pointers into the report,
// so that a report returned with an error holds the counts so far.
type rewrite struct {
	command    string
	t          Target
	start      time.Time
	w          *writer
	unreadable tally

	seen, empty, changed, dropped *int64
	unreadableCounts              *map[string]int64
	examples                      *map[string][]string
	seconds                       *float64
}

// rewriteFields are the report's fields a rewrite fills.
type rewriteFields struct {
	Seen, Empty, ChangedMeanwhile, CacheCopiesDropped *int64
	Unreadable                                        *map[string]int64
	Examples                                          *map[string][]string
	Seconds                                           *float64
}

// newRewrite starts the clock of a run of command over t.
func newRewrite(command string, t Target, opts Options, f rewriteFields) *rewrite {
	return &rewrite{
		command: command, t: t, start: time.Now(), w: t.writer(opts),
		seen: f.Seen, empty: f.Empty, changed: f.ChangedMeanwhile, dropped: f.CacheCopiesDropped,
		unreadableCounts: f.Unreadable, examples: f.Examples, seconds: f.Seconds,
	}
}

// skip counts s as seen and reports whether it is an empty session file
// (Django's create in progress: nothing to read), which it counts too.
func (rw *rewrite) skip(s rawSession) bool {
	*rw.seen++
	if s.data == "" && rw.t.File != nil {
		*rw.empty++
		return true
	}
	return false
}

// example names key, as ShortKey, among the up to three examples of kind.
func (rw *rewrite) example(kind, key string) {
	addExample(rw.examples, kind, key)
}

// addExample appends key, as ShortKey, to (*examples)[kind] unless it
// holds three already.
func addExample(examples *map[string][]string, kind, key string) {
	if *examples == nil {
		*examples = map[string][]string{}
	}
	if len((*examples)[kind]) < 3 {
		(*examples)[kind] = append((*examples)[kind], ShortKey(key))
	}
}

// write writes data over s's data, conditionally (now or with the
// batch). Once written, written is called and a cached_db cache copy is
// counted as dropped; when Django changed the session meanwhile, it is
// counted and named, and left is called (left may be nil).
func (rw *rewrite) write(ctx context.Context, s rawSession, data string, written, left func()) error {
	key := s.key
	return rw.w.write(ctx, key, s.data, data, func(ok bool) {
		if !ok {
			*rw.changed++
			rw.example("changed meanwhile", key)
			if left != nil {
				left()
			}
			return
		}
		written()
		if rw.t.Cache != nil {
			*rw.dropped++
		}
	})
}

// finish ends the run whose walk over the sessions returned err: it
// writes the pending batch (only after a walk that did not fail), moves
// the unreadable counts and examples into the report, times the run, and
// returns the error as the caller sees it: wrapping django.ErrBackend
// (a failure of the store), with whole session keys cut to ShortKey.
func (rw *rewrite) finish(ctx context.Context, err error) error {
	if err == nil {
		err = rw.w.flush(ctx)
	}
	*rw.unreadableCounts = rw.unreadable.Counts
	for k, v := range rw.unreadable.Examples {
		for _, e := range v {
			rw.example(k, e)
		}
	}
	*rw.seconds = time.Since(rw.start).Seconds()
	if err != nil && !errors.Is(err, django.ErrBackend) {
		err = fmt.Errorf("%w: %s: %w", django.ErrBackend, rw.command, err)
	}
	return redactKeys(err)
}
