package pyjson

import (
	"errors"
	"math/big"
	"runtime"
	"strings"
	"testing"
)

// hugeInt is 2^(8·n) - 1, an integer of n bytes (about 2.4·n digits).
func hugeInt(n int) *big.Int {
	x := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	return x.Sub(x, big.NewInt(1))
}

// TestBigIntLimitExact: around the limit, Marshal accepts exactly the
// integers of at most 4300 digits, whatever their sign, as counting the
// digits of the formatted number would.
func TestBigIntLimitExact(t *testing.T) {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(maxIntDigits), nil)
	var xs []*big.Int
	for _, d := range []int64{-2, -1, 0, 1} {
		xs = append(xs, new(big.Int).Add(limit, big.NewInt(d)))
	}
	for n := 13990; n < 14300; n++ {
		p := new(big.Int).Lsh(big.NewInt(1), uint(n))
		xs = append(xs, p, new(big.Int).Sub(p, big.NewInt(1)))
	}
	for _, x := range xs {
		for _, v := range []*big.Int{x, new(big.Int).Neg(x)} {
			text := v.String()
			fits := len(strings.TrimPrefix(text, "-")) <= maxIntDigits
			b, err := Marshal(v)
			switch {
			case fits && (err != nil || string(b) != text):
				t.Fatalf("%d bits, %d digits: %v", v.BitLen(), len(text), err)
			case !fits && !errors.Is(err, ErrIntTooLong):
				t.Fatalf("%d bits, %d digits: %v, want ErrIntTooLong", v.BitLen(), len(text), err)
			}
		}
	}
}

// TestHugeIntRefusedCheaply: a 4 MiB integer is refused without being
// formatted (which took 5 s and allocated megabytes): the refusal allocates
// a few KiB, the same as for an integer just over the limit.
func TestHugeIntRefusedCheaply(t *testing.T) {
	x := hugeInt(4 << 20)
	v := []any{x}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Marshal(v)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrIntTooLong) {
		t.Fatalf("Marshal: %v, want ErrIntTooLong", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<10 {
		t.Errorf("refusing a 4 MiB integer allocated %d bytes", got)
	}
}

func BenchmarkMarshalHugeInt(b *testing.B) {
	v := []any{hugeInt(4 << 20)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(v); !errors.Is(err, ErrIntTooLong) {
			b.Fatal(err)
		}
	}
}
