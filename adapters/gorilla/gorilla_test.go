package djgorilla_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	djgorilla "github.com/djsession/djsession/adapters/gorilla"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/sitepeer"
)

func fileStore(t *testing.T, secret, dir string) (django.Store, django.Settings) {
	store := sitepeer.FileStore(t, secret, dir)
	return store, *store.Settings()
}

// do runs h on a request carrying cookie (when not "") and returns the
// response.
func do(h http.HandlerFunc, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", "sessionid="+cookie)
	}
	w := httptest.NewRecorder()
	h(w, req)
	return w
}

func cookieOf(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == "sessionid" {
			return c
		}
	}
	return nil
}

// Values round-trip through the Django session dict, the key is Django's,
// and the cookie carries Django's lifetime and attributes.
func TestRoundTrip(t *testing.T) {
	dstore, st := fileStore(t, "gorilla-unit-test-secret-key", t.TempDir())
	store := djgorilla.NewStore(dstore)
	w := do(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, "sessionid")
		if err != nil || !s.IsNew {
			t.Fatalf("new session: IsNew %v, err %v", s.IsNew, err)
		}
		s.Values["cart"] = []string{"42"}
		s.Values["n"] = 7
		s.AddFlash("hello")
		if err := s.Save(r, w); err != nil {
			t.Fatal(err)
		}
	}, "")
	c := cookieOf(w)
	if c == nil || len(c.Value) != 32 || c.MaxAge != int(st.SessionCookieAge) || !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("Set-Cookie %q: want Django's session cookie", w.Header().Values("Set-Cookie"))
	}
	d, err := dstore.Load(t.Context(), c.Value)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.String(); got != "{'_flash': ['hello'], 'cart': ['42'], 'n': 7}" {
		t.Fatalf("stored %s", got)
	}
	do(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, "sessionid")
		if err != nil || s.IsNew || s.ID != c.Value {
			t.Fatalf("stored session: IsNew %v, ID %q, err %v", s.IsNew, s.ID, err)
		}
		if n, _ := s.Values["n"].(int64); n != 7 || fmt.Sprint(s.Flashes()) != "[hello]" {
			t.Fatalf("values %v", s.Values)
		}
		delete(s.Values, "cart")
		s.Values[1] = "x"
		if err := s.Save(r, w); !errors.Is(err, djgorilla.ErrKeyNotString) {
			t.Fatalf("int key: Save = %v, want ErrKeyNotString", err)
		}
		delete(s.Values, 1)
		if err := s.Save(r, w); err != nil {
			t.Fatal(err)
		}
	}, c.Value)
	d, _ = dstore.Load(t.Context(), c.Value)
	if got := d.String(); got != "{'n': 7}" {
		t.Fatalf("after the second save: %s", got)
	}
}

// MaxAge < 0 logs out: the stored session is deleted, and the cookie.
func TestMaxAgeNegativeDeletes(t *testing.T) {
	dstore, _ := fileStore(t, "gorilla-unit-test-secret-key", t.TempDir())
	store := djgorilla.NewStore(dstore)
	w := do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "sessionid")
		s.Values["a"] = "b"
		_ = s.Save(r, w)
	}, "")
	key := cookieOf(w).Value
	w = do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "sessionid")
		s.Options.MaxAge = -1
		if err := s.Save(r, w); err != nil {
			t.Fatal(err)
		}
	}, key)
	if c := cookieOf(w); c == nil || c.MaxAge != -1 || c.Value != "" {
		t.Fatalf("Set-Cookie %q, want the cookie deleted", w.Header().Values("Set-Cookie"))
	}
	if _, err := dstore.Load(t.Context(), key); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("stored session after logout: %v", err)
	}
}

// A session signed with another SECRET_KEY: Get reports ErrUnreadable and
// Save neither writes over it nor replaces its cookie.
func TestUnreadableLeftAlone(t *testing.T) {
	dir := t.TempDir()
	other, _ := fileStore(t, "the-real-django-secret-key", dir)
	dstore, _ := fileStore(t, "a-wrong-secret-key", dir)
	store := djgorilla.NewStore(dstore)
	otherSettings := django.DefaultSettings("the-real-django-secret-key")
	otherSettings.SessionEngine = django.EngineFile
	otherSettings.SessionFilePath = dir
	sess := django.NewSession(t.Context(), other, "")
	_ = sess.Set("_auth_user_id", "1")
	if err := sess.Save(t.Context()); err != nil {
		t.Fatal(err)
	}
	key := sess.Key()
	w := do(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, "sessionid")
		if !errors.Is(err, django.ErrUnreadable) || !strings.Contains(err.Error(), "SECRET_KEY") {
			t.Fatalf("Get = %v, want ErrUnreadable naming SECRET_KEY", err)
		}
		s.Values["x"] = "y"
		if err := s.Save(r, w); !errors.Is(err, django.ErrUnreadable) {
			t.Fatalf("Save = %v, want ErrUnreadable", err)
		}
	}, key)
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("Set-Cookie %q on an unreadable session", w.Header().Values("Set-Cookie"))
	}
	if got, err := other.Load(t.Context(), key); err != nil || got.String() != "{'_auth_user_id': '1'}" {
		t.Fatalf("Django's session after the refused save: %v, %v", got, err)
	}
}

// Live: login in Django 5.2, the user in a gorilla/sessions handler, a
// write Django sees, a logout (MaxAge -1) that Django honours.
func TestDjangoLive(t *testing.T) {
	site := sitepeer.NewSite(t)
	store := djgorilla.NewStore(site.Store)
	name := site.Settings.SessionCookieName
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		id, _ := s.Values["_auth_user_id"].(string)
		backend, _ := s.Values["_auth_user_backend"].(string)
		hash, _ := s.Values["_auth_user_hash"].(string)
		if id == "" {
			fmt.Fprint(w, "anonymous")
			return
		}
		// Whois checks the session auth hash, as Django's get_user does.
		u, ok, err := site.Auth.Whois(r.Context(), site.Store.Settings(), id, backend, hash)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case !ok:
			fmt.Fprint(w, "anonymous")
		default:
			fmt.Fprint(w, "user "+u.ID)
		}
	})
	mux.HandleFunc("POST /write", func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, name)
		if err == nil {
			s.Values["go_wrote"] = "gorilla"
			err = s.Save(r, w)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "written")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, name)
		if err == nil {
			s.Options.MaxAge = -1
			err = s.Save(r, w)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "bye")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	site.Run(t, srv.URL, sitepeer.Scenario{Name: "gorilla"})
}
