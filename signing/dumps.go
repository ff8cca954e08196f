package signing

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// Serializer turns a value into bytes and back, like Django's serializer
// classes (signing.JSONSerializer, the old PickleSerializer). Loads must
// not keep data after it returns.
type Serializer interface {
	Dumps(v any) ([]byte, error)
	Loads(data []byte) (any, error)
}

// AppendDumper is an optional interface of a Serializer: AppendDumps appends
// the serialized form of v to dst, letting signers reuse buffers.
type AppendDumper interface {
	AppendDumps(dst []byte, v any) ([]byte, error)
}

// JSONSerializer is Django's django.core.signing.JSONSerializer: compact
// json.dumps (separators "," and ":", ASCII only) and json.loads of the
// bytes decoded as latin-1, with Python values as package pyjson models them
// (ordered dicts, int64 or *big.Int, float64, string, []any, nil, bool).
var JSONSerializer Serializer = jsonSerializer{}

type jsonSerializer struct{}

func (jsonSerializer) Dumps(v any) ([]byte, error) { return pyjson.Marshal(v) }
func (jsonSerializer) AppendDumps(dst []byte, v any) ([]byte, error) {
	return pyjson.AppendMarshal(dst, v)
}
func (jsonSerializer) Loads(data []byte) (any, error) { return pyjson.Unmarshal(data) }

// Dumps is Django's signing.dumps: v serialized (JSON by default),
// compressed with zlib if compress is set and that saves at least two
// bytes, URL-safe base64 encoded (prefixed with "." when compressed),
// timestamped and signed with a TimestampSigner whose salt defaults to
// "django.core.signing":
//
//	eyJhIjoxfQ:1r31eq:EwEJtzKarFSfv7vbmVHgOfh1JA2SU92iCsSG7zp8Opc
//
// Uncompressed tokens are byte-identical to Django's. Compressed ones are
// valid zlib that every Django version reads, but not the same deflate
// bytes as CPython's zlib (see the package documentation).
//
// Each call derives its keys anew (no secret outlives the call); code that
// signs or verifies often should build a TimestampSigner once and reuse it.
func Dumps(v any, o Options, compress bool) (string, error) {
	var t TimestampSigner
	if err := t.s.init(o, "django.core.signing"); err != nil {
		return "", err
	}
	return t.s.signObject(v, compress, true)
}

// Loads is Django's signing.loads: it reverses Dumps, accepting a token of
// any age. Failures match exactly one of ErrBadSignature (not ours, or
// tampered), ErrMalformed (signed by us, but undecodable) or ErrLimit
// (signed by us, but beyond a limit: ErrTooLarge, or the serializer's, such
// as pyjson.ErrTooDeep).
func Loads(token string, o Options) (any, error) {
	var t TimestampSigner
	if err := t.s.init(o, "django.core.signing"); err != nil {
		return nil, err
	}
	return t.UnsignObject(token)
}

// LoadsMaxAge is Loads that also refuses tokens signed more than maxAge
// ago, with an error matching ErrSignatureExpired and ErrBadSignature.
func LoadsMaxAge(token string, o Options, maxAge time.Duration) (any, error) {
	var t TimestampSigner
	if err := t.s.init(o, "django.core.signing"); err != nil {
		return nil, err
	}
	return t.UnsignObjectMaxAge(token, maxAge)
}

// maxPooledBuf keeps huge one-off buffers out of the pool.
const maxPooledBuf = 1 << 20

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuf {
		bufPool.Put(b)
	}
}

func (s *Signer) signObject(v any, compress, withTS bool) (string, error) {
	if ad, ok := s.serializer.(AppendDumper); ok {
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		data, err := ad.AppendDumps(buf.AvailableBuffer(), v)
		if err != nil {
			putBuf(buf)
			return "", serializeErr(err)
		}
		out, err := s.signSerialized(data, compress, withTS)
		if cap(data) > buf.Cap() { // keep the grown buffer for next time
			buf = bytes.NewBuffer(data[:0])
		}
		putBuf(buf)
		return out, err
	}
	data, err := s.serializer.Dumps(v)
	if err != nil {
		return "", serializeErr(err)
	}
	return s.signSerialized(data, compress, withTS)
}

