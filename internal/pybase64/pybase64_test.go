package pybase64

import (
	"encoding/hex"
	"errors"
	"testing"
)

// TestDecodeMatchesPython: base64.b64decode (CPython 3, non-strict) on
// odd inputs, with CPython's results and messages.
func TestDecodeMatchesPython(t *testing.T) {
	for _, c := range []struct{ in, hex, err string }{
		{"", "", ""},
		{"QQ==", "41", ""},
		{"QQ", "", "Incorrect padding"},
		{"QUJD", "414243", ""},
		{"QU-_JD", "414243", ""},
		{"Q", "", "Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4"},
		{"QUJDR", "", "Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4"},
		{"QQ==QUJD", "41", ""},
		{"QQ=", "", "Incorrect padding"},
		{"Q=Q=", "", "Incorrect padding"},
		{"+/+/", "fbffbf", ""},
		{"-_-_", "", ""},
		{" Q Q = = ", "41", ""},
		{"QUI=\nQUI=", "4142", ""},
		{"QUJ", "", "Incorrect padding"},
		{"QUJDRA", "", "Incorrect padding"},
	} {
		got, err := Decode(c.in)
		if c.err != "" {
			if !errors.Is(err, ErrInvalid) || err.Error() != c.err {
				t.Errorf("Decode(%q) = %x, %v; Python raises %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || hex.EncodeToString(got) != c.hex {
			t.Errorf("Decode(%q) = %x, %v; Python %s", c.in, got, err, c.hex)
		}
	}
}

// TestDecodeURLSafe: Django's b64_decode adds the padding and reads both
// alphabets, where b64decode skips '-' and '_'.
func TestDecodeURLSafe(t *testing.T) {
	for _, c := range []struct{ in, hex string }{
		{"QQ", "41"},
		{"-_-_", "fbffbf"},
		{"+/+/", "fbffbf"},
		{"QUJDRA", "41424344"},
	} {
		if got, err := DecodeURLSafe(c.in); err != nil || hex.EncodeToString(got) != c.hex {
			t.Errorf("DecodeURLSafe(%q) = %x, %v; Python %s", c.in, got, err, c.hex)
		}
	}
	if _, err := DecodeURLSafe("QUJDR"); !errors.Is(err, ErrInvalid) {
		t.Errorf("DecodeURLSafe(\"QUJDR\"): %v, want ErrInvalid", err)
	}
}
