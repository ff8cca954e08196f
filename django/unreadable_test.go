package django_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// The rules of unreadable.go, on a real file store: a session file signed
// under another SECRET_KEY stands for every "Go could not use it" case.

// foreignSession writes a session under key with another SECRET_KEY (the
// Django site's, unlike the service's) and returns the file's bytes.
func foreignSession(t *testing.T, s django.Settings, key string) []byte {
	t.Helper()
	other := s
	other.SecretKey = "the-django-sites-real-secret-key"
	st, err := file.New(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(context.Background(), key, dictOf("_auth_user_id", "7", "cart", "3 books"), true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.SessionFilePath, "sessionid"+key))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dictOf(kv ...any) *pyjson.Dict {
	d := pyjson.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i].(string), kv[i+1])
	}
	return d
}

const foreignKey = "abcdefghijklmnopqrstuvwxyz012345"

func withLog(s *django.Settings) *bytes.Buffer {
	var buf bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &buf
}

func TestUnreadableSessionIsLeftAsItIs(t *testing.T) {
	var logs *bytes.Buffer
	st, s := fileStore(t, func(s *django.Settings) { logs = withLog(s) })
	stored := foreignSession(t, s, foreignKey)
	ctx := context.Background()
	sess := django.NewSession(ctx, st, foreignKey)
	if v, ok := sess.Get("cart"); ok {
		t.Fatalf("read %v from data signed with another key", v)
	}
	err := sess.Err()
	if !errors.Is(err, django.ErrUnreadable) || !errors.Is(err, django.ErrSessionCorrupted) || !strings.Contains(err.Error(), "SECRET_KEY") {
		t.Fatalf("Err() = %v, want ErrUnreadable and ErrSessionCorrupted, naming SECRET_KEY", err)
	}
	if !strings.Contains(logs.String(), "SECRET_KEY") {
		t.Errorf("the log does not name SECRET_KEY: %s", logs)
	}
	if sess.IsEmpty() || sess.Key() != foreignKey {
		t.Error("the key is kept: the session is not empty, it is unreadable")
	}
	sess.Set("go", true)
	if err := sess.Save(ctx); !errors.Is(err, django.ErrUnreadable) {
		t.Fatalf("Save over unreadable data = %v, want ErrUnreadable", err)
	}
	after, _ := os.ReadFile(filepath.Join(s.SessionFilePath, "sessionid"+foreignKey))
	if !bytes.Equal(after, stored) {
		t.Fatal("the stored session was written over")
	}
}

