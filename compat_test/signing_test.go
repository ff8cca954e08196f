package compat_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

const (
	secret = "django-insecure-live-round-trip-key-not-the-vector-one"
	oldKey = "previous-live-key"
	t0     = 1700000000
)

var hash64 = strings.Repeat("0123456789abcdef", 4)

// values are JSON texts of the values that travel both ways. Non-ASCII is
// written as escapes: pyjson reads bytes as Django does, as latin-1.
var values = []struct{ name, json string }{
	{"logged in user", `{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"` + hash64 + `"}`},
	{"non-ASCII", `{"name":"Zo\u00eb","emoji":"\ud83d\ude00","cjk":"\u6f22\u5b57","ctl":"\u0000\u001f\u007f\u0080","ls":"\u2028","html":"<a href='/x?a=1&b=2'>"}`},
	{"big integers", `{"big":1180591620717411303424,"neg":-18446744073709551616,"max":9223372036854775807,"min":-9223372036854775808,"over":9223372036854775808}`},
	{"floats", `{"one":1.0,"e16":1e+16,"small":1e-05,"negzero":-0.0,"tenth":0.1,"huge":1.5e+300,"tiny":5e-324,"int":1,"nan":NaN,"inf":Infinity,"ninf":-Infinity}`},
	{"order and nesting", `{"b":1,"a":2,"c":{"z":1,"y":[1,2,{"x":null,"w":true,"v":false}]},"empty":{},"list":[]}`},
	{"cart", cartJSON(40)},
	{"string", `"hello"`},
	{"list", `[1,"two",3.0,null]`},
	{"null", `null`},
	{"big scalar", `123456789012345678901234567890`},
}

func cartJSON(n int) string {
	var b strings.Builder
	b.WriteString(`{"_auth_user_id":"42","cart":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"SKU-%04d","name":"Item \u00e9 %d","price":%d.99,"qty":%d}`, i, i, i+1, i%5+1)
	}
	b.WriteString(`]}`)
	return b.String()
}

func mustValue(t *testing.T, text string) any {
	t.Helper()
	v, err := pyjson.Unmarshal([]byte(text))
	if err != nil {
		t.Fatalf("test value %s: %v", text, err)
	}
	return v
}

// sameValue compares two JSON texts as Python values: the same types, the
// same order, the same bytes when re-encoded.
func sameValue(t *testing.T, what, got, want string) {
	t.Helper()
	g, err := pyjson.Unmarshal([]byte(got))
	if err != nil {
		t.Fatalf("%s: %v in %q", what, err, got)
	}
	w := mustValue(t, want)
	gb, _ := pyjson.Marshal(g)
	wb, _ := pyjson.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wb)
	}
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func okOrFatal(t *testing.T, m map[string]any, what string) {
	t.Helper()
	if ok, _ := m["ok"].(bool); !ok {
		t.Fatalf("%s: Django says %v: %v", what, m["exception"], m["message"])
	}
}

func fixedClock(sec int64) func() time.Time {
	return func() time.Time { return time.Unix(sec, 0) }
}

func goOptions(v, salt string, fallbacks ...string) signing.Options {
	o := signing.Options{Key: secret, Salt: salt, Now: fixedClock(t0), LegacySHA1: v == "3.2"}
	if v != "3.2" {
		o.FallbackKeys = fallbacks
	}
	return o
}

// TestDumpsLoadsBothWays: Go's dumps is loaded by Django and Django's by Go,
// compressed or not, and uncompressed tokens are byte-identical.
func TestDumpsLoadsBothWays(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			for _, val := range values {
				for _, compress := range []bool{false, true} {
					name := fmt.Sprintf("%s/compress=%v", val.name, compress)
					t.Run(name, func(t *testing.T) {
						goToken, err := signing.Dumps(mustValue(t, val.json), goOptions(v, ""), compress)
						if err != nil {
							t.Fatal(err)
						}
						r := dj.mustCall(t, map[string]any{"op": "loads", "token": goToken, "key": secret, "salt": "django.core.signing", "now": t0})
						okOrFatal(t, r, "Django loads Go's token")
						sameValue(t, "Django loads(Go dumps)", str(r, "value_json"), val.json)

						r = dj.mustCall(t, map[string]any{"op": "dumps", "value_json": val.json, "key": secret, "salt": "django.core.signing", "compress": compress, "now": t0})
						okOrFatal(t, r, "Django dumps")
						djToken := str(r, "token")
						if !compress || !strings.HasPrefix(djToken, ".") && !strings.HasPrefix(goToken, ".") {
							if djToken != goToken {
								t.Errorf("tokens differ:\n  Go     %s\n  Django %s", goToken, djToken)
							}
						}
						got, err := signing.Loads(djToken, goOptions(v, ""))
						if err != nil {
							t.Fatalf("Go loads Django's token: %v", err)
						}
						gb, _ := pyjson.Marshal(got)
						sameValue(t, "Go loads(Django dumps)", string(gb), val.json)
					})
				}
			}
		})
	}
}

