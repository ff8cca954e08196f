package django_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

type item struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

// Session values as Go code writes them: checked at the call, Go data
// converted to what Django reads back.
func TestSetChecksAndConverts(t *testing.T) {
	st, _ := fileStore(t)
	ctx := context.Background()
	sess := django.NewSession(ctx, st, "")
	if err := sess.Set("bad", make(chan int)); !errors.Is(err, django.ErrNotSerializable) {
		t.Fatalf("Set(chan) = %v, want ErrNotSerializable at the call", err)
	}
	if sess.Has("bad") || sess.Modified() {
		t.Fatal("a refused value is not stored")
	}
	if err := sess.Set("cart", []item{{"a", 2, 9.5}}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Set("prefs", map[string]any{"theme": "dark", "size": 3}); err != nil {
		t.Fatal(err)
	}
	if d, ok := sess.GetDict("prefs"); !ok || d.String() != "{'size': 3, 'theme': 'dark'}" {
		t.Fatalf("a Go map comes back as a *pyjson.Dict: %v %v", d, ok)
	}
	if err := sess.Set("ratio", float32(0.5)); err != nil {
		t.Fatal(err)
	}
	if f, ok := sess.GetFloat64("ratio"); !ok || f != 0.5 {
		t.Fatalf("GetFloat64 = %v, %v", f, ok)
	}
	if err := sess.Save(ctx); err != nil {
		t.Fatal(err)
	}
	again := django.NewSession(ctx, st, sess.Key())
	var cart []item
	if err := again.Decode("cart", &cart); err != nil || len(cart) != 1 || cart[0] != (item{"a", 2, 9.5}) {
		t.Fatalf("Decode(cart) = %+v, %v", cart, err)
	}
	if err := again.Decode("missing", &cart); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("Decode of a missing key = %v", err)
	}
	if got := fmt.Sprint(again.Data()); got != "{'cart': [{'sku': 'a', 'qty': 2, 'price': 9.5}], 'prefs': {'size': 3, 'theme': 'dark'}, 'ratio': 0.5}" {
		t.Fatalf("the session prints as Python shows it: %s", got)
	}
	if err := again.Update(dictOf("ok", int64(1), "no", func() {})); !errors.Is(err, django.ErrNotSerializable) || again.Has("ok") {
		t.Fatalf("Update with one refused value stores nothing: %v", err)
	}
}

// Where Django pickles the session (the cache engine, the PickleSerializer),
// pickle's types are values; where it writes JSON, a tuple is a list.
func TestSetPickleTypesWherePickled(t *testing.T) {
	s := django.DefaultSettings("k")
	s.DjangoVersion = django.Django42
	s.SessionSerializer, s.AllowPickleSerializer = django.PickleSerializer, true
	pickled, err := signedcookies.New(s)
	if err != nil {
		t.Fatal(err)
	}
	sess := django.NewSession(context.Background(), pickled, "")
	if err := sess.Set("t", pickle.Tuple{int64(1), "a"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := sess.Get("t"); !pickle.Equal(v, pickle.Tuple{int64(1), "a"}) {
		t.Fatalf("a tuple stays a tuple under the PickleSerializer: %#v", v)
	}
	st, _ := fileStore(t)
	sess = django.NewSession(context.Background(), st, "")
	if err := sess.Set("t", pickle.Tuple{int64(1)}); err != nil {
		t.Fatal(err)
	}
	if v, _ := sess.Get("t"); !pyjson.Equal(v, []any{int64(1)}) {
		t.Fatalf("json.dumps writes a tuple as a list: %#v", v)
	}
}
