package db

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/pydatetime"
)

// misconfigured returns a store on the SQLite file at path with Django's
// settings changed by f, at the clock *now.
func misconfigured(t *testing.T, sdb *sql.DB, now *time.Time, f func(*django.Settings)) *Store {
	t.Helper()
	s := django.DefaultSettings("mismatch-test-secret-key")
	s.SessionCookieAge = 3600
	s.Clock = func() time.Time { return *now }
	if f != nil {
		f(&s)
	}
	st, err := New(sdb, SQLite, s)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func sqliteFile(t *testing.T) *sql.DB {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	if err := CreateTable(ctx, sdb, SQLite); err != nil {
		t.Fatal(err)
	}
	return sdb
}

// Django (USE_TZ = True) writes a one-hour session; a service with USE_TZ
// off and TIME_ZONE nine hours east reads its expire_date as long past.
func TestExpiryMismatchOfAZoneSetting(t *testing.T) {
	sdb := sqliteFile(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	djangoSide := misconfigured(t, sdb, &now, nil)
	tokyo := misconfigured(t, sdb, &now, func(s *django.Settings) { s.UseTZ, s.TimeZone = false, "Asia/Tokyo" })
	const key = "abcdefghijklmnopqrstuvwxyz012345"
	if err := djangoSide.Save(ctx, key, dict("_auth_user_id", "1"), true); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Minute)
	_, err := tokyo.Load(ctx, key)
	if !errors.Is(err, django.ErrExpiryMismatch) || errors.Is(err, django.ErrNotFound) || !strings.Contains(err.Error(), "TIME_ZONE") {
		t.Fatalf("Load = %v, want ErrExpiryMismatch naming TIME_ZONE", err)
	}
	if _, _, err := tokyo.LoadWithExpiry(ctx, key); !errors.Is(err, django.ErrExpiryMismatch) {
		t.Fatalf("LoadWithExpiry = %v, want ErrExpiryMismatch", err)
	}
	if err := tokyo.Check(ctx); !errors.Is(err, django.ErrImproperlyConfigured) || !strings.Contains(err.Error(), "TIME_ZONE") {
		t.Fatalf("Check = %v, want a finding naming TIME_ZONE", err)
	}
	if err := djangoSide.Check(ctx); err != nil {
		t.Fatalf("Check with Django's settings = %v", err)
	}
	// Once the session has really expired, it is simply not found.
	now = now.Add(2 * time.Hour)
	if _, err := tokyo.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("an expired session: Load = %v, want ErrNotFound", err)
	}
}

// An expire_date set by hand to end a session is a real expiry.
func TestExpiryEndedByHandIsNotFound(t *testing.T) {
	sdb := sqliteFile(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	st := misconfigured(t, sdb, &now, nil)
	const key = "abcdefghijklmnopqrstuvwxyz012345"
	if err := st.Save(ctx, key, dict("a", int64(1)), true); err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec(`UPDATE django_session SET expire_date = ? WHERE session_key = ?`, pydatetime.Str(now.Add(-7*time.Minute-13*time.Second)), key); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("Load = %v, want ErrNotFound", err)
	}
}

func TestZoneOffset(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want bool
	}{
		{0, false}, {900 * time.Millisecond, false}, {9 * time.Hour, true}, {9*time.Hour + 1500*time.Millisecond, true},
		{-5*time.Hour - 30*time.Minute, true}, {5*time.Hour + 45*time.Minute, true}, {7*time.Minute + 13*time.Second, false},
		{27 * time.Hour, false}, {335 * time.Hour, false},
	} {
		if got := zoneOffset(c.d); got != c.want {
			t.Errorf("zoneOffset(%s) = %v, want %v", c.d, got, c.want)
		}
	}
}

func TestCheckFindsAnotherSecretKey(t *testing.T) {
	sdb := sqliteFile(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	djangoSide := misconfigured(t, sdb, &now, nil)
	other := misconfigured(t, sdb, &now, func(s *django.Settings) { s.SecretKey = "not-the-django-key" })
	if err := other.Check(ctx); err != nil {
		t.Fatalf("an empty table tells nothing: Check = %v", err)
	}
	for _, k := range []string{"abcdefghijklmnopqrstuvwxyz012345", "bbcdefghijklmnopqrstuvwxyz012345"} {
		if err := djangoSide.Save(ctx, k, dict("a", int64(1)), true); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Check(ctx); !errors.Is(err, django.ErrImproperlyConfigured) || !strings.Contains(err.Error(), "SECRET_KEY") {
		t.Fatalf("Check = %v, want a finding naming SECRET_KEY", err)
	}
	rotated := misconfigured(t, sdb, &now, func(s *django.Settings) {
		s.SecretKey, s.SecretKeyFallbacks = "the-new-key", []string{"mismatch-test-secret-key"}
	})
	if err := rotated.Check(ctx); err != nil {
		t.Fatalf("sessions signed with a fallback key: Check = %v", err)
	}
}
