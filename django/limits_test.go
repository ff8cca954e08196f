package django

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

const limitsKey = "limits-test-secret-key"

// limitCodec returns the codec of engine for version v, with sha1 on 3.2
// when legacy is set (the pre-3.1 format), and the buffer its logger
// writes to.
func limitCodec(t *testing.T, v Version, engine string, legacy bool) (*Codec, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	s := DefaultSettings(limitsKey)
	s.DjangoVersion = v
	s.SessionEngine = EngineName(engine)
	s.Clock = func() time.Time { return time.Unix(1700000000, 0) }
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if legacy {
		s.DefaultHashingAlgorithm = "sha1"
	}
	c, err := NewCodec(s)
	if err != nil {
		t.Fatal(err)
	}
	return c, &logs
}

// cartSession is a logged-in session with a cart of n items: about 100
// bytes an item, and compressible as real sessions are.
func cartSession(n int) *pyjson.Dict {
	d := pyjson.NewDict(0)
	d.Set("_auth_user_id", "42")
	d.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
	d.Set("_auth_user_hash", strings.Repeat("0123456789abcdef", 4))
	cart := make([]any, n)
	for i := range cart {
		item := pyjson.NewDict(0)
		item.Set("sku", fmt.Sprintf("SKU-%05d", i))
		item.Set("name", fmt.Sprintf("Item \u00e9 number %d", i))
		item.Set("price", float64(i)+0.99)
		item.Set("qty", int64(i%5+1))
		cart[i] = item
	}
	d.Set("cart", cart)
	return d
}

// nestedSession is a session of depth levels in all: the dict itself and
// depth-1 lists under its key "a".
func nestedSession(depth int) *pyjson.Dict {
	var v any = []any{}
	for range depth - 2 {
		v = []any{v}
	}
	d := pyjson.NewDict(1)
	d.Set("a", v)
	return d
}

// sizedSession is a session whose JSON is exactly n bytes: {"a":"xx..."}.
func sizedSession(n int) *pyjson.Dict {
	d := pyjson.NewDict(1)
	d.Set("a", strings.Repeat("x", n-len(`{"a":""}`)))
	return d
}

// limitCases are the codecs under test: every version, db and
// signed_cookies, and 3.2's pre-3.1 format.
var limitCases = []struct {
	name   string
	v      Version
	engine string
	legacy bool
}{
	{"3.2/db/legacy", Django32, "db", true},
	{"3.2/db", Django32, "db", false},
	{"4.2/db", Django42, "db", false},
	{"5.2/db", Django52, "db", false},
	{"5.2/signed_cookies", Django52, "signed_cookies", false},
	{"6.1/db", Django61, "db", false},
}

// roundTrip encodes d, decodes the result and checks it is d again.
func roundTrip(t *testing.T, c *Codec, d *pyjson.Dict) string {
	t.Helper()
	data, err := c.Encode(d)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	back, err := c.Decode(data)
	if err != nil || !pyjson.Equal(back, d) {
		t.Fatalf("Decode of what Encode wrote: %v", err)
	}
	return data
}

// TestCodecLargeSessionRoundTrips: a 23 KB logged-in session (the one the
// issue lost) is written, read back intact, and stays logged in.
func TestCodecLargeSessionRoundTrips(t *testing.T) {
	d := cartSession(310)
	b, _ := pyjson.Marshal(d)
	if len(b) < 23000 || len(b) > 26000 {
		t.Fatalf("test session is %d bytes, want about 23 KB", len(b))
	}
	for _, lc := range limitCases {
		c, _ := limitCodec(t, lc.v, lc.engine, lc.legacy)
		data := roundTrip(t, c, d)
		if !lc.legacy && !strings.HasPrefix(data, ".") {
			t.Errorf("%s: a compressible session was not compressed", lc.name)
		}
	}
}

