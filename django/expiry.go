package django

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/djsession/djsession/internal/pydatetime"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// ExpiryKey is the session key where set_expiry keeps a custom expiry.
const ExpiryKey = "_session_expiry"

// The value under _session_expiry is one of (Django's set_expiry):
//   - absent: the session lasts SESSION_COOKIE_AGE from its last save;
//   - an int (or float) number of seconds of inactivity; 0 means "until the
//     browser closes";
//   - (Django 4.2+) an ISO-8601 datetime string, the moment it expires.
//
// The functions below reproduce get_expiry_age, get_expiry_date and
// get_expire_at_browser_close for a session dict.

// ExpiryAge is SessionBase.get_expiry_age(modification=modification): the
// number of seconds, from modification, that the session has left. With no
// custom expiry (or 0) it is SESSION_COOKIE_AGE; with a number of seconds,
// that number; with a datetime, the difference floored to whole seconds
// (negative once it has passed). A float expiry is truncated as Django's
// cookie and cache code truncate it with int().
//
// It fails with ErrBadExpiry where Django raises: a datetime string on
// Django 3.2, a datetime that is naive where USE_TZ makes modification
// aware (or the reverse), a value that is not a number or a string.
func (s *Settings) ExpiryAge(session *pyjson.Dict, modification time.Time) (int64, error) {
	expiry, _ := session.Get(ExpiryKey)
	return s.expiryAge(expiry, modification)
}

// ExpiryAgeOf is get_expiry_age(modification=modification, expiry=expiry)
// for an explicit expiry: any stored form of _session_expiry, or a
// time.Time, which stands for a Python datetime (aware when USE_TZ is on,
// TIME_ZONE wall clock when it is off). The file store computes its expiry
// this way from a file's modification time.
func (s *Settings) ExpiryAgeOf(expiry any, modification time.Time) (int64, error) {
	return s.expiryAge(expiry, modification)
}

func (s *Settings) expiryAge(expiry any, modification time.Time) (int64, error) {
	if !pyjson.Truthy(expiry) {
		return s.SessionCookieAge, nil
	}
	if dt, ok := expiry.(pickle.Datetime); ok {
		// Django 3.2's set_expiry(datetime) keeps the datetime, which the
		// cache engine pickles: aware, or naive in TIME_ZONE.
		loc, err := s.Location()
		if err != nil {
			return 0, err
		}
		t, err := dt.GoTime(loc)
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrBadExpiry, err)
		}
		d := pydatetime.FromAwareTime(t)
		if !dt.IsAware() {
			d = pydatetime.FromTime(t, false, loc)
		}
		return floorSeconds(d, s, modification)
	}
	if t, ok := expiry.(time.Time); ok {
		loc, err := s.Location()
		if err != nil {
			return 0, err
		}
		return floorSeconds(pydatetime.FromTime(t, s.UseTZ, loc), s, modification)
	}
	if str, ok := expiry.(string); ok {
		if !s.Version().AtLeast(4, 2) {
			return 0, fmt.Errorf("%w: Django %s cannot read the datetime string %q", ErrBadExpiry, s.Version(), str)
		}
		exp, err := pydatetime.Parse(str)
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrBadExpiry, err)
		}
		return floorSeconds(exp, s, modification)
	}
	return seconds(expiry)
}

// floorSeconds is delta.days*86400 + delta.seconds for delta = exp -
// modification: the floor of the difference in seconds.
func floorSeconds(exp pydatetime.Datetime, s *Settings, modification time.Time) (int64, error) {
	mod, err := s.pyNow(modification)
	if err != nil {
		return 0, err
	}
	d, err := exp.Sub(mod)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadExpiry, err)
	}
	sec := int64(d / time.Second)
	if d%time.Second < 0 {
		sec--
	}
	return sec, nil
}

// seconds reads a numeric expiry as int() of it.
func seconds(expiry any) (int64, error) {
	switch v := expiry.(type) {
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case int64:
		return v, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1<<63 {
			return 0, fmt.Errorf("%w: %v seconds", ErrBadExpiry, v)
		}
		return int64(v), nil
	case *big.Int:
		if v.IsInt64() {
			return v.Int64(), nil
		}
	}
	return 0, fmt.Errorf("%w: a %s", ErrBadExpiry, pyjson.TypeName(expiry))
}

// ExpiryDate is SessionBase.get_expiry_date(modification=modification): the
// moment the session expires. A datetime expiry is returned as stored (a
// naive one on the wall clock of TIME_ZONE); otherwise it is modification
// plus the expiry in seconds, or plus SESSION_COOKIE_AGE. With USE_TZ off,
// the result is naive local time in TIME_ZONE, as Django computes it.
func (s *Settings) ExpiryDate(session *pyjson.Dict, modification time.Time) (time.Time, error) {
	expiry, _ := session.Get(ExpiryKey)
	return s.expiryDate(expiry, modification)
}

// ExpiryDateWall is ExpiryDate as the wall clock Django writes to a
// database column without a time zone (MySQL's datetime(6), SQLite's
// text): in UTC when USE_TZ is on; when it is off, Django's naive local
// datetime, whose fields the returned time carries in time.UTC. The two
// differ from ExpiryDate only for a naive time that does not exist in
// TIME_ZONE (the hour skipped when clocks go forward), which Python keeps
// and time.Time would move.
func (s *Settings) ExpiryDateWall(session *pyjson.Dict, modification time.Time) (time.Time, error) {
	expiry, _ := session.Get(ExpiryKey)
	d, err := s.expiryDatetime(expiry, modification)
	if err != nil {
		return time.Time{}, err
	}
	if d.Aware {
		return d.Wall.Add(-time.Duration(d.Offset) * time.Second), nil
	}
	return d.Wall, nil
}

