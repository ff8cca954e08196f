package pyjson

import (
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"unsafe"
)

// Lazy values.
//
// A session is decoded on every request but most requests read two or three
// of its keys, so Unmarshal decodes a top-level dict's keys at once and each
// value only when it is first read. The whole input is still checked before
// Unmarshal returns, by a validator that accepts a subset of what the decoder
// accepts (anything it is unsure of goes to the decoder, which then decides
// and reports), so a value read later always decodes, and an invalid input
// is refused with the same error as before.
//
// The validator also notes whether a value's text is exactly what Marshal
// would write for it (as every value Django wrote is), so saving a session
// copies the values nobody read instead of decoding and encoding them again.

// A rawValue is a top-level value not decoded yet: its JSON text and, once
// read, its decoded value. Reads may race (a Dict is safe for concurrent
// reads), so the value is published atomically; two racing readers may both
// decode, and both then return the one that was stored first.
type rawValue struct {
	src []byte // the value's text, in the Dict's own copy of the input
	// shared is what the values of one Dict share: the slab they are
	// decoded into (slab.go).
	shared *lazyShared
	// canon reports that src is exactly what Marshal writes for the value,
	// and depth how deeply it nests (for Marshal's depth limit).
	// plan is where the sizes of src's lists and dicts start in
	// shared.sizes.
	plan  int32
	depth int16 // at most MaxDepth
	canon bool
	v     atomic.Pointer[any]
}

// A lazyShared is made with a lazy Dict, for its values: the slab they are
// decoded into, made at the first decode, and how much of each kind of
// chunk the whole text needs, counted by the validator, so that a read of
// every value allocates each kind once.
//
// sizes holds, in the order the decoder meets them, how many items each
// list and how many entries each dict of the values has (a dict's at most:
// a repeated key folds), so that the decoder writes them straight into
// the slab instead of collecting them first.
type lazyShared struct {
	slab  atomic.Pointer[slab]
	need  [numKinds]uint32
	sizes []uint32
}

// getSlab returns the shared slab, making it if there is none yet.
func (ls *lazyShared) getSlab() *slab {
	if s := ls.slab.Load(); s != nil {
		return s
	}
	s := &slab{left: ls.need}
	if ls.slab.CompareAndSwap(nil, s) {
		return s
	}
	return ls.slab.Load()
}

// value returns the decoded value, decoding it on first use.
func (r *rawValue) value() any { return r.load(false) }

// load is value; all tells that the caller reads every value (see
// lazyShared.decoder).
func (r *rawValue) load(all bool) any {
	if p := r.v.Load(); p != nil {
		return *p
	}
	d := r.shared.decoder(all)
	defer d.done()
	return r.decodeWith(d)
}

// decoder returns a decoder for values of the Dict, with the Dict's slab if
// no other goroutine is filling it, else a slab of its own. all tells that
// the caller reads every value (Range), so that the slab takes at once all
// the Dict needs. The caller calls done.
func (ls *lazyShared) decoder(all bool) *decoder {
	d := decoderPool.Get().(*decoder)
	var s *slab
	if ls != nil {
		s = ls.getSlab()
	}
	if s != nil && s.busy.CompareAndSwap(false, true) {
		s.all = s.all || all
		d.sharedSlab = true
	} else {
		s = new(slab)
	}
	d.slab = s
	return d
}

// done gives back what decoder took.
func (d *decoder) done() {
	if d.sharedSlab {
		d.slab.busy.Store(false)
		d.sharedSlab = false
	}
	d.release(false)
}

// decodeWith decodes r with d (from lazyShared.decoder) unless it is
// decoded already, and returns the value.
func (r *rawValue) decodeWith(d *decoder) any {
	if p := r.v.Load(); p != nil {
		return *p
	}
	d.data, d.pos = r.src, 0
	d.plan, d.planAt = r.shared.sizes, int(r.plan)
	v, err := d.value(1)
	d.plan = nil
	if err != nil {
		// The validator accepted src, and it accepts less than the decoder.
		panic(fmt.Sprintf("pyjson: internal error: a validated value does not decode: %v", err))
	}
	r.v.CompareAndSwap(nil, d.slab.cell(v))
	return *r.v.Load()
}

