package pickle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math"
	"math/big"
	"slices"
	"unsafe"
)

// A keyDigest is equal for two values exactly when Python would treat them
// as the same dict key or set element (see Map for the rules). It is the
// canonical encoding of the value itself when that fits (byte 0 is its
// length, 1 to 31), else 0xff and the first 31 bytes of the SHA-256 of that
// encoding. A container's encoding holds its elements' digests, not their
// encodings, so a digest is computed bottom-up from fixed-size parts: a
// value shared by many containers costs its size once, not once per place
// it appears. A collision of 248 bits of SHA-256 is what it would take for
// two different keys to merge, which no input can arrange.
type keyDigest [32]byte

const (
	inlineMax  = len(keyDigest{}) - 1
	hashedMark = 0xff
	// ctxEvery is how many values are hashed, or opcodes run, between two
	// looks at the context: often enough to stop within microseconds, rarely
	// enough to cost nothing measurable.
	ctxEvery = 1024
)

// A hasher computes keyDigests. It remembers the digest of every container,
// big int and long str or bytes it has hashed, by identity (the same
// backing array or *big.Int, which is what memo references decode to), so
// each object is hashed once however often it is referenced. The zero value
// is ready to use; a hasher is for one decode or one Map call, while the
// values it has seen do not change.
type hasher struct {
	ctx    context.Context // nil: never stop
	err    error           // why hashing stopped, set when ctx is done
	seen   map[objectID]hashed
	visits int // digests asked for, cached or not
}

// objectID is an object's address, length and type tag: two values with
// the same objectID have the same content.
type objectID struct {
	tag byte
	p   unsafe.Pointer
	n   int
}

type hashed struct {
	key keyDigest
	// height is how many tuple levels lie below the value; it keeps the
	// depth bound of a cached digest the same as when it is recomputed.
	height int
}

// key returns the digest of a dict key or set element. nan reports a float
// NaN, which is never equal to anything, not even itself; ok is false for
// an unhashable value, or when h.ctx is done (then h.err is set).
func (h *hasher) key(v any) (k keyDigest, nan, ok bool) {
	if f, isFloat := v.(float64); isFloat && math.IsNaN(f) {
		return k, true, true
	}
	k, _, ok = h.digest(v, 0)
	return k, false, ok
}

// digest returns the digest of v and the levels of tuples below it. depth
// counts enclosing tuples; a frozenset's elements start again at 0, as
// each is a key of its own. A NaN below the top level has no stable
// digest and is refused.
func (h *hasher) digest(v any, depth int) (keyDigest, int, bool) {
	if depth > defaultMaxDepth {
		return keyDigest{}, 0, false
	}
	h.visits++
	if h.ctx != nil && h.visits%ctxEvery == 0 {
		if err := h.ctx.Err(); err != nil {
			h.err = err
			return keyDigest{}, 0, false
		}
	}
	switch x := v.(type) {
	case nil:
		return leafDigest('N', nil), 0, true
	case bool:
		if x {
			return intDigest(1, false), 0, true
		}
		return intDigest(0, false), 0, true
	case int64:
		if x < 0 {
			return intDigest(uint64(-x), true), 0, true
		}
		return intDigest(uint64(x), false), 0, true
	case *big.Int:
		if x == nil {
			return keyDigest{}, 0, false
		}
		return h.cached(objectID{'i', unsafe.Pointer(x), 0}, depth, func() (keyDigest, int, bool) {
			return bigDigest(x), 0, true
		})
	case float64:
		switch {
		case math.IsNaN(x):
			return keyDigest{}, 0, false
		case math.IsInf(x, 0) || x != math.Trunc(x):
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], math.Float64bits(x))
			return leafDigest('f', b[:]), 0, true
		case math.Abs(x) < 1<<63:
			return h.digest(int64(x), depth)
		}
		bi, _ := big.NewFloat(x).Int(nil)
		return bigDigest(bi), 0, true
	case string:
		return h.text('s', unsafe.StringData(x), len(x), depth)
	case Bytes:
		return h.text('b', unsafe.SliceData(x), len(x), depth)
	case Decimal:
		return h.text('d', unsafe.StringData(string(x)), len(x), depth)
	case Tuple:
		return h.cached(objectID{'t', unsafe.Pointer(unsafe.SliceData(x)), len(x)}, depth, func() (keyDigest, int, bool) {
			s := newSum('t', len(x))
			height := 0
			for _, e := range x {
				k, eh, ok := h.digest(e, depth+1)
				if !ok {
					return keyDigest{}, 0, false
				}
				height = max(height, eh+1)
				s.Write(k[:])
			}
			return s.digest(), height, true
		})
	case FrozenSet:
		return h.cached(objectID{'z', unsafe.Pointer(unsafe.SliceData(x)), len(x)}, depth, func() (keyDigest, int, bool) {
			// Order does not matter and duplicates count once: sort the
			// elements' digests and drop repeats.
			keys := make([]keyDigest, 0, len(x))
			for _, e := range x {
				k, _, ok := h.digest(e, 0)
				if !ok {
					return keyDigest{}, 0, false
				}
				keys = append(keys, k)
			}
			slices.SortFunc(keys, func(a, b keyDigest) int { return bytes.Compare(a[:], b[:]) })
			keys = slices.Compact(keys)
			s := newSum('z', len(keys))
			for _, k := range keys {
				s.Write(k[:])
			}
			return s.digest(), 0, true
		})
	case Datetime, Date, Time, Timedelta, UUID, Timezone, PytzUTC, PytzZone, ZoneInfo:
		return leafDigest('D', []byte(fmt.Sprintf("%#v", x))), 0, true
	}
	return keyDigest{}, 0, false
}

