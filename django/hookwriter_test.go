package django_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
)

// rawUpgrade sends a websocket-style upgrade request over a plain TCP
// connection and returns every byte the server sent until it closed.
func rawUpgrade(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the answer: %v (got %q)", err, got)
	}
	return string(got)
}

// TestHookWriterRefusesHijackAfterAnswer: when the session middleware has
// answered 500 (the session could not be saved), a handler's Hijack fails
// with ErrHijackRefused and the client sees the 500 only, never a 101
// after it. The control path hijacks as before.
func TestHookWriterRefusesHijackAfterAnswer(t *testing.T) {
	st, _ := fileStore(t)
	hijackErr := make(chan error, 1)
	h := django.Middleware(st)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := django.FromRequest(r)
		sess.Set("k", "v")
		if r.URL.Path == "/broken" {
			// Django raises on this expiry at save: the middleware answers 500.
			sess.Set(django.ExpiryKey, []any{"not an expiry"})
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		hijackErr <- err
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello")
		_ = brw.Flush()
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	got := rawUpgrade(t, srv, "/broken")
	if err := <-hijackErr; !errors.Is(err, django.ErrHijackRefused) {
		t.Errorf("Hijack after the 500: err %v, want ErrHijackRefused", err)
	}
	if !strings.HasPrefix(got, "HTTP/1.1 500 ") {
		t.Errorf("answer does not start with the 500: %q", got)
	}
	if strings.Contains(got, "101") || strings.Contains(got, "hello") {
		t.Errorf("the handler's upgrade reached the client after the 500: %q", got)
	}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(got)), nil)
	if err != nil {
		t.Fatalf("the answer is not one well-formed response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if rest := strings.TrimSpace(string(body)); rest != "Internal Server Error" {
		t.Errorf("body %q", rest)
	}

	got = rawUpgrade(t, srv, "/ws")
	if err := <-hijackErr; err != nil {
		t.Errorf("Hijack on a healthy request: %v", err)
	}
	if !strings.HasPrefix(got, "HTTP/1.1 101 Switching Protocols\r\n") || !strings.HasSuffix(got, "hello") {
		t.Errorf("healthy upgrade: %q", got)
	}
}
