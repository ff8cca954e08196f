package db

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
)

// TestRows reads every row exactly once across batch boundaries, expired
// rows included, while the caller writes to the table between rows.
func TestRows(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		const n = 23
		want := map[string]time.Time{}
		for i := range n {
			k := fmt.Sprintf("rowkey%02dabcdefghijklmnopqrstuvw", i)
			exp := t0.Add(time.Duration(i-5) * time.Hour).Truncate(time.Second)
			if err := e.store.Insert(ctx, Row{Key: k, Data: fmt.Sprintf("data-%d", i), ExpireDate: exp}); err != nil {
				t.Fatal(err)
			}
			want[k] = exp
		}
		seen := 0
		last := ""
		for r, err := range e.store.Rows(ctx, 5) {
			if err != nil {
				t.Fatal(err)
			}
			if r.Key <= last {
				t.Fatalf("rows out of order: %q after %q", r.Key, last)
			}
			last = r.Key
			exp, ok := want[r.Key]
			if !ok {
				t.Fatalf("unexpected row %q", r.Key)
			}
			if !r.ExpireDate.Equal(exp) {
				t.Errorf("%s: expire_date %v, want %v", r.Key[:8], r.ExpireDate, exp)
			}
			// A write between rows must not block or disturb the iteration.
			if ok, err := e.store.Replace(ctx, r.Key, r.Data, r.Data+"-new"); err != nil || !ok {
				t.Fatalf("Replace during Rows: %v %v", ok, err)
			}
			seen++
		}
		if seen != n {
			t.Fatalf("Rows saw %d rows, want %d", seen, n)
		}
		// Stopping early is fine.
		for range e.store.Rows(ctx, 5) {
			break
		}
	})
}

func TestReplaceIsConditional(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		k := "replacekeyabcdefghijklmnopqrstuv"
		exp := t0.Add(time.Hour).Truncate(time.Second)
		if err := e.store.Insert(ctx, Row{Key: k, Data: "Old", ExpireDate: exp}); err != nil {
			t.Fatal(err)
		}
		// Differs from the stored data only in case: MySQL's collation
		// would call them equal.
		if ok, err := e.store.Replace(ctx, k, "old", "new"); err != nil || ok {
			t.Fatalf("Replace with a stale old: %v %v, want false", ok, err)
		}
		if ok, err := e.store.Replace(ctx, k, "Old", "Old"); err != nil || !ok {
			t.Fatalf("Replace with the same data: %v %v, want true", ok, err)
		}
		if ok, err := e.store.Replace(ctx, k, "Old", "new"); err != nil || !ok {
			t.Fatalf("Replace: %v %v, want true", ok, err)
		}
		if ok, err := e.store.Replace(ctx, "missingkeyabcdefghijklmnopqrstu", "Old", "new"); err != nil || ok {
			t.Fatalf("Replace of a missing row: %v %v, want false", ok, err)
		}
		for r, err := range e.store.Rows(ctx, 0) {
			if err != nil {
				t.Fatal(err)
			}
			if r.Data != "new" || !r.ExpireDate.Equal(exp) {
				t.Fatalf("after Replace: data %q expire %v", r.Data, r.ExpireDate)
			}
		}
		if err := e.store.Insert(ctx, Row{Key: k, Data: "x", ExpireDate: exp}); !errors.Is(err, django.ErrCreate) {
			t.Fatalf("Insert over an existing row: %v, want ErrCreate", err)
		}
	})
}

func TestReplaceMany(t *testing.T) {
	cells(t, func(t *testing.T, e *env) {
		exp := t0.Add(time.Hour).Truncate(time.Second)
		var rs []Replacement
		for i := range 4 {
			k := fmt.Sprintf("manykey%dabcdefghijklmnopqrstuvwx", i)
			if err := e.store.Insert(ctx, Row{Key: k, Data: "Old", ExpireDate: exp}); err != nil {
				t.Fatal(err)
			}
			rs = append(rs, Replacement{Key: k, Old: "Old", Data: "new"})
		}
		rs[1].Old = "old"                              // stale (differs in case only)
		rs[2].Data = "Old"                             // the same data
		rs[3].Key = "gonekeyabcdefghijklmnopqrstuvwxy" // no such row
		done, err := e.store.ReplaceMany(ctx, rs)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(done) != "[true false true false]" {
			t.Fatalf("ReplaceMany: %v", done)
		}
		if done, err := e.store.ReplaceMany(ctx, nil); err != nil || len(done) != 0 {
			t.Fatal(done, err)
		}
	})
}
