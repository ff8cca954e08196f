// Package hookwriter holds the ResponseWriter that the session, CSRF and
// messages middlewares share: Django's process_response runs after the
// view, but in Go the headers may leave while the handler runs.
package hookwriter

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
)

// ErrHijackRefused is returned by Writer.Hijack when the hook has
// already answered the request itself (a 500 or 400 error page whose
// headers have left): hijacking then would send the handler's "101
// Switching Protocols" after that answer, on a connection the client has
// already read as failed. The connection is not hijacked; a websocket
// upgrader gives up, as it does on any Hijack error.
var ErrHijackRefused = errors.New("django: hijack refused: the middleware already answered the request with an error")

// Writer is a ResponseWriter that runs a hook once, just before the
// response headers leave: at the first WriteHeader, Write, Flush or
// Hijack, or at Finish when the handler wrote nothing. Django's middleware
// process_response runs after the view; in Go the headers may leave while
// the handler runs, so the session, CSRF and messages middlewares do their
// work here. It keeps http.Flusher, http.Hijacker and
// http.ResponseController (through Unwrap) working, for streaming and
// websockets.
type Writer struct {
	http.ResponseWriter
	hook    func(status int) (answered bool)
	once    sync.Once
	discard bool
}

// New wraps w. hook receives the status about to be sent (200
// for a Write or Flush before WriteHeader, 101 for a Hijack); when it
// reports that it answered the request itself (an error page), what the
// handler writes afterwards is discarded.
func New(w http.ResponseWriter, hook func(status int) (answered bool)) *Writer {
	return &Writer{ResponseWriter: w, hook: hook}
}

func (w *Writer) run(status int) {
	w.once.Do(func() { w.discard = w.hook(status) })
}

// Finish runs the hook if nothing was written: call it when the handler
// returns.
func (w *Writer) Finish() { w.run(http.StatusOK) }

// Unwrap returns the wrapped ResponseWriter, for http.ResponseController.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriteHeader runs the hook, then sends the header.
func (w *Writer) WriteHeader(status int) {
	w.run(status)
	if !w.discard {
		w.ResponseWriter.WriteHeader(status)
	}
}

// Write runs the hook, then writes.
func (w *Writer) Write(b []byte) (int, error) {
	w.run(http.StatusOK)
	if w.discard {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush runs the hook, then flushes.
func (w *Writer) Flush() {
	w.run(http.StatusOK)
	if !w.discard {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Hijack runs the hook, then hijacks the connection. When the hook
// answered the request (now or at an earlier write), it fails with
// ErrHijackRefused and leaves the connection to net/http.
func (w *Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.run(http.StatusSwitchingProtocols)
	if w.discard {
		return nil, nil, ErrHijackRefused
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
