package hookwriter

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

type hijackRecorder struct {
	*httptest.ResponseRecorder
	hijacked bool
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return nil, nil, nil
}

// TestHijackAfterAnsweredWrite: the refusal also holds when the hook
// answered at an earlier Write, not only at the Hijack itself.
func TestHijackAfterAnsweredWrite(t *testing.T) {
	rec := &hijackRecorder{ResponseRecorder: httptest.NewRecorder()}
	hw := New(rec, func(int) bool {
		rec.WriteHeader(http.StatusInternalServerError)
		return true
	})
	_, _ = hw.Write([]byte("handler body"))
	if _, _, err := hw.Hijack(); !errors.Is(err, ErrHijackRefused) {
		t.Errorf("err %v", err)
	}
	if rec.hijacked || rec.Code != 500 || rec.Body.Len() != 0 {
		t.Errorf("hijacked %v code %d body %q", rec.hijacked, rec.Code, rec.Body.String())
	}
}

// TestHookRunsOnce: the hook sees the first status only, and Finish after
// a write runs nothing.
func TestHookRunsOnce(t *testing.T) {
	rec := httptest.NewRecorder()
	var seen []int
	hw := New(rec, func(status int) bool { seen = append(seen, status); return false })
	hw.WriteHeader(http.StatusTeapot)
	_, _ = hw.Write([]byte("x"))
	hw.Flush()
	hw.Finish()
	if len(seen) != 1 || seen[0] != http.StatusTeapot || rec.Code != http.StatusTeapot || rec.Body.String() != "x" {
		t.Errorf("hook saw %v; recorder %d %q", seen, rec.Code, rec.Body.String())
	}
	if hw.Unwrap() != rec {
		t.Error("Unwrap does not return the wrapped writer")
	}
}