// TestCodecEncodeLimits: Encode writes a session at each limit (and Decode
// reads it); one step past a limit it refuses, with ErrNotSerializable,
// signing.ErrLimit and the limit's own sentinel, naming the limit.
func TestCodecEncodeLimits(t *testing.T) {
	for _, lc := range limitCases {
		c, _ := limitCodec(t, lc.v, lc.engine, lc.legacy)
		roundTrip(t, c, nestedSession(pyjson.MaxDepth))
		_, err := c.Encode(nestedSession(pyjson.MaxDepth + 1))
		encodeRefused(t, lc.name+": depth", err, pyjson.ErrTooDeep, fmt.Sprint(pyjson.MaxDepth))
	}
	if testing.Short() {
		t.Skip("16 MiB sessions skipped in -short mode")
	}
	for _, lc := range limitCases[:3] { // the pre-3.1 format, and the current one with and without legacy sha1
		c, _ := limitCodec(t, lc.v, lc.engine, lc.legacy)
		roundTrip(t, c, sizedSession(signing.DefaultMaxDecompressedSize))
		_, err := c.Encode(sizedSession(signing.DefaultMaxDecompressedSize + 1))
		encodeRefused(t, lc.name+": size", err, signing.ErrTooLarge, fmt.Sprint(signing.DefaultMaxDecompressedSize))
	}
}

func encodeRefused(t *testing.T, what string, err, kind error, limit string) {
	t.Helper()
	if !errors.Is(err, kind) || !errors.Is(err, signing.ErrLimit) || !errors.Is(err, ErrNotSerializable) {
		t.Errorf("%s: Encode past the limit: %v, want %v, signing.ErrLimit and ErrNotSerializable", what, err, kind)
	} else if !strings.Contains(err.Error(), limit) {
		t.Errorf("%s: %q does not name the limit %s", what, err, limit)
	}
}

// TestCodecDecodeLimitIsNotCorrupt: data signed with the right key but
// beyond a limit (Django or a Go service with other limits wrote it)
// decodes to an error that matches signing.ErrLimit and the limit's
// sentinel, and neither ErrMalformed, ErrBadSignature nor
// ErrSessionCorrupted: nothing is logged as corrupted.
func TestCodecDecodeLimitIsNotCorrupt(t *testing.T) {
	deep := []byte(`{"a":` + strings.Repeat("[", pyjson.MaxDepth) + strings.Repeat("]", pyjson.MaxDepth) + `}`)
	huge, _ := pyjson.Marshal(sizedSession(signing.DefaultMaxDecompressedSize + 1))
	for _, lc := range limitCases {
		c, logs := limitCodec(t, lc.v, lc.engine, lc.legacy)
		salt := defaultKeySalt
		if lc.engine == "signed_cookies" {
			salt = signedCookiesSalt
		}
		alg := signing.SHA256
		if lc.legacy {
			alg = signing.SHA1 // DEFAULT_HASHING_ALGORITHM
		}
		ts, err := signing.NewTimestampSigner(signing.Options{
			Key: limitsKey, Salt: salt, Algorithm: alg, LegacySHA1: lc.v == Django32,
			Now:                 func() time.Time { return time.Unix(1700000000, 0) },
			MaxDecompressedSize: 2 * signing.DefaultMaxDecompressedSize,
		})
		if err != nil {
			t.Fatal(err)
		}
		tokens := map[string]struct {
			data string
			kind error
		}{
			"too deep":  {ts.SignPayload(deep, true), pyjson.ErrTooDeep},
			"too large": {ts.SignPayload(huge, true), signing.ErrTooLarge},
		}
		if lc.legacy {
			tokens["too deep, pre-3.1 format"] = struct {
				data string
				kind error
			}{legacyToken(t, c, deep), pyjson.ErrTooDeep}
		}
		for name, tok := range tokens {
			d, err := c.Decode(tok.data)
			switch {
			case d == nil || d.Len() != 0:
				t.Errorf("%s, %s: session %v, want empty", lc.name, name, d)
			case !errors.Is(err, tok.kind) || !errors.Is(err, signing.ErrLimit):
				t.Errorf("%s, %s: %v, want %v and signing.ErrLimit", lc.name, name, err, tok.kind)
			case errors.Is(err, signing.ErrMalformed) || errors.Is(err, signing.ErrBadSignature) || errors.Is(err, ErrSessionCorrupted):
				t.Errorf("%s, %s: %v is also classed as corrupt", lc.name, name, err)
			}
		}
		if logs.Len() != 0 {
			t.Errorf("%s: a limit was logged: %s", lc.name, logs)
		}
	}
}

// legacyToken is serialized in the pre-3.1 format, as Django 3.2 writes it
// with DEFAULT_HASHING_ALGORITHM = "sha1".
func legacyToken(t *testing.T, c *Codec, serialized []byte) string {
	t.Helper()
	h, err := c.legacyHash(serialized)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(append([]byte(h+":"), serialized...))
}
