package pyjson

import (
	"math"
	"sync/atomic"
	"unsafe"
)

// Decoded values, a chunk at a time.
//
// Reading every value of an 8 KB session used to cost a thousand
// allocations, nearly all of them one per scalar: a Go string in an
// interface is a pointer to a string header, an int64 or a float64 a
// pointer to its 8 bytes, a list a pointer to its slice header, and each of
// them was allocated alone (besides the string's bytes). A slab hands out
// those headers and words, the lists' items, the dicts' entries and the
// Dicts themselves from chunks that grow geometrically, so a decode
// allocates a few chunks per kind however many values it makes, and the
// strings' bytes are the decoder's input itself (the Dict's own copy of the
// text, which nothing writes to), sliced rather than copied.
//
// What is handed out is never written again by the slab: a list's items and
// a dict's entries are sliced with their capacity cut to their length, so
// an append by the caller copies them elsewhere instead of running into a
// neighbour. The price is retention: a value kept alive keeps its chunks
// (and the text its strings are sliced from) alive, as a substring keeps
// its whole string.
type slab struct {
	// busy is held by the one decoder filling the slab. The values of one
	// lazy Dict share its slab; a reader that finds it busy (another
	// goroutine decoding another value of the same Dict) takes a slab of
	// its own rather than wait.
	busy atomic.Bool

	strs  []string // the headers of boxed strings
	words []uint64 // the 8 bytes of boxed int64 and float64 values
	lists [][]any  // the headers of boxed lists
	items []any    // the lists' items
	pairs []entry  // the dicts' entries
	dicts []Dict   // the dicts
	bytes []byte   // the text of strings that had escapes

	grow [numKinds]uint16 // the next chunk's size, per kind
	// left is, per kind, how much the values not decoded yet need at most
	// (the validator counted it); all is set once a caller reads every
	// value (Range), and a chunk then takes all that is left at once.
	left [numKinds]uint32
	all  bool
}

// The kinds of chunk, for slab.grow.
const (
	kStrs = iota
	kWords
	kLists
	kItems
	kPairs
	kDicts
	kBytes
	numKinds
)

const (
	firstChunk = 8   // elements (bytes: 8 times this) in the first chunk of a kind
	maxChunk   = 256 // chunks stop doubling here (bytes: 8 times this)
)

// chunk returns the size of the next chunk of kind k, at least need. When
// every value is being read, it is all that the values left need; else it
// doubles from one chunk to the next, up to maxChunk, and never exceeds
// what is left (when that is known and at least need).
func (s *slab) chunk(k, need int) int {
	left := int(s.left[k])
	n := left
	if !s.all || left < need {
		n = int(s.grow[k])
		if n == 0 {
			n = firstChunk
		}
		if n < maxChunk {
			s.grow[k] = uint16(2 * n)
		}
		if k == kBytes {
			n *= 8
		}
		if left >= need {
			n = min(n, left)
		}
	}
	n = max(n, need)
	s.left[k] = uint32(max(left-n, 0))
	return n
}

// eface is the layout of an interface value with no methods (Go's
// runtime.eface): a type word and a pointer to the value. Building one
// lets a boxed value live in a slab's chunk instead of an allocation of its
// own; Go offers no other way to point an interface at existing memory.
// The value pointed to must never change afterwards (the slab never writes
// to what it handed out).
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// The type words of the boxed kinds. They are the runtime's type
// descriptors, fixed for the life of the program.
var (
	stringType  = typeWord("")
	int64Type   = typeWord(int64(0))
	float64Type = typeWord(float64(0))
	listType    = typeWord([]any(nil))
)

func box(typ, data unsafe.Pointer) any {
	return *(*any)(unsafe.Pointer(&eface{typ, data}))
}

// str boxes v.
func (s *slab) str(v string) any {
	if v == "" {
		return "" // the runtime's own empty string: no allocation
	}
	if len(s.strs) == cap(s.strs) {
		s.strs = make([]string, 0, s.chunk(kStrs, 1))
	}
	s.strs = append(s.strs, v)
	return box(stringType, unsafe.Pointer(&s.strs[len(s.strs)-1]))
}

// word places the 8 bytes of an int64 or float64 and boxes them as typ.
func (s *slab) word(typ unsafe.Pointer, w uint64) any {
	if len(s.words) == cap(s.words) {
		s.words = make([]uint64, 0, s.chunk(kWords, 1))
	}
	s.words = append(s.words, w)
	return box(typ, unsafe.Pointer(&s.words[len(s.words)-1]))
}

func (s *slab) int64(n int64) any {
	if 0 <= n && n < 256 {
		return n // the runtime boxes these without allocating
	}
	return s.word(int64Type, uint64(n))
}

func (s *slab) float64(f float64) any {
	return s.word(float64Type, math.Float64bits(f))
}

// list copies items into a new list and boxes it.
func (s *slab) list(items []any) any {
	n := len(items)
	var l []any
	if n == 0 {
		l = []any{}
	} else {
		l = s.reserveItems(n)
		copy(l, items)
	}
	return s.boxList(l)
}

// reserveItems hands out n items (n > 0) for a list's caller to fill.
func (s *slab) reserveItems(n int) []any { return reserve(s, &s.items, kItems, n) }

// boxList boxes the list l.
func (s *slab) boxList(l []any) any {
	if len(s.lists) == cap(s.lists) {
		s.lists = make([][]any, 0, s.chunk(kLists, 1))
	}
	s.lists = append(s.lists, l)
	return box(listType, unsafe.Pointer(&s.lists[len(s.lists)-1]))
}

// dict copies pairs into a new Dict.
func (s *slab) dict(pairs []entry, index map[string]int) *Dict {
	var entries []entry
	if n := len(pairs); n > 0 {
		entries = s.reservePairs(n)
		copy(entries, pairs)
	}
	return s.newDict(entries, index)
}

// reservePairs hands out n entries (n > 0) for a dict's caller to fill.
func (s *slab) reservePairs(n int) []entry { return reserve(s, &s.pairs, kPairs, n) }

// reserve hands out n elements (n > 0) of the chunk of kind k, taking a
// new chunk when this one has no room; the slice's capacity ends with it,
// so an append by its user never runs into a neighbour.
func reserve[T any](s *slab, chunk *[]T, k, n int) []T {
	if cap(*chunk)-len(*chunk) < n {
		*chunk = make([]T, 0, s.chunk(k, n))
	}
	start := len(*chunk)
	*chunk = (*chunk)[:start+n]
	return (*chunk)[start : start+n : start+n]
}

// newDict makes a Dict of entries, which the slab handed out.
func (s *slab) newDict(entries []entry, index map[string]int) *Dict {
	if len(s.dicts) == cap(s.dicts) {
		s.dicts = make([]Dict, 0, s.chunk(kDicts, 1))
	}
	s.dicts = append(s.dicts, Dict{entries: entries, index: index})
	return &s.dicts[len(s.dicts)-1]
}

// cell places v where a pointer can publish it (rawValue.v).
func (s *slab) cell(v any) *any {
	if len(s.items) == cap(s.items) {
		s.items = make([]any, 0, s.chunk(kItems, 1))
	}
	s.items = append(s.items, v)
	return &s.items[len(s.items)-1]
}

// text copies b (an unescaped string) into the slab and returns it as a
// string.
func (s *slab) text(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if cap(s.bytes)-len(s.bytes) < n {
		s.bytes = make([]byte, 0, s.chunk(kBytes, n))
	}
	start := len(s.bytes)
	s.bytes = append(s.bytes, b...)
	return unsafe.String(&s.bytes[start], n)
}
