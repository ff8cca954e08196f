package hashers

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/djsession/djsession/django"
)

const pw = "correct horse battery staple \u00e9"

func TestUnusableAndEmpty(t *testing.T) {
	u, err := MakeUnusable()
	if err != nil || len(u) != 41 || u[0] != '!' || strings.Trim(u[1:], randomChars) != "" {
		t.Fatalf("MakeUnusable() = %q, %v", u, err)
	}
	for _, enc := range []string{u, "", "!", "!pbkdf2_sha256$1000$seasaltseasaltseasalt0$wVW7t0o5pA/ZR3Cbwu5m7jyuGBOOiPb3NB6ozRWjyxI="} {
		for _, p := range []string{"", pw, enc} {
			if ok, err := Check(p, enc); ok || err != nil {
				t.Errorf("Check(%q, %q) = %v, %v", p, enc, ok, err)
			}
		}
		if MustUpdate(enc) {
			t.Errorf("MustUpdate(%q) = true", enc)
		}
	}
	if IsUsable(u) || !IsUsable("") {
		t.Error("IsUsable")
	}
}

func TestEmptyPasswordIsAPassword(t *testing.T) {
	enc, err := Make("", PBKDF2SHA256, WithIterations(1000))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Check("", enc); !ok || err != nil {
		t.Errorf("Check(\"\", %q) = %v, %v", enc, ok, err)
	}
}

// Cases checked against real Django (the argon2 1.0 one is from Django's
// tests/auth_tests/test_hashers.py).
func TestDjangoTestSuiteVectors(t *testing.T) {
	cases := []struct {
		v        django.Version
		password string
		encoded  string
	}{
		{django.Django42, "lètmein", "pbkdf2_sha256$30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY="},
		{django.Django42, "lètmein", "pbkdf2_sha1$30000$seasalt$6/5h7qgEePCUoe8yZfjlzi9SSaw="},
		{django.Django42, "lètmein", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"},
		{django.Django42, "lètmein", "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"},
		{django.Django42, "lètmein", "88a434c88cca4e900f7874cd98123f43"},
		{django.Django42, "lètmein", "md5$$88a434c88cca4e900f7874cd98123f43"},
		{django.Django42, "lètmein", "sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b"},
		// Argon2 1.0 (no "$v=") and argon2i, as Django's test_argon2_decode /
		// test_argon2_version_upgrade.
		{django.Django52, "secret", "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg"},
		{django.Django52, "secret", "argon2$argon2i$v=19$m=8,t=1,p=1$c29tZXNhbHQ$RR3B6XUH7DI1blhzJaRchg"},
	}
	for _, c := range cases {
		if ok, err := Check(c.password, c.encoded, WithVersion(c.v)); !ok || err != nil {
			t.Errorf("Django %s: Check(%q, %q) = %v, %v", c.v, c.password, c.encoded, ok, err)
		}
		if ok, err := Check(c.password+"x", c.encoded, WithVersion(c.v)); ok || err != nil {
			t.Errorf("Django %s: Check(wrong, %q) = %v, %v", c.v, c.encoded, ok, err)
		}
		if !MustUpdate(c.encoded, WithVersion(c.v)) {
			t.Errorf("MustUpdate(%q) = false", c.encoded)
		}
	}
}

// Django 5.1 removed sha1, unsalted_md5 and unsalted_sha1: on 5.2 and 6.1
// such hashes are unknown, as in Django.
func TestRemovedHashers(t *testing.T) {
	for _, enc := range []string{
		"sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8",
		"88a434c88cca4e900f7874cd98123f43",
		"md5$$88a434c88cca4e900f7874cd98123f43",
		"sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b",
	} {
		for _, v := range []django.Version{django.Django52, django.Django61} {
			if ok, err := Check("lètmein", enc, WithVersion(v)); ok || !errors.Is(err, ErrUnknownHasher) || errors.Is(err, ErrMalformedHash) {
				t.Errorf("Django %s: Check(%q) = %v, %v", v, enc, ok, err)
			}
		}
		if ok, err := Check("lètmein", enc, WithVersion(django.Django32)); !ok || err != nil {
			t.Errorf("Django 3.2: Check(%q) = %v, %v", enc, ok, err)
		}
	}
	if _, err := Make("x", SHA1, WithVersion(django.Django52)); !errors.Is(err, ErrUnknownHasher) {
		t.Errorf("Make sha1 on 5.2: %v", err)
	}
	if _, err := Make("x", Scrypt, WithVersion(django.Django32)); !errors.Is(err, ErrUnknownHasher) {
		t.Errorf("Make scrypt on 3.2: %v", err)
	}
}

func TestWithHashers(t *testing.T) {
	md5enc := "md5$seasaltseasaltseasalt0$c5b789d33fd1a6e972c01beb6766df64"
	if _, err := Check(pw, md5enc, WithHashers(DefaultHashers(django.Django61)...)); !errors.Is(err, ErrUnknownHasher) {
		t.Errorf("md5 with Django's default PASSWORD_HASHERS: %v", err)
	}
	if ok, err := Check(pw, md5enc, WithHashers(MD5)); !ok || err != nil {
		t.Errorf("md5 enabled: %v, %v", ok, err)
	}
	if MustUpdate(md5enc, WithHashers(MD5)) {
		t.Error("md5 preferred, 22-character salt: no update")
	}
	if !MustUpdate("md5$short$c5b789d33fd1a6e972c01beb6766df64", WithHashers(MD5)) {
		t.Error("md5 with a short salt must update")
	}
	enc, err := Make(pw, "", WithHashers(MD5, PBKDF2SHA256), WithSalt("abc"))
	if err != nil || !strings.HasPrefix(enc, "md5$abc$") {
		t.Errorf("Make default with md5 preferred = %q, %v", enc, err)
	}
}

func TestMakeDefaults(t *testing.T) {
	enc, err := Make(pw, "", WithIterations(1000))
	if err != nil || !strings.HasPrefix(enc, "pbkdf2_sha256$1000$") || len(strings.Split(enc, "$")[2]) != 22 {
		t.Fatalf("Make = %q, %v", enc, err)
	}
	if ok, _ := Check(pw, enc); !ok {
		t.Error("round trip")
	}
	if !MustUpdate(enc) || MustUpdate(enc, WithIterations(1000)) {
		t.Error("MustUpdate follows the iteration count")
	}
	// Salts from a fixed reader are reproducible.
	a, _ := Make(pw, Scrypt, WithRand(bytes.NewReader(bytes.Repeat([]byte{7, 250, 61}, 100))), WithScrypt(ScryptParams{N: 1024}))
	b, _ := Make(pw, Scrypt, WithRand(bytes.NewReader(bytes.Repeat([]byte{7, 250, 61}, 100))), WithScrypt(ScryptParams{N: 1024}))
	if a != b || !strings.HasPrefix(a, "scrypt$1024$h9h9h9h9h9h9h9h9h9h9h9$8$5$") {
		t.Errorf("scrypt with a fixed reader: %q, %q", a, b)
	}
	for _, bad := range []struct {
		alg  string
		opts []Option
	}{
		{PBKDF2SHA256, []Option{WithSalt("a$b")}},
		{MD5, []Option{WithSalt("$")}},
		{Argon2, []Option{WithSalt("short")}},
		{UnsaltedMD5, []Option{WithSalt("x"), WithVersion(django.Django42)}},
		{Bcrypt, []Option{WithSalt("$2x$04$abcdefghijklmnopqrstuv")}},
		{Scrypt, []Option{WithScrypt(ScryptParams{N: 1000})}},
		{PBKDF2SHA256, []Option{WithIterations(0)}},
		{PBKDF2SHA256, []Option{WithVersion(django.Version{Major: 5, Minor: 0})}},
	} {
		if _, err := Make(pw, bad.alg, bad.opts...); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Make(%s, bad) = %v", bad.alg, err)
		}
	}
	if enc, err := Make(pw, PBKDF2SHA256, WithSalt(""), WithIterations(1000)); err != nil || len(strings.Split(enc, "$")[2]) != 22 {
		t.Errorf("an empty salt means a random one, as in make_password: %q, %v", enc, err)
	}
	if _, err := Make("a\x00b", Bcrypt, WithBcryptRounds(4)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("bcrypt with NUL: %v", err)
	}
}