// signSerialized signs what the serializer wrote. It refuses data longer
// than the limit that unsigning applies to inflated data, compressed or
// not, so that a value signed here can be unsigned by a signer with the
// same Options whether or not zlib shrank it.
func (s *Signer) signSerialized(data []byte, compress, withTS bool) (string, error) {
	if int64(len(data)) > s.maxSize {
		return "", errorf(ErrTooLarge, "payload of "+strconv.Itoa(len(data))+
			" bytes exceeds MaxDecompressedSize ("+strconv.FormatInt(s.maxSize, 10)+" bytes)")
	}
	return s.signPayload(data, compress, withTS), nil
}

// errSerialize is the kind of a serializer's refusal to write a value: a
// caller's mistake, not bad input, so it matches no input sentinel.
var errSerialize error = &sentinel{msg: "signing: cannot serialize value"}

// serializeErr wraps a serializer's refusal to write: as ErrLimit when the
// value is beyond a limit that the reading side applies too.
func serializeErr(err error) error {
	if IsLimit(err) {
		return wrapErr(ErrLimit, "serialize", err)
	}
	return wrapErr(errSerialize, "serialize", err)
}

// IsLimit reports whether err, from this package or from a serializer it
// calls, means a value beyond a limit rather than invalid data: ErrLimit
// (ErrTooLarge), pyjson.ErrTooDeep and pyjson.ErrIntTooLong (the limits
// that pyjson applies to Marshal and Unmarshal alike), pickle.ErrTooLarge
// and pickle.ErrTooDeep. The errors this package returns already match
// ErrLimit in these cases; IsLimit serves code that calls a Serializer
// directly, as the pre-3.1 session format does.
func IsLimit(err error) bool {
	return errors.Is(err, ErrLimit) || errors.Is(err, pyjson.ErrTooDeep) || errors.Is(err, pyjson.ErrIntTooLong) ||
		errors.Is(err, pickle.ErrTooLarge) || errors.Is(err, pickle.ErrTooDeep)
}

// signPayload is sign_object after serialization: compress, encode, sign.
// Data longer than the limit that unsigning applies to inflated data is
// never compressed: unsigning reads it back only uncompressed.
func (s *Signer) signPayload(data []byte, compress, withTS bool) string {
	dot := 0
	if compress && len(data) >= compressMinLen && int64(len(data)) <= s.maxSize {
		z := bufPool.Get().(*bytes.Buffer)
		z.Reset()
		zlibCompress(z, data)
		defer putBuf(z)
		if z.Len() < len(data)-1 { // Django keeps it only if 2+ bytes shorter
			data, dot = z.Bytes(), 1
		}
	}
	var tsBuf [12]byte
	var ts []byte
	size := dot + b64.EncodedLen(len(data)) + len(s.sep) + s.primary.encLen
	if withTS {
		ts = appendB62(tsBuf[:0], s.timestamp())
		size += len(s.sep) + len(ts)
	}
	buf := make([]byte, 0, size)
	if dot == 1 {
		buf = append(buf, '.')
	}
	buf = b64.AppendEncode(buf, data)
	if withTS {
		buf = append(buf, s.sep...)
		buf = append(buf, ts...)
	}
	return stringOf(s.appendSignature(buf, len(buf)))
}

// decodePayload is unsign_object after the signature check: "." means zlib.
func decodePayload(payload string, max int64) ([]byte, error) {
	if rest, ok := strings.CutPrefix(payload, "."); ok {
		z, err := b64Decode(rest)
		if err != nil {
			return nil, err
		}
		return Decompress(z, max)
	}
	return b64Decode(payload)
}

// unsignObject is unsign_object after the signature check. With the JSON
// serializer, which copies what it keeps, the payload is decoded into
// pooled buffers.
func unsignObject(ser Serializer, payload string, max int64) (any, error) {
	if ser != JSONSerializer {
		data, err := decodePayload(payload, max)
		if err != nil {
			return nil, err
		}
		return loadsPayload(ser, data)
	}
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	data, err := sc.decode(payload, max)
	if err != nil {
		return nil, err
	}
	return loadsPayload(ser, data)
}

func loadsPayload(ser Serializer, data []byte) (any, error) {
	v, err := ser.Loads(data)
	if err != nil {
		if IsLimit(err) {
			return nil, wrapErr(ErrLimit, "deserialize", err)
		}
		return nil, wrapErr(ErrMalformed, "deserialize", err)
	}
	return v, nil
}
