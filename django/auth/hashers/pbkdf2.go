package hashers

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
)

// pbkdf2Hasher is PBKDF2PasswordHasher / PBKDF2SHA1PasswordHasher:
// "<alg>$<iterations>$<salt>$<base64 (padded) PBKDF2-HMAC(password, salt)>",
// with a key as long as the digest.
type pbkdf2Hasher struct {
	c   *config
	alg string
}

func (h *pbkdf2Hasher) Algorithm() string { return h.alg }

func (h *pbkdf2Hasher) Salt() (string, error) { return randomString(h.c.rand, SaltLength) }

func (h *pbkdf2Hasher) Encode(password, salt string) (string, error) {
	if err := checkSalt(h.alg, salt); err != nil {
		return "", err
	}
	n := h.c.pbkdf2Iterations()
	if n > h.c.limits.PBKDF2Iterations {
		return "", tooHigh(h.alg, "iterations", "PBKDF2Iterations", n, h.c.limits.PBKDF2Iterations)
	}
	return h.encode(password, salt, n)
}

func (h *pbkdf2Hasher) encode(password, salt string, iterations uint64) (string, error) {
	var newHash func() hash.Hash = sha256.New
	size := sha256.Size
	if h.alg == PBKDF2SHA1 {
		newHash, size = sha1.New, sha1.Size
	}
	key, err := pbkdf2.Key(newHash, password, []byte(salt), int(iterations), size)
	if err != nil {
		return "", malformed(h.alg, err.Error())
	}
	return h.alg + "$" + strconv.FormatUint(iterations, 10) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(key), nil
}

type pbkdf2Decoded struct {
	iterations pyNumber
	salt       string
}

// decode is PBKDF2PasswordHasher.decode: encoded.split("$", 3) and int().
func (h *pbkdf2Hasher) decode(encoded string) (pbkdf2Decoded, error) {
	parts := strings.SplitN(encoded, "$", 4)
	if len(parts) != 4 {
		return pbkdf2Decoded{}, malformed(h.alg, "want algorithm$iterations$salt$hash")
	}
	n, ok := parsePyInt(parts[1])
	if !ok {
		return pbkdf2Decoded{}, malformed(h.alg, "iterations is not a number")
	}
	return pbkdf2Decoded{iterations: n, salt: parts[2]}, nil
}

func (h *pbkdf2Hasher) Verify(password, encoded string) (bool, error) {
	d, err := h.decode(encoded)
	if err != nil {
		return false, err
	}
	if d.salt == "" {
		return false, malformed(h.alg, "empty salt")
	}
	it := d.iterations
	switch {
	case it.neg:
		return false, malformed(h.alg, "negative iterations")
	case it.big || it.val > h.c.limits.PBKDF2Iterations:
		return false, tooHigh(h.alg, "iterations", "PBKDF2Iterations", it.val, h.c.limits.PBKDF2Iterations)
	case it.val == 0 || !it.canonical:
		// Django re-encodes 0 with the default count, and any number as
		// "%d": neither can equal this string.
		return false, nil
	}
	enc, err := h.encode(password, d.salt, it.val)
	if err != nil {
		return false, err
	}
	return equal(encoded, enc), nil
}

func (h *pbkdf2Hasher) MustUpdate(encoded string) bool {
	d, err := h.decode(encoded)
	if err != nil || d.iterations.neg || d.iterations.big {
		return true
	}
	return d.iterations.val != h.c.pbkdf2Iterations() || mustUpdateSalt(d.salt)
}

func (h *pbkdf2Hasher) hardenRuntime(password, encoded string) {
	d, err := h.decode(encoded)
	if err != nil || d.iterations.neg || d.iterations.big || d.salt == "" {
		return
	}
	if want := h.c.pbkdf2Iterations(); want > d.iterations.val {
		_, _ = h.encode(password, d.salt, want-d.iterations.val)
	}
}
