package pickle

import (
	"fmt"
	"iter"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/djsession/djsession/pyjson"
)

// A Map is a Python dict with at least one key that is not a str, e.g.
// {42: 3} or {(1, 2): "x"}. Unmarshal returns a *pyjson.Dict for every dict
// whose keys are all str (every session Django writes with the JSON
// serializer, and every session dict itself) and a *Map only when it must,
// so the common case stays in the shared value model.
//
// Keys keep insertion order. They compare as Python's dict does for the
// types sessions hold: 1, 1.0 and True are the same key, and so are two
// equal tuples; NaN is never equal to anything. Two Decimal keys are the
// same key only when their strings are equal (Python would also match
// Decimal("1.0") with 1), and datetimes compare field by field, tzinfo
// included (Python compares aware datetimes as instants). Only hashable
// values can be keys: not lists, dicts, sets or bytearrays.
type Map struct {
	keys, vals []any
	index      map[string]int
}

// NewMap returns an empty Map.
func NewMap() *Map { return &Map{index: map[string]int{}} }

// Len returns the number of entries.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.keys)
}

// Set sets m[k] = v; an existing equal key keeps its position and its
// original key object, as in Python. It fails (ErrUnsupported) for an
// unhashable key.
func (m *Map) Set(k, v any) error {
	h, ok := hashKey(k)
	if !ok {
		return encErr(ErrUnsupported, "unhashable type: '%s'", TypeName(k))
	}
	if m.index == nil {
		m.index = map[string]int{}
	}
	if h != "" {
		if i, ok := m.index[h]; ok {
			m.vals[i] = v
			return nil
		}
		m.index[h] = len(m.keys)
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	return nil
}

// Get returns m[k] and whether it is present.
func (m *Map) Get(k any) (any, bool) {
	if m == nil {
		return nil, false
	}
	h, ok := hashKey(k)
	if !ok || h == "" {
		return nil, false
	}
	i, ok := m.index[h]
	if !ok {
		return nil, false
	}
	return m.vals[i], true
}

// Keys returns the keys in order, in a new slice.
func (m *Map) Keys() []any {
	if m == nil {
		return nil
	}
	return slices.Clone(m.keys)
}

// All iterates over the entries in insertion order.
func (m *Map) All() iter.Seq2[any, any] {
	return func(yield func(any, any) bool) {
		if m == nil {
			return
		}
		for i := range m.keys {
			if !yield(m.keys[i], m.vals[i]) {
				return
			}
		}
	}
}

// hashKey returns a string that is equal for two values exactly when Python
// would treat them as the same dict key or set element, and false for an
// unhashable value. NaN gets "" (never equal, not even to itself).
func hashKey(v any) (string, bool) {
	var b strings.Builder
	if !writeHashKey(&b, v, 0) {
		return "", false
	}
	return b.String(), true
}

func writeHashKey(b *strings.Builder, v any, depth int) bool {
	if depth > defaultMaxDepth {
		return false
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("N;")
	case bool:
		if x {
			b.WriteString("i1;")
		} else {
			b.WriteString("i0;")
		}
	case int64:
		b.WriteString("i")
		b.WriteString(strconv.FormatInt(x, 10))
		b.WriteString(";")
	case *big.Int:
		if x == nil {
			return false
		}
		b.WriteString("i")
		b.WriteString(x.String())
		b.WriteString(";")
	case float64:
		switch {
		case math.IsNaN(x):
			if depth == 0 {
				b.Reset()
				return true
			}
			return false // a tuple holding NaN: no stable key, refuse
		case !math.IsInf(x, 0) && x == math.Trunc(x):
			bi, _ := big.NewFloat(x).Int(nil)
			b.WriteString("i")
			b.WriteString(bi.String())
			b.WriteString(";")
		default:
			b.WriteString("f")
			b.WriteString(strconv.FormatUint(math.Float64bits(x), 16))
			b.WriteString(";")
		}
	case string:
		writeLenPrefixed(b, 's', x)
	case Bytes:
		writeLenPrefixed(b, 'b', string(x))
	case Decimal:
		writeLenPrefixed(b, 'd', string(x))
	case Tuple:
		b.WriteString("t" + strconv.Itoa(len(x)) + "(")
		for _, e := range x {
			if !writeHashKey(b, e, depth+1) {
				return false
			}
		}
		b.WriteString(")")
	case FrozenSet:
		keys := make([]string, 0, len(x))
		for _, e := range x {
			k, ok := hashKey(e)
			if !ok || k == "" {
				return false
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		b.WriteString("z" + strconv.Itoa(len(keys)) + "(")
		for _, k := range keys {
			writeLenPrefixed(b, 'k', k)
		}
		b.WriteString(")")
	case Datetime, Date, Time, Timedelta, UUID, Timezone, PytzUTC, PytzZone, ZoneInfo:
		writeLenPrefixed(b, 'D', fmt.Sprintf("%#v", x))
	default:
		return false
	}
	return true
}

func writeLenPrefixed(b *strings.Builder, tag byte, s string) {
	b.WriteByte(tag)
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteByte(':')
	b.WriteString(s)
}

// TypeName returns the Python type name of a value of the model, including
// the types of this package ("bytes", "tuple", "set", "datetime.datetime",
// "decimal.Decimal"...), and the Go type for anything else.
func TypeName(v any) string {
	switch v.(type) {
	case Bytes:
		return "bytes"
	case ByteArray:
		return "bytearray"
	case Tuple:
		return "tuple"
	case Set:
		return "set"
	case FrozenSet:
		return "frozenset"
	case *Map:
		return "dict"
	case Decimal:
		return "decimal.Decimal"
	case UUID:
		return "uuid.UUID"
	case Datetime:
		return "datetime.datetime"
	case Date:
		return "datetime.date"
	case Time:
		return "datetime.time"
	case Timedelta:
		return "datetime.timedelta"
	case Timezone:
		return "datetime.timezone"
	case PytzUTC:
		return "pytz.UTC"
	case PytzZone:
		return "pytz.tzinfo"
	case ZoneInfo:
		return "zoneinfo.ZoneInfo"
	}
	return pyjson.TypeName(v)
}
