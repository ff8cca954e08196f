// Package pydatetime is Python's datetime text, written and read in one
// place: isoformat() and str() of dates, times and datetimes, the +HH:MM
// offsets, and datetime.fromisoformat. The django package (the session's
// _session_expiry), the pickle package (Datetime, Date, Time) and the db
// store (expire_date on MySQL and SQLite) all go through it, so the three
// cannot drift apart. It imports nothing of this module, so pickle, on the
// lowest layer, can use it.
package pydatetime

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Datetime is a Python datetime.datetime as Django's expiry code sees it:
// a wall-clock reading, aware (with a UTC offset) or naive. Python
// subtracts naive datetimes on the wall clock and refuses to mix the two
// kinds; Go's time.Time cannot express that, so expiry arithmetic goes
// through this.
type Datetime struct {
	// Wall holds the wall-clock fields, in time.UTC.
	Wall time.Time
	// Aware is true when the datetime has a UTC offset.
	Aware bool
	// Offset is the UTC offset in seconds east, when Aware.
	Offset int
}

// FromTime reads t as Django's timezone.now() would give it: aware UTC when
// useTZ is on, naive local time in loc when it is off. Python keeps
// microseconds, so nanoseconds are dropped.
func FromTime(t time.Time, useTZ bool, loc *time.Location) Datetime {
	t = t.Truncate(time.Microsecond)
	if useTZ {
		return Datetime{Wall: t.UTC(), Aware: true}
	}
	return Datetime{Wall: wallUTC(t.In(loc))}
}

// FromAwareTime keeps t's own offset, as a Python datetime with a tzinfo
// does.
func FromAwareTime(t time.Time) Datetime {
	t = t.Truncate(time.Microsecond)
	_, off := t.Zone()
	return Datetime{Wall: wallUTC(t.In(time.FixedZone("", off))), Aware: true, Offset: off}
}

// wallUTC returns t's wall-clock fields in time.UTC.
func wallUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Time returns d as a time.Time: aware datetimes at their offset, naive
// ones on the wall clock of loc.
func (d Datetime) Time(loc *time.Location) time.Time {
	w := d.Wall
	if d.Aware {
		loc = time.UTC
		if d.Offset != 0 {
			loc = time.FixedZone("", d.Offset)
		}
	}
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
}

// Add is datetime + timedelta: wall-clock arithmetic, offset kept.
func (d Datetime) Add(delta time.Duration) Datetime {
	d.Wall = d.Wall.Add(delta)
	return d
}

// ErrMixed is Python's TypeError "can't subtract offset-naive and
// offset-aware datetimes".
var ErrMixed = errors.New("can't subtract offset-naive and offset-aware datetimes")

// ErrSyntax is Python's ValueError "Invalid isoformat string".
var ErrSyntax = errors.New("Invalid isoformat string")

// Sub is d - b, as Python computes it: on the wall clock for naive
// datetimes, on the instants for aware ones, ErrMixed for one of each.
func (d Datetime) Sub(b Datetime) (time.Duration, error) {
	if d.Aware != b.Aware {
		return 0, ErrMixed
	}
	delta := d.Wall.Sub(b.Wall)
	if d.Aware {
		delta -= time.Duration(d.Offset-b.Offset) * time.Second
	}
	return delta, nil
}

// ISOFormat is datetime.isoformat(): microseconds only when non-zero, and
// the offset as +HH:MM (with :SS when it has seconds) on aware datetimes.
func (d Datetime) ISOFormat() string {
	b := AppendWall(make([]byte, 0, 32), d.Wall, 'T')
	if d.Aware {
		b = AppendOffset(b, d.Offset)
	}
	return string(b)
}

// Str is str() of a naive datetime holding t's wall clock:
// "YYYY-MM-DD HH:MM:SS[.ffffff]", the fraction left out when the
// microsecond is 0. It is the text Django binds for a datetime on MySQL and
// SQLite. Convert t to the zone wanted first.
func Str(t time.Time) string {
	return string(AppendWall(make([]byte, 0, 26), t, ' '))
}

// AppendWall appends t's wall clock as isoformat(sep) of a naive datetime:
// date, sep, then AppendClock's text.
func AppendWall(b []byte, t time.Time, sep byte) []byte {
	b = AppendDate(b, t.Year(), int(t.Month()), t.Day())
	b = append(b, sep)
	return AppendClock(b, t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000)
}

// AppendDate appends date.isoformat(): "YYYY-MM-DD".
func AppendDate(b []byte, year, month, day int) []byte {
	b = pad(b, year, 4)
	b = append(b, '-')
	b = pad(b, month, 2)
	b = append(b, '-')
	return pad(b, day, 2)
}

