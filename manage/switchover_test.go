package manage

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

const testSecret = "manage-switchover-test-secret-0123456789"

// switchoverStores are a db store on a fresh SQLite file (the new engine)
// and a file store in a fresh directory (the old one), with Django 5.2's
// defaults: real stores, no servers.
func switchoverStores(t *testing.T) (newStore *db.Store, oldStore *file.Store) {
	t.Helper()
	st := django.DefaultSettings(testSecret)
	st.DjangoVersion = django.Django52
	sqlDB, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "db.sqlite3")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	ctx := context.Background()
	if err := db.CreateTable(ctx, sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	newStore, err = db.New(sqlDB, db.SQLite, st)
	if err != nil {
		t.Fatal(err)
	}
	fst := st
	fst.SessionEngine = django.EngineFile
	fst.SessionFilePath = t.TempDir()
	oldStore, err = file.New(fst)
	if err != nil {
		t.Fatal(err)
	}
	return newStore, oldStore
}

func session(kv ...any) *pyjson.Dict {
	d := pyjson.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1])
	}
	return d
}

func TestSwitchoverCopiesForward(t *testing.T) {
	ctx := context.Background()
	newStore, oldStore := switchoverStores(t)
	sw, err := NewSwitchoverStore(newStore, oldStore)
	if err != nil {
		t.Fatal(err)
	}
	const key = "abcdefgh0123456789abcdefgh012345"
	if err := oldStore.Save(ctx, key, session("_auth_user_id", "7"), true); err != nil {
		t.Fatal(err)
	}
	d, err := sw.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := d.GetString("_auth_user_id"); v != "7" {
		t.Fatalf("loaded %v", d)
	}
	// Copied forward: the new store has it now, the old one still.
	if d, err := newStore.Load(ctx, key); err != nil || d.Len() != 1 {
		t.Fatalf("new store after the load: %v, %v", d, err)
	}
	if ok, _ := oldStore.Exists(ctx, key); !ok {
		t.Fatal("the load removed the old session")
	}
	// An update goes to the new store only.
	if err := sw.Save(ctx, key, session("_auth_user_id", "7", "cart", int64(3)), false); err != nil {
		t.Fatal(err)
	}
	if d, _ := newStore.Load(ctx, key); d.Len() != 2 {
		t.Fatalf("new store after the save: %v", d)
	}
	if d, _ := oldStore.Load(ctx, key); d.Len() != 1 {
		t.Fatalf("old store after the save: %v", d)
	}
	// Logout removes both.
	if err := sw.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	for _, s := range []django.Store{newStore, oldStore, sw} {
		if ok, err := s.Exists(ctx, key); ok || err != nil {
			t.Fatalf("%T still holds the session after Delete (%v)", s, err)
		}
	}
	if _, err := sw.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("Load after Delete: %v, want ErrNotFound", err)
	}
}

func TestSwitchoverSave(t *testing.T) {
	ctx := context.Background()
	newStore, oldStore := switchoverStores(t)
	sw, _ := NewSwitchoverStore(newStore, oldStore)
	const oldKey, freshKey = "old00000session0key0000000000000", "new00000session0key0000000000000"
	if err := oldStore.Save(ctx, oldKey, session("a", int64(1)), true); err != nil {
		t.Fatal(err)
	}
	// A create must not take a key the old store holds.
	if err := sw.Save(ctx, oldKey, session(), true); !errors.Is(err, django.ErrCreate) {
		t.Fatalf("create over an old session: %v, want ErrCreate", err)
	}
	// An update of a session still only in the old store creates it in
	// the new one.
	if err := sw.Save(ctx, oldKey, session("a", int64(2)), false); err != nil {
		t.Fatal(err)
	}
	if d, err := newStore.Load(ctx, oldKey); err != nil || d.Len() != 1 {
		t.Fatalf("new store: %v, %v", d, err)
	}
	// An update of a session neither holds is Django's UpdateError.
	if err := sw.Save(ctx, freshKey, session(), false); !errors.Is(err, django.ErrUpdate) {
		t.Fatalf("update of nothing: %v, want ErrUpdate", err)
	}
	// django.Create draws a key and creates it in the new store only.
	key, err := django.Create(ctx, sw, session("b", true))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := oldStore.Exists(ctx, key); ok {
		t.Fatal("a new session was written to the old store")
	}
	if ok, _ := newStore.Exists(ctx, key); !ok {
		t.Fatal("a new session is not in the new store")
	}
	if _, err := sw.Load(ctx, "missing0session0key0000000000000"); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("a key neither holds: %v", err)
	}
}

// A logout that lands between the load's read of the old store and its
// copy must not be undone by the copy.
func TestSwitchoverLogoutDuringCopy(t *testing.T) {
	ctx := context.Background()
	newStore, oldStore := switchoverStores(t)
	const key = "race0000session0key0000000000000"
	if err := oldStore.Save(ctx, key, session("_auth_user_id", "1"), true); err != nil {
		t.Fatal(err)
	}
	// The old store as the load sees it: the read succeeds, and a logout
	// (Delete through the switch-over store) happens right after it.
	var sw *SwitchoverStore
	racing := &afterLoad{Store: oldStore, then: func() {
		if err := sw.Delete(ctx, key); err != nil {
			t.Error(err)
		}
	}}
	sw, _ = NewSwitchoverStore(newStore, racing)
	if _, err := sw.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("load racing a logout: %v, want ErrNotFound", err)
	}
	if ok, _ := newStore.Exists(ctx, key); ok {
		t.Fatal("the copy forward brought a logged-out session back")
	}
}

// afterLoad runs then once, after the first Load of the store it wraps:
// the interleaving of a concurrent request, made deterministic.
type afterLoad struct {
	django.Store
	then func()
	done bool
}

func (a *afterLoad) Load(ctx context.Context, key string) (*pyjson.Dict, error) {
	d, err := a.Store.Load(ctx, key)
	if !a.done {
		a.done = true
		a.then()
	}
	return d, err
}

func TestSwitchoverRefuses(t *testing.T) {
	newStore, _ := switchoverStores(t)
	if _, err := NewSwitchoverStore(newStore, nil); !errors.Is(err, django.ErrImproperlyConfigured) {
		t.Fatalf("nil old store: %v", err)
	}
}
