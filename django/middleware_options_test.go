package django_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/djsession/djsession/django"
)

func TestMiddlewareErrorHandler(t *testing.T) {
	st, s := fileStore(t)
	foreignSession(t, s, foreignKey)
	var got error
	h := django.Middleware(st, django.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		if django.FromRequest(r) == nil {
			t.Error("the error handler gets the request with its session")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error":"session"}`))
	}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		django.FromRequest(r).Set("cart", "x")
		w.Write([]byte("handler"))
	}))
	rec := serve(h, "sessionid="+foreignKey)
	if !errors.Is(got, django.ErrUnreadable) || rec.Code != http.StatusConflict || rec.Body.String() != `{"error":"session"}` {
		t.Fatalf("err %v, status %d, body %q", got, rec.Code, rec.Body.String())
	}
	if rec.Header().Get("Set-Cookie") != "" {
		t.Fatal("no cookie on a failed save")
	}
}

func TestMiddlewareSkip(t *testing.T) {
	st, _ := fileStore(t)
	h := django.Middleware(st, django.WithSkip(func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/healthz")
	}))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sess := django.FromRequest(r); sess != nil {
			sess.Set("visited", true)
		}
	}))
	for path, want := range map[string]bool{"/healthz": false, "/page": true} {
		req := newRequest(path)
		rec := serveReq(h, req)
		if got := rec.Header().Get("Set-Cookie") != ""; got != want {
			t.Errorf("%s: Set-Cookie %q", path, rec.Header().Get("Set-Cookie"))
		}
	}
}

func TestMiddlewareDebugLogs(t *testing.T) {
	var logs *bytes.Buffer
	st, _ := fileStore(t, func(s *django.Settings) { logs = withLog(s) })
	h := django.Middleware(st)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := django.FromRequest(r)
		sess.Get("x")
		sess.Flush(r.Context())
	}))
	serve(h, "sessionid=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
	for _, want := range []string{"session not found or expired", "session flushed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no debug line %q in:\n%s", want, logs)
		}
	}
	if strings.Contains(logs.String(), "zzzzzzzz") {
		t.Error("a session key is a credential: it is never logged")
	}
}
