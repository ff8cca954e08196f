package pickle

import (
	"encoding/binary"
	"math"
	"math/big"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/djsession/djsession/pyjson"
)

// HighestProtocol is pickle.HIGHEST_PROTOCOL on Python 3.8+, what Django's
// PickleSerializer, memcached clients and RedisCache use.
const HighestProtocol = 5

// DefaultProtocol is pickle.DEFAULT_PROTOCOL on Python 3.8–3.13, what
// django-redis uses.
const DefaultProtocol = 4

const (
	batchSize        = 1000     // CPython's _BATCHSIZE for APPENDS/SETITEMS/ADDITEMS
	frameSizeTarget  = 64 << 10 // CPython's FRAME_SIZE_TARGET
	frameSizeMin     = 4        // smaller frames are written without a FRAME header
	frameHeaderBytes = 9
)

// Marshal encodes v as CPython's pickle.dumps(v, protocol) does (protocol
// 2, 3, 4 or 5), byte for byte for the value model, including FRAME
// placement and memo (MEMOIZE/BINPUT/BINGET) numbering.
//
// Python's memo works on object identity, which Go values only partly have,
// so Marshal models it this way (see the package documentation):
//   - equal strings are one object, as if every str were interned (this is
//     what json.loads does with dict keys, and what the shared_reference
//     vector shows), and so are equal Bytes;
//   - a []any, Tuple, Set or FrozenSet is one object per backing array and
//     length, a *pyjson.Dict or *Map one per pointer, so a list stored
//     twice in a session is written once and fetched with BINGET;
//   - datetimes, dates, times, timedeltas, Decimals and UUIDs are values: each
//     occurrence is a new object, as after pickle.loads; tzinfo objects are
//     shared by value (timezone.utc, pytz.utc and ZoneInfo are singletons or
//     cached in Python).
//
// A value that contains itself is refused (ErrTooDeep), like nesting beyond
// 1000 levels (CPython's own recursion limit). Marshal writes only what
// Unmarshal with the default Options reads back: a pickle longer than
// MaxSize, or a value of more than MaxItems items (shared references
// counted at every place), is refused with ErrTooLarge.
func Marshal(v any, protocol int) ([]byte, error) { return AppendMarshal(nil, v, protocol) }

// AppendMarshal appends the pickle of v to dst (see Marshal).
func AppendMarshal(dst []byte, v any, protocol int) ([]byte, error) {
	if protocol < 2 || protocol > 5 {
		return dst, encErr(ErrUnsupported, "protocol %d (only 2 to 5)", protocol)
	}
	e := encoder{out: dst, base: len(dst), proto: protocol, frameStart: -1}
	e.out = append(e.out, opProto, byte(protocol))
	e.framing = protocol >= 4
	if err := e.save(v); err != nil {
		return dst, err
	}
	e.write(opStop)
	e.commitFrame()
	if err := e.checkLimits(v); err != nil {
		return dst, err
	}
	return e.out, nil
}

// checkLimits refuses, with ErrTooLarge, a pickle that Unmarshal with the
// default Options would refuse, so that Marshal writes only what Go reads
// back: longer than MaxSize, more memo entries than MaxItems, or a value
// that expands to more than MaxItems items (shared references counted at
// every place they appear, as the decoder counts them). Depth is checked
// while writing (enter).
func (e *encoder) checkLimits(v any) error {
	if n := len(e.out) - e.base; n > DefaultMaxSize {
		return encErr(ErrTooLarge, "pickle of %d bytes exceeds MaxSize %d", n, DefaultMaxSize)
	}
	if e.memoLen > defaultMaxItems {
		return encErr(ErrTooLarge, "%d memo entries exceed MaxItems %d", e.memoLen, defaultMaxItems)
	}
	budget := defaultMaxItems
	if !spendItems(v, &budget) {
		return encErr(ErrTooLarge, "value expands to more than MaxItems %d items", defaultMaxItems)
	}
	return nil
}

