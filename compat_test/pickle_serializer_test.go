package compat_test

import (
	"encoding/hex"
	"errors"
	"testing"

	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// Django's salts, written out: the signatures below are made by hand, the
// way Django signs session_data and the signed_cookies value.
const (
	sessionStoreSalt  = "django.contrib.sessions.SessionStore"
	signedCookiesSalt = "django.contrib.sessions.backends.signed_cookies"
)

// TestPickleSerializerSessionData: sites still on Django 3.2 or 4.2 with
// SESSION_SERIALIZER = PickleSerializer share session_data with Go, when
// Go opted in explicitly.
func TestPickleSerializerSessionData(t *testing.T) {
	for _, v := range []string{"3.2", "4.2"} {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			s := djsession.DefaultSettings(secret)
			s.DjangoVersion, _ = djsession.ParseVersion(v)
			s.SessionSerializer = djsession.PickleSerializer
			if _, err := djsession.NewCodec(s); !errors.Is(err, djsession.ErrImproperlyConfigured) {
				t.Fatalf("pickle without the opt-in: %v", err)
			}
			s.AllowPickleSerializer = true
			codec, err := djsession.NewCodec(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, val := range values {
				if val.json[0] != '{' {
					continue
				}
				data, err := codec.Encode(mustValue(t, val.json).(*pyjson.Dict))
				if err != nil {
					t.Fatal(err)
				}
				r := dj.mustCall(t, map[string]any{"op": "decode", "engine": "db", "data": data, "key": secret, "serializer": "pickle"})
				okOrFatal(t, r, "Django decodes Go's pickled session_data")
				sameValue(t, val.name+": Django decode(Go encode)", str(r, "value_json"), val.json)

				r = dj.mustCall(t, map[string]any{"op": "encode", "engine": "db", "session_json": val.json, "key": secret, "serializer": "pickle"})
				okOrFatal(t, r, "Django encodes with pickle")
				got, err := codec.Decode(str(r, "data"))
				if err != nil {
					t.Fatalf("%s: Go decodes Django's pickled session_data: %v", val.name, err)
				}
				sameValue(t, val.name+": Go decode(Django encode)", mustJSON(got), val.json)
			}
		})
	}
	// A signed pickle that names a global is refused, not read as {}.
	s := djsession.DefaultSettings(secret)
	s.DjangoVersion = djsession.Django42
	s.SessionSerializer = djsession.PickleSerializer
	s.AllowPickleSerializer = true
	codec, _ := djsession.NewCodec(s)
	// pickle.dumps({"x": E()}, 4) where E.__reduce__ returns (os.system, ("id",)).
	evil, _ := hex.DecodeString("80049524000000000000007d948c0178948c05706f736978948c0673797374656d9493948c0269649485945294732e")
	ts := mustSigner(t, secret, sessionStoreSalt)
	token := ts.SignPayload(evil, false)
	if _, err := codec.Decode(token); !errors.Is(err, pickle.ErrRefused) {
		t.Errorf("a pickle naming os.system: %v, want ErrRefused", err)
	}
}

// TestPickleSerializerSignedCookies: a 3.2 or 4.2 site on the
// signed_cookies engine with SESSION_SERIALIZER = PickleSerializer (Django
// accepts it) shares its cookie with Go under the same explicit opt-in:
// Django's cookie reads in Go and Go's in Django, for every session value.
// Without the opt-in Go refuses, and a signed cookie whose pickle names a
// global is refused, not run and not read as {}.
func TestPickleSerializerSignedCookies(t *testing.T) {
	for _, v := range []string{"3.2", "4.2"} {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			s := djsession.DefaultSettings(secret)
			s.DjangoVersion, _ = djsession.ParseVersion(v)
			s.SessionEngine = djsession.EngineSignedCookies
			s.SessionSerializer = djsession.PickleSerializer
			s.Clock = fixedClock(t0)
			if _, err := djsession.NewCodec(s); !errors.Is(err, djsession.ErrImproperlyConfigured) {
				t.Fatalf("signed_cookies pickle without the opt-in: %v", err)
			}
			s.AllowPickleSerializer = true
			codec, err := djsession.NewCodec(s)
			if err != nil {
				t.Fatalf("signed_cookies pickle with the opt-in: %v", err)
			}
			n := 0
			for _, val := range values {
				if val.json[0] != '{' {
					continue
				}
				n++
				cookie, err := codec.Encode(mustValue(t, val.json).(*pyjson.Dict))
				if err != nil {
					t.Fatal(err)
				}
				r := dj.mustCall(t, map[string]any{"op": "decode", "engine": "signed_cookies", "data": cookie, "key": secret,
					"serializer": "pickle", "now": t0})
				okOrFatal(t, r, "Django reads Go's pickled signed cookie")
				sameValue(t, val.name+": Django decode(Go encode)", str(r, "value_json"), val.json)

				r = dj.mustCall(t, map[string]any{"op": "encode", "engine": "signed_cookies", "session_json": val.json, "key": secret,
					"serializer": "pickle", "now": t0})
				okOrFatal(t, r, "Django writes a pickled signed cookie")
				djCookie := str(r, "data")
				payload, err := mustSigner(t, secret, signedCookiesSalt).UnsignPayload(djCookie)
				if err != nil || len(payload) == 0 || payload[0] != 0x80 {
					t.Fatalf("%s: Django's cookie is not a signed pickle: %q, %v", val.name, payload, err)
				}
				got, err := codec.Decode(djCookie)
				if err != nil {
					t.Fatalf("%s: Go reads Django's pickled signed cookie: %v", val.name, err)
				}
				sameValue(t, val.name+": Go decode(Django encode)", mustJSON(got), val.json)
			}
			if n == 0 {
				t.Fatal("no session values to try")
			}

			// pickle.dumps({"x": E()}, 4) where E.__reduce__ returns (os.system, ("id",)).
			evil, _ := hex.DecodeString("80049524000000000000007d948c0178948c05706f736978948c0673797374656d9493948c0269649485945294732e")
			token := mustSigner(t, secret, signedCookiesSalt).SignPayload(evil, true)
			if _, err := codec.Decode(token); !errors.Is(err, pickle.ErrRefused) {
				t.Errorf("a signed cookie whose pickle names os.system: %v, want ErrRefused", err)
			}
		})
	}
}
