package signing

import (
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// jsonOfLen returns a JSON string value whose encoding is exactly n bytes
// (n >= 2), compressible as a session is.
func jsonOfLen(n int) string { return strings.Repeat("a", n-2) }

// limitOnly asserts that err is a limit error, never a corrupt-data or a
// bad-signature one, and that its message names the limit.
func limitOnly(t *testing.T, what string, err error, kind error, limit int64) {
	t.Helper()
	switch {
	case !errors.Is(err, kind) || !errors.Is(err, ErrLimit):
		t.Errorf("%s: %v, want %v (an ErrLimit)", what, err, kind)
	case errors.Is(err, ErrMalformed) || errors.Is(err, ErrBadSignature):
		t.Errorf("%s: %v also matches ErrMalformed or ErrBadSignature", what, err)
	case !strings.Contains(err.Error(), strconv.FormatInt(limit, 10)):
		t.Errorf("%s: %q does not name the limit %d", what, err, limit)
	}
}

// TestSizeLimitBothWays: a payload of exactly MaxDecompressedSize is signed
// and unsigned, compressed or not; one byte more is refused when signing
// (SignObject, Dumps), with ErrTooLarge, not ErrMalformed. SignPayload,
// which cannot fail, signs it uncompressed, and it unsigns.
func TestSizeLimitBothWays(t *testing.T) {
	for _, max := range []int64{4096, DefaultMaxDecompressedSize} {
		if max > 4096 && testing.Short() {
			continue
		}
		o := Options{Key: testKey, Salt: "django.core.signing", Now: fixedClock(t0), MaxDecompressedSize: max}
		if max == DefaultMaxDecompressedSize {
			o.MaxDecompressedSize = 0 // the default
		}
		ts, err := NewTimestampSigner(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, compress := range []bool{true, false} {
			at := jsonOfLen(int(max))
			tok, err := ts.SignObject(at, compress)
			if err != nil {
				t.Fatalf("max %d, compress %v: SignObject at the limit: %v", max, compress, err)
			}
			if compress != strings.HasPrefix(tok, ".") {
				t.Fatalf("max %d: compress %v, token %.20q", max, compress, tok)
			}
			if v, err := ts.UnsignObject(tok); err != nil || v != at {
				t.Fatalf("max %d, compress %v: UnsignObject of a token at the limit: %v", max, compress, err)
			}
			if v, err := Loads(tok, o); err != nil || v != at {
				t.Fatalf("max %d, compress %v: Loads at the limit: %v", max, compress, err)
			}

			past := jsonOfLen(int(max) + 1)
			_, err = ts.SignObject(past, compress)
			limitOnly(t, "SignObject past the limit", err, ErrTooLarge, max)
			_, err = Dumps(past, o, compress)
			limitOnly(t, "Dumps past the limit", err, ErrTooLarge, max)
			tok = ts.SignPayload([]byte(`"`+past+`"`), compress)
			if v, err := ts.UnsignObject(tok); err != nil || v != past || strings.HasPrefix(tok, ".") {
				t.Fatalf("max %d, compress %v: SignPayload past the limit: %v", max, compress, err)
			}
		}
		s, err := NewSigner(o)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SignObject(jsonOfLen(int(max)+1), true)
		limitOnly(t, "Signer.SignObject past the limit", err, ErrTooLarge, max)
	}
}

// TestTooLargeTokenIsLimit: a token that inflates past the limit (Django
// wrote it, or a Go service with a larger limit did) is a limit error, so a
// session layer never mistakes it for garbage to write over.
func TestTooLargeTokenIsLimit(t *testing.T) {
	big, err := NewTimestampSigner(Options{Key: testKey, Salt: "django.core.signing", Now: fixedClock(t0), MaxDecompressedSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := big.SignObject(jsonOfLen(5000), true)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Key: testKey, Salt: "django.core.signing", Now: fixedClock(t0), MaxDecompressedSize: 4096}
	_, err = Loads(tok, o)
	limitOnly(t, "Loads", err, ErrTooLarge, 4096)
	small, _ := NewTimestampSigner(o)
	_, err = small.UnsignPayload(tok)
	limitOnly(t, "UnsignPayload", err, ErrTooLarge, 4096)
}

// TestSerializerLimitsBothWays: pyjson's nesting and integer limits refuse
// a value when signing and a token when unsigning, with ErrLimit and the
// pyjson sentinel, never ErrMalformed; at the limit both directions work.
func TestSerializerLimitsBothWays(t *testing.T) {
	o := Options{Key: testKey, Salt: "django.core.signing", Now: fixedClock(t0)}
	ts, _ := NewTimestampSigner(o)
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	digits := func(n int) string { return strings.Repeat("9", n) }
	for _, c := range []struct {
		name     string
		at, past string
		kind     error
		limit    int64
	}{
		{"depth", nest(pyjson.MaxDepth), nest(pyjson.MaxDepth + 1), pyjson.ErrTooDeep, pyjson.MaxDepth},
		{"digits", digits(4300), digits(4301), pyjson.ErrIntTooLong, 4300},
	} {
		at, err := pyjson.Unmarshal([]byte(c.at))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := Dumps(at, o, true)
		if err != nil {
			t.Fatalf("%s: Dumps at the limit: %v", c.name, err)
		}
		if _, err := Loads(tok, o); err != nil {
			t.Fatalf("%s: Loads at the limit: %v", c.name, err)
		}

		// A value built in Go one step past the limit is refused when signing.
		var past any
		if c.name == "depth" {
			past = []any{at}
		} else {
			past, _ = new(big.Int).SetString(c.past, 10)
		}
		_, err = Dumps(past, o, true)
		limitOnly(t, c.name+": Dumps past the limit", err, c.kind, c.limit)

		// A token past the limit (signed by whoever could) is refused as a
		// limit when unsigning.
		for _, compress := range []bool{false, true} {
			tok := ts.SignPayload([]byte(c.past), compress)
			_, err = ts.UnsignObject(tok)
			limitOnly(t, c.name+": UnsignObject past the limit", err, c.kind, c.limit)
		}
	}
}

// TestPickleLimitsAreLimits: with the pickle serializer, a pickle beyond
// the decoder's limits is a limit error, not a malformed one.
func TestPickleLimitsAreLimits(t *testing.T) {
	ser := pickle.Serializer{Options: pickle.Options{MaxSize: 64}}
	o := Options{Key: testKey, Now: fixedClock(t0), Serializer: ser}
	ts, err := NewTimestampSigner(o)
	if err != nil {
		t.Fatal(err)
	}
	data, err := pickle.Marshal(strings.Repeat("x", 100), 4)
	if err != nil {
		t.Fatal(err)
	}
	tok := ts.SignPayload(data, false)
	_, err = ts.UnsignObject(tok)
	limitOnly(t, "a pickle past MaxSize", err, pickle.ErrTooLarge, 64)
	if !IsLimit(pickle.ErrTooDeep) || IsLimit(pickle.ErrMalformed) || IsLimit(pyjson.ErrSyntax) {
		t.Error("IsLimit classifies the serializers' sentinels wrongly")
	}
}
