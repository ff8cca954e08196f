package layers

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDjhttpImportsNothingOfTheModule keeps djhttp at the bottom layer:
// package django imports it, so it may import nothing of this module.
func TestDjhttpImportsNothingOfTheModule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list imports with")
	}
	const pkg = "github.com/djsession/djsession/djhttp"
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != pkg && strings.HasPrefix(dep, "github.com/djsession/djsession") {
			t.Errorf("djhttp imports %s", dep)
		}
	}
}
