// Package csrf is Django's cross-site request forgery protection
// (django.middleware.csrf) for net/http, so that a Go handler and a Django
// site on the same domain accept each other's CSRF tokens and cookies.
//
// Django protects a form by pairing two values. The CSRF cookie
// ("csrftoken") carries a secret: 32 random characters from [AllowedChars].
// Every form carries a token (the hidden field "csrfmiddlewaretoken", or
// the X-CSRFToken header for JavaScript): the same secret, masked afresh
// for every page so that it never appears twice in a response (a defence
// against BREACH). Masking picks 32 random characters as a mask and adds
// each mask character's index to the secret's, modulo 62; the token is
// mask + cipher, 64 characters. A POST, PUT, PATCH or DELETE is accepted
// only when its token unmasks to the cookie's secret. A site on another
// domain can make a browser send the cookie, but it cannot read it, so it
// cannot produce the token.
//
// Over HTTPS, and on Django 4.0+ whenever the browser sends an Origin
// header, the request must also come from the site itself or from
// CSRF_TRUSTED_ORIGINS ([django.Settings.CSRFTrustedOrigins]): the Origin
// header, or failing that the Referer, is checked first.
//
// Use [Middleware] around your handlers, [GetToken] to put a token in a
// form, [RotateToken] after a login, and [Exempt] for endpoints that must
// accept cross-site posts (webhooks). The CSRF_* settings are fields of
// [django.Settings], with Django's defaults in [django.DefaultSettings];
// its DjangoVersion picks the rules of Django 3.2 (masked 64-character
// cookies, the single "CSRF token missing or incorrect." reason, no Origin
// check) or 4.1+ (the unmasked secret in the cookie, detailed reasons,
// Origin checks).
package csrf

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/djsession/djsession/django"
)

// The token format, as django.middleware.csrf defines it.
const (
	// SecretLength is CSRF_SECRET_LENGTH: the length of a secret and of a
	// mask.
	SecretLength = 32
	// TokenLength is CSRF_TOKEN_LENGTH: a masked token, mask + cipher.
	TokenLength = 2 * SecretLength
	// AllowedChars is CSRF_ALLOWED_CHARS, in Django's order (the order is
	// part of the masking arithmetic).
	AllowedChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	// SessionKey is CSRF_SESSION_KEY, where the secret lives when
	// django.Settings.CSRFUseSessions is set.
	SessionKey = "_csrftoken"
	// FormField is the POST field Django reads the token from.
	FormField = "csrfmiddlewaretoken"
)

// The reasons Django gives for refusing a request; Middleware passes the
// formatted reason to the failure handler (see FailureReason). The ones
// with %s take the offending Origin or Referer.
const (
	ReasonBadOrigin        = "Origin checking failed - %s does not match any trusted origins."
	ReasonNoReferer        = "Referer checking failed - no Referer."
	ReasonBadReferer       = "Referer checking failed - %s does not match any trusted origins."
	ReasonNoCSRFCookie     = "CSRF cookie not set."
	ReasonCSRFTokenMissing = "CSRF token missing."
	ReasonMalformedReferer = "Referer checking failed - Referer is malformed."
	ReasonInsecureReferer  = "Referer checking failed - Referer is insecure while host is secure."
	// ReasonBadToken is Django 3.2's single reason for a missing, malformed
	// or wrong token (4.1+ says which, see Middleware).
	ReasonBadToken = "CSRF token missing or incorrect."
)

// Errors of the token helpers.
var (
	// ErrInvalidToken reports a token or secret of the wrong length or
	// with characters outside AllowedChars. Untrusted input: refuse it.
	ErrInvalidToken = errors.New("csrf: invalid token format")
	// ErrNoMiddleware reports GetToken or RotateToken on a request that did
	// not pass through Middleware (a programmer's mistake).
	ErrNoMiddleware = errors.New("csrf: request did not pass through csrf.Middleware")
	// ErrRandom wraps a failure of the random source.
	ErrRandom = errors.New("csrf: random source failed")
)

// charIndex maps a byte to its index in AllowedChars, or -1.
var charIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(AllowedChars) {
		t[AllowedChars[i]] = int8(i)
	}
	return t
}()

// source is the random source r stands for: nil means crypto/rand, for a
// helper's argument as for django.Settings.Rand.
func source(r io.Reader) io.Reader { return (&django.Settings{Rand: r}).RandReader() }

