package hashers

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"
)

// randomChars is Django's RANDOM_STRING_CHARS.
const randomChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// SaltLength is the length of Django's salt(): ceil(128 / log2(62)) = 22.
const SaltLength = 22

// randomString is get_random_string(n): n characters drawn uniformly from
// randomChars (rejection sampling over bytes below 248 = 4·62).
func randomString(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("hashers: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if b < 248 && len(out) < n {
				out = append(out, randomChars[b%62])
			}
		}
	}
	return string(out), nil
}

// pyNumber is a decimal field read the way Django's int(...) reads it.
// ok is false where Python's int() raises ValueError. canonical says whether
// the text is what Django's "%d" writes for the value; only canonical
// numbers can match a re-encoding, so only their values matter (val), and
// big marks values beyond uint64.
type pyNumber struct {
	val       uint64
	neg       bool
	big       bool
	canonical bool
}

func parsePyInt(s string) (n pyNumber, ok bool) {
	t := strings.TrimFunc(s, unicode.IsSpace)
	if t == "" {
		return n, false
	}
	body := t
	signed := body[0] == '+' || body[0] == '-'
	if signed {
		n.neg = body[0] == '-'
		body = body[1:]
	}
	if body == "" {
		return n, false
	}
	ascii := true
	prevDigit := false
	for _, r := range body {
		switch {
		case r == '_':
			if !prevDigit {
				return n, false
			}
			prevDigit = false
			ascii = false
			continue
		case r >= '0' && r <= '9':
			d := uint64(r - '0')
			if n.val > (math.MaxUint64-d)/10 {
				n.big = true
			} else {
				n.val = n.val*10 + d
			}
		case unicode.Is(unicode.Nd, r):
			ascii = false
		default:
			return n, false
		}
		prevDigit = true
	}
	if !prevDigit {
		return n, false
	}
	n.canonical = ascii && t == s && (!signed || n.neg) &&
		(len(body) == 1 || body[0] != '0') && !(n.neg && n.val == 0 && !n.big)
	return n, true
}
