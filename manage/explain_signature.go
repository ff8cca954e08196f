package manage

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// The salts Django signs with that a value found in a store or a cookie
// may carry.
const (
	// SaltSessionData is session_data's salt: SessionBase.key_salt for
	// Django's own SessionStore classes.
	SaltSessionData = "django.contrib.sessions.SessionStore"
	// SaltSignedCookies is the signed_cookies engine's cookie salt.
	SaltSignedCookies = "django.contrib.sessions.backends.signed_cookies"
	// SaltSigning is signing.dumps' default salt.
	SaltSigning = "django.core.signing"
	// SaltMessages is the messages framework's CookieStorage salt (with
	// the cookie signer's key, "django.http.cookies" + SECRET_KEY).
	SaltMessages = "django.contrib.messages"
)

// legacyKeySalt is the pre-3.1 session format's salt:
// "django.contrib.sessions" + the class's __name__.
const legacyKeySalt = "django.contrib.sessionsSessionStore"

// The serializers a Signature names.
const (
	SerializerJSON   = "json"
	SerializerPickle = "pickle"
)

// configuredSerializer is what SESSION_SERIALIZER writes, as a Signature
// names it: SerializerPickle for PickleSerializer, else SerializerJSON.
func configuredSerializer(s *django.Settings) string {
	if s.SessionSerializer == django.PickleSerializer {
		return SerializerPickle
	}
	return SerializerJSON
}

// A Signature is what a signed value says of how it was made, as far as
// the configured keys can tell. It never holds a key: keys are named by
// the setting and index that hold them.
type Signature struct {
	// Verified reports that a configured key verifies the value.
	Verified bool `json:"verified"`
	// Key names the key that verifies it: "SECRET_KEY" or
	// "SECRET_KEY_FALLBACKS[i]"; "" when none does.
	Key string `json:"key,omitempty"`
	// Fallback is i for SECRET_KEY_FALLBACKS[i], -1 for SECRET_KEY or none.
	Fallback int `json:"fallback"`
	// Salt is the salt it verified under.
	Salt string `json:"salt,omitempty"`
	// Algorithm is the HMAC's hash: "sha256", or "sha1" (Django 3.2's
	// legacy signatures and DEFAULT_HASHING_ALGORITHM = "sha1").
	Algorithm string `json:"algorithm,omitempty"`
	// Format is "timestamped" (signing.dumps with TimestampSigner, what
	// Django 3.1 and later write) or "pre-3.1" (base64 of hash:data).
	Format string `json:"format,omitempty"`
	// Compressed reports a zlib-compressed payload.
	Compressed bool `json:"compressed,omitempty"`
	// Serializer is the serializer that wrote the payload, SerializerJSON
	// or SerializerPickle, told from the payload's first byte; "" when
	// unknown.
	Serializer string `json:"serializer,omitempty"`
	// SignedAt is the signing time (timestamped format only).
	SignedAt time.Time `json:"signed_at,omitzero"`
	// DecodeError is why a verified payload did not decode ("" when it
	// did): a limit, a pickle outside the safe subset, broken JSON.
	DecodeError string `json:"decode_error,omitempty"`
}

// keyName names key index i: 0 is SECRET_KEY, i > 0 SECRET_KEY_FALLBACKS[i-1].
func keyName(i int) string {
	if i == 0 {
		return "SECRET_KEY"
	}
	return "SECRET_KEY_FALLBACKS[" + strconv.Itoa(i-1) + "]"
}

// A Verifier tells under which configured key, salt and algorithm a signed
// value verifies, and which serializer wrote it, whatever SESSION_SERIALIZER
// says: every key of the settings is tried alone (SECRET_KEY, then each
// SECRET_KEY_FALLBACKS entry, even on a version that ignores fallbacks, so
// a report can say so), with sha256 and sha1. Build it once: it derives
// every signer up front. It is safe for concurrent use.
type Verifier struct {
	keys    []string
	signers map[string][]candidate // by salt
}

type candidate struct {
	index int
	alg   signing.Algorithm
	ts    *signing.TimestampSigner
}

