package django

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// sessionKeyChars is VALID_KEY_CHARS: string.ascii_lowercase + string.digits.
const sessionKeyChars = "abcdefghijklmnopqrstuvwxyz0123456789"

// SessionKeyLength is the length of the keys Django generates.
const SessionKeyLength = 32

// NewSessionKey returns a new session key as Django's
// _get_new_session_key makes it: 32 characters of [a-z0-9], each drawn
// uniformly from r (crypto/rand.Reader when nil). It does not check that the
// key is unused; stores retry on a collision as Django does.
func NewSessionKey(r io.Reader) (string, error) {
	r = randReader(r)
	var key [SessionKeyLength]byte
	var buf [64]byte
	n := 0
	for n < len(key) {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("django: reading randomness for a session key: %w", err)
		}
		for _, b := range buf {
			// 252 = 7*36: rejecting the top four byte values keeps every
			// character equally likely, as secrets.choice does.
			if b >= 252 {
				continue
			}
			key[n] = sessionKeyChars[b%36]
			n++
			if n == len(key) {
				break
			}
		}
	}
	return string(key[:]), nil
}

// ValidSessionKey reports whether Django keeps key when it is assigned to a
// session (SessionBase._validate_session_key): any key of at least 8
// characters. Shorter keys, and the empty key, mean "no session": Django
// starts a new one. Django counts characters (code points), not bytes.
func ValidSessionKey(key string) bool {
	return len(key) >= 8 && utf8.RuneCountInString(key) >= 8
}

// ValidFileSessionKey reports whether the file backend accepts key: Django's
// file SessionStore raises InvalidSessionKey for any character outside
// [a-z0-9], which its callers treat as a missing session.
func ValidFileSessionKey(key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
