package pyjson

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Any value Marshal writes, Unmarshal reads back Equal, and writing it again
// gives the same bytes.
func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for i := range n {
		v := randValue(r, 0)
		b, err := Marshal(v)
		if err != nil {
			t.Fatalf("#%d Marshal(%#v): %v", i, v, err)
		}
		for _, c := range b {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("#%d non-ASCII output %q", i, b)
			}
		}
		back, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("#%d Unmarshal(%s): %v", i, b, err)
		}
		if !Equal(v, back) {
			t.Fatalf("#%d round trip changed the value:\n in  %#v\n out %#v\n via %s", i, v, back, b)
		}
		b2, err := Marshal(back)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("#%d re-Marshal: %s != %s (%v)", i, b2, b, err)
		}
	}
}
