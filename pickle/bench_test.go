package pickle

import (
	"fmt"
	"testing"
	"time"

	"github.com/djsession/djsession/pyjson"
)

// loginSession is what django.contrib.auth.login() leaves, plus the expiry.
func loginSession() *pyjson.Dict {
	d := pyjson.NewDict(4)
	d.Set("_auth_user_id", "1")
	d.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
	d.Set("_auth_user_hash", "3f0c1f1f0f3d8e0b2a9b6cb36b5c3d1b6b8f3f0e2e9d4c1a7b5e6f7a8b9c0d1e")
	d.Set("_session_expiry", int64(1209600))
	return d
}

// cartSession is a ~1 KB shop session with nested dicts, a datetime and a
// Decimal.
func cartSession() *pyjson.Dict {
	d := loginSession()
	items := make([]any, 8)
	for i := range items {
		it := pyjson.NewDict(4)
		it.Set("sku", fmt.Sprintf("SKU-%06d", 1000+i))
		it.Set("name", fmt.Sprintf("Product number %d, blue", i))
		it.Set("qty", int64(i+1))
		it.Set("price", Decimal(fmt.Sprintf("%d.99", 10+i)))
		items[i] = it
	}
	d.Set("cart", items)
	d.Set("cart_updated", DatetimeOf(time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)))
	d.Set("coupon", Tuple{"WINTER", int64(10)})
	return d
}

func benchMarshal(b *testing.B, v any) {
	b.ReportAllocs()
	data, _ := Marshal(v, 5)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Marshal(v, 5); err != nil {
			b.Fatal(err)
		}
	}
}

func benchUnmarshal(b *testing.B, v any) {
	b.ReportAllocs()
	data, _ := Marshal(v, 5)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalLogin(b *testing.B)   { benchMarshal(b, loginSession()) }
func BenchmarkUnmarshalLogin(b *testing.B) { benchUnmarshal(b, loginSession()) }
func BenchmarkMarshalCart(b *testing.B)    { benchMarshal(b, cartSession()) }
func BenchmarkUnmarshalCart(b *testing.B)  { benchUnmarshal(b, cartSession()) }
