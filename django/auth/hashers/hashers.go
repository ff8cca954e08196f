package hashers

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/djsession/djsession/django"
)

// Errors. Test with errors.Is.
var (
	// ErrUnknownHasher: the stored string names an algorithm that is not
	// enabled (WithHashers) or does not exist in the Django version, so it
	// cannot be read. Django's check_password returns False for it.
	ErrUnknownHasher = errors.New("hashers: unknown password hashing algorithm")

	// ErrMalformedHash: the algorithm is known but the stored string cannot
	// be decoded (Django's hasher raises ValueError there). It matches
	// ErrUnknownHasher too.
	ErrMalformedHash = fmt.Errorf("%w: malformed encoded password", ErrUnknownHasher)

	// ErrWorkFactorTooHigh: the stored (or requested) iteration count, cost,
	// memory or N is beyond Limits; nothing was computed.
	ErrWorkFactorTooHigh = errors.New("hashers: work factor beyond the configured limit")

	// ErrInvalidArgument: a caller's mistake (a bad salt, parameter, Django
	// version or hasher list), or a password the hasher cannot take.
	ErrInvalidArgument = errors.New("hashers: invalid argument")
)

// A Hasher is one of Django's password hashers, configured with the
// parameters of a Django version (or the explicit options) given to Get.
type Hasher interface {
	// Algorithm is the name in the encoded string ("pbkdf2_sha256").
	Algorithm() string
	// Encode hashes password with salt and the hasher's parameters, as
	// Django's hasher.encode(password, salt).
	Encode(password, salt string) (string, error)
	// Verify reports whether password matches encoded, a string of this
	// algorithm, as Django's hasher.verify; see Check for the errors.
	Verify(password, encoded string) (bool, error)
	// MustUpdate is Django's hasher.must_update(encoded): encoded was not
	// made with this hasher's parameters (or has a short salt). It is true
	// for a string the hasher cannot decode.
	MustUpdate(encoded string) bool
	// Salt returns a new random salt of the form Encode takes.
	Salt() (string, error)
}

// hardener is Django's harden_runtime, for the hashers that have one.
type hardener interface {
	hardenRuntime(password, encoded string)
}

// Algorithm names.
const (
	PBKDF2SHA256 = "pbkdf2_sha256"
	PBKDF2SHA1   = "pbkdf2_sha1"
	Argon2       = "argon2"
	BcryptSHA256 = "bcrypt_sha256"
	Bcrypt       = "bcrypt"
	Scrypt       = "scrypt"
	MD5          = "md5"
	SHA1         = "sha1"
	UnsaltedMD5  = "unsalted_md5"
	UnsaltedSHA1 = "unsalted_sha1"
)

// DefaultHashers is Django's default settings.PASSWORD_HASHERS for version v,
// as algorithm names: pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256, and
// from 4.0 scrypt.
func DefaultHashers(v django.Version) []string {
	l := []string{PBKDF2SHA256, PBKDF2SHA1, Argon2, BcryptSHA256}
	if v.AtLeast(4, 0) {
		l = append(l, Scrypt)
	}
	return l
}

// AvailableHashers lists every algorithm Django version v ships (except
// crypt): DefaultHashers(v), then bcrypt and md5, then on 3.2 and 4.2 sha1,
// unsalted_md5 and unsalted_sha1. It is the list used without WithHashers.
func AvailableHashers(v django.Version) []string {
	l := append(DefaultHashers(v), Bcrypt, MD5)
	if !v.AtLeast(5, 1) {
		l = append(l, SHA1, UnsaltedMD5, UnsaltedSHA1)
	}
	return l
}

func exists(alg string, v django.Version) bool {
	return slices.Contains(AvailableHashers(v), alg)
}

// Get returns the hasher for algorithm as configured by opts (version,
// parameters, limits). It fails with ErrUnknownHasher if the algorithm is not
// enabled or does not exist in the version.
func Get(algorithm string, opts ...Option) (Hasher, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return c.get(algorithm)
}

func (c *config) get(alg string) (Hasher, error) {
	if !slices.Contains(c.hashers, alg) || !exists(alg, c.version) {
		return nil, fmt.Errorf("%w %q on Django %s", ErrUnknownHasher, alg, c.version)
	}
	return c.build(alg), nil
}

func (c *config) build(alg string) Hasher {
	switch alg {
	case PBKDF2SHA256, PBKDF2SHA1:
		return &pbkdf2Hasher{c: c, alg: alg}
	case Argon2:
		return &argon2Hasher{c: c}
	case BcryptSHA256, Bcrypt:
		return &bcryptHasher{c: c, alg: alg}
	case Scrypt:
		return &scryptHasher{c: c}
	case MD5, SHA1:
		return &saltedDigestHasher{c: c, alg: alg}
	case UnsaltedMD5, UnsaltedSHA1:
		return &unsaltedHasher{c: c, alg: alg}
	}
	return nil
}

func (c *config) preferred() (Hasher, error) { return c.get(c.hashers[0]) }

// identify is Django's identify_hasher: the unsalted shapes first (lengths
// in characters, as Python counts them), then the text before the first "$".
func identify(encoded string) string {
	n := utf8.RuneCountInString(encoded)
	switch {
	case n == 32 && !strings.Contains(encoded, "$"),
		n == 37 && strings.HasPrefix(encoded, "md5$$"):
		return UnsaltedMD5
	case n == 46 && strings.HasPrefix(encoded, "sha1$$"):
		return UnsaltedSHA1
	}
	alg, _, _ := strings.Cut(encoded, "$")
	return alg
}