// A bcrypt salt's 22nd character keeps only two bits: Django (pyca/bcrypt)
// writes the canonical character, so a stored non-canonical one never
// verifies, though the derived hash is right.
func TestBcryptNonCanonicalSalt(t *testing.T) {
	// From the 3.2 vectors; salt "…stuv" was given, Django wrote "…stuu".
	other := "bcrypt$$2b$12$abcdefghijklmnopqrstuvTgi1P1vji0EVBjphWBVoQ5uNYLbgYUu"
	if ok, err := Check(pw, other); ok || err != nil {
		t.Errorf("non-canonical salt: %v, %v", ok, err)
	}
}

func TestParsePyInt(t *testing.T) {
	for s, want := range map[string][2]bool{ // ok, canonical
		"0": {true, true}, "10": {true, true}, "-5": {true, true}, "010": {true, false}, "+1": {true, false},
		" 1": {true, false}, "1_0": {true, false}, "-0": {true, false}, "１": {true, false}, "": {false, false},
		"_1": {false, false}, "1_": {false, false}, "1__0": {false, false}, "a": {false, false}, "-": {false, false},
		"99999999999999999999999": {true, true},
	} {
		n, ok := parsePyInt(s)
		if ok != want[0] || (ok && n.canonical != want[1]) {
			t.Errorf("parsePyInt(%q) = %+v, %v; want %v", s, n, ok, want)
		}
	}
}

func TestHardenRuntime(t *testing.T) {
	opts := []Option{WithHardenRuntime(true), WithIterations(2000), WithBcryptRounds(5)}
	for _, enc := range []string{
		"", "!x", "unknown$x",
		"pbkdf2_sha256$1000$seasaltseasaltseasalt0$wVW7t0o5pA/ZR3Cbwu5m7jyuGBOOiPb3NB6ozRWjyxI=",
	} {
		if ok, _ := Check("wrong", enc, opts...); ok {
			t.Errorf("Check(wrong, %q) = true", enc)
		}
	}
	enc, _ := Make(pw, BcryptSHA256, WithBcryptRounds(4))
	if ok, err := Check("wrong", enc, append(opts, WithHashers(BcryptSHA256))...); ok || err != nil {
		t.Errorf("bcrypt harden: %v, %v", ok, err)
	}
}
