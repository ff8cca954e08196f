package signing

import (
	"slices"
	"strings"
	"time"
)

// Options configures a Signer, a TimestampSigner, Dumps and Loads. Only Key
// is required; every other zero value means Django's default.
type Options struct {
	// Key is the secret, Django's SECRET_KEY (or the key= argument). Required:
	// an empty Key is ErrNoKey, since there is no settings module to fall
	// back on.
	Key string

	// FallbackKeys are older secrets still accepted when unsigning, tried in
	// order after Key: Django's SECRET_KEY_FALLBACKS (4.1+). Signing always
	// uses Key. An empty entry re-tests Key, as in Django.
	FallbackKeys []string

	// Salt separates the signatures of different uses of one key. Empty means
	// the default of the function called: "django.core.signing.Signer" for
	// NewSigner, "django.core.signing.TimestampSigner" for
	// NewTimestampSigner, "django.core.signing" for Dumps and Loads.
	Salt string

	// Sep separates value, timestamp and signature. Empty means ":". A
	// separator made only of characters that can occur in base64 (Django's
	// check is the regular expression ^[A-z0-9-_=]*$) is ErrUnsafeSeparator.
	Sep string

	// Algorithm is the hash used for signing and checking. Empty means
	// sha256, Django's default since 3.1.
	Algorithm Algorithm

	// LegacySHA1 also accepts sha1 signatures when unsigning, for every
	// candidate key. Django 3.2 always does this (its legacy_algorithm, the
	// 3.1 transition); Django 4.0 and later never do.
	LegacySHA1 bool

	// Now is the clock of TimestampSigner, Dumps and Loads. Nil means
	// time.Now.
	Now func() time.Time

	// MaxDecompressedSize bounds the size of a compressed payload once
	// inflated; larger payloads fail with ErrTooLarge. Zero or negative means
	// DefaultMaxDecompressedSize (16 MiB).
	MaxDecompressedSize int64

	// Serializer turns values into bytes and back for the *Object methods,
	// Dumps and Loads. Nil means JSONSerializer.
	Serializer Serializer
}

// Signer is Django's django.core.signing.Signer: it appends a signature to a
// string and checks it on the way back.
//
// The signature of value is B64Encode(SaltedHMAC(salt+"signer", value, key,
// algorithm)), and Sign returns value + sep + signature. Unsign splits at the
// last separator and accepts the value if the signature matches under Key or
// any fallback key. The value is not encrypted, only protected from changes.
//
// A Signer precomputes its derived keys; build it once and share it. It is
// safe for concurrent use.
type Signer struct {
	sep        string
	salt       string
	now        func() time.Time
	maxSize    int64
	serializer Serializer
	primary    *macKey   // signs
	candidates []*macKey // checks, in Django's order: primary, fallbacks, legacy sha1
}

// NewSigner returns a Signer for o, with Salt defaulting to
// "django.core.signing.Signer".
func NewSigner(o Options) (*Signer, error) {
	s := new(Signer)
	if err := s.init(o, "django.core.signing.Signer"); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Signer) init(o Options, defaultSalt string) error {
	if o.Key == "" {
		return errorf(ErrNoKey, "Options.Key is empty")
	}
	s.sep = o.Sep
	if s.sep == "" {
		s.sep = ":"
	}
	if unsafeSep(s.sep) {
		return errorf(ErrUnsafeSeparator, "Unsafe Signer separator: "+pyRepr(s.sep)+
			" (cannot be empty or consist of only A-z0-9-_=)")
	}
	s.salt = o.Salt
	if s.salt == "" {
		s.salt = defaultSalt
	}
	alg := o.Algorithm
	if alg == "" {
		alg = SHA256
	}
	s.now = o.Now
	if s.now == nil {
		s.now = time.Now
	}
	s.maxSize = decompressLimit(o.MaxDecompressedSize)
	s.serializer = o.Serializer
	if s.serializer == nil {
		s.serializer = JSONSerializer
	}

	keySalt := s.salt + "signer"
	algs := []Algorithm{alg}
	if o.LegacySHA1 && alg != SHA1 {
		algs = append(algs, SHA1)
	}
	keys := make([]string, 0, 1+len(o.FallbackKeys))
	for _, k := range append([]string{o.Key}, o.FallbackKeys...) {
		if k == "" {
			k = o.Key // Django 4.1+: signature(value, key=key or self.key)
		}
		if !slices.Contains(keys, k) { // the same key gives the same signature
			keys = append(keys, k)
		}
	}
	s.candidates = make([]*macKey, 0, len(algs)*len(keys))
	for _, a := range algs {
		for _, k := range keys {
			mk, err := newMacKey(a, keySalt, k)
			if err != nil {
				return err
			}
			s.candidates = append(s.candidates, mk)
		}
	}
	s.primary = s.candidates[0]
	return nil
}

