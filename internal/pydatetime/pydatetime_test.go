package pydatetime

import (
	"errors"
	"testing"
	"time"
)

// The expected texts are what CPython prints: str(datetime(...)),
// datetime(...).isoformat(), datetime.fromisoformat(...).

func TestStr(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 12, 11, 15, 4, 58, 81970000, time.UTC), "2026-12-11 15:04:58.081970"},
		{time.Date(2026, 11, 28, 15, 3, 53, 0, time.UTC), "2026-11-28 15:03:53"},
		{time.Date(2026, 11, 28, 15, 3, 53, 999, time.UTC), "2026-11-28 15:03:53"},
		{time.Date(2026, 11, 28, 15, 3, 53, 1000, time.UTC), "2026-11-28 15:03:53.000001"},
		{time.Date(999, 1, 2, 3, 4, 5, 0, time.UTC), "0999-01-02 03:04:05"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01 00:00:00"},
	} {
		if got := Str(c.t); got != c.want {
			t.Errorf("Str(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestISOFormat(t *testing.T) {
	wall := time.Date(2026, 12, 11, 15, 4, 58, 81970000, time.UTC)
	for _, c := range []struct {
		d    Datetime
		want string
	}{
		{Datetime{Wall: wall}, "2026-12-11T15:04:58.081970"},
		{Datetime{Wall: wall.Truncate(time.Second), Aware: true}, "2026-12-11T15:04:58+00:00"},
		{Datetime{Wall: wall, Aware: true, Offset: 5*3600 + 30*60}, "2026-12-11T15:04:58.081970+05:30"},
		{Datetime{Wall: wall, Aware: true, Offset: -(6*3600 + 7)}, "2026-12-11T15:04:58.081970-06:00:07"},
	} {
		if got := c.d.ISOFormat(); got != c.want {
			t.Errorf("%+v.ISOFormat() = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestAppendSigns: fields outside Python's ranges (a pickle.Datetime built
// in Go is not validated before String) print as %0*d prints them.
func TestAppendSigns(t *testing.T) {
	if got := string(AppendDate(nil, -5, 1, 2)); got != "-005-01-02" {
		t.Errorf("AppendDate(-5) = %q", got)
	}
	if got := string(AppendClock(nil, 3, 4, 5, 7)); got != "03:04:05.000007" {
		t.Errorf("AppendClock = %q", got)
	}
	if got := string(AppendOffset(nil, 0)); got != "+00:00" {
		t.Errorf("AppendOffset(0) = %q", got)
	}
}

func TestParse(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	for _, c := range []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"2026-12-11 15:04:58.08197", time.UTC, time.Date(2026, 12, 11, 15, 4, 58, 81970000, time.UTC)},
		{"2026-12-11 15:04:58", time.UTC, time.Date(2026, 12, 11, 15, 4, 58, 0, time.UTC)},
		{"2026-12-11 09:04:58.000001", chicago, time.Date(2026, 12, 11, 9, 4, 58, 1000, chicago)},
		{"2026-12-11T09:04:58", chicago, time.Date(2026, 12, 11, 9, 4, 58, 0, chicago)},
		{"2026-12-11 15:05:01.926843+00", chicago, time.Date(2026, 12, 11, 15, 5, 1, 926843000, time.UTC)},
		{"2026-12-11 09:05:06.65549-06", time.UTC, time.Date(2026, 12, 11, 15, 5, 6, 655490000, time.UTC)},
		{"2026-12-11 14:13:24.521455999+00:00", chicago, time.Date(2026, 12, 11, 14, 13, 24, 521455000, time.UTC)},
		{"2026-12-11T14:13:24Z", chicago, time.Date(2026, 12, 11, 14, 13, 24, 0, time.UTC)},
		{"2026-12-11T14:13:24+05:30", time.UTC, time.Date(2026, 12, 11, 8, 43, 24, 0, time.UTC)},
		{"2026-12-11", chicago, time.Date(2026, 12, 11, 0, 0, 0, 0, chicago)},
		{"2024-02-29T23", time.UTC, time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC)},
	} {
		d, err := Parse(c.in)
		if got := d.Time(c.loc); err != nil || !got.Equal(c.want) {
			t.Errorf("Parse(%q).Time = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{
		"yesterday", "2026-13-01", "2023-02-29", "2026-12-11T", "2026-12-11T24:00",
		"2026-12-11T1:00", "2026-12-11T10:00.5", "2026-12-11T10:00:00:00", "2026-12-11T10:00:00+05:30.5",
		"2026-12-11T10:00:00+", "2026-12-11T10:00:00Zx", "2026-12-11T10:0a", "+026-12-11",
	} {
		if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", in, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	loc := time.FixedZone("", -(3*3600 + 30*60))
	for _, tm := range []time.Time{
		time.Date(2026, 12, 11, 15, 4, 58, 81970000, time.UTC),
		time.Date(2026, 12, 11, 15, 4, 58, 0, loc),
	} {
		d := FromAwareTime(tm)
		back, err := Parse(d.ISOFormat())
		if err != nil || back != d || !back.Time(nil).Equal(tm) {
			t.Errorf("%v: Parse(%q) = %+v, %v; want %+v", tm, d.ISOFormat(), back, err, d)
		}
	}
}

func TestSub(t *testing.T) {
	base := time.Date(2026, 3, 8, 1, 30, 0, 0, time.UTC)
	naive := Datetime{Wall: base}
	if got, err := naive.Add(time.Hour).Sub(naive); err != nil || got != time.Hour {
		t.Errorf("naive Sub = %v, %v", got, err)
	}
	utc := FromTime(base, true, time.UTC)
	east := FromAwareTime(base.In(time.FixedZone("", 3600)))
	if got, err := east.Sub(utc); err != nil || got != 0 {
		t.Errorf("aware Sub across offsets = %v, %v; want 0", got, err)
	}
	if _, err := utc.Sub(naive); !errors.Is(err, ErrMixed) {
		t.Errorf("aware - naive = %v, want ErrMixed", err)
	}
}

func TestFromTimeNaive(t *testing.T) {
	loc := time.FixedZone("", -6*3600)
	d := FromTime(time.Date(2026, 12, 11, 15, 4, 58, 123456789, time.UTC), false, loc)
	if d.Aware || d.ISOFormat() != "2026-12-11T09:04:58.123456" {
		t.Errorf("FromTime naive = %+v (%s)", d, d.ISOFormat())
	}
}

// TestAllocations: the db store formats and parses expire_date on every
// save and load; both stay within one allocation (the returned string).
func TestAllocations(t *testing.T) {
	tm := time.Date(2026, 12, 11, 15, 4, 58, 81970000, time.UTC)
	if n := testing.AllocsPerRun(100, func() { _ = Str(tm) }); n > 1 {
		t.Errorf("Str: %v allocations, want at most 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Parse("2026-12-11 15:05:01.926843+00") }); n > 1 {
		t.Errorf("Parse: %v allocations, want at most 1", n)
	}
}

// FuzzParse: any text is a datetime or ErrSyntax, never a panic, and a
// datetime read back from its own isoformat() is the same datetime.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-12-11 15:04:58.08197", "2026-12-11T14:13:24+05:30", "2026-12-11", "2026-12-11x01:02:03,5-06:00:07", "2026-12-11T1é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q): %v, not ErrSyntax", s, err)
			}
			return
		}
		back, err := Parse(d.ISOFormat())
		if err != nil || back != d {
			t.Fatalf("Parse(%q) = %+v; its isoformat %q reads as %+v, %v", s, d, d.ISOFormat(), back, err)
		}
	})
}
