package pyjson

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/big"
	"strconv"
	"sync"
)

// Unmarshal decodes data as Django's JSONSerializer.loads does:
// json.loads(data.decode("latin-1")). The result is a value of the model
// described in the package doc.
//
// Every byte is one character (latin-1), so raw non-ASCII bytes become the
// characters with the same numbers. Invalid input gives a *SyntaxError
// (errors.Is(err, ErrSyntax)) with CPython's message and position; an
// integer of more than 4300 digits gives ErrIntTooLong (Python's ValueError);
// nesting deeper than MaxDepth gives ErrTooDeep (Python's RecursionError).
// Unmarshal never panics, and the result shares no memory with data. The
// values of a top-level dict are decoded when first read (see the package
// doc); all of data is checked before Unmarshal returns.
//
// The decoded values are laid out a chunk at a time rather than one
// allocation each: strings are slices of one copy of the input, and lists,
// dicts and boxed numbers share a few chunks. A value kept after the rest
// is dropped therefore keeps those chunks alive, as a substring keeps its
// string. Clone does not detach it (it copies lists and dicts but shares
// strings and numbers, which point into the chunks); Marshal the part and
// Unmarshal the result to keep it alone.
func Unmarshal(data []byte) (any, error) {
	return unmarshal(data, false)
}

// unmarshal is Unmarshal, reading raw non-ASCII bytes as UTF-8 instead of
// latin-1 when utf8Input is set (for encoding/json's Unmarshaler, whose input
// is UTF-8 text).
func unmarshal(data []byte, utf8Input bool) (any, error) {
	d := decoderPool.Get().(*decoder)
	d.data = data
	d.utf8Input = utf8Input
	d.pos = skipSpace(data, 0)
	if !utf8Input && d.pos < len(data) && data[d.pos] == '{' {
		dict, ok := d.lazyDict()
		if ok && skipSpace(data, d.pos) == len(data) {
			d.release(false)
			return dict, nil
		}
		// Not accepted by the validator: the decoder decides.
		d.resetStacks()
		d.pos = skipSpace(data, 0)
	}
	return d.decodeAll()
}

// decodeAll decodes the whole of d.data with the decoder alone, from d.pos
// (leading whitespace skipped), and releases d. The values' strings are
// sliced from one copy of the input.
func (d *decoder) decodeAll() (any, error) {
	d.data = append([]byte(nil), d.data...)
	d.slab = new(slab)
	v, err := d.value(0)
	if err == nil {
		if end := skipSpace(d.data, d.pos); end != len(d.data) {
			v, err = nil, d.syntaxError("Extra data", end)
		}
	}
	d.release(err != nil)
	return v, err
}

// UnmarshalDict decodes data as Unmarshal does and returns the top-level
// dict; valid JSON of another type is an error wrapping ErrNotDict. Django
// session data is always a dict.
func UnmarshalDict(data []byte) (*Dict, error) {
	v, err := Unmarshal(data)
	if err != nil {
		return nil, err
	}
	d, ok := v.(*Dict)
	if !ok {
		return nil, fmt.Errorf("%w: got %s", ErrNotDict, TypeName(v))
	}
	return d, nil
}