// TestFallbackKeys: a token signed with an old key loads on both sides when
// that key is in SECRET_KEY_FALLBACKS (4.1+), and on neither without it.
func TestFallbackKeys(t *testing.T) {
	for _, v := range versions[1:] {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			old := signing.Options{Key: oldKey, Now: fixedClock(t0)}
			goToken, err := signing.Dumps(mustValue(t, values[1].json), old, true)
			if err != nil {
				t.Fatal(err)
			}
			r := dj.mustCall(t, map[string]any{"op": "loads", "token": goToken, "key": secret, "fallback_keys": []string{"unrelated", oldKey}, "salt": "django.core.signing"})
			okOrFatal(t, r, "Django loads a token of a fallback key")
			sameValue(t, "fallback", str(r, "value_json"), values[1].json)
			r = dj.mustCall(t, map[string]any{"op": "loads", "token": goToken, "key": secret, "fallback_keys": []string{}, "salt": "django.core.signing"})
			if str(r, "exception") != "BadSignature" {
				t.Errorf("Django without the fallback: %v", r)
			}

			r = dj.mustCall(t, map[string]any{"op": "dumps", "value_json": values[2].json, "key": oldKey, "salt": "s", "compress": false, "now": t0})
			okOrFatal(t, r, "Django dumps with the old key")
			got, err := signing.Loads(str(r, "token"), goOptions(v, "s", "unrelated", oldKey))
			if err != nil {
				t.Fatalf("Go loads a Django token of a fallback key: %v", err)
			}
			gb, _ := pyjson.Marshal(got)
			sameValue(t, "Go fallback", string(gb), values[2].json)
			if _, err := signing.Loads(str(r, "token"), goOptions(v, "s")); !errors.Is(err, signing.ErrBadSignature) {
				t.Errorf("Go without the fallback: %v", err)
			}
		})
	}
}

// TestNegativeCasesAgree: tampering, a wrong salt and an expired max_age
// are refused by both sides with the same kind of error.
func TestNegativeCasesAgree(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			token, err := signing.Dumps(mustValue(t, values[0].json), goOptions(v, ""), false)
			if err != nil {
				t.Fatal(err)
			}
			tampered := tamper(token)
			cases := []struct {
				name, token, salt string
				maxAge            any
				now               int64
				want              string
			}{
				{"tampered", tampered, "django.core.signing", nil, t0, "BadSignature"},
				{"wrong salt", token, "other", nil, t0, "BadSignature"},
				{"truncated", token[:len(token)-3], "django.core.signing", nil, t0, "BadSignature"},
				{"max_age exceeded", token, "django.core.signing", 10, t0 + 11, "SignatureExpired"},
				{"max_age reached exactly", token, "django.core.signing", 10, t0 + 10, ""},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					req := map[string]any{"op": "loads", "token": c.token, "key": secret, "salt": c.salt, "now": c.now, "max_age": c.maxAge}
					r := dj.mustCall(t, req)
					if got := str(r, "exception"); got != c.want {
						t.Fatalf("Django: exception %q, want %q (%v)", got, c.want, r)
					}
					o := goOptions(v, c.salt)
					o.Now = fixedClock(c.now)
					if c.maxAge != nil {
						_, err = signing.LoadsMaxAge(c.token, o, time.Duration(c.maxAge.(int))*time.Second)
					} else {
						_, err = signing.Loads(c.token, o)
					}
					switch c.want {
					case "":
						if err != nil {
							t.Errorf("Go: %v", err)
						}
					case "SignatureExpired":
						if !errors.Is(err, signing.ErrSignatureExpired) {
							t.Errorf("Go: %v, want SignatureExpired", err)
						}
					default:
						if !errors.Is(err, signing.ErrBadSignature) || errors.Is(err, signing.ErrSignatureExpired) {
							t.Errorf("Go: %v, want BadSignature", err)
						}
					}
				})
			}
		})
	}
}

// TestLegacySHA1On32: Django 3.2 still accepts sha1 signatures; Go does in
// 3.2 mode, and 4.2+ refuse them on both sides.
func TestLegacySHA1On32(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			o := signing.Options{Key: secret, Algorithm: signing.SHA1, Now: fixedClock(t0)}
			token, err := signing.Dumps(mustValue(t, values[4].json), o, false)
			if err != nil {
				t.Fatal(err)
			}
			r := dj.mustCall(t, map[string]any{"op": "loads", "token": token, "key": secret, "salt": "django.core.signing"})
			_, goErr := signing.Loads(token, goOptions(v, ""))
			if v == "3.2" {
				okOrFatal(t, r, "Django 3.2 loads a sha1 token")
				if goErr != nil {
					t.Errorf("Go 3.2 mode: %v", goErr)
				}
			} else {
				if str(r, "exception") != "BadSignature" {
					t.Errorf("Django %s: %v", v, r)
				}
				if !errors.Is(goErr, signing.ErrBadSignature) {
					t.Errorf("Go %s mode: %v", v, goErr)
				}
			}
		})
	}
}

