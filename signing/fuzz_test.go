package signing

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// inputClass reports whether err is exactly one of the classes of errors
// Loads may return for untrusted input: not ours, corrupt, or beyond a limit.
func inputClass(err error) bool {
	n := 0
	for _, class := range []error{ErrBadSignature, ErrMalformed, ErrLimit} {
		if errors.Is(err, class) {
			n++
		}
	}
	return n == 1
}

// FuzzLoads feeds arbitrary tokens to Loads: it must never panic, and every
// refusal must be ErrBadSignature or ErrMalformed.
func FuzzLoads(f *testing.F) {
	for _, s := range []string{
		"", ":", "::", "abc", "eyJhIjoxfQ:1r31eq:EwEJtzKarFSfv7vbmVHgOfh1JA2SU92iCsSG7zp8Opc",
		".eJxTSsQClABaSgfZ:1r31eq:zYSUUgY7EVYSQDjSpNQRthbdzr8kbdML_IHOnU17zJY",
	} {
		f.Add(s)
	}
	o := Options{Key: testKey, Now: fixedClock(t0), MaxDecompressedSize: 1 << 16}
	f.Fuzz(func(t *testing.T, token string) {
		_, err := Loads(token, o)
		if err != nil && !inputClass(err) {
			t.Fatalf("Loads(%q): unexpected error class %v", token, err)
		}
		_, err = LoadsMaxAge(token, o, time.Minute)
		if err != nil && !inputClass(err) {
			t.Fatalf("LoadsMaxAge(%q): unexpected error class %v", token, err)
		}
	})
}

// FuzzUnsignPayload signs an arbitrary payload, so that the fuzzer reaches
// the steps after the signature check (timestamp, base64, zlib, JSON), and
// checks that our base64 fast path agrees with the port of CPython's decoder.
func FuzzUnsignPayload(f *testing.F) {
	for _, s := range []string{
		"eyJhIjoxfQ", "eyJhIjoxfQ==", ".eJxTSsQClABaSgfZ", ".bm90IHpsaWI", "a", "Y!W@J#j", "bm90IGpzb24", "IsOpIg", ".",
		".eJzLSMzJyVcozy_KSQEAGgQEXQ",
	} {
		f.Add(s)
	}
	s, err := NewTimestampSigner(Options{Key: testKey, Now: fixedClock(t0), MaxDecompressedSize: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		tok := s.Sign(payload)
		data, err := s.UnsignPayload(tok)
		// Signed by us: corrupt or beyond a limit, never a bad signature.
		if err != nil && (!inputClass(err) || errors.Is(err, ErrBadSignature)) {
			t.Fatalf("UnsignPayload(%q): %v", payload, err)
		}
		if _, err := s.UnsignObject(tok); err != nil && (!inputClass(err) || errors.Is(err, ErrBadSignature)) {
			t.Fatalf("UnsignObject(%q): %v", payload, err)
		}
		fast, err1 := b64Decode(payload)
		slow, err2 := pyB64Decode(payload)
		if (err1 == nil) != (err2 == nil) || !bytes.Equal(fast, slow) {
			t.Fatalf("base64 of %q: fast %x, %v; CPython port %x, %v", payload, fast, err1, slow, err2)
		}
		if err == nil && data == nil {
			t.Fatalf("nil data without error")
		}
		// Tampering with the signed token must always be a bad signature.
		if _, err := s.UnsignPayload(tok + "x"); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("tampered token: %v", err)
		}
	})
}