// decoded returns the value if it has been decoded.
func (r *rawValue) decoded() (any, bool) {
	if p := r.v.Load(); p != nil {
		return *p, true
	}
	return nil, false
}

// value returns the entry's value, decoding a lazy one.
func (e *entry) value() any {
	if r, ok := e.val.(*rawValue); ok {
		return r.value()
	}
	return e.val
}

// valueAll is value for a caller that reads every entry (see
// lazyShared.decoder).
func (e *entry) valueAll() any {
	if r, ok := e.val.(*rawValue); ok {
		return r.load(true)
	}
	return e.val
}

// A lazySpan is a pending top-level entry: its value is data[start:end],
// its key data[keyStart:keyEnd] when the key has no escapes, else the
// decoded string on d.pairs (keyStart < 0).
type lazySpan struct {
	keyStart, keyEnd int
	start, end       int
	canon            bool
	depth            int32
	plan             int32 // the value's first size in d.sizes
}

// lazyDict reads the top-level dict at d.pos as object does, leaving the
// values undecoded. ok is false when the validator does not accept the input
// or a key repeats (rare, and left to the decoder's rules); the caller then
// decodes it eagerly, which gives the value or the error.
//
// The dict's text is copied once; the values' text and the plain keys are
// slices of that copy, which nothing ever writes to.
func (d *decoder) lazyDict() (dict *Dict, ok bool) {
	data := d.data
	open := d.pos
	if open >= len(data) || data[open] != '{' {
		return nil, false
	}
	i := skipSpace(data, open+1)
	if i < len(data) && data[i] == '}' {
		d.pos = i + 1
		return &Dict{}, true
	}
	d.counts = [numKinds]uint32{}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, false
		}
		span := lazySpan{keyStart: i + 1}
		j := i + 1
		for j < len(data) && strClass[data[j]] == clsPlain {
			j++
		}
		var key string
		if j < len(data) && data[j] == '"' {
			span.keyEnd, d.pos = j, j+1
		} else {
			b, err := d.strSlow(i+1, j)
			if err != nil {
				return nil, false
			}
			key, span.keyStart = string(b), -1
		}
		i = skipSpace(data, d.pos)
		if i >= len(data) || data[i] != ':' {
			return nil, false
		}
		span.start = skipSpace(data, i+1)
		span.plan = int32(len(d.sizes))
		d.pos, d.depth = span.start, 1
		canon, ok := d.skip(1)
		if !ok {
			return nil, false
		}
		span.end, span.canon, span.depth = d.pos, canon, d.depth-1
		d.pairs = append(d.pairs, entry{key: key})
		d.spans = append(d.spans, span)

		i = skipSpace(data, d.pos)
		if i < len(data) && data[i] == '}' {
			break
		}
		if i >= len(data) || data[i] != ',' {
			return nil, false
		}
		i = skipSpace(data, i+1)
	}
	d.pos = i + 1

	// One copy of the text, one slice of rawValues, one entry slice, and
	// the Dict with the slab its values will share.
	// The sizes share the text's allocation, ahead of it (where they are
	// aligned).
	nText, nSizes := d.pos-open, len(d.sizes)
	words := make([]uint32, nSizes+(nText+3)/4)
	text := unsafe.Slice((*byte)(unsafe.Pointer(&words[nSizes])), nText)
	copy(text, data[open:d.pos])
	raws := make([]rawValue, len(d.spans))
	ds := &struct {
		dict   Dict
		shared lazyShared
	}{dict: Dict{entries: make([]entry, len(d.spans))}}
	dict = &ds.dict
	ds.shared.need = d.counts
	ds.shared.sizes = words[:nSizes:nSizes]
	copy(ds.shared.sizes, d.sizes)
	ds.shared.need[kItems] += uint32(len(d.spans)) // the cells that publish the values
	for j, s := range d.spans {
		key := d.pairs[j].key
		if s.keyStart >= 0 && s.keyEnd > s.keyStart {
			key = unsafe.String(&text[s.keyStart-open], s.keyEnd-s.keyStart)
		}
		// Field by field: raws is fresh (zero), and a whole-struct store
		// would be a typed copy with a bulk write barrier.
		r := &raws[j]
		r.src = text[s.start-open : s.end-open : s.end-open]
		r.shared, r.canon, r.depth, r.plan = &ds.shared, s.canon, int16(s.depth), s.plan
		dict.entries[j] = entry{key, r}
	}
	// A repeated key (rare) is left to the decoder's rules. The Dict gets
	// no index: reads scan its keys until a write builds one, and most
	// requests read a few keys of a session, if any.
	if !d.distinctStrings(dict.entries) {
		return nil, false
	}
	return dict, true
}