// randomString is get_random_string(n, CSRF_ALLOWED_CHARS): each
// character takes one byte of r, keeps its top 6 bits and retries when
// they are 62 or 63, so the choice is uniform. (Python's secrets.choice
// draws the same way, 6 random bits with rejection, which is what lets the
// tests replay Django's seeded vectors.) Bytes are read in order and none
// is left over.
func randomString(r io.Reader, n int) (string, error) {
	r = source(r)
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		want := buf[:n-len(out)]
		if _, err := io.ReadFull(r, want); err != nil {
			return "", fmt.Errorf("%w: %v", ErrRandom, err)
		}
		for _, b := range want {
			if v := b >> 2; v < 62 {
				out = append(out, AllowedChars[v])
			}
		}
	}
	return string(out), nil
}

// NewSecret returns a new random secret (_get_new_csrf_string): 32
// characters of AllowedChars drawn from r (nil: crypto/rand).
func NewSecret(r io.Reader) (string, error) { return randomString(r, SecretLength) }

// MaskSecret is _mask_cipher_secret: a fresh 32-character mask from r,
// then the secret's characters shifted by the mask's, modulo 62; the
// token is mask + cipher. secret must be 32 characters of AllowedChars.
// r is the mask's random source; nil means crypto/rand, as a nil
// django.Settings.Rand does.
func MaskSecret(secret string, r io.Reader) (string, error) {
	if !validFormat(secret) || len(secret) != SecretLength {
		return "", ErrInvalidToken
	}
	mask, err := randomString(r, SecretLength)
	if err != nil {
		return "", err
	}
	return maskWith(secret, mask), nil
}

func maskWith(secret, mask string) string {
	b := make([]byte, TokenLength)
	copy(b, mask)
	for i := range SecretLength {
		b[SecretLength+i] = AllowedChars[(int(charIndex[secret[i]])+int(charIndex[mask[i]]))%62]
	}
	return string(b)
}

// UnmaskToken is _unmask_cipher_token: the secret inside a 64-character
// masked token.
func UnmaskToken(token string) (string, error) {
	if len(token) != TokenLength || !validFormat(token) {
		return "", ErrInvalidToken
	}
	return unmask(token), nil
}

func unmask(token string) string {
	b := make([]byte, SecretLength)
	for i := range SecretLength {
		b[i] = AllowedChars[(int(charIndex[token[SecretLength+i]])-int(charIndex[token[i]])+62)%62]
	}
	return string(b)
}

// validFormat reports whether s holds only AllowedChars.
func validFormat(s string) bool {
	for i := range len(s) {
		if charIndex[s[i]] < 0 {
			return false
		}
	}
	return true
}

// checkFormat is _check_token_format: "" when the token may be a secret
// or a masked token, else Django's reason phrase.
func checkFormat(token string) string {
	if len(token) != TokenLength && len(token) != SecretLength {
		return "has incorrect length"
	}
	if !validFormat(token) {
		return "has invalid characters"
	}
	return ""
}

// TokenMatches is Django 4.1+'s _does_token_match, with its format check
// first: token (a 64-character masked token, or a bare 32-character
// secret) belongs to secret. The comparison is constant-time.
func TokenMatches(token, secret string) bool {
	if checkFormat(token) != "" || len(secret) != SecretLength {
		return false
	}
	if len(token) == TokenLength {
		token = unmask(token)
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(secret)) == 1
}

// sanitize is Django 3.2's _sanitize_token: a 64-character token is kept,
// a 32-character one is masked (older cookies held the bare secret), and
// anything else is replaced by a new random token, which matches nothing.
func sanitize(token string, r io.Reader) (string, error) {
	switch {
	case !validFormat(token):
	case len(token) == TokenLength:
		return token, nil
	case len(token) == SecretLength:
		return MaskSecret(token, r)
	}
	return newMaskedToken(r)
}

// newMaskedToken is 3.2's _get_new_csrf_token.
func newMaskedToken(r io.Reader) (string, error) {
	s, err := NewSecret(r)
	if err != nil {
		return "", err
	}
	return MaskSecret(s, r)
}

// titleHeader is HttpHeaders.parse_header_name: HTTP_X_CSRFTOKEN becomes
// X-Csrftoken (Python's str.title()); ok is false for a META name that is
// not a header.
func titleHeader(meta string) (string, bool) {
	name, ok := strings.CutPrefix(meta, "HTTP_")
	if !ok && meta != "CONTENT_TYPE" && meta != "CONTENT_LENGTH" {
		return "", false
	}
	b := []byte(strings.ReplaceAll(name, "_", "-"))
	prevCased := false
	for i, c := range b {
		lower, upper := c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z'
		switch {
		case lower && !prevCased:
			b[i] = c - 32
		case upper && prevCased:
			b[i] = c + 32
		}
		prevCased = lower || upper
	}
	return string(b), true
}
