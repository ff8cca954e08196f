package csrf

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/vectors"
)

type csrfVectors struct {
	DjangoVersion string `json:"django_version"`
	T0            int64  `json:"frozen_time_T0"`
	CSRF          struct {
		SecretLength int    `json:"CSRF_SECRET_LENGTH"`
		TokenLength  int    `json:"CSRF_TOKEN_LENGTH"`
		AllowedChars string `json:"CSRF_ALLOWED_CHARS"`
		Mask         struct {
			Secret   string `json:"secret"`
			Masked   string `json:"masked_token (mask first)"`
			Unmasked string `json:"unmasked"`
		} `json:"mask"`
		Fresh struct {
			FormToken string `json:"form_token"`
			SetCookie string `json:"set_cookie"`
			Length    int    `json:"cookie_value_length"`
			Vary      string `json:"vary"`
		} `json:"fresh_request_get_token"`
		PostChecks []struct {
			Case     string `json:"case"`
			Cookie   string `json:"cookie"`
			Token    string `json:"token"`
			Accepted bool   `json:"accepted"`
			Status   *int   `json:"status"`
		} `json:"post_checks"`
	} `json:"csrf"`
}

func loadVectors(t *testing.T) map[django.Version]*csrfVectors {
	t.Helper()
	out := map[django.Version]*csrfVectors{}
	for _, f := range vectors.PerVersion(t, "auth") {
		var v csrfVectors
		f.Into(t, &v, "csrf")
		ver, err := django.ParseVersion(f.Version)
		if err != nil {
			t.Fatal(err)
		}
		out[ver] = &v
	}
	return out
}

func TestVectors(t *testing.T) {
	for ver, vec := range loadVectors(t) {
		t.Run(ver.String(), func(t *testing.T) {
			c := vec.CSRF
			if c.SecretLength != SecretLength || c.TokenLength != TokenLength || c.AllowedChars != AllowedChars {
				t.Fatalf("constants differ: %d %d %s", c.SecretLength, c.TokenLength, c.AllowedChars)
			}
			// seed(21) draws the secret, seed(22) its mask.
			secret, _ := NewSecret(newPyRandom(21))
			if secret != c.Mask.Secret {
				t.Errorf("secret %s, want %s", secret, c.Mask.Secret)
			}
			masked, _ := MaskSecret(c.Mask.Secret, newPyRandom(22))
			if masked != c.Mask.Masked {
				t.Errorf("masked %s, want %s", masked, c.Mask.Masked)
			}
			if un, err := UnmaskToken(c.Mask.Masked); err != nil || un != c.Mask.Unmasked {
				t.Errorf("unmask %s %v", un, err)
			}

			// A fresh GET whose view calls get_token, seed(23).
			s := django.DefaultSettings("k")
			s.DjangoVersion = ver
			s.Rand = newPyRandom(23)
			s.Clock = func() time.Time { return time.Unix(vec.T0, 0) }
			h := Middleware(s)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok, err := GetToken(r)
				if err != nil {
					t.Fatal(err)
				}
				io.WriteString(w, tok)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if got := rec.Body.String(); got != c.Fresh.FormToken {
				t.Errorf("form token %s, want %s", got, c.Fresh.FormToken)
			}
			if got := rec.Header().Get("Set-Cookie"); got != c.Fresh.SetCookie {
				t.Errorf("Set-Cookie\n got %s\nwant %s", got, c.Fresh.SetCookie)
			}
			if got := rec.Header().Get("Vary"); got != c.Fresh.Vary {
				t.Errorf("Vary %q, want %q", got, c.Fresh.Vary)
			}

			// The POST matrix.
			for _, pc := range c.PostChecks {
				s := django.DefaultSettings("k")
				s.DjangoVersion = ver
				called := false
				h := Middleware(s)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
				r := httptest.NewRequest("POST", "/", strings.NewReader(url.Values{FormField: {pc.Token}}.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Cookie", "csrftoken="+pc.Cookie)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if called != pc.Accepted {
					t.Errorf("%s: accepted=%v, Django %v (%s)", pc.Case, called, pc.Accepted, rec.Body)
				}
				if pc.Status != nil && rec.Code != *pc.Status {
					t.Errorf("%s: status %d, want %d", pc.Case, rec.Code, *pc.Status)
				}
			}
		})
	}
}
