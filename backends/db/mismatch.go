package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/pydatetime"
)

// On MySQL and SQLite, expire_date is a naive wall clock in UTC (USE_TZ)
// or TIME_ZONE. A service whose USE_TZ or TIME_ZONE differ from Django's
// reads every expire_date hours off, and judges live sessions expired: the
// user is anonymous to it, and its next save would replace the browser's
// Django login with a new session. The session_data of the same row says
// when Django wrote it (TimestampSigner's timestamp), so the row itself
// tells a real expiry from a misread one.

// notFound is what Load answers when no live row matched key: ErrNotFound,
// or, when a row is there and its own data says it is live, an error
// wrapping django.ErrExpiryMismatch that names the settings. PostgreSQL
// stores instants, which no zone setting can misread: one query, as Django.
func (s *Store) notFound(ctx context.Context, key string) error {
	if s.dialect == Postgres {
		return django.ErrNotFound
	}
	type row struct {
		data string
		raw  any
	}
	r, err := bounded(ctx, func() (row, error) {
		var r row
		err := s.db.QueryRowContext(ctx, s.qLoadAny, key).Scan(&r.data, &r.raw)
		return r, err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return django.ErrNotFound
	}
	if err != nil {
		return backendErr("load", err)
	}
	return s.expiryMismatch(r.data, r.raw)
}

// expiryMismatch compares a row's expire_date with when its session_data
// says the session expires; it returns ErrNotFound when they agree that
// the session is expired (or the data cannot tell).
func (s *Store) expiryMismatch(data string, raw any) error {
	stored, err := s.readTime(raw)
	if err != nil {
		return django.ErrNotFound
	}
	session, err := s.codec.Decode(data)
	if err != nil {
		return django.ErrNotFound
	}
	signed, err := s.codec.SignedAt(data)
	if err != nil {
		return django.ErrNotFound
	}
	meant, err := s.settings.ExpiryDate(session, signed)
	if err != nil || !meant.After(s.settings.Now()) || !zoneOffset(stored.Sub(meant)) {
		return django.ErrNotFound
	}
	zone := "UTC (USE_TZ = True)"
	if !s.settings.UseTZ {
		zone = fmt.Sprintf("TIME_ZONE %q (USE_TZ = False)", s.settings.TimeZone)
	}
	return fmt.Errorf("%w: db: expire_date %s, read as %s, says the session expired, but its session_data was signed at %s "+
		"and lives until %s (%s off): do USE_TZ and TIME_ZONE match Django's?",
		django.ErrExpiryMismatch, pydatetime.Str(stored.In(s.zone)), zone,
		signed.UTC().Format(time.RFC3339), meant.UTC().Format(time.RFC3339), meant.Sub(stored).Round(time.Minute))
}

// zoneOffset reports whether d, how far a row's expire_date is from when
// its own data says it expires, is what a zone setting unlike Django's
// makes of it: a non-zero whole number of quarter hours (every zone's
// offset is), at most 26 hours (UTC-12 to UTC+14), give or take the
// second that the signing timestamp truncates. Anything else (an
// expire_date set by hand to end a session, a custom store) is a real
// expiry, as Django judges it.
func zoneOffset(d time.Duration) bool {
	q := d.Round(15 * time.Minute)
	slack := d - q
	return q != 0 && q.Abs() <= 26*time.Hour && slack.Abs() <= 3*time.Second
}
