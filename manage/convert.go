package manage

import (
	"context"
	"fmt"

	"github.com/djsession/djsession/django"
)

// ConvertReport is what ConvertSerializer did, in numbers. It holds no
// session contents and no key beyond ShortKey.
type ConvertReport struct {
	// Engine is the target's engine: db, cached_db or file.
	Engine string `json:"engine"`
	// To is the serializer written: "json".
	To string `json:"to"`
	// DryRun: nothing was written; Converted counts what would have been.
	DryRun bool `json:"dry_run"`
	// Seen is how many stored sessions were read, expired ones included.
	Seen int64 `json:"seen"`
	// Converted is how many PickleSerializer sessions were rewritten as
	// JSONSerializer data signed with the current key.
	Converted int64 `json:"converted"`
	// AlreadyJSON is how many were JSONSerializer data already.
	AlreadyJSON int64 `json:"already_json"`
	// Expired is how many were expired: left for clearsessions.
	Expired int64 `json:"expired"`
	// Empty is how many session files were empty (a create in progress).
	Empty int64 `json:"empty,omitempty"`
	// Unconvertible is how many sessions hold a value JSON cannot carry as
	// the same Python value, left untouched; ByType counts them by the
	// Python type of such a value (a session holding two types counts in
	// both), so the team can find the code that stores it.
	Unconvertible int64            `json:"unconvertible"`
	ByType        map[string]int64 `json:"unconvertible_by_type,omitempty"`
	// ChangedMeanwhile is how many sessions Django wrote between this
	// command's read and its write: the write did not happen, Django's
	// data stays (run the command again to convert them).
	ChangedMeanwhile int64 `json:"changed_meanwhile"`
	// Unreadable counts, by reason, the sessions that decode under neither
	// serializer with the configured keys: left untouched.
	Unreadable map[string]int64 `json:"unreadable,omitempty"`
	// CacheCopiesDropped is how many cached_db cache copies were dropped
	// after their row was rewritten.
	CacheCopiesDropped int64 `json:"cache_copies_dropped,omitempty"`
	// Examples names up to three sessions per kind of leftover
	// ("unconvertible: set", "changed meanwhile", an unreadable reason),
	// as ShortKey.
	Examples map[string][]string `json:"examples,omitempty"`
	// Seconds is how long the run took.
	Seconds float64 `json:"seconds"`
}

// ExitCode is the command line's exit status for the run: ExitOK when
// every live session is JSON now (or would be, in a dry run), ExitLeft
// when something was left: unconvertible, changed meanwhile, unreadable.
func (r *ConvertReport) ExitCode() int {
	if r.Unconvertible > 0 || r.ChangedMeanwhile > 0 || len(r.Unreadable) > 0 {
		return ExitLeft
	}
	return ExitOK
}

// ConvertSerializer rewrites, in place, every stored session_data that
// PickleSerializer wrote as JSONSerializer data signed with the current
// SECRET_KEY, which Django 5.0 and later (JSONSerializer only) read. The
// target's settings describe the site as it is: its keys (data signed
// under a fallback is read, and re-signed with the current key), its
// version; they must set AllowPickleSerializer, the opt-in to reading
// pickle, whatever SessionSerializer they name.
//
// A session is rewritten only when JSON carries every value it holds as
// the same Python value (django.PickleOnlyTypes is empty); one holding a
// datetime, a set, a tuple, bytes, a Decimal, a UUID... is left untouched
// and counted by type. Each write is conditional on the data read
// (db.Store.Replace, file.Store.Replace): a session Django saved meanwhile
// keeps Django's data and is counted as changed meanwhile. Expired
// sessions, JSON data and data that does not decode are left as they are.
// For cached_db (Target.Cache), the cache copy of each rewritten session
// is dropped.
//
// The sessions are read in batches of opts.Batch(), so memory stays
// bounded whatever their number. An error is returned only for a failure
// of the store (django.ErrBackend) or the configuration
// (django.ErrImproperlyConfigured); the report so far comes with it.
func ConvertSerializer(ctx context.Context, t Target, opts Options) (*ConvertReport, error) {
	r := &ConvertReport{Engine: t.engine(), To: "json", DryRun: opts.DryRun}
	rw := newRewrite("convert-serializer", t, opts, rewriteFields{
		Seen: &r.Seen, Empty: &r.Empty, ChangedMeanwhile: &r.ChangedMeanwhile,
		CacheCopiesDropped: &r.CacheCopiesDropped, Unreadable: &r.Unreadable,
		Examples: &r.Examples, Seconds: &r.Seconds,
	})
	settings, err := t.settings("convert-serializer")
	if err != nil {
		return r, err
	}
	if settings.SessionEngine == django.EngineSignedCookies {
		return r, fmt.Errorf("%w: %w", django.ErrImproperlyConfigured, ErrSignedCookies)
	}
	if !settings.AllowPickleSerializer {
		return r, fmt.Errorf("%w: convert-serializer reads PickleSerializer data: set Settings.AllowPickleSerializer (--allow-pickle)", django.ErrImproperlyConfigured)
	}
	settings = quiet(settings)
	readPickle := settings
	readPickle.SessionSerializer = django.PickleSerializer
	if readPickle.Version().AtLeast(5, 0) {
		// The data was written by 4.2 or earlier; 5.x signs alike.
		readPickle.DjangoVersion = django.Django42
	}
	writeJSON := settings
	writeJSON.SessionSerializer = django.JSONSerializer
	pickleCodec, err := django.NewCodec(readPickle)
	if err != nil {
		return r, err
	}
	jsonCodec, err := django.NewCodec(writeJSON)
	if err != nil {
		return r, err
	}
	err = t.each(ctx, opts, func(s rawSession) error {
		if rw.skip(s) {
			return nil
		}
		if d, err := jsonCodec.Decode(s.data); err == nil {
			if exp, err := t.expired(&settings, s, d); err == nil && exp {
				r.Expired++
			} else {
				r.AlreadyJSON++
			}
			return nil
		}
		d, err := pickleCodec.Decode(s.data)
		if err != nil {
			d = nil
		}
		if exp, eerr := t.expired(&settings, s, d); eerr == nil && exp {
			r.Expired++
			return nil
		}
		if err != nil {
			rw.unreadable.add(unreadableReason(err), s.key)
			return nil
		}
		if types := django.PickleOnlyTypes(d); len(types) > 0 {
			r.Unconvertible++
			if r.ByType == nil {
				r.ByType = map[string]int64{}
			}
			for _, ty := range types {
				r.ByType[ty]++
				rw.example("unconvertible: "+ty, s.key)
			}
			return nil
		}
		data, err := jsonCodec.Encode(d)
		if err != nil {
			// Decoded from a pickle within the limits, yet not writable as
			// JSON within them: leave it, and say why.
			rw.unreadable.add("not writable as JSON within the limits", s.key)
			return nil
		}
		if opts.DryRun {
			r.Converted++
			return nil
		}
		return rw.write(ctx, s, data, func() { r.Converted++ }, nil)
	})
	return r, rw.finish(ctx, err)
}
