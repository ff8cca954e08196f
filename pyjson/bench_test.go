package pyjson

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Payloads for the benchmarks, built once: (a) a logged-in user's session,
// (b) the same plus a ~1 KB cart, (c) ~8 KB of nested data.
var benchPayloads = func() []struct {
	name string
	data []byte
} {
	session := func() *Dict {
		return dict(
			"_auth_user_id", "1",
			"_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
			"_auth_user_hash", strings.Repeat("3f9a0c7e", 8),
		)
	}
	cart := session()
	var items []any
	for i := range 9 {
		items = append(items, dict(
			"id", int64(1000+i),
			"name", fmt.Sprintf("Product number %d, blue", i),
			"price", float64(1999+i*250)/100,
			"quantity", int64(1+i%3),
			"gift", i%4 == 0,
		))
	}
	cart.Set("cart", items)
	cart.Set("cart_total", 123.45)

	nested := session()
	for s := range 6 {
		section := NewDict(0)
		for u := range 6 {
			section.Set(fmt.Sprintf("user_%d", u), dict(
				"id", int64(s*100+u),
				"email", fmt.Sprintf("user%d@example.com", u),
				"roles", list("viewer", "editor"),
				"score", 0.1*float64(u+1),
				"prefs", dict("theme", "dark", "lang", "fr", "tz", "Europe/Paris", "notify", true, "n", nil),
				"history", list(int64(1), int64(2), int64(3), 2.5, "x"),
			))
		}
		nested.Set(fmt.Sprintf("section_%d", s), section)
	}
	var out []struct {
		name string
		data []byte
	}
	for _, p := range []struct {
		name string
		d    *Dict
	}{{"session", session()}, {"cart1K", cart}, {"nested8K", nested}} {
		b, err := Marshal(p.d)
		if err != nil {
			panic(err)
		}
		out = append(out, struct {
			name string
			data []byte
		}{p.name, b})
	}
	return out
}()

func TestBenchPayloadSizes(t *testing.T) {
	for _, p := range benchPayloads {
		t.Logf("%s: %d bytes", p.name, len(p.data))
		var m map[string]any
		if err := json.Unmarshal(p.data, &m); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	for _, p := range benchPayloads {
		b.Run(p.name+"/pyjson", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.data)))
			for b.Loop() {
				if _, err := Unmarshal(p.data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/encoding_json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.data)))
			for b.Loop() {
				var m map[string]any
				if err := json.Unmarshal(p.data, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMarshal(b *testing.B) {
	for _, p := range benchPayloads {
		v, err := Unmarshal(p.data)
		if err != nil {
			b.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(p.data, &m); err != nil {
			b.Fatal(err)
		}
		b.Run(p.name+"/pyjson", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.data)))
			for b.Loop() {
				if _, err := Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/pyjson_append", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.data)))
			buf := make([]byte, 0, 2*len(p.data))
			for b.Loop() {
				var err error
				if buf, err = AppendMarshal(buf[:0], v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/encoding_json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.data)))
			for b.Loop() {
				if _, err := json.Marshal(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The session payload appends into a reused buffer with no allocation.
func TestMarshalSessionAllocs(t *testing.T) {
	v, _ := Unmarshal(benchPayloads[0].data)
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = AppendMarshal(buf[:0], v)
	})
	if allocs > 2 {
		t.Errorf("AppendMarshal of a session: %v allocs, want <= 2", allocs)
	}
}
