package pickle

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"runtime"
	"strings"
	"testing"
)

// The three shapes of issue 9 that made hashing set elements and dict keys
// cost far more than the input: each is a few KiB to a few hundred KiB of
// pickle, and each once took seconds and gigabytes to decode.

// nestedFrozenSets is frozenset({frozenset({... frozenset() ...})}) with
// levels levels, every level memoized: 3 bytes a level.
func nestedFrozenSets(levels int) []byte {
	b := []byte{opProto, 4}
	b = append(b, bytes.Repeat([]byte{opMark}, levels)...)
	b = append(b, bytes.Repeat([]byte{opFrozenSet, opMemoize}, levels)...)
	return append(b, opStop)
}

// setOfSharedTuples is {((S,)*100,)*100} with S a str of n bytes: 10,000
// references to S, two memo entries.
func setOfSharedTuples(n int) []byte {
	b := []byte{opProto, 4, opEmptySet, opMark, opMark, opMark, opBinUnicode}
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = append(b, strings.Repeat("s", n)...)
	b = append(b, opMemoize)
	b = append(b, bytes.Repeat([]byte{opBinGet, 0}, 99)...)
	b = append(b, opTuple, opMemoize)
	b = append(b, bytes.Repeat([]byte{opBinGet, 1}, 99)...)
	return append(b, opTuple, opAddItems, opStop)
}

// frozenSetOfSharedLong is a frozenset of refs references to one LONG4 of
// n bytes.
func frozenSetOfSharedLong(n, refs int) []byte {
	b := []byte{opProto, 4, opMark, opLong4}
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = append(b, bytes.Repeat([]byte{0x5a}, n)...)
	b = append(b, opMemoize)
	b = append(b, bytes.Repeat([]byte{opBinGet, 0}, refs-1)...)
	return append(b, opFrozenSet, opStop)
}

var hashShapes = []struct {
	name string
	data []byte
}{
	{"NestedFrozenSets", nestedFrozenSets(990)},
	{"SetOfSharedTuples", setOfSharedTuples(64 << 10)},
	{"FrozenSetOfSharedLong", frozenSetOfSharedLong(256<<10, 101)},
}