// TestSessionEncodeDecodeBothWays: every engine's encode is decoded by the
// other side to the same dict, uncompressed data is byte-identical, and
// fallback keys work for sessions as for tokens.
func TestSessionEncodeDecodeBothWays(t *testing.T) {
	engines := []string{"db", "cache", "cached_db", "file", "signed_cookies"}
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			for _, engine := range engines {
				for _, val := range values {
					if !strings.HasPrefix(val.json, "{") {
						continue
					}
					t.Run(engine+"/"+val.name, func(t *testing.T) {
						s := djsession.DefaultSettings(secret)
						s.DjangoVersion, _ = djsession.ParseVersion(v)
						s.SessionEngine = djsession.EngineName(engine)
						s.Clock = fixedClock(t0)
						s.SecretKeyFallbacks = []string{oldKey}
						codec, err := djsession.NewCodec(s)
						if err != nil {
							t.Fatal(err)
						}
						d := mustValue(t, val.json).(*pyjson.Dict)
						data, err := codec.Encode(d)
						if err != nil {
							t.Fatal(err)
						}
						r := dj.mustCall(t, map[string]any{"op": "decode", "engine": engine, "data": data, "key": secret, "now": t0})
						okOrFatal(t, r, "Django decodes Go's session")
						sameValue(t, "Django decode(Go encode)", str(r, "value_json"), val.json)

						r = dj.mustCall(t, map[string]any{"op": "encode", "engine": engine, "session_json": val.json, "key": secret, "now": t0})
						okOrFatal(t, r, "Django encodes")
						djData := str(r, "data")
						if !strings.HasPrefix(djData, ".") && !strings.HasPrefix(data, ".") && djData != data {
							t.Errorf("session data differs:\n  Go     %s\n  Django %s", data, djData)
						}
						got, err := codec.Decode(djData)
						if err != nil {
							t.Fatalf("Go decodes Django's session: %v", err)
						}
						gb, _ := pyjson.Marshal(got)
						sameValue(t, "Go decode(Django encode)", string(gb), val.json)

						if v == "3.2" {
							return
						}
						// Written under the old key, read with it as a fallback.
						r = dj.mustCall(t, map[string]any{"op": "encode", "engine": engine, "session_json": val.json, "key": oldKey, "now": t0})
						okOrFatal(t, r, "Django encodes with the old key")
						got, err = codec.Decode(str(r, "data"))
						if err != nil {
							t.Fatalf("Go decodes with a fallback key: %v", err)
						}
						gb, _ = pyjson.Marshal(got)
						sameValue(t, "fallback", string(gb), val.json)
					})
				}
			}
		})
	}
}

// TestSessionDecodeFailuresAgree: where Django's decode gives {} Go gives an
// empty session too, with the reason as an error.
func TestSessionDecodeFailuresAgree(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			s := djsession.DefaultSettings(secret)
			s.DjangoVersion, _ = djsession.ParseVersion(v)
			s.Logger = slog.New(slog.DiscardHandler)
			codec, err := djsession.NewCodec(s)
			if err != nil {
				t.Fatal(err)
			}
			good, _ := codec.Encode(mustValue(t, values[0].json).(*pyjson.Dict))
			for _, data := range []string{"garbage", "", tamper(good), good[:len(good)-1], "a:b:c:d", strings.Repeat("A", 100)} {
				r := dj.mustCall(t, map[string]any{"op": "decode", "engine": "db", "data": data, "key": secret})
				d, goErr := codec.Decode(data)
				if ok, _ := r["ok"].(bool); !ok {
					// Django 3.2 lets some errors escape decode().
					if goErr == nil {
						t.Errorf("%q: Django raised %v; Go decoded %v", data, r["exception"], d)
					}
					continue
				}
				sameValue(t, fmt.Sprintf("decode(%q)", data), mustJSON(d), str(r, "value_json"))
				if str(r, "value_json") == "{}" && goErr == nil {
					t.Errorf("%q: Django gives {}, Go gives no reason", data)
				}
			}
		})
	}
}

// tamper changes the first character of a token's payload.
func tamper(token string) string {
	c := byte('e')
	if token[0] == 'e' {
		c = 'f'
	}
	return string(c) + token[1:]
}

func mustJSON(v any) string {
	b, err := pyjson.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var _ = json.Number("")

func mustSigner(t *testing.T, key, salt string) *signing.TimestampSigner {
	t.Helper()
	ts, err := signing.NewTimestampSigner(signing.Options{Key: key, Salt: salt})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
