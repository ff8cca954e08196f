package pickle

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// atAndPast marshals at (which must encode and decode back with the
// default Options) and past (which Marshal must refuse with kind).
func atAndPast(t *testing.T, name string, at, past any, kind error, limit int) {
	t.Helper()
	data, err := Marshal(at, HighestProtocol)
	if err != nil {
		t.Fatalf("%s: Marshal at the limit: %v", name, err)
	}
	if _, err := Unmarshal(data); err != nil {
		t.Fatalf("%s: Unmarshal of what Marshal wrote at the limit: %v", name, err)
	}
	out, err := AppendMarshal([]byte("prefix"), past, HighestProtocol)
	if !errors.Is(err, kind) || !errors.Is(err, ErrRefused) {
		t.Fatalf("%s: Marshal past the limit: %v, want %v", name, err, kind)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(limit)) {
		t.Errorf("%s: %q does not name the limit %d", name, err, limit)
	}
	if string(out) != "prefix" {
		t.Errorf("%s: AppendMarshal on error returned %d bytes", name, len(out))
	}
}

// TestMarshalLimitsMatchUnmarshal: Marshal writes exactly what Unmarshal
// with the default Options reads back, limit by limit.
func TestMarshalLimitsMatchUnmarshal(t *testing.T) {
	nest := func(n int) any {
		var v any = []any{}
		for range n - 1 {
			v = []any{v}
		}
		return v
	}
	atAndPast(t, "depth", nest(defaultMaxDepth), nest(defaultMaxDepth+1), ErrTooDeep, defaultMaxDepth)

	// A flat list: itself and its items.
	atAndPast(t, "items", make([]any, defaultMaxItems-1), make([]any, defaultMaxItems), ErrTooLarge, defaultMaxItems)

	// One list of 1000 items shared many times: a small pickle (BINGET)
	// that expands past MaxItems, as the decoder counts it.
	inner := make([]any, 1000)
	for i := range inner {
		inner[i] = int64(i)
	}
	shared := func(refs int) any {
		outer := make([]any, refs)
		for i := range outer {
			outer[i] = inner
		}
		return outer
	}
	fits := (defaultMaxItems - 1) / (len(inner) + 1) // 1 + refs*(1+1000) <= MaxItems
	atAndPast(t, "shared", shared(fits), shared(fits+1), ErrTooLarge, defaultMaxItems)

	// A dict counts its keys and values.
	dictOf := func(n int) any {
		m := NewMap()
		for i := range n {
			m.Set(int64(i), nil)
		}
		return m
	}
	pairs := (defaultMaxItems - 1) / 2
	atAndPast(t, "dict", dictOf(pairs), dictOf(pairs+1), ErrTooLarge, defaultMaxItems)

	// Size: bytes whose pickle is exactly MaxSize long, then one more.
	probe, err := Marshal(Bytes(make([]byte, 1<<20)), HighestProtocol)
	if err != nil {
		t.Fatal(err)
	}
	overhead := len(probe) - 1<<20
	n := DefaultMaxSize - overhead
	atAndPast(t, "size", Bytes(make([]byte, n)), Bytes(make([]byte, n+1)), ErrTooLarge, DefaultMaxSize)
}

// TestMarshalSharedIsBounded: refusing a value that expands far past
// MaxItems walks no more than MaxItems items: a list shared a million
// times over costs the same as one of MaxItems items.
func TestMarshalSharedIsBounded(t *testing.T) {
	inner := make([]any, 1000)
	outer := make([]any, 1000)
	for i := range outer {
		outer[i] = inner
	}
	top := make([]any, 1000)
	for i := range top {
		top[i] = outer // 10^9 items once expanded
	}
	budget := defaultMaxItems
	if spendItems(top, &budget) || budget != -1 {
		t.Errorf("budget left %d, want the walk to stop at -1", budget)
	}
	if _, err := Marshal(top, HighestProtocol); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Marshal: %v", err)
	}
}
