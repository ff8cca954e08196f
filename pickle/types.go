package pickle

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Bytes is a Python bytes value. Unmarshal always returns a fresh copy, never
// a slice of its input.
type Bytes []byte

// ByteArray is a Python bytearray (BYTEARRAY8 at protocol 5, a
// builtins.bytearray REDUCE below). Sessions rarely hold one; it exists so
// that every data opcode of protocol 5 has a Go meaning.
type ByteArray []byte

// Tuple is a Python tuple. A tuple is its own type (not []any) because
// pickle keeps it apart from a list and re-encoding must write TUPLE again.
type Tuple []any

// Set is a Python set. Its elements are kept in the order the pickle lists
// them, which is CPython's iteration order when it was pickled, so that
// Marshal writes the same bytes back. Unmarshal drops duplicate elements as
// Python would (see Map for how keys compare); Marshal writes the elements
// as given.
type Set []any

// FrozenSet is a Python frozenset, with the same ordering rules as Set.
type FrozenSet []any

// Decimal is a Python decimal.Decimal in the string form str() gives and the
// pickle carries (Decimal.__reduce__ is (Decimal, (str(self),))), e.g. "3.14",
// "-0", "1E+3", "NaN". Keeping the string keeps the exact digits and
// exponent, which a float or big.Rat would lose.
type Decimal string

// String returns the decimal as Python's str() would.
func (d Decimal) String() string { return string(d) }

// validDecimal accepts the syntax of Python's Decimal constructor minus
// whitespace and underscores (which str() never produces): a sign, digits
// with an optional point, an optional exponent; or Infinity/Inf, NaN or sNaN
// with optional diagnostic digits, case-insensitive.
func validDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	l := strings.ToLower(s)
	if l == "inf" || l == "infinity" {
		return true
	}
	if strings.HasPrefix(l, "nan") || strings.HasPrefix(l, "snan") {
		rest := strings.TrimPrefix(strings.TrimPrefix(l, "s"), "nan")
		return allDigits(rest, true)
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if !allDigits(exp, false) {
			return false
		}
	}
	intPart, frac, dot := strings.Cut(mant, ".")
	if !allDigits(intPart, true) || !allDigits(frac, true) {
		return false
	}
	return intPart != "" || (dot && frac != "")
}

func allDigits(s string, emptyOK bool) bool {
	if s == "" {
		return emptyOK
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SafeUUID is uuid.SafeUUID, which a UUID made by uuid1() carries: whether
// the platform generated it in a multiprocessing-safe way. Pickles include
// it only when it is not unknown.
type SafeUUID int8

const (
	// UUIDSafeUnknown is SafeUUID.unknown (value None), the zero value.
	UUIDSafeUnknown SafeUUID = iota
	// UUIDSafe is SafeUUID.safe (value 0).
	UUIDSafe
	// UUIDUnsafe is SafeUUID.unsafe (value -1).
	UUIDUnsafe
)

// UUID is a Python uuid.UUID: 16 bytes in network order (UUID.bytes) and
// its is_safe attribute.
type UUID struct {
	Bytes  [16]byte
	IsSafe SafeUUID
}

// String returns the canonical 8-4-4-4-12 lowercase hex form, as str(uuid).
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u.Bytes[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u.Bytes[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u.Bytes[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u.Bytes[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u.Bytes[10:])
	return string(b[:])
}

// ParseUUID parses the forms Python's uuid.UUID(hex) accepts: 32 hex digits,
// optionally with hyphens, braces and a "urn:uuid:" prefix.
func ParseUUID(s string) (UUID, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "urn:"), "uuid:")
	t = strings.Trim(t, "{}")
	t = strings.ReplaceAll(t, "-", "")
	var u UUID
	if len(t) != 32 {
		return u, fmt.Errorf("pickle: badly formed hexadecimal UUID string %q", s)
	}
	if _, err := hex.Decode(u.Bytes[:], []byte(t)); err != nil {
		return u, fmt.Errorf("pickle: badly formed hexadecimal UUID string %q", s)
	}
	return u, nil
}