func (s *Settings) expiryDate(expiry any, modification time.Time) (time.Time, error) {
	loc, err := s.Location()
	if err != nil {
		return time.Time{}, err
	}
	d, err := s.expiryDatetime(expiry, modification)
	if err != nil {
		return time.Time{}, err
	}
	return d.Time(loc), nil
}

// expiryDatetime is get_expiry_date as the Python datetime it returns.
func (s *Settings) expiryDatetime(expiry any, modification time.Time) (pydatetime.Datetime, error) {
	if str, ok := expiry.(string); ok && str != "" {
		if !s.Version().AtLeast(4, 2) {
			return pydatetime.Datetime{}, fmt.Errorf("%w: Django %s cannot read the datetime string %q", ErrBadExpiry, s.Version(), str)
		}
		exp, err := pydatetime.Parse(str)
		if err != nil {
			return pydatetime.Datetime{}, fmt.Errorf("%w: %v", ErrBadExpiry, err)
		}
		return exp, nil
	}
	var delta time.Duration
	if !pyjson.Truthy(expiry) {
		delta = time.Duration(s.SessionCookieAge) * time.Second
	} else if f, ok := expiry.(float64); ok {
		// timedelta(seconds=f) rounds to microseconds, half to even.
		us := math.RoundToEven(f * 1e6)
		if math.IsNaN(us) || math.Abs(us) > math.MaxInt64/1000 {
			return pydatetime.Datetime{}, fmt.Errorf("%w: %v seconds", ErrBadExpiry, f)
		}
		delta = time.Duration(us) * time.Microsecond
	} else {
		n, err := seconds(expiry)
		if err != nil {
			return pydatetime.Datetime{}, err
		}
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return pydatetime.Datetime{}, fmt.Errorf("%w: %d seconds", ErrBadExpiry, n)
		}
		delta = time.Duration(n) * time.Second
	}
	mod, err := s.pyNow(modification)
	if err != nil {
		return pydatetime.Datetime{}, err
	}
	return mod.Add(delta), nil
}

// ExpireAtBrowserClose is SessionBase.get_expire_at_browser_close: with no
// custom expiry, SESSION_EXPIRE_AT_BROWSER_CLOSE; otherwise whether the
// expiry equals 0 (0, 0.0 and False all do).
func (s *Settings) ExpireAtBrowserClose(session *pyjson.Dict) bool {
	expiry, ok := session.Get(ExpiryKey)
	if !ok || expiry == nil {
		return s.SessionExpireAtBrowserClose
	}
	switch v := expiry.(type) {
	case bool:
		return !v
	case int64:
		return v == 0
	case float64:
		return v == 0
	case *big.Int:
		return v.Sign() == 0
	}
	return false
}

// SetExpiry is SessionBase.set_expiry(value) on session:
//   - nil removes the custom expiry;
//   - an integer (any Go integer type) or float64 is a number of seconds of
//     inactivity, 0 meaning "until the browser closes";
//   - a time.Time is the moment of expiry and a time.Duration is that long
//     from now: Django 4.2+ stores them as an ISO-8601 string (aware, at
//     the time's own offset, when USE_TZ is on; naive TIME_ZONE wall clock
//     when it is off). Django 3.2 keeps the datetime object, which its JSON
//     serializer cannot save: that is ErrNotSerializable here.
//
// now is the clock reading that a Duration is added to.
func (s *Settings) SetExpiry(session *pyjson.Dict, value any, now time.Time) error {
	var stored any
	switch v := value.(type) {
	case nil:
		session.Delete(ExpiryKey)
		return nil
	case time.Duration:
		mod, err := s.pyNow(now)
		if err != nil {
			return err
		}
		if !s.Version().AtLeast(4, 2) {
			return fmt.Errorf("%w: Django 3.2 stores a datetime expiry as a datetime, which JSON cannot hold", ErrNotSerializable)
		}
		stored = mod.Add(v.Truncate(time.Microsecond)).ISOFormat()
	case time.Time:
		if !s.Version().AtLeast(4, 2) {
			return fmt.Errorf("%w: Django 3.2 stores a datetime expiry as a datetime, which JSON cannot hold", ErrNotSerializable)
		}
		if s.UseTZ {
			stored = pydatetime.FromAwareTime(v).ISOFormat()
		} else {
			loc, err := s.Location()
			if err != nil {
				return err
			}
			stored = pydatetime.FromTime(v, false, loc).ISOFormat()
		}
	case int:
		stored = int64(v)
	case int8:
		stored = int64(v)
	case int16:
		stored = int64(v)
	case int32:
		stored = int64(v)
	case int64:
		stored = v
	case uint8:
		stored = int64(v)
	case uint16:
		stored = int64(v)
	case uint32:
		stored = int64(v)
	case float64, *big.Int:
		stored = v
	default:
		return fmt.Errorf("%w: set_expiry(%T)", ErrBadExpiry, value)
	}
	session.Set(ExpiryKey, stored)
	return nil
}

// pyNow is timezone.now() for the clock reading t.
func (s *Settings) pyNow(t time.Time) (pydatetime.Datetime, error) {
	loc, err := s.Location()
	if err != nil {
		return pydatetime.Datetime{}, err
	}
	return pydatetime.FromTime(t, s.UseTZ, loc), nil
}
