package pickle

import (
	"bytes"
	"math/big"

	"github.com/djsession/djsession/pyjson"
)

// Equal reports whether a and b are the same Python value of the same
// Python type, extending pyjson.Equal (whose rules it keeps for nil, bool,
// int, float, str, lists and dicts) to the types of this package, also
// inside lists and dicts: pyjson.Equal alone reports false for any dict or
// list that holds a Bytes, Tuple, Datetime...
//
//   - Bytes, ByteArray: same bytes; Tuple: same length and Equal items;
//   - Set, FrozenSet: the same elements in the same order (the order is
//     what re-encodes to the same bytes; Python ignores it);
//   - *Map: same keys (Equal) in the same order with Equal values; a *Map and
//     a *pyjson.Dict are Equal when they hold the same str keys and values;
//   - Datetime, Date, Time, Timedelta, Decimal, UUID and the tzinfo types: the same fields (an
//     aware datetime is not compared as an instant; Decimal("1.0") and
//     Decimal("1") differ, as their pickles do).
func Equal(a, b any) bool { return equal(a, b, 0) }

func equal(a, b any, depth int) bool {
	if depth > defaultMaxDepth {
		return false
	}
	switch x := a.(type) {
	case Bytes:
		y, ok := b.(Bytes)
		return ok && bytes.Equal(x, y)
	case ByteArray:
		y, ok := b.(ByteArray)
		return ok && bytes.Equal(x, y)
	case Tuple:
		y, ok := b.(Tuple)
		return ok && equalSlices(x, y, depth)
	case Set:
		y, ok := b.(Set)
		return ok && equalSlices(x, y, depth)
	case FrozenSet:
		y, ok := b.(FrozenSet)
		return ok && equalSlices(x, y, depth)
	case []any:
		y, ok := b.([]any)
		return ok && equalSlices(x, y, depth)
	case *pyjson.Dict, *Map:
		return equalDicts(a, b, depth)
	case Datetime, Date, Time, Timedelta, Decimal, UUID, Timezone, PytzUTC, PytzZone, ZoneInfo:
		return a == b
	case nil, bool, int64, *big.Int, float64, string:
		return pyjson.Equal(a, b)
	}
	return false
}

func equalSlices(x, y []any, depth int) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !equal(x[i], y[i], depth+1) {
			return false
		}
	}
	return true
}

type kv struct{ k, v any }

func dictItems(d any) ([]kv, bool) {
	var out []kv
	switch x := d.(type) {
	case *pyjson.Dict:
		for k, v := range x.All() {
			out = append(out, kv{k, v})
		}
	case *Map:
		for k, v := range x.All() {
			out = append(out, kv{k, v})
		}
	default:
		return nil, false
	}
	return out, true
}

func equalDicts(a, b any, depth int) bool {
	x, ok1 := dictItems(a)
	y, ok2 := dictItems(b)
	if !ok1 || !ok2 || len(x) != len(y) {
		return false
	}
	for i := range x {
		if !equal(x[i].k, y[i].k, depth+1) || !equal(x[i].v, y[i].v, depth+1) {
			return false
		}
	}
	return true
}
