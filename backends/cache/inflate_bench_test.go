package cache

import (
	"testing"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// BenchmarkInflate reads back a compressed session pickle (memcached's
// flagCompressed, django-redis' ZlibCompressor): the inflate step alone.
func BenchmarkInflate(b *testing.B) {
	d := pyjson.NewDict(0)
	d.Set("_auth_user_id", "42")
	d.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
	d.Set("_auth_user_hash", "0f5e1d2c3b4a59687f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180")
	for _, k := range []string{"cart", "history", "prefs"} {
		d.Set(k, "some value that repeats, some value that repeats, some value that repeats")
	}
	data, err := pickle.Marshal(d, pickle.HighestProtocol)
	if err != nil {
		b.Fatal(err)
	}
	z, err := deflate(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := inflate(z); err != nil {
			b.Fatal(err)
		}
	}
}
