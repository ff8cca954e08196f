package django_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// fileStore is a file store in a temporary SESSION_FILE_PATH with the
// settings changed by opts (settings are given once, to the store), and
// those settings.
func fileStore(t *testing.T, opts ...func(*django.Settings)) (*file.Store, django.Settings) {
	t.Helper()
	s := django.DefaultSettings("session-test-key")
	s.SessionEngine = django.EngineFile
	s.SessionFilePath = t.TempDir()
	for _, o := range opts {
		o(&s)
	}
	st, err := file.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return st, s
}

func TestSessionSemantics(t *testing.T) {
	st, _ := fileStore(t)
	ctx := context.Background()
	sess := django.NewSession(ctx, st, "")
	if !sess.IsEmpty() || sess.Accessed() || sess.Modified() {
		t.Fatal("a new session is empty and untouched")
	}
	sess.Set("cart", []any{int64(1)})
	if v, err := sess.SetDefault("cart", "other"); err != nil || v == "other" || !sess.Modified() {
		t.Error("setdefault of a present key returns the present value")
	}
	if err := sess.Save(ctx); err != nil {
		t.Fatal(err)
	}
	key := sess.Key()
	if len(key) != 32 {
		t.Fatalf("key %q", key)
	}
	// A new request with the cookie.
	again := django.NewSession(ctx, st, key)
	if again.Accessed() {
		t.Error("reading the key does not access the session")
	}
	if v, ok := again.Get("cart"); !ok || !pyjson.Equal(v, []any{int64(1)}) {
		t.Errorf("cart %v", v)
	}
	if again.Modified() {
		t.Error("a read does not modify")
	}
	if _, ok := again.Pop("missing"); ok || again.Modified() {
		t.Error("pop of a missing key does not modify")
	}
	// cycle_key keeps the data under a new key and deletes the old one.
	if err := again.CycleKey(ctx); err != nil {
		t.Fatal(err)
	}
	if again.Key() == key {
		t.Error("cycle_key kept the key")
	}
	if ok, _ := st.Exists(ctx, key); ok {
		t.Error("the old session survived cycle_key")
	}
	if v, _ := again.Get("cart"); v == nil {
		t.Error("cycle_key lost the data")
	}
	// flush empties and forgets.
	newKey := again.Key()
	if err := again.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if again.Key() != "" || !again.IsEmpty() {
		t.Error("flush leaves no key and no data")
	}
	if ok, _ := st.Exists(ctx, newKey); ok {
		t.Error("flush left the stored session")
	}
	// The test cookie trio.
	tc := django.NewSession(ctx, st, "")
	tc.SetTestCookie()
	if !tc.TestCookieWorked() {
		t.Error("test cookie")
	}
	tc.DeleteTestCookie()
	if tc.TestCookieWorked() {
		t.Error("test cookie deleted")
	}
	// An unknown key is dropped on load: the next save makes a new one.
	gone := django.NewSession(ctx, st, "abcdefghabcdefghabcdefghabcdefgh")
	gone.Set("x", int64(1))
	if err := gone.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if gone.Key() == "abcdefghabcdefghabcdefghabcdefgh" {
		t.Error("a client-chosen key was reused (session fixation)")
	}
}

// TestMiddlewareSessionInterrupted: a session deleted during the request
// is answered with Django's 400, and never saved back.
func TestMiddlewareSessionInterrupted(t *testing.T) {
	st, _ := fileStore(t)
	ctx := context.Background()
	d, _ := pyjson.UnmarshalDict([]byte(`{"a":1}`))
	key, err := django.Create(ctx, st, d)
	if err != nil {
		t.Fatal(err)
	}
	h := django.Middleware(st)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := django.FromRequest(r)
		sess.Set("b", int64(2))
		st.Delete(r.Context(), key) // a logout in a concurrent request
		w.Write([]byte("handler body"))
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", "sessionid="+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "deleted before the request completed") {
		t.Errorf("status %d body %q", rec.Code, rec.Body.String())
	}
	if ok, _ := st.Exists(ctx, key); ok {
		t.Error("the deleted session was brought back")
	}
	if rec.Header().Get("Set-Cookie") != "" {
		t.Error("a cookie was set on the 400")
	}
}

type hijackRecorder struct {
	*httptest.ResponseRecorder
	hijacked bool
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return nil, nil, nil
}

// TestMiddlewareKeepsStreamingAndHijack: the session is saved before the
// first flush, and Flusher, Hijacker and ResponseController still work.
func TestMiddlewareKeepsStreamingAndHijack(t *testing.T) {
	st, s := fileStore(t)
	s.Clock = func() time.Time { return time.Unix(1700000000, 0) }
	h := django.Middleware(st)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		django.FromRequest(r).Set("k", "v")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		w.Header().Set("X-Too-Late", "1")
		if r.URL.Path == "/ws" {
			if _, _, err := http.NewResponseController(w).Hijack(); err != nil {
				t.Errorf("Hijack: %v", err)
			}
		}
	}))
	rec := &hijackRecorder{ResponseRecorder: httptest.NewRecorder()}
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ws", nil))
	if !rec.Flushed || !rec.hijacked {
		t.Errorf("flushed %v hijacked %v", rec.Flushed, rec.hijacked)
	}
	if !strings.HasPrefix(rec.Header().Get("Set-Cookie"), "sessionid=") || rec.Header().Get("Vary") != "Cookie" {
		t.Errorf("headers %v", rec.Header())
	}
}

func TestMiddlewareVaryMerges(t *testing.T) {
	st, _ := fileStore(t)
	h := django.Middleware(st)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Encoding")
		django.FromRequest(r).Get("x")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("Vary"); got != "Accept-Encoding, Cookie" {
		t.Errorf("Vary %q", got)
	}
}
