package pyjson

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// unmarshalEager decodes data with the decoder alone, as Unmarshal did
// before top-level values became lazy: the reference the lazy path must
// agree with.
func unmarshalEager(data []byte) (any, error) {
	d := decoderPool.Get().(*decoder)
	d.data, d.utf8Input, d.pos = data, false, skipSpace(data, 0)
	return d.decodeAll()
}

// checkLazy asserts that Unmarshal agrees with the eager decoder on data:
// the same error, or values that are Equal and Marshal to the same bytes,
// both before any value is read (the lazy values' text is copied) and after.
func checkLazy(t *testing.T, data []byte) {
	t.Helper()
	lazy, lerr := Unmarshal(data)
	eager, eerr := unmarshalEager(data)
	if (lerr == nil) != (eerr == nil) || (lerr != nil && lerr.Error() != eerr.Error()) {
		t.Fatalf("%q: Unmarshal error %v, the decoder's %v", data, lerr, eerr)
	}
	if lerr != nil {
		return
	}
	want, werr := Marshal(eager)
	got, gerr := Marshal(lazy) // values not read yet
	if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("%q: Marshal before reading = %q, %v; want %q, %v", data, got, gerr, want, werr)
	}
	if !Equal(lazy, eager) {
		t.Fatalf("%q: lazy value not Equal to the decoded one", data)
	}
	if got, gerr = Marshal(lazy); !bytes.Equal(got, want) || (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: Marshal after reading = %q; want %q", data, got, want)
	}
}

func TestLazyAgreesWithDecoder(t *testing.T) {
	for _, in := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a": 1}`, `{"a":1,"a":2}`, `{"a":1,"b":2,"a":3}`,
		`{"a":-0}`, `{"a":-0.0}`, `{"a":0}`, `{"a":1.0}`, `{"a":1e5}`, `{"a":1E+5}`, `{"a":1.5e-3}`,
		`{"a":12345678901234567890123}`, `{"a":-9223372036854775808}`,
		`{"a":"x\/y"}`, `{"a":"\u00e9"}`, `{"a":"\u00E9"}`, `{"a":"\u0041"}`, `{"a":"\u0008"}`, `{"a":"\b"}`,
		`{"a":"\u0000\u001f"}`, `{"a":"\ud83d\ude00"}`, `{"a":"\ud83d"}`, `{"a":"\ude00\ud83d"}`, `{"a":"\u007f"}`,
		"{\"a\":\"\x7f\"}", "{\"a\":\"\xe9\"}", "{\"a\":\"\x01\"}", `{"a":"\x"}`, `{"a":"\u12"}`,
		`{"a":{"b":1,"b":2}}`, `{"a":{"b":1,"c":{"b":1}}}`, `{"a":[1, 2]}`, `{"a":[1 ,2]}`, `{"a":[]}`, `{"a":[ ]}`,
		`{"a":{ }}`, `{"a":{"b" :1}}`, `{"a":{"b": 1}}`, `{"a":[1,]}`, `{"a":{"b":1,}}`, `{"a":NaN,"b":-Infinity,"c":Infinity}`,
		`{"a":nul}`, `{"a":1}x`, `{"a":1} `, `{"a":1`, `{"a"`, `{"a":`, `{`, `{"a":1.}`, `{"a":1e}`, `{"a":01}`,
		`{"a":-}`, `{"a":"` + strings.Repeat("x", 100) + `"}`, `{"\u00e9":1,"é":2}`,
		`{"a":{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k1":10}}`,
		`{"a":{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10}}`,
		`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k1":10}`,
		`{"a":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`,
		`{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`,
		`{"a":` + strings.Repeat("9", 4300) + `}`, `{"a":` + strings.Repeat("9", 4301) + `}`,
		`[1,2]`, `"x"`, `1`,
		// The validator's sizes (the decoder's plan): nested and empty
		// containers, whitespace, repeated keys in nested dicts.
		`{"a":[ [ ] , { } , [1 , {"b" : [ ]} ] ], "b" : [ ]}`,
		`{"a":{"x":[1,{"y":{}}],"x":[2]},"b":[{"c":1,"c":{"d":[]}},{}]}`,
		`{"a":"\u00e9\u017e\u0041\u20ac\ud83d\ude00\n\u00E9x","b":"` + "\xe9\xff" + `\u00e9"}`,
		manyKeys(30, false), manyKeys(30, true), manyKeys(70, false), manyKeys(70, true),
	} {
		checkLazy(t, []byte(in))
	}
}

// manyKeys is a dict of n keys (the last one a repeat of the first when
// dup), past the sizes where the duplicate checks change method.
func manyKeys(n int, dup bool) string {
	var b strings.Builder
	b.WriteByte('{')
	for k := range n {
		if k > 0 {
			b.WriteByte(',')
		}
		if dup && k == n-1 {
			k = 0
		}
		fmt.Fprintf(&b, `"key%d":[%d,{"k":"v"}]`, k, k)
	}
	b.WriteByte('}')
	return b.String()
}

// TestLazyCanonical: a value Django wrote (canonical text) is copied, not
// decoded, when the dict is written back; anything else is re-encoded.
func TestLazyCanonical(t *testing.T) {
	v, err := Unmarshal([]byte(`{"a":{"b":[1,"\u00e9",null]},"f":1.50,"s":"x\/y"}`))
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	canon := map[string]bool{"a": true, "f": false, "s": false}
	for _, e := range d.entries {
		r := e.val.(*rawValue)
		if r.canon != canon[e.key] {
			t.Errorf("%s: canon = %v", e.key, r.canon)
		}
		if _, done := r.decoded(); done {
			t.Errorf("%s decoded before it was read", e.key)
		}
	}
	b, _ := Marshal(d)
	if want := `{"a":{"b":[1,"\u00e9",null]},"f":1.5,"s":"x/y"}`; string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	if _, done := d.entries[0].val.(*rawValue).decoded(); done {
		t.Error("Marshal decoded a canonical value")
	}
}

// TestLazyConcurrentReads: a Dict stays safe for concurrent readers while
// its values are decoded on first read (run with -race).
func TestLazyConcurrentReads(t *testing.T) {
	v, err := Unmarshal([]byte(`{"a":{"b":[1,2,3]},"c":"x","d":[{"e":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	var wg sync.WaitGroup
	got := make([]any, 8)
	for g := range got {
		wg.Go(func() {
			x, _ := d.Get("a")
			got[g] = x
			_, _ = Marshal(d)
			d.Range(func(string, any) bool { return true })
			_ = d.Clone()
		})
	}
	wg.Wait()
	for _, x := range got[1:] {
		if x != got[0] {
			t.Fatal("concurrent readers got different decoded values")
		}
	}
}

// TestLazyMutationAfterRead: a value read and changed in place is what
// Marshal writes, not the text it came from.
func TestLazyMutationAfterRead(t *testing.T) {
	v, _ := Unmarshal([]byte(`{"cart":{"n":1},"x":2}`))
	d := v.(*Dict)
	cart, _ := d.GetDict("cart")
	cart.Set("n", 2)
	d.Set("x", "y")
	b, _ := Marshal(d)
	if string(b) != `{"cart":{"n":2},"x":"y"}` {
		t.Fatalf("Marshal = %s", b)
	}
	c := d.Clone()
	cart.Set("n", 3)
	if b, _ := Marshal(c); string(b) != `{"cart":{"n":2},"x":"y"}` {
		t.Fatalf("Clone shares a decoded value: %s", b)
	}
}
