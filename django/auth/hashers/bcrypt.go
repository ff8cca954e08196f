package hashers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/blowfish"
)

// bcryptHasher is BCryptSHA256PasswordHasher ("bcrypt_sha256$" + bcrypt of
// the lower-case hex SHA-256 of the password) and BCryptPasswordHasher
// ("bcrypt$" + bcrypt of the password itself, truncated to 72 bytes). The
// bcrypt part is what pyca/bcrypt's hashpw (OpenBSD's bcrypt_hashpass)
// writes: "$2b$12$" + 22 salt characters + 31 hash characters.
type bcryptHasher struct {
	c   *config
	alg string
}

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var bcryptEncoding = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

var bcryptIndex = func() (t [256]byte) {
	for i := range t {
		t[i] = 255
	}
	for i := 0; i < len(bcryptAlphabet); i++ {
		t[bcryptAlphabet[i]] = byte(i)
	}
	return t
}()

func (h *bcryptHasher) Algorithm() string { return h.alg }

// Salt is bcrypt.gensalt(rounds): "$2b$<rounds>$" + 16 random bytes.
func (h *bcryptHasher) Salt() (string, error) {
	var raw [16]byte
	if _, err := io.ReadFull(h.c.rand, raw[:]); err != nil {
		return "", fmt.Errorf("hashers: reading random bytes: %w", err)
	}
	return fmt.Sprintf("$2b$%02d$", h.c.bcryptRounds()) + bcryptEncoding.EncodeToString(raw[:]), nil
}

// input is what Django hands to hashpw.
func (h *bcryptHasher) input(password string) []byte {
	if h.alg == BcryptSHA256 {
		sum := sha256.Sum256([]byte(password))
		return []byte(hex.EncodeToString(sum[:]))
	}
	return []byte(password)
}

func (h *bcryptHasher) Encode(password, salt string) (string, error) {
	if len(salt) == 22 && !strings.HasPrefix(salt, "$") {
		salt = fmt.Sprintf("$2b$%02d$", h.c.bcryptRounds()) + salt
	}
	in := h.input(password)
	if strings.IndexByte(string(in), 0) >= 0 {
		return "", fmt.Errorf("%w: %s: password may not contain NUL bytes", ErrInvalidArgument, h.alg)
	}
	s, err := parseBcryptSalt(salt)
	if err != nil {
		return "", fmt.Errorf("%w: %s: invalid salt", ErrInvalidArgument, h.alg)
	}
	if s.cost > h.c.limits.BcryptCost {
		return "", tooHigh(h.alg, "cost", "BcryptCost", uint64(s.cost), uint64(h.c.limits.BcryptCost))
	}
	return h.alg + "$" + s.hash(in), nil
}

type bcryptSalt struct {
	prefix string // "$2a$", "$2b$" or "$2y$", as given
	cost   int
	raw    []byte // 16 bytes
}

// parseBcryptSalt reads a salt as bcrypt_hashpass does (after pyca/bcrypt
// maps $2y$ to $2b$): the C string up to a NUL, "$2a$" or "$2b$", two
// digits 04…31 and "$", then at least 22 characters of which the first 22
// are decoded (the last one's low four bits are dropped).
func parseBcryptSalt(s string) (bcryptSalt, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	bad := fmt.Errorf("invalid bcrypt salt")
	if len(s) < 7 || s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$' {
		return bcryptSalt{}, bad
	}
	switch s[2] {
	case 'a', 'b', 'y':
	default:
		return bcryptSalt{}, bad
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return bcryptSalt{}, bad
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < 4 || cost > 31 {
		return bcryptSalt{}, bad
	}
	rest := s[7:]
	if len(rest)*3/4 < 16 {
		return bcryptSalt{}, bad
	}
	raw := make([]byte, 0, 16)
	for i := 0; ; i += 4 {
		c1, c2 := bcryptIndex[rest[i]], bcryptIndex[rest[i+1]]
		if c1 == 255 || c2 == 255 {
			return bcryptSalt{}, bad
		}
		raw = append(raw, c1<<2|(c2&0x30)>>4)
		if len(raw) == 16 {
			break
		}
		c3 := bcryptIndex[rest[i+2]]
		if c3 == 255 {
			return bcryptSalt{}, bad
		}
		raw = append(raw, (c2&0x0f)<<4|(c3&0x3c)>>2)
		c4 := bcryptIndex[rest[i+3]]
		if c4 == 255 {
			return bcryptSalt{}, bad
		}
		raw = append(raw, (c3&0x03)<<6|c4)
	}
	return bcryptSalt{prefix: s[:4], cost: cost, raw: raw}, nil
}

