package django

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// keySaltPrefix starts every session_data key salt: Django's
// SessionBase.key_salt is "django.contrib.sessions." + the class's
// __qualname__.
const keySaltPrefix = "django.contrib.sessions."

// defaultKeySalt is the key salt of every built-in SessionStore class. The
// five built-in backends share it, so data one writes decodes in another.
const defaultKeySalt = keySaltPrefix + "SessionStore"

// signedCookiesSalt is the salt of the signed_cookies backend's cookie
// value, which is signing.dumps of the session, not SessionStore.encode.
const signedCookiesSalt = "django.contrib.sessions.backends.signed_cookies"

// A Codec is SessionStore.encode and SessionStore.decode: it turns a
// session dict into the string Django stores (session_data in the
// django_session table, the body of a session file, or the cookie value of
// the signed_cookies engine) and back. A Codec is safe for concurrent use.
type Codec struct {
	settings      Settings
	serializer    signing.Serializer
	signer        *signing.TimestampSigner
	legacyKeySalt string // pre-3.1 format: "django.contrib.sessions" + __name__
	signedCookies bool
	legacyWrite   bool
	maxAge        time.Duration
}

// NewCodec returns the codec of the engine that s.SessionEngine names, for
// Django's own SessionStore classes.
func NewCodec(s Settings) (*Codec, error) { return NewCodecForClass(s, "SessionStore") }

// NewCodecForClass returns the codec of a SessionStore subclass whose
// Python __qualname__ is qualname: Django salts session_data with the class
// name, so `class MyStore(db.SessionStore)` signs with
// "django.contrib.sessions.MyStore". A class defined in a function has a
// qualname such as "make_store.<locals>.MyStore".
func NewCodecForClass(s Settings, qualname string) (*Codec, error) {
	if s.SecretKey == "" {
		return nil, fmt.Errorf("%w: the SECRET_KEY setting must not be empty", ErrImproperlyConfigured)
	}
	if qualname == "" {
		return nil, fmt.Errorf("%w: empty SessionStore class name", ErrImproperlyConfigured)
	}
	serializer, err := sessionSerializer(&s)
	if err != nil {
		return nil, err
	}
	c := &Codec{
		serializer:    serializer,
		settings:      s,
		signedCookies: s.isSignedCookies(),
		legacyKeySalt: "django.contrib.sessions" + qualname[strings.LastIndexByte(qualname, '.')+1:],
		maxAge:        time.Duration(s.SessionCookieAge) * time.Second,
	}
	salt := keySaltPrefix + qualname
	if c.signedCookies {
		salt = signedCookiesSalt
	}
	v := s.Version()
	c.legacyWrite = v == Django32 && s.hashingAlgorithm() == "sha1" && !c.signedCookies
	o := s.SignerOptions(salt)
	o.Serializer = serializer
	signer, err := signing.NewTimestampSigner(o)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrImproperlyConfigured, err)
	}
	c.signer = signer
	return c, nil
}

// sessionSerializer returns SESSION_SERIALIZER, refusing pickle unless it
// was explicitly allowed and the Django version has it (3.2 and 4.2).
// Every engine takes it then, signed_cookies included, as in Django: the
// cookie's pickle is signed with SECRET_KEY like any engine's session_data,
// and Go's decoder reads only the safe subset and executes nothing, so the
// opt-in exposes Go to nothing more than the data itself.
func sessionSerializer(s *Settings) (signing.Serializer, error) {
	switch s.SessionSerializer {
	case "", JSONSerializer:
		return signing.JSONSerializer, nil
	case PickleSerializer:
		switch {
		case !s.AllowPickleSerializer:
			return nil, fmt.Errorf("%w: SESSION_SERIALIZER is PickleSerializer: set Settings.AllowPickleSerializer to read and write it "+
				"(in Django, a leaked SECRET_KEY with PickleSerializer is remote code execution)", ErrImproperlyConfigured)
		case s.Version().AtLeast(5, 0):
			return nil, fmt.Errorf("%w: Django %s has no PickleSerializer (removed in 5.0)", ErrImproperlyConfigured, s.Version())
		}
		return pickle.Serializer{}, nil
	case BridgeSerializer:
		if !s.AllowPickleSerializer {
			return nil, fmt.Errorf("%w: SESSION_SERIALIZER is %s, which reads pickle: set Settings.AllowPickleSerializer", ErrImproperlyConfigured, BridgeSerializer)
		}
		return bridgeSerializer{}, nil
	}
	return nil, fmt.Errorf("%w: SESSION_SERIALIZER %q is not supported (JSONSerializer, or PickleSerializer with AllowPickleSerializer)",
		ErrImproperlyConfigured, s.SessionSerializer)
}

