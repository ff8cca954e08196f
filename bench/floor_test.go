package bench

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/klauspost/compress/zlib"

	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// The floor: what a dumps or a loads cannot avoid doing, written straight
// on the primitives with every reusable state kept (a pre-keyed HMAC whose
// derived key K = sha256(salt+"signer"+SECRET_KEY) is computed once, one
// zlib writer reset per call, scratch buffers reused), in the same
// implementations the library uses (crypto/hmac+sha256, klauspost zlib at
// the default level, level 1 below 512 bytes; not the small-input encoder
// signing tries first below 512 bytes (tinydeflate.go), so a dumps of a
// small session can come in under its floor; signing's own whole-buffer
// inflater through signing.AppendDecompress into a reused buffer, as
// signing.loads inflates, base64url without padding, pyjson). The library's
// operation divided by its floor is its overhead.

var b64 = base64.RawURLEncoding

type floor struct {
	mac      hash.Hash
	sum      [32]byte
	sig      [43]byte
	zw       *zlib.Writer // default level
	zwFast   *zlib.Writer // level 1, for inputs under 512 bytes as signing does
	zbuf     bytes.Buffer
	raw      []byte
	inflated []byte
	json     []byte
}

func newFloor(salt string) *floor {
	d := sha256.New()
	d.Write([]byte(salt + "signer" + secret))
	f := &floor{mac: hmac.New(sha256.New, d.Sum(nil))}
	f.zw, _ = zlib.NewWriterLevel(nil, zlib.DefaultCompression)
	f.zwFast, _ = zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return f
}

// sign appends ":" + base64(HMAC(value)) to buf, value being buf itself.
func (f *floor) sign(buf []byte) []byte {
	f.mac.Reset()
	f.mac.Write(buf)
	f.mac.Sum(f.sum[:0])
	buf = append(buf, ':')
	return b64.AppendEncode(buf, f.sum[:])
}

// verify checks the signature of a token and returns the signed value.
func (f *floor) verify(token string) (string, error) {
	i := strings.LastIndexByte(token, ':')
	value, sig := token[:i], token[i+1:]
	f.mac.Reset()
	f.mac.Write(unsafe.Slice(unsafe.StringData(value), len(value)))
	f.mac.Sum(f.sum[:0])
	var want [43]byte
	b64.Encode(want[:], f.sum[:])
	if !hmac.Equal(want[:], []byte(sig)) {
		return "", errors.New("bad signature")
	}
	return value, nil
}

func (f *floor) deflate(data []byte) []byte {
	f.zbuf.Reset()
	zw := f.zw
	if len(data) < 512 {
		zw = f.zwFast
	}
	zw.Reset(&f.zbuf)
	zw.Write(data)
	zw.Close()
	return f.zbuf.Bytes()
}

// inflate is what signing.loads does with a "." payload: signing's inflater
// (the one scratch.inflate runs) appending into a buffer kept between calls.
func (f *floor) inflate(z []byte) ([]byte, error) {
	var err error
	f.inflated, err = signing.AppendDecompress(f.inflated[:0], z, 0)
	return f.inflated, err
}

// dumps is signing.dumps(v, compress=True) on the primitives: JSON, deflate
// (kept if 2+ bytes shorter, as Django keeps it), base64, timestamp, HMAC.
func (f *floor) dumps(v any, ts int64) (string, error) {
	var err error
	f.json, err = pyjson.AppendMarshal(f.json[:0], v)
	if err != nil {
		return "", err
	}
	data, dot := f.json, false
	if z := f.deflate(data); len(z) < len(data)-1 {
		data, dot = z, true
	}
	out := make([]byte, 0, 1+b64.EncodedLen(len(data))+1+8+1+43)
	if dot {
		out = append(out, '.')
	}
	out = b64.AppendEncode(out, data)
	out = append(out, ':')
	out = strconv.AppendInt(out, ts, 36) // the length of base62; the digits do not matter here
	out = f.sign(out)
	return unsafe.String(unsafe.SliceData(out), len(out)), nil
}

// loads is signing.loads(token) on the primitives: HMAC check, timestamp,
// base64, inflate, JSON.
func (f *floor) loads(token string) (any, error) {
	value, err := f.verify(token)
	if err != nil {
		return nil, err
	}
	i := strings.LastIndexByte(value, ':')
	if _, err := signing.B62Decode(value[i+1:]); err != nil {
		return nil, err
	}
	payload := value[:i]
	dot := strings.HasPrefix(payload, ".")
	if dot {
		payload = payload[1:]
	}
	n := b64.DecodedLen(len(payload))
	if cap(f.raw) < n {
		f.raw = make([]byte, n)
	}
	raw, err := b64.AppendDecode(f.raw[:0], unsafe.Slice(unsafe.StringData(payload), len(payload)))
	if err != nil {
		return nil, err
	}
	if dot {
		if raw, err = f.inflate(raw); err != nil {
			return nil, err
		}
	}
	return pyjson.Unmarshal(raw)
}

// BenchmarkFloor times the primitives alone and composed into the floor of
// dumps/encode ("dumps") and of loads/decode/signed_cookies_load ("loads").
func BenchmarkFloor(b *testing.B) {
	p := payloads(b)
	for _, name := range payloadNames {
		v := p[name]
		f := newFloor("django.core.signing")
		js, _ := pyjson.Marshal(v)
		z := append([]byte(nil), f.deflate(js)...)
		token, _ := f.dumps(v, 1700000000)
		token = strings.Clone(token)
		enc := b64.EncodeToString(z)
		ops := []benchOp{
			{"json_marshal", func() error { var err error; f.json, err = pyjson.AppendMarshal(f.json[:0], v); return err }},
			{"json_unmarshal", func() error { _, err := pyjson.Unmarshal(js); return err }},
			{"json_unmarshal_read_all", func() error { v, err := pyjson.Unmarshal(js); readAll(v); return err }},
			{"deflate", func() error { f.deflate(js); return nil }},
			{"inflate", func() error { _, err := f.inflate(z); return err }},
			{"hmac_b64_sign", func() error {
				f.raw = b64.AppendEncode(f.raw[:0], z)
				f.raw = f.sign(f.raw)
				return nil
			}},
			{"hmac_b64_verify", func() error {
				if _, err := f.verify(token); err != nil {
					return err
				}
				var err error
				f.raw, err = b64.AppendDecode(f.raw[:0], []byte(enc))
				return err
			}},
			{"dumps", func() error { _, err := f.dumps(v, 1700000000); return err }},
			{"loads", func() error { _, err := f.loads(token); return err }},
			{"loads_read_all", func() error { v, err := f.loads(token); readAll(v); return err }},
		}
		runOps(b, name, ops)
	}
}
