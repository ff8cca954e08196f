package backends

import (
	"errors"
	"testing"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
)

func TestOpen(t *testing.T) {
	s := django.DefaultSettings("k")
	s.SessionFilePath = t.TempDir()
	for engine, want := range map[string]error{
		"db": django.ErrImproperlyConfigured, "cache": django.ErrImproperlyConfigured,
		"cached_db": django.ErrImproperlyConfigured, "myapp.sessions": django.ErrImproperlyConfigured,
		"file": nil, "signed_cookies": nil,
	} {
		s.SessionEngine = django.EngineName(engine)
		st, err := Open(s, Clients{})
		if !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", engine, err, want)
		}
		switch engine {
		case "file":
			if _, ok := st.(*file.Store); !ok {
				t.Errorf("file: %T", st)
			}
		case "signed_cookies":
			if _, ok := st.(*signedcookies.Store); !ok {
				t.Errorf("signed_cookies: %T", st)
			}
		}
	}
}
