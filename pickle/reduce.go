package pickle

import (
	"bytes"
	"math/big"
	"strconv"
	"unicode/utf8"
)

// This file turns allowlisted globals into values. Each global is accepted
// only in the exact shape CPython's pickler writes for it; anything else,
// even a call Python would accept (datetime.datetime(2024, 1, 2)), is
// refused, so the decoder has one code path per type to get right.

// uuidNode is a uuid.UUID between NEWOBJ and BUILD. It is a pointer because
// CPython memoizes the object before BUILD fills it in.
type uuidNode struct {
	built bool
	val   UUID
}

// zoneUnpickler is the bound method getattr(zoneinfo.ZoneInfo, '_unpickle').
type zoneUnpickler struct{}

const maxGlobalLine = 256 // longer than any allowlisted module or name

func (d *decoder) global() error {
	module, err := d.line()
	if err != nil {
		return err
	}
	name, err := d.line()
	if err != nil {
		return err
	}
	return d.resolveGlobal(module, name)
}

// line reads a GLOBAL argument: text up to '\n'.
func (d *decoder) line() (string, error) {
	end := min(len(d.data), d.pos+maxGlobalLine+1)
	i := bytes.IndexByte(d.data[d.pos:end], '\n')
	if i < 0 {
		if end == len(d.data) {
			return "", d.truncated()
		}
		return "", d.fail(ErrRefused, "GLOBAL name longer than %d bytes", maxGlobalLine)
	}
	s := string(d.data[d.pos : d.pos+i])
	d.pos += i + 1
	return s, nil
}

func (d *decoder) stackGlobal() error {
	name, err := d.pop()
	if err != nil {
		return err
	}
	module, err := d.pop()
	if err != nil {
		return err
	}
	m, ok1 := module.(string)
	n, ok2 := name.(string)
	if !ok1 || !ok2 {
		return d.fail(ErrMalformed, "STACK_GLOBAL requires str")
	}
	return d.resolveGlobal(m, n)
}

func (d *decoder) resolveGlobal(module, name string) error {
	g := global{py3Module(module, d.proto), name}
	kind, ok := allowlist[g]
	if !ok {
		return d.fail(ErrRefused, "global %s.%s is not on the allowlist", quoteName(module), quoteName(name))
	}
	return d.push(globalRef{kind, g})
}

// quoteName shows an attacker-chosen name safely in a log line.
func quoteName(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	q := strconv.Quote(s)
	if q[1:len(q)-1] == s && utf8.ValidString(s) {
		return s
	}
	return q
}

func (d *decoder) refuse(callable any, args []any) error {
	return d.fail(ErrRefused, "%s called with %s", describe(callable), describeArgs(args))
}

func describeArgs(args []any) string {
	s := "("
	for i, a := range args {
		if i > 0 {
			s += ", "
		}
		s += describe(a)
	}
	return s + ")"
}

func (d *decoder) reduce() error {
	argsV, err := d.pop()
	if err != nil {
		return err
	}
	callable, err := d.pop()
	if err != nil {
		return err
	}
	argsN, ok := argsV.(*node)
	if !ok || argsN.kind != kTuple {
		return d.fail(ErrRefused, "REDUCE of %s with a %s argument", describe(callable), describe(argsV))
	}
	args := argsN.items
	var v any
	switch c := callable.(type) {
	case globalRef:
		v, err = d.call(c, args)
	case zoneUnpickler:
		v, err = d.zoneInfo(args)
	default:
		return d.fail(ErrRefused, "REDUCE of a %s", describe(callable))
	}
	if err != nil {
		return err
	}
	if v == nil {
		return d.refuse(callable, args)
	}
	return d.push(v)
}

