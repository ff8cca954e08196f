package main

import (
	"strings"
	"testing"
)

// Hashes made by real Django (fixtures/vectors/auth-5.2.json).
const djangoPBKDF2 = "pbkdf2_sha256$1000$seasaltseasaltseasalt0$wVW7t0o5pA/ZR3Cbwu5m7jyuGBOOiPb3NB6ozRWjyxI="

func TestCLIPasswords(t *testing.T) {
	pw := "correct horse battery staple é"
	if code, _, e := djs(t, pw, nil, "check-password", djangoPBKDF2); code != 0 {
		t.Errorf("right password: exit %d %s", code, e)
	}
	if code, _, _ := djs(t, pw+"\n", nil, "check-password", djangoPBKDF2); code != 1 {
		t.Errorf("a trailing newline is part of the password: exit %d, want 1", code)
	}
	if code, _, _ := djs(t, pw, nil, "check-password", "whatever$1$2"); code != 2 {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
	if code, _, e := djs(t, pw, nil, "check-password", "pbkdf2_sha256$900000000$salt$AAAA"); code != 2 || !strings.Contains(e, "refused") {
		t.Errorf("absurd work factor: exit %d %s, want 2 (refused, not computed)", code, e)
	}
	code, out, e := djs(t, pw, nil, "make-password", "--salt", "seasaltseasaltseasalt0", "--iterations", "1000")
	if code != 0 || strings.TrimSpace(out) != djangoPBKDF2 {
		t.Errorf("make-password = %q (exit %d %s), Django made %s", out, code, e, djangoPBKDF2)
	}
	if code, _, _ := djs(t, pw, nil, "make-password", "--hasher", "nope"); code != 2 {
		t.Errorf("unknown hasher: exit %d", code)
	}
}
