package signing

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
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

type zlibReader interface {
	io.ReadCloser
	zlib.Resetter
}

var zlibReaders sync.Pool

// Decompress is CPython's zlib.decompress(data) with a bound: it inflates a
// zlib stream (RFC 1950: raw deflate and gzip are refused, as CPython
// refuses them), ignoring any bytes after the end of the stream as CPython
// does. At most max bytes are ever produced (max <= 0 means
// DefaultMaxDecompressedSize): a stream inflating further fails with
// ErrTooLarge, which matches ErrLimit, without having allocated more than
// about max bytes. Data that is not a complete zlib stream is ErrMalformed.
// The result is the caller's.
func Decompress(data []byte, max int64) ([]byte, error) {
	var sc scratch
	out, err := sc.inflate(data, decompressLimit(max))
	if sc.zr != nil {
		zlibReaders.Put(sc.zr)
	}
	return out, err
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
// base64-decoded payload, the inflated data, and a zlib reader with its
// source. Reused through scratchPool when the serializer copies what it
// keeps (pyjson does), so a load allocates little beyond the value itself.
type scratch struct {
	b64 []byte
	out []byte
	src bytes.Reader
	zr  zlibReader
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledScratch keeps one huge payload from pinning its buffers.
const maxPooledScratch = 256 << 10

func (sc *scratch) release() {
	if cap(sc.b64) > maxPooledScratch || cap(sc.out) > maxPooledScratch {
		if sc.zr != nil {
			zlibReaders.Put(sc.zr)
		}
		return
	}
	sc.src.Reset(nil)
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
	sc.src.Reset(data)
	if sc.zr == nil {
		if r, ok := zlibReaders.Get().(zlibReader); ok {
			sc.zr = r
		}
	}
	if sc.zr != nil {
		if err := sc.zr.Reset(&sc.src, nil); err != nil {
			return nil, wrapErr(ErrMalformed, "zlib", err)
		}
	} else {
		r, err := zlib.NewReader(&sc.src)
		if err != nil {
			return nil, wrapErr(ErrMalformed, "zlib", err)
		}
		sc.zr = r.(zlibReader)
	}
	guess := int64(len(data)) * 4
	if guess < 512 {
		guess = 512
	}
	if guess > max+1 {
		guess = max + 1
	}
	out := sc.out[:0]
	if int64(cap(out)) < guess {
		out = make([]byte, 0, guess)
	}
	for {
		if len(out) == cap(out) {
			if int64(len(out)) > max {
				return nil, errorf(ErrTooLarge, "inflates past "+strconv.FormatInt(max, 10)+" bytes")
			}
			next := int64(cap(out)) * 2
			if next > max+1 {
				next = max + 1
			}
			grown := make([]byte, len(out), next)
			copy(grown, out)
			out = grown
		}
		n, err := sc.zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		sc.out = out
		if int64(len(out)) > max {
			return nil, errorf(ErrTooLarge, "inflates past "+strconv.FormatInt(max, 10)+" bytes")
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, errorf(ErrMalformed, "zlib: incomplete or truncated stream")
			}
			return nil, wrapErr(ErrMalformed, "zlib", err)
		}
	}
}
