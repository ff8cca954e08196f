package pyjson

import (
	"iter"
	"math/big"
)

// indexThreshold is the size above which a Dict keeps a key → position map.
// Below it a linear scan over the keys is faster than hashing, and most
// session dicts are that small.
const indexThreshold = 8

type entry struct {
	key string
	val any
}

// A Dict is a Python dict with string keys: an insertion-ordered map.
//
// Setting an existing key replaces its value in place and keeps its
// position, as in Python; deleting and re-adding a key moves it to the end.
// The zero value and a nil *Dict are empty dicts for reading; writing needs a
// non-nil *Dict. Concurrent reads are safe (a read changes nothing but, on
// a Dict that Unmarshal made, the decoded value it stores atomically the
// first time a value is read); writes need the caller's synchronisation, as
// for a Go map.
type Dict struct {
	entries []entry
	// index maps each key to its position in entries once the Dict has more
	// than indexThreshold entries, and is nil below. It is kept up to date by
	// every write, so reads never build it (and never race). A Dict that
	// Unmarshal decoded starts without one (reads scan the keys) and gets it
	// at its first write.
	index map[string]int
}

// NewDict returns an empty Dict with room for capacity entries.
func NewDict(capacity int) *Dict {
	if capacity < 0 {
		capacity = 0
	}
	return &Dict{entries: make([]entry, 0, capacity)}
}

// Len returns the number of entries, like Python's len(d).
func (d *Dict) Len() int {
	if d == nil {
		return 0
	}
	return len(d.entries)
}

// find returns the position of k, or -1.
func (d *Dict) find(k string) int {
	if d == nil {
		return -1
	}
	if d.index != nil {
		if i, ok := d.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range d.entries {
		if d.entries[i].key == k {
			return i
		}
	}
	return -1
}

func (d *Dict) buildIndex() {
	d.index = make(map[string]int, len(d.entries)*2)
	for i, e := range d.entries {
		d.index[e.key] = i
	}
}

// Get returns the value of k and whether k is present, like Python's
// d.get(k) / k in d.
func (d *Dict) Get(k string) (any, bool) {
	if i := d.find(k); i >= 0 {
		return d.entries[i].value(), true
	}
	return nil, false
}

// Has reports whether k is present, like Python's k in d.
func (d *Dict) Has(k string) bool { return d.find(k) >= 0 }

// Set sets d[k] = v. An existing key keeps its position. Go integer kinds
// become int64 (or *big.Int beyond int64), float32 becomes float64, and a
// *big.Int that fits an int64 becomes an int64, so that the value model holds
// and the typed getters find the value; other values are stored as given.
func (d *Dict) Set(k string, v any) {
	v = normalizeScalar(v)
	if i := d.find(k); i >= 0 {
		d.entries[i].val = v
		return
	}
	if d.index == nil && len(d.entries) >= indexThreshold {
		d.buildIndex()
	}
	d.entries = append(d.entries, entry{k, v})
	if d.index != nil {
		d.index[k] = len(d.entries) - 1
	}
}

// Delete removes k and reports whether it was present, like Python's del d[k].
func (d *Dict) Delete(k string) bool {
	_, ok := d.Pop(k)
	return ok
}

// Pop removes k and returns its value and whether it was present, like
// Python's d.pop(k, None).
func (d *Dict) Pop(k string) (any, bool) {
	i := d.find(k)
	if i < 0 {
		return nil, false
	}
	v := d.entries[i].value()
	copy(d.entries[i:], d.entries[i+1:])
	d.entries[len(d.entries)-1] = entry{} // let the GC have the value
	d.entries = d.entries[:len(d.entries)-1]
	if d.index != nil {
		if len(d.entries) <= indexThreshold {
			d.index = nil
		} else {
			delete(d.index, k)
			for j := i; j < len(d.entries); j++ {
				d.index[d.entries[j].key] = j
			}
		}
	}
	return v, true
}

// Clear removes every entry, like Python's d.clear().
func (d *Dict) Clear() {
	if d == nil {
		return
	}
	clear(d.entries)
	d.entries = d.entries[:0]
	d.index = nil
}

// Keys returns the keys in order, in a new slice.
func (d *Dict) Keys() []string {
	keys := make([]string, d.Len())
	for i := range keys {
		keys[i] = d.entries[i].key
	}
	return keys
}

// Range calls f for each entry in order until f returns false. f must not
// modify d.
func (d *Dict) Range(f func(k string, v any) bool) {
	if d == nil {
		return
	}
	// The lazy values are decoded by one decoder, which holds the Dict's
	// slab for the whole walk.
	var dec *decoder
	defer func() {
		if dec != nil {
			dec.done()
		}
	}()
	for i := range d.entries {
		e := &d.entries[i]
		v := e.val
		if r, ok := v.(*rawValue); ok {
			if p := r.v.Load(); p != nil {
				v = *p
			} else {
				if dec == nil {
					dec = r.shared.decoder(true)
				}
				v = r.decodeWith(dec)
			}
		}
		if !f(e.key, v) {
			return
		}
	}
}

// All returns an iterator over the entries in order, for use with range.
func (d *Dict) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) { d.Range(yield) }
}

