package compat_test

import (
	"encoding/hex"
	"errors"
	"testing"

	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
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
	ts := mustSigner(t, secret, djsession.DefaultKeySalt)
	token := ts.SignPayload(evil, false)
	if _, err := codec.Decode(token); !errors.Is(err, pickle.ErrRefused) {
		t.Errorf("a pickle naming os.system: %v, want ErrRefused", err)
	}
}
