package pyjson

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns d as Python's repr shows it ({'cart': [1, 2.0], 'k': None}),
// so that fmt.Println(d) and %v print a session the way Django's shell does.
func (d *Dict) String() string { return Repr(d) }

// Repr returns Python's repr() of a value of the model: None, True, 1,
// 1.0, 'text', [1, 'a'], {'k': None}. Values outside the model print as
// fmt's %v.
func Repr(v any) string {
	var b strings.Builder
	appendRepr(&b, v, 0)
	return b.String()
}

func appendRepr(b *strings.Builder, v any, depth int) {
	if depth > MaxDepth {
		b.WriteString("...")
		return
	}
	switch x := normalizeScalar(v).(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case *big.Int:
		b.WriteString(x.String())
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("nan")
		case math.IsInf(x, 1):
			b.WriteString("inf")
		case math.IsInf(x, -1):
			b.WriteString("-inf")
		default:
			b.Write(appendFloat(nil, x))
		}
	case string:
		reprString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			appendRepr(b, e, depth+1)
		}
		b.WriteByte(']')
	case *Dict:
		if x == nil {
			b.WriteString("None")
			return
		}
		b.WriteByte('{')
		for i := range x.entries {
			if i > 0 {
				b.WriteString(", ")
			}
			reprString(b, x.entries[i].key)
			b.WriteString(": ")
			appendRepr(b, x.entries[i].value(), depth+1)
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "%v", v)
	}
}

// reprString is str.__repr__: single quotes unless the text has a single
// quote and no double one; backslash escapes for the quote, the backslash
// and \t \n \r; \xhh, \uhhhh or \Uhhhhhhhh for what Python deems not
// printable; other characters as they are.
func reprString(b *strings.Builder, s string) {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(b, `\x%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x80 || pyPrintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			fmt.Fprintf(b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
}

// pyPrintable approximates str.isprintable for non-ASCII: Python prints
// letters, marks, numbers, punctuation and symbols as they are, and escapes
// separators other than the space and everything in the Other categories.
func pyPrintable(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}
