package django

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// The PickleSerializer guards, without a Django: a leaked SECRET_KEY with
// PickleSerializer is remote code execution, so these run in `make unit`
// and not only in the live suite (compat_test/pickle_serializer_test.go).

var allEngines = []string{EngineDB, EngineCache, EngineCachedDB, EngineFile, EngineSignedCookies}

func pickleSettings(v Version, engine string, allow bool) Settings {
	s := DefaultSettings("pickle-guard-secret")
	s.DjangoVersion = v
	s.SessionEngine = engine
	s.SessionSerializer = PickleSerializer
	s.AllowPickleSerializer = allow
	// A fixed clock: the signed_cookies codec checks the cookie's age.
	s.Clock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	return s
}

// TestPickleSerializerRefusedWithoutOptIn: without AllowPickleSerializer,
// no version and no engine builds a pickle codec.
func TestPickleSerializerRefusedWithoutOptIn(t *testing.T) {
	for _, v := range Versions {
		for _, engine := range allEngines {
			c, err := NewCodec(pickleSettings(v, engine, false))
			if !errors.Is(err, ErrImproperlyConfigured) || c != nil {
				t.Errorf("%s %s without the opt-in: %v, %v; want ErrImproperlyConfigured", v, EngineName(engine), c, err)
				continue
			}
			if !strings.Contains(err.Error(), "AllowPickleSerializer") {
				t.Errorf("%s %s: the error does not name the setting to look at: %v", v, EngineName(engine), err)
			}
		}
	}
}

// TestPickleSerializerRemovedIn50: Django 5.0 removed PickleSerializer, so
// the opt-in does not bring it back on 5.2 or 6.1.
func TestPickleSerializerRemovedIn50(t *testing.T) {
	n := 0
	for _, v := range Versions {
		if !v.AtLeast(5, 0) {
			continue
		}
		n++
		for _, engine := range allEngines {
			c, err := NewCodec(pickleSettings(v, engine, true))
			if !errors.Is(err, ErrImproperlyConfigured) || c != nil {
				t.Errorf("%s %s with the opt-in: %v, %v; want ErrImproperlyConfigured", v, EngineName(engine), c, err)
				continue
			}
			if !strings.Contains(err.Error(), "removed in 5.0") {
				t.Errorf("%s %s: the error does not say why: %v", v, EngineName(engine), err)
			}
		}
	}
	if n < 2 {
		t.Fatalf("%d versions from 5.0 on, want 5.2 and 6.1", n)
	}
}

// TestPickleSerializerOptIn: on 3.2 and 4.2, with the opt-in, every engine
// (signed_cookies included: its pickle comes from a cookie signed with
// SECRET_KEY, as in Django) encodes with pickle and reads it back, and
// the pickle it reads is still the safe subset.
func TestPickleSerializerOptIn(t *testing.T) {
	want, err := pyjson.UnmarshalDict([]byte(`{"_auth_user_id":"7","cart":[1,2,3],"name":"Zo\u00eb","f":1.5,"n":null}`))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range Versions {
		if v.AtLeast(5, 0) {
			continue
		}
		n++
		for _, engine := range allEngines {
			s := pickleSettings(v, engine, true)
			c, err := NewCodec(s)
			if err != nil {
				t.Errorf("%s %s with the opt-in: %v", v, EngineName(engine), err)
				continue
			}
			data, err := c.Encode(want)
			if err != nil {
				t.Errorf("%s %s: encode: %v", v, EngineName(engine), err)
				continue
			}
			// A JSON payload would be base64 of "{" or of zlib; a pickle
			// of protocol 2+ starts with PROTO (0x80).
			if payload := decodedPayload(t, s, engine, data); len(payload) == 0 || payload[0] != 0x80 {
				t.Errorf("%s %s: the payload is not a pickle: %q", v, EngineName(engine), payload)
			}
			got, err := c.Decode(data)
			if err != nil || !got.Equal(want) {
				t.Errorf("%s %s: decode(encode) = %v, %v", v, EngineName(engine), got, err)
			}

			// pickle.dumps({"x": E()}, 4) where E.__reduce__ returns
			// (os.system, ("id",)), signed as this engine signs: refused,
			// not run and not read as {}.
			evil, _ := hex.DecodeString("80049524000000000000007d948c0178948c05706f736978948c0673797374656d9493948c0269649485945294732e")
			if _, err := c.Decode(signer(t, s, engine).SignPayload(evil, false)); !errors.Is(err, pickle.ErrRefused) {
				t.Errorf("%s %s: a pickle naming os.system: %v, want pickle.ErrRefused", v, EngineName(engine), err)
			}
		}
	}
	if n < 2 {
		t.Fatalf("%d versions before 5.0, want 3.2 and 4.2", n)
	}
}

// signer is the TimestampSigner the engine's codec signs with.
func signer(t *testing.T, s Settings, engine string) *signing.TimestampSigner {
	t.Helper()
	salt := defaultKeySalt
	if engine == EngineSignedCookies {
		salt = signedCookiesSalt
	}
	ts, err := signing.NewTimestampSigner(signing.Options{Key: s.SecretKey, Salt: salt, Now: s.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// decodedPayload returns the serialized bytes inside a session token.
func decodedPayload(t *testing.T, s Settings, engine, data string) []byte {
	t.Helper()
	b, err := signer(t, s, engine).UnsignPayload(data)
	if err != nil {
		t.Fatalf("unsign %q: %v", data, err)
	}
	return b
}
