package hashers

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
)

// A stored hash carries its own work factor: an absurd one must be refused
// before anything is computed (rust-djangohashers' denial-of-service test).
func TestAbsurdWorkFactorsAreRefused(t *testing.T) {
	for _, enc := range []string{
		"pbkdf2_sha256$999999999$seasaltseasaltseasalt0$Y5Yn/sqFPKPdDlp/nZNDQehpoMUWCJx/jCpXU9dNPfg=",
		"pbkdf2_sha1$999999999$seasaltseasaltseasalt0$fv2RN3+X7KbHmKnrSF9Vr62SrrI=",
		"pbkdf2_sha256$99999999999999999999999999$salt$hash",
		"bcrypt$$2b$31$abcdefghijklmnopqrstuuTgi1P1vji0EVBjphWBVoQ5uNYLbgYUu",
		"bcrypt_sha256$$2b$31$abcdefghijklmnopqrstuuFqw3kHYxhUi1f/yDn5tonH6VA2osG8W",
		"argon2$argon2id$v=19$m=4194304,t=2,p=8$c2Vhc2FsdHNlYXNhbHRzZWFzYWx0MA$uD546K+ya53xSCGdj0oLIw",
		"argon2$argon2id$v=19$m=4294967295,t=4294967295,p=16777215$c2Vhc2FsdHNlYXNhbHRzZWFzYWx0MA$uD546K+ya53xSCGdj0oLIw",
		"argon2$argon2i$v=19$m=102400,t=1000000,p=8$c2Vhc2FsdHNlYXNhbHRzZWFzYWx0MA$uD546K+ya53xSCGdj0oLIw",
		"argon2$argon2d$v=19$m=1048576,t=2,p=4096$c2Vhc2FsdHNlYXNhbHRzZWFzYWx0MA$uD546K+ya53xSCGdj0oLIw",
		"scrypt$1099511627776$seasaltseasaltseasalt0$8$5$/LiXnzU1cEO95GRNrW+6otZzi95EV5xSDyZ8xijEKSNyOLZwaEKofEVHuoekDLohJeRtaHkI3AdgOUIHv9dlnA==",
		"scrypt$16384$seasaltseasaltseasalt0$8$100000$/LiXnzU1cEO95GRNrW+6otZzi95EV5xSDyZ8xijEKSNyOLZwaEKofEVHuoekDLohJeRtaHkI3AdgOUIHv9dlnA==",
		"scrypt$32768$seasaltseasaltseasalt0$8$1$x",
		"scrypt$99999999999999999999999$seasaltseasaltseasalt0$8$1$x",
	} {
		start := time.Now()
		ok, err := Check("correct horse battery staple \u00e9", enc)
		if ok || !errors.Is(err, ErrWorkFactorTooHigh) {
			t.Errorf("Check(%q) = %v, %v; want ErrWorkFactorTooHigh", enc, ok, err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("Check(%q) took %v before refusing", enc, d)
		}
	}
}

func TestLimitsAreConfigurable(t *testing.T) {
	enc := "pbkdf2_sha256$1000$seasaltseasaltseasalt0$wVW7t0o5pA/ZR3Cbwu5m7jyuGBOOiPb3NB6ozRWjyxI="
	if _, err := Check("x", enc, WithLimits(Limits{PBKDF2Iterations: 999})); !errors.Is(err, ErrWorkFactorTooHigh) {
		t.Errorf("limit 999 < 1000: %v", err)
	}
	if ok, err := Check("correct horse battery staple \u00e9", enc, WithLimits(Limits{PBKDF2Iterations: 1000})); !ok || err != nil {
		t.Errorf("limit 1000: %v, %v", ok, err)
	}
	if _, err := Make("x", PBKDF2SHA256, WithIterations(20_000_000)); !errors.Is(err, ErrWorkFactorTooHigh) {
		t.Errorf("Make beyond the limit: %v", err)
	}
	if _, err := Make("x", BcryptSHA256, WithBcryptRounds(17)); !errors.Is(err, ErrWorkFactorTooHigh) {
		t.Errorf("Make bcrypt beyond the limit: %v", err)
	}
	// Django's own ceiling for scrypt (OpenSSL's 32 MiB with maxmem=0).
	if _, err := Make("x", Scrypt, WithScrypt(ScryptParams{N: 1 << 15})); !errors.Is(err, ErrWorkFactorTooHigh) {
		t.Errorf("Make scrypt N=2^15 r=8 (Django: memory limit exceeded): %v", err)
	}
	// Every version's defaults are within DefaultLimits.
	for _, v := range django.Versions {
		c, err := newConfig([]Option{WithVersion(v)})
		if err != nil {
			t.Fatal(err)
		}
		sp, ap := c.scryptParams(), c.argon2Params()
		if c.pbkdf2Iterations() > c.limits.PBKDF2Iterations || c.bcryptRounds() > c.limits.BcryptCost ||
			(&scryptHasher{c: c}).limit(sp.N, sp.R, sp.P) != nil || (&argon2Hasher{c: c}).limit(ap.MemoryKiB, ap.Time, ap.Parallelism) != nil {
			t.Errorf("Django %s defaults exceed DefaultLimits", v)
		}
	}
}

// TestArgon2CapsAreSmallMultiplesOfDjango: the shape (1 GiB with
// t=20, about a minute per check) and every hash just above a default cap
// are refused before any work, measured by allocation, not by time: one
// argon2 pass allocates its whole memory, so a refusal that allocates
// under 64 KiB computed nothing. The error names the cap and how to raise
// it, and raising it with WithLimits lets the same hash through.
func TestArgon2CapsAreSmallMultiplesOfDjango(t *testing.T) {
	const salt = "c2Vhc2FsdHNlYXNhbHRzZWFzYWx0MA"
	const hash = "uD546K+ya53xSCGdj0oLIw"
	for _, c := range []struct {
		params, field string
		raise         Limits
	}{
		{"m=1048576,t=20,p=8", "Argon2MemoryKiB", Limits{}},
		{"m=204801,t=2,p=8", "Argon2MemoryKiB", Limits{}},
		// Small memory, so that the raised check computes cheaply.
		{"m=64,t=5,p=8", "Argon2Time", Limits{Argon2Time: 5}},
		{"m=264,t=1,p=33", "Argon2Parallelism", Limits{Argon2Parallelism: 33}},
	} {
		enc := "argon2$argon2id$v=19$" + c.params + "$" + salt + "$" + hash
		var err error
		allocated := bytesAllocated(func() { _, err = Check("password", enc) })
		if !errors.Is(err, ErrWorkFactorTooHigh) {
			t.Errorf("%s: err %v, want ErrWorkFactorTooHigh", c.params, err)
			continue
		}
		if allocated > 64<<10 {
			t.Errorf("%s: %d bytes allocated before refusing", c.params, allocated)
		}
		if msg := err.Error(); !strings.Contains(msg, "Limits."+c.field) || !strings.Contains(msg, "WithLimits") {
			t.Errorf("%s: the error does not name the cap and how to raise it: %q", c.params, msg)
		}
		if c.raise == (Limits{}) {
			continue
		}
		// Raised: the hash is computed (and does not match), so the cap was
		// the only obstacle.
		if ok, err := Check("password", enc, WithLimits(c.raise)); ok || err != nil {
			t.Errorf("%s with %+v: %v, %v; want false, nil", c.params, c.raise, ok, err)
		}
	}
	// The memory cap is configurable too (lowered here, so that both
	// sides of it stay cheap to compute).
	enc := "argon2$argon2id$v=19$m=72,t=1,p=8$" + salt + "$" + hash
	if _, err := Check("password", enc, WithLimits(Limits{Argon2MemoryKiB: 64})); !errors.Is(err, ErrWorkFactorTooHigh) {
		t.Errorf("m=72 under a 64 KiB cap: %v", err)
	}
	if ok, err := Check("password", enc, WithLimits(Limits{Argon2MemoryKiB: 72})); ok || err != nil {
		t.Errorf("m=72 under a 72 KiB cap: %v, %v; want false, nil", ok, err)
	}
	// Make refuses to write what Check would refuse.
	if _, err := Make("x", Argon2, WithArgon2(Argon2Params{Time: 20})); !errors.Is(err, ErrWorkFactorTooHigh) {
		t.Errorf("Make argon2 t=20: %v", err)
	}
	// Django's defaults are within the caps and at most four times
	// cheaper than them: the caps are a small multiple, not a thousandfold.
	d := DefaultLimits
	if work := uint64(d.Argon2MemoryKiB) * uint64(d.Argon2Time); work > 4*102_400*2 {
		t.Errorf("argon2 cap m·t = %d, more than 4 × Django's default work", work)
	}
}

// TestWorkFactorCapsAreSmallMultiplesOfDjango: for every hasher, the
// default cap allows at most four times the work of Django's newest
// default, and a hash one step above it is refused without computing
// (allocation, not time, is the bound).
func TestWorkFactorCapsAreSmallMultiplesOfDjango(t *testing.T) {
	d := DefaultLimits
	if d.PBKDF2Iterations > 4*1_500_000 {
		t.Errorf("PBKDF2 cap %d > 4 × Django 6.1's 1 500 000", d.PBKDF2Iterations)
	}
	if d.BcryptCost > 12+2 {
		t.Errorf("bcrypt cap %d > 4 × the work of Django's cost 12", d.BcryptCost)
	}
	if d.ScryptWork > 4*16384*8*5 {
		t.Errorf("scrypt work cap %d > 4 × Django 5.2's N·r·p", d.ScryptWork)
	}
	for _, enc := range []string{
		"pbkdf2_sha256$6000001$seasaltseasaltseasalt0$Y5Yn/sqFPKPdDlp/nZNDQehpoMUWCJx/jCpXU9dNPfg=",
		"bcrypt_sha256$$2b$15$abcdefghijklmnopqrstuuFqw3kHYxhUi1f/yDn5tonH6VA2osG8W",
		"scrypt$16384$seasaltseasaltseasalt0$8$21$/LiXnzU1cEO95GRNrW+6otZzi95EV5xSDyZ8xijEKSNyOLZwaEKofEVHuoekDLohJeRtaHkI3AdgOUIHv9dlnA==",
	} {
		var err error
		allocated := bytesAllocated(func() { _, err = Check("password", enc) })
		if !errors.Is(err, ErrWorkFactorTooHigh) || !strings.Contains(err.Error(), "WithLimits") {
			t.Errorf("%s: %v", enc, err)
		}
		if allocated > 64<<10 {
			t.Errorf("%s: %d bytes allocated before refusing", enc, allocated)
		}
	}
}

// bytesAllocated is the heap allocated while f runs (this test's
// goroutine is the only one allocating in this package's tests).
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