// cached returns the digest of the object id, computing it with f the first
// time. A failure is not cached: it ends the caller's decode or call.
func (h *hasher) cached(id objectID, depth int, f func() (keyDigest, int, bool)) (keyDigest, int, bool) {
	if id.n == 0 && id.tag != 'i' {
		return f() // empty: nothing to save, and every empty slice may share an address
	}
	if c, ok := h.seen[id]; ok {
		if depth+c.height > defaultMaxDepth {
			return keyDigest{}, 0, false
		}
		return c.key, c.height, true
	}
	k, height, ok := f()
	if !ok {
		return k, 0, false
	}
	if h.seen == nil {
		h.seen = map[objectID]hashed{}
	}
	h.seen[id] = hashed{k, height}
	return k, height, true
}

// text is the digest of a str, bytes or Decimal of n bytes at p.
func (h *hasher) text(tag byte, p *byte, n, depth int) (keyDigest, int, bool) {
	b := unsafe.Slice(p, n)
	if n < inlineMax {
		return leafDigest(tag, b), 0, true
	}
	return h.cached(objectID{tag, unsafe.Pointer(p), n}, depth, func() (keyDigest, int, bool) {
		return leafDigest(tag, b), 0, true
	})
}

// intDigest is the digest of an integer given by sign and magnitude, the
// same for an int64, a *big.Int, an integral float and a bool of equal
// value: 'i', the sign, the minimal big-endian magnitude.
func intDigest(mag uint64, neg bool) keyDigest {
	var b [9]byte
	binary.BigEndian.PutUint64(b[1:], mag)
	i := 1
	for i < 9 && b[i] == 0 {
		i++
	}
	if neg && mag != 0 {
		i--
		b[i] = '-'
	} else {
		i--
		b[i] = '+'
	}
	return leafDigest('i', b[i:])
}

// bigDigest is intDigest for an integer of any size.
func bigDigest(x *big.Int) keyDigest {
	if x.IsInt64() {
		n := x.Int64()
		if n < 0 {
			return intDigest(uint64(-n), true)
		}
		return intDigest(uint64(n), false)
	}
	sign := byte('+')
	if x.Sign() < 0 {
		sign = '-'
	}
	return leafDigest('i', append([]byte{sign}, x.Bytes()...))
}

// leafDigest is the digest of the encoding tag+b.
func leafDigest(tag byte, b []byte) keyDigest {
	var k keyDigest
	if 1+len(b) <= inlineMax {
		k[0] = byte(1 + len(b))
		k[1] = tag
		copy(k[2:], b)
		return k
	}
	s := newSum(tag, -1)
	s.Write(b)
	return s.digest()
}

// sum hashes an encoding too long to inline.
type sum struct{ hash.Hash }

// newSum starts the encoding of tag, followed by n (a container's length)
// unless n < 0.
func newSum(tag byte, n int) sum {
	s := sum{sha256.New()}
	s.Write([]byte{tag})
	if n >= 0 {
		s.Write(binary.AppendUvarint(nil, uint64(n)))
	}
	return s
}

func (s sum) digest() keyDigest {
	var k keyDigest
	var full [sha256.Size]byte
	k[0] = hashedMark
	copy(k[1:], s.Sum(full[:0]))
	return k
}