// Clone returns a deep copy: nested dicts, lists and *big.Int values are
// copied, strings and scalars are shared (they are immutable). Beyond
// MaxDepth levels of nesting (a value that neither Marshal nor Unmarshal
// accepts, such as one that contains itself) the rest is shared rather than
// copied.
func (d *Dict) Clone() *Dict {
	return cloneDict(d, 0)
}

func cloneDict(d *Dict, depth int) *Dict {
	if d == nil {
		return nil
	}
	c := &Dict{entries: make([]entry, len(d.entries))}
	for i, e := range d.entries {
		if r, ok := e.val.(*rawValue); ok {
			if _, done := r.decoded(); !done {
				// Undecoded text is immutable: the copy may share it.
				c.entries[i] = entry{e.key, &rawValue{src: r.src, shared: r.shared, canon: r.canon, depth: r.depth, plan: r.plan}}
				continue
			}
		}
		c.entries[i] = entry{e.key, cloneValue(e.value(), depth+1)}
	}
	if d.index != nil {
		c.buildIndex()
	}
	return c
}

// Clone returns a deep copy of v as Dict.Clone does: nested *Dict, []any and
// *big.Int are copied, everything else is returned as is.
func Clone(v any) any { return cloneValue(v, 0) }

func cloneValue(v any, depth int) any {
	if depth > MaxDepth {
		return v
	}
	switch x := v.(type) {
	case *Dict:
		return cloneDict(x, depth)
	case []any:
		if x == nil {
			return x
		}
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = cloneValue(e, depth+1)
		}
		return c
	case *big.Int:
		if x == nil {
			return x
		}
		return new(big.Int).Set(x)
	}
	return v
}

// Equal reports whether d and o hold Equal values under the same keys in the
// same order (see the package-level Equal).
func (d *Dict) Equal(o *Dict) bool { return equalDict(d, o, 0) }

// GetString returns d[k] if it is present and a str.
func (d *Dict) GetString(k string) (string, bool) {
	v, _ := d.Get(k)
	s, ok := v.(string)
	return s, ok
}

// GetInt64 returns d[k] if it is present and a Python int that fits in an
// int64 (a bool is not an int here, nor is a float).
func (d *Dict) GetInt64(k string) (int64, bool) {
	v, _ := d.Get(k)
	n, ok := v.(int64)
	return n, ok
}

// GetFloat64 returns d[k] if it is present and a float, or an int that
// converts to a float64 exactly (Python code freely stores 10 where it means
// 10.0).
func (d *Dict) GetFloat64(k string) (float64, bool) {
	v, _ := d.Get(k)
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		f := float64(x)
		if f >= -(1<<63) && f < 1<<63 && int64(f) == x {
			return f, true
		}
	}
	return 0, false
}

// GetBool returns d[k] if it is present and a bool.
func (d *Dict) GetBool(k string) (bool, bool) {
	v, _ := d.Get(k)
	b, ok := v.(bool)
	return b, ok
}

// GetDict returns d[k] if it is present and a dict.
func (d *Dict) GetDict(k string) (*Dict, bool) {
	v, _ := d.Get(k)
	x, ok := v.(*Dict)
	return x, ok
}

// GetList returns d[k] if it is present and a list ([]any).
func (d *Dict) GetList(k string) ([]any, bool) {
	v, _ := d.Get(k)
	x, ok := v.([]any)
	return x, ok
}