// spendItems takes from *budget one item for v and one for each value it
// holds, at every place it appears, and reports false once the budget is
// overdrawn: the walk stops there, so its work is bounded by the budget
// even for a value that shares one list a million times. It runs after a
// successful save, so v holds no cycle and is at most defaultMaxDepth deep.
func spendItems(v any, budget *int) bool {
	if *budget--; *budget < 0 {
		return false
	}
	var items []any
	switch x := v.(type) {
	case []string: // the Go conveniences that normalize makes containers
		*budget -= len(x)
	case map[string]string:
		*budget -= 2 * len(x)
	case map[string]any:
		for _, val := range x {
			if *budget--; *budget < 0 || !spendItems(val, budget) {
				return false
			}
		}
	case []any:
		items = x
	case Tuple:
		items = x
	case Set:
		items = x
	case FrozenSet:
		items = x
	case *pyjson.Dict:
		for _, val := range x.All() {
			if *budget--; *budget < 0 || !spendItems(val, budget) { // the key, then the value
				return false
			}
		}
	case *Map:
		for k, val := range x.All() {
			if !spendItems(k, budget) || !spendItems(val, budget) {
				return false
			}
		}
	}
	for _, it := range items {
		if !spendItems(it, budget) {
			return false
		}
	}
	return *budget >= 0
}

type encoder struct {
	out        []byte
	base       int
	proto      int
	framing    bool
	frameStart int // offset of the current frame's header, or -1
	memo       map[any]memoEntry
	strMemo    map[string]memoEntry // strings, kept apart to avoid boxing
	memoLen    int
	depth      int
}

type memoEntry struct {
	idx    int
	active bool // a container whose items are being written
}

// Memo keys: one Go type per identity rule.
type (
	bytesKey string
	sliceKey struct {
		first *any
		n     int
		kind  uint8
	}
	globalKey globalKind
	tzKey     struct{ tz TZInfo }
)

// Internal values that save() writes as CPython writes the pieces of a
// __reduce__: they are never part of a user's value.
type (
	freshStr        string // a str object made during pickling (never shared)
	stateBytes      []byte // a bytes object made during pickling (datetime state)
	globalObj       globalKind
	freshTuple      []any // an args tuple made by __reduce__
	freshList       []any // list(set) made by set.__reduce__
	zoneUnpickleObj struct{}
)

// write appends to the current frame, starting one if needed.
func (e *encoder) write(b ...byte) {
	if e.framing && e.frameStart < 0 {
		e.frameStart = len(e.out)
		e.out = append(e.out, make([]byte, frameHeaderBytes)...)
	}
	e.out = append(e.out, b...)
}

func (e *encoder) writeString(s string) {
	e.write()
	e.out = append(e.out, s...)
}

func (e *encoder) commitFrame() {
	if e.frameStart < 0 {
		return
	}
	n := len(e.out) - e.frameStart - frameHeaderBytes
	if n >= frameSizeMin {
		e.out[e.frameStart] = opFrame
		binary.LittleEndian.PutUint64(e.out[e.frameStart+1:], uint64(n))
	} else {
		copy(e.out[e.frameStart:], e.out[e.frameStart+frameHeaderBytes:])
		e.out = e.out[:len(e.out)-frameHeaderBytes]
	}
	e.frameStart = -1
}

// boundary is pickle.py's framer.commit_frame() at the start of every save:
// a frame that reached 64 KiB is closed before the next object.
func (e *encoder) boundary() {
	if e.frameStart >= 0 && len(e.out)-e.frameStart-frameHeaderBytes >= frameSizeTarget {
		e.commitFrame()
	}
}

// writeLarge writes a payload of 64 KiB or more outside any frame, as
// CPython's _write_large_bytes does.
func (e *encoder) writeLarge(header []byte, payload []byte) {
	if !e.framing || len(payload) < frameSizeTarget {
		e.write(header...)
		e.write(payload...)
		return
	}
	e.commitFrame()
	e.out = append(e.out, header...)
	e.out = append(e.out, payload...)
}

// memoize records the object just written under key (nil: a fresh object
// that can never be fetched again) and writes MEMOIZE or BINPUT.
func (e *encoder) memoize(key any) {
	idx := e.memoLen
	e.memoLen++
	if key != nil {
		if e.memo == nil {
			e.memo = make(map[any]memoEntry)
		}
		e.memo[key] = memoEntry{idx: idx}
	}
	switch {
	case e.proto >= 4:
		e.write(opMemoize)
	case idx < 256:
		e.write(opBinPut, byte(idx))
	default:
		e.write(opLongBinPut, byte(idx), byte(idx>>8), byte(idx>>16), byte(idx>>24))
	}
}

// fetch writes BINGET for key if it was memoized, and reports whether it did.
func (e *encoder) fetch(key any) (bool, error) {
	if key == nil {
		return false, nil
	}
	m, ok := e.memo[key]
	if !ok {
		return false, nil
	}
	return true, e.writeGet(m)
}