// Encode returns what SessionStore.encode returns for session: a
// TimestampSigner token of the JSON-serialized dict, zlib-compressed when
// that saves at least two bytes. For the signed_cookies engine it returns
// the cookie value. A 3.2 site with DEFAULT_HASHING_ALGORITHM = "sha1" gets
// the pre-3.1 format, as Django 3.2 writes it in that mode.
//
// Encode writes only what Decode, and Django, read back: a session that the
// serializer cannot write, or that is beyond a limit Decode applies, is an
// error wrapping ErrNotSerializable. Beyond a limit, it also matches
// signing.ErrLimit and the limit's own sentinel: signing.ErrTooLarge (more
// than signing.DefaultMaxDecompressedSize bytes serialized),
// pyjson.ErrTooDeep (nesting deeper than pyjson.MaxDepth),
// pyjson.ErrIntTooLong, or pickle's ErrTooDeep.
func (c *Codec) Encode(session *pyjson.Dict) (string, error) {
	if session == nil {
		session = pyjson.NewDict(0)
	}
	if c.legacyWrite {
		return c.legacyEncode(session)
	}
	s, err := c.signer.SignObject(session, true)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotSerializable, err)
	}
	return s, nil
}

// Decode returns the session dict that SessionStore.decode reads from data.
//
// Like Django, Decode never makes the caller fail: when data does not
// decode, the session is an empty dict, and Django's warning ("Session data
// corrupted" on django.security.SuspiciousSession, for data not signed by
// any configured key) goes to Settings.Logger. The error says why, and
// matches exactly one of three classes with errors.Is, so that a caller
// can tell "not ours" from "corrupt" from "too big for Go":
//
//   - signing.ErrBadSignature, with ErrSessionCorrupted: data signed with
//     none of the configured keys (another SECRET_KEY, or tampered data);
//     for the signed_cookies engine, also signing.ErrSignatureExpired for a
//     cookie older than SESSION_COOKIE_AGE. Session data applies no age
//     limit of its own: the store's expiry decides.
//   - signing.ErrMalformed: data signed with a configured key that does not
//     decode (a broken zlib stream, invalid JSON, a value that is not a
//     dict, a pickle outside the safe subset).
//   - signing.ErrLimit: valid data signed with a configured key, beyond a
//     limit that Go applies in both directions: signing.ErrTooLarge (it
//     inflates past signing.DefaultMaxDecompressedSize), pyjson.ErrTooDeep,
//     pyjson.ErrIntTooLong, pickle.ErrTooLarge or pickle.ErrTooDeep. Django
//     may read it fine: it is not corrupt, and must never be written over.
func (c *Codec) Decode(data string) (*pyjson.Dict, error) {
	var v any
	var err error
	if c.signedCookies {
		v, err = c.signer.UnsignObjectMaxAge(data, c.maxAge)
	} else {
		v, err = c.signer.UnsignObject(data)
	}
	if err == nil {
		if d, ok := v.(*pyjson.Dict); ok {
			return d, nil
		}
		return pyjson.NewDict(0), fmt.Errorf("%w: session data is a %s, not a dict", signing.ErrMalformed, pyjson.TypeName(v))
	}
	if errors.Is(err, signing.ErrLimit) {
		// It verified under a configured key, so it is not the pre-3.1
		// format that Django 3.2 would try next, nor corrupt.
		return pyjson.NewDict(0), err
	}
	if c.settings.Version() == Django32 && !c.signedCookies {
		return c.legacyDecode(data, err)
	}
	if errors.Is(err, signing.ErrBadSignature) && !c.signedCookies {
		c.logCorrupted()
		return pyjson.NewDict(0), fmt.Errorf("%w: %w", ErrSessionCorrupted, err)
	}
	return pyjson.NewDict(0), err
}

// logCorrupted logs what Django logs when it gives up on session data.
func (c *Codec) logCorrupted() {
	c.settings.Log().Warn("Session data corrupted", "logger", "django.security.SuspiciousSession")
}

// SignedAt returns when data (what Encode returned) was signed: Django's
// TimestampSigner puts the time in every session_data it writes, which
// tells when a session was last saved whatever a column says. The pre-3.1
// format that Django 3.2 writes with DEFAULT_HASHING_ALGORITHM = "sha1"
// has no time, and neither has data that does not verify: both are errors.
func (c *Codec) SignedAt(data string) (time.Time, error) {
	return c.signer.Timestamp(data)
}
