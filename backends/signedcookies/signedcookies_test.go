package signedcookies

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

func TestCookieIsTheSession(t *testing.T) {
	now := time.Unix(1700000000, 0)
	s := django.DefaultSettings("django-insecure-interop-vector-secret-key-0123456789")
	s.Clock = func() time.Time { return now }
	st, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := pyjson.UnmarshalDict([]byte(`{"foo":"bar"}`))
	v, err := st.CookieValue(d)
	if err != nil {
		t.Fatal(err)
	}
	// Made by Django at the same clock (fixtures/vectors/session-*.json).
	if v != "eyJmb28iOiJiYXIifQ:1r31eq:zSIC1LqY9WkkLhghtSPt3YYAvRbHmoySof6WxeY84vk" {
		t.Errorf("cookie %s", v)
	}
	got, err := st.Load(context.Background(), v)
	if err != nil || !pyjson.Equal(got, d) {
		t.Errorf("Load = %v, %v", got, err)
	}
	now = now.Add(1209601 * time.Second)
	if _, err := st.Load(context.Background(), v); !errors.Is(err, django.ErrNotFound) || !errors.Is(err, signing.ErrSignatureExpired) {
		t.Errorf("old cookie: %v", err)
	}
	if ok, _ := st.Exists(context.Background(), v); ok {
		t.Error("Exists is always false in Django")
	}
}

func TestOversizedCookie(t *testing.T) {
	s := django.DefaultSettings("k")
	st, _ := New(s)
	d := pyjson.NewDict(1)
	// Random-looking data does not compress.
	var b strings.Builder
	x := uint32(1)
	for range 4000 {
		x = x*1664525 + 1013904223
		b.WriteByte("0123456789abcdef"[x>>28])
	}
	d.Set("blob", b.String())
	if _, err := st.CookieValue(d); !errors.Is(err, ErrCookieTooLarge) {
		t.Errorf("CookieValue = %v, want ErrCookieTooLarge", err)
	}
	warn, _ := New(s, WithWarnOnly())
	if _, err := warn.CookieValue(d); err != nil {
		t.Errorf("warn-only: %v", err)
	}
}
