package pyjson

import (
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
)

// nestLists returns n lists, each inside the next: [[...[]...]].
func nestLists(n int) any {
	var v any = []any{}
	for range n - 1 {
		v = []any{v}
	}
	return v
}

// nestDicts returns n dicts, each under the key "a" of the next.
func nestDicts(n int) any {
	v := NewDict(0)
	for range n - 1 {
		v = dict("a", v)
	}
	return v
}

// nestMaps is nestDicts with Go maps, which Marshal also accepts.
func nestMaps(n int) any {
	v := map[string]any{}
	for range n - 1 {
		v = map[string]any{"a": v}
	}
	return v
}

// TestDepthBothWays: Marshal writes exactly what Unmarshal reads back. At
// MaxDepth levels both succeed and the value survives; one level more, both
// refuse with ErrTooDeep and the limit in the message.
func TestDepthBothWays(t *testing.T) {
	for name, nest := range map[string]func(int) any{"list": nestLists, "dict": nestDicts, "map": nestMaps} {
		b, err := Marshal(nest(MaxDepth))
		if err != nil {
			t.Fatalf("%s: Marshal at MaxDepth: %v", name, err)
		}
		back, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: Unmarshal of what Marshal wrote at MaxDepth: %v", name, err)
		}
		again, err := Marshal(back)
		if err != nil || string(again) != string(b) {
			t.Fatalf("%s: re-Marshal: %v", name, err)
		}

		_, err = Marshal(nest(MaxDepth + 1))
		if !errors.Is(err, ErrTooDeep) || !strings.Contains(err.Error(), strconv.Itoa(MaxDepth)) {
			t.Errorf("%s: Marshal at MaxDepth+1: %v, want ErrTooDeep naming the limit", name, err)
		}
		deeper := "[" + string(b) + "]"
		if name != "list" {
			deeper = `{"a":` + string(b) + "}"
		}
		if _, err := Unmarshal([]byte(deeper)); !errors.Is(err, ErrTooDeep) {
			t.Errorf("%s: Unmarshal at MaxDepth+1: %v", name, err)
		}
	}
}

// TestDepthLazyRewrite: a session dict whose value Django wrote at the
// limit is written back (its text copied, or decoded and re-encoded after a
// read) and never grows past what Unmarshal accepts.
func TestDepthLazyRewrite(t *testing.T) {
	inner := strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1)
	doc := []byte(`{"a":` + inner + `}`)
	for _, read := range []bool{false, true} {
		d, err := UnmarshalDict(doc)
		if err != nil {
			t.Fatal(err)
		}
		if read {
			d.Get("a")
		}
		out, err := Marshal(d)
		if err != nil || string(out) != string(doc) {
			t.Fatalf("read=%v: %v", read, err)
		}
		d.Set("b", 1)
		if _, err := Marshal(d); err != nil {
			t.Fatalf("read=%v, after Set: %v", read, err)
		}
	}
}

// TestIntDigitsBothWays: 4300 digits both ways, 4301 refused both ways.
func TestIntDigitsBothWays(t *testing.T) {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(maxIntDigits), nil)
	ok := new(big.Int).Sub(limit, big.NewInt(1)) // 4300 nines
	b, err := Marshal(ok)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := Unmarshal(b); err != nil || !Equal(back, ok) {
		t.Fatalf("Unmarshal of 4300 digits: %v", err)
	}
	if _, err := Marshal(limit); !errors.Is(err, ErrIntTooLong) {
		t.Errorf("Marshal of 4301 digits: %v", err)
	}
	if _, err := Unmarshal([]byte(limit.String())); !errors.Is(err, ErrIntTooLong) {
		t.Errorf("Unmarshal of 4301 digits: %v", err)
	}
}
