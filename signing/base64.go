package signing

import (
	"encoding/base64"
	"strings"

	"github.com/djsession/djsession/internal/pybase64"
)

var b64 = base64.RawURLEncoding

// B64Encode is Django's b64_encode: URL-safe base64 (A–Z a–z 0–9 - _) with
// every '=' of padding removed. n bytes become ceil(4n/3) characters; a
// sha256 signature is 43 characters.
func B64Encode(b []byte) string { return b64.EncodeToString(b) }

// B64Decode is Django's b64_decode, which is lenient in the ways Python's
// non-strict base64 decoder is: the missing padding is added back, the
// standard alphabet ('+', '/') is accepted beside the URL-safe one, padding
// already present is fine, and any character outside the alphabet is
// silently skipped. What it refuses (an error matching ErrMalformed) is a
// count of data characters that is one more than a multiple of four, and
// padding that Python finds incorrect.
//
// Django only reaches b64_decode after the signature has been verified, so
// this leniency never applies to untrusted input; it is reproduced so that
// anything Django accepts is accepted here.
func B64Decode(s string) ([]byte, error) { return b64Decode(s) }

// b64Decode is B64Decode. An empty payload is an empty, non-nil slice
// (Python's empty bytes), so that a caller can tell it from the nil of a failure.
func b64Decode(s string) ([]byte, error) { return b64DecodeAppend([]byte{}, s) }

// b64DecodeAppend is b64Decode into dst's storage (from dst[:0]).
func b64DecodeAppend(dst []byte, s string) ([]byte, error) {
	// Fast path: pure URL-safe alphabet, optionally followed by '='. Go's raw
	// decoder then gives exactly Python's result (see the proof in the tests:
	// Python's added padding always completes the last quantum). Go's
	// decoder also skips '\r' and '\n', which Python handles differently
	// around padding, so those take the slow path.
	t := strings.TrimRight(s, "=")
	if strings.IndexByte(t, '\n') < 0 && strings.IndexByte(t, '\r') < 0 {
		n := b64.DecodedLen(len(t))
		out := dst[:0]
		if cap(out) < n {
			out = make([]byte, n)
		}
		out = out[:n]
		if n, err := b64.Decode(out, bytesOf(t)); err == nil {
			return out[:n], nil
		}
	}
	return pyB64Decode(s)
}

// pyB64Decode is the slow path: CPython's non-strict decoder, whose errors
// are ErrMalformed here.
func pyB64Decode(s string) ([]byte, error) {
	out, err := pybase64.DecodeURLSafe(s)
	if err != nil {
		return nil, wrapErr(ErrMalformed, "base64", err)
	}
	return out, nil
}
