package signing_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// The clock is frozen so that the examples print the same tokens every time.
var opts = signing.Options{
	Key: "django-insecure-interop-vector-secret-key-0123456789",
	Now: func() time.Time { return time.Unix(1700000000, 0) },
}

func ExampleDumps() {
	v := pyjson.NewDict(1)
	v.Set("a", int64(1))
	token, err := signing.Dumps(v, opts, false)
	if err != nil {
		panic(err)
	}
	fmt.Println(token)
	// Output: eyJhIjoxfQ:1r31eq:EwEJtzKarFSfv7vbmVHgOfh1JA2SU92iCsSG7zp8Opc
}

func ExampleLoads() {
	// A token made by Django: signing.dumps({"a": 1}).
	token := "eyJhIjoxfQ:1r31eq:EwEJtzKarFSfv7vbmVHgOfh1JA2SU92iCsSG7zp8Opc"

	v, err := signing.Loads(token, opts)
	if err != nil {
		panic(err)
	}
	a, _ := v.(*pyjson.Dict).Get("a")
	fmt.Printf("a = %v (%T)\n", a, a)

	_, err = signing.Loads("eyJhIjoyfQ:1r31eq:EwEJtzKarFSfv7vbmVHgOfh1JA2SU92iCsSG7zp8Opc", opts)
	fmt.Println("tampered:", errors.Is(err, signing.ErrBadSignature))

	o := opts
	o.Now = func() time.Time { return time.Unix(1700000000, 0).Add(2 * time.Hour) }
	_, err = signing.LoadsMaxAge(token, o, time.Hour)
	fmt.Println("expired:", errors.Is(err, signing.ErrSignatureExpired), errors.Is(err, signing.ErrBadSignature))
	// Output:
	// a = 1 (int64)
	// tampered: true
	// expired: true true
}

func ExampleSigner() {
	s, err := signing.NewSigner(signing.Options{Key: opts.Key})
	if err != nil {
		panic(err)
	}
	signed := s.Sign("hello")
	fmt.Println(signed)

	value, err := s.Unsign(signed)
	fmt.Println(value, err)

	_, err = s.Unsign("hellO" + signed[5:])
	fmt.Println(err)
	// Output:
	// hello:GxEv94nXi4aU2JUpfUHFS6ekQVOoeY-aTaHY96z6-sM
	// hello <nil>
	// signing: bad signature: signature does not match
}

func ExampleTimestampSigner() {
	o := opts
	o.Salt = "ts"
	s, _ := signing.NewTimestampSigner(o)
	signed := s.Sign("hello")
	fmt.Println(signed)

	// 100.5 seconds later, with a limit of 100 seconds.
	o.Now = func() time.Time { return time.Unix(1700000100, 500000000) }
	later, _ := signing.NewTimestampSigner(o)
	_, err := later.UnsignMaxAge(signed, 100*time.Second)
	fmt.Println(err)
	// Output:
	// hello:1r31eq:VQcUy2Afhl41CmjACa0d3ePDm1iIU8HYy-SNEhamNKM
	// signing: Signature age 100.5 > 100 seconds
}
