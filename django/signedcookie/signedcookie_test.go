package signedcookie

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/vectors"
	"github.com/djsession/djsession/signing"
)

// cookieSignerVectors are the cookie_signer rows of signing-<v>.json.
type cookieSignerVectors struct {
	DjangoVersion string   `json:"django_version"`
	SecretKey     string   `json:"secret_key"`
	Fallbacks     []string `json:"secret_key_fallbacks"`
	T0            int64    `json:"frozen_time_T0"`
	CookieSigner  []struct {
		What        string          `json:"what"`
		Salt        string          `json:"salt"`
		Output      string          `json:"output"`
		CookieValue string          `json:"cookie_value"`
		SaltUsed    string          `json:"salt_used"`
		Result      *string         `json:"result"`
		Error       json.RawMessage `json:"error"`
	} `json:"cookie_signer"`
}

func TestCookieSignerVectors(t *testing.T) {
	for _, f := range vectors.PerVersion(t, "signing") {
		var vec cookieSignerVectors
		f.Into(t, &vec, "django_version", "secret_key", "cookie_signer")
		v, err := django.ParseVersion(f.Version)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(v.String(), func(t *testing.T) {
			s := django.DefaultSettings(vec.SecretKey)
			s.SecretKeyFallbacks = vec.Fallbacks
			s.DjangoVersion = v
			s.Clock = func() time.Time { return time.Unix(vec.T0, 0) }
			if len(vec.CookieSigner) != 3 {
				t.Fatalf("want 3 cookie_signer rows, got %d", len(vec.CookieSigner))
			}
			for _, row := range vec.CookieSigner {
				switch {
				case row.Output != "": // get_cookie_signer(salt).sign("x")
					cs, err := CookieSigner(&s, row.Salt)
					if err != nil {
						t.Fatal(err)
					}
					if got := cs.Sign("x"); got != row.Output {
						t.Errorf("%s = %s, want %s", row.What, got, row.Output)
					}
				case row.SaltUsed != "": // set_signed_cookie("name", "value", salt="s")
					got, err := Sign(&s, "name", "value", Options{Salt: "s"})
					if err != nil || got != row.CookieValue {
						t.Errorf("%s = %s, %v; want %s", row.What, got, err, row.CookieValue)
					}
					rec := httptest.NewRecorder()
					if err := Set(rec, &s, "name", "value", Options{Salt: "s"}); err != nil {
						t.Fatal(err)
					}
					if h := rec.Header().Get("Set-Cookie"); h != "name="+row.CookieValue+"; Path=/" {
						t.Errorf("Set-Cookie %q", h)
					}
					want := signing.LegacySignedCookieSalt("name", "s")
					if v.AtLeast(5, 2) {
						want = signing.SignedCookieSalt("name", "s")
					}
					if want != row.SaltUsed {
						t.Errorf("salt %q, Django used %q", want, row.SaltUsed)
					}
				default: // get_signed_cookie over a legacy-salt cookie
					r := httptest.NewRequest("GET", "/", nil)
					r.Header.Set("Cookie", "name="+row.CookieValue)
					got, err := Get(r, &s, "name", Options{Salt: "s"})
					if row.Result != nil {
						if err != nil || got != *row.Result {
							t.Errorf("%s: %q, %v; want %q", row.What, got, err, *row.Result)
						}
					} else if !errors.Is(err, signing.ErrBadSignature) {
						t.Errorf("%s: %q, %v; want BadSignature (%s)", row.What, got, err, row.Error)
					}
				}
			}
		})
	}
}

func TestSignedCookieSalts(t *testing.T) {
	now := time.Unix(1700000000, 0)
	base := django.DefaultSettings("k")
	base.Clock = func() time.Time { return now }
	yes, no := true, false
	legacyCookie := func(s *django.Settings) string {
		v, _ := Sign(s, "n", "v", Options{Salt: "s", LegacySalt: true})
		return v
	}
	for _, tc := range []struct {
		v          django.Version
		fallback   *bool
		readLegacy bool
	}{
		{django.Django32, nil, true}, {django.Django42, nil, true},
		{django.Django52, nil, true}, {django.Django52, &no, false},
		{django.Django61, nil, false}, {django.Django61, &yes, true},
	} {
		s := base
		s.DjangoVersion = tc.v
		o := Options{Salt: "s", LegacySaltFallback: tc.fallback}
		_, err := Unsign(&s, "n", legacyCookie(&s), o)
		if (err == nil) != tc.readLegacy {
			t.Errorf("%v fallback=%v: legacy cookie read err=%v", tc.v, tc.fallback, err)
		}
		v2, _ := Sign(&s, "n", "v", o)
		if got, err := Unsign(&s, "n", v2, o); err != nil || got != "v" {
			t.Errorf("%v: own cookie: %q %v", tc.v, got, err)
		}
		// An expired v2 cookie is not retried with the legacy salt.
		age := -time.Second
		o.MaxAge = &age
		if _, err := Unsign(&s, "n", v2, o); !errors.Is(err, signing.ErrSignatureExpired) {
			t.Errorf("%v: expired: %v", tc.v, err)
		}
	}
	// The v2 salt separates (name, salt) pairs that the legacy salt mixes.
	s := base
	a, _ := Sign(&s, "ab", "v", Options{Salt: "c"})
	if _, err := Unsign(&s, "a", a, Options{Salt: "bc", LegacySaltFallback: &no}); err == nil {
		t.Error("v2: (ab, c) accepted as (a, bc)")
	}
	r := httptest.NewRequest("GET", "/", nil)
	if _, err := Get(r, &s, "n", Options{}); !errors.Is(err, http.ErrNoCookie) {
		t.Errorf("missing cookie: %v", err)
	}
}

func ExampleSet() {
	s := django.DefaultSettings("django-insecure-example")
	s.Clock = func() time.Time { return time.Unix(1700000000, 0) }
	rec := httptest.NewRecorder()
	_ = Set(rec, &s, "theme", "dark", Options{Salt: "prefs"})
	fmt.Println(rec.Header().Get("Set-Cookie"))

	r := httptest.NewRequest("GET", "/", nil)
	value, _, _ := strings.Cut(rec.Header().Get("Set-Cookie"), ";")
	r.Header.Set("Cookie", value) // what the browser sends back
	v, err := Get(r, &s, "theme", Options{Salt: "prefs"})
	fmt.Println(v, err)
	// Output:
	// theme=dark:1r31eq:K2EOZIV_EB2rmolMUTKWDaGi56RwEPRDWMQSZJKnfPU; Path=/
	// dark <nil>
}
