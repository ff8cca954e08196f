package pyjson

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestShortDecimal checks the short decimal path against strconv on
// random digit strings of every length it takes, and refuses the others.
func TestShortDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 2_000_000 {
		digits := 2 + n%15 // 2..16 characters, one of them the '.'
		b := make([]byte, 0, 18)
		if r.IntN(4) == 0 {
			b = append(b, '-')
		}
		dot := 1 + r.IntN(digits-1)
		for k := range digits {
			if k == dot {
				b = append(b, '.')
				continue
			}
			b = append(b, byte('0'+r.IntN(10)))
		}
		want, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			continue
		}
		got, ok := shortDecimal(b)
		if !ok || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("shortDecimal(%q) = %v, %v; strconv gives %v", b, got, ok, want)
		}
	}
	for _, s := range []string{"1e5", "1.5e-3", "1.2345678901234567", "-0.00000000000000001", "12"} {
		if _, ok := shortDecimal([]byte(s)); ok {
			t.Errorf("shortDecimal(%q) took a form it must leave to strconv", s)
		}
	}
	if f, ok := shortDecimal([]byte("-0.0")); !ok || !math.Signbit(f) {
		t.Errorf("-0.0 lost its sign")
	}
}