// call returns nil when the shape is not the one CPython writes.
func (d *decoder) call(g globalRef, args []any) (any, error) {
	switch g.kind {
	case gDatetime:
		return d.datetime(args)
	case gDate:
		if len(args) == 1 {
			if b, ok := args[0].(Bytes); ok && len(b) == 4 {
				v := Date{int(b[0])<<8 | int(b[1]), int(b[2]), int(b[3])}
				if !validDate(v.Year, v.Month, v.Day) {
					return nil, d.fail(ErrMalformed, "invalid datetime.date state")
				}
				return v, nil
			}
		}
	case gTime:
		return d.time(args)
	case gTimedelta:
		if len(args) == 3 {
			days, ok1 := smallInt(args[0])
			secs, ok2 := smallInt(args[1])
			us, ok3 := smallInt(args[2])
			if ok1 && ok2 && ok3 {
				td := Timedelta{days, secs, us}
				if !td.valid() {
					return nil, d.fail(ErrMalformed, "timedelta arguments not normalized")
				}
				return td, nil
			}
		}
	case gTimezone:
		if len(args) == 1 || len(args) == 2 {
			off, ok := args[0].(Timedelta)
			z := Timezone{Offset: off}
			if len(args) == 2 {
				z.Name, z.HasName = args[1].(string)
				ok = ok && z.HasName
			}
			if ok {
				if !validTZ(z) {
					return nil, d.fail(ErrMalformed, "timezone offset out of range")
				}
				return z, nil
			}
		}
	case gDecimal:
		if len(args) == 1 {
			if s, ok := args[0].(string); ok {
				if !validDecimal(s) {
					return nil, d.fail(ErrMalformed, "invalid literal for decimal.Decimal")
				}
				return Decimal(s), nil
			}
		}
	case gSet, gFrozenSet:
		if len(args) == 1 {
			if l, ok := args[0].(*node); ok && l.kind == kList {
				kind := kSet
				if g.kind == gFrozenSet {
					kind = kFrozenSet
				}
				// set(list) copies the list as it is now.
				return &node{kind: kind, items: append([]any(nil), l.items...)}, nil
			}
		}
	case gBytes:
		if len(args) == 0 {
			return Bytes{}, nil
		}
	case gByteArray:
		if len(args) == 0 {
			return ByteArray{}, nil
		}
		if len(args) == 1 {
			if b, ok := args[0].(Bytes); ok {
				return ByteArray(append([]byte{}, b...)), nil
			}
		}
	case gCodecsEncode:
		if len(args) == 2 && args[1] == "latin1" {
			if s, ok := args[0].(string); ok {
				b := make(Bytes, 0, len(s))
				for _, r := range s {
					if r > 0xFF {
						return nil, d.fail(ErrMalformed, "'latin-1' codec can't encode character")
					}
					b = append(b, byte(r))
				}
				return b, nil
			}
		}
	case gGetattr:
		if len(args) == 2 && args[1] == "_unpickle" {
			if c, ok := args[0].(globalRef); ok && c.kind == gZoneInfo {
				return zoneUnpickler{}, nil
			}
		}
	case gPytzUTC:
		if len(args) == 0 {
			return PytzUTC{}, nil
		}
	case gPytzP:
		return d.pytz(args)
	}
	return nil, nil
}

