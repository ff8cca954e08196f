package pyjson

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestEqual(t *testing.T) {
	nan := math.NaN()
	negZero := math.Copysign(0, -1)
	cases := []struct {
		a, b any
		want bool
	}{
		{nil, nil, true},
		{int64(1), 1.0, false},  // int is not float
		{true, int64(1), false}, // bool is not int
		{int64(5), big.NewInt(5), true},
		{big.NewInt(5), int64(5), true},
		{new(big.Int).Lsh(big.NewInt(1), 70), new(big.Int).Lsh(big.NewInt(1), 70), true},
		{nan, nan, true},
		{0.0, negZero, false},
		{"a", "a", true},
		{list(int64(1)), list(int64(1)), true},
		{list(), list(int64(1)), false},
		{dict("a", 1, "b", 2), dict("b", 2, "a", 1), false}, // order matters
		{dict("a", 1), dict("a", 1), true},
		{dict("a", 1), list(), false},
		{1, 1, false}, // outside the model
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%#v, %#v) = %v", c.a, c.b, got)
		}
	}
}

func TestTypeName(t *testing.T) {
	for v, want := range map[any]string{nil: "NoneType", true: "bool", int64(1): "int", 1.5: "float", "s": "str", 3: "int"} {
		if got := TypeName(v); got != want {
			t.Errorf("TypeName(%#v) = %q, want %q", v, got, want)
		}
	}
	if TypeName(list()) != "list" || TypeName(dict()) != "dict" || TypeName(big.NewInt(1)) != "int" {
		t.Error("TypeName of list/dict/big")
	}
}

func TestMarshalGoTypes(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{int(-3), "-3"},
		{int8(-8), "-8"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{float32(0.1), "0.10000000149011612"}, // the float64 of the float32's value
		{*big.NewInt(42), "42"},
		{[]string{"a", "é"}, `["a","\u00e9"]`},
		{[]int{1, 2}, "[1,2]"},
		{[]int64{}, "[]"},
		{[]float64{1, 0.5}, "[1.0,0.5]"},
		{map[string]any{"b": 1, "a": []any{nil}}, `{"a":[null],"b":1}`},
		{map[string]string{"z": "1", "y": "2"}, `{"y":"2","z":"1"}`},
		{[]any(nil), "[]"},
	}
	for _, c := range cases {
		got, err := Marshal(c.v)
		if err != nil || string(got) != c.want {
			t.Errorf("Marshal(%#v) = %s, %v; want %s", c.v, got, err, c.want)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	self := list(nil)
	self[0] = self
	selfDict := dict()
	selfDict.Set("me", selfDict)
	cases := []struct {
		v    any
		want error
	}{
		{[]byte("x"), ErrUnsupportedType},
		{struct{}{}, ErrUnsupportedType},
		{list(int64(1), make(chan int)), ErrUnsupportedType},
		{dict("a", map[int]int{}), ErrUnsupportedType},
		{(*big.Int)(nil), ErrUnsupportedType},
		{"ok\xffno", ErrInvalidUTF8},
		{"\xed\xa0", ErrInvalidUTF8},
		{dict("k\xc3", 1), ErrInvalidUTF8},
		{"\xed\x9f\xbf" + "\xed\xc0\x80", ErrInvalidUTF8},
		{new(big.Int).Exp(big.NewInt(10), big.NewInt(4300), nil), ErrIntTooLong}, // 4301 digits
		{self, ErrTooDeep},
		{selfDict, ErrTooDeep},
	}
	for _, c := range cases {
		dst := []byte("prefix")
		out, err := AppendMarshal(dst, c.v)
		if !errors.Is(err, c.want) {
			t.Errorf("Marshal(%T): err %v, want %v", c.v, err, c.want)
		}
		if string(out) != "prefix" {
			t.Errorf("AppendMarshal on error returned %q", out)
		}
	}
	_, err := Marshal(make(chan int))
	if err == nil || !strings.Contains(err.Error(), "Object of type chan int is not JSON serializable") {
		t.Errorf("message: %v", err)
	}
	// 4300 digits is still fine.
	if _, err := Marshal(new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(4300), nil), big.NewInt(1))); err != nil {
		t.Error(err)
	}
}

