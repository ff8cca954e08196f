package pickle

import (
	"fmt"
	"time"

	"github.com/djsession/djsession/internal/pydatetime"
)

// Datetime is a Python datetime.datetime. TZ is nil for a naive datetime
// (Django with USE_TZ=False, or Django 3.2's stored _session_expiry when
// naive), or one of Timezone, PytzUTC, PytzZone, ZoneInfo.
//
// The fields are Python's, unvalidated when built in Go: Marshal checks the
// ranges (year 1–9999, a real day of the month, hour < 24...) and Unmarshal
// refuses a state outside them. Fold is PEP 495's fold (0 or 1); it only
// survives protocols 4 and 5, as in CPython.
type Datetime struct {
	Year, Month, Day                  int
	Hour, Minute, Second, Microsecond int
	Fold                              int
	TZ                                TZInfo
}

// Date is a Python datetime.date.
type Date struct{ Year, Month, Day int }

// Time is a Python datetime.time (a time of day), with an optional TZ.
type Time struct {
	Hour, Minute, Second, Microsecond int
	Fold                              int
	TZ                                TZInfo
}

// Timedelta is a Python datetime.timedelta in Python's normalized form:
// 0 <= Seconds < 86400, 0 <= Microseconds < 1000000, |Days| <= 999999999,
// so timedelta(hours=-5) is {Days: -1, Seconds: 68400}.
type Timedelta struct{ Days, Seconds, Microseconds int }

// TZInfo is a tzinfo that a pickled session can carry. It is implemented by
// Timezone, PytzUTC, PytzZone and ZoneInfo only: any other tzinfo class in a
// pickle is refused.
type TZInfo interface {
	isTZInfo()
	// Location returns the zone as a *time.Location: fixed offsets become
	// time.FixedZone, UTC forms time.UTC, and ZoneInfo keys are loaded with
	// time.LoadLocation (which can fail on a machine without tzdata).
	Location() (*time.Location, error)
}

// Timezone is datetime.timezone: a fixed offset strictly between -24 and +24
// hours, with an optional name (timezone(offset, name)). The zero value is
// datetime.timezone.utc, which Django 4.0+ timezone.now() attaches.
type Timezone struct {
	Offset  Timedelta
	Name    string
	HasName bool
}

// UTC is datetime.timezone.utc.
var UTC = Timezone{}

// PytzUTC is pytz.utc (pytz.UTC), which Django 3.2's timezone.now() attaches.
// It is pickled as pytz._UTC().
type PytzUTC struct{}

// PytzZone is any other pytz zone, pickled as pytz._p(zone) for a static zone
// or pytz._p(zone, utcoffset, dst, tzname) for a localized one (offsets in
// seconds). Shape taken from pytz's source; no CPython-made vector covers it.
type PytzZone struct {
	Zone      string
	Static    bool // only Zone is pickled
	UTCOffset int  // seconds
	DST       int  // seconds
	TZName    string
}

// ZoneInfo is zoneinfo.ZoneInfo(Key), pickled as
// getattr(ZoneInfo, "_unpickle")(key, from_cache). NoCache is true for a
// ZoneInfo.no_cache(key) instance (from_cache = 0).
type ZoneInfo struct {
	Key     string
	NoCache bool
}

func (Timezone) isTZInfo() {}
func (PytzUTC) isTZInfo()  {}
func (PytzZone) isTZInfo() {}
func (ZoneInfo) isTZInfo() {}

// Location implements TZInfo.
func (z Timezone) Location() (*time.Location, error) {
	if z == UTC {
		return time.UTC, nil
	}
	name := z.Name
	if !z.HasName {
		name = utcName(z.Offset.totalSeconds())
	}
	return time.FixedZone(name, z.Offset.totalSeconds()), nil
}

// Location implements TZInfo.
func (PytzUTC) Location() (*time.Location, error) { return time.UTC, nil }

// Location implements TZInfo: the localized offset, or the zone for a static
// pytz zone.
func (z PytzZone) Location() (*time.Location, error) {
	if z.Static {
		return time.LoadLocation(z.Zone)
	}
	return time.FixedZone(z.TZName, z.UTCOffset), nil
}

