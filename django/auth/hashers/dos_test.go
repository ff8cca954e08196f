package hashers

import (
	"errors"
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
