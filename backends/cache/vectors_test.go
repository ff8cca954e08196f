package cache

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/internal/vectors"
	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// readJSON decodes testdata/name into v (numbers in interface values as
// json.Number), failing t when the file or one of sections is missing or
// empty.
func readJSON(t *testing.T, name string, v any, sections ...string) {
	t.Helper()
	vectors.Open(t, "backends/cache/testdata/"+name).IntoNumbers(t, v, sections...)
}

func TestHashFunctionVectors(t *testing.T) {
	var doc struct {
		HashFunctionVectors map[string][]struct {
			Input  string
			Uint32 uint32
		} `json:"hash_function_vectors"`
	}
	readJSON(t, "placement-vectors.json", &doc, "hash_function_vectors")
	n := 0
	for _, v := range doc.HashFunctionVectors["murmur3_32_seed0"] {
		if got := murmur3([]byte(v.Input)); got != v.Uint32 {
			t.Errorf("murmur3(%q) = %#x, want %#x", v.Input, got, v.Uint32)
		}
		n++
	}
	for _, v := range doc.HashFunctionVectors["libmemcached_one_at_a_time"] {
		if got := oneAtATime(v.Input); got != v.Uint32 {
			t.Errorf("one_at_a_time(%q) = %#x, want %#x", v.Input, got, v.Uint32)
		}
		n++
	}
	if n < 4 {
		t.Fatalf("only %d hash vectors", n)
	}
	// The spec's check values.
	for in, want := range map[string]uint32{"": 0, "a": 0x3c2569b2, "hello": 0x248bfa47, "The quick brown fox jumps over the lazy dog": 0x2e4ff723} {
		if got := murmur3([]byte(in)); got != want {
			t.Errorf("murmur3(%q) = %#x, want %#x", in, got, want)
		}
	}
	for in, want := range map[string]uint32{"a": 0xca2e9442, "hello": 0xc8fd181b, ":1:django.contrib.sessions.cacheabc": 0x860ac0a0} {
		if got := oneAtATime(in); got != want {
			t.Errorf("one_at_a_time(%q) = %#x, want %#x", in, got, want)
		}
	}
	for in, want := range map[string]int{"a": 26807, "hello": 13840} {
		if got := pythonMemcachedHash(in); got != want {
			t.Errorf("python-memcached serverhash(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestPlacementVectors(t *testing.T) {
	var doc struct {
		Topologies []struct {
			Algorithm      string
			DjangoLocation string   `json:"django_location"`
			Servers        []string `json:"servers_in_order"`
			Placements     []struct {
				MemcachedKey string `json:"memcached_key"`
				Server       string
			}
		}
		NonASCII struct {
			Servers    []string
			PyMemcache struct {
				Rows []struct {
					Key    string
					Actual []string
				}
			}
			PyLibMCModula struct {
				Rows []struct {
					Key    string
					Actual []string
				}
			} `json:"pylibmc_modula"`
		} `json:"non_ascii_keys"`
	}
	readJSON(t, "placement-vectors.json", &doc, "topologies", "non_ascii_keys")
	ctors := map[string]func(...string) (*Selector, error){
		"rendezvous_murmur3":                NewPyMemcacheSelector,
		"libmemcached_modula_one_at_a_time": NewPyLibMCSelector,
		"libmemcached_ketama_one_at_a_time": NewPyLibMCKetamaSelector,
		"python_memcached_crc32":            NewPythonMemcachedSelector,
	}
	n := 0
	for _, top := range doc.Topologies {
		ctor := ctors[top.Algorithm]
		if ctor == nil {
			t.Fatalf("unknown algorithm %q", top.Algorithm)
		}
		loc := SplitLocation(top.DjangoLocation)
		if strings.Join(loc, " ") != strings.Join(top.Servers, " ") {
			t.Errorf("SplitLocation(%q) = %q, want %q", top.DjangoLocation, loc, top.Servers)
		}
		sel, err := ctor(loc...)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range top.Placements {
			if got := sel.Server(p.MemcachedKey); got != p.Server {
				t.Errorf("%s %v: %q on %s, Django put it on %s", top.Algorithm, top.Servers, p.MemcachedKey, got, p.Server)
			}
			addr, _ := sel.PickServer(p.MemcachedKey)
			if _, port, _ := strings.Cut(p.Server, ":"); !strings.HasSuffix(addr.String(), ":"+port) {
				t.Errorf("PickServer(%q) = %s, want port %s", p.MemcachedKey, addr, port)
			}
			n++
		}
	}
	pm, _ := NewPyMemcacheSelector(doc.NonASCII.Servers...)
	for _, r := range doc.NonASCII.PyMemcache.Rows {
		if got := pm.Server(r.Key); got != r.Actual[0] {
			t.Errorf("pymemcache non-ASCII %q on %s, want %s", r.Key, got, r.Actual[0])
		}
		n++
	}
	lm, _ := NewPyLibMCSelector(doc.NonASCII.Servers...)
	for _, r := range doc.NonASCII.PyLibMCModula.Rows {
		if got := lm.Server(r.Key); got != r.Actual[0] {
			t.Errorf("pylibmc non-ASCII %q on %s, want %s", r.Key, got, r.Actual[0])
		}
		n++
	}
	if n < 374 {
		t.Errorf("checked %d placements, want 360 + 14", n)
	}
	t.Logf("%d placements checked", n)
}

func TestPyMemcacheNodeNames(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:11211": "127.0.0.1:11211",
		"localhost":       "localhost:11211",
		"[::1]:11211":     "::1:11211",
		"[::1]":           "::1:11211",
		"unix:/tmp/m.s":   "/tmp/m.s",
		"/tmp/m.s":        "/tmp/m.s",
	} {
		if got := pymemcacheNodeName(in); got != want {
			t.Errorf("node name of %q = %q, want %q", in, got, want)
		}
	}
	// The worked example of the placement spec.
	for node, want := range map[string]uint32{"127.0.0.1:11211": 2216043040, "127.0.0.1:11212": 2113658476, "127.0.0.1:11213": 954793955} {
		if got := murmur3Node(node, ":1:django.contrib.sessions.cacheh304qp1um18yew0s6vdiqi6t9exqc0n3"); got != want {
			t.Errorf("score on %s = %d, want %d", node, got, want)
		}
	}
}

// sampleSession is the dict of every capture in cache-values.json.
func sampleSession(visits int64) *pyjson.Dict {
	d := pyjson.NewDict(4)
	d.Set("_auth_user_id", "1")
	d.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
	d.Set("cart", []any{int64(1), int64(2), int64(3)})
	d.Set("visits", visits)
	return d
}

func TestCapturedSessionValues(t *testing.T) {
	var doc struct {
		Entries []struct {
			Django       string
			CacheBackend string `json:"cache_backend"`
			CacheOptions any    `json:"cache_options"`
			KeyPrefix    string `json:"KEY_PREFIX"`
			Version      int    `json:"VERSION"`
			Engine       string `json:"session_engine"`
			SessionKey   string `json:"session_key"`
			DjangoKey    string `json:"django_cache_key"`
			ServerKey    string `json:"server_key"`
			Protocol     int    `json:"pickle_protocol"`
			Stored       struct {
				Header   string `json:"meta_get_response_header"`
				ValueHex string `json:"value_hex"`
			} `json:"stored_after_update"`
		}
	}
	readJSON(t, "cache-values.json", &doc, "entries")
	want := sampleSession(43)
	n := 0
	for _, e := range doc.Entries {
		if e.Stored.ValueHex == "" {
			continue
		}
		name := e.Django + " " + e.CacheBackend + " " + e.Engine
		prefix := KeyPrefix
		if strings.HasSuffix(e.Engine, "cached_db") {
			prefix = CachedDBKeyPrefix
		}
		if got := MakeKey(prefix+e.SessionKey, e.KeyPrefix, e.Version); got != e.ServerKey || prefix+e.SessionKey != e.DjangoKey {
			t.Errorf("%s: key %q, want %q", name, got, e.ServerKey)
		}
		raw, _ := hex.DecodeString(e.Stored.ValueHex)
		opts, _ := e.CacheOptions.(map[string]any)
		if opts["SERIALIZER"] != nil {
			// django-redis' JSON serializer: not supported (pickle only).
			continue
		}
		if opts["COMPRESSOR"] != nil {
			var err error
			raw, err = inflate(raw)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
		}
		v, err := unpickle(context.Background(), raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, err := sessionFromValue(v)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: decoded %v %v", name, v, err)
		}
		again, err := pickle.Marshal(want, e.Protocol)
		if err != nil || !bytes.Equal(again, raw) {
			t.Errorf("%s: Go pickles the session as %x, Django stored %x (%v)", name, again, raw, err)
		}
		if e.Stored.Header != "" && !strings.Contains(e.Stored.Header, " f1 ") {
			t.Errorf("%s: flags in %q", name, e.Stored.Header)
		}
		n++
	}
	if n < 20 {
		t.Errorf("only %d captures", n)
	}
	t.Logf("%d captured session values checked", n)
}

func TestFlagTable(t *testing.T) {
	var doc struct {
		FlagTableRaw map[string]json.RawMessage `json:"flag_table_raw"`
	}
	readJSON(t, "cache-values.json", &doc, "flag_table_raw")
	big70, _ := new(big.Int).SetString("1180591620717411303424", 10)
	values := map[string]any{
		"str": "héllo", "int": int64(42), "negint": int64(-7), "bigint": big70, "bool": true,
		"bytes": pickle.Bytes{0, 0xff}, "float": 1.5, "none": nil,
		"dict": func() *pyjson.Dict { d := pyjson.NewDict(1); d.Set("a", int64(1)); return d }(),
	}
	libs := map[string]MemcachedLibrary{"pymemcache": PyMemcacheCache, "pylibmc": PyLibMCCache, "python-memcached": MemcachedCache}
	for name, lib := range libs {
		var table map[string][2]string
		if err := json.Unmarshal(doc.FlagTableRaw[name], &table); err != nil {
			t.Fatal(err)
		}
		for typ, row := range table {
			f := strings.Fields(row[0]) // VALUE key flags len
			flags, _ := strconv.ParseUint(f[2], 10, 32)
			data, _ := hex.DecodeString(row[1])
			got, err := decodeMemcached(context.Background(), uint32(flags), data)
			if err != nil {
				t.Errorf("%s %s: %v", name, typ, err)
				continue
			}
			want, ok := values[typ]
			if typ == "bool" && lib == PyLibMCCache {
				want = int64(1) // pylibmc reads its bools back as ints
			}
			if strings.HasPrefix(typ, "str_2000") {
				want, ok = strings.Repeat("x", 2000), true
			}
			if !ok {
				t.Errorf("no expected value for %s", typ)
				continue
			}
			if !pickleEqual(got, want) {
				t.Errorf("%s %s: decoded %#v, want %#v", name, typ, got, want)
			}
			if strings.HasPrefix(typ, "str_2000") {
				continue // compression is only written when asked per call, which Django never does
			}
			enc, eflags, err := encodeMemcached(lib, values[typ], 5)
			if err != nil || eflags != uint32(flags) || !bytes.Equal(enc, data) {
				t.Errorf("%s %s: Go writes flags %d %x, the library wrote flags %d %x (%v)", name, typ, eflags, enc, flags, data, err)
			}
		}
	}
}

func pickleEqual(a, b any) bool {
	switch x := a.(type) {
	case pickle.Bytes:
		y, ok := b.(pickle.Bytes)
		return ok && bytes.Equal(x, y)
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	}
	return pyjson.Equal(a, b)
}

func TestMakeKeyAndValidation(t *testing.T) {
	if got := MakeKey(KeyPrefix+"sessionkeyaaaaaaaaaaaaaa00000001", "myapp", 3); got != "myapp:3:django.contrib.sessions.cachesessionkeyaaaaaaaaaaaaaa00000001" {
		t.Errorf("MakeKey = %q", got)
	}
	o := Options{}
	if got := o.makeKey("k"); got != ":1:k" {
		t.Errorf("default key %q", got)
	}
	o.KeyFunc = func(k, p string, v int) string { return p + "|" + strconv.Itoa(v) + "|" + k }
	o.KeyPrefix, o.Version = "x", 2
	if got := o.makeKey("k"); got != "x|2|k" {
		t.Errorf("KeyFunc key %q", got)
	}
	for key, ok := range map[string]bool{
		":1:ok":                         true,
		":1:has space":                  false,
		":1:tab\t":                      false,
		":1:del\x7f":                    false,
		":1:é":                          true,
		strings.Repeat("a", 250):        true,
		strings.Repeat("a", 251):        false,
		strings.Repeat("é", 250):        true, // 500 bytes, 250 characters: Django accepts it
		strings.Repeat("é", 251):        false,
		":1:" + strings.Repeat("!", 20): true,
	} {
		err := validateMemcachedKey(key)
		if (err == nil) != ok {
			t.Errorf("validateMemcachedKey(%.20q...) = %v, want ok=%v", key, err, ok)
		}
	}
}

func TestTimeoutConversions(t *testing.T) {
	now := time.Unix(1795792026, 0)
	for in, want := range map[int64]int32{
		1209600: 1209600, 2592000: 2592000, 2592001: 2592001 + 1795792026, 5184000: 1800976026,
		0: -1, -11: -11, 1: 1, 1 << 40: 2147483647, -1 << 40: -2147483648,
	} {
		if got := memcachedExpiration(in, now); got != want {
			t.Errorf("memcachedExpiration(%d) = %d, want %d", in, got, want)
		}
	}
	for in, want := range map[int64]int64{1209600: 1209600, 0: 0, -11: 0} {
		if got := redisCacheTimeout(in); got != want {
			t.Errorf("redisCacheTimeout(%d) = %d", in, got)
		}
	}
	for in, want := range map[int64]int64{1209600: 1209600000, 5184000: 5184000000, 0: 0, -11: -11000} {
		if got := djangoRedisTimeout(in); got != want {
			t.Errorf("djangoRedisTimeout(%d) = %d", in, got)
		}
	}
}

func TestParsePyInt(t *testing.T) {
	for in, want := range map[string]any{
		"42": int64(42), "-7": int64(-7), " 12\n": int64(12), "+3": int64(3), "1_000": int64(1000),
		"1180591620717411303424": "1180591620717411303424",
	} {
		got, ok := parsePyInt([]byte(in))
		if !ok {
			t.Errorf("parsePyInt(%q) failed", in)
			continue
		}
		if s, isStr := want.(string); isStr {
			if b, isBig := got.(*big.Int); !isBig || b.String() != s {
				t.Errorf("parsePyInt(%q) = %v", in, got)
			}
		} else if got != want {
			t.Errorf("parsePyInt(%q) = %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{"", "-", "1__0", "_1", "1_", "0x10", "\x80\x05N.", "1.5", "１"} {
		if got, ok := parsePyInt([]byte(in)); ok {
			t.Errorf("parsePyInt(%q) = %v, want failure", in, got)
		}
	}
}
