package pickle

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
	"unicode/utf8"
)

// Options bound what Unmarshal accepts. A zero field takes its default.
type Options struct {
	// MaxSize is the largest input accepted, in bytes. Default 16 MiB: a
	// Django session pickle is a few KiB, and memcached's default item limit
	// is 1 MiB.
	MaxSize int64
	// MaxDepth is the deepest nesting of containers (lists, dicts, tuples,
	// sets) accepted; it also bounds the number of open MARKs. Default 1000,
	// about where CPython's pickler itself hits its recursion limit.
	MaxDepth int
	// MaxItems bounds the size of the decoded value: every value counts once
	// for each place it appears (so shared references are expanded), and the
	// stack and memo can hold no more. Default 1<<20.
	MaxItems int
}

// DefaultMaxSize is Options.MaxSize when it is zero, and the largest pickle
// Marshal writes. A store that keeps pickles compressed (zlib in a cache)
// inflates no further than this: a larger pickle would be refused anyway.
const DefaultMaxSize = 16 << 20

const (
	defaultMaxDepth = 1000
	defaultMaxItems = 1 << 20
)

func (o Options) withDefaults() Options {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = defaultMaxDepth
	}
	if o.MaxItems <= 0 {
		o.MaxItems = defaultMaxItems
	}
	return o
}

// Unmarshal decodes a pickle of protocol 2 to 5 into the value model with
// the default Options. See the package documentation for the types and the
// safe subset; a pickle outside it fails with ErrRefused and never yields
// a partial value.
func Unmarshal(data []byte) (any, error) { return UnmarshalOptions(data, Options{}) }

// UnmarshalOptions is Unmarshal with explicit limits.
func UnmarshalOptions(data []byte, o Options) (any, error) {
	return UnmarshalContext(context.Background(), data, o)
}

// UnmarshalContext is UnmarshalOptions that gives up when ctx is done, so
// that the decode of a value fetched within a deadline keeps to it. The
// limits bound the work to the size of the input; ctx bounds its time. The
// decoder looks at ctx every few thousand opcodes and values hashed, and
// then returns an error that wraps ctx.Err() (so errors.Is(err,
// context.DeadlineExceeded) works) and is not an *Error: the pickle was
// not found wrong, only not read in time.
func UnmarshalContext(ctx context.Context, data []byte, o Options) (any, error) {
	o = o.withDefaults()
	if int64(len(data)) > o.MaxSize {
		return nil, &Error{Kind: ErrTooLarge, Offset: 0, Msg: fmt.Sprintf("input of %d bytes exceeds MaxSize %d", len(data), o.MaxSize)}
	}
	d := &decoder{data: data, opts: o}
	if ctx.Done() != nil {
		d.ctx, d.hash.ctx = ctx, ctx
		if err := ctx.Err(); err != nil {
			return nil, d.stopped(err)
		}
	}
	return d.run()
}

type decoder struct {
	data  []byte
	pos   int // next byte to read
	op    int // offset of the current opcode, for errors
	opts  Options
	proto int

	stack []any
	marks []int
	// memo holds entries 0..len(memo)-1 as CPython's memo array; an index
	// beyond it (possible with BINPUT, never written by CPython) goes to
	// sparse, so a LONG_BINPUT of 2^32-1 cannot make us allocate.
	memo   []any
	sparse map[uint32]any
	items  int // elements added to containers so far

	hash  hasher          // digests of set elements and dict keys, each object hashed once
	ctx   context.Context // nil when it can never be done
	steps int             // opcodes run and nodes resolved, for looking at ctx
}

// tick counts one step of work and, every ctxEvery steps, looks at ctx.
func (d *decoder) tick() error {
	d.steps++
	if d.ctx == nil || d.steps%ctxEvery != 0 {
		return nil
	}
	if err := d.ctx.Err(); err != nil {
		return d.stopped(err)
	}
	return nil
}

// stopped is the error of a decode that ctx ended.
func (d *decoder) stopped(err error) error {
	return fmt.Errorf("pickle: decoding stopped at offset %d: %w", d.op, err)
}

func (d *decoder) fail(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Offset: d.op, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) truncated() error { return d.fail(ErrMalformed, "pickle data was truncated") }