// smallInt accepts a Python int that fits an int (not a bool).
func smallInt(v any) (int, bool) {
	n, ok := v.(int64)
	if !ok || n < -1<<31 || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

func (d *decoder) tzArg(args []any, n int) (TZInfo, bool) {
	if len(args) == n {
		return nil, true
	}
	if len(args) != n+1 {
		return nil, false
	}
	tz, ok := args[n].(TZInfo)
	return tz, ok
}

func (d *decoder) datetime(args []any) (any, error) {
	if len(args) < 1 {
		return nil, nil
	}
	b, ok := args[0].(Bytes)
	tz, ok2 := d.tzArg(args, 1)
	if !ok || !ok2 || len(b) != 10 {
		return nil, nil
	}
	v := Datetime{
		Year: int(b[0])<<8 | int(b[1]), Month: int(b[2] & 0x7F), Day: int(b[3]),
		Hour: int(b[4]), Minute: int(b[5]), Second: int(b[6]),
		Microsecond: int(b[7])<<16 | int(b[8])<<8 | int(b[9]),
		Fold:        int(b[2] >> 7), TZ: tz,
	}
	if !validDate(v.Year, v.Month, v.Day) || !validClock(v.Hour, v.Minute, v.Second, v.Microsecond, v.Fold) {
		return nil, d.fail(ErrMalformed, "invalid datetime.datetime state")
	}
	return v, nil
}

func (d *decoder) time(args []any) (any, error) {
	if len(args) < 1 {
		return nil, nil
	}
	b, ok := args[0].(Bytes)
	tz, ok2 := d.tzArg(args, 1)
	if !ok || !ok2 || len(b) != 6 {
		return nil, nil
	}
	v := Time{Hour: int(b[0] & 0x7F), Minute: int(b[1]), Second: int(b[2]),
		Microsecond: int(b[3])<<16 | int(b[4])<<8 | int(b[5]), Fold: int(b[0] >> 7), TZ: tz}
	if !validClock(v.Hour, v.Minute, v.Second, v.Microsecond, v.Fold) {
		return nil, d.fail(ErrMalformed, "invalid datetime.time state")
	}
	return v, nil
}

func (d *decoder) zoneInfo(args []any) (any, error) {
	if len(args) != 2 {
		return nil, nil
	}
	key, ok := args[0].(string)
	src, ok2 := args[1].(int64)
	if !ok || !ok2 || (src != 0 && src != 1) {
		return nil, nil
	}
	if !validZoneKey(key) {
		return nil, d.fail(ErrMalformed, "invalid zoneinfo key")
	}
	return ZoneInfo{Key: key, NoCache: src == 0}, nil
}

func (d *decoder) pytz(args []any) (any, error) {
	zone, ok := "", false
	if len(args) > 0 {
		zone, ok = args[0].(string)
	}
	if !ok || zone == "" {
		return nil, nil
	}
	switch len(args) {
	case 1:
		return PytzZone{Zone: zone, Static: true}, nil
	case 4:
		off, ok1 := smallInt(args[1])
		dst, ok2 := smallInt(args[2])
		name, ok3 := args[3].(string)
		if ok1 && ok2 && ok3 && off > -86400 && off < 86400 {
			return PytzZone{Zone: zone, UTCOffset: off, DST: dst, TZName: name}, nil
		}
	}
	return nil, nil
}

// newObj accepts only uuid.UUID.__new__(uuid.UUID), which is how CPython
// pickles a UUID (copyreg.__newobj__ at protocol 2+).
func (d *decoder) newObj() error {
	args, err := d.pop()
	if err != nil {
		return err
	}
	cls, err := d.pop()
	if err != nil {
		return err
	}
	g, ok := cls.(globalRef)
	a, ok2 := args.(*node)
	if !ok || g.kind != gUUID || !ok2 || a.kind != kTuple || len(a.items) != 0 {
		return d.fail(ErrRefused, "NEWOBJ of %s", describe(cls))
	}
	return d.push(&uuidNode{})
}

var uuidMax = new(big.Int).Lsh(big.NewInt(1), 128)

// build accepts only the state UUID.__getstate__ returns:
// {'int': n} or {'int': n, 'is_safe': 0 or -1}.
func (d *decoder) build() error {
	state, err := d.pop()
	if err != nil {
		return err
	}
	obj, err := d.top()
	if err != nil {
		return err
	}
	u, ok := obj.(*uuidNode)
	st, ok2 := state.(*node)
	if !ok || u.built || !ok2 || st.kind != kDict {
		return d.fail(ErrRefused, "BUILD on a %s", describe(obj))
	}
	var val UUID
	haveInt := false
	for i := 0; i+1 < len(st.items); i += 2 {
		k, v := st.items[i], st.items[i+1]
		switch k {
		case "int":
			var n *big.Int
			switch x := v.(type) {
			case int64:
				n = big.NewInt(x)
			case *big.Int:
				n = x
			}
			if n == nil || n.Sign() < 0 || n.Cmp(uuidMax) >= 0 {
				return d.fail(ErrRefused, "BUILD of uuid.UUID with an invalid 'int'")
			}
			n.FillBytes(val.Bytes[:])
			haveInt = true
		case "is_safe":
			switch v {
			case int64(0):
				val.IsSafe = UUIDSafe
			case int64(-1):
				val.IsSafe = UUIDUnsafe
			default:
				return d.fail(ErrRefused, "BUILD of uuid.UUID with an invalid 'is_safe'")
			}
		default:
			return d.fail(ErrRefused, "BUILD of uuid.UUID with an unexpected attribute")
		}
	}
	if !haveInt {
		return d.fail(ErrRefused, "BUILD of uuid.UUID without 'int'")
	}
	u.built, u.val = true, val
	return nil
}
