package pyjson

import (
	"math/big"
	"testing"
)

// dict builds a *Dict from alternating keys and values.
func dict(kv ...any) *Dict {
	d := NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1])
	}
	return d
}

func list(items ...any) []any {
	if items == nil {
		return []any{}
	}
	return items
}

// pyInt returns the model value of a decimal integer: int64, or *big.Int.
func pyInt(t testing.TB, s string) any {
	t.Helper()
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("bad int %q", s)
	}
	if b.IsInt64() {
		return b.Int64()
	}
	return b
}

// latin1Bytes turns a string whose runes are all <= U+00FF into one byte per
// rune, the way the fixtures store raw input bytes.
func latin1Bytes(t testing.TB, s string) []byte {
	t.Helper()
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			t.Fatalf("rune %U in latin-1 input %q", r, s)
		}
		b = append(b, byte(r))
	}
	return b
}
