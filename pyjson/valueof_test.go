package pyjson

import (
	"errors"
	"math"
	"testing"
	"time"
)

type cartItem struct {
	SKU      string  `json:"sku"`
	Quantity int     `json:"qty"`
	Price    float64 `json:"price"`
	Note     string  `json:"note,omitempty"`
	Secret   string  `json:"-"`
	internal int
}

type order struct {
	cartItem
	Items []cartItem          `json:"items"`
	Tags  map[string]int      `json:"tags"`
	When  time.Time           `json:"when"`
	Ref   *string             `json:"ref"`
	Extra map[string]struct{} `json:"extra,omitempty"`
}

func TestValueOfGoData(t *testing.T) {
	when := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	o := order{cartItem: cartItem{SKU: "top", Quantity: 1, Price: 2, Secret: "x", internal: 3},
		Items: []cartItem{{SKU: "a", Quantity: 2, Price: 9.5}}, Tags: map[string]int{"b": 2, "a": 1}, When: when}
	v, err := ValueOf(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// The float field stays a float (2.0, not 2), map keys sorted, tags honoured.
	want := `{"sku":"top","qty":1,"price":2.0,"items":[{"sku":"a","qty":2,"price":9.5}],"tags":{"a":1,"b":2},"when":"2026-12-03T12:00:00Z","ref":null}`
	if string(got) != want {
		t.Fatalf("Marshal(ValueOf(order))\n got  %s\n want %s", got, want)
	}
	var back order
	if err := Decode(v, &back); err != nil || back.Items[0] != o.Items[0] || !back.When.Equal(when) || back.Tags["b"] != 2 {
		t.Fatalf("Decode(ValueOf(order)) = %+v, %v", back, err)
	}
	m, _ := ValueOf(map[string]any{"z": []string{"x"}, "a": int8(3), "f": float32(0.5)})
	if Repr(m) != "{'a': 3, 'f': 0.5, 'z': ['x']}" {
		t.Fatalf("a Go map becomes a *Dict in key order: %s", Repr(m))
	}
}

func TestValueOfKeepsModelValues(t *testing.T) {
	d := NewDict(1)
	d.Set("k", []any{int64(1), "s"})
	v, err := ValueOf(d)
	if err != nil || v.(*Dict) != d {
		t.Fatalf("a dict of the model is kept as it is: %v, %v", v, err)
	}
	d.Set("m", map[string]any{"x": 1})
	v, _ = ValueOf(d)
	if v.(*Dict) == d || Repr(v) != "{'k': [1, 's'], 'm': {'x': 1}}" {
		t.Fatalf("a Go map inside a dict is converted: %s", Repr(v))
	}
}

func TestValueOfRefuses(t *testing.T) {
	for _, v := range []any{make(chan int), func() {}, complex(1, 2), map[float64]int{1: 1}, []any{struct{ C chan int }{}}} {
		if _, err := ValueOf(v); !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("ValueOf(%T) = %v, want ErrUnsupportedType", v, err)
		}
	}
}

func TestRepr(t *testing.T) {
	d := NewDict(0)
	d.Set("a", nil)
	d.Set("b", []any{true, false, int64(-1), 1.0, 1e22, math.NaN(), math.Inf(-1)})
	d.Set("it's", `say "hi"`)
	d.Set("é\t\x00", "\u2028\U0001F600")
	// Python 3.11: print(repr(d)) of the same dict.
	want := `{'a': None, 'b': [True, False, -1, 1.0, 1e+22, nan, -inf], "it's": 'say "hi"', 'é\t\x00': '\u2028` + "\U0001F600" + `'}`
	if got := d.String(); got != want {
		t.Fatalf("String()\n got  %s\n want %s", got, want)
	}
}