// AppendClock appends time.isoformat() without its offset:
// "HH:MM:SS", then ".ffffff" when microsecond is not 0.
func AppendClock(b []byte, hour, minute, second, microsecond int) []byte {
	b = pad(b, hour, 2)
	b = append(b, ':')
	b = pad(b, minute, 2)
	b = append(b, ':')
	b = pad(b, second, 2)
	if microsecond != 0 {
		b = append(b, '.')
		b = pad(b, microsecond, 6)
	}
	return b
}

// AppendOffset appends a UTC offset of seconds as isoformat() and
// timezone's names write it: "+HH:MM", with ":SS" when it has seconds.
func AppendOffset(b []byte, seconds int) []byte {
	sign := byte('+')
	if seconds < 0 {
		sign, seconds = '-', -seconds
	}
	b = append(b, sign)
	b = pad(b, seconds/3600, 2)
	b = append(b, ':')
	b = pad(b, seconds/60%60, 2)
	if seconds%60 != 0 {
		b = append(b, ':')
		b = pad(b, seconds%60, 2)
	}
	return b
}

// pad appends n in decimal, zero-padded to width as Python's %0*d (and Go's
// %0*d) pad it: a sign counts in the width.
func pad(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		width--
	}
	var digits [24]byte
	s := strconv.AppendInt(digits[:0], int64(n), 10)
	if n < 0 {
		s = s[1:]
	}
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Parse is datetime.fromisoformat as Python 3.11+ reads the strings Django
// writes and their common variants: YYYY-MM-DD, any one separator
// character, HH[:MM[:SS[.fraction]]], and an optional Z or
// ±HH[:MM[:SS]] offset. A date alone is midnight. A fraction longer than
// six digits is truncated to microseconds, as Python does. Anything else
// is ErrSyntax.
func Parse(s string) (Datetime, error) {
	bad := func() (Datetime, error) {
		return Datetime{}, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return bad()
	}
	var hour, minute, sec, nsec int
	var d Datetime
	rest := ""
	if len(s) > 10 {
		after := []rune(s[10:])
		if len(after) < 2 {
			return bad()
		}
		rest = string(after[1:])
	}
	if rest != "" {
		// Split the time from the offset.
		tpart, zpart := rest, ""
		for i := 0; i < len(rest); i++ {
			if rest[i] == '+' || rest[i] == '-' || rest[i] == 'Z' {
				tpart, zpart = rest[:i], rest[i:]
				break
			}
		}
		var ok bool
		if hour, minute, sec, nsec, ok = parseClock(tpart, true); !ok {
			return bad()
		}
		if zpart != "" {
			d.Aware = true
			if zpart != "Z" {
				h, m, s2, ns, ok := parseClock(zpart[1:], false)
				// Sub-second offsets exist in Python but never in
				// Django's data; refuse rather than round.
				if !ok || ns != 0 {
					return bad()
				}
				off := h*3600 + m*60 + s2
				if zpart[0] == '-' {
					off = -off
				}
				d.Offset = off
			}
		}
	}
	d.Wall = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return d, nil
}

// digits reads a non-empty run of ASCII digits.
func digits(t string) (int, bool) {
	n := 0
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
		n = n*10 + int(t[i]-'0')
	}
	return n, len(t) > 0
}

// parseClock reads HH[:MM[:SS[.fraction]]] (fractions of any length are
// truncated to microseconds, as Python 3.11 does).
func parseClock(t string, allowFraction bool) (h, m, s, ns int, ok bool) {
	frac := ""
	for i := 0; i < len(t); i++ {
		if t[i] == '.' || t[i] == ',' {
			t, frac = t[:i], t[i+1:]
			if !allowFraction && frac == "" {
				return 0, 0, 0, 0, false
			}
			break
		}
	}
	var vals [3]int
	n := 0
	for part := range splitColon(t) {
		if n == len(vals) {
			return 0, 0, 0, 0, false
		}
		v, ok := digits(part)
		if !ok || len(part) != 2 {
			return 0, 0, 0, 0, false
		}
		vals[n] = v
		n++
	}
	if frac != "" {
		if n != 3 {
			return 0, 0, 0, 0, false
		}
		us := 0
		for i := 0; i < len(frac); i++ {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, 0, 0, 0, false
			}
			if i < 6 {
				us = us*10 + int(c-'0')
			}
		}
		for i := len(frac); i < 6; i++ {
			us *= 10
		}
		ns = us * 1000
	}
	h, m, s = vals[0], vals[1], vals[2]
	if h > 23 || m > 59 || s > 59 {
		return 0, 0, 0, 0, false
	}
	return h, m, s, ns, true
}

// splitColon yields the parts of t between colons (one empty part for an
// empty t).
func splitColon(t string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		start := 0
		for i := 0; i <= len(t); i++ {
			if i == len(t) || t[i] == ':' {
				if !yield(t[start:i]) {
					return
				}
				start = i + 1
			}
		}
	}
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
