package hashers

import (
	"errors"
	"testing"

	"github.com/djsession/djsession/django"
)

// FuzzCheck: no input panics, and every error is one of the documented
// sentinels. Work factors are capped low so that the fuzzer explores
// parsing instead of waiting for hashes. Seeds: testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"pbkdf2_sha256$1000$seasaltseasaltseasalt0$wVW7t0o5pA/ZR3Cbwu5m7jyuGBOOiPb3NB6ozRWjyxI=",
		"pbkdf2_sha1$1000$seasaltseasaltseasalt0$fv2RN3+X7KbHmKnrSF9Vr62SrrI=",
		"argon2$argon2id$v=19$m=64,t=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg",
		"bcrypt$$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW",
		"bcrypt_sha256$$2y$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW",
		"scrypt$1024$abcdefgh$1$5$ovue6+3r3SRRAwRFUOjKNRDxuEQ3q/Smgw+1NMDMTR6QWai2E5bfpMn27m1h7P1uA3YcGCOZ2fhVDutIyJfcOg==",
		"md5$seasaltseasaltseasalt0$c5b789d33fd1a6e972c01beb6766df64",
		"sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8",
		"88a434c88cca4e900f7874cd98123f43", "md5$$88a434c88cca4e900f7874cd98123f43",
		"sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b", "!abc", "", "$", "pbkdf2_sha256$-1$s$h",
	} {
		f.Add("pw", s, uint8(0))
	}
	lim := WithLimits(Limits{PBKDF2Iterations: 5000, BcryptCost: 5, Argon2MemoryKiB: 1024, Argon2Time: 3,
		Argon2Parallelism: 4, ScryptMemoryBytes: 1 << 20, ScryptWork: 1 << 14})
	f.Fuzz(func(t *testing.T, password, encoded string, vi uint8) {
		v := django.Versions[int(vi)%len(django.Versions)]
		ok, err := Check(password, encoded, WithVersion(v), lim)
		if err != nil && (ok || !(errors.Is(err, ErrUnknownHasher) || errors.Is(err, ErrWorkFactorTooHigh))) {
			t.Fatalf("Check(%q, %q) = %v, %v", password, encoded, ok, err)
		}
		_ = MustUpdate(encoded, WithVersion(v), lim)
	})
}