func BenchmarkUnmarshalHashShapes(b *testing.B) {
	for _, s := range hashShapes {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s.data)))
			for b.Loop() {
				if _, err := Unmarshal(s.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// allocatedBytes returns the bytes allocated by f (all goroutines, so the
// test must not run in parallel with others).
func allocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHashShapesLinear: each shape decodes with allocations bounded by a
// small multiple of its input, and hashes each object once: the hasher is
// asked for no more digests than the input has bytes (before, the three
// allocated 1.7 GB, 3.9 GB and 474 MB).
func TestHashShapesLinear(t *testing.T) {
	for _, s := range hashShapes {
		t.Run(s.name, func(t *testing.T) {
			var visits int
			var err error
			got := allocatedBytes(func() {
				d := &decoder{data: s.data, opts: Options{}.withDefaults()}
				_, err = d.run()
				visits = d.hash.visits
			})
			if err != nil {
				t.Fatal(err)
			}
			if limit := 16*uint64(len(s.data)) + 2<<20; got > limit {
				t.Errorf("decoding %d bytes allocated %d bytes, want at most %d", len(s.data), got, limit)
			}
			if visits > len(s.data) {
				t.Errorf("%d digests for %d bytes of input", visits, len(s.data))
			}
		})
	}
	// Twice the nesting costs about twice as much, not four or eight times.
	small := allocatedBytes(func() { Unmarshal(nestedFrozenSets(400)) })
	large := allocatedBytes(func() { Unmarshal(nestedFrozenSets(800)) })
	if large > 3*small {
		t.Errorf("nesting 400 levels allocated %d bytes, 800 levels %d", small, large)
	}
}

// TestHashKeys: the digests keep Python's equality of dict keys and set
// elements, including for the values the cache reuses (a shared long str,
// a big int, a tuple reached twice) and at the int64 and float edges.
func TestHashKeys(t *testing.T) {
	long := strings.Repeat("x", 100)
	two64, _ := new(big.Int).SetString("18446744073709551616", 10)
	tup := Tuple{long, int64(1)}
	same := [][2]any{
		{int64(1), true},
		{int64(1), 1.0},
		{int64(0), math.Copysign(0, -1)},
		{int64(math.MinInt64), -9223372036854775808.0},
		{two64, 18446744073709551616.0},
		{new(big.Int).Set(two64), two64},
		{big.NewInt(5), int64(5)},
		{long, strings.Repeat("x", 100)},
		{tup, Tuple{strings.Repeat("x", 100), 1.0}},
		{Tuple{tup, tup}, Tuple{Tuple{long, true}, tup}},
		{FrozenSet{int64(1), "a"}, FrozenSet{"a", 1.0, true}},
		{FrozenSet{tup}, FrozenSet{Tuple{long, int64(1)}, tup}},
		{Tuple{}, Tuple{}},
		{FrozenSet{}, FrozenSet{}},
	}
	differ := [][2]any{
		{int64(1), 1.5},
		{"1", int64(1)},
		{"a", Bytes("a")},
		{long, Bytes(long)},
		{Decimal("1"), int64(1)},
		{two64, new(big.Int).Neg(two64)},
		{int64(-1), int64(1)},
		{math.Inf(1), math.Inf(-1)},
		{Tuple{int64(1), int64(2)}, Tuple{int64(2), int64(1)}},
		{Tuple{int64(1)}, FrozenSet{int64(1)}},
		{Tuple{}, FrozenSet{}},
		{Tuple{Tuple{}}, Tuple{}},
		{nil, int64(0)},
		{long, long + "y"},
	}
	var h hasher
	for _, c := range same {
		a, _, ok1 := h.key(c[0])
		b, _, ok2 := h.key(c[1])
		if !ok1 || !ok2 || a != b {
			t.Errorf("%#v and %#v: keys differ", c[0], c[1])
		}
	}
	for _, c := range differ {
		a, _, ok1 := h.key(c[0])
		b, _, ok2 := h.key(c[1])
		if !ok1 || !ok2 || a == b {
			t.Errorf("%#v and %#v: same key (%v %v)", c[0], c[1], ok1, ok2)
		}
	}
	for _, v := range []any{[]any{}, Set{}, NewMap(), ByteArray("x"), Tuple{math.NaN()}, FrozenSet{math.NaN()}, Tuple{[]any{}}} {
		if _, _, ok := h.key(v); ok {
			t.Errorf("%#v is hashable", v)
		}
	}
	if _, nan, ok := h.key(math.NaN()); !ok || !nan {
		t.Error("NaN is not a key of its own")
	}
	// The depth bound does not depend on whether a digest was cached.
	deep := any(int64(1))
	for range defaultMaxDepth {
		deep = Tuple{deep}
	}
	if _, _, ok := h.key(deep); !ok {
		t.Fatal("tuples nested MaxDepth deep are unhashable")
	}
	if _, _, ok := h.key(Tuple{deep}); ok {
		t.Error("one more level, through the cache, is hashable")
	}
	if _, _, ok := new(hasher).key(Tuple{deep}); ok {
		t.Error("one more level is hashable")
	}
}

// TestUnmarshalContext: a done context stops the decode, in the opcode loop
// and inside the hashing of one large set, with an error that matches the
// context's and no value.
func TestUnmarshalContext(t *testing.T) {
	data := setOfInts(100000)
	if _, err := Unmarshal(data); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := UnmarshalContext(ctx, data, Options{})
	if v != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v, %v", v, err)
	}
	// Done after the decode started: it stops within ctxEvery steps.
	d := &decoder{data: data, opts: Options{}.withDefaults(), ctx: &doneAfter{Context: context.Background(), n: 3}}
	d.hash.ctx = d.ctx
	if v, err := d.run(); v != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v, %v", v, err)
	}
	if d.steps > 4*ctxEvery {
		t.Errorf("ran %d steps after the deadline", d.steps)
	}
	// The hasher alone: a frozenset of 100,000 ints stops as soon as it
	// looks.
	fs := make(FrozenSet, 100000)
	for i := range fs {
		fs[i] = int64(i)
	}
	h := hasher{ctx: ctx}
	if _, _, ok := h.key(fs); ok || !errors.Is(h.err, context.Canceled) || h.visits > ctxEvery {
		t.Errorf("hasher with a canceled context: ok %v, err %v, %d visits", ok, h.err, h.visits)
	}
}

// setOfInts is {0, 1, ..., n-1}, one BININT and one ADDITEMS.
func setOfInts(n int) []byte {
	b := []byte{opProto, 4, opEmptySet, opMark}
	for i := range n {
		b = append(b, opBinInt)
		b = binary.LittleEndian.AppendUint32(b, uint32(i))
	}
	return append(b, opAddItems, opStop)
}

// doneAfter is a context whose deadline passes at its n-th look.
type doneAfter struct {
	context.Context
	n int
}

func (c *doneAfter) Err() error {
	if c.n--; c.n <= 0 {
		return context.DeadlineExceeded
	}
	return nil
}
