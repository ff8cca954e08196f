package django

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/internal/vectors"
	"github.com/djsession/djsession/pyjson"
)

// qualnameOf is the __qualname__ of the classes the extra vectors name:
// their last components after the module ("myapp.sessions.Outer.SessionStore"
// → "Outer.SessionStore").
func qualnameOf(class string) string {
	for _, mod := range []string{"django.contrib.sessions.backends.db.", "django.contrib.sessions.backends.cache.",
		"django.contrib.sessions.backends.cached_db.", "django.contrib.sessions.backends.file.",
		"django.contrib.sessions.backends.signed_cookies.", "myapp.sessions."} {
		if strings.HasPrefix(class, mod) {
			return strings.TrimPrefix(class, mod)
		}
	}
	return class
}

// TestExtraSessionVectors: SessionStore.encode of each built-in class and of
// project subclasses (their key salt is their __qualname__), the
// signed_cookies cookie value, and data encoded by one class decoded by
// another, all made by real Django (fixtures/vectors/extra-<v>.json).
func TestExtraSessionVectors(t *testing.T) {
	for _, f := range vectors.PerVersion(t, "extra") {
		series := f.Version
		var v struct {
			SecretKey string            `json:"secret_key"`
			T0        int64             `json:"frozen_time_T0"`
			KeySalts  map[string]string `json:"session_key_salts"`
			Encode    []struct {
				Class       string  `json:"class"`
				KeySalt     string  `json:"key_salt"`
				SessionJSON string  `json:"session_json"`
				Clock       float64 `json:"clock"`
				Encoded     string  `json:"encoded"`
				DecodeJSON  string  `json:"decode_json"`
				CookieValue string  `json:"cookie_value"`
				CookieLoad  string  `json:"cookie_load_json"`
			} `json:"session_encode"`
			Cross []struct {
				DecodedBy  string     `json:"decoded_by"`
				Input      string     `json:"input"`
				DecodeJSON string     `json:"decode_json"`
				Logs       [][]string `json:"logs"`
			} `json:"session_cross_decode"`
		}
		f.Into(t, &v, "secret_key", "frozen_time_T0", "session_key_salts", "session_encode", "session_cross_decode")
		ver, err := ParseVersion(series)
		if err != nil {
			t.Fatal(err)
		}
		settings := func(clock float64) Settings {
			s := DefaultSettings(v.SecretKey)
			s.DjangoVersion = ver
			s.Logger = slog.New(slog.DiscardHandler)
			t0 := time.Unix(int64(clock), 0)
			s.Clock = func() time.Time { return t0 }
			return s
		}
		for class, salt := range v.KeySalts {
			if got := keySaltPrefix + qualnameOf(class); got != salt {
				t.Errorf("%s: key salt of %s: %s, Django %s", series, class, got, salt)
			}
		}
		for _, row := range v.Encode {
			s := settings(row.Clock)
			c, err := NewCodecForClass(s, qualnameOf(row.Class))
			if err != nil {
				t.Fatal(err)
			}
			d, err := pyjson.UnmarshalDict([]byte(row.SessionJSON))
			if err != nil {
				t.Fatal(err)
			}
			enc, err := c.Encode(d)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(row.Encoded, ".") && !strings.HasPrefix(enc, ".") && enc != row.Encoded {
				t.Errorf("%s %s: encode %s, Django %s", series, row.Class, enc, row.Encoded)
			}
			for _, data := range []string{row.Encoded, enc} {
				got, err := c.Decode(data)
				if err != nil || mustMarshal(got) != mustMarshal(mustDictT(t, row.DecodeJSON)) {
					t.Errorf("%s %s: decode %s = %v, %v; Django %s", series, row.Class, data, got, err, row.DecodeJSON)
				}
			}
			if row.CookieValue != "" {
				s.SessionEngine = EngineSignedCookies
				cc, _ := NewCodec(s)
				cookie, _ := cc.Encode(d)
				if !strings.HasPrefix(row.CookieValue, ".") && !strings.HasPrefix(cookie, ".") && cookie != row.CookieValue {
					t.Errorf("%s: cookie %s, Django %s", series, cookie, row.CookieValue)
				}
				got, err := cc.Decode(row.CookieValue)
				if err != nil || mustMarshal(got) != mustMarshal(mustDictT(t, row.CookieLoad)) {
					t.Errorf("%s: cookie load %v, %v", series, got, err)
				}
			}
		}
		for _, row := range v.Cross {
			c, _ := NewCodecForClass(settings(float64(v.T0)), qualnameOf(row.DecodedBy))
			if strings.Contains(row.DecodedBy, "signed_cookies") {
				continue // a signed_cookies store decodes session_data like the others (same class salt)
			}
			got, err := c.Decode(row.Input)
			if mustMarshal(got) != mustMarshal(mustDictT(t, row.DecodeJSON)) {
				t.Errorf("%s: %s decodes %s as %v (%v), Django %s", series, row.DecodedBy, row.Input, got, err, row.DecodeJSON)
			}
			if (len(row.Logs) > 0) != (err != nil) {
				t.Errorf("%s: %s: Django logged %v, Go error %v", series, row.DecodedBy, row.Logs, err)
			}
		}
	}
}

func mustDictT(t *testing.T, js string) *pyjson.Dict {
	t.Helper()
	d, err := pyjson.UnmarshalDict([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return d
}

func mustMarshal(v any) string {
	b, err := pyjson.Marshal(v)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}
