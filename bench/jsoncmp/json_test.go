// Package jsoncmp compares pyjson's decoder and encoder with encoding/json
// and goccy/go-json on bench/payloads.json. It is a module of its own so
// that go-json never becomes a dependency of djsession.
package jsoncmp

import (
	"encoding/json"
	"os"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/djsession/djsession/pyjson"
)

var payloadNames = []string{"user", "cart1K", "nest8K"}

// BenchmarkJSON decodes each payload's JSON (as Django writes it) into the
// generic tree of each library: pyjson's Python values (*pyjson.Dict,
// []any, int64, float64, string), and map[string]any for the other two;
// and encodes that tree back.
func BenchmarkJSON(b *testing.B) {
	payloads := djangoJSON(b)
	for _, name := range payloadNames {
		data := payloads[name]
		pv, err := pyjson.Unmarshal(data)
		if err != nil {
			b.Fatal(err)
		}
		pv = readAll(pv).(*pyjson.Dict).Clone() // a tree built in Go, nothing lazy
		var mv map[string]any
		json.Unmarshal(data, &mv)
		run := func(op string, fn func() error) {
			b.Run(op+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if err := fn(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		// pyjson decodes a dict's values when they are first read: the
		// comparison reads them all; pyjson_unmarshal_lazy reads none.
		run("pyjson_unmarshal", func() error { v, err := pyjson.Unmarshal(data); readAll(v); return err })
		run("pyjson_unmarshal_lazy", func() error { _, err := pyjson.Unmarshal(data); return err })
		run("encoding_json_unmarshal", func() error { var m map[string]any; return json.Unmarshal(data, &m) })
		run("go_json_unmarshal", func() error { var m map[string]any; return gojson.Unmarshal(data, &m) })
		var buf []byte
		run("pyjson_marshal", func() error { var err error; buf, err = pyjson.AppendMarshal(buf[:0], pv); return err })
		run("encoding_json_marshal", func() error { _, err := json.Marshal(mv); return err })
		run("go_json_marshal", func() error { _, err := gojson.Marshal(mv); return err })
	}
}

// djangoJSON returns each payload of bench/payloads.json as Django's
// json.dumps writes it (its separators, \u escapes).
func djangoJSON(b *testing.B) map[string][]byte {
	raw, err := os.ReadFile("../payloads.json")
	if err != nil {
		b.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		b.Fatal(err)
	}
	out := make(map[string][]byte, len(payloadNames))
	for _, name := range payloadNames {
		v, err := pyjson.Unmarshal(all[name])
		if err != nil {
			b.Fatal(err)
		}
		if out[name], err = pyjson.Marshal(readAll(v)); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// readAll reads every value of a top-level dict, which decodes it.
func readAll(v any) any {
	if d, ok := v.(*pyjson.Dict); ok {
		d.Range(func(string, any) bool { return true })
	}
	return v
}
