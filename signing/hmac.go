package signing

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"hash"
	"sync"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/blake2s"
)

// Algorithm names a hash function by its name in Python's hashlib module,
// the spelling Django's settings and Signer(algorithm=...) use.
type Algorithm string

// The algorithms Django accepts: exactly the hash constructors that are
// attributes of Python's hashlib module (shake_* excepted, which Django
// accepts by name but cannot use).
const (
	MD5      Algorithm = "md5"
	SHA1     Algorithm = "sha1"
	SHA224   Algorithm = "sha224"
	SHA256   Algorithm = "sha256"
	SHA384   Algorithm = "sha384"
	SHA512   Algorithm = "sha512"
	SHA3_224 Algorithm = "sha3_224"
	SHA3_256 Algorithm = "sha3_256"
	SHA3_384 Algorithm = "sha3_384"
	SHA3_512 Algorithm = "sha3_512"
	BLAKE2b  Algorithm = "blake2b" // hashlib's default: 64-byte digest
	BLAKE2s  Algorithm = "blake2s" // hashlib's default: 32-byte digest
)

func newBlake2b() hash.Hash { h, _ := blake2b.New512(nil); return h }
func newBlake2s() hash.Hash { h, _ := blake2s.New256(nil); return h }

func sha3New224() hash.Hash { return sha3.New224() }
func sha3New256() hash.Hash { return sha3.New256() }
func sha3New384() hash.Hash { return sha3.New384() }
func sha3New512() hash.Hash { return sha3.New512() }

var algorithms = map[Algorithm]func() hash.Hash{
	MD5: md5.New, SHA1: sha1.New, SHA224: sha256.New224, SHA256: sha256.New,
	SHA384: sha512.New384, SHA512: sha512.New,
	SHA3_224: sha3New224, SHA3_256: sha3New256, SHA3_384: sha3New384, SHA3_512: sha3New512,
	BLAKE2b: newBlake2b, BLAKE2s: newBlake2s,
}

// hashFunc returns the constructor for a, or Django's InvalidAlgorithm.
func (a Algorithm) hashFunc() (func() hash.Hash, error) {
	if h, ok := algorithms[a]; ok {
		return h, nil
	}
	return nil, errorf(ErrInvalidAlgorithm, "'"+string(a)+"' is not an algorithm accepted by the hashlib module.")
}

// SaltedHMAC is Django's django.utils.crypto.salted_hmac: the HMAC of value
// under a key derived from keySalt and secret, returned as the raw digest.
//
// The HMAC key is not the secret itself but K = H(keySalt || secret), the
// hash of the salt followed by the secret. Different salts therefore give
// unrelated keys, so a signature made for one purpose (a session cookie)
// can never be replayed for another (a password reset link). The result is
// HMAC-H(K, value). Strings are used as their bytes (UTF-8), which is what
// Django does with str and bytes alike. An empty secret is a valid secret.
//
// Django's own default algorithm for salted_hmac is sha1; its signers pass
// sha256. alg must be one of the Algorithm constants.
func SaltedHMAC(keySalt, value, secret string, alg Algorithm) ([]byte, error) {
	h, err := alg.hashFunc()
	if err != nil {
		return nil, err
	}
	m := hmac.New(h, deriveKey(h, keySalt, secret))
	m.Write(bytesOf(value))
	return m.Sum(nil), nil
}

// deriveKey is K = H(keySalt || secret).
func deriveKey(h func() hash.Hash, keySalt, secret string) []byte {
	d := h()
	d.Write(bytesOf(keySalt))
	d.Write(bytesOf(secret))
	return d.Sum(nil)
}

// macKey is one candidate key of a signer: the derived key for one
// (algorithm, salt, secret) with a pool of ready HMAC states, so a signature
// costs one HMAC over the value and nothing else. Safe for concurrent use.
type macKey struct {
	encLen int // length of the base64 signature
	pool   sync.Pool
}

// macState is what the pool hands out: a keyed HMAC plus scratch space, so
// computing a signature does not allocate.
type macState struct {
	h   hash.Hash
	sum [64]byte
	enc [88]byte
}

func newMacKey(alg Algorithm, keySalt, secret string) (*macKey, error) {
	h, err := alg.hashFunc()
	if err != nil {
		return nil, err
	}
	k := deriveKey(h, keySalt, secret)
	mk := &macKey{encLen: b64.EncodedLen(h().Size())}
	mk.pool.New = func() any { return &macState{h: hmac.New(h, k)} }
	return mk, nil
}

// appendSig appends the base64 signature of value to dst.
func (mk *macKey) appendSig(dst, value []byte) []byte {
	st := mk.pool.Get().(*macState)
	st.h.Reset()
	st.h.Write(value)
	sum := st.h.Sum(st.sum[:0])
	dst = b64.AppendEncode(dst, sum)
	mk.pool.Put(st)
	return dst
}

// verify reports whether sig is the base64 signature of value, comparing in
// constant time as Django's constant_time_compare does.
func (mk *macKey) verify(value []byte, sig string) bool {
	if len(sig) != mk.encLen { // lengths are public: Django returns early too
		return false
	}
	st := mk.pool.Get().(*macState)
	st.h.Reset()
	st.h.Write(value)
	sum := st.h.Sum(st.sum[:0])
	b64.Encode(st.enc[:], sum)
	ok := hmac.Equal(st.enc[:mk.encLen], bytesOf(sig))
	mk.pool.Put(st)
	return ok
}
