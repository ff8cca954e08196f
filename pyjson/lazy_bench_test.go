package pyjson

import (
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkLazy sets the three ways of decoding the bench payloads side by
// side: values left for their first read, then every value read, and the
// decoder alone (every value decoded at once).
func BenchmarkLazy(b *testing.B) {
	raw, err := os.ReadFile("../bench/payloads.json")
	if err != nil {
		b.Skip(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"user", "cart1K", "nest8K"} {
		v, _ := Unmarshal(all[name])
		data, _ := Marshal(v)
		b.Run(name+"/lazy", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Unmarshal(data)
			}
		})
		b.Run(name+"/read_all", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, _ := Unmarshal(data)
				v.(*Dict).Range(func(string, any) bool { return true })
			}
		})
		b.Run(name+"/eager", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				unmarshalEager(data)
			}
		})
	}
}
