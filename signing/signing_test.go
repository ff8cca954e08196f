package signing

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/hex"
	"errors"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djsession/djsession/pyjson"
	"github.com/klauspost/compress/zlib"
)

const testKey = "django-insecure-interop-vector-secret-key-0123456789"

var t0 = time.Unix(1700000000, 0)

func TestSaltedHMACAllAlgorithms(t *testing.T) {
	for _, c := range pyHMACs {
		got, err := SaltedHMAC("my.saltsigner", "valué", "sécret", Algorithm(c.alg))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != c.hex {
			t.Errorf("%s: %x, Python %s", c.alg, got, c.hex)
		}
	}
	for _, bad := range []string{"SHA256", "sha512_256", "shake_128", "", "nope"} {
		_, err := SaltedHMAC("s", "v", "k", Algorithm(bad))
		if !errors.Is(err, ErrInvalidAlgorithm) {
			t.Errorf("%q: %v", bad, err)
		}
		if !strings.Contains(err.Error(), "'"+bad+"' is not an algorithm accepted by the hashlib module.") {
			t.Errorf("%q: message %q", bad, err)
		}
	}
	if _, err := NewSigner(Options{Key: "k", Algorithm: "SHA256"}); !errors.Is(err, ErrInvalidAlgorithm) {
		t.Errorf("NewSigner with SHA256: %v", err)
	}
}

func TestB64DecodeMatchesPython(t *testing.T) {
	for _, c := range pyB64Cases {
		got, err := B64Decode(c.in)
		if c.err {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("B64Decode(%q) = %x, %v; Python raises", c.in, got, err)
			}
			continue
		}
		if err != nil || hex.EncodeToString(got) != c.hex {
			t.Errorf("B64Decode(%q) = %x, %v; Python %s", c.in, got, err, c.hex)
		}
		// The slow path alone must agree as well.
		if got, err := pyB64Decode(c.in); err != nil || hex.EncodeToString(got) != c.hex {
			t.Errorf("pyB64Decode(%q) = %x, %v; Python %s", c.in, got, err, c.hex)
		}
	}
}

func TestB62(t *testing.T) {
	for _, n := range []int64{0, 1, -1, 61, 62, 1700000000, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		s := B62Encode(n)
		got, err := B62Decode(s)
		if err != nil || got != n {
			t.Errorf("B62Decode(B62Encode(%d)=%q) = %d, %v", n, s, got, err)
		}
	}
	for _, s := range []string{"", "!", "--1", "é", "aZl8N0y58M8", "-aZl8N0y58M9", "zzzzzzzzzzzzzzzzzzzzzz"} {
		if _, err := B62Decode(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("B62Decode(%q): %v", s, err)
		}
	}
	if got, _ := B62Decode("AzL8n0Y58m7"); got != math.MaxInt64 {
		t.Errorf("MaxInt64: %d", got)
	}
}

