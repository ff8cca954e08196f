package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestClientAnswers: the bodies and statuses net/http's server sends
// (Content-Length, chunked, Connection: close, an error status) are read
// as net/http's client reads them, the request carries the path and the
// cookie, and a kept-alive connection is reused.
func TestClientAnswers(t *testing.T) {
	var conns atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bench/" || r.Header.Get("Cookie") != "sessionid=x" || r.Method != http.MethodGet {
			http.Error(w, "bad request "+r.URL.Path+" "+r.Header.Get("Cookie"), http.StatusBadRequest)
			return
		}
		switch r.URL.Query().Get("kind") {
		case "chunked":
			for i := range 3 {
				fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush()
			}
		case "close":
			w.Header().Set("Connection", "close")
			w.Write([]byte(`{"hits": 2}`))
		case "teapot":
			w.WriteHeader(http.StatusTeapot)
			w.Write([]byte("short"))
		default:
			w.Write([]byte(`{"hits": 1}`))
		}
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	for _, tc := range []struct {
		query, body string
		status      int
		keep        bool
	}{
		{"", `{"hits": 1}`, 200, true},
		{"?kind=chunked", "part0;part1;part2;", 200, true},
		{"?kind=close", `{"hits": 2}`, 200, false},
		{"?kind=teapot", "short", http.StatusTeapot, true},
	} {
		cl, err := newClient(srv.URL+"/bench/"+tc.query, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		before := conns.Load()
		for range 3 {
			status, body, err := cl.get(t.Context(), "sessionid=x", nil)
			if err != nil || status != tc.status || string(body) != tc.body {
				t.Errorf("%q: get = %d %q %v; want %d %q", tc.query, status, body, err, tc.status, tc.body)
			}
		}
		want := int64(1)
		if !tc.keep {
			want = 3
		}
		if got := conns.Load() - before; got != want {
			t.Errorf("%q: %d connections for 3 requests; want %d", tc.query, got, want)
		}
		cl.closeIdle()
	}
}

// TestClientRetriesAClosedIdleConnection: a kept-alive connection the
// server closed while it was idle is replaced, the request sent again,
// and no error is seen (as net/http retries an idempotent request).
func TestClientRetriesAClosedIdleConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	cl, err := newClient(srv.URL+"/", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.closeIdle()
	if _, _, err := cl.get(t.Context(), "a=b", nil); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	status, body, err := cl.get(t.Context(), "a=b", nil)
	if err != nil || status != 200 || string(body) != "ok" {
		t.Errorf("after the server closed the idle connection: %d %q %v", status, body, err)
	}
}

// TestClientTimesOut: a server that never answers costs at most the
// timeout.
func TestClientTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(2 * time.Second)
		}
	}()
	cl, err := newClient("http://"+ln.Addr().String()+"/", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = cl.get(t.Context(), "a=b", nil)
	if err == nil || time.Since(start) > time.Second {
		t.Errorf("get = %v after %v; want a timeout after 200ms", err, time.Since(start))
	}
	if _, err := newClient("https://example.invalid/", time.Second); err == nil || !strings.Contains(err.Error(), "http://") {
		t.Errorf("an https URL: %v; want it refused", err)
	}
}
