package bench

import (
	"encoding/gob"
	"encoding/json"
	"os"
	"testing"

	"github.com/gorilla/securecookie"
)

// BenchmarkSecureCookie times gorilla/securecookie on the same payloads,
// held as the map[string]any that encoding/json makes of them: signed with
// HMAC-SHA256 and not encrypted (no block key), as Django's tokens are
// signed and not encrypted; no MaxLength (the 8 KB payload passes 4096).
func BenchmarkSecureCookie(b *testing.B) {
	gob.Register(map[string]any{})
	gob.Register([]any{})
	raw, err := os.ReadFile("payloads.json")
	if err != nil {
		b.Fatal(err)
	}
	var all map[string]map[string]any
	if err := json.Unmarshal(raw, &all); err != nil {
		b.Fatal(err)
	}
	hashKey := []byte("0123456789abcdef0123456789abcdef")
	for _, name := range payloadNames {
		v := all[name]
		for _, codec := range []struct {
			name string
			ser  securecookie.Serializer
		}{{"json", securecookie.JSONEncoder{}}, {"gob", securecookie.GobEncoder{}}} {
			sc := securecookie.New(hashKey, nil).MaxLength(0).SetSerializer(codec.ser)
			token, err := sc.Encode("sessionid", v)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(codec.name+"_encode/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := sc.Encode("sessionid", v); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(codec.name+"_decode/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var out map[string]any
					if err := sc.Decode("sessionid", token, &out); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