// Location implements TZInfo.
func (z ZoneInfo) Location() (*time.Location, error) { return time.LoadLocation(z.Key) }

// utcName is the name Python's timezone gives a nameless offset: "UTC+05:30".
func utcName(sec int) string {
	return string(pydatetime.AppendOffset([]byte("UTC"), sec))
}

func (td Timedelta) totalSeconds() int { return td.Days*86400 + td.Seconds }

// TimedeltaOf converts a Go duration, truncating to microseconds (toward
// zero, like time.Duration.Microseconds), into Python's normalized form.
func TimedeltaOf(d time.Duration) Timedelta {
	us := d.Microseconds()
	days := us / 86400e6
	rem := us % 86400e6
	if rem < 0 {
		days--
		rem += 86400e6
	}
	return Timedelta{Days: int(days), Seconds: int(rem / 1e6), Microseconds: int(rem % 1e6)}
}

// Duration converts to a Go duration; ok is false if it does not fit
// (about ±292 years).
func (td Timedelta) Duration() (d time.Duration, ok bool) {
	const maxDays = (1<<63 - 1) / int64(24*time.Hour)
	if int64(td.Days) > maxDays || int64(td.Days) < -maxDays {
		return 0, false
	}
	return time.Duration(td.Days)*24*time.Hour + time.Duration(td.Seconds)*time.Second +
		time.Duration(td.Microseconds)*time.Microsecond, true
}

// String formats as Python's str(timedelta): "14 days, 0:00:05.000007".
func (td Timedelta) String() string {
	s := fmt.Sprintf("%d:%02d:%02d", td.Seconds/3600, td.Seconds/60%60, td.Seconds%60)
	if td.Microseconds != 0 {
		s += fmt.Sprintf(".%06d", td.Microseconds)
	}
	if td.Days != 0 {
		plural := "s"
		if td.Days == 1 || td.Days == -1 {
			plural = ""
		}
		s = fmt.Sprintf("%d day%s, %s", td.Days, plural, s)
	}
	return s
}

func (td Timedelta) valid() bool {
	return td.Days >= -999999999 && td.Days <= 999999999 && td.Seconds >= 0 && td.Seconds < 86400 &&
		td.Microseconds >= 0 && td.Microseconds < 1000000
}

// DatetimeOf converts a Go time to an aware Datetime: time.UTC becomes
// datetime.timezone.utc (what Django 4.0+ stores), any other location a
// fixed-offset datetime.timezone with the offset in effect at t (Go's zone
// names are not kept; set TZ to ZoneInfo{Key: ...} for a named zone).
// Nanoseconds are truncated to microseconds.
func DatetimeOf(t time.Time) Datetime {
	d := NaiveDatetimeOf(t)
	if t.Location() == time.UTC {
		d.TZ = UTC
		return d
	}
	_, off := t.Zone()
	d.TZ = Timezone{Offset: TimedeltaOf(time.Duration(off) * time.Second)}
	return d
}

// NaiveDatetimeOf returns the wall clock of t as a naive Datetime.
func NaiveDatetimeOf(t time.Time) Datetime {
	return Datetime{Year: t.Year(), Month: int(t.Month()), Day: t.Day(), Hour: t.Hour(),
		Minute: t.Minute(), Second: t.Second(), Microsecond: t.Nanosecond() / 1000}
}

// GoTime converts to a Go time. An aware datetime uses its TZ (Fold picks
// between the two instants of an ambiguous wall time, as in Python); a naive
// one is read as wall time in naive, and fails if naive is nil (Django's
// naive datetimes are in settings.TIME_ZONE, which only the caller knows).
func (d Datetime) GoTime(naive *time.Location) (time.Time, error) {
	loc := naive
	if d.TZ != nil {
		var err error
		if loc, err = d.TZ.Location(); err != nil {
			return time.Time{}, err
		}
	}
	if loc == nil {
		return time.Time{}, fmt.Errorf("pickle: naive datetime %s needs a location", d)
	}
	return wallToTime(d, loc), nil
}

