package django_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/vectors"
)

// The middleware vectors were made by running Django's SessionMiddleware
// (signed_cookies engine, clock frozen at T0) around small views.
type middlewareCase struct {
	Case      string            `json:"case"`
	Overrides map[string]any    `json:"settings_overrides"`
	Cookies   map[string]string `json:"request_cookies"`
	Status    int               `json:"status"`
	Vary      *string           `json:"vary"`
	SetCookie *string           `json:"set_cookie"`
}

var views = map[string]func(s *django.Session){
	"write":   func(s *django.Session) { s.Set("foo", "bar") },
	"nothing": func(s *django.Session) {},
	"read":    func(s *django.Session) { s.Get("foo") },
	"flush":   func(s *django.Session) { s.Flush(nil) },
	"expiry60": func(s *django.Session) {
		s.Set("foo", "bar")
		s.SetExpiry(60)
	},
	"expiry0": func(s *django.Session) {
		s.Set("foo", "bar")
		s.SetExpiry(0)
	},
	"expired_dt": func(s *django.Session) {
		s.Set("foo", "bar")
		s.SetExpiry(time.Unix(1700000000-30, 0).UTC())
	},
}

// viewOf names the view generate.py ran for each case.
func viewOf(c string) string {
	switch {
	case strings.HasPrefix(c, "new session"), strings.HasPrefix(c, "written"), strings.HasPrefix(c, "SESSION_EXPIRE"),
		strings.HasPrefix(c, "custom"), strings.HasPrefix(c, "SESSION_COOKIE_SAMESITE"):
		return "write"
	case strings.HasPrefix(c, "session read"), strings.HasPrefix(c, "invalid signed cookie, session read"):
		return "read"
	case strings.HasPrefix(c, "flush"):
		return "flush"
	case strings.HasPrefix(c, "set_expiry(60)"):
		return "expiry60"
	case strings.HasPrefix(c, "set_expiry(0)"):
		return "expiry0"
	case strings.HasPrefix(c, "set_expiry(datetime"):
		return "expired_dt"
	}
	return "nothing"
}

func TestMiddlewareVectors(t *testing.T) {
	for _, f := range vectors.PerVersion(t, "session") {
		series := f.Version
		ver, err := django.ParseVersion(series)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			SecretKey  string           `json:"secret_key"`
			Middleware []middlewareCase `json:"middleware"`
		}
		f.Into(t, &v, "secret_key", "middleware")
		for _, c := range v.Middleware {
			if series == "3.2" && viewOf(c.Case) == "expired_dt" {
				// Django 3.2 cannot store a datetime expiry with JSON: the
				// vector is its own session_data; TestVectorsExpiry covers it.
				continue
			}
			t.Run(series+"/"+c.Case, func(t *testing.T) {
				s := django.DefaultSettings(v.SecretKey)
				s.DjangoVersion = ver
				s.SessionEngine = django.EngineSignedCookies
				t0 := time.Unix(1700000000, 0)
				s.Clock = func() time.Time { return t0 }
				applyOverrides(t, &s, c.Overrides)
				// The vectors are Django's own reactions, which include
				// replacing a cookie that does not verify; the safe
				// default is tested in unreadable_test.go.
				s.DiscardUnreadable = true
				store, err := signedcookies.New(s)
				if err != nil {
					t.Fatal(err)
				}
				h := django.Middleware(store)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					views[viewOf(c.Case)](django.FromRequest(r))
					w.WriteHeader(c.Status)
				}))
				req := httptest.NewRequest("GET", "/", nil)
				for k, val := range c.Cookies {
					req.Header.Add("Cookie", k+"="+val)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				gotVary := rec.Header().Get("Vary")
				if want := deref(c.Vary); gotVary != want {
					t.Errorf("Vary %q, Django %q", gotVary, want)
				}
				if got, want := rec.Header().Get("Set-Cookie"), deref(c.SetCookie); got != want {
					t.Errorf("Set-Cookie\n got  %s\n want %s", got, want)
				}
			})
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func applyOverrides(t *testing.T, s *django.Settings, o map[string]any) {
	for k, v := range o {
		switch k {
		case "SESSION_EXPIRE_AT_BROWSER_CLOSE":
			s.SessionExpireAtBrowserClose = v.(bool)
		case "SESSION_SAVE_EVERY_REQUEST":
			s.SessionSaveEveryRequest = v.(bool)
		case "SESSION_COOKIE_NAME":
			s.SessionCookieName = v.(string)
		case "SESSION_COOKIE_DOMAIN":
			s.SessionCookieDomain = v.(string)
		case "SESSION_COOKIE_SECURE":
			s.SessionCookieSecure = v.(bool)
		case "SESSION_COOKIE_HTTPONLY":
			s.SessionCookieHTTPOnly = v.(bool)
		case "SESSION_COOKIE_SAMESITE":
			if v == nil {
				s.SessionCookieSameSite = ""
			} else {
				s.SessionCookieSameSite = v.(string)
			}
		case "SESSION_COOKIE_PATH":
			s.SessionCookiePath = v.(string)
		case "SESSION_COOKIE_AGE":
			s.SessionCookieAge = int64(v.(float64))
		default:
			t.Fatalf("unknown override %s", k)
		}
	}
}
