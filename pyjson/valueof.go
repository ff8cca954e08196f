package pyjson

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// ValueOf returns v in the value model, as json.dumps would see the value
// that Go code means, so that what a handler stores is what it reads back
// and what Django reads:
//
//   - values of the model (nil, bool, string, int64, *big.Int, float64,
//     []any, *Dict) are kept, their contents converted;
//   - Go's other integer and float kinds become int64 (*big.Int beyond) and
//     float64; a pointer is its target (nil is None);
//   - a slice or array is a list ([]byte a base64 string, as encoding/json
//     writes it); a map with string (or integer, or encoding.TextMarshaler)
//     keys is a *Dict in sorted key order (a Go map has no order of its own);
//   - a struct is a *Dict of its exported fields in declaration order, named
//     and skipped by their json tags (name, "-", omitempty) as encoding/json
//     does, embedded structs flattened, so that Decode reads it back;
//   - a json.Marshaler is what its JSON decodes to; an encoding.TextMarshaler
//     is its text (time.Time is an RFC 3339 string).
//
// Anything else (channels, functions, complex numbers) is an error wrapping
// ErrUnsupportedType with Python's message ("Object of type ... is not JSON
// serializable"), as is nesting deeper than MaxDepth (ErrTooDeep).
func ValueOf(v any) (any, error) { return valueOf(v, 0) }

func valueOf(v any, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, errTooDeepEncode
	}
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return v, nil
	case *big.Int:
		if x == nil {
			return nil, nil
		}
		return normalizeScalar(x), nil
	case *Dict:
		if x == nil {
			return nil, nil
		}
		return dictValueOf(x, depth)
	case []any:
		if x == nil {
			return []any{}, nil
		}
		return listValueOf(x, depth)
	case int, int8, int16, int32, uint, uint8, uint16, uint32, uint64, float32, big.Int:
		return normalizeScalar(v), nil
	case json.Marshaler:
		b, err := x.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("pyjson: %T.MarshalJSON: %w", v, err)
		}
		return Unmarshal(b)
	case encoding.TextMarshaler:
		b, err := x.MarshalText()
		if err != nil {
			return nil, fmt.Errorf("pyjson: %T.MarshalText: %w", v, err)
		}
		return string(b), nil
	}
	return reflectValueOf(reflect.ValueOf(v), depth)
}

func dictValueOf(d *Dict, depth int) (any, error) {
	var out *Dict
	for i, e := range d.entries {
		val, err := valueOf(d.entries[i].value(), depth+1)
		if err != nil {
			return nil, err
		}
		if out == nil && !sameValue(val, d.entries[i].value()) {
			out = NewDict(len(d.entries))
			for j := range i {
				out.Set(d.entries[j].key, d.entries[j].value())
			}
		}
		if out != nil {
			out.Set(e.key, val)
		}
	}
	if out == nil {
		return d, nil
	}
	return out, nil
}

func listValueOf(l []any, depth int) (any, error) {
	var out []any
	for i, e := range l {
		val, err := valueOf(e, depth+1)
		if err != nil {
			return nil, err
		}
		if out == nil && !sameValue(val, e) {
			out = slices.Clone(l)
		}
		if out != nil {
			out[i] = val
		}
	}
	if out == nil {
		return l, nil
	}
	return out, nil
}

// sameValue reports whether valueOf kept e as it was (pointers compared, so
// a converted container is never mistaken for the original).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case *Dict:
		y, ok := b.(*Dict)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && x == y
	case nil, bool, string, int64, float64:
		return a == b
	}
	return false
}

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
)

func reflectValueOf(rv reflect.Value, depth int) (any, error) {
	if !rv.IsValid() {
		return nil, nil
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return valueOf(rv.Elem().Interface(), depth)
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uint64ToValue(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 && !rv.Type().Elem().Implements(jsonMarshaler) {
			return base64.StdEncoding.EncodeToString(rv.Bytes()), nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			e, err := valueOf(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		return mapValueOf(rv, depth)
	case reflect.Struct:
		d := NewDict(rv.NumField())
		if err := structFields(d, rv, depth); err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, fmt.Errorf("%w: Object of type %s is not JSON serializable", ErrUnsupportedType, rv.Type())
}

func mapValueOf(rv reflect.Value, depth int) (any, error) {
	if rv.IsNil() {
		return nil, nil
	}
	type kv struct {
		k string
		v reflect.Value
	}
	entries := make([]kv, 0, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		k, err := mapKey(it.Key())
		if err != nil {
			return nil, err
		}
		entries = append(entries, kv{k, it.Value()})
	}
	slices.SortFunc(entries, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	d := NewDict(len(entries))
	for _, e := range entries {
		val, err := valueOf(e.v.Interface(), depth+1)
		if err != nil {
			return nil, err
		}
		d.Set(e.k, val)
	}
	return d, nil
}

// mapKey is a map key as encoding/json writes it.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if k.Type().Implements(textMarshaler) {
		b, err := k.Interface().(encoding.TextMarshaler).MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("%w: keys must be str, int, float, bool or None, not %s", ErrUnsupportedType, k.Type())
}

// structFields adds rv's exported fields to d as encoding/json names them.
func structFields(d *Dict, rv reflect.Value, depth int) error {
	t := rv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := rv.Field(i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv, ft = fv.Elem(), ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := structFields(d, fv, depth); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if slices.Contains(strings.Split(opts, ","), "omitempty") && fv.IsZero() && emptyKind(fv) {
			continue
		}
		val, err := valueOf(fv.Interface(), depth+1)
		if err != nil {
			return err
		}
		d.Set(name, val)
	}
	return nil
}

// emptyKind reports whether encoding/json's omitempty applies to v's kind
// (false, 0, "", nil, and empty arrays, slices and maps; never a struct).
func emptyKind(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Struct:
		return false
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return true
}
