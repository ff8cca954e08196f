package pickle

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/djsession/djsession/pyjson"
)

// The session dict as Django's cache backends store it, captured from real
// memcached and Redis (storage-cache.md §2 and §5.4): the unsigned pickle of
// the dict, protocol 5 (pymemcache, pylibmc, python-memcached, RedisCache)
// or 4 (django-redis).
func TestCacheCaptures(t *testing.T) {
	sample := func() *pyjson.Dict {
		d := pyjson.NewDict(4)
		d.Set("_auth_user_id", "1")
		d.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
		d.Set("cart", []any{int64(1), int64(2), int64(3)})
		d.Set("visits", int64(43))
		return d
	}
	proto5 := "80059576000000000000007d94288c0d5f617574685f757365725f6964948c0131948c125f617574685f757365725f6261" +
		"636b656e64948c29646a616e676f2e636f6e747269622e617574682e6261636b656e64732e4d6f64656c4261636b656e64" +
		"948c0463617274945d94284b014b024b03658c06766973697473944b2b752e"
	withExpiry := sample()
	withExpiry.Set("_session_expiry", int64(5184000))
	cases := []struct {
		name  string
		proto int
		hex   string
		value *pyjson.Dict
	}{
		{"memcached and RedisCache, protocol 5", 5, proto5, sample()},
		{"django-redis, protocol 4", 4, "8004" + proto5[4:], sample()},
		{"after set_expiry(60 days)", 5, "8005958d000000000000007d94288c0d5f617574685f757365725f6964948c0131948c125f617574685f757365725f6261636b656e64948c29646a616e676f2e636f6e747269622e617574682e6261636b656e64732e4d6f64656c4261636b656e64948c0463617274945d94284b014b024b03658c06766973697473944b2b8c0f5f73657373696f6e5f657870697279944a001a4f00752e", withExpiry},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, _ := hex.DecodeString(c.hex)
			if c.proto == 5 && len(want) != 129 && !strings.Contains(c.name, "expiry") {
				t.Fatalf("capture is %d bytes, want 129", len(want))
			}
			got, err := Marshal(c.value, c.proto)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("Marshal = %x, %v\nwant      %x", got, err, want)
			}
			v, err := Unmarshal(want)
			if err != nil || !Equal(v, c.value) {
				t.Errorf("Unmarshal = %#v, %v", v, err)
			}
			// The session dict decodes to a *pyjson.Dict: the same value
			// package pyjson reads from the JSON session_data.
			if d, ok := v.(*pyjson.Dict); !ok || !pyjson.Equal(d, c.value) {
				t.Errorf("not a plain *pyjson.Dict: %T", v)
			}
		})
	}
	// A bool is pickled even by RedisCache (only ints go raw).
	if b, err := Marshal(true, 5); err != nil || hex.EncodeToString(b) != "8005882e" {
		t.Errorf("Marshal(true) = %x, %v", b, err)
	}
}

func TestSerializer(t *testing.T) {
	var s Serializer
	d := pyjson.NewDict(1)
	d.Set("k", "v")
	b, err := s.Dumps(d)
	if err != nil || b[1] != 5 {
		t.Fatalf("Dumps = %x, %v (want protocol 5)", b, err)
	}
	v, err := s.Loads(b)
	if err != nil || !Equal(v, d) {
		t.Fatalf("Loads = %v, %v", v, err)
	}
	b2, err := Serializer{Protocol: 2}.AppendDumps([]byte("x"), d)
	if err != nil || string(b2[:3]) != "x\x80\x02" {
		t.Fatalf("AppendDumps = %x, %v", b2, err)
	}
	// Loads keeps nothing of its input.
	in, _ := s.Dumps(Bytes("secret"))
	out, _ := s.Loads(in)
	clear(in)
	if string(out.(Bytes)) != "secret" {
		t.Error("Loads aliases its input")
	}
}