// distinctStrings reports whether the entries' keys are all different; a
// hash collision answers no, which only costs the eager decode.
func (d *decoder) distinctStrings(entries []entry) bool {
	if len(entries) <= indexThreshold {
		for a := 1; a < len(entries); a++ {
			for b := range a {
				if entries[a].key == entries[b].key {
					return false
				}
			}
		}
		return true
	}
	if len(entries) <= 64 {
		// A session's top level holds a few dozen keys: an open-addressed
		// table on the stack, hashed with FNV-1a, is cheaper than a map.
		var slots [128]uint8 // an entry's position + 1; 0 is free
		for a := range entries {
			k := entries[a].key
			h := uint32(2166136261)
			for i := 0; i < len(k); i++ {
				h = (h ^ uint32(k[i])) * 16777619
			}
			for s := h & 127; ; s = (s + 1) & 127 {
				b := slots[s]
				if b == 0 {
					slots[s] = uint8(a + 1)
					break
				}
				if entries[b-1].key == k {
					return false
				}
			}
		}
		return true
	}
	d.initKeySet()
	defer clear(d.keySet)
	for _, e := range entries {
		h := maphash.String(d.seed, e.key)
		if _, seen := d.keySet[h]; seen {
			return false
		}
		d.keySet[h] = struct{}{}
	}
	return true
}

func (d *decoder) initKeySet() {
	if d.keySet == nil {
		d.keySet = make(map[uint64]struct{}, 64)
		d.seed = maphash.MakeSeed()
	}
}

// skip validates the value at d.pos and moves past it. It accepts only what
// value would decode without error (at this depth) and reports whether the
// text is canonical: what Marshal would write for the decoded value. It
// records in d.depth the deepest nesting it met, and in d.counts what the
// decoded value will take of a slab (at most).
func (d *decoder) skip(depth int) (canon, ok bool) {
	data, i := d.data, d.pos
	if i >= len(data) {
		return false, false
	}
	switch data[i] {
	case '"':
		j := i + 1
		for j < len(data) && skipClass[data[j]] == skipCanon {
			j++
		}
		if j > i+1 || j < len(data) && data[j] != '"' {
			d.counts[kStrs]++ // the empty string needs no header
		}
		if j < len(data) && data[j] == '"' {
			d.pos = j + 1
			return true, true
		}
		return d.skipStringFrom(i+1, j)
	case '{':
		d.counts[kDicts]++
		return d.skipObject(depth + 1)
	case '[':
		d.counts[kLists]++
		return d.skipArray(depth + 1)
	case 'n', 't', 'f', 'N', 'I', '-':
		if _, n := literal(data, i); n > 0 {
			d.pos = i + n
			return true, true // Marshal writes each name as it reads
		}
	}
	return d.skipNumber(i)
}

// skipNumber checks a number as number does. Only an int is canonical, and
// not "-0" (Python writes 0); floats are left to the encoder, which writes
// repr.
func (d *decoder) skipNumber(start int) (canon, ok bool) {
	data := d.data
	end, intEnd, isFloat, ok := matchNumber(data, start)
	if !ok {
		return false, false
	}
	digits := intEnd - start
	if data[start] == '-' {
		digits--
	}
	if !isFloat && digits > maxIntDigits {
		return false, false // the decoder's ErrIntTooLong
	}
	// A word of the slab boxes the number, but for the ints the runtime
	// boxes itself (slab.int64) and the *big.Int ones.
	if isFloat || digits > 3 || data[start] == '-' || (digits == 3 && string(data[start:end]) > "255") {
		d.counts[kWords]++
	}
	d.pos = end
	return !isFloat && string(data[start:end]) != "-0", true
}