func TestUnmarshalDepth(t *testing.T) {
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Unmarshal([]byte(ok)); err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	for _, s := range []string{
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		strings.Repeat(`{"a":`, MaxDepth+1),
		strings.Repeat("[", 1<<20), // must not exhaust the stack
	} {
		if _, err := Unmarshal([]byte(s)); !errors.Is(err, ErrTooDeep) || errors.Is(err, ErrSyntax) {
			t.Errorf("%.20s...: %v", s, err)
		}
	}
}

func TestUnmarshalDict(t *testing.T) {
	if _, err := UnmarshalDict([]byte(`[1]`)); !errors.Is(err, ErrNotDict) {
		t.Errorf("list: %v", err)
	}
	if _, err := UnmarshalDict([]byte(`{`)); !errors.Is(err, ErrSyntax) {
		t.Errorf("bad: %v", err)
	}
	d, err := UnmarshalDict([]byte(`{"a":1}`))
	if err != nil || d.Len() != 1 {
		t.Errorf("%v %v", d, err)
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Unmarshal([]byte("[1,\n 2,\n x]"))
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	if se.Msg != "Expecting value" || se.Offset != 9 || se.Line != 3 || se.Column != 2 {
		t.Errorf("%+v", se)
	}
	if err.Error() != "pyjson: Expecting value: line 3 column 2 (char 9)" {
		t.Error(err)
	}
}

// Big ints come back as int64 when they fit, and as *big.Int only beyond.
func TestUnmarshalIntKinds(t *testing.T) {
	for s, want := range map[string]string{
		"9223372036854775807":   "int64",
		"-9223372036854775808":  "int64",
		"9223372036854775808":   "*big.Int",
		"-9223372036854775809":  "*big.Int",
		"0000":                  "error",
		"-0":                    "int64",
		"123456789012345678":    "int64",
		"1234567890123456789":   "int64",
		"12345678901234567890":  "*big.Int",
		"-12345678901234567890": "*big.Int",
	} {
		v, err := Unmarshal([]byte(s))
		got := "error"
		if err == nil {
			got = map[bool]string{true: "int64", false: "*big.Int"}[TypeName(v) == "int" && func() bool { _, ok := v.(int64); return ok }()]
		}
		if got != want {
			t.Errorf("%s: %s (%v), want %s", s, got, err, want)
		}
	}
}

func TestDecode(t *testing.T) {
	v, err := Unmarshal([]byte(`{"id":"7","count":3,"price":9.5,"big":123456789012345678901234567890,"tags":["a","b"],"meta":{"k":1.0},"whole":1.0}`))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		ID    string   `json:"id"`
		Count int64    `json:"count"`
		Price float64  `json:"price"`
		Big   *big.Int `json:"big"`
		Tags  []string `json:"tags"`
		Meta  *Dict    `json:"meta"`
	}
	if err := Decode(v, &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != "7" || s.Count != 3 || s.Price != 9.5 || s.Big.String() != "123456789012345678901234567890" || len(s.Tags) != 2 {
		t.Errorf("%+v", s)
	}
	if f, ok := s.Meta.GetFloat64("k"); !ok || f != 1 {
		t.Errorf("Meta %v", s.Meta)
	}
	if m, _ := s.Meta.Get("k"); TypeName(m) != "float" {
		t.Errorf("Meta k is %T", m)
	}
	// A Python float does not fill an int field, even when integral.
	var bad struct {
		Whole int64 `json:"whole"`
	}
	if err := Decode(v, &bad); err == nil {
		t.Error("1.0 decoded into int64")
	}
	var anyV any
	if err := Decode(v, &anyV); err != nil || !Equal(anyV, v) {
		t.Error("Decode into *any")
	}
	var d Dict
	if err := Decode(v, &d); err != nil || !d.Equal(v.(*Dict)) {
		t.Error("Decode into *Dict")
	}
	nan, _ := Unmarshal([]byte(`{"x":NaN}`))
	var m map[string]float64
	if err := Decode(nan, &m); err == nil {
		t.Error("NaN decoded through encoding/json")
	}
}

func TestDictJSONInterop(t *testing.T) {
	var s struct {
		S *Dict `json:"s"`
	}
	if err := json.Unmarshal([]byte(`{"s":{"b":1,"a":"é","c":2.0}}`), &s); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.S.GetString("a"); v != "é" { // UTF-8 text in encoding/json's world
		t.Errorf("a = %q", v)
	}
	out, err := json.Marshal(s)
	if err != nil || string(out) != `{"s":{"b":1,"a":"\u00e9","c":2.0}}` {
		t.Errorf("%s %v", out, err)
	}
}