func (d *decoder) read(n uint64) ([]byte, error) {
	if n > uint64(len(d.data)-d.pos) {
		return nil, d.truncated()
	}
	b := d.data[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

func (d *decoder) readUint(size int) (uint64, error) {
	b, err := d.read(uint64(size))
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(b)), nil
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (d *decoder) push(v any) error {
	if len(d.stack) >= d.opts.MaxItems {
		return d.fail(ErrTooLarge, "stack exceeds MaxItems %d", d.opts.MaxItems)
	}
	d.stack = append(d.stack, v)
	return nil
}

func (d *decoder) pop() (any, error) {
	n := len(d.stack)
	if n == 0 || (len(d.marks) > 0 && d.marks[len(d.marks)-1] == n) {
		return nil, d.fail(ErrMalformed, "unpickling stack underflow")
	}
	v := d.stack[n-1]
	d.stack = d.stack[:n-1]
	return v, nil
}

// popMark removes the items pushed since the last MARK and returns them
// (aliasing the stack: callers copy what they keep).
func (d *decoder) popMark() ([]any, error) {
	if len(d.marks) == 0 {
		return nil, d.fail(ErrMalformed, "could not find MARK")
	}
	k := d.marks[len(d.marks)-1]
	d.marks = d.marks[:len(d.marks)-1]
	items := d.stack[k:]
	d.stack = d.stack[:k]
	return items, nil
}

func (d *decoder) top() (any, error) {
	n := len(d.stack)
	if n == 0 || (len(d.marks) > 0 && d.marks[len(d.marks)-1] == n) {
		return nil, d.fail(ErrMalformed, "unpickling stack underflow")
	}
	return d.stack[n-1], nil
}

func (d *decoder) addItems(n int) error {
	d.items += n
	if d.items > d.opts.MaxItems {
		return d.fail(ErrTooLarge, "more than MaxItems %d container items", d.opts.MaxItems)
	}
	return nil
}

func (d *decoder) memoPut(idx uint64) error {
	v, err := d.top()
	if err != nil {
		return err
	}
	switch {
	case idx < uint64(len(d.memo)):
		d.memo[idx] = v
		return nil
	case len(d.memo)+len(d.sparse) >= d.opts.MaxItems:
		return d.fail(ErrTooLarge, "memo exceeds MaxItems %d", d.opts.MaxItems)
	case idx == uint64(len(d.memo)):
		d.memo = append(d.memo, v)
	default:
		if d.sparse == nil {
			d.sparse = map[uint32]any{}
		}
		d.sparse[uint32(idx)] = v
	}
	return nil
}

func (d *decoder) memoGet(idx uint64) error {
	if idx < uint64(len(d.memo)) {
		return d.push(d.memo[idx])
	}
	if v, ok := d.sparse[uint32(idx)]; ok && idx <= math.MaxUint32 {
		return d.push(v)
	}
	return d.fail(ErrMalformed, "memo value not found at index %d", idx)
}

// node is a container under construction. Lists, dicts and sets grow after
// they are pushed (and may already be in the memo), so the stack and memo
// hold *node and the Go values are built once, at STOP (see resolve.go).
type node struct {
	kind   nodeKind
	items  []any // dicts: key, value, key, value...
	state  uint8
	out    any
	height int
	size   int
}

type nodeKind uint8

const (
	kList nodeKind = iota
	kDict
	kTuple
	kSet
	kFrozenSet
)

func (d *decoder) run() (any, error) {
	if len(d.data) == 0 {
		return nil, d.truncated()
	}
	if d.data[0] != opProto {
		return nil, d.fail(ErrRefused, "no PROTO opcode: protocol 0 and 1 pickles are outside the safe subset")
	}
	for {
		d.op = d.pos
		if d.pos >= len(d.data) {
			return nil, d.truncated()
		}
		op := d.data[d.pos]
		d.pos++
		if op == opStop {
			v, err := d.pop()
			if err != nil {
				return nil, err
			}
			return d.finish(v)
		}
		if err := d.step(op); err != nil {
			return nil, err
		}
		if err := d.tick(); err != nil {
			return nil, err
		}
	}
}

func (d *decoder) step(op byte) error {
	switch op {
	case opProto:
		if d.op != 0 {
			return d.fail(ErrMalformed, "PROTO after the first opcode")
		}
		v, err := d.readUint(1)
		if err != nil {
			return err
		}
		if v < 2 || v > 5 {
			kind := ErrMalformed
			if v < 2 {
				kind = ErrRefused
			}
			return d.fail(kind, "unsupported pickle protocol: %d", v)
		}
		d.proto = int(v)
	case opFrame:
		n, err := d.readUint(8)
		if err != nil {
			return err
		}
		if n > uint64(len(d.data)-d.pos) {
			return d.fail(ErrMalformed, "frame of %d bytes exceeds the input", n)
		}
	case opNone:
		return d.push(nil)
	case opNewTrue:
		return d.push(true)
	case opNewFalse:
		return d.push(false)
	case opBinInt1, opBinInt2:
		size := 1
		if op == opBinInt2 {
			size = 2
		}
		v, err := d.readUint(size)
		if err != nil {
			return err
		}
		return d.push(int64(v))
	case opBinInt:
		v, err := d.readUint(4)
		if err != nil {
			return err
		}
		return d.push(int64(int32(uint32(v))))
	case opLong1, opLong4:
		return d.long(op)
	case opBinFloat:
		b, err := d.read(8)
		if err != nil {
			return err
		}
		return d.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case opShortBinUnicode, opBinUnicode, opBinUnicode8:
		return d.unicode(op)
	case opShortBinBytes, opBinBytes, opBinBytes8, opByteArray8:
		return d.bytes(op)
	case opMark:
		if len(d.marks) >= d.opts.MaxDepth {
			return d.fail(ErrTooDeep, "more than MaxDepth %d open MARKs", d.opts.MaxDepth)
		}
		d.marks = append(d.marks, len(d.stack))
	case opEmptyList:
		return d.push(&node{kind: kList})
	case opEmptyDict:
		return d.push(&node{kind: kDict})
	case opEmptySet:
		return d.push(&node{kind: kSet})
	case opEmptyTuple:
		return d.push(&node{kind: kTuple})
	case opAppend, opSetItem:
		return d.addOne(op)
	case opAppends, opSetItems, opAddItems:
		return d.addMany(op)
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(d.stack) < n || (len(d.marks) > 0 && len(d.stack)-n < d.marks[len(d.marks)-1]) {
			return d.fail(ErrMalformed, "unpickling stack underflow")
		}
		items := slices.Clone(d.stack[len(d.stack)-n:])
		d.stack = d.stack[:len(d.stack)-n]
		return d.push(&node{kind: kTuple, items: items})
	case opTuple, opFrozenSet:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		kind := kTuple
		if op == opFrozenSet {
			kind = kFrozenSet
		}
		if err := d.addItems(len(items)); err != nil {
			return err
		}
		return d.push(&node{kind: kind, items: slices.Clone(items)})
	case opMemoize:
		return d.memoPut(uint64(len(d.memo) + len(d.sparse)))
	case opBinPut, opLongBinPut:
		size := 1
		if op == opLongBinPut {
			size = 4
		}
		idx, err := d.readUint(size)
		if err != nil {
			return err
		}
		return d.memoPut(idx)
	case opBinGet, opLongBinGet:
		size := 1
		if op == opLongBinGet {
			size = 4
		}
		idx, err := d.readUint(size)
		if err != nil {
			return err
		}
		return d.memoGet(idx)
	case opGlobal:
		return d.global()
	case opStackGlobal:
		return d.stackGlobal()
	case opReduce:
		return d.reduce()
	case opNewObj:
		return d.newObj()
	case opBuild:
		return d.build()
	default:
		if name, ok := opNames[op]; ok {
			return d.fail(ErrRefused, "opcode %s is outside the safe subset", name)
		}
		return d.fail(ErrMalformed, "invalid load key 0x%02x", op)
	}
	return nil
}

func (d *decoder) long(op byte) error {
	var n uint64
	if op == opLong1 {
		v, err := d.readUint(1)
		if err != nil {
			return err
		}
		n = v
	} else {
		v, err := d.readUint(4)
		if err != nil {
			return err
		}
		if int32(uint32(v)) < 0 {
			return d.fail(ErrMalformed, "LONG pickle has negative byte count")
		}
		n = v
	}
	b, err := d.read(n)
	if err != nil {
		return err
	}
	return d.push(decodeLong(b))
}

// decodeLong reads little-endian two's complement, returning int64 when the
// value fits (the value model's rule) and *big.Int otherwise.
func decodeLong(b []byte) any {
	if len(b) <= 8 {
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		if len(b) > 0 && len(b) < 8 && b[len(b)-1]&0x80 != 0 {
			u |= ^uint64(0) << (8 * len(b)) // sign-extend
		}
		return int64(u)
	}
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	x := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if x.IsInt64() {
		return x.Int64()
	}
	return x
}

func (d *decoder) lengthPrefixed(size int) ([]byte, error) {
	n, err := d.readUint(size)
	if err != nil {
		return nil, err
	}
	return d.read(n) // checked against the remaining input before any copy
}

// argSize is the width of the length argument of a str or bytes opcode.
func argSize(op byte) int {
	switch op {
	case opShortBinUnicode, opShortBinBytes:
		return 1
	case opBinUnicode, opBinBytes:
		return 4
	}
	return 8
}

func (d *decoder) unicode(op byte) error {
	b, err := d.lengthPrefixed(argSize(op))
	if err != nil {
		return err
	}
	if !validWTF8(b) {
		return d.fail(ErrMalformed, "invalid UTF-8 in str")
	}
	return d.push(string(b))
}

func (d *decoder) bytes(op byte) error {
	b, err := d.lengthPrefixed(argSize(op))
	if err != nil {
		return err
	}
	if op == opByteArray8 {
		return d.push(ByteArray(append([]byte{}, b...)))
	}
	return d.push(Bytes(append([]byte{}, b...)))
}

// validWTF8 accepts what Python's UTF-8 decoder accepts with
// errors="surrogatepass", which is how pickle decodes str: UTF-8 plus the
// 3-byte forms of U+D800–U+DFFF. Those are kept as they are, the same WTF-8
// bytes package pyjson uses for lone surrogates.
func validWTF8(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if b[i] == 0xED && i+2 < len(b) && b[i+1] >= 0xA0 && b[i+1] <= 0xBF && b[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		i += n
	}
	return true
}

func (d *decoder) addOne(op byte) error {
	v, err := d.pop()
	if err != nil {
		return err
	}
	want, name := kList, "APPEND"
	var k any
	if op == opSetItem {
		want, name = kDict, "SETITEM"
		if k, err = d.pop(); err != nil {
			return err
		}
	}
	t, err := d.top()
	if err != nil {
		return err
	}
	n, ok := t.(*node)
	if !ok || n.kind != want {
		return d.fail(ErrMalformed, "%s on a %s", name, describe(t))
	}
	if err := d.addItems(1); err != nil {
		return err
	}
	if op == opSetItem {
		n.items = append(n.items, k, v)
	} else {
		n.items = append(n.items, v)
	}
	return nil
}

func (d *decoder) addMany(op byte) error {
	items, err := d.popMark()
	if err != nil {
		return err
	}
	want, name := kList, "APPENDS"
	switch op {
	case opSetItems:
		want, name = kDict, "SETITEMS"
	case opAddItems:
		want, name = kSet, "ADDITEMS"
	}
	t, err := d.top()
	if err != nil {
		return err
	}
	n, ok := t.(*node)
	if !ok || n.kind != want {
		return d.fail(ErrMalformed, "%s on a %s", name, describe(t))
	}
	if op == opSetItems && len(items)%2 != 0 {
		return d.fail(ErrMalformed, "odd number of items for SETITEMS")
	}
	if err := d.addItems(len(items)); err != nil {
		return err
	}
	n.items = append(n.items, items...)
	return nil
}

// describe names a stack value in errors without quoting its content.
func describe(v any) string {
	switch x := v.(type) {
	case *node:
		return [...]string{"list", "dict", "tuple", "set", "frozenset"}[x.kind]
	case globalRef:
		return "global " + x.module + "." + x.name
	case *uuidNode:
		return "uuid.UUID"
	case zoneUnpickler:
		return "zoneinfo.ZoneInfo._unpickle"
	}
	return TypeName(v)
}
