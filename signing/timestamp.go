package signing

import (
	"strings"
	"time"
)

// TimestampSigner is Django's django.core.signing.TimestampSigner: a Signer
// that also signs the time of signing, so that a value can be refused once
// it is too old.
//
// Sign(value) is value + sep + B62Encode(seconds since the epoch) + sep +
// signature, the signature covering value and timestamp together:
//
//	hello:1r31eq:VQcUy2Afhl41CmjACa0d3ePDm1iIU8HYy-SNEhamNKM
//
// The age limit is chosen when reading, not when signing: UnsignMaxAge
// refuses a value older than maxAge with an error matching
// ErrSignatureExpired (and ErrBadSignature). Unsign accepts any age.
//
// A TimestampSigner is safe for concurrent use; build it once.
type TimestampSigner struct {
	s Signer
}

// NewTimestampSigner returns a TimestampSigner for o, with Salt defaulting
// to "django.core.signing.TimestampSigner".
func NewTimestampSigner(o Options) (*TimestampSigner, error) {
	t := new(TimestampSigner)
	if err := t.s.init(o, "django.core.signing.TimestampSigner"); err != nil {
		return nil, err
	}
	return t, nil
}

// pyTime is Python's time.time() for t: the same float64, rounded the same
// way (CPython's _PyTime_AsSecondsDouble).
func pyTime(t time.Time) float64 {
	if y := t.Year(); y < 1678 || y > 2261 { // outside UnixNano's range
		return float64(t.Unix()) + float64(t.Nanosecond())/1e9
	}
	ns := t.UnixNano()
	if ns%1e9 == 0 {
		return float64(ns / 1e9)
	}
	return float64(ns) / 1e9
}

// timestamp is Django's int(time.time()).
func (s *Signer) timestamp() int64 { return int64(pyTime(s.now())) }

// Sign returns value + sep + timestamp + sep + signature, the timestamp
// being the current second of Options.Now.
func (t *TimestampSigner) Sign(value string) string {
	s := &t.s
	var tsBuf [12]byte
	ts := appendB62(tsBuf[:0], s.timestamp())
	buf := make([]byte, 0, len(value)+2*len(s.sep)+len(ts)+s.primary.encLen)
	buf = append(buf, value...)
	buf = append(buf, s.sep...)
	buf = append(buf, ts...)
	return stringOf(s.appendSignature(buf, len(buf)))
}

// Unsign checks a value made by Sign, whatever its age, and returns the
// original value. A bad signature is ErrBadSignature; a valid signature over
// something without a timestamp is ErrMalformed.
func (t *TimestampSigner) Unsign(signed string) (string, error) {
	return t.unsign(signed, 0, false)
}

// UnsignMaxAge is Unsign that also refuses values signed more than maxAge
// ago. The age is the current time (with its fraction of a second) minus the
// whole-second timestamp; it expires only when strictly greater than maxAge.
// A timestamp in the future never expires.
func (t *TimestampSigner) UnsignMaxAge(signed string, maxAge time.Duration) (string, error) {
	return t.unsign(signed, maxAge, true)
}

func (t *TimestampSigner) unsign(signed string, maxAge time.Duration, check bool) (string, error) {
	s := &t.s
	v, ts, err := t.verify(signed)
	if err != nil {
		return "", err
	}
	if check {
		if age := pyTime(s.now()) - float64(ts); age > maxAge.Seconds() {
			return "", &ExpiredError{Age: age, MaxAge: maxAge}
		}
	}
	return v, nil
}

// verify checks signed and splits the value it carries from its timestamp.
func (t *TimestampSigner) verify(signed string) (string, int64, error) {
	s := &t.s
	v, err := s.Unsign(signed)
	if err != nil {
		return "", 0, err
	}
	i := strings.LastIndex(v, s.sep)
	if i < 0 {
		return "", 0, errNoTSSep
	}
	ts, err := B62Decode(v[i+len(s.sep):])
	if err != nil {
		return "", 0, err
	}
	return v[:i], ts, nil
}

// SignObject serializes v, optionally compresses it, and signs it with a
// timestamp: Django's TimestampSigner.sign_object, the format of Dumps.
func (t *TimestampSigner) SignObject(v any, compress bool) (string, error) {
	return t.s.signObject(v, compress, true)
}

// UnsignObject checks a value made by SignObject, whatever its age, and
// returns the value it carries.
func (t *TimestampSigner) UnsignObject(signed string) (any, error) {
	payload, err := t.unsign(signed, 0, false)
	if err != nil {
		return nil, err
	}
	return unsignObject(t.s.serializer, payload, t.s.maxSize)
}

// UnsignObjectMaxAge is UnsignObject that also refuses values older than
// maxAge (see UnsignMaxAge).
func (t *TimestampSigner) UnsignObjectMaxAge(signed string, maxAge time.Duration) (any, error) {
	payload, err := t.unsign(signed, maxAge, true)
	if err != nil {
		return nil, err
	}
	return unsignObject(t.s.serializer, payload, t.s.maxSize)
}

// SignPayload signs already serialized bytes exactly as SignObject would
// sign their value: compressed if asked and if that saves at least two
// bytes, base64 encoded, timestamped and signed. It lets a caller with its
// own serializer (pickle) share everything else. Data longer than
// Options.MaxDecompressedSize is signed uncompressed, the only form in
// which unsigning reads it back (SignObject refuses such a value).
func (t *TimestampSigner) SignPayload(data []byte, compress bool) string {
	return t.s.signPayload(data, compress, true)
}

// UnsignPayload checks a value made by SignPayload or SignObject, whatever
// its age, and returns the serialized bytes it carries, decompressed.
func (t *TimestampSigner) UnsignPayload(signed string) ([]byte, error) {
	payload, err := t.unsign(signed, 0, false)
	if err != nil {
		return nil, err
	}
	return decodePayload(payload, t.s.maxSize)
}

// UnsignPayloadMaxAge is UnsignPayload that also refuses values older than
// maxAge (see UnsignMaxAge).
func (t *TimestampSigner) UnsignPayloadMaxAge(signed string, maxAge time.Duration) ([]byte, error) {
	payload, err := t.unsign(signed, maxAge, true)
	if err != nil {
		return nil, err
	}
	return decodePayload(payload, t.s.maxSize)
}

// Timestamp checks a value made by Sign or SignObject, whatever its age,
// and returns when it was signed (whole seconds, as Django stores it).
func (t *TimestampSigner) Timestamp(signed string) (time.Time, error) {
	_, ts, err := t.verify(signed)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(ts, 0), nil
}
