package pyjson

import (
	"fmt"
	"math"
	"math/big"
)

// normalizeScalar maps Go's numeric kinds onto the value model (int64,
// *big.Int beyond int64, float64). Other values are returned unchanged.
func normalizeScalar(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return uint64ToValue(uint64(x))
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return uint64ToValue(x)
	case float32:
		return float64(x)
	case *big.Int:
		if x != nil && x.IsInt64() {
			return x.Int64()
		}
	case big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return new(big.Int).Set(&x)
	}
	return v
}

func uint64ToValue(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return new(big.Int).SetUint64(u)
}

// Equal reports whether a and b are the same Python value of the same Python
// type, for tests and change detection. It checks:
//
//   - nil, bool, string: same type and ==. A bool never equals an int
//     (unlike Python, where True == 1).
//   - int: int64 and *big.Int compare by numeric value, so int64(5) equals
//     big.NewInt(5) (both are Python int). An int never equals a float
//     (unlike Python, where 1 == 1.0).
//   - float64: the same number with the same sign, so -0.0 differs from 0.0
//     (they encode differently) and NaN equals NaN.
//   - []any: same length and Equal items.
//   - *Dict: same keys in the same order with Equal values.
//
// Values outside the value model are never equal (even to themselves), and
// neither are values nested deeper than MaxDepth levels.
func Equal(a, b any) bool { return equalValue(a, b, 0) }

func equalValue(a, b any, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case *big.Int:
			return y != nil && y.IsInt64() && y.Int64() == x
		}
		return false
	case *big.Int:
		if x == nil {
			return false
		}
		switch y := b.(type) {
		case int64:
			return x.IsInt64() && x.Int64() == y
		case *big.Int:
			return y != nil && x.Cmp(y) == 0
		}
		return false
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		return x == y && math.Signbit(x) == math.Signbit(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValue(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case *Dict:
		y, ok := b.(*Dict)
		return ok && equalDict(x, y, depth)
	}
	return false
}

func equalDict(x, y *Dict, depth int) bool {
	if x.Len() != y.Len() {
		return false
	}
	for i := 0; i < x.Len(); i++ {
		ex, ey := x.entries[i], y.entries[i]
		if ex.key != ey.key || !equalValue(ex.valueAll(), ey.valueAll(), depth+1) {
			return false
		}
	}
	return true
}

// TypeName returns the Python type name of a value in the model ("NoneType",
// "bool", "int", "float", "str", "list", "dict"), and the Go type (as %T
// prints it) for anything else.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case *Dict:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// Truthy is Python's bool(v) for the values of this model: None, False,
// zero, "", and empty lists and dicts are false; everything else is true.
// Django's session code tests values this way ("if not expiry").
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case *big.Int:
		return x.Sign() != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case *Dict:
		return x.Len() > 0
	}
	return true
}