// writeGet writes BINGET of a memoized object.
func (e *encoder) writeGet(m memoEntry) error {
	if m.active {
		return encErr(ErrTooDeep, "value contains itself")
	}
	if m.idx < 256 {
		e.write(opBinGet, byte(m.idx))
	} else {
		e.write(opLongBinGet, byte(m.idx), byte(m.idx>>8), byte(m.idx>>16), byte(m.idx>>24))
	}
	return nil
}

func (e *encoder) setActive(key any, active bool) {
	if key != nil {
		m := e.memo[key]
		m.active = active
		e.memo[key] = m
	}
}

func identity(kind uint8, s []any) any {
	if len(s) == 0 {
		return nil // Go cannot tell two empty slices apart: never shared
	}
	return sliceKey{&s[0], len(s), kind}
}

func (e *encoder) save(v any) error {
	e.boundary()
	switch x := v.(type) {
	case nil:
		e.write(opNone)
	case bool:
		if x {
			e.write(opNewTrue)
		} else {
			e.write(opNewFalse)
		}
	case int64:
		e.saveInt(x)
	case *big.Int:
		if x == nil {
			return encErr(ErrUnsupported, "nil *big.Int")
		}
		if x.IsInt64() {
			e.saveInt(x.Int64())
		} else {
			e.saveLong(x)
		}
	case float64:
		e.write(opBinFloat)
		e.out = binary.BigEndian.AppendUint64(e.out, math.Float64bits(x))
	case string:
		return e.saveStr(x, true)
	case freshStr:
		return e.saveStr(string(x), false)
	case Bytes:
		return e.saveBytes(x, bytesKey(x))
	case stateBytes:
		return e.saveBytes(x, nil)
	case ByteArray:
		return e.saveByteArray(x)
	case []any:
		return e.saveList(x, identity(0, x))
	case freshList:
		return e.saveList(x, nil)
	case *pyjson.Dict:
		if x == nil {
			return encErr(ErrUnsupported, "nil *pyjson.Dict")
		}
		return e.saveDict(x, x, x.Len(), func(yield func(any, any) bool) {
			for k, v := range x.All() {
				if !yield(k, v) {
					return
				}
			}
		})
	case *Map:
		if x == nil {
			return encErr(ErrUnsupported, "nil *pickle.Map")
		}
		return e.saveDict(x, x, x.Len(), x.All())
	case Tuple:
		return e.saveTuple(x, identity(1, x))
	case freshTuple:
		return e.saveTuple(x, nil)
	case Set:
		return e.saveSet(x)
	case FrozenSet:
		return e.saveFrozenSet(x)
	case globalObj:
		return e.saveGlobal(globalKind(x))
	default:
		return e.saveOther(v)
	}
	return nil
}

