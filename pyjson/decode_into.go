package pyjson

import (
	"encoding/json"
	"fmt"
	"math"
)

// Decode stores a decoded value v into target, a non-nil pointer, for the
// common case of reading session data into Go types:
//
//   - *any receives v itself, and **Dict and *[]any receive it when it has
//     that type (sharing, not copying, its contents); a *Dict receives a deep
//     copy of a dict;
//   - anything else (structs, maps, slices, strings, numbers) is filled by
//     encoding/json from Marshal(v), so json struct tags apply and field
//     names match as encoding/json matches them.
//
// Through encoding/json, a Python int fills Go integer fields (or big.Int)
// and float fields, a Python float fills only float fields (1.0 does not fill
// an int64: the types stay apart), and a dict fills a struct, a map or a
// *Dict field. Fields typed any receive encoding/json's generic types
// (float64 for every number); declare them *Dict or a concrete type to keep
// Python's meaning. NaN and Infinity have no form encoding/json accepts, so a
// value holding one cannot be decoded this way (except into *any).
func Decode(v any, target any) error {
	switch t := target.(type) {
	case nil:
		return fmt.Errorf("pyjson: Decode into nil")
	case *any:
		*t = v
		return nil
	case **Dict:
		if d, ok := v.(*Dict); ok {
			*t = d
			return nil
		}
	case *Dict:
		if d, ok := v.(*Dict); ok {
			*t = *d.Clone()
			return nil
		}
	case *[]any:
		if l, ok := v.([]any); ok {
			*t = l
			return nil
		}
	}
	if hasNonFinite(v, 0) {
		return fmt.Errorf("pyjson: Decode into %T: NaN and Infinity cannot be decoded by encoding/json", target)
	}
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, target); err != nil {
		return fmt.Errorf("pyjson: Decode into %T: %w", target, err)
	}
	return nil
}

func hasNonFinite(v any, depth int) bool {
	if depth > MaxDepth {
		return false // Marshal will report the depth
	}
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x) || math.IsInf(x, 0)
	case []any:
		for _, e := range x {
			if hasNonFinite(e, depth+1) {
				return true
			}
		}
	case *Dict:
		for i := range x.entries {
			if hasNonFinite(x.entries[i].value(), depth+1) {
				return true
			}
		}
	}
	return false
}