// unsafeSep is Django's _SEP_UNSAFE.match(sep) for ^[A-z0-9-_=]*$. Python's
// '$' also matches before a final newline, so "a\n" and "\n" are unsafe too.
func unsafeSep(sep string) bool {
	sep = strings.TrimSuffix(sep, "\n")
	for i := 0; i < len(sep); i++ {
		c := sep[i]
		if !(c >= 'A' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '=') {
			return false
		}
	}
	return true
}

// pyRepr quotes s roughly as Python's repr does, for error messages.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// Signature returns the base64 signature of value under Key, without the
// value: Django's Signer.signature.
func (s *Signer) Signature(value string) string {
	return stringOf(s.primary.appendSig(nil, bytesOf(value)))
}

// Sign returns value + sep + signature.
func (s *Signer) Sign(value string) string {
	buf := make([]byte, 0, len(value)+len(s.sep)+s.primary.encLen)
	buf = append(buf, value...)
	buf = s.appendSignature(buf, len(buf))
	return stringOf(buf)
}

// appendSignature signs buf[:n] and appends sep and the signature.
func (s *Signer) appendSignature(buf []byte, n int) []byte {
	buf = append(buf, s.sep...)
	return s.primary.appendSig(buf, buf[:n])
}

// Unsign checks a value made by Sign and returns the original value. The
// signature is compared in constant time against the one computed with Key,
// then with each fallback key, then (with LegacySHA1) with sha1. A missing
// separator or a signature that matches none of them is ErrBadSignature.
func (s *Signer) Unsign(signed string) (string, error) {
	i := strings.LastIndex(signed, s.sep)
	if i < 0 {
		return "", errNoSep(s.sep)
	}
	value, sig := signed[:i], signed[i+len(s.sep):]
	vb := bytesOf(value)
	for _, mk := range s.candidates {
		if mk.verify(vb, sig) {
			return value, nil
		}
	}
	return "", errMismatch
}

// SignObject serializes v, optionally compresses it, and signs the result:
// Django's Signer.sign_object. See Dumps for the format.
func (s *Signer) SignObject(v any, compress bool) (string, error) {
	return s.signObject(v, compress, false)
}

// UnsignObject checks a value made by SignObject and returns the value it
// carries: Django's Signer.unsign_object.
func (s *Signer) UnsignObject(signed string) (any, error) {
	payload, err := s.Unsign(signed)
	if err != nil {
		return nil, err
	}
	return unsignObject(s.serializer, payload, s.maxSize)
}

// SignPayload signs already serialized bytes as SignObject would: data is
// compressed if asked and if that saves at least two bytes, base64 encoded
// and signed. Use it with a serializer of your own. Data longer than
// Options.MaxDecompressedSize is signed uncompressed, the only form in
// which unsigning reads it back (SignObject refuses such a value).
func (s *Signer) SignPayload(data []byte, compress bool) string {
	return s.signPayload(data, compress, false)
}

// UnsignPayload checks a value made by SignPayload or SignObject and returns
// the serialized bytes it carries, decompressed, without deserializing them.
func (s *Signer) UnsignPayload(signed string) ([]byte, error) {
	payload, err := s.Unsign(signed)
	if err != nil {
		return nil, err
	}
	return decodePayload(payload, s.maxSize)
}
