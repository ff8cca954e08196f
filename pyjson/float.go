package pyjson

import (
	"math"
	"strconv"
)

// appendFloat appends Python's float.__repr__ of f, with json.dumps' names
// for the non-finite values.
//
// Python prints the shortest digit string that round-trips (the same digits
// Go's 'e', -1 format finds), then chooses the notation from the decimal
// point position P = exponent+1: scientific when P <= -4 or P > 16, fixed
// otherwise, and a fixed-notation float always shows a '.' ("1.0"). Go's 'g'
// format switches at other thresholds, hence this function.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	var scratch [32]byte
	e := strconv.AppendFloat(scratch[:0], f, 'e', -1, 64) // [-]d[.ddd]e±dd[d]
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	// Split e into its significant digits and decimal exponent.
	var digits [24]byte
	digits[0] = e[0]
	n, i := 1, 1
	if e[1] == '.' {
		for i = 2; e[i] != 'e'; i++ {
			digits[n] = e[i]
			n++
		}
	}
	// e[i] == 'e', e[i+1] is the sign, then at least two exponent digits.
	exp := 0
	for _, c := range e[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[i+1] == '-' {
		exp = -exp
	}
	p := exp + 1
	switch {
	case p <= -4 || p > 16:
		// Go's 'e' output is already Python's: "1e+16", "1.5e-07", "5e-324".
		return append(dst, e...)
	case p <= 0:
		dst = append(dst, '0', '.')
		for ; p < 0; p++ {
			dst = append(dst, '0')
		}
		return append(dst, digits[:n]...)
	case p >= n:
		dst = append(dst, digits[:n]...)
		for ; p > n; p-- {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	default:
		dst = append(dst, digits[:p]...)
		dst = append(dst, '.')
		return append(dst, digits[p:n]...)
	}
}