func (e *encoder) saveInt(x int64) {
	switch {
	case x >= 0 && x <= 0xff:
		e.write(opBinInt1, byte(x))
	case x >= 0 && x <= 0xffff:
		e.write(opBinInt2, byte(x), byte(x>>8))
	case x >= math.MinInt32 && x <= math.MaxInt32:
		e.write(opBinInt, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
	default:
		e.saveLong(big.NewInt(x))
	}
}

// saveLong writes LONG1/LONG4 with the shortest little-endian two's
// complement that keeps the sign, as CPython's encode_long.
func (e *encoder) saveLong(x *big.Int) {
	var n int
	if x.Sign() >= 0 {
		n = x.BitLen()/8 + 1
	} else {
		n = new(big.Int).Not(x).BitLen()/8 + 1 // ^x = -x-1
	}
	b := make([]byte, n)
	if x.Sign() >= 0 {
		x.FillBytes(b)
	} else {
		// two's complement: 2^(8n) + x
		t := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
		t.Add(t, x).FillBytes(b)
	}
	slices.Reverse(b)
	if n < 256 {
		e.write(opLong1, byte(n))
	} else {
		e.write(opLong4, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	e.write(b...)
}

// saveStr writes s; memo says that equal strings are one object (as the
// keys and values of a decoded session are), so a repeat is a BINGET. The
// string is passed as itself, not boxed into a key: this runs per string.
func (e *encoder) saveStr(s string, memo bool) error {
	if memo {
		if m, ok := e.strMemo[s]; ok {
			return e.writeGet(m)
		}
	}
	if !utf8.ValidString(s) && !validWTF8([]byte(s)) {
		return encErr(ErrUnsupported, "string is not UTF-8 (nor WTF-8)")
	}
	n := len(s)
	switch {
	case n <= 0xff && e.proto >= 4:
		e.write(opShortBinUnicode, byte(n))
		e.writeString(s)
	case uint64(n) > math.MaxUint32:
		if e.proto < 4 {
			return encErr(ErrUnsupported, "cannot serialize a string larger than 4GiB below protocol 4")
		}
		e.writeLarge(binary.LittleEndian.AppendUint64([]byte{opBinUnicode8}, uint64(n)), []byte(s))
	default:
		e.writeLarge(binary.LittleEndian.AppendUint32([]byte{opBinUnicode}, uint32(n)), []byte(s))
	}
	if memo {
		if e.strMemo == nil {
			e.strMemo = make(map[string]memoEntry, 16)
		}
		e.strMemo[s] = memoEntry{idx: e.memoLen}
	}
	e.memoize(nil)
	return nil
}

func (e *encoder) saveBytes(b []byte, key any) error {
	if ok, err := e.fetch(key); ok {
		return err
	}
	if e.proto < 3 {
		// Protocol 2 has no bytes opcode: CPython writes
		// _codecs.encode(b.decode('latin1'), 'latin1'), or bytes() for b''.
		if len(b) == 0 {
			return e.saveReduce(gBytes, freshTuple{}, key)
		}
		var text any = freshStr(latin1(b))
		if len(b) == 1 {
			text = latin1(b) // a 1-char str is a cached singleton in CPython
		}
		return e.saveReduce(gCodecsEncode, freshTuple{text, "latin1"}, key)
	}
	n := len(b)
	switch {
	case n <= 0xff:
		e.write(opShortBinBytes, byte(n))
		e.write(b...)
	case uint64(n) > math.MaxUint32:
		if e.proto < 4 {
			return encErr(ErrUnsupported, "cannot serialize a bytes object larger than 4GiB below protocol 4")
		}
		e.writeLarge(binary.LittleEndian.AppendUint64([]byte{opBinBytes8}, uint64(n)), b)
	default:
		e.writeLarge(binary.LittleEndian.AppendUint32([]byte{opBinBytes}, uint32(n)), b)
	}
	e.memoize(key)
	return nil
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func (e *encoder) saveByteArray(b ByteArray) error {
	if e.proto < 5 {
		if len(b) == 0 {
			return e.saveReduce(gByteArray, freshTuple{}, nil)
		}
		return e.saveReduce(gByteArray, freshTuple{stateBytes(b)}, nil)
	}
	e.writeLarge(binary.LittleEndian.AppendUint64([]byte{opByteArray8}, uint64(len(b))), b)
	e.memoize(nil)
	return nil
}

func (e *encoder) enter() error {
	e.depth++
	if e.depth > defaultMaxDepth {
		return encErr(ErrTooDeep, "nesting deeper than %d", defaultMaxDepth)
	}
	return nil
}

func (e *encoder) saveList(items []any, key any) error {
	if ok, err := e.fetch(key); ok {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	e.write(opEmptyList)
	e.memoize(key)
	e.setActive(key, true)
	defer e.setActive(key, false)
	if len(items) == 1 {
		if err := e.save(items[0]); err != nil {
			return err
		}
		e.write(opAppend)
		return nil
	}
	for i := 0; i < len(items); i += batchSize {
		e.write(opMark)
		for _, it := range items[i:min(i+batchSize, len(items))] {
			if err := e.save(it); err != nil {
				return err
			}
		}
		e.write(opAppends)
	}
	return nil
}

// saveDict writes a dict in insertion order. The C pickler's batching loop
// runs again after a full batch, so a dict whose size is a multiple of 1000
// ends with an empty MARK SETITEMS.
func (e *encoder) saveDict(key any, d any, n int, all func(func(any, any) bool)) error {
	if ok, err := e.fetch(key); ok {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	e.write(opEmptyDict)
	e.memoize(key)
	e.setActive(key, true)
	defer e.setActive(key, false)
	if n == 0 {
		return nil
	}
	var err error
	if n == 1 {
		all(func(k, v any) bool {
			if err = e.save(k); err == nil {
				err = e.save(v)
			}
			return false
		})
		e.write(opSetItem)
		return err
	}
	i := 0
	e.write(opMark)
	all(func(k, v any) bool {
		if err = e.save(k); err == nil {
			err = e.save(v)
		}
		if err != nil {
			return false
		}
		if i++; i == batchSize {
			e.write(opSetItems, opMark)
			i = 0
		}
		return true
	})
	e.write(opSetItems)
	return err
}

func (e *encoder) saveTuple(items []any, key any) error {
	if ok, err := e.fetch(key); ok {
		return err
	}
	if len(items) == 0 {
		e.write(opEmptyTuple)
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	if len(items) > 3 {
		e.write(opMark)
	}
	for _, it := range items {
		if err := e.save(it); err != nil {
			return err
		}
	}
	if len(items) > 3 {
		e.write(opTuple)
	} else {
		e.write(opTuple1 + byte(len(items)-1))
	}
	e.memoize(key)
	return nil
}

// saveSet writes EMPTY_SET and ADDITEMS batches (protocol 4+), or
// builtins.set(list) below. Like dicts, a full last batch is followed by an
// empty one.
func (e *encoder) saveSet(items Set) error {
	key := identity(2, items)
	if ok, err := e.fetch(key); ok {
		return err
	}
	if e.proto < 4 {
		return e.saveReduce(gSet, freshTuple{freshList(items)}, key)
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	e.write(opEmptySet)
	e.memoize(key)
	e.setActive(key, true)
	defer e.setActive(key, false)
	if len(items) == 0 {
		return nil
	}
	for i := 0; ; i += batchSize {
		e.write(opMark)
		end := min(i+batchSize, len(items))
		for _, it := range items[i:end] {
			if err := e.save(it); err != nil {
				return err
			}
		}
		e.write(opAddItems)
		if end-i < batchSize {
			return nil
		}
	}
}

func (e *encoder) saveFrozenSet(items FrozenSet) error {
	key := identity(3, items)
	if ok, err := e.fetch(key); ok {
		return err
	}
	if e.proto < 4 {
		return e.saveReduce(gFrozenSet, freshTuple{freshList(items)}, key)
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer func() { e.depth-- }()
	e.write(opMark)
	for _, it := range items {
		if err := e.save(it); err != nil {
			return err
		}
	}
	e.write(opFrozenSet)
	e.memoize(key)
	return nil
}

// saveGlobal writes module and name (STACK_GLOBAL from protocol 4, GLOBAL
// with Python 2 module names below 3) and memoizes the global object.
func (e *encoder) saveGlobal(kind globalKind) error {
	key := globalKey(kind)
	if ok, err := e.fetch(key); ok {
		return err
	}
	g := globalNames[kind]
	if e.proto >= 4 {
		// Which of these strings are one object with an equal (interned)
		// data str follows CPython 3.11: a type's module name is interned,
		// a builtin function's (getattr) is not; the qualified name of a C
		// type or function is a new str each time, a Python class's is
		// interned. (3.12+ no longer interns "decimal" and "zoneinfo"; that
		// only matters for a session holding exactly those strings.)
		var module any = g.module
		if kind == gGetattr {
			module = freshStr(g.module)
		}
		if err := e.save(module); err != nil {
			return err
		}
		var name any = freshStr(g.name)
		if kind == gUUID || kind == gPytzUTC || kind == gPytzP {
			name = g.name
		}
		if err := e.save(name); err != nil {
			return err
		}
		e.write(opStackGlobal)
	} else {
		e.write(opGlobal)
		e.writeString(py2Module(g.module, e.proto) + "\n" + g.name + "\n")
	}
	e.memoize(key)
	return nil
}

// saveReduce is CPython's save_reduce for (callable, args): callable is a
// global kind or zoneUnpickleObj.
func (e *encoder) saveReduce(callable any, args freshTuple, key any) error {
	var err error
	if k, ok := callable.(globalKind); ok {
		err = e.saveGlobal(k)
	} else {
		err = e.save(callable)
	}
	if err != nil {
		return err
	}
	if err := e.saveTuple(args, nil); err != nil {
		return err
	}
	e.write(opReduce)
	e.memoize(key)
	return nil
}

// normalize maps Go conveniences onto the value model.
func normalize(v any) (any, bool) {
	switch x := v.(type) {
	case int, int8, int16, int32, uint, uint8, uint16, uint32, uint64, float32, big.Int:
		d := pyjson.NewDict(1)
		d.Set("", x) // pyjson's own normalization of Go numeric kinds
		n, _ := d.Get("")
		return n, true
	case []byte:
		return Bytes(x), true
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = s
		}
		return l, true
	case map[string]any:
		return sortedDict(x), true
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = v
		}
		return sortedDict(m), true
	case time.Time:
		return DatetimeOf(x), true
	}
	return nil, false
}

func sortedDict(m map[string]any) *pyjson.Dict {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d := pyjson.NewDict(len(keys))
	for _, k := range keys {
		d.Set(k, m[k])
	}
	return d
}
