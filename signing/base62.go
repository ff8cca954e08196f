package signing

import "math"

const b62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// B62Encode is Django's b62_encode, the encoding of TimestampSigner's
// timestamps: base 62 with digits, then upper-case, then lower-case letters,
// most significant digit first, "0" for zero and a leading '-' for negative
// numbers. 1700000000 is "1r31eq".
func B62Encode(n int64) string {
	var buf [12]byte
	return string(appendB62(buf[:0], n))
}

func appendB62(dst []byte, n int64) []byte {
	if n == 0 {
		return append(dst, '0')
	}
	u := uint64(n)
	if n < 0 {
		dst = append(dst, '-')
		u = -u // two's complement: also right for math.MinInt64
	}
	var buf [11]byte
	i := len(buf)
	for u > 0 {
		i--
		buf[i] = b62Alphabet[u%62]
		u /= 62
	}
	return append(dst, buf[i:]...)
}

var b62Table = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(b62Alphabet); i++ {
		t[b62Alphabet[i]] = int8(i)
	}
	return t
}()

// B62Decode is Django's b62_decode: an optional leading '-', then base-62
// digits; leading zeros are accepted and "-" alone is 0. The empty string
// and characters outside the alphabet are errors (Django raises IndexError
// and ValueError, not BadSignature), as is a value outside the int64 range,
// which Python's unbounded integers would accept. Errors match ErrMalformed.
func B62Decode(s string) (int64, error) {
	if s == "" {
		return 0, errorf(ErrMalformed, "invalid base62: empty string")
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var u uint64
	for i := 0; i < len(s); i++ {
		d := b62Table[s[i]]
		if d < 0 {
			return 0, errorf(ErrMalformed, "invalid base62: substring not found")
		}
		if u > (math.MaxUint64-uint64(d))/62 {
			return 0, errorf(ErrMalformed, "invalid base62: out of range")
		}
		u = u*62 + uint64(d)
	}
	switch {
	case !neg && u <= math.MaxInt64:
		return int64(u), nil
	case neg && u <= 1<<63:
		return int64(-u), nil
	}
	return 0, errorf(ErrMalformed, "invalid base62: out of range")
}