// NewVerifier returns the verifier of settings' keys for salts (the
// session_data salt when none is given). A settings without SECRET_KEY is
// django.ErrImproperlyConfigured.
func NewVerifier(settings *django.Settings, salts ...string) (*Verifier, error) {
	if settings.SecretKey == "" {
		return nil, fmt.Errorf("%w: the SECRET_KEY setting must not be empty", django.ErrImproperlyConfigured)
	}
	if len(salts) == 0 {
		salts = []string{SaltSessionData}
	}
	v := &Verifier{keys: append([]string{settings.SecretKey}, settings.SecretKeyFallbacks...), signers: map[string][]candidate{}}
	for _, salt := range salts {
		for i, k := range v.keys {
			if salt == SaltMessages {
				k = signing.CookieSignerKey(k)
			}
			for _, alg := range []signing.Algorithm{signing.SHA256, signing.SHA1} {
				ts, err := signing.NewTimestampSigner(signing.Options{Key: k, Salt: salt, Algorithm: alg})
				if err != nil {
					return nil, fmt.Errorf("%w: %w", django.ErrImproperlyConfigured, err)
				}
				v.signers[salt] = append(v.signers[salt], candidate{i, alg, ts})
			}
		}
	}
	return v, nil
}

// Verify inspects value under salt (one given to NewVerifier) and returns
// its signature and, when it verified and decoded, the decoded value: a
// *pyjson.Dict for a session. The pre-3.1 session format is tried for the
// session_data salt. A value no key verifies is an unverified Signature and
// a nil value, not an error.
func (v *Verifier) Verify(value, salt string) (Signature, any) {
	sig := Signature{Fallback: -1}
	for _, c := range v.signers[salt] {
		payload, err := c.ts.UnsignPayload(value)
		if errors.Is(err, signing.ErrBadSignature) || errors.Is(err, signing.ErrSignatureExpired) {
			continue
		}
		sig.Verified, sig.Key, sig.Salt, sig.Algorithm, sig.Format = true, keyName(c.index), salt, string(c.alg), "timestamped"
		if c.index > 0 {
			sig.Fallback = c.index - 1
		}
		sig.Compressed = len(value) > 0 && value[0] == '.'
		if t, err := c.ts.Timestamp(value); err == nil {
			sig.SignedAt = t
		}
		if err != nil {
			sig.DecodeError = err.Error()
			return sig, nil
		}
		d, err := decodePayload(&sig, payload)
		if err != nil {
			sig.DecodeError = err.Error()
			return sig, nil
		}
		return sig, d
	}
	if salt == SaltSessionData {
		return v.verifyLegacy(value)
	}
	return sig, nil
}

// decodePayload sets the serializer from the payload's first byte and
// decodes it with that serializer (pickle: the safe subset only).
func decodePayload(sig *Signature, payload []byte) (any, error) {
	switch p := bytes.TrimLeft(payload, " \t\r\n"); {
	case len(p) > 0 && p[0] == 0x80:
		sig.Serializer = SerializerPickle
		return pickle.Unmarshal(payload)
	case len(p) > 0 && (p[0] == '{' || p[0] == '[' || p[0] == '"'):
		sig.Serializer = SerializerJSON
		return pyjson.Unmarshal(payload)
	}
	return nil, fmt.Errorf("%w: the payload is neither JSON nor a pickle", signing.ErrMalformed)
}

// verifyLegacy tries the pre-3.1 session format: base64 of
// hexdigest ":" serialized, the hexdigest a sha1 salted HMAC.
func (v *Verifier) verifyLegacy(value string) (Signature, any) {
	sig := Signature{Fallback: -1}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return sig, nil
	}
	hash, serialized, ok := bytes.Cut(raw, []byte{':'})
	if !ok || len(hash) != 40 {
		return sig, nil
	}
	for i, k := range v.keys {
		mac, err := signing.SaltedHMAC(legacyKeySalt, string(serialized), k, signing.SHA1)
		if err != nil || subtle.ConstantTimeCompare([]byte(hex.EncodeToString(mac)), hash) != 1 {
			continue
		}
		sig.Verified, sig.Key, sig.Salt, sig.Algorithm, sig.Format = true, keyName(i), legacyKeySalt, "sha1", "pre-3.1"
		if i > 0 {
			sig.Fallback = i - 1
		}
		d, err := decodePayload(&sig, serialized)
		if err != nil {
			sig.DecodeError = err.Error()
			return sig, nil
		}
		return sig, d
	}
	return sig, nil
}