// Byte classes for skipString: what the decoder accepts, split by whether
// Marshal writes the byte as itself (printable ASCII but '"' and '\\').
const (
	skipCanon    = iota
	skipQuote    // closing '"'
	skipEscape   // '\\'
	skipControl  // 0x00–0x1F: refused
	skipNonCanon // DEL and latin-1 0x80–0xFF: accepted, written as \u00XX
)

// skipClass is strClass (what the decoder accepts) with the bytes Marshal
// would escape marked: DEL besides the latin-1 range.
var skipClass = func() (t [256]byte) {
	for c, cls := range strClass {
		t[c] = [...]byte{clsPlain: skipCanon, clsQuote: skipQuote, clsBackslash: skipEscape,
			clsControl: skipControl, clsHigh: skipNonCanon}[cls]
	}
	t[0x7F] = skipNonCanon
	return t
}()

// skipString validates a string whose body starts at start. An escape is
// canonical when it is the one Marshal writes for its character: the short
// forms for '"', '\\', \b \f \n \r \t, and \u with lower-case hex for every
// other character outside printable ASCII (each half of a surrogate pair is
// written as its own \u escape, so each can be judged alone).
//
// It also counts in d.counts[kBytes] what the decoder's text of the string
// takes of the slab, at most: nothing for a string of plain bytes (a slice
// of the input), else its length with each escape's saving taken off and
// one more byte for each raw latin-1 byte (two in UTF-8).
func (d *decoder) skipString(start int) (canon, ok bool) {
	return d.skipStringFrom(start, start)
}

// skipStringFrom is skipString for a caller that has scanned the plain
// bytes data[start:i] already.
func (d *decoder) skipStringFrom(start, i int) (canon, ok bool) {
	data := d.data
	canon = true
	sliced, size := true, 0 // size: the text's length minus the escapes' savings
	for i < len(data) {
		for i < len(data) && skipClass[data[i]] == skipCanon {
			i++
		}
		if i >= len(data) {
			break
		}
		c := data[i]
		switch skipClass[c] {
		case skipNonCanon:
			canon = false
			if c >= 0x80 {
				sliced, size = false, size+1
			}
			i++
			continue
		case skipQuote:
			d.pos = i + 1
			if !sliced {
				d.counts[kBytes] += uint32(i - start + size)
			}
			return canon, true
		case skipControl:
			return false, false
		}
		if i+1 >= len(data) {
			return false, false
		}
		sliced = false
		switch data[i+1] {
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
			size--
			i += 2
		case '/':
			canon = false
			size--
			i += 2
		case 'u':
			if i+6 >= len(data) {
				return false, false
			}
			r, ok := hex4(data[i+2 : i+6])
			if !ok {
				return false, false
			}
			for _, h := range data[i+2 : i+6] {
				if 'A' <= h && h <= 'F' {
					canon = false
				}
			}
			switch {
			case 0x20 <= r && r < 0x7F, r == '\b', r == '\f', r == '\n', r == '\r', r == '\t':
				canon = false
			}
			size -= 3 // six bytes of text, three of UTF-8 at most
			i += 6
		default:
			return false, false
		}
	}
	return false, false
}

func (d *decoder) enter(depth int) bool {
	if depth > MaxDepth {
		return false
	}
	if int32(depth) > d.depth {
		d.depth = int32(depth)
	}
	return true
}

