package layers

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are the imports each lower package must not reach, directly
// or not: stores sit above the session layer, and clients and drivers are
// the stores' (and the caller's) business.
var forbidden = []string{
	"github.com/djsession/djsession/backends",
	"github.com/djsession/djsession/cmd",
	"github.com/redis/go-redis",
	"github.com/bradfitz/gomemcache",
	"github.com/lib/pq",
	"github.com/go-sql-driver/mysql",
	"modernc.org/sqlite",
}

func TestLowerLayersCompileNoStore(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list imports with")
	}
	for _, pkg := range []string{"signing", "pyjson", "pickle", "django", "django/auth", "django/auth/hashers", "django/csrf", "django/messages"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/djsession/djsession/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
}
