package backends_test

import (
	"strings"
	"testing"

	"github.com/djsession/djsession/backends"
)

// The URLs come from the environment, and their errors go to logs: no
// input panics, and no error shows the password it was given.
func FuzzParseURLs(f *testing.F) {
	for _, s := range []string{
		"postgres://u:pw@h:5432/db?sslmode=require", "mysql://u:pw@h/db", "sqlite:////tmp/x.sqlite3", "sqlite://:memory:",
		"redis://u:pw@h:6379/0,redis://h2:6379/0", "valkeys://h1,h2/3?key_prefix=a&version=x", "pymemcache://a:1,b:2",
		"postgres://u:p@ss@h:x/db", "redis://:pw@h:port/0", "memcache:///tmp/sock", "ftp://u:pw@h", "://", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		const secret = "Zq9secretPW"
		raw = strings.ReplaceAll(raw, "pw", secret)
		_, pass, hasPass := strings.Cut(raw, ":"+secret+"@")
		for _, err := range []error{parseDB(raw), parseCache(raw)} {
			if err != nil && hasPass && pass != "" && strings.Contains(err.Error(), secret) && strings.Count(raw, secret) == 1 {
				t.Fatalf("the error shows the password: %v", err)
			}
		}
	})
}

func parseDB(raw string) error {
	_, err := backends.ParseDatabaseURL(raw)
	return err
}

func parseCache(raw string) error {
	_, err := backends.ParseCacheURL(raw)
	return err
}
