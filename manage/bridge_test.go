package manage

import (
	"context"
	"testing"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// TestBridge: a store with Bridge settings reads pickle and JSON, writes
// JSON (which a 5.2 JSON site reads), and keeps pickle for a session JSON
// cannot carry.
func TestBridge(t *testing.T) {
	ctx := context.Background()
	sqlDB := convDB(t)
	site := convSettings(convSecret)
	pickleStore, _ := db.New(sqlDB, db.SQLite, site)
	bridge, err := db.New(sqlDB, db.SQLite, Bridge(site))
	if err != nil {
		t.Fatal(err)
	}
	js := site
	js.SessionSerializer, js.DjangoVersion, js.AllowPickleSerializer = django.JSONSerializer, django.Django52, false
	jsonStore, _ := db.New(sqlDB, db.SQLite, js)

	plain := convDict("a", "b", "n", int64(1))
	kp, _ := django.Create(ctx, pickleStore, plain)
	kj, _ := django.Create(ctx, jsonStore, plain)
	for _, k := range []string{kp, kj} {
		got, err := bridge.Load(ctx, k)
		if err != nil || !got.Equal(plain) {
			t.Fatalf("bridge reads %v %v", pyjson.Repr(got), err)
		}
		if err := bridge.Save(ctx, k, got, false); err != nil {
			t.Fatal(err)
		}
		if got, err := jsonStore.Load(ctx, k); err != nil || !got.Equal(plain) {
			t.Fatalf("5.2 reads the bridge's write: %v", err)
		}
	}
	odd := convDict("when", pickle.DatetimeOf(convNow))
	ko, err := django.Create(ctx, bridge, odd)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pickleStore.Load(ctx, ko); err != nil || !pickle.Equal(got, odd) {
		t.Fatalf("pickle site reads the bridge's pickle: %v", err)
	}
	if got := django.PickleOnlyTypes(convDict("a", []any{pickle.Set{}, pickle.Tuple{pickle.Bytes("x")}})); len(got) != 3 {
		t.Fatalf("PickleOnlyTypes %v", got)
	}
}
