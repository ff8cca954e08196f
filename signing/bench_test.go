package signing

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/djsession/djsession/pyjson"
	"github.com/klauspost/compress/zlib"
)

// benchPayloads are the three session shapes of the performance table:
// (a) a logged-in user, (b) that plus a ~1 KB cart, (c) ~8 KB of nested JSON.
func benchPayloads(b *testing.B) []struct {
	name string
	v    any
	json []byte
} {
	a := `{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"` +
		"6f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9" + `"}`
	var cart strings.Builder
	cart.WriteString(`{"items":[`)
	for i := 0; i < 12; i++ {
		if i > 0 {
			cart.WriteString(",")
		}
		fmt.Fprintf(&cart, `{"sku":"SKU-%05d","qty":%d,"price":"%d.99","name":"Product number %d"}`, i*7919%100000, i%3+1, 10+i*3, i)
	}
	cart.WriteString(`],"currency":"EUR"}`)
	bb := a[:len(a)-1] + `,"cart":` + cart.String() + `}`
	var c strings.Builder
	c.WriteString(`{"data":[`)
	for i := 0; c.Len() < 8000; i++ {
		if i > 0 {
			c.WriteString(",")
		}
		fmt.Fprintf(&c, `{"id":%d,"tags":["t%d","u%d"],"meta":{"seen":%v,"score":%d.5,"label":"item-%x"}}`,
			i, i%17, i%5, i%2 == 0, i*31%1000, i*2654435761%65536)
	}
	c.WriteString(`]}`)
	var out []struct {
		name string
		v    any
		json []byte
	}
	for _, p := range []struct{ name, js string }{{"a_login", a}, {"b_cart", bb}, {"c_8KB", c.String()}} {
		v, err := pyjson.Unmarshal([]byte(p.js))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, struct {
			name string
			v    any
			json []byte
		}{fmt.Sprintf("%s_%dB", p.name, len(p.js)), v, []byte(p.js)})
	}
	return out
}

var benchOpts = Options{Key: testKey}

// BenchmarkDumps is signing.dumps(v, compress=True), as sessions call it.
func BenchmarkDumps(b *testing.B) {
	for _, p := range benchPayloads(b) {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Dumps(p.v, benchOpts, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoads is signing.loads of a compressed token.
func BenchmarkLoads(b *testing.B) {
	for _, p := range benchPayloads(b) {
		tok, _ := Dumps(p.v, benchOpts, true)
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Loads(tok, benchOpts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignerReused is the session codec's path: one TimestampSigner,
// built once.
func BenchmarkSignerReused(b *testing.B) {
	ts, _ := NewTimestampSigner(Options{Key: testKey, Salt: "django.core.signing"})
	for _, p := range benchPayloads(b) {
		tok, _ := ts.SignObject(p.v, true)
		b.Run("SignObject/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ts.SignObject(p.v, true)
			}
		})
		b.Run("UnsignObject/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ts.UnsignObject(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("UnsignPayload/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ts.UnsignPayload(tok)
			}
		})
	}
}

// The floor: each step alone.
func BenchmarkFloor(b *testing.B) {
	ps := benchPayloads(b)
	b.Run("SaltedHMAC_fresh_key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			SaltedHMAC("django.core.signingsigner", string(ps[0].json), testKey, SHA256)
		}
	})
	mk, _ := newMacKey(SHA256, "django.core.signingsigner", testKey)
	for _, p := range ps {
		b64text := B64Encode(p.json)
		z := zlibOf(p.json, zlib.DefaultCompression)
		var buf bytes.Buffer
		b.Run("HMAC_pooled/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mk.verify(p.json, "x")
				mk.verify(p.json, "GxEv94nXi4aU2JUpfUHFS6ekQVOoeY-aTaHY96z6-sM")
			}
		})
		b.Run("B64Encode/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				B64Encode(p.json)
			}
		})
		b.Run("B64Decode/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				B64Decode(b64text)
			}
		})
		b.Run("deflate/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				zlibCompress(&buf, p.json)
			}
			b.ReportMetric(float64(buf.Len()), "zbytes")
		})
		b.Run("inflate/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Decompress(z, DefaultMaxDecompressedSize)
			}
		})
		// As loads inflates: into a buffer kept between calls.
		var out []byte
		b.Run("inflate_reused/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, _ = AppendDecompress(out[:0], z, DefaultMaxDecompressedSize)
			}
		})
		b.Run("pyjson.Marshal/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pyjson.Marshal(p.v)
			}
		})
		b.Run("pyjson.Unmarshal/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pyjson.Unmarshal(p.json)
			}
		})
	}
}
