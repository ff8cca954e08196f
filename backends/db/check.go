package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// DefaultCheckSample is how many rows Check reads: the most recently
// written ones (those that expire last).
const DefaultCheckSample = 50

// A SampledSession is one django_session row as Sample reads it.
type SampledSession struct {
	Key string
	// Data is the decoded session; nil when Err is set.
	Data *pyjson.Dict
	// Err is the codec's error for session_data that does not decode
	// under the configured keys and serializer.
	Err error
	// ExpireDate is expire_date as this store reads it (USE_TZ, TIME_ZONE).
	ExpireDate time.Time
	// SignedAt is when session_data was signed (zero for the pre-3.1
	// format, or when Err is set); Expected is when the session expires by
	// its own data: SignedAt plus its age (_session_expiry or
	// SESSION_COOKIE_AGE). A store configured as Django has ExpireDate
	// equal to Expected within a second.
	SignedAt, Expected time.Time
}

// Sample reads the n rows that expire last (the most recently saved, for
// sessions of the default age), expired or not, and decodes each.
func (s *Store) Sample(ctx context.Context, n int) ([]SampledSession, error) {
	if n <= 0 {
		n = DefaultCheckSample
	}
	rows, err := s.RecentRows(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]SampledSession, 0, len(rows))
	for _, r := range rows {
		ss := SampledSession{Key: r.Key, ExpireDate: r.ExpireDate}
		if ss.Data, ss.Err = s.codec.Decode(r.Data); ss.Err != nil {
			ss.Data = nil
			out = append(out, ss)
			continue
		}
		if t, err := s.codec.SignedAt(r.Data); err == nil {
			ss.SignedAt = t
			ss.Expected, _ = s.settings.ExpiryDate(ss.Data, t)
		}
		out = append(out, ss)
	}
	return out, nil
}

// Check is the start-up check of a service that shares django_session
// with Django: it samples the rows Django wrote last and returns an error
// wrapping django.ErrImproperlyConfigured, one line per setting that
// disagrees with them, or nil when they agree (or when there is nothing to
// tell: an empty table). It finds a SECRET_KEY (with its fallbacks) that
// signed none of them, a SESSION_SERIALIZER that decodes none of them, and
// expire_date values off from when the sessions were signed plus their age
// (USE_TZ, TIME_ZONE, SESSION_COOKIE_AGE). Call it once at start-up: with
// a wrong setting every session reads as anonymous, and a wrong zone makes
// ClearExpired delete live sessions.
func (s *Store) Check(ctx context.Context) error {
	sample, err := s.Sample(ctx, DefaultCheckSample)
	if err != nil {
		return err
	}
	return CheckSample(sample)
}

// CheckSample is Check's judgement of a sample (for stores built on this
// one, such as cached_db, which sample once for their own checks too).
func CheckSample(sample []SampledSession) error {
	var ok, badSig, malformed int
	var offsets []time.Duration
	for _, ss := range sample {
		switch {
		case ss.Err == nil:
			ok++
			if !ss.SignedAt.IsZero() {
				offsets = append(offsets, ss.ExpireDate.Sub(ss.Expected))
			}
		case errors.Is(ss.Err, signing.ErrBadSignature):
			badSig++
		default:
			malformed++
		}
	}
	var findings []error
	if ok == 0 && badSig > 0 {
		findings = append(findings, fmt.Errorf("%w: SECRET_KEY: none of the %d most recent sessions is signed with SECRET_KEY or SECRET_KEY_FALLBACKS "+
			"(or SessionStore class name: a subclass salts with its name): use Django's", django.ErrImproperlyConfigured, badSig))
	}
	if ok == 0 && malformed > 0 {
		findings = append(findings, fmt.Errorf("%w: SESSION_SERIALIZER: %d of the most recent sessions are signed with the configured keys but do not decode: "+
			"use Django's SESSION_SERIALIZER", django.ErrImproperlyConfigured, malformed))
	}
	if off, n := typicalOffset(offsets); n > len(offsets)/2 && (off > time.Minute || off < -time.Minute) {
		findings = append(findings, fmt.Errorf("%w: USE_TZ, TIME_ZONE, SESSION_COOKIE_AGE: expire_date of %d of the %d most recent sessions is %s off "+
			"from when they were signed plus their age: use Django's USE_TZ and TIME_ZONE (a whole number of hours off) or SESSION_COOKIE_AGE",
			django.ErrImproperlyConfigured, n, len(offsets), off))
	}
	return errors.Join(findings...)
}

// typicalOffset is the offset most rows share (to the minute) and how many
// share it; sessions given their own expiry by set_expiry agree with
// their data too, so any clear majority tells.
func typicalOffset(offsets []time.Duration) (time.Duration, int) {
	counts := map[time.Duration]int{}
	for _, o := range offsets {
		counts[o.Round(time.Minute)]++
	}
	var best time.Duration
	n := 0
	keys := make([]time.Duration, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if counts[k] > n {
			best, n = k, counts[k]
		}
	}
	return best, n
}
