package pyjson

import (
	"fmt"
	"math/big"
	"slices"
	"testing"
)

func TestDictOrderAndPosition(t *testing.T) {
	d := dict("b", 1, "a", 2)
	d.Set("b", 3) // an existing key keeps its place, as in Python
	d.Set("c", 4)
	if got := d.Keys(); !slices.Equal(got, []string{"b", "a", "c"}) {
		t.Fatalf("keys %v", got)
	}
	if !d.Delete("b") || d.Delete("b") {
		t.Fatal("Delete")
	}
	d.Set("b", 5) // re-added keys go to the end
	if got, _ := Marshal(d); string(got) != `{"a":2,"c":4,"b":5}` {
		t.Fatalf("got %s", got)
	}
	if v, ok := d.Pop("a"); !ok || v != int64(2) {
		t.Fatalf("Pop = %v, %v", v, ok)
	}
	if _, ok := d.Pop("zz"); ok {
		t.Fatal("Pop of a missing key")
	}
	d.Clear()
	if d.Len() != 0 || d.Has("c") {
		t.Fatal("Clear")
	}
}

// A Dict must behave the same below and above the size where it starts
// keeping an index, through any sequence of writes.
func TestDictIndexConsistency(t *testing.T) {
	d := NewDict(0)
	var model []string // keys in order
	check := func(step string) {
		t.Helper()
		if !slices.Equal(d.Keys(), model) {
			t.Fatalf("%s: keys %v, want %v", step, d.Keys(), model)
		}
		for i, k := range model {
			if j := d.find(k); j != i {
				t.Fatalf("%s: find(%q) = %d, want %d", step, k, j, i)
			}
		}
		if d.Has("missing") {
			t.Fatalf("%s: found a missing key", step)
		}
	}
	for i := range 40 {
		k := fmt.Sprint("k", i)
		d.Set(k, i)
		model = append(model, k)
		check("set " + k)
	}
	for _, i := range []int{0, 39, 20, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30} {
		k := fmt.Sprint("k", i)
		d.Delete(k)
		model = slices.DeleteFunc(model, func(s string) bool { return s == k })
		check("delete " + k)
	}
	for i := range 20 {
		k := fmt.Sprint("n", i)
		d.Set(k, i)
		model = append(model, k)
		check("re-grow " + k)
	}
}

func TestDictNil(t *testing.T) {
	var d *Dict
	if d.Len() != 0 || d.Has("a") || len(d.Keys()) != 0 {
		t.Fatal("nil Dict is not empty")
	}
	if _, ok := d.GetString("a"); ok {
		t.Fatal("GetString on nil")
	}
	d.Range(func(string, any) bool { t.Fatal("Range on nil"); return false })
	if b, err := Marshal(d); err != nil || string(b) != "{}" {
		t.Fatalf("Marshal(nil *Dict) = %s, %v", b, err)
	}
}

func TestDictTypedGetters(t *testing.T) {
	d, err := UnmarshalDict([]byte(`{"s":"x","i":7,"f":1.5,"fi":2,"b":true,"d":{"k":1},"l":[1],"big":99999999999999999999,"n":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := d.GetString("s"); !ok || s != "x" {
		t.Error("GetString")
	}
	if _, ok := d.GetString("i"); ok {
		t.Error("GetString of an int")
	}
	if i, ok := d.GetInt64("i"); !ok || i != 7 {
		t.Error("GetInt64")
	}
	if _, ok := d.GetInt64("f"); ok {
		t.Error("GetInt64 of a float")
	}
	if _, ok := d.GetInt64("b"); ok {
		t.Error("GetInt64 of a bool")
	}
	if _, ok := d.GetInt64("big"); ok {
		t.Error("GetInt64 of a big int")
	}
	if f, ok := d.GetFloat64("f"); !ok || f != 1.5 {
		t.Error("GetFloat64")
	}
	if f, ok := d.GetFloat64("fi"); !ok || f != 2 {
		t.Error("GetFloat64 of an int")
	}
	if b, ok := d.GetBool("b"); !ok || !b {
		t.Error("GetBool")
	}
	if sub, ok := d.GetDict("d"); !ok || sub.Len() != 1 {
		t.Error("GetDict")
	}
	if l, ok := d.GetList("l"); !ok || len(l) != 1 {
		t.Error("GetList")
	}
	if v, ok := d.Get("n"); !ok || v != nil {
		t.Error("Get of None")
	}
	if _, ok := d.Get("zz"); ok {
		t.Error("Get of a missing key")
	}
}

func TestDictSetNormalizes(t *testing.T) {
	d := NewDict(0)
	d.Set("int", 5)
	d.Set("u8", uint8(200))
	d.Set("u64", uint64(1<<63))
	d.Set("f32", float32(0.5))
	d.Set("bigsmall", big.NewInt(3))
	if n, ok := d.GetInt64("int"); !ok || n != 5 {
		t.Error("int not stored as int64")
	}
	if n, ok := d.GetInt64("bigsmall"); !ok || n != 3 {
		t.Error("small *big.Int not stored as int64")
	}
	if v, _ := d.Get("u64"); TypeName(v) != "int" {
		t.Errorf("uint64 stored as %T", v)
	}
	if b, _ := Marshal(d); string(b) != `{"int":5,"u8":200,"u64":9223372036854775808,"f32":0.5,"bigsmall":3}` {
		t.Errorf("got %s", b)
	}
}

func TestDictCloneIsDeep(t *testing.T) {
	d := dict("a", dict("b", list(int64(1))), "big", new(big.Int).Lsh(big.NewInt(1), 70))
	c := d.Clone()
	if !c.Equal(d) {
		t.Fatal("clone differs")
	}
	inner, _ := c.GetDict("a")
	inner.Set("x", 1)
	l, _ := inner.GetList("b")
	l[0] = "changed"
	v, _ := c.Get("big")
	v.(*big.Int).SetInt64(0)
	if b, _ := Marshal(d); string(b) != `{"a":{"b":[1]},"big":1180591620717411303424}` {
		t.Fatalf("original changed: %s", b)
	}
}

func TestDictAll(t *testing.T) {
	d := dict("x", 1, "y", 2, "z", 3)
	var keys []string
	for k := range d.All() {
		keys = append(keys, k)
		if k == "y" {
			break
		}
	}
	if !slices.Equal(keys, []string{"x", "y"}) {
		t.Fatal(keys)
	}
}

// Reads never modify a Dict, and Unmarshal shares nothing between calls, so
// both are safe from many goroutines (run with -race).
func TestConcurrentReads(t *testing.T) {
	big := NewDict(0)
	for i := range 50 {
		big.Set(fmt.Sprint("k", i), i)
	}
	data, _ := Marshal(big)
	done := make(chan bool)
	for range 4 {
		go func() {
			defer func() { done <- true }()
			for i := range 200 {
				if n, ok := big.GetInt64(fmt.Sprint("k", i%50)); !ok || n != int64(i%50) {
					t.Error("GetInt64")
					return
				}
				v, err := UnmarshalDict(data)
				if err != nil || !v.Equal(big) {
					t.Error("Unmarshal")
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