// hash is bcrypt_hashpass with pyca/bcrypt's 72-byte truncation; the
// output keeps the given prefix (pyca/bcrypt restores "$2y$").
func (s bcryptSalt) hash(password []byte) string {
	if len(password) > 72 {
		password = password[:72]
	}
	key := append(password[:len(password):len(password)], 0)
	c, err := blowfish.NewSaltedCipher(key, s.raw)
	if err != nil { // cannot happen: the key is never empty
		panic(err)
	}
	for i := uint64(0); i < uint64(1)<<s.cost; i++ {
		blowfish.ExpandKey(key, c)
		blowfish.ExpandKey(s.raw, c)
	}
	data := []byte("OrpheanBeholderScryDoubt")
	for i := 0; i < 24; i += 8 {
		for j := 0; j < 64; j++ {
			c.Encrypt(data[i:i+8], data[i:i+8])
		}
	}
	return fmt.Sprintf("%s%02d$", s.prefix, s.cost) + bcryptEncoding.EncodeToString(s.raw) + bcryptEncoding.EncodeToString(data[:23])
}

func (h *bcryptHasher) Verify(password, encoded string) (bool, error) {
	_, data, found := strings.Cut(encoded, "$")
	if !found {
		return false, malformed(h.alg, "no bcrypt data")
	}
	for i := 0; i < len(data); i++ {
		if data[i] >= 0x80 {
			return false, malformed(h.alg, "non-ASCII bcrypt data")
		}
	}
	s, err := parseBcryptSalt(data)
	if err != nil {
		return false, malformed(h.alg, err.Error())
	}
	if s.cost > h.c.limits.BcryptCost {
		return false, tooHigh(h.alg, "cost", "BcryptCost", uint64(s.cost), uint64(h.c.limits.BcryptCost))
	}
	in := h.input(password)
	if strings.IndexByte(string(in), 0) >= 0 {
		// pyca/bcrypt raises ValueError; no stored hash can match.
		return false, nil
	}
	if len(encoded) != len(h.alg)+1+60 {
		return false, nil // the re-encoding is always 60 characters
	}
	return equal(encoded, h.alg+"$"+s.hash(in)), nil
}

// MustUpdate is encoded.split("$", 4) and int(work_factor) != rounds.
func (h *bcryptHasher) MustUpdate(encoded string) bool {
	parts := strings.SplitN(encoded, "$", 5)
	if len(parts) != 5 {
		return true
	}
	n, ok := parsePyInt(parts[3])
	return !ok || n.neg || n.big || n.val != uint64(h.c.bcryptRounds())
}

// hardenRuntime runs 2^(rounds - stored cost) - 1 more hashes at the stored
// cost, as Django does.
func (h *bcryptHasher) hardenRuntime(password, encoded string) {
	_, data, _ := strings.Cut(encoded, "$")
	s, err := parseBcryptSalt(data)
	in := h.input(password)
	if err != nil || strings.IndexByte(string(in), 0) >= 0 {
		return
	}
	if d := h.c.bcryptRounds() - s.cost; d > 0 && d < 31 {
		for i := 0; i < 1<<d-1; i++ {
			s.hash(in)
		}
	}
}
