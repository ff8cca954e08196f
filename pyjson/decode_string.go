package pyjson

import "unicode/utf8"

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
// quote) and leaves d.pos after the closing quote. A string of plain ASCII is
// copied out with one allocation; anything else goes through d.buf.
func (d *decoder) str(start int) (any, error) {
	s, err := d.strBody(start)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (d *decoder) strBody(start int) (string, error) {
	data := d.data
	i := start
	for i < len(data) && strClass[data[i]] == clsPlain {
		i++
	}
	if i < len(data) && data[i] == '"' {
		d.pos = i + 1
		return string(data[start:i]), nil
	}
	return d.strSlow(start, i)
}

// key decodes an object key like strBody, reusing the string of an identical
// recent key: session dicts repeat the same few keys in every payload and
// every list item.
func (d *decoder) key(start int) (string, error) {
	data := d.data
	i := start
	for i < len(data) && strClass[data[i]] == clsPlain {
		i++
	}
	if i < len(data) && data[i] == '"' {
		d.pos = i + 1
		return d.keys.intern(data[start:i]), nil
	}
	return d.strSlow(start, i)
}

// strSlow finishes a string that has escapes, raw control characters, raw
// non-ASCII bytes or no end; data[start:i] is plain ASCII already scanned.
// The checks, messages and positions follow CPython 3.11's
// scanstring_unicode.
func (d *decoder) strSlow(start, i int) (string, error) {
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
			return "", d.syntaxError("Unterminated string starting at", start-1)
		}
		c := data[j]
		switch strClass[c] {
		case clsQuote:
			d.pos = j + 1
			return string(buf), nil
		case clsControl:
			return "", d.syntaxError("Invalid control character at", j)
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
			return "", d.syntaxError("Unterminated string starting at", start-1)
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
			r, next, err := d.unicodeEscape(j + 1)
			if err != nil {
				return "", err
			}
			buf = appendWTF8(buf, r)
			i = next
		default:
			return "", d.syntaxError("Invalid \\escape", j)
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

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendWTF8 appends r as UTF-8, or a surrogate as its 3-byte WTF-8 form,
// which utf8.AppendRune would replace with U+FFFD.
func appendWTF8(buf []byte, r rune) []byte {
	if 0xD800 <= r && r <= 0xDFFF {
		return append(buf, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(buf, r)
}

// keyCache remembers recent short keys in a small direct-mapped table, so a
// repeated key costs a comparison instead of an allocation. Strings are
// immutable, so sharing them between results is safe.
type keyCache struct {
	slots [64]string
}

const maxCachedKey = 32

func (c *keyCache) intern(b []byte) string {
	n := len(b)
	if n == 0 || n > maxCachedKey {
		return string(b)
	}
	h := (uint(n)*31 + uint(b[0])*7 + uint(b[n-1])*3 + uint(b[n/2])) & 63
	if s := c.slots[h]; s == string(b) {
		return s
	}
	s := string(b)
	c.slots[h] = s
	return s
}
