package pickle

import (
	"iter"
	"slices"

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
	index      map[keyDigest]int
}

// NewMap returns an empty Map.
func NewMap() *Map { return &Map{index: map[keyDigest]int{}} }

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
	var h hasher
	if !m.set(&h, k, v) {
		return encErr(ErrUnsupported, "unhashable type: '%s'", TypeName(k))
	}
	return nil
}

// set is Set with the caller's hasher, so that the decoder hashes each
// object once however many keys share it; false when k is unhashable or
// h's context is done (h.err).
func (m *Map) set(h *hasher, k, v any) bool {
	key, nan, ok := h.key(k)
	if !ok {
		return false
	}
	if m.index == nil {
		m.index = map[keyDigest]int{}
	}
	if !nan {
		if i, ok := m.index[key]; ok {
			m.vals[i] = v
			return true
		}
		m.index[key] = len(m.keys)
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	return true
}

// Get returns m[k] and whether it is present.
func (m *Map) Get(k any) (any, bool) {
	if m == nil {
		return nil, false
	}
	var h hasher
	key, nan, ok := h.key(k)
	if !ok || nan {
		return nil, false
	}
	i, ok := m.index[key]
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
