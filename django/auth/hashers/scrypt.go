package hashers

import (
	"encoding/base64"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// scryptHasher is ScryptPasswordHasher (Django 4.0+):
// "scrypt$<N>$<salt>$<r>$<p>$<base64 (padded) of 64 bytes>", computed as
// hashlib.scrypt(password, salt=salt, n=N, r=r, p=p, maxmem=0, dklen=64).
type scryptHasher struct{ c *config }

func (h *scryptHasher) Algorithm() string { return Scrypt }

func (h *scryptHasher) Salt() (string, error) { return randomString(h.c.rand, SaltLength) }

// validScrypt reports what OpenSSL's EVP_PBE_scrypt checks first (Python's
// hashlib.scrypt raises ValueError for these); the memory check is the limit.
func validScrypt(n, r, p uint64) bool {
	if r == 0 || p == 0 || n < 2 || n&(n-1) != 0 {
		return false
	}
	if p > ((1<<30)-1)/r {
		return false
	}
	if 16*r <= 63 && n >= uint64(1)<<(16*r) {
		return false
	}
	return true
}

// scryptLimit checks the memory OpenSSL would allocate (128·r·(N+2) +
// 128·r·p bytes) and the work N·r·p against the limits.
func (h *scryptHasher) limit(n, r, p uint64) error {
	lim := h.c.limits
	hi, v := bits.Mul64(128*r, n+2) // r < 2^30 here
	if hi != 0 || v+128*r*p < v || v+128*r*p > lim.ScryptMemoryBytes {
		return fmt.Errorf("%w: scrypt N=%d r=%d p=%d needs more than %d bytes (the cap is Limits.ScryptMemoryBytes; raise it with hashers.WithLimits)",
			ErrWorkFactorTooHigh, n, r, p, lim.ScryptMemoryBytes)
	}
	hi, nr := bits.Mul64(n, r)
	hi2, w := bits.Mul64(nr, p)
	if hi != 0 || hi2 != 0 || w > lim.ScryptWork {
		return fmt.Errorf("%w: scrypt N·r·p = %d·%d·%d > %d (the cap is Limits.ScryptWork; raise it with hashers.WithLimits)",
			ErrWorkFactorTooHigh, n, r, p, lim.ScryptWork)
	}
	return nil
}

func (h *scryptHasher) Encode(password, salt string) (string, error) {
	if err := checkSalt(Scrypt, salt); err != nil {
		return "", err
	}
	sp := h.c.scryptParams()
	if !validScrypt(sp.N, sp.R, sp.P) {
		return "", fmt.Errorf("%w: scrypt parameters N=%d r=%d p=%d", ErrInvalidArgument, sp.N, sp.R, sp.P)
	}
	if err := h.limit(sp.N, sp.R, sp.P); err != nil {
		return "", err
	}
	return h.encode(password, salt, sp.N, sp.R, sp.P)
}

func (h *scryptHasher) encode(password, salt string, n, r, p uint64) (string, error) {
	key, err := scrypt.Key([]byte(password), []byte(salt), int(n), int(r), int(p), 64)
	if err != nil {
		return "", malformed(Scrypt, err.Error())
	}
	return "scrypt$" + strconv.FormatUint(n, 10) + "$" + salt + "$" + strconv.FormatUint(r, 10) + "$" +
		strconv.FormatUint(p, 10) + "$" + base64.StdEncoding.EncodeToString(key), nil
}

type scryptDecoded struct {
	n, r, p pyNumber
	salt    string
}

// decode is ScryptPasswordHasher.decode: exactly six "$"-separated fields.
func (h *scryptHasher) decode(encoded string) (scryptDecoded, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 {
		return scryptDecoded{}, malformed(Scrypt, "want scrypt$N$salt$r$p$hash")
	}
	var d scryptDecoded
	var ok1, ok2, ok3 bool
	d.n, ok1 = parsePyInt(parts[1])
	d.r, ok2 = parsePyInt(parts[3])
	d.p, ok3 = parsePyInt(parts[4])
	if !ok1 || !ok2 || !ok3 {
		return scryptDecoded{}, malformed(Scrypt, "N, r or p is not a number")
	}
	d.salt = parts[2]
	return d, nil
}

func (h *scryptHasher) Verify(password, encoded string) (bool, error) {
	d, err := h.decode(encoded)
	if err != nil {
		return false, err
	}
	if d.salt == "" {
		return false, malformed(Scrypt, "empty salt")
	}
	nums := []pyNumber{d.n, d.r, d.p}
	for _, x := range nums {
		if x.neg {
			return false, malformed(Scrypt, "negative parameter")
		}
	}
	for _, x := range nums {
		if x.big {
			return false, fmt.Errorf("%w: scrypt parameter beyond 2^64", ErrWorkFactorTooHigh)
		}
	}
	for _, x := range nums {
		if x.val == 0 || !x.canonical {
			// Django substitutes its default for 0 and re-encodes with
			// "%d": this string cannot come out.
			return false, nil
		}
	}
	n, r, p := d.n.val, d.r.val, d.p.val
	if !validScrypt(n, r, p) {
		return false, malformed(Scrypt, "invalid parameter combination for n, r, p")
	}
	if err := h.limit(n, r, p); err != nil {
		return false, err
	}
	enc, err := h.encode(password, d.salt, n, r, p)
	if err != nil {
		return false, err
	}
	return equal(encoded, enc), nil
}

func (h *scryptHasher) MustUpdate(encoded string) bool {
	d, err := h.decode(encoded)
	if err != nil {
		return true
	}
	sp := h.c.scryptParams()
	same := func(x pyNumber, want uint64) bool { return !x.neg && !x.big && x.val == want }
	return !same(d.n, sp.N) || !same(d.r, sp.R) || !same(d.p, sp.P)
}
