package django

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/pyjson"
)

// The three payloads of the foundation benchmarks: a logged-in user, that
// plus about 1 KB of cart, and about 8 KB of nested JSON.
func benchPayloads(b *testing.B) map[string]*pyjson.Dict {
	user := `"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"` + strings.Repeat("9f86d081884c7d65", 4) + `"`
	var cart strings.Builder
	for i := range 12 {
		if i > 0 {
			cart.WriteByte(',')
		}
		fmt.Fprintf(&cart, `{"sku":"SKU-%05d","name":"Product %d","price":%d.5,"qty":%d}`, i*7919, i, i*3+1, i%4+1)
	}
	var nested strings.Builder
	for i := range 52 {
		if i > 0 {
			nested.WriteByte(',')
		}
		fmt.Fprintf(&nested, `"section%d":{"id":%d,"title":"Title number %d","tags":["a%d","b%d","c"],"score":%d.25,"active":%v,"meta":{"x":%d,"y":null,"z":"zz%d"}}`, i, i, i, i, i, i, i%2 == 0, i*i, i)
	}
	out := map[string]*pyjson.Dict{}
	for name, text := range map[string]string{
		"user":   "{" + user + "}",
		"cart1K": "{" + user + `,"cart":[` + cart.String() + "]}",
		"nest8K": "{" + user + "," + nested.String() + "}",
	} {
		d, err := pyjson.UnmarshalDict([]byte(text))
		if err != nil {
			b.Fatal(err)
		}
		out[name] = d
	}
	return out
}

func benchCodec(b *testing.B) *Codec {
	s := DefaultSettings("django-insecure-interop-vector-secret-key-0123456789")
	t0 := time.Unix(1700000000, 0)
	s.Clock = func() time.Time { return t0 }
	c, err := NewCodec(s)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkEncode(b *testing.B) {
	c := benchCodec(b)
	for _, name := range []string{"user", "cart1K", "nest8K"} {
		d := benchPayloads(b)[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Encode(d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	c := benchCodec(b)
	for _, name := range []string{"user", "cart1K", "nest8K"} {
		data, err := c.Encode(benchPayloads(b)[name])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/%dB", name, len(data)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
