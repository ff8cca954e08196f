package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
)

func TestEntriesReplaceInsert(t *testing.T) {
	now := time.Unix(1700000000, 0)
	st := newStore(t, &now)
	ctx := context.Background()
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const n = 600 // more than one ReadDir batch
	for i := range n {
		k := fmt.Sprintf("entry%04dabcdefghijklmnopqrstuvw", i)
		if err := st.Insert(ctx, Entry{Key: k, Data: "d" + k, ModTime: mtime}); err != nil {
			t.Fatal(err)
		}
	}
	// Files that are not sessions are skipped.
	os.WriteFile(filepath.Join(st.Dir(), "other"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(st.Dir(), "sessionidentry0001abcdefghijklmnopqrstuvw_out_123"), []byte("x"), 0o600)
	os.Mkdir(filepath.Join(st.Dir(), "sessionidadirectoryabcdefghijklmnop"), 0o700)

	seen := map[string]bool{}
	for e, err := range st.Entries(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[e.Key] || e.Data != "d"+e.Key || !e.ModTime.Equal(mtime) {
			t.Fatalf("entry %s: dup %v data ok %v mtime %v", e.Key[:8], seen[e.Key], e.Data == "d"+e.Key, e.ModTime)
		}
		seen[e.Key] = true
	}
	if len(seen) != n {
		t.Fatalf("Entries saw %d, want %d", len(seen), n)
	}

	k := "entry0000abcdefghijklmnopqrstuvw"
	if err := st.Insert(ctx, Entry{Key: k, Data: "x"}); !errors.Is(err, django.ErrCreate) {
		t.Fatalf("Insert over an existing file: %v, want ErrCreate", err)
	}
	if ok, err := st.Replace(ctx, k, "stale", "new"); err != nil || ok {
		t.Fatalf("Replace with stale old: %v %v", ok, err)
	}
	if ok, err := st.Replace(ctx, k, "d"+k, "new"); err != nil || !ok {
		t.Fatalf("Replace: %v %v", ok, err)
	}
	raw, err := os.ReadFile(filepath.Join(st.Dir(), "sessionid"+k))
	if err != nil || string(raw) != "new" {
		t.Fatalf("after Replace: %q %v", raw, err)
	}
	if fi, _ := os.Stat(filepath.Join(st.Dir(), "sessionid"+k)); !fi.ModTime().Equal(mtime) {
		t.Fatalf("Replace changed the modification time: %v", fi.ModTime())
	}
	if ok, err := st.Replace(ctx, "missingkeyabcdefghijklmnopqrstuv", "a", "b"); err != nil || ok {
		t.Fatalf("Replace of a missing file: %v %v", ok, err)
	}
	// A symbolic link is neither replaced nor followed.
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("old"), 0o600)
	link := "linkkeyabcdefghijklmnopqrstuvwxy"
	os.Symlink(target, filepath.Join(st.Dir(), "sessionid"+link))
	if ok, err := st.Replace(ctx, link, "old", "new"); ok || !errors.Is(err, ErrNotRegular) {
		t.Fatalf("Replace through a link: %v %v", ok, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Fatal("the link's target was written")
	}
}

func TestEntry(t *testing.T) {
	now := time.Unix(1700000000, 0)
	st := newStore(t, &now)
	ctx := context.Background()
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const k = "entryoneabcdefghijklmnopqrstuvwx"
	if err := st.Insert(ctx, Entry{Key: k, Data: "data", ModTime: mtime}); err != nil {
		t.Fatal(err)
	}
	e, err := st.Entry(ctx, k)
	if err != nil || e.Key != k || e.Data != "data" || !e.ModTime.Equal(mtime) {
		t.Fatalf("Entry = %+v, %v", e, err)
	}
	for _, missing := range []string{"nosuchsessionabcdefghijklmnopqrs", "../escape", ""} {
		if _, err := st.Entry(ctx, missing); !errors.Is(err, django.ErrNotFound) {
			t.Errorf("Entry(%q) = %v, want ErrNotFound", missing, err)
		}
	}
	// A link planted under a session's name is refused, not followed.
	const link = "entrylinkabcdefghijklmnopqrstuvw"
	if err := os.Symlink(filepath.Join(st.Dir(), "sessionid"+k), filepath.Join(st.Dir(), "sessionid"+link)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Entry(ctx, link); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Entry(link) = %v, want ErrNotRegular", err)
	}
}
