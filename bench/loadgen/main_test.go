package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testRunner points a runner at h with a measured window of d after a
// warm-up of w.
func testRunner(t *testing.T, h http.Handler, w, d time.Duration) *runner {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cl, err := newClient(srv.URL+"/bench/", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.closeIdle)
	now := time.Now()
	return &runner{
		url: srv.URL, cookies: []string{"sessionid=a", "sessionid=b"}, expect: []byte(`"hits"`),
		timeout: 2 * time.Second, client: cl,
		measureFrom: now.Add(w), measureTo: now.Add(w + d),
	}
}

// TestClosedLoop: every worker sends its own session's cookie, only the
// requests answered inside the window are counted, and a body without the
// expected text is an error.
func TestClosedLoop(t *testing.T) {
	var seen [2]atomic.Int64
	var bad atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Cookie") {
		case "sessionid=a":
			seen[0].Add(1)
		case "sessionid=b":
			seen[1].Add(1)
		}
		if bad.Load() {
			w.Write([]byte(`{}`))
			return
		}
		w.Write([]byte(`{"hits": 1}`))
	})
	r := testRunner(t, h, 100*time.Millisecond, 300*time.Millisecond)
	ctx := t.Context()
	r.closed(ctx, 2)
	if seen[0].Load() == 0 || seen[1].Load() == 0 {
		t.Errorf("sessions used: %d, %d; want both", seen[0].Load(), seen[1].Load())
	}
	total := seen[0].Load() + seen[1].Load()
	if n := int64(len(r.latencies())); n == 0 || n >= total {
		t.Errorf("%d of %d requests counted; want the window's only (not the warm-up's)", n, total)
	}
	if r.errors.Load() != 0 {
		t.Errorf("errors = %d", r.errors.Load())
	}

	bad.Store(true)
	r = testRunner(t, h, 0, 100*time.Millisecond)
	r.closed(ctx, 1)
	if r.errors.Load() == 0 || len(r.latencies()) != 0 {
		t.Errorf("a body without the expected text: %d errors, %d ok", r.errors.Load(), len(r.latencies()))
	}
}

// TestOpenLoop: the requests leave at the rate asked, whatever the server
// does, and a slow server's latency counts from when each request was due.
func TestOpenLoop(t *testing.T) {
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte(`{"hits": 1}`))
	})
	r := testRunner(t, h, 0, 500*time.Millisecond)
	if dropped := r.open(t.Context(), 100, 512); dropped != 0 {
		t.Errorf("dropped = %d", dropped)
	}
	// 100/s for 0.5 s: about 50 requests, not the ~50 a closed loop of
	// one worker would manage in 1 s.
	if got := n.Load(); got < 40 || got > 60 {
		t.Errorf("%d requests sent at 100/s over 0.5 s", got)
	}
	lat := r.latencies()
	slices.Sort(lat)
	if len(lat) == 0 || lat[0] < 20*time.Millisecond {
		t.Errorf("latencies %v: want each at least the server's 20 ms", lat[:min(3, len(lat))])
	}

	// One outstanding request at most: the rest are dropped, not queued.
	r = testRunner(t, h, 0, 300*time.Millisecond)
	if dropped := r.open(t.Context(), 200, 1); dropped == 0 {
		t.Error("no request dropped with max-in-flight 1 against a 20 ms server at 200/s")
	}
}

// TestTreeUsage: the test process itself has CPU time and memory, and a
// PID that does not exist adds nothing.
func TestTreeUsage(t *testing.T) {
	u := treeUsage([]int{os.Getpid()})
	if u.procs != 1 || u.rssKB <= 0 || u.user+u.sys <= 0 {
		t.Errorf("treeUsage(self) = %+v", u)
	}
	if u := treeUsage([]int{1 << 30}); u.procs != 0 || u.rssKB != 0 {
		t.Errorf("treeUsage(no such pid) = %+v", u)
	}
}

func TestReadLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cookies")
	os.WriteFile(p, []byte("sessionid=a\n\n  sessionid=b  \n"), 0o600)
	got, err := readLines(p)
	if err != nil || strings.Join(got, ",") != "sessionid=a,sessionid=b" {
		t.Errorf("readLines = %q, %v", got, err)
	}
}

func TestPct(t *testing.T) {
	lat := []time.Duration{1000, 2000, 3000, 4000}
	if p := pct(lat, 0.5); p != 3 {
		t.Errorf("p50 = %v µs", p)
	}
	if p := pct(lat, 0.99); p != 4 {
		t.Errorf("p99 = %v µs", p)
	}
}
