// Package bench holds the side-by-side measurements of djsession against
// Django: the same payloads (payloads.json), timed in Go here and in
// Django by django_codec.py, compared by compare.py.
package bench

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

const secret = "django-insecure-interop-vector-secret-key-0123456789"

var payloadNames = []string{"user", "cart1K", "nest8K"}

func payloads(tb testing.TB) map[string]*pyjson.Dict {
	raw, err := os.ReadFile("payloads.json")
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	out := map[string]*pyjson.Dict{}
	for k, v := range m {
		d, err := pyjson.UnmarshalDict(v)
		if err != nil {
			tb.Fatal(err)
		}
		// A session built in Go: every value read, so nothing is lazy and
		// dumps encodes them all as Django's does.
		d.Range(func(string, any) bool { return true })
		out[k] = d.Clone()
	}
	return out
}

// BenchmarkCodec times what django_codec.py times in Django: dumps and
// loads with compression as sessions use them, SessionStore.encode and
// decode, and the signed_cookies load with its max_age.
func BenchmarkCodec(b *testing.B) {
	p := payloads(b)
	clock := func() time.Time { return time.Unix(1700000000, 0) }
	ts, err := signing.NewTimestampSigner(signing.Options{Key: secret, Salt: "django.core.signing", Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	s := django.DefaultSettings(secret)
	s.Clock = clock
	codec, err := django.NewCodec(s)
	if err != nil {
		b.Fatal(err)
	}
	s.SessionEngine = django.EngineSignedCookies
	cookies, err := django.NewCodec(s)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range payloadNames {
		v := p[name]
		token, _ := ts.SignObject(v, true)
		data, _ := codec.Encode(v)
		cookie, _ := cookies.Encode(v)
		ops := []benchOp{
			{"dumps", func() error { _, err := ts.SignObject(v, true); return err }},
			{"loads", func() error { _, err := ts.UnsignObject(token); return err }},
			// The _read_all ops read (decode) every value after the lazy
			// one: Django's loads and decode always decode everything, so
			// these are the ones set against Django.
			{"loads_read_all", func() error { v, err := ts.UnsignObject(token); readAll(v); return err }},
			{"encode", func() error { _, err := codec.Encode(v); return err }},
			{"decode", func() error { _, err := codec.Decode(data); return err }},
			{"decode_read_all", func() error { d, err := codec.Decode(data); readAll(d); return err }},
			{"signed_cookies_load", func() error { _, err := cookies.Decode(cookie); return err }},
			{"signed_cookies_load_read_all", func() error { d, err := cookies.Decode(cookie); readAll(d); return err }},
		}
		runOps(b, name, ops)
	}
}

// readAll reads every value of a top-level dict, which decodes the ones
// pyjson left for their first read: what Django's loads and decode always do.
func readAll(v any) {
	if d, ok := v.(*pyjson.Dict); ok && d != nil {
		d.Range(func(string, any) bool { return true })
	}
}

// A benchOp is one operation of a benchmark table, run as op/payload.
type benchOp struct {
	op string
	fn func() error
}

// runOps runs each op as the sub-benchmark op/payload, with allocations.
func runOps(b *testing.B, payload string, ops []benchOp) {
	for _, o := range ops {
		b.Run(o.op+"/"+payload, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := o.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
