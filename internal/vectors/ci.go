package vectors

import (
	"os"
	"testing"
)

// CI reports whether the tests run in CI (CI=true), where every cell the
// matrix lists must run.
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable stops a test that cannot run here (a missing interpreter, a
// server that is down): a failure in CI, where a cell that vanishes would
// leave the run green, and a skip elsewhere.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf("CI=true: this cell must run: "+format, args...)
	}
	t.Skipf(format, args...)
}