// A decoder is one pass over one input. Lists and dicts are collected on
// shared stacks and copied out at their closing bracket into the chunks of
// a slab (slab.go), which also holds the boxed scalars; the stacks (and the
// escape buffer) are reused across calls through decoderPool.
type decoder struct {
	// data is the input. The decoder slices the strings it returns from
	// it, so it must be memory that nothing writes to afterwards.
	data  []byte
	pos   int
	items []any   // pending list items of the lists being decoded
	pairs []entry // pending entries of the dicts being decoded
	buf   []byte  // a string being unescaped
	// utf8Input reads raw bytes >= 0x80 as UTF-8 (invalid sequences become
	// U+FFFD, as in encoding/json) instead of latin-1.
	utf8Input bool
	slab      *slab // where decoded values go; nil outside a decode
	// sharedSlab tells that slab is a lazy Dict's, held (slab.busy) until
	// done.
	sharedSlab bool

	// The validator's state (lazy.go): the pending top-level values, the
	// keys of the dicts being checked, and the deepest nesting met.
	spans    []lazySpan
	keySpans [][2]int32
	sizes    []uint32 // the lists' and dicts' sizes (lazyShared.sizes)
	keySet   map[uint64]struct{}
	seed     maphash.Seed
	depth    int32
	counts   [numKinds]uint32

	// plan, when not nil, is the sizes of the lists and dicts being
	// decoded, from the validator, and planAt the next one's.
	plan   []uint32
	planAt int
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

// maxPooledItems keeps one huge input from pinning its scratch memory in the
// pool forever.
const maxPooledItems = 1 << 14

func (d *decoder) release(failed bool) {
	d.data, d.slab, d.plan = nil, nil, nil
	if failed {
		// A failed decode leaves values on the stacks; drop them.
		clear(d.items[:cap(d.items)])
		clear(d.pairs[:cap(d.pairs)])
	}
	d.resetStacks()
	d.buf = d.buf[:0]
	if cap(d.items) > maxPooledItems || cap(d.pairs) > maxPooledItems || cap(d.buf) > maxPooledItems*16 ||
		cap(d.spans) > maxPooledItems || cap(d.keySpans) > maxPooledItems || len(d.keySet) > maxPooledItems ||
		cap(d.sizes) > maxPooledItems {
		return
	}
	decoderPool.Put(d)
}

// resetStacks empties the stacks; the lazy path leaves keys on d.pairs.
func (d *decoder) resetStacks() {
	clear(d.pairs)
	d.items, d.pairs = d.items[:0], d.pairs[:0]
	d.spans, d.keySpans, d.sizes = d.spans[:0], d.keySpans[:0], d.sizes[:0]
}

func (d *decoder) syntaxError(msg string, pos int) error {
	return newSyntaxError(d.data, msg, pos)
}

// skipSpace skips Python's JSON whitespace: space, TAB, LF, CR (not FF or VT).
func skipSpace(data []byte, i int) int {
	// One comparison settles the common case: no whitespace at all.
	for i < len(data) && data[i] <= ' ' && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

func hasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// literal matches the names json.loads knows at data[i] (the decoder and the
// validator both read them here) and returns the value and the length; n is
// 0 when there is none ('-' may then start a number).
func literal(data []byte, i int) (v any, n int) {
	var lit string
	switch data[i] {
	case 'n':
		lit, v = "null", nil
	case 't':
		lit, v = "true", true
	case 'f':
		lit, v = "false", false
	case 'N':
		lit, v = "NaN", math.NaN()
	case 'I':
		lit, v = "Infinity", math.Inf(1)
	case '-':
		lit, v = "-Infinity", math.Inf(-1)
	default:
		return nil, 0
	}
	if !hasLiteral(data, i, lit) {
		return nil, 0
	}
	return v, len(lit)
}

// value decodes the value starting at d.pos (whitespace already skipped),
// the equivalent of CPython's scan_once; depth counts enclosing containers.
func (d *decoder) value(depth int) (any, error) {
	data, i := d.data, d.pos
	if i >= len(data) {
		return nil, d.syntaxError("Expecting value", i)
	}
	switch data[i] {
	case '"':
		return d.str(i + 1)
	case '{':
		return d.object(depth + 1)
	case '[':
		return d.array(depth + 1)
	case 'n', 't', 'f', 'N', 'I', '-':
		if v, n := literal(data, i); n > 0 {
			d.pos = i + n
			return v, nil
		}
	}
	return d.number(i)
}

func (d *decoder) tooDeep(kind string) error {
	return fmt.Errorf("%w: more than %d levels, while decoding a JSON %s", ErrTooDeep, MaxDepth, kind)
}

// array decodes a list; d.pos is at '['. The messages and positions follow
// CPython 3.11's _parse_array_unicode ("[1,]" is "Expecting value").
func (d *decoder) array(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, d.tooDeep("array")
	}
	if d.plan != nil {
		return d.plannedArray(depth)
	}
	data := d.data
	i := skipSpace(data, d.pos+1)
	if i < len(data) && data[i] == ']' {
		d.pos = i + 1
		return d.slab.list(nil), nil
	}
	base := len(d.items)
	for {
		d.pos = i
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.items = append(d.items, v)
		i = skipSpace(data, d.pos)
		if i < len(data) && data[i] == ']' {
			break
		}
		if i >= len(data) || data[i] != ',' {
			return nil, d.syntaxError("Expecting ',' delimiter", i)
		}
		i = skipSpace(data, i+1)
	}
	list := d.slab.list(d.items[base:])
	clear(d.items[base:])
	d.items = d.items[:base]
	d.pos = i + 1
	return list, nil
}

// object decodes a dict; d.pos is at '{'. A repeated key keeps its first
// position and takes the last value, as a Python dict being filled does.
func (d *decoder) object(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, d.tooDeep("object")
	}
	if d.plan != nil {
		return d.plannedObject(depth)
	}
	data := d.data
	i := skipSpace(data, d.pos+1)
	if i < len(data) && data[i] == '}' {
		d.pos = i + 1
		return d.slab.dict(nil, nil), nil
	}
	base := len(d.pairs)
	var keys keyFinder
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, d.syntaxError("Expecting property name enclosed in double quotes", i)
		}
		key, err := d.key(i + 1)
		if err != nil {
			return nil, err
		}
		i = skipSpace(data, d.pos)
		if i >= len(data) || data[i] != ':' {
			return nil, d.syntaxError("Expecting ':' delimiter", i)
		}
		d.pos = skipSpace(data, i+1)
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}

		if dup, print := keys.find(d.pairs[base:], key); dup >= 0 {
			d.pairs[base+dup].val = v
		} else {
			d.pairs = append(d.pairs, entry{key, v})
			keys.added(d.pairs[base:], print)
		}

		i = skipSpace(data, d.pos)
		if i < len(data) && data[i] == '}' {
			break
		}
		if i >= len(data) || data[i] != ',' {
			return nil, d.syntaxError("Expecting ',' delimiter", i)
		}
		i = skipSpace(data, i+1)
	}
	dict := d.slab.dict(d.pairs[base:], keys.index)
	clear(d.pairs[base:])
	d.pairs = d.pairs[:base]
	d.pos = i + 1
	return dict, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// matchNumber matches a number at start with the grammar of CPython's
