package pyjson

import (
	"unicode/utf8"
	"unsafe"
)

// Byte classes inside a JSON string. Everything but plain ASCII leaves the
// fast scanning loop.
const (
	clsPlain     = iota
	clsQuote     // closing '"'
	clsBackslash // start of an escape
	clsControl   // raw 0x00–0x1F: rejected, as by CPython in strict mode
	clsHigh      // raw 0x80–0xFF: one latin-1 character, two UTF-8 bytes
)

var strClass = func() (t [256]byte) {
	for c := 0; c < 0x20; c++ {
		t[c] = clsControl
	}
	t['"'] = clsQuote
	t['\\'] = clsBackslash
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsHigh
	}
	return t
}()

// str decodes the string whose body starts at start (just after the opening
// quote) and leaves d.pos after the closing quote.
func (d *decoder) str(start int) (any, error) {
	s, err := d.key(start)
	if err != nil {
		return nil, err
	}
	return d.slab.str(s), nil
}

// key decodes a string as str does, unboxed. A string of plain ASCII is a
// slice of d.data, which the caller made sure is a copy that nothing writes
// to (the Dict's text, or the eager decoder's copy of its input); anything
// else is unescaped into the slab.
func (d *decoder) key(start int) (string, error) {
	data := d.data
	i := start
	for i < len(data) && strClass[data[i]] == clsPlain {
		i++
	}
	if i < len(data) && data[i] == '"' {
		d.pos = i + 1
		if i == start {
			return "", nil
		}
		return unsafe.String(&data[start], i-start), nil
	}
	buf, err := d.strSlow(start, i)
	if err != nil {
		return "", err
	}
	return d.slab.text(buf), nil
}

// strSlow finishes a string that has escapes, raw control characters, raw
// non-ASCII bytes or no end; data[start:i] is plain ASCII already scanned.
// It returns the string's UTF-8 (WTF-8) text in d.buf, valid until the
// next call.
// The checks, messages and positions follow CPython 3.11's
// scanstring_unicode.
func (d *decoder) strSlow(start, i int) ([]byte, error) {
	data := d.data
	buf := append(d.buf[:0], data[start:i]...)
	defer func() { d.buf = buf[:0] }()
	for {
		j := i
		for j < len(data) && strClass[data[j]] == clsPlain {
			j++
		}
		buf = append(buf, data[i:j]...)
		if j >= len(data) {
			return nil, d.syntaxError("Unterminated string starting at", start-1)
		}
		c := data[j]
		switch strClass[c] {
		case clsQuote:
			d.pos = j + 1
			return buf, nil
		case clsControl:
			return nil, d.syntaxError("Invalid control character at", j)
		case clsHigh:
			if d.utf8Input {
				r, size := utf8.DecodeRune(data[j:])
				buf = utf8.AppendRune(buf, r) // U+FFFD for invalid bytes
				i = j + size
				continue
			}
			buf = append(buf, 0xC0|c>>6, 0x80|c&0x3F)
			i = j + 1
			continue
		}
		// A backslash at j.
		if j+1 >= len(data) {
			return nil, d.syntaxError("Unterminated string starting at", start-1)
		}
		i = j + 2
		switch data[j+1] {
		case '"':
			buf = append(buf, '"')
		case '\\':
			buf = append(buf, '\\')
		case '/':
			buf = append(buf, '/')
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			// The common escape, one character of the BMP that is not a
			// surrogate, is decoded here; unicodeEscape takes the rest
			// (pairs, lone halves, errors).
			if j+6 < len(data) {
				if r, ok := hex4(data[j+2 : j+6]); ok && (r < 0xD800 || r > 0xDFFF) {
					switch {
					case r < 0x80:
						buf = append(buf, byte(r))
					case r < 0x800:
						buf = append(buf, byte(0xC0|r>>6), byte(0x80|r&0x3F))
					default:
						buf = append(buf, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
					}
					i = j + 6
					continue
				}
			}
			r, next, err := d.unicodeEscape(j + 1)
			if err != nil {
				return nil, err
			}
			buf = appendWTF8(buf, r)
			i = next
		default:
			return nil, d.syntaxError("Invalid \\escape", j)
		}
	}
}

// unicodeEscape decodes \uXXXX whose 'u' is at u, joining a following
// \uXXXX low surrogate to a high one. It returns the code point and the index
// after what it consumed. A surrogate that is not part of a pair is returned
// alone, as Python keeps it.
func (d *decoder) unicodeEscape(u int) (rune, int, error) {
	data := d.data
	end := u + 5 // after the 4 hex digits
	// CPython requires a character after the digits (end >= len is an error
	// even when the digits are valid: the string is unterminated anyway).
	if end >= len(data) {
		return 0, 0, d.syntaxError("Invalid \\uXXXX escape", u)
	}
	r, ok := hex4(data[u+1 : end])
	if !ok {
		return 0, 0, d.syntaxError("Invalid \\uXXXX escape", u)
	}
	if 0xD800 <= r && r <= 0xDBFF && end+6 < len(data) && data[end] == '\\' && data[end+1] == 'u' {
		r2, ok := hex4(data[end+2 : end+6])
		if !ok {
			return 0, 0, d.syntaxError("Invalid \\uXXXX escape", end+1)
		}
		if 0xDC00 <= r2 && r2 <= 0xDFFF {
			return 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00), end + 6, nil
		}
		// Not a low surrogate: r stays lone, the second escape is read next.
	}
	return r, end, nil
}

// hexVal is each byte's value as a hex digit, 0xFF when it is not one.
var hexVal = func() (t [256]byte) {
	for c := range t {
		t[c] = 0xFF
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = byte(c-'a'+10), byte(c-'a'+10)
	}
	return t
}()

func hex4(b []byte) (rune, bool) {
	_ = b[3]
	a, c, e, f := hexVal[b[0]], hexVal[b[1]], hexVal[b[2]], hexVal[b[3]]
	if (a|c|e|f)&0xF0 != 0 {
		return 0, false
	}
	return rune(a)<<12 | rune(c)<<8 | rune(e)<<4 | rune(f), true
}

// appendWTF8 appends r as UTF-8, or a surrogate as its 3-byte WTF-8 form,
// which utf8.AppendRune would replace with U+FFFD (the 3-byte form below is
// the same rule applied to every code point below U+10000).
func appendWTF8(buf []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(buf, byte(r))
	case r < 0x800:
		return append(buf, byte(0xC0|r>>6), byte(0x80|r&0x3F))
	case r < 0x10000:
		return append(buf, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(buf, r)
}