// skipArray validates a list; d.pos is at '['.
func (d *decoder) skipArray(depth int) (canon, ok bool) {
	if !d.enter(depth) {
		return false, false
	}
	data := d.data
	i := skipSpace(data, d.pos+1)
	canon = i == d.pos+1
	plan := len(d.sizes)
	d.sizes = append(d.sizes, 0)
	if i < len(data) && data[i] == ']' {
		d.pos = i + 1
		return canon, true
	}
	for {
		d.sizes[plan]++
		d.pos = i
		d.counts[kItems]++
		c, ok := d.skip(depth)
		if !ok {
			return false, false
		}
		canon = canon && c
		if i = skipSpace(data, d.pos); i != d.pos {
			canon = false
		}
		if i < len(data) && data[i] == ']' {
			break
		}
		if i >= len(data) || data[i] != ',' {
			return false, false
		}
		if j := skipSpace(data, i+1); j != i+1 {
			canon, i = false, j
		} else {
			i = j
		}
	}
	d.pos = i + 1
	return canon, true
}

// skipObject validates a dict; d.pos is at '{'. A dict is canonical only if
// its keys are distinct (the decoder folds repeated ones), which it checks on
// the keys' text: canonical text is one-to-one with the string.
func (d *decoder) skipObject(depth int) (canon, ok bool) {
	if !d.enter(depth) {
		return false, false
	}
	data := d.data
	i := skipSpace(data, d.pos+1)
	canon = i == d.pos+1
	plan := len(d.sizes)
	d.sizes = append(d.sizes, 0)
	if i < len(data) && data[i] == '}' {
		d.pos = i + 1
		return canon, true
	}
	// The keys' spans, for the distinctness check: the first few on the
	// stack, the rest (a big dict) on d.keySpans.
	var small [indexThreshold][2]int32
	n, base := 0, len(d.keySpans)
	for {
		if i >= len(data) || data[i] != '"' {
			return false, false
		}
		// Keys are short and plain: the common case is scanned here,
		// without a call.
		j := i + 1
		for j < len(data) && skipClass[data[j]] == skipCanon {
			j++
		}
		c := true
		if j < len(data) && data[j] == '"' {
			d.pos = j + 1
		} else if c, ok = d.skipStringFrom(i+1, j); !ok {
			return false, false
		}
		keyEnd := d.pos
		switch k := [2]int32{int32(i + 1), int32(keyEnd - 1)}; {
		case n < len(small):
			small[n] = k
		case n == len(small):
			d.keySpans = append(append(d.keySpans, small[:]...), k)
		default:
			d.keySpans = append(d.keySpans, k)
		}
		n++
		d.sizes[plan]++
		d.counts[kPairs]++
		canon = canon && c
		j = skipSpace(data, keyEnd)
		if j >= len(data) || data[j] != ':' {
			return false, false
		}
		d.pos = skipSpace(data, j+1)
		if j != keyEnd || d.pos != j+1 {
			canon = false
		}
		if c, ok = d.skip(depth); !ok {
			return false, false
		}
		canon = canon && c
		// The same tail as skipArray's, inline: it runs once per item.
		if i = skipSpace(data, d.pos); i != d.pos {
			canon = false
		}
		if i < len(data) && data[i] == '}' {
			break
		}
		if i >= len(data) || data[i] != ',' {
			return false, false
		}
		if j := skipSpace(data, i+1); j != i+1 {
			canon, i = false, j
		} else {
			i = j
		}
	}
	d.pos = i + 1
	if canon {
		keys := small[:min(n, len(small))]
		if n > len(small) {
			keys = d.keySpans[base:]
		}
		canon = d.distinctKeys(keys)
	}
	d.keySpans = d.keySpans[:base]
	return canon, true
}

// distinctKeys reports whether the keys' texts are all different; when a
// hash collides it answers no, which only costs a re-encoding.
func (d *decoder) distinctKeys(keys [][2]int32) bool {
	data := d.data
	if len(keys) <= indexThreshold {
		var prints [indexThreshold]uint32
		for a, k := range keys {
			ka := data[k[0]:k[1]]
			prints[a] = keyPrint(string(ka))
			for b, p := range prints[:a] {
				if p == prints[a] && string(ka) == string(data[keys[b][0]:keys[b][1]]) {
					return false
				}
			}
		}
		return true
	}
	d.initKeySet()
	defer clear(d.keySet)
	for _, k := range keys {
		h := maphash.Bytes(d.seed, data[k[0]:k[1]])
		if _, seen := d.keySet[h]; seen {
			return false
		}
		d.keySet[h] = struct{}{}
	}
	return true
}