// _match_number_unicode: a '.' or exponent not followed by digits is not part
// of the number ("1." is 1 followed by extra data). It returns where the
// number ends, where its integer part ends, and whether it is a float; ok is
// false when no number starts at start ("Expecting value").
func matchNumber(data []byte, start int) (end, intEnd int, isFloat, ok bool) {
	i := start
	if data[i] == '-' {
		i++
		if i >= len(data) {
			return 0, 0, false, false
		}
	}
	switch {
	case '1' <= data[i] && data[i] <= '9':
		i++
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	case data[i] == '0':
		i++
	default:
		return 0, 0, false, false
	}
	intEnd = i
	if i+1 < len(data) && data[i] == '.' && isDigit(data[i+1]) {
		isFloat = true
		i += 2
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i+1 < len(data) && (data[i] == 'e' || data[i] == 'E') {
		j := i + 1
		if data[j] == '-' || data[j] == '+' {
			j++
		}
		for j < len(data) && isDigit(data[j]) {
			j++
		}
		if isDigit(data[j-1]) { // else "1e", "1e+": the number ends before the 'e'
			isFloat, i = true, j
		}
	}
	return i, intEnd, isFloat, true
}

// number decodes the number at start (see matchNumber).
func (d *decoder) number(start int) (any, error) {
	data := d.data
	end, intEnd, isFloat, ok := matchNumber(data, start)
	if !ok {
		return nil, d.syntaxError("Expecting value", start)
	}
	d.pos = end
	if isFloat {
		if f, ok := shortDecimal(data[start:end]); ok {
			return d.slab.float64(f), nil
		}
		f, err := strconv.ParseFloat(string(data[start:end]), 64)
		if err != nil && !isRangeError(err) {
			// Unreachable: the grammar above only lets valid floats through.
			return nil, d.syntaxError("Expecting value", start)
		}
		return d.slab.float64(f), nil // out of range: ±Inf or ±0, as Python's float()
	}
	return d.integer(start, intEnd, data[start] == '-')
}

// pow10 holds the powers of ten that a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// shortDecimal converts a float written [-]ddd.ddd with at most 15 digits
// and no exponent, as prices and scores are, without strconv: the digits
// and the power of ten are both exact in a float64, so their quotient,
// rounded once by the division, is the correctly rounded value that
// strconv.ParseFloat (and Python's float()) gives. ok is false for any
// other form.
func shortDecimal(b []byte) (f float64, ok bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > 16 {
		return 0, false
	}
	var mant uint64
	frac := -1
	for k, c := range b {
		switch {
		case isDigit(c):
			mant = mant*10 + uint64(c-'0')
		case c == '.':
			frac = len(b) - k - 1
		default:
			return 0, false // an exponent
		}
	}
	if frac < 0 {
		return 0, false
	}
	f = float64(mant) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// integer converts the digits data[start:end] (with an optional '-') to
// int64, or to *big.Int only when int64 overflows.
func (d *decoder) integer(start, end int, neg bool) (any, error) {
	digits := d.data[start:end]
	if neg {
		digits = digits[1:]
	}
	if len(digits) <= 18 { // cannot overflow int64
		var n int64
		for _, c := range digits {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return d.slab.int64(n), nil
	}
	if len(digits) > maxIntDigits {
		return nil, fmt.Errorf("%w: value has %d digits", ErrIntTooLong, len(digits))
	}
	tok := string(d.data[start:end])
	if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
		return d.slab.int64(n), nil
	}
	b, ok := new(big.Int).SetString(tok, 10)
	if !ok {
		return nil, d.syntaxError("Expecting value", start) // unreachable
	}
	return b, nil
}

// A keyFinder finds a repeated key among the entries of a dict being
// decoded: a scan of the keys' prints (keyPrint spares most string
// comparisons) while the dict is small, a map once it outgrows that. A
// repeated key keeps its first place and takes the last value, as in
// Python's json.
type keyFinder struct {
	index  map[string]int // built once the dict outgrows a linear scan
	prints [indexThreshold]uint32
}

// find returns the position of key among entries (the dict's entries so
// far), or -1 and the print that added takes.
func (kf *keyFinder) find(entries []entry, key string) (int, uint32) {
	if kf.index != nil {
		if j, ok := kf.index[key]; ok {
			return j, 0
		}
		return -1, 0
	}
	print := keyPrint(key)
	for j, p := range kf.prints[:len(entries)] {
		if p == print && entries[j].key == key {
			return j, print
		}
	}
	return -1, print
}

// added records entries' last entry, a new key whose print find returned.
func (kf *keyFinder) added(entries []entry, print uint32) {
	n := len(entries)
	if n <= indexThreshold {
		kf.prints[n-1] = print
	}
	if kf.index != nil {
		kf.index[entries[n-1].key] = n - 1
	} else if n > indexThreshold {
		kf.index = make(map[string]int, 2*n)
		for j, e := range entries {
			kf.index[e.key] = j
		}
	}
}

// keyPrint is a cheap fingerprint of a dict key, its length and three of
// its bytes: two keys with different prints differ, so the duplicate checks
// compare whole keys only when the prints match.
func keyPrint(k string) uint32 {
	if k == "" {
		return 0
	}
	return uint32(len(k)) | uint32(k[0])<<8 | uint32(k[len(k)/2])<<16 | uint32(k[len(k)-1])<<24
}