func TestUnreadableLoginStartsANewSession(t *testing.T) {
	st, s := fileStore(t)
	stored := foreignSession(t, s, foreignKey)
	ctx := context.Background()
	sess := django.NewSession(ctx, st, foreignKey)
	if err := sess.CycleKey(ctx); err != nil {
		t.Fatalf("CycleKey (login) over an unreadable session: %v", err)
	}
	if sess.Key() == foreignKey || sess.Key() == "" || sess.Err() != nil {
		t.Fatalf("key %q, Err %v: want a new key and no error", sess.Key(), sess.Err())
	}
	sess.Set("_auth_user_id", "9")
	if err := sess.Save(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(filepath.Join(s.SessionFilePath, "sessionid"+foreignKey))
	if err != nil || !bytes.Equal(after, stored) {
		t.Fatalf("the unreadable session was deleted or changed (%v)", err)
	}
}

func TestUnreadableLogoutDeletes(t *testing.T) {
	st, s := fileStore(t)
	foreignSession(t, s, foreignKey)
	ctx := context.Background()
	sess := django.NewSession(ctx, st, foreignKey)
	if err := sess.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if sess.Key() != "" || sess.Err() != nil {
		t.Fatalf("after Flush: key %q, Err %v", sess.Key(), sess.Err())
	}
	if _, err := os.Stat(filepath.Join(s.SessionFilePath, "sessionid"+foreignKey)); !os.IsNotExist(err) {
		t.Fatalf("a logout must delete the stored session, even one this service cannot read: %v", err)
	}
}

func TestDiscardUnreadableIsDjangosBehaviour(t *testing.T) {
	st, s := fileStore(t, func(s *django.Settings) { s.DiscardUnreadable = true })
	foreignSession(t, s, foreignKey)
	ctx := context.Background()
	sess := django.NewSession(ctx, st, foreignKey)
	if len(sess.Keys()) != 0 || sess.Err() != nil || sess.Key() != foreignKey {
		t.Fatalf("Django reads unreadable data as {} under the same key: len %d, Err %v, key %q", len(sess.Keys()), sess.Err(), sess.Key())
	}
	sess.Set("go", true)
	if err := sess.Save(ctx); err != nil {
		t.Fatal(err)
	}
	again := django.NewSession(ctx, st, foreignKey)
	if v, _ := again.GetBool("go"); !v {
		t.Fatal("Django's save replaces the stored data")
	}
}

// failingDelete is a real store whose Delete fails, as a server that went
// away between the load and the logout.
type failingDelete struct{ django.Store }

func (failingDelete) Delete(context.Context, string) error {
	return django.ErrBackend
}

func TestFlushKeepsTheKeyWhenDeleteFails(t *testing.T) {
	st, _ := fileStore(t)
	ctx := context.Background()
	sess := django.NewSession(ctx, st, "")
	sess.Set("_auth_user_id", "1")
	if err := sess.Save(ctx); err != nil {
		t.Fatal(err)
	}
	key := sess.Key()
	sess = django.NewSession(ctx, failingDelete{st}, key)
	if err := sess.Flush(ctx); !errors.Is(err, django.ErrBackend) {
		t.Fatalf("Flush = %v, want the store's error", err)
	}
	if sess.Key() != key {
		t.Fatalf("Flush forgot the key %q after a failed delete: the middleware would clear the cookie of a session still stored", key)
	}
	// The middleware keeps the cookie: the session is still stored.
	h := django.Middleware(failingDelete{st})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := django.FromRequest(r).Flush(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	rec := serve(h, "sessionid="+key)
	if got := rec.Header().Get("Set-Cookie"); got != "" || rec.Code != http.StatusInternalServerError {
		t.Fatalf("failed logout: status %d, Set-Cookie %q", rec.Code, got)
	}
}

func serve(h http.Handler, cookie string) *httptest.ResponseRecorder {
	req := newRequest("/")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return serveReq(h, req)
}

func newRequest(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }

func serveReq(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestMiddlewareLeavesCookiesItCannotJudge(t *testing.T) {
	_, s := fileStore(t)
	foreignSession(t, s, foreignKey)
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { django.FromRequest(r).Get("cart") })
	write := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { django.FromRequest(r).Set("cart", "x") })
	missing := "sessionid=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
	for _, c := range []struct {
		name      string
		discard   bool
		every     bool
		h         http.Handler
		cookie    string
		status    int
		setCookie string // a prefix; "" for none
	}{
		{"missing session, read", false, false, read, missing, 200, ""},
		{"missing session, read, Django's way", true, false, read, missing, 200, `sessionid=""`},
		{"short cookie, read", false, false, read, "sessionid=abc", 200, `sessionid=""`},
		{"unreadable, read", false, false, read, "sessionid=" + foreignKey, 200, ""},
		{"unreadable, SESSION_SAVE_EVERY_REQUEST", false, true, read, "sessionid=" + foreignKey, 200, ""},
		{"unreadable, write", false, false, write, "sessionid=" + foreignKey, 500, ""},
		{"unreadable, write, Django's way", true, false, write, "sessionid=" + foreignKey, 200, "sessionid=" + foreignKey},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := s
			s.DiscardUnreadable, s.SessionSaveEveryRequest = c.discard, c.every
			cst, err := file.New(s) // the same SESSION_FILE_PATH
			if err != nil {
				t.Fatal(err)
			}
			rec := serve(django.Middleware(cst)(c.h), c.cookie)
			got := rec.Header().Get("Set-Cookie")
			if rec.Code != c.status || (c.setCookie == "") != (got == "") || !strings.HasPrefix(got, c.setCookie) {
				t.Fatalf("status %d, Set-Cookie %q; want %d, %q...", rec.Code, got, c.status, c.setCookie)
			}
		})
	}
}

func TestSignedCookieUnderAnotherKeyIsLeft(t *testing.T) {
	s := django.DefaultSettings("the-go-services-secret")
	s.SessionEngine = django.EngineSignedCookies
	djangoSide := s
	djangoSide.SecretKey = "the-django-sites-real-secret-key"
	ds, err := signedcookies.New(djangoSide)
	if err != nil {
		t.Fatal(err)
	}
	cookie, err := ds.CookieValue(dictOf("_auth_user_id", "7"))
	if err != nil {
		t.Fatal(err)
	}
	gs, err := signedcookies.New(s)
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(django.Middleware(gs)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := django.FromRequest(r).Load(r.Context()); !errors.Is(err, django.ErrUnreadable) {
			t.Errorf("Load = %v, want ErrUnreadable", err)
		}
	})), "sessionid="+cookie)
	if got := rec.Header().Get("Set-Cookie"); got != "" {
		t.Fatalf("a read-only request replaced a cookie signed under another key: %q", got)
	}
}
