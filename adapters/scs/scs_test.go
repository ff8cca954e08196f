package djscs_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	djscs "github.com/djsession/djsession/adapters/scs"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/sitepeer"
	"github.com/djsession/djsession/pyjson"

	_ "modernc.org/sqlite"
)

func fileStore(t *testing.T, secret, dir string) (django.Store, django.Settings) {
	store := sitepeer.FileStore(t, secret, dir)
	return store, *store.Settings()
}

func get(h http.Handler, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", "sessionid="+cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// The Codec carries the deadline and the dict, values converted as
// django.Session.Set converts them; bytes it did not make are ErrBadData.
func TestCodec(t *testing.T) {
	c := djscs.Codec{}
	deadline := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	b, err := c.Encode(deadline, map[string]any{"b": []string{"x"}, "a": 1, "m": map[string]any{"k": 1.5}})
	if err != nil {
		t.Fatal(err)
	}
	got, values, err := c.Decode(b)
	if err != nil || !got.Equal(deadline) {
		t.Fatalf("Decode: %v, %v", got, err)
	}
	if fmt.Sprintf("%s %s %s", pyjson.Repr(values["a"]), pyjson.Repr(values["b"]), pyjson.Repr(values["m"])) != "1 ['x'] {'k': 1.5}" {
		t.Fatalf("values %v", values)
	}
	if _, err := c.Encode(deadline, map[string]any{"ch": make(chan int)}); !errors.Is(err, django.ErrNotSerializable) {
		t.Fatalf("Encode of a channel = %v, want ErrNotSerializable", err)
	}
	for _, bad := range []string{"", "no newline", "2030-01-02T03:04:05Z\n[1]", "yesterday\n{}"} {
		if _, _, err := c.Decode([]byte(bad)); !errors.Is(err, djscs.ErrBadData) {
			t.Fatalf("Decode(%q) = %v, want ErrBadData", bad, err)
		}
	}
}

// An scs application over a Django-made session: reads it, writes it
// under the same key, destroys it; the deadline is Django's expiry.
func TestSessionManager(t *testing.T) {
	store, st := fileStore(t, "scs-unit-test-secret-key", t.TempDir())
	d := pyjson.NewDict(1)
	d.Set("n", int64(7))
	key, err := django.Create(t.Context(), store, d)
	if err != nil {
		t.Fatal(err)
	}
	sm := djscs.New(store)
	var deadline time.Time
	h := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("op") {
		case "destroy":
			if err := sm.Destroy(r.Context()); err != nil {
				t.Error(err)
			}
		default:
			deadline = sm.Deadline(r.Context())
			sm.Put(r.Context(), "n", sm.GetInt64(r.Context(), "n")+1)
		}
	}))
	before := time.Now()
	w := get(h, key)
	if want := before.Add(time.Duration(st.SessionCookieAge) * time.Second); deadline.Before(want.Add(-time.Minute)) || deadline.After(want.Add(time.Minute)) {
		t.Fatalf("deadline %v, want about %v (SESSION_COOKIE_AGE from now)", deadline, want)
	}
	c := w.Result().Cookies()
	if len(c) != 1 || c[0].Name != "sessionid" || c[0].Value != key || !c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("Set-Cookie %q", w.Header().Values("Set-Cookie"))
	}
	got, err := store.Load(t.Context(), key)
	if n, _ := got.GetInt64("n"); err != nil || n != 8 {
		t.Fatalf("stored after the write: %v, %v", got, err)
	}
	req := httptest.NewRequest("GET", "/?op=destroy", nil)
	req.Header.Set("Cookie", "sessionid="+key)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if _, err := store.Load(t.Context(), key); !errors.Is(err, django.ErrNotFound) {
		t.Fatalf("stored after Destroy: %v", err)
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Fatalf("Set-Cookie after Destroy %q, want the cookie deleted", w.Header().Values("Set-Cookie"))
	}
}

// A token scs drew (43 characters of base64url) cannot be a key of the
// file engine ([a-z0-9] only) nor of django_session (varchar(40)): Commit
// says so instead of losing the session.
func TestScsTokenNotStorable(t *testing.T) {
	fstore, fst := fileStore(t, "scs-unit-test-secret-key", t.TempDir())
	sqlDB, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if err := db.CreateTable(t.Context(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	dst := django.DefaultSettings("scs-unit-test-secret-key")
	dstore, err := db.New(sqlDB, db.SQLite, dst)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		store django.Store
		st    django.Settings
	}{"file": {fstore, fst}, "db": {dstore, dst}} {
		sm := djscs.New(c.store)
		var errs []error
		sm.ErrorFunc = func(w http.ResponseWriter, _ *http.Request, err error) {
			errs = append(errs, err)
			w.WriteHeader(http.StatusInternalServerError)
		}
		h := sm.LoadAndSave(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			sm.Put(r.Context(), "x", "y")
		}))
		w := get(h, "")
		if w.Code != http.StatusInternalServerError || len(errs) != 1 || !errors.Is(errs[0], djscs.ErrTokenNotStorable) {
			t.Fatalf("%s: status %d, errors %v; want ErrTokenNotStorable", name, w.Code, errs)
		}
	}
}

// A session signed with another SECRET_KEY: Find reports ErrUnreadable, so
// scs answers with its ErrorFunc, writes nothing and sends no cookie.
func TestUnreadableLeftAlone(t *testing.T) {
	dir := t.TempDir()
	real, _ := fileStore(t, "the-real-django-secret-key", dir)
	store, _ := fileStore(t, "a-wrong-secret-key", dir)
	d := pyjson.NewDict(1)
	d.Set("_auth_user_id", "1")
	key, err := django.Create(t.Context(), real, d)
	if err != nil {
		t.Fatal(err)
	}
	sm := djscs.New(store)
	var got error
	sm.ErrorFunc = func(w http.ResponseWriter, _ *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusInternalServerError)
	}
	h := sm.LoadAndSave(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "x", "y")
	}))
	w := get(h, key)
	if !errors.Is(got, django.ErrUnreadable) || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("error %v, Set-Cookie %q; want ErrUnreadable and no cookie", got, w.Header().Values("Set-Cookie"))
	}
	if d, err := real.Load(t.Context(), key); err != nil || d.String() != "{'_auth_user_id': '1'}" {
		t.Fatalf("Django's session after: %v, %v", d, err)
	}
}

// Live: login in Django 5.2, the user in an scs handler, a write Django
// sees, a logout (Destroy) that Django honours.
func TestDjangoLive(t *testing.T) {
	site := sitepeer.NewSite(t)
	sm := djscs.New(site.Store)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := sm.GetString(ctx, "_auth_user_id")
		if id == "" {
			fmt.Fprint(w, "anonymous")
			return
		}
		// Whois checks the session auth hash, as Django's get_user does.
		u, ok, err := site.Auth.Whois(ctx, site.Store.Settings(), id, sm.GetString(ctx, "_auth_user_backend"), sm.GetString(ctx, "_auth_user_hash"))
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
		sm.Put(r.Context(), "go_wrote", "scs")
		fmt.Fprint(w, "written")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Destroy(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "bye")
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	defer srv.Close()
	site.Run(t, srv.URL, sitepeer.Scenario{Name: "scs", Vary: true})
}