// UnusablePrefix starts every unusable password (make_password(None)).
const UnusablePrefix = "!"

// IsUsable is Django's is_password_usable: false for strings starting with
// "!" (MakeUnusable). Django also treats the empty string as usable, though
// no password matches it.
func IsUsable(encoded string) bool { return !strings.HasPrefix(encoded, UnusablePrefix) }

// Check is Django's check_password(password, encoded): it identifies the
// hasher of encoded (among the enabled ones, see WithHashers) and verifies
// password by re-encoding it with the stored salt and parameters and
// comparing the whole string in constant time (argon2: argon2-cffi's verify).
//
// An unusable ("!…") or empty encoded never matches and is not an error.
// Errors: ErrUnknownHasher, ErrMalformedHash, ErrWorkFactorTooHigh (nothing
// is computed), ErrInvalidArgument (bad options). See the package
// documentation.
func Check(password, encoded string, opts ...Option) (ok bool, err error) {
	c, err := newConfig(opts)
	if err != nil {
		return false, err
	}
	if encoded == "" || !IsUsable(encoded) {
		c.fakeRuntime()
		return false, nil
	}
	h, err := c.get(identify(encoded))
	if err != nil {
		c.fakeRuntime()
		return false, err
	}
	ok, err = h.Verify(password, encoded)
	if err == nil && !ok && c.harden && h.Algorithm() == c.hashers[0] && c.mustUpdate(encoded) {
		if hr, isH := h.(hardener); isH {
			hr.hardenRuntime(password, encoded)
		}
	}
	return ok, err
}

// fakeRuntime is check_password's make_password(get_random_string(40)) for
// unusable and unknown passwords, when WithHardenRuntime is on.
func (c *config) fakeRuntime() {
	if !c.harden {
		return
	}
	if h, err := c.preferred(); err == nil {
		if pw, err := randomString(c.rand, 40); err == nil {
			if salt, err := h.Salt(); err == nil {
				_, _ = h.Encode(pw, salt)
			}
		}
	}
}

// MustUpdate reports whether a password that verified against encoded
// should be re-hashed with Make, as check_password decides it: encoded was
// made by another hasher than the preferred one (the first of WithHashers,
// by default pbkdf2_sha256), or with other parameters than the version's
// (or the options') defaults, or with a salt shorter than 128 bits (22
// characters). It is false for an empty or unusable encoded, and true for
// one Check cannot read. Bad options give false.
func MustUpdate(encoded string, opts ...Option) bool {
	c, err := newConfig(opts)
	if err != nil {
		return false
	}
	if encoded == "" || !IsUsable(encoded) {
		return false
	}
	return c.mustUpdate(encoded)
}

func (c *config) mustUpdate(encoded string) bool {
	alg := identify(encoded)
	if alg != c.hashers[0] {
		return true
	}
	p, err := c.preferred()
	if err != nil {
		return true
	}
	return p.MustUpdate(encoded)
}

// Make is Django's make_password(password, salt, hasher): it hashes password
// with the named algorithm ("" or "default": the preferred one), the salt
// from WithSalt or a random one, and the parameters of the version (or the
// options). For the same salt and parameters the result is byte-identical
// to Django's.
func Make(password, hasher string, opts ...Option) (string, error) {
	c, err := newConfig(opts)
	if err != nil {
		return "", err
	}
	if hasher == "" || hasher == "default" {
		hasher = c.hashers[0]
	}
	h, err := c.get(hasher)
	if err != nil {
		return "", err
	}
	var salt string
	if c.salt != nil {
		salt = *c.salt
	}
	if salt == "" { // make_password: salt = salt or hasher.salt()
		salt, err = h.Salt()
	}
	if err != nil {
		return "", err
	}
	return h.Encode(password, salt)
}

// MakeUnusable is make_password(None): "!" followed by 40 random characters
// from a–z, A–Z, 0–9. No password matches it.
func MakeUnusable(opts ...Option) (string, error) {
	c, err := newConfig(opts)
	if err != nil {
		return "", err
	}
	s, err := randomString(c.rand, 40)
	if err != nil {
		return "", err
	}
	return UnusablePrefix + s, nil
}

// equal compares two encoded strings in constant time (for equal lengths).
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// mustUpdateSalt is Django's must_update_salt with salt_entropy 128: fewer
// than 22 characters of a 62-letter alphabet.
func mustUpdateSalt(salt string) bool {
	return utf8.RuneCountInString(salt) < 22
}

func malformed(alg, why string) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformedHash, alg, why)
}

// tooHigh names the cap that refused the work factor (field is the Limits
// field) and how to raise it, since the fix is a configuration change.
func tooHigh(alg, what, field string, got, limit uint64) error {
	return fmt.Errorf("%w: %s %s %d > %d (the cap is Limits.%s; raise it with hashers.WithLimits)",
		ErrWorkFactorTooHigh, alg, what, got, limit, field)
}

// checkSalt is BasePasswordHasher._check_encode_args for the salt.
func checkSalt(alg, salt string) error {
	if salt == "" || strings.Contains(salt, "$") {
		return fmt.Errorf("%w: %s: salt must be provided and cannot contain $", ErrInvalidArgument, alg)
	}
	return nil
}
