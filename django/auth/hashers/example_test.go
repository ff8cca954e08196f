package hashers_test

import (
	"fmt"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth/hashers"
)

// Verify a password stored by Django (auth_user.password), and re-hash it
// when Django would.
func ExampleCheck() {
	stored := "pbkdf2_sha256$1000$seasaltseasaltseasalt0$wVW7t0o5pA/ZR3Cbwu5m7jyuGBOOiPb3NB6ozRWjyxI="

	ok, err := hashers.Check("correct horse battery staple é", stored)
	fmt.Println(ok, err)
	ok, err = hashers.Check("wrong", stored)
	fmt.Println(ok, err)

	// 1000 iterations is below Django 6.1's 1 500 000: re-hash on login.
	fmt.Println(hashers.MustUpdate(stored, hashers.WithVersion(django.Django61)))
	// Output:
	// true <nil>
	// false <nil>
	// true
}

// Make a password for Django 4.2, with a fixed salt so that the output is
// the one Django's make_password gives.
func ExampleMake() {
	enc, err := hashers.Make("correct horse battery staple é", hashers.PBKDF2SHA256,
		hashers.WithVersion(django.Django42), hashers.WithIterations(1000),
		hashers.WithSalt("seasaltseasaltseasalt0"))
	fmt.Println(enc, err)

	unusable, _ := hashers.MakeUnusable()
	ok, _ := hashers.Check("", unusable)
	fmt.Println(len(unusable), ok)
	// Output:
	// pbkdf2_sha256$1000$seasaltseasaltseasalt0$wVW7t0o5pA/ZR3Cbwu5m7jyuGBOOiPb3NB6ozRWjyxI= <nil>
	// 41 false
}
