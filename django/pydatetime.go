package django

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// pyDatetime is a Python datetime.datetime as Django's expiry code sees it:
// a wall-clock reading, aware (with a UTC offset) or naive. Python subtracts
// naive datetimes on the wall clock and refuses to mix the two kinds; Go's
// time.Time cannot express that, so expiry arithmetic goes through this.
type pyDatetime struct {
	wall   time.Time // the wall-clock fields, held in time.UTC
	aware  bool
	offset int // seconds east of UTC, when aware
}

// fromTime reads t as Django's timezone.now() would give it: aware UTC when
// USE_TZ is on, naive local time in TIME_ZONE when it is off. Python keeps
// microseconds, so nanoseconds are dropped.
func fromTime(t time.Time, useTZ bool, loc *time.Location) pyDatetime {
	t = t.Truncate(time.Microsecond)
	if useTZ {
		return pyDatetime{wall: t.UTC(), aware: true}
	}
	l := t.In(loc)
	return pyDatetime{wall: time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)}
}

// fromAwareTime keeps t's own offset, as a Python datetime with a tzinfo does.
func fromAwareTime(t time.Time) pyDatetime {
	t = t.Truncate(time.Microsecond)
	_, off := t.Zone()
	w := t.In(time.FixedZone("", off))
	return pyDatetime{
		wall:   time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC),
		aware:  true,
		offset: off,
	}
}

// Time returns d as a time.Time: aware datetimes at their offset, naive ones
// on the wall clock of loc.
func (d pyDatetime) Time(loc *time.Location) time.Time {
	w := d.wall
	if d.aware {
		zone := time.UTC
		if d.offset != 0 {
			zone = time.FixedZone("", d.offset)
		}
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), zone)
	}
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
}

// add is datetime + timedelta: wall-clock arithmetic, offset kept.
func (d pyDatetime) add(delta time.Duration) pyDatetime {
	d.wall = d.wall.Add(delta)
	return d
}

// errMixedDatetimes is Python's "can't subtract offset-naive and
// offset-aware datetimes".
var errMixedDatetimes = errors.New("can't subtract offset-naive and offset-aware datetimes")

// sub is a - b, as Python computes it.
func (a pyDatetime) sub(b pyDatetime) (time.Duration, error) {
	if a.aware != b.aware {
		return 0, errMixedDatetimes
	}
	d := a.wall.Sub(b.wall)
	if a.aware {
		d -= time.Duration(a.offset-b.offset) * time.Second
	}
	return d, nil
}

// isoformat is datetime.isoformat(): microseconds only when non-zero, and
// the offset as +HH:MM (with :SS when it has seconds) on aware datetimes.
func (d pyDatetime) isoformat() string {
	w := d.wall
	b := make([]byte, 0, 32)
	b = fmt.Appendf(b, "%04d-%02d-%02dT%02d:%02d:%02d", w.Year(), int(w.Month()), w.Day(), w.Hour(), w.Minute(), w.Second())
	if us := w.Nanosecond() / 1000; us != 0 {
		b = fmt.Appendf(b, ".%06d", us)
	}
	if d.aware {
		off := d.offset
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		b = fmt.Appendf(b, "%c%02d:%02d", sign, off/3600, off/60%60)
		if off%60 != 0 {
			b = fmt.Appendf(b, ":%02d", off%60)
		}
	}
	return string(b)
}

// parseISODatetime is datetime.fromisoformat as Python 3.11+ reads the
// strings Django writes and their common variants: YYYY-MM-DD, any one
// separator character, HH[:MM[:SS[.fraction]]], and an optional Z or
// ±HH[:MM[:SS[.ffffff]]] offset. A date alone is midnight.
func parseISODatetime(s string) (pyDatetime, error) {
	bad := func() (pyDatetime, error) {
		return pyDatetime{}, fmt.Errorf("Invalid isoformat string: %q", s)
	}
	num := func(t string) (int, bool) {
		n := 0
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return 0, false
			}
			n = n*10 + int(t[i]-'0')
		}
		return n, len(t) > 0
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return bad()
	}
	var hour, minute, sec, nsec int
	var d pyDatetime
	rest := ""
	if len(s) > 10 {
		rest = string([]rune(s[10:])[1:])
		if len([]rune(s[10:])) < 2 {
			return bad()
		}
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
		if hour, minute, sec, nsec, ok = parseISOTime(tpart, true); !ok {
			return bad()
		}
		if zpart != "" {
			d.aware = true
			if zpart != "Z" {
				h, m, s2, ns, ok := parseISOTime(zpart[1:], false)
				if !ok || ns%1000 != 0 {
					return bad()
				}
				off := h*3600 + m*60 + s2
				if off >= 86400 {
					return bad()
				}
				if zpart[0] == '-' {
					off = -off
				}
				d.offset = off
				if ns != 0 {
					// Sub-second offsets exist in Python but never in
					// Django's data; refuse rather than round.
					return bad()
				}
			}
		}
	}
	d.wall = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return d, nil
}

// parseISOTime reads HH[:MM[:SS[.fraction]]] (fractions of any length are
// truncated to microseconds, as Python 3.11 does).
func parseISOTime(t string, allowFraction bool) (h, m, s, ns int, ok bool) {
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
	parts := splitColon(t)
	if len(parts) == 0 || len(parts) > 3 {
		return 0, 0, 0, 0, false
	}
	vals := [3]int{}
	for i, p := range parts {
		if len(p) != 2 {
			return 0, 0, 0, 0, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || p[0] == '+' || p[0] == '-' {
			return 0, 0, 0, 0, false
		}
		vals[i] = n
	}
	if frac != "" {
		if len(parts) != 3 {
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

func splitColon(t string) []string {
	var parts []string
	start := 0
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == ':' {
			parts = append(parts, t[start:i])
			start = i + 1
		}
	}
	return parts
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
