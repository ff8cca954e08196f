package hashers

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// saltedDigestHasher is MD5PasswordHasher ("md5$<salt>$<hex md5(salt +
// password)>") and, on Django 3.2 and 4.2, SHA1PasswordHasher (same with
// SHA-1). Not recommended; kept because Django still reads them.
type saltedDigestHasher struct {
	c   *config
	alg string
}

func (h *saltedDigestHasher) Algorithm() string { return h.alg }

func (h *saltedDigestHasher) Salt() (string, error) { return randomString(h.c.rand, SaltLength) }

func (h *saltedDigestHasher) Encode(password, salt string) (string, error) {
	if err := checkSalt(h.alg, salt); err != nil {
		return "", err
	}
	return h.encode(password, salt), nil
}

func (h *saltedDigestHasher) encode(password, salt string) string {
	var sum []byte
	if h.alg == MD5 {
		s := md5.Sum([]byte(salt + password))
		sum = s[:]
	} else {
		s := sha1.Sum([]byte(salt + password))
		sum = s[:]
	}
	return h.alg + "$" + salt + "$" + hex.EncodeToString(sum)
}

// decode is encoded.split("$", 2): the salt.
func (h *saltedDigestHasher) decode(encoded string) (string, error) {
	parts := strings.SplitN(encoded, "$", 3)
	if len(parts) != 3 {
		return "", malformed(h.alg, "want algorithm$salt$hash")
	}
	return parts[1], nil
}

func (h *saltedDigestHasher) Verify(password, encoded string) (bool, error) {
	salt, err := h.decode(encoded)
	if err != nil {
		return false, err
	}
	if salt == "" {
		return false, malformed(h.alg, "empty salt")
	}
	return equal(encoded, h.encode(password, salt)), nil
}

func (h *saltedDigestHasher) MustUpdate(encoded string) bool {
	salt, err := h.decode(encoded)
	return err != nil || mustUpdateSalt(salt)
}

// unsaltedHasher is UnsaltedMD5PasswordHasher (a bare 32-character hex MD5,
// or "md5$$" + it) and UnsaltedSHA1PasswordHasher ("sha1$$" + hex SHA-1),
// which Django 3.2 and 4.2 still read. Make writes the bare MD5 and
// "sha1$$…" forms, as Django's encode does.
type unsaltedHasher struct {
	c   *config
	alg string
}

func (h *unsaltedHasher) Algorithm() string { return h.alg }

func (h *unsaltedHasher) Salt() (string, error) { return "", nil }

func (h *unsaltedHasher) Encode(password, salt string) (string, error) {
	if salt != "" {
		return "", fmt.Errorf("%w: %s: salt must be empty", ErrInvalidArgument, h.alg)
	}
	return h.encode(password), nil
}

func (h *unsaltedHasher) encode(password string) string {
	if h.alg == UnsaltedMD5 {
		s := md5.Sum([]byte(password))
		return hex.EncodeToString(s[:])
	}
	s := sha1.Sum([]byte(password))
	return "sha1$$" + hex.EncodeToString(s[:])
}

func (h *unsaltedHasher) Verify(password, encoded string) (bool, error) {
	if h.alg == UnsaltedMD5 && utf8.RuneCountInString(encoded) == 37 && strings.HasPrefix(encoded, "md5$$") {
		encoded = encoded[5:]
	}
	return equal(encoded, h.encode(password)), nil
}

func (h *unsaltedHasher) MustUpdate(string) bool { return false }
