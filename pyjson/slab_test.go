package pyjson

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
)

const slabInput = `{"a":[1,2,3],"b":{"x":"one","y":2.5,"z":[true,null]},"c":"caf\u00e9",` +
	`"d":[[],{},""],"e":123456789012,"f":[{"k":"v"},{"k":"w"}],"g":-7.25e-9}`

// Values decoded into a slab share chunks: writing to one (appending to a
// list, setting a key of a dict) must not show in another, and the values
// must survive collections with nothing but themselves to keep the chunks.
func TestSlabValuesAreIndependent(t *testing.T) {
	for _, read := range []func(*Dict){
		func(d *Dict) { d.Range(func(string, any) bool { return true }) }, // one decoder, all at once
		func(d *Dict) { // one value at a time
			for _, k := range d.Keys() {
				d.Get(k)
			}
		},
	} {
		d, err := UnmarshalDict([]byte(slabInput))
		if err != nil {
			t.Fatal(err)
		}
		read(d)
		a, _ := d.GetList("a")
		b, _ := d.GetDict("b")
		f, _ := d.GetList("f")
		a = append(a, "appended")
		a[0] = "changed"
		b.Set("new", int64(1))
		b.Set("x", "replaced")
		f[0].(*Dict).Set("k2", "v2")
		f = append(f, "more")
		d.Set("a", a)
		d.Set("f", f)
		runtime.GC()
		runtime.GC()
		got, err := Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"a":["changed",2,3,"appended"],"b":{"x":"replaced","y":2.5,"z":[true,null],"new":1},"c":"caf\u00e9",` +
			`"d":[[],{},""],"e":123456789012,"f":[{"k":"v","k2":"v2"},{"k":"w"},"more"],"g":-7.25e-09}`
		if string(got) != want {
			t.Errorf("after writes:\n got %s\nwant %s", got, want)
		}
	}
}

// Values that outlive their Dict keep their chunks and the text their
// strings are sliced from.
func TestSlabValuesOutliveDict(t *testing.T) {
	var kept []any
	for range 50 {
		d, _ := UnmarshalDict([]byte(slabInput))
		v, _ := d.Get("f")
		s, _ := d.Get("c")
		n, _ := d.Get("e")
		kept = append(kept, v, s, n)
	}
	runtime.GC()
	for i := 0; i < len(kept); i += 3 {
		b, _ := Marshal(kept[i])
		if string(b) != `[{"k":"v"},{"k":"w"}]` || kept[i+1] != "café" || kept[i+2] != int64(123456789012) {
			t.Fatalf("kept values changed: %s %q %v", b, kept[i+1], kept[i+2])
		}
	}
}

// Concurrent first reads of one Dict: one goroutine fills the shared slab,
// the others take their own; all see the same values (run with -race).
func TestSlabConcurrentReads(t *testing.T) {
	for range 20 {
		d, _ := UnmarshalDict([]byte(slabInput))
		want, _ := Marshal(mustUnmarshalEager(t, slabInput))
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if g%2 == 0 {
					d.Range(func(string, any) bool { return true })
				} else {
					for _, k := range d.Keys() {
						d.Get(k)
					}
				}
				if got, _ := Marshal(d); !bytes.Equal(got, want) {
					t.Errorf("concurrent read: %s", got)
				}
			}()
		}
		wg.Wait()
	}
}

func mustUnmarshalEager(t *testing.T, s string) any {
	t.Helper()
	v, err := unmarshalEager([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A full read allocates a few chunks, not one object per value.
func TestReadAllAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	for _, p := range benchPayloads {
		allocs := testing.AllocsPerRun(50, func() {
			d, _ := UnmarshalDict(p.data)
			d.Range(func(string, any) bool { return true })
		})
		// Four for the lazy Dict, one chunk per kind of the slab (the
		// validator counts what each needs, unescaped text included), and
		// the slab itself.
		if allocs > 4+numKinds+1 {
			t.Errorf("%s: Unmarshal and a read of every value: %v allocations, want <= %d", p.name, allocs, 4+numKinds+1)
		}
	}
}
