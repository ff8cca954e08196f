package signing

import (
	"bytes"
	"math"
	"strings"
	"sync"

	"github.com/klauspost/compress/zlib"
)

// DefaultMaxDecompressedSize bounds the output of a compressed payload when
// Options.MaxDecompressedSize is zero. Django has no bound; a session or
// token that inflates past 16 MiB is refused here as ErrTooLarge rather than
// allowed to exhaust memory.
const DefaultMaxDecompressedSize = 16 << 20

// Django compresses with zlib's default level (6). Below smallInput bytes
// the match search of level 6 finds what level 1 finds (the three bench
// payloads: 171 bytes compress to 131 at both levels, as in CPython), and
// the cost is the set-up and the Huffman stage, so small inputs go to
// tinyDeflate (tinydeflate.go) and, when it declines, to the faster level.
const smallInput = 512

var zlibWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.DefaultCompression)
	return w
}}

var zlibFastWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// compressMinLen is the smallest input zlib could possibly shrink by the two
// bytes Django requires: the container alone costs 6 bytes, the deflate data
// at least 1.
const compressMinLen = 9

// zlibCompress appends the zlib stream of data to dst.
func zlibCompress(dst *bytes.Buffer, data []byte) {
	if tinyDeflate(dst, data) {
		return
	}
	pool := &zlibWriters
	if len(data) < smallInput {
		pool = &zlibFastWriters
	}
	w := pool.Get().(*zlib.Writer)
	w.Reset(dst)
	w.Write(data) // a bytes.Buffer never fails
	w.Close()
	pool.Put(w)
}

var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// Decompress is CPython's zlib.decompress(data) with a bound: it inflates a
// zlib stream (RFC 1950: raw deflate and gzip are refused, as CPython
// refuses them), ignoring any bytes after the end of the stream as CPython
// does. At most max bytes are ever produced (max <= 0 means
// DefaultMaxDecompressedSize): a stream inflating further fails with
// ErrTooLarge, which matches ErrLimit, without having allocated more than
// about max bytes. Data that is not a complete zlib stream is ErrMalformed.
// The result is the caller's.
func Decompress(data []byte, max int64) ([]byte, error) {
	out, err := AppendDecompress(nil, data, max)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AppendDecompress is Decompress appending the inflated data to dst, so that
// a caller reusing its buffer allocates nothing once it is large enough;
// max bounds the bytes appended. On error it returns dst unchanged (its
// spare capacity may have been written to).
func AppendDecompress(dst, data []byte, max int64) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	out, err := f.inflateAppend(dst, data, decompressLimit(max))
	inflaters.Put(f)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// decompressLimit is the bound a max of Options.MaxDecompressedSize or of
// Decompress stands for; below MaxInt64 so that max+1 never overflows.
func decompressLimit(max int64) int64 {
	if max <= 0 {
		return DefaultMaxDecompressedSize
	}
	return min(max, math.MaxInt64-1)
}

// scratch holds what one unsign_object needs besides its result: the
// base64-decoded payload, the inflated data, and the inflater with its
// tables. Reused through scratchPool when the serializer copies what it
// keeps (pyjson does), so a load allocates little beyond the value itself.
type scratch struct {
	b64 []byte
	out []byte
	inf *inflater
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledScratch keeps one huge payload from pinning its buffers.
const maxPooledScratch = 256 << 10

func (sc *scratch) release() {
	if cap(sc.b64) > maxPooledScratch || cap(sc.out) > maxPooledScratch {
		return
	}
	scratchPool.Put(sc)
}

// decode is decodePayload into the scratch buffers.
func (sc *scratch) decode(payload string, max int64) ([]byte, error) {
	rest, compressed := strings.CutPrefix(payload, ".")
	b, err := b64DecodeAppend(sc.b64[:0], rest)
	if err != nil {
		return nil, err
	}
	sc.b64 = b
	if !compressed {
		return b, nil
	}
	return sc.inflate(b, max)
}

// inflate is Decompress into sc.out, with max already resolved.
func (sc *scratch) inflate(data []byte, max int64) ([]byte, error) {
	if sc.inf == nil {
		sc.inf = new(inflater)
	}
	out, err := sc.inf.inflateAppend(sc.out[:0], data, max)
	sc.out = out
	if err != nil {
		return nil, err
	}
	return out, nil
}
