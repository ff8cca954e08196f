package django

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/djsession/djsession/internal/pybase64"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// The pre-3.1 session format, which Django 3.1 and 3.2 still read (and 3.2
// writes when DEFAULT_HASHING_ALGORITHM is "sha1"):
//
//	base64(hexdigest ":" serialized)
//
// with the standard base64 alphabet and padding, where hexdigest is
// salted_hmac("django.contrib.sessions" + class __name__, serialized,
// algorithm="sha1"). Django 4.0 dropped it.

// errLegacy marks the failures of the legacy decoder.
var errLegacy = errors.New("not in the pre-3.1 session format")

func (c *Codec) legacyHash(serialized []byte) (string, error) {
	mac, err := signing.SaltedHMAC(c.legacyKeySalt, string(serialized), c.settings.SecretKey, signing.SHA1)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(mac), nil
}

func (c *Codec) legacyEncode(session *pyjson.Dict) (string, error) {
	serialized, err := c.serializer.Dumps(session)
	if err != nil {
		if signing.IsLimit(err) {
			err = fmt.Errorf("%w: %w", signing.ErrLimit, err)
		}
		return "", fmt.Errorf("%w: %w", ErrNotSerializable, err)
	}
	// The current format's limit, so that a session saved in either format
	// is one the other could hold too.
	if len(serialized) > signing.DefaultMaxDecompressedSize {
		return "", fmt.Errorf("%w: %w: session data of %d bytes exceeds %d bytes",
			ErrNotSerializable, signing.ErrTooLarge, len(serialized), signing.DefaultMaxDecompressedSize)
	}
	h, err := c.legacyHash(serialized)
	if err != nil {
		return "", err
	}
	raw := make([]byte, 0, len(h)+1+len(serialized))
	raw = append(append(append(raw, h...), ':'), serialized...)
	return base64.StdEncoding.EncodeToString(raw), nil
}

// legacyDecode is Django 3.2's decode after signing.loads failed with
// signErr: it retries the data as the pre-3.1 format, and logs and
// returns an empty session exactly where 3.2 does.
func (c *Codec) legacyDecode(data string, signErr error) (*pyjson.Dict, error) {
	badSignature := errors.Is(signErr, signing.ErrBadSignature)
	empty := pyjson.NewDict(0)

	// base64.b64decode(session_data.encode('ascii')) stands outside the
	// legacy decoder's try: its errors reach decode(), which logs them
	// after a bad signature and lets them escape otherwise.
	raw, err := pyB64Decode(data)
	if err != nil {
		if badSignature {
			c.logCorrupted()
			return empty, fmt.Errorf("%w: %w", ErrSessionCorrupted, signErr)
		}
		// Django 3.2 raises binascii.Error out of decode() here.
		return empty, fmt.Errorf("%w (and not the pre-3.1 format: %v)", signErr, err)
	}
	hash, serialized, found := bytes.Cut(raw, []byte{':'})
	if !found {
		return empty, fmt.Errorf("%w: %w", signErr, errLegacy)
	}
	want, err := c.legacyHash(serialized)
	if err != nil {
		return empty, err
	}
	if subtle.ConstantTimeCompare(hash, []byte(want)) != 1 {
		// A hash that is not UTF-8 fails hash.decode() before the compare:
		// Django returns {} without logging then.
		if !utf8.Valid(hash) {
			return empty, fmt.Errorf("%w: %w", signErr, errLegacy)
		}
		c.logCorrupted()
		return empty, fmt.Errorf("%w: %w", ErrSessionCorrupted, signErr)
	}
	v, err := c.serializer.Loads(serialized)
	if err != nil {
		kind := signing.ErrMalformed
		if signing.IsLimit(err) {
			kind = signing.ErrLimit // valid, but beyond a limit: see Decode
		}
		return empty, fmt.Errorf("%w: pre-3.1 session data: %w", kind, err)
	}
	d, ok := v.(*pyjson.Dict)
	if !ok {
		return empty, fmt.Errorf("%w: session data is a %s, not a dict", signing.ErrMalformed, pyjson.TypeName(v))
	}
	return d, nil
}

// pyB64Decode is Python's base64.b64decode(s.encode('ascii')): non-ASCII
// text fails the encode before anything is decoded.
func pyB64Decode(s string) ([]byte, error) {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return nil, errors.New("'ascii' codec can't encode character")
		}
	}
	return pybase64.Decode(s)
}