func TestSeparatorValidation(t *testing.T) {
	for _, sep := range []string{"a", "-", "=", "_", "^", "`", "[", `\`, "]", "ab", "A-z09", "\n", "a\n"} {
		_, err := NewSigner(Options{Key: "k", Sep: sep})
		if !errors.Is(err, ErrUnsafeSeparator) {
			t.Errorf("sep %q accepted: %v", sep, err)
		}
	}
	for _, sep := range []string{":", "/", ".", " ", "::", ":a", "é", "a\n\n", "\n:"} {
		s, err := NewSigner(Options{Key: "k", Sep: sep})
		if err != nil {
			t.Errorf("sep %q refused: %v", sep, err)
			continue
		}
		if got, err := s.Unsign(s.Sign("x" + sep + "y")); err != nil || got != "x"+sep+"y" {
			t.Errorf("sep %q: round trip %q, %v", sep, got, err)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	if _, err := NewSigner(Options{}); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
	if _, err := Dumps("x", Options{}, false); !errors.Is(err, ErrNoKey) {
		t.Errorf("Dumps without key: %v", err)
	}
	if _, err := Loads("x", Options{}); !errors.Is(err, ErrNoKey) {
		t.Errorf("Loads without key: %v", err)
	}
	if _, err := NewCookieSigner(Options{}); !errors.Is(err, ErrNoKey) {
		t.Errorf("cookie signer without key: %v", err)
	}
	_, err := Dumps(make(chan int), Options{Key: "k"}, false)
	if err == nil || errors.Is(err, ErrMalformed) || errors.Is(err, ErrBadSignature) {
		t.Errorf("unserializable value: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	old, _ := NewSigner(Options{Key: "old"})
	tok := old.Sign("v")
	for _, c := range []struct {
		fallbacks []string
		ok        bool
	}{{nil, false}, {[]string{}, false}, {[]string{"x", "old"}, true}, {[]string{"", "old"}, true}, {[]string{""}, false}} {
		s, _ := NewSigner(Options{Key: "new", FallbackKeys: c.fallbacks})
		_, err := s.Unsign(tok)
		if (err == nil) != c.ok {
			t.Errorf("fallbacks %q: %v", c.fallbacks, err)
		}
	}
	// An empty fallback re-tests the primary key.
	s, _ := NewSigner(Options{Key: "old", FallbackKeys: []string{""}})
	if _, err := s.Unsign(tok); err != nil {
		t.Error(err)
	}
	// Signing always uses Key.
	s, _ = NewSigner(Options{Key: "new", FallbackKeys: []string{"old"}})
	if s.Sign("v") == tok {
		t.Error("signed with a fallback key")
	}
}

func TestLegacySHA1(t *testing.T) {
	sha1Signer, _ := NewSigner(Options{Key: "old", Algorithm: SHA1})
	tok := sha1Signer.Sign("v")
	for _, c := range []struct {
		o  Options
		ok bool
	}{
		{Options{Key: "old"}, false},
		{Options{Key: "old", LegacySHA1: true}, true},
		{Options{Key: "new", FallbackKeys: []string{"old"}, LegacySHA1: true}, true},
		{Options{Key: "new", FallbackKeys: []string{"old"}}, false},
		{Options{Key: "old", Algorithm: SHA512, LegacySHA1: true}, true},
	} {
		s, err := NewSigner(c.o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Unsign(tok); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.o, err)
		}
	}
}

func TestExpiry(t *testing.T) {
	now := t0
	ts, _ := NewTimestampSigner(Options{Key: testKey, Now: func() time.Time { return now }})
	tok := ts.Sign("v")
	for _, c := range []struct {
		at      time.Time
		maxAge  time.Duration
		expired bool
	}{
		{t0.Add(100 * time.Second), 100 * time.Second, false},
		{t0.Add(100*time.Second + time.Millisecond), 100 * time.Second, true},
		{t0.Add(-time.Hour), 0, false}, // the future never expires
		{t0.Add(time.Hour), -time.Second, true},
	} {
		now = c.at
		_, err := ts.UnsignMaxAge(tok, c.maxAge)
		if c.expired != (err != nil) {
			t.Fatalf("at %v maxAge %v: %v", c.at, c.maxAge, err)
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrSignatureExpired) || !errors.Is(err, ErrBadSignature) || errors.Is(err, ErrMalformed) {
			t.Errorf("expired error %v has the wrong classes", err)
		}
		var e *ExpiredError
		if !errors.As(err, &e) || e.MaxAge != c.maxAge {
			t.Errorf("errors.As: %v", err)
		}
	}
	now = t0.Add(100*time.Second + 500*time.Millisecond)
	_, err := ts.UnsignMaxAge(tok, 100*time.Second)
	if err == nil || err.Error() != "signing: Signature age 100.5 > 100 seconds" {
		t.Errorf("message: %v", err)
	}
	if got, err := ts.Unsign(tok); err != nil || got != "v" {
		t.Errorf("Unsign without limit: %q, %v", got, err)
	}
}

// signedPayload returns a Dumps-style token whose payload is p verbatim,
// validly signed: a way to reach the decoding steps.
func signedPayload(t testing.TB, p string) string {
	s, err := NewTimestampSigner(Options{Key: testKey, Salt: "django.core.signing", Now: fixedClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	return s.Sign(p)
}

func zlibOf(data []byte, level int) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, level)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestDecompression(t *testing.T) {
	o := Options{Key: testKey, Now: fixedClock(t0)}
	data := []byte(`{"a":"` + strings.Repeat("b", 100) + `"}`)
	z := zlibOf(data, 9)
	var raw, gz bytes.Buffer
	fw, _ := flate.NewWriter(&raw, 9)
	fw.Write(data)
	fw.Close()
	gw := gzip.NewWriter(&gz)
	gw.Write(data)
	gw.Close()
	badSum := append([]byte(nil), z...)
	badSum[len(badSum)-1] ^= 1
	for _, c := range []struct {
		name string
		z    []byte
		ok   bool
	}{
		{"zlib", z, true},
		{"trailing garbage ignored", append(append([]byte(nil), z...), "garbage"...), true},
		{"raw deflate", raw.Bytes(), false},
		{"gzip", gz.Bytes(), false},
		{"truncated", z[:len(z)-5], false},
		{"missing checksum", z[:len(z)-4], false},
		{"bad checksum", badSum, false},
		{"empty", nil, false},
	} {
		got, err := Loads(signedPayload(t, "."+B64Encode(c.z)), o)
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if d, _ := got.(*pyjson.Dict); d == nil {
				t.Errorf("%s: %v", c.name, got)
			}
			continue
		}
		if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestZipBomb(t *testing.T) {
	// A small bomb against a small bound.
	z := zlibOf(make([]byte, 1<<20), 9)
	tok := signedPayload(t, "."+B64Encode(z))
	_, err := Loads(tok, Options{Key: testKey, MaxDecompressedSize: 1000})
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrLimit) || errors.Is(err, ErrMalformed) {
		t.Fatalf("1 MiB bomb, bound 1000: %v, want ErrTooLarge and ErrLimit, not ErrMalformed", err)
	}
	if _, err := Loads(tok, Options{Key: testKey, MaxDecompressedSize: 1 << 20}); !errors.Is(err, pyjson.ErrSyntax) {
		t.Fatalf("bound exactly the size: want the JSON error, got %v", err)
	}

	// 1 GiB of zeros (about 1 MiB compressed) against the default bound:
	// refused, and memory stays near the bound.
	if testing.Short() {
		t.Skip("1 GiB bomb skipped in -short mode")
	}
	b := zerosBomb(1024)
	tok = signedPayload(t, "."+B64Encode(b))
	t.Logf("1 GiB of zeros: %d bytes compressed, %d bytes of token", len(b), len(tok))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = Loads(tok, Options{Key: testKey})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("1 GiB bomb: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*DefaultMaxDecompressedSize+uint64(2*len(tok)) {
		t.Errorf("allocated %d bytes for a bound of %d", alloc, DefaultMaxDecompressedSize)
	} else {
		t.Logf("allocated %d bytes refusing it", alloc)
	}
}

// zerosBomb returns a zlib stream of mib MiB of zeros without compressing
// them all: one sync-flushed, byte-aligned, non-final run of deflate blocks
// for 1 MiB is repeated, then closed with an empty final block and the
// Adler-32 of the zeros ((1 + 0·n) mod 65521, n mod 65521).
func zerosBomb(mib int) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	w.Write(make([]byte, 1<<20))
	w.Flush()
	chunk := append([]byte(nil), b.Bytes()[2:]...)
	out := append([]byte(nil), b.Bytes()[:2]...)
	for i := 0; i < mib; i++ {
		out = append(out, chunk...)
	}
	n := uint32((uint64(mib) << 20) % 65521)
	return append(out, 0x03, 0x00, byte(n>>8), byte(n), 0, 1)
}

func TestZerosBombIsValid(t *testing.T) {
	got, err := Decompress(zerosBomb(3), 3<<20)
	if err != nil || len(got) != 3<<20 || bytes.IndexByte(got, 1) >= 0 {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
}

func TestPayloadAPI(t *testing.T) {
	now := t0
	ts, _ := NewTimestampSigner(Options{Key: testKey, Salt: "django.core.signing", Now: func() time.Time { return now }})
	data := []byte(`{"_auth_user_id":"1","_auth_user_id2":"1","_auth_user_id3":"1","x":"` + strings.Repeat("ab", 100) + `"}`)
	for _, compress := range []bool{false, true} {
		tok := ts.SignPayload(data, compress)
		if compress != strings.HasPrefix(tok, ".") {
			t.Errorf("compress %v: %q", compress, tok)
		}
		got, err := ts.UnsignPayload(tok)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("UnsignPayload: %q, %v", got, err)
		}
		now = t0.Add(time.Minute)
		if _, err := ts.UnsignPayloadMaxAge(tok, time.Second); !errors.Is(err, ErrSignatureExpired) {
			t.Errorf("UnsignPayloadMaxAge: %v", err)
		}
		if _, err := ts.UnsignObjectMaxAge(tok, time.Second); !errors.Is(err, ErrSignatureExpired) {
			t.Errorf("UnsignObjectMaxAge: %v", err)
		}
		v, err := ts.UnsignObjectMaxAge(tok, time.Hour)
		if err != nil || v.(*pyjson.Dict).Len() != 4 {
			t.Errorf("UnsignObjectMaxAge: %v, %v", v, err)
		}
		now = t0
		// The same token through the package functions.
		if v, err := Loads(tok, Options{Key: testKey}); err != nil || v.(*pyjson.Dict).Len() != 4 {
			t.Errorf("Loads: %v, %v", v, err)
		}
	}
	s, _ := NewSigner(Options{Key: testKey})
	tok := s.SignPayload(data, true)
	if got, err := s.UnsignPayload(tok); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Signer payload: %q, %v", got, err)
	}
	if sig := s.Signature("hello"); s.Sign("hello") != "hello:"+sig {
		t.Errorf("Signature %q", sig)
	}
}

func TestSerializerErrorWrapped(t *testing.T) {
	_, err := Loads(signedPayload(t, B64Encode([]byte("not json"))), Options{Key: testKey})
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, pyjson.ErrSyntax) || errors.Is(err, ErrBadSignature) {
		t.Errorf("%v", err)
	}
	// Only one separator: a Signer token given to Loads.
	s, _ := NewSigner(Options{Key: testKey, Salt: "django.core.signing"})
	if _, err := Loads(s.Sign("eyJhIjoxfQ"), Options{Key: testKey}); !errors.Is(err, ErrMalformed) {
		t.Errorf("no timestamp: %v", err)
	}
}

func TestMessagesKeepSecrets(t *testing.T) {
	tok := signedPayload(t, "eyJhIjoxfQ")
	sig := tok[strings.LastIndex(tok, ":")+1:]
	tampered := "eyJhIjoyfQ" + tok[len("eyJhIjoxfQ"):]
	for _, in := range []string{tampered, tok[:len(tok)-1] + "x", "abc"} {
		_, err := Loads(in, Options{Key: testKey})
		if err == nil {
			t.Fatalf("%q accepted", in)
		}
		for _, secret := range []string{sig, testKey, "eyJhIjoyfQ"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("message %q contains %q", err, secret)
			}
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	ts, _ := NewTimestampSigner(Options{Key: testKey, FallbackKeys: []string{"old"}, LegacySHA1: true})
	v, _ := pyjson.Unmarshal([]byte(`{"a":[1,2,3],"b":"` + strings.Repeat("x", 200) + `"}`))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				tok, err := ts.SignObject(v, i%2 == 0)
				if err != nil {
					t.Error(err)
					return
				}
				back, err := ts.UnsignObject(tok)
				if err != nil || !pyjson.Equal(back, v) {
					t.Errorf("round trip: %v", err)
					return
				}
				if _, err := Loads(tok, Options{Key: testKey, Salt: "django.core.signing.TimestampSigner"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestTimestampTruncation(t *testing.T) {
	// int(time.time()) truncates toward zero, also before 1970.
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Unix(1700000000, 999999), "1r31eq"},
		// time.time() is a float64: 1700000000.999999999 rounds up to
		// 1700000001.0 before int() sees it, in Python as here.
		{time.Unix(1700000000, 999999999), "1r31er"},
		{time.Unix(-2, 500000000), "-1"},
		{time.Unix(-2, 0), "-2"},
	} {
		s, _ := NewTimestampSigner(Options{Key: "k", Now: fixedClock(c.at)})
		parts := strings.Split(s.Sign("v"), ":")
		if parts[1] != c.want {
			t.Errorf("at %v: timestamp %q, want %q", c.at, parts[1], c.want)
		}
	}
}
