package csrf

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
)

// TestDefaultsAreDjangoSettings: the zero DjangoVersion, Rand, Clock and
// Logger mean what they mean in django.Settings (the newest version,
// crypto/rand, time.Now, slog.Default), a value given is used as it is, and
// resolving them allocates nothing on the request path.
func TestDefaultsAreDjangoSettings(t *testing.T) {
	var zero Settings
	if zero.version() != django.LatestVersion || zero.rand() != rand.Reader || zero.logger() != slog.Default() {
		t.Errorf("zero settings: version %v, rand %T, logger %p", zero.version(), zero.rand(), zero.logger())
	}
	if source(nil) != rand.Reader {
		t.Errorf("source(nil) = %T, want crypto/rand", source(nil))
	}
	if d := time.Since(zero.now()); d < 0 || d > time.Hour {
		t.Errorf("zero settings: now is %v away from time.Now", d)
	}

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := bytes.NewReader(nil)
	l := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	s := Settings{DjangoVersion: django.Django32, Rand: r, Clock: func() time.Time { return at }, Logger: l}
	if s.version() != django.Django32 || s.rand() != r || !s.now().Equal(at) || s.logger() != l || !s.legacy() {
		t.Errorf("given settings: version %v, rand %T, now %v, logger %p", s.version(), s.rand(), s.now(), s.logger())
	}
	if n := testing.AllocsPerRun(100, func() { s.version(); s.rand(); s.now(); s.logger(); zero.version() }); n != 0 {
		t.Errorf("resolving the defaults allocates %v times", n)
	}
}
