package django_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// djangoPickleCookie is the sessionid that Django 3.2 and 4.2 (the same
// bytes from both) set for the signed_cookies engine with
// SESSION_SERIALIZER = PickleSerializer, SECRET_KEY "pickle-guard-secret",
// at time 1700000000, for pickleCookieSession (fixtures/peer.py, op encode).
const djangoPickleCookie = "gAWVSgAAAAAAAAB9lCiMDV9hdXRoX3VzZXJfaWSUjAE3lIwEY2FydJRdlChLAUsCSwNljARuYW1llIwEWm_Dq5SMAWaURz_4AAAAAAAAjAFulE51Lg:1r31eq:MpuTJ6dYkge4v8PxoRv7_n3ghDl2om9SgZTa5FRCoC4"

const pickleCookieSession = `{"_auth_user_id": "7", "cart": [1, 2, 3], "name": "Zo\u00eb", "f": 1.5, "n": null}`

func pickleCookieSettings(v django.Version, allow bool) django.Settings {
	s := django.DefaultSettings("pickle-guard-secret")
	s.DjangoVersion = v
	s.SessionEngine = django.EngineSignedCookies
	s.SessionSerializer = django.PickleSerializer
	s.AllowPickleSerializer = allow
	s.Clock = func() time.Time { return time.Unix(1700000000, 0) }
	return s
}

// TestSignedCookiesPickleSerializer: with AllowPickleSerializer, a 3.2 or
// 4.2 signed_cookies site's pickled cookie reads in Go, and Go writes the
// very bytes Django wrote; without the opt-in, or on 5.0+ (no
// PickleSerializer), the codec is refused and the error says why.
func TestSignedCookiesPickleSerializer(t *testing.T) {
	want, err := pyjson.UnmarshalDict([]byte(pickleCookieSession))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range django.Versions {
		if _, err := django.NewCodec(pickleCookieSettings(v, false)); !errors.Is(err, django.ErrImproperlyConfigured) ||
			!strings.Contains(err.Error(), "AllowPickleSerializer") {
			t.Errorf("%s without the opt-in: %v", v, err)
		}
		c, err := django.NewCodec(pickleCookieSettings(v, true))
		if v.AtLeast(5, 0) {
			if !errors.Is(err, django.ErrImproperlyConfigured) || !strings.Contains(err.Error(), "removed in 5.0") {
				t.Errorf("%s with the opt-in: %v, want the removed-in-5.0 refusal", v, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s with the opt-in: %v", v, err)
		}
		got, err := c.Decode(djangoPickleCookie)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: Go reads Django's cookie as %v, %v", v, got, err)
		}
		cookie, err := c.Encode(want)
		if err != nil || cookie != djangoPickleCookie {
			t.Errorf("%s: Go writes\n  %s, %v\nDjango wrote\n  %s", v, cookie, err, djangoPickleCookie)
		}
	}
}
