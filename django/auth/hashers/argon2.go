package hashers

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/djsession/djsession/django/auth/hashers/internal/argon2"
)

// argon2Hasher is Argon2PasswordHasher: "argon2" followed by argon2-cffi's
// encoding, "$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>" (unpadded
// standard base64; the salt is the salt string's bytes). Verification is
// argon2-cffi's PasswordHasher().verify, i.e. libargon2's argon2_verify: it
// accepts argon2id, argon2i and argon2d, versions 19 and 16 (the form
// without "$v=" is 16), and any parameters and lengths libargon2 accepts.
type argon2Hasher struct{ c *config }

func (h *argon2Hasher) Algorithm() string { return Argon2 }

func (h *argon2Hasher) Salt() (string, error) { return randomString(h.c.rand, SaltLength) }

type argon2Decoded struct {
	mode       int
	version    uint32
	m, t, p    uint32
	salt, hash []byte
}

var argon2Types = map[string]int{"argon2d": argon2.Argon2d, "argon2i": argon2.Argon2i, "argon2id": argon2.Argon2id}

// errArgon2Invalid marks what libargon2 rejects after decoding (salt too
// short, m < 8p, …) and errArgon2Syntax what its decode_string rejects:
// argon2-cffi raises VerificationError for both, which Django turns into
// False.
var (
	errArgon2Invalid = errors.New("argon2: invalid parameters")
	errArgon2Syntax  = errors.New("argon2: cannot decode")
)

// decodeArgon2 is argon2-cffi's type detection (hash[:9]) followed by
// libargon2's decode_string and validate_inputs, on "$" + rest. Only a
// non-ASCII string or an unknown type returns ErrMalformedHash (Python
// raises UnicodeEncodeError / argon2-cffi InvalidHash, which Django lets
// through); the rest returns errArgon2Syntax or errArgon2Invalid.
func decodeArgon2(rest string) (argon2Decoded, error) {
	var d argon2Decoded
	for i := 0; i < len(rest); i++ {
		if rest[i] >= 0x80 {
			return d, malformed(Argon2, "non-ASCII")
		}
	}
	s := "$" + rest
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i] // libargon2 reads a C string
	}
	var name string
	switch {
	case strings.HasPrefix(s, "$argon2id"):
		name = "argon2id"
	case strings.HasPrefix(s, "$argon2i$"):
		name = "argon2i"
	case strings.HasPrefix(s, "$argon2d$"):
		name = "argon2d"
	default:
		return d, malformed(Argon2, "unknown argon2 type")
	}
	d.mode = argon2Types[name]
	s = s[1+len(name):]
	bad := errArgon2Syntax
	cc := func(p string) bool {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			return true
		}
		return false
	}
	dec := func(v *uint32) bool {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || (s[0] == '0' && i > 1) {
			return false
		}
		n, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil {
			return false
		}
		*v, s = uint32(n), s[i:]
		return true
	}
	d.version = argon2.Version10
	if cc("$v=") && !dec(&d.version) {
		return d, bad
	}
	if !cc("$m=") || !dec(&d.m) || !cc(",t=") || !dec(&d.t) || !cc(",p=") || !dec(&d.p) || !cc("$") {
		return d, bad
	}
	var ok bool
	if d.salt, ok = argon2B64(&s); !ok || !cc("$") {
		return d, bad
	}
	if d.hash, ok = argon2B64(&s); !ok {
		return d, bad
	}
	switch {
	case len(d.hash) < 4, len(d.salt) < 8, d.m < 8, uint64(d.m) < 8*uint64(d.p),
		d.t < 1, d.p < 1, d.p > 0xFFFFFF:
		return d, errArgon2Invalid
	}
	if s != "" {
		return d, bad
	}
	return d, nil
}

// argon2B64 is libargon2's from_base64: standard alphabet without padding,
// up to the first other character; a length of 1 mod 4 or non-zero unused
// bits fail.
func argon2B64(s *string) ([]byte, bool) {
	i := 0
	for i < len(*s) && isStdB64((*s)[i]) {
		i++
	}
	enc := (*s)[:i]
	*s = (*s)[i:]
	b, err := base64.RawStdEncoding.Strict().DecodeString(enc)
	return b, err == nil
}

func isStdB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

func (h *argon2Hasher) limit(m, t, p uint32) error {
	l := h.c.limits
	switch {
	case m > l.Argon2MemoryKiB:
		return tooHigh(Argon2, "memory (KiB)", "Argon2MemoryKiB", uint64(m), uint64(l.Argon2MemoryKiB))
	case t > l.Argon2Time:
		return tooHigh(Argon2, "time", "Argon2Time", uint64(t), uint64(l.Argon2Time))
	case p > l.Argon2Parallelism:
		return tooHigh(Argon2, "parallelism", "Argon2Parallelism", uint64(p), uint64(l.Argon2Parallelism))
	}
	return nil
}

func (h *argon2Hasher) Verify(password, encoded string) (bool, error) {
	_, rest, found := strings.Cut(encoded, "$")
	if !found {
		return false, malformed(Argon2, "no argon2 data")
	}
	d, err := decodeArgon2(rest)
	if err == errArgon2Invalid || err == errArgon2Syntax {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := h.limit(d.m, d.t, d.p); err != nil {
		return false, err
	}
	got := argon2.Derive(d.mode, d.version, []byte(password), d.salt, d.t, d.m, d.p, uint32(len(d.hash)))
	return subtle.ConstantTimeCompare(got, d.hash) == 1, nil
}

func (h *argon2Hasher) Encode(password, salt string) (string, error) {
	p := h.c.argon2Params()
	if len(salt) < 8 {
		return "", fmt.Errorf("%w: argon2: salt is too short (8 bytes at least)", ErrInvalidArgument)
	}
	if p.MemoryKiB < 8*p.Parallelism || p.Parallelism > 0xFFFFFF {
		return "", fmt.Errorf("%w: argon2: memory %d KiB < 8 × parallelism %d", ErrInvalidArgument, p.MemoryKiB, p.Parallelism)
	}
	if err := h.limit(p.MemoryKiB, p.Time, p.Parallelism); err != nil {
		return "", err
	}
	sum := argon2.Derive(argon2.Argon2id, argon2.Version13, []byte(password), []byte(salt), p.Time, p.MemoryKiB, p.Parallelism, 16)
	return fmt.Sprintf("argon2$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.MemoryKiB, p.Time, p.Parallelism,
		base64.RawStdEncoding.EncodeToString([]byte(salt)), base64.RawStdEncoding.EncodeToString(sum)), nil
}

// MustUpdate compares type, version, t, m, p and the hash length with
// argon2id, 19, the configured parameters and 16, and wants a salt of at
// least 22 bytes, as Django's Argon2PasswordHasher.must_update.
func (h *argon2Hasher) MustUpdate(encoded string) bool {
	_, rest, _ := strings.Cut(encoded, "$")
	d, err := decodeArgon2(rest)
	if err != nil && err != errArgon2Invalid {
		return true
	}
	p := h.c.argon2Params()
	return d.mode != argon2.Argon2id || d.version != argon2.Version13 || d.t != p.Time ||
		d.m != p.MemoryKiB || d.p != p.Parallelism || len(d.hash) != 16 || len(d.salt) < 22
}
