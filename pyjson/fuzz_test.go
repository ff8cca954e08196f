package pyjson

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzUnmarshal: no input panics, whatever decodes re-encodes to bytes
// that decode to an Equal value and re-encode identically, and the lazy
// top-level values agree with the decoder. The committed
// corpus is in testdata/fuzz/FuzzUnmarshal.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"_auth_user_id":"1","cart":[{"id":1,"price":9.99}],"x":NaN}`))
	f.Add([]byte(`"\ud83d\ude00\ud83d\u00e9\xc3"`))
	f.Add([]byte(`{"a":{"b":[1,"\u00e9",null],"b":2},"f":1.50,"s":"x\/y","a":-0}`))
	f.Add([]byte(` {"k": [ 1 ,{"x" :"\u00E9"}], "n":NaN} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = unmarshal(data, true) // the encoding/json path must not panic either
		// Lazy top-level values agree with the decoder, as a whole document
		// and as a value inside a dict.
		checkLazy(t, data)
		checkLazy(t, append(append([]byte(`{"k":`), data...), '}'))
		v, err := Unmarshal(data)
		if err != nil {
			return
		}
		b, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal of a decoded value: %v", err)
		}
		v2, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("Unmarshal(%q) of our own output: %v", b, err)
		}
		if !Equal(v, v2) {
			t.Fatalf("not Equal after a round trip through %q", b)
		}
		if b2, _ := Marshal(v2); !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding differs: %q then %q", b, b2)
		}
	})
}

// FuzzMarshalString: every UTF-8 (or WTF-8) string encodes to ASCII and
// decodes back to itself.
func FuzzMarshalString(f *testing.F) {
	for _, s := range []string{"", "a", "é€😀", "\x00\x1f\x7f", "\xed\xa0\x80", "\xed\xa0\xbd\xed\xb8\x80", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Marshal(s)
		if err != nil {
			if utf8.ValidString(s) {
				t.Fatalf("Marshal(%q) of valid UTF-8: %v", s, err)
			}
			return
		}
		for _, c := range b {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("Marshal(%q) = %q: not printable ASCII", s, b)
			}
		}
		v, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("Unmarshal(%q): %v", b, err)
		}
		// A high and a low surrogate written as two WTF-8 halves come back as
		// the one character they form, as in Python.
		if want := joinWTF8Pairs(s); v != want {
			t.Fatalf("round trip of %q gave %q", s, v)
		}
	})
}

// joinWTF8Pairs replaces each WTF-8 high surrogate directly followed by a
// low one with the UTF-8 of the character they encode.
func joinWTF8Pairs(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+5 < len(s) && s[i] == 0xED && s[i+1]&0xF0 == 0xA0 && s[i+3] == 0xED && s[i+4]&0xF0 == 0xB0 {
			hi := 0xD000 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			lo := 0xD000 | rune(s[i+4]&0x3F)<<6 | rune(s[i+5]&0x3F)
			b.WriteRune(0x10000 + (hi-0xD800)<<10 + (lo - 0xDC00))
			i += 5
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
