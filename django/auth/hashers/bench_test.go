package hashers

import (
	"testing"

	"github.com/djsession/djsession/django"
)

// BenchmarkCheck verifies one password per hasher at the Django 6.1
// defaults (argon2 and bcrypt at the defaults Django has used since 3.2).
func BenchmarkCheck(b *testing.B) {
	for _, alg := range []string{PBKDF2SHA256, PBKDF2SHA1, Argon2, BcryptSHA256, Bcrypt, Scrypt, MD5} {
		enc, err := Make(pw, alg, WithVersion(django.Django61))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := Check(pw, enc); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
	for _, alg := range []string{SHA1, UnsaltedMD5, UnsaltedSHA1} {
		enc, err := Make(pw, alg, WithVersion(django.Django42))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(alg+"_4.2", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := Check(pw, enc, WithVersion(django.Django42)); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
