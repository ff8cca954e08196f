package pyjson

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Random values of the model, for the property and differential tests.

func randFloat(r *rand.Rand) float64 {
	switch r.IntN(10) {
	case 0: // any bit pattern, NaN and ±Inf included
		return math.Float64frombits(r.Uint64())
	case 1: // integral floats around the 1e16 switch to scientific notation
		return math.Trunc(r.Float64() * math.Pow(10, float64(r.IntN(20))))
	case 2: // around the 1e-4 switch
		return r.Float64() * math.Pow(10, float64(-r.IntN(8)))
	case 3: // prices
		f, _ := strconv.ParseFloat(strconv.Itoa(r.IntN(100000))+"."+strconv.Itoa(r.IntN(100)), 64)
		return f
	case 4: // powers of ten and their neighbours
		f := math.Pow(10, float64(r.IntN(50)-25))
		switch r.IntN(3) {
		case 0:
			f = math.Nextafter(f, math.Inf(1))
		case 1:
			f = math.Nextafter(f, 0)
		}
		return f
	case 5: // subnormals and extremes
		return math.Float64frombits(r.Uint64N(1 << 53))
	case 6:
		return []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64, 1e16, 9999999999999998, 1e-5, 0.0001}[r.IntN(11)]
	default:
		return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(40)-20))
	}
}

func randInt(r *rand.Rand) any {
	switch r.IntN(6) {
	case 0:
		return int64(r.Uint64())
	case 1:
		return []int64{0, -1, 1, math.MaxInt64, math.MinInt64, 1 << 53, 1<<53 + 1}[r.IntN(7)]
	case 2: // beyond int64
		b := new(big.Int).Lsh(big.NewInt(1), uint(64+r.IntN(300)))
		b.Add(b, big.NewInt(r.Int64()))
		if r.IntN(2) == 0 {
			b.Neg(b)
		}
		return normalizeScalar(b)
	default:
		return int64(r.IntN(2000) - 1000)
	}
}

// randString returns a Python str as the model stores it. With surrogates,
// lone surrogates may appear in WTF-8, but never a high one directly followed
// by a low one (which Python itself would not read back as two).
func randString(r *rand.Rand, surrogates bool) string {
	n := r.IntN(12)
	if r.IntN(10) == 0 {
		n = r.IntN(200)
	}
	var b strings.Builder
	lastHigh := false
	for range n {
		var c rune
		switch r.IntN(8) {
		case 0, 1, 2:
			c = rune(0x20 + r.IntN(0x5f))
		case 3:
			c = rune(r.IntN(0x20))
		case 4:
			c = rune(0x7f + r.IntN(0x81))
		case 5:
			c = rune(0x100 + r.IntN(0xD800-0x100))
		case 6:
			c = rune(0xE000 + r.IntN(0x110000-0xE000))
		case 7:
			if !surrogates {
				c = '"'
				break
			}
			c = rune(0xD800 + r.IntN(0x800))
		}
		if 0xD800 <= c && c <= 0xDFFF {
			if lastHigh && c >= 0xDC00 {
				c = '\\'
			} else {
				b.Write(appendWTF8(nil, c))
				lastHigh = c < 0xDC00
				continue
			}
		}
		lastHigh = false
		b.WriteRune(c)
	}
	return b.String()
}

func randValue(r *rand.Rand, depth int) any {
	k := r.IntN(10)
	if depth > 2 {
		k = r.IntN(6)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return randInt(r)
	case 3:
		return randFloat(r)
	case 4, 5:
		return randString(r, true)
	case 6, 7:
		n := r.IntN(6)
		l := make([]any, n)
		for i := range l {
			l[i] = randValue(r, depth+1)
		}
		return l
	default:
		n := r.IntN(12)
		d := NewDict(n)
		for range n {
			d.Set(randString(r, true), randValue(r, depth+1))
		}
		return d
	}
}
