package cache

import (
	"net/url"
	"strconv"
	"testing"
)

// FuzzParseMetadump: a line of lru_crawler metadump comes from the server;
// whatever it holds, the parser returns without panicking, and a key it
// accepts is one the server could have escaped.
func FuzzParseMetadump(f *testing.F) {
	for _, seed := range []string{
		"key=abc%3A1%3Adjango.contrib.sessions.cachex exp=1796321651 la=1 cas=1 fetch=no cls=2 size=102",
		"key=k%C3%A9x exp=-1 la=1",
		"key=%zz exp=1",
		"key= exp=",
		"exp=99999999999999999999 key=a",
		"garbage",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		key, exp, ok := parseMetadump(line)
		if !ok {
			return
		}
		k2, exp2, ok2 := parseMetadump("key=" + url.PathEscape(key) + " exp=" + strconv.FormatInt(exp, 10))
		if !ok2 || k2 != key || exp2 != exp {
			t.Fatalf("%q: parsed (%q, %d), re-escaped parses as (%q, %d, %v)", line, key, exp, k2, exp2, ok2)
		}
	})
}
