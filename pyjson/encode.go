package pyjson

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Marshal returns json.dumps(v, separators=(",", ":")) as Python writes it:
// pure ASCII, every code point from U+007F up escaped as lower-case \uXXXX
// (surrogate pairs above the BMP), floats as Python's repr, NaN/Infinity for
// non-finite floats, dict keys in order, no spaces.
//
// v is a value of the model (see the package doc) or one of the convenience
// Go types listed there; any other type is an error wrapping
// ErrUnsupportedType. A string that is not UTF-8 (or WTF-8 for a lone
// surrogate) is an error wrapping ErrInvalidUTF8, an int of more than 4300
// digits wraps ErrIntTooLong, and nesting deeper than MaxDepth levels (or a
// list or dict that contains itself) wraps ErrTooDeep: Marshal writes only
// what Unmarshal, and Python's json.loads in Django, read back.
//
// A Go string holding a surrogate pair as two WTF-8 halves is written as the
// pair of escapes, which Python (like Unmarshal) reads back as one character
// above the BMP, exactly as Python's own json does with '\ud83d\ude00'.
func Marshal(v any) ([]byte, error) {
	return AppendMarshal(make([]byte, 0, 128), v)
}

// AppendMarshal appends the encoding of v (as Marshal) to dst and returns the
// extended slice. On error it returns dst with its original length. With a
// reused buffer of enough capacity, encoding a *Dict of strings, ints, floats
// and lists does not allocate.
func AppendMarshal(dst []byte, v any) ([]byte, error) {
	out, err := appendValue(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return out, nil
}

func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, x)
	case *Dict:
		return appendDict(dst, x, depth)
	case []any:
		if depth >= MaxDepth {
			return dst, errTooDeepEncode
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		return appendFloat(dst, x), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case *big.Int:
		if x == nil {
			return dst, fmt.Errorf("%w: nil *big.Int", ErrUnsupportedType)
		}
		return appendBigInt(dst, x)
	}
	return appendGo(dst, v, depth)
}

var errTooDeepEncode = fmt.Errorf("%w: more than MaxDepth (%d) levels, which Go and Django would not read back (or a value that contains itself)", ErrTooDeep, MaxDepth)

// appendGo handles the convenience Go types, kept apart so the model's types
// stay at the top of the hot switch.
func appendGo(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case float32:
		return appendFloat(dst, float64(x)), nil
	case big.Int:
		return appendBigInt(dst, &x)
	case []string:
		return appendSlice(dst, x, func(dst []byte, s string) ([]byte, error) { return appendString(dst, s) })
	case []int:
		return appendSlice(dst, x, func(dst []byte, n int) ([]byte, error) { return strconv.AppendInt(dst, int64(n), 10), nil })
	case []int64:
		return appendSlice(dst, x, func(dst []byte, n int64) ([]byte, error) { return strconv.AppendInt(dst, n, 10), nil })
	case []float64:
		return appendSlice(dst, x, func(dst []byte, f float64) ([]byte, error) { return appendFloat(dst, f), nil })
	case map[string]any:
		if depth >= MaxDepth {
			return dst, errTooDeepEncode
		}
		return appendMap(dst, x, func(dst []byte, v any) ([]byte, error) { return appendValue(dst, v, depth+1) })
	case map[string]string:
		return appendMap(dst, x, appendString)
	}
	return dst, fmt.Errorf("%w: Object of type %T is not JSON serializable", ErrUnsupportedType, v)
}

func appendSlice[T any](dst []byte, s []T, elem func([]byte, T) ([]byte, error)) ([]byte, error) {
	dst = append(dst, '[')
	for i, e := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = elem(dst, e); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// appendMap writes a Go map with sorted keys: Go maps have no order to keep.
func appendMap[T any](dst []byte, m map[string]T, elem func([]byte, T) ([]byte, error)) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendString(dst, k); err != nil {
			return dst, err
		}
		dst = append(dst, ':')
		if dst, err = elem(dst, m[k]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendDict(dst []byte, d *Dict, depth int) ([]byte, error) {
	if depth >= MaxDepth {
		return dst, errTooDeepEncode
	}
	dst = append(dst, '{')
	if d != nil {
		for i, e := range d.entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendString(dst, e.key); err != nil {
				return dst, err
			}
			dst = append(dst, ':')
			v := e.val
			if r, ok := v.(*rawValue); ok {
				var done bool
				if v, done = r.decoded(); !done {
					if r.canon && depth+int(r.depth)+1 < MaxDepth {
						dst = append(dst, r.src...) // what encoding it would write
						continue
					}
					v = r.value()
				}
			}
			if dst, err = appendValue(dst, v, depth+1); err != nil {
				return dst, err
			}
		}
	}
	return append(dst, '}'), nil
}

// appendBigInt writes x in decimal, refusing more than 4300 digits as
// Python's int.__repr__ does. The size is checked before any formatting:
// formatting is superlinear, and a refused integer may be megabytes.
func appendBigInt(dst []byte, x *big.Int) ([]byte, error) {
	// 4300 decimal digits need at least 14281 bits; anything shorter is
	// certainly within the limit and skips the check.
	if x.BitLen() < 14000 {
		return x.Append(dst, 10), nil
	}
	// More than 4300 digits exactly when |x| >= 10^4300; CmpAbs compares
	// lengths first, so a huge x costs no more than a short one.
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(maxIntDigits), nil)
	if x.CmpAbs(limit) >= 0 {
		return dst, ErrIntTooLong
	}
	return x.Append(dst, 10), nil
}

// plainASCII marks the bytes json.dumps writes as themselves: printable
// ASCII except '"' and '\\'.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString writes s as json.dumps does with ensure_ascii=True.
func appendString(dst []byte, s string) ([]byte, error) {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainASCII[c] {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default: // other controls and DEL
				dst = appendU(dst, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// A lone surrogate in WTF-8: ED A0..BF 80..BF.
			if c != 0xED || i+2 >= len(s) || s[i+1]&0xE0 != 0xA0 || s[i+2]&0xC0 != 0x80 {
				return dst, fmt.Errorf("%w at byte %d", ErrInvalidUTF8, i)
			}
			r, size = 0xD000|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F), 3
		}
		if r >= 0x10000 {
			r -= 0x10000
			dst = appendU(dst, 0xD800+r>>10)
			dst = appendU(dst, 0xDC00+r&0x3FF)
		} else {
			dst = appendU(dst, r)
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), nil
}

// appendU writes \uXXXX with lower-case hex, r <= 0xFFFF.
func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}
