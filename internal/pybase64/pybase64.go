// Package pybase64 is CPython's non-strict base64 decoder
// (binascii.a2b_base64 with strict_mode=False), the one rule behind both
// Django's signing.b64_decode and the base64.b64decode of the pre-3.1
// session format.
package pybase64

import (
	"errors"
	"strconv"
)

// ErrInvalid is the binascii.Error CPython raises; the returned error
// wraps it and carries CPython's message.
var ErrInvalid = errors.New("binascii.Error")

type decodeError struct{ msg string }

func (e *decodeError) Error() string { return e.msg }
func (e *decodeError) Unwrap() error { return ErrInvalid }

// errPadding is preallocated: the message never varies.
var errPadding error = &decodeError{msg: "Incorrect padding"}

// table maps a byte to its 6-bit value in the standard alphabet, or 0xff;
// urlTable also maps the URL-safe '-' and '_'.
var table, urlTable = func() (std, url [256]byte) {
	for i := range std {
		std[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range len(alphabet) {
		std[alphabet[i]] = byte(i)
	}
	url = std
	url['-'], url['_'] = 62, 63
	return std, url
}()

// Decode is base64.b64decode(s): characters outside the standard alphabet
// are skipped, decoding stops at a complete pad sequence, and a final group
// of one character or with missing padding is an error wrapping ErrInvalid.
// Every byte of s counts as one character (a caller holding text checks
// for non-ASCII first, as s.encode('ascii') would).
func Decode(s string) ([]byte, error) { return decode(s, &table, 0) }

// DecodeURLSafe is Django's b64_decode(s):
// base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4)), which reads both
// alphabets ('+' and '/' as well as '-' and '_') and otherwise behaves as
// Decode.
func DecodeURLSafe(s string) ([]byte, error) { return decode(s, &urlTable, (4-len(s)%4)%4) }

// decode is a2b_base64 of s followed by pad '=' characters, with the
// alphabet t.
func decode(s string, t *[256]byte, pad int) ([]byte, error) {
	out := make([]byte, 0, (len(s)+pad)/4*3)
	var quadPos, pads int
	var left byte
	for i := 0; i < len(s)+pad; i++ {
		c := byte('=')
		if i < len(s) {
			c = s[i]
		}
		if c == '=' {
			if quadPos >= 2 {
				pads++
				if quadPos+pads >= 4 {
					return out, nil
				}
			}
			continue
		}
		v := t[c]
		if v == 0xff {
			continue
		}
		pads = 0
		switch quadPos {
		case 0:
			quadPos, left = 1, v
		case 1:
			out = append(out, left<<2|v>>4)
			quadPos, left = 2, v&0x0f
		case 2:
			out = append(out, left<<4|v>>2)
			quadPos, left = 3, v&0x03
		case 3:
			out = append(out, left<<6|v)
			quadPos, left = 0, 0
		}
	}
	switch quadPos {
	case 0:
		return out, nil
	case 1:
		return nil, &decodeError{msg: "Invalid base64-encoded string: number of data characters (" +
			strconv.Itoa(len(out)/3*4+1) + ") cannot be 1 more than a multiple of 4"}
	}
	return nil, errPadding
}
