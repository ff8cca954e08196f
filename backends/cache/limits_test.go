package cache

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"testing"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/signing"
)

// zlibOf is zlib.compress(data).
func zlibOf(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInflateLimitIsNotCorrupt: a compressed cache value inflates up to
// the largest pickle the decoder takes (pickle.DefaultMaxSize, the largest
// pickle.Marshal writes); past it, the value is refused as too large with
// the class signed data gets (signing.ErrTooLarge, a signing.ErrLimit), not
// as corrupt (pickle.ErrMalformed, signing.ErrMalformed), on memcached and
// on django-redis with zlib.
func TestInflateLimitIsNotCorrupt(t *testing.T) {
	at := make([]byte, pickle.DefaultMaxSize)
	if out, err := inflate(zlibOf(t, at)); err != nil || len(out) != len(at) {
		t.Fatalf("inflate at the limit: %d bytes, %v", len(out), err)
	}
	past := zlibOf(t, make([]byte, pickle.DefaultMaxSize+1))
	_, err := inflate(past)
	if !errors.Is(err, signing.ErrTooLarge) || !signing.IsLimit(err) {
		t.Fatalf("inflate past the limit: %v, want signing.ErrTooLarge", err)
	}

	ctx := context.Background()
	_, err = decodeMemcached(ctx, flagPickle|flagCompressed, past)
	if !errors.Is(err, ErrBadValue) || !errors.Is(err, signing.ErrTooLarge) || errors.Is(err, pickle.ErrMalformed) {
		t.Errorf("memcached: %v, want ErrBadValue and signing.ErrTooLarge, not ErrMalformed", err)
	}
	r := &Redis{opts: Options{Compressor: ZlibCompressor}}
	_, err = r.decode(ctx, past)
	if !errors.Is(err, ErrBadValue) || !errors.Is(err, signing.ErrTooLarge) || errors.Is(err, pickle.ErrMalformed) {
		t.Errorf("redis with zlib: %v, want ErrBadValue and signing.ErrTooLarge, not ErrMalformed", err)
	}
}

// TestInflateNotZlib: a value that is not zlib is, on memcached with the
// compressed flag, ErrBadValue of no limit and no signing class (it is not
// signed data); on django-redis with zlib, a pickle stored uncompressed, as
// django-redis reads it.
func TestInflateNotZlib(t *testing.T) {
	raw, err := pickle.Marshal(pickle.Bytes("a value stored uncompressed"), pickle.HighestProtocol)
	if err != nil {
		t.Fatal(err)
	}
	truncated := zlibOf(t, raw)
	truncated = truncated[:len(truncated)-3]
	ctx := context.Background()
	for _, data := range [][]byte{raw, truncated, nil} {
		_, err := decodeMemcached(ctx, flagPickle|flagCompressed, data)
		if !errors.Is(err, ErrBadValue) || signing.IsLimit(err) || errors.Is(err, signing.ErrMalformed) {
			t.Errorf("memcached, %x: %v, want ErrBadValue alone", data, err)
		}
	}
	r := &Redis{opts: Options{Compressor: ZlibCompressor}}
	v, err := r.decode(ctx, raw)
	if b, ok := v.(pickle.Bytes); err != nil || !ok || string(b) != "a value stored uncompressed" {
		t.Errorf("redis with zlib, an uncompressed pickle: %#v, %v", v, err)
	}
}

// TestEncodeWritesWhatDecodeReads: the largest value the cache writes (a
// pickle of pickle.DefaultMaxSize bytes, compressed) decodes; one byte more
// is refused when writing, not when reading.
func TestEncodeWritesWhatDecodeReads(t *testing.T) {
	probe, err := pickle.Marshal(pickle.Bytes(make([]byte, 1<<20)), pickle.HighestProtocol)
	if err != nil {
		t.Fatal(err)
	}
	n := pickle.DefaultMaxSize - (len(probe) - 1<<20)
	r := &Redis{opts: Options{Compressor: ZlibCompressor}, proto: pickle.HighestProtocol}
	ctx := context.Background()
	data, err := r.encode(pickle.Bytes(make([]byte, n)))
	if err != nil {
		t.Fatalf("encode at the limit: %v", err)
	}
	if v, err := r.decode(ctx, data); err != nil || len(v.(pickle.Bytes)) != n {
		t.Fatalf("decode at the limit: %v", err)
	}
	if _, err := r.encode(pickle.Bytes(make([]byte, n+1))); !errors.Is(err, pickle.ErrTooLarge) {
		t.Errorf("encode past the limit: %v, want pickle.ErrTooLarge", err)
	}
}