// wallToTime resolves a wall time in loc with Python's fold rule: of two
// instants with that wall time, fold 0 is the earlier; in a gap, fold 0 uses
// the offset before the transition and fold 1 the one after.
func wallToTime(d Datetime, loc *time.Location) time.Time {
	wall := time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, d.Second, d.Microsecond*1000, time.UTC)
	_, before := wall.Add(-48 * time.Hour).In(loc).Zone()
	_, after := wall.Add(48 * time.Hour).In(loc).Zone()
	var valid []time.Time
	for _, off := range []int{before, after} {
		t := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if _, o := t.Zone(); o == off && (len(valid) == 0 || !valid[0].Equal(t)) {
			valid = append(valid, t)
		}
	}
	switch {
	case len(valid) == 2 && valid[1].Before(valid[0]):
		valid[0], valid[1] = valid[1], valid[0]
		fallthrough
	case len(valid) == 2:
		return valid[min(d.Fold, 1)]
	case len(valid) == 1:
		return valid[0]
	}
	off := before
	if d.Fold == 1 {
		off = after
	}
	return wall.Add(-time.Duration(off) * time.Second).In(loc)
}

// IsAware reports whether d has a tzinfo.
func (d Datetime) IsAware() bool { return d.TZ != nil }

// Date returns the date part, like Python's d.date().
func (d Datetime) Date() Date { return Date{d.Year, d.Month, d.Day} }

// String formats like Python's isoformat(): "2024-01-02T03:04:05.678901",
// with "+00:00" or the fixed offset appended for a Timezone, PytzUTC or
// localized PytzZone, and " [Key]" for a ZoneInfo (whose offset needs the
// tz database).
func (d Datetime) String() string {
	b := append(pydatetime.AppendDate(make([]byte, 0, 32), d.Year, d.Month, d.Day), 'T')
	b = pydatetime.AppendClock(b, d.Hour, d.Minute, d.Second, d.Microsecond)
	return string(b) + tzSuffix(d.TZ)
}

func tzSuffix(tz TZInfo) string {
	off := 0
	switch z := tz.(type) {
	case nil:
		return ""
	case Timezone:
		off = z.Offset.totalSeconds()
	case PytzZone:
		if z.Static {
			return " [" + z.Zone + "]"
		}
		off = z.UTCOffset
	case ZoneInfo:
		return " [" + z.Key + "]"
	}
	return utcName(off)[3:]
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date { return Date{t.Year(), int(t.Month()), t.Day()} }

// GoTime returns midnight of d in loc.
func (d Date) GoTime(loc *time.Location) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, loc)
}

// String formats like Python's isoformat(): "2024-02-29".
func (d Date) String() string { return string(pydatetime.AppendDate(nil, d.Year, d.Month, d.Day)) }

// String formats like Python's isoformat(): "03:04:05.678901[+00:00]".
func (t Time) String() string {
	return string(pydatetime.AppendClock(nil, t.Hour, t.Minute, t.Second, t.Microsecond)) + tzSuffix(t.TZ)
}

func validDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func validClock(h, m, s, us, fold int) bool {
	return h >= 0 && h < 24 && m >= 0 && m < 60 && s >= 0 && s < 60 && us >= 0 && us < 1000000 &&
		(fold == 0 || fold == 1)
}

// validTZ checks what Python's constructors would: a timezone offset
// strictly inside ±24h, a ZoneInfo key that names a zone file.
func validTZ(tz TZInfo) bool {
	switch z := tz.(type) {
	case nil, PytzUTC:
		return true
	case Timezone:
		s := z.Offset.totalSeconds()
		return z.Offset.valid() && s > -86400 && s < 86400 && (z.Offset.Days == 0 || z.Offset.Days == -1)
	case PytzZone:
		return z.Zone != ""
	case ZoneInfo:
		return validZoneKey(z.Key)
	}
	return false
}

// validZoneKey accepts an IANA-style key: relative, no "." or ".."
// component, printable ASCII without spaces or backslashes.
func validZoneKey(k string) bool {
	if k == "" || len(k) > 255 || k[0] == '/' || k[len(k)-1] == '/' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	for _, part := range splitSlash(k) {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

func splitSlash(s string) []string {
	var parts []string
	for {
		i := 0
		for i < len(s) && s[i] != '/' {
			i++
		}
		parts = append(parts, s[:i])
		if i == len(s) {
			return parts
		}
		s = s[i+1:]
	}
}
