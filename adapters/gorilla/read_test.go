package djgorilla

import (
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/gorilla/sessions"
)

// The link from a session to its Django session goes when the request's
// session is collected: a long-running service does not accumulate them.
func TestReadSessionsCollected(t *testing.T) {
	st := django.DefaultSettings("gorilla-unit-test-secret-key")
	st.SessionEngine = django.EngineFile
	st.SessionFilePath = t.TempDir()
	fs, err := file.New(st)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(fs)
	const n = 1000
	held := make([]*sessions.Session, 0, n)
	for range n {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Cookie", "sessionid=abcdefghijklmnopqrstuvwxyz012345")
		sess, err := s.Get(req, "sessionid")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, sess)
	}
	count := func() int {
		c := 0
		s.read.Range(func(any, any) bool { c++; return true })
		return c
	}
	if c := count(); c != n {
		t.Fatalf("%d links while the sessions live, want %d", c, n)
	}
	runtime.KeepAlive(held)
	deadline := time.Now().Add(30 * time.Second) // cleanups run in the background: a generous wait
	for count() > 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if c := count(); c > 0 {
		t.Fatalf("%d of %d links left after the sessions were collected", c, n)
	}
}
