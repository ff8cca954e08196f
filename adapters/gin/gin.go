// Package djgin runs django.Middleware in a gin engine, so a gin handler
// reads and writes the Django session of the request:
//
//	r := gin.New()
//	r.Use(djgin.Middleware(store))
//	r.GET("/me", func(c *gin.Context) {
//		u, err := a.UserFromRequest(c.Request) // a *auth.Auth
//		...
//	})
//
// The obvious wrapper (django.Middleware around a handler that sets
// c.Request and calls c.Next) saves the session but sends no Set-Cookie
// and no Vary: gin's handlers write to c.Writer, not to the writer the
// session middleware watches, so the headers leave before the middleware
// adds its cookie, and a login done in Go never reaches the browser. This
// package swaps c.Writer for the rest of the chain so that the session is
// saved and its cookie set just before gin sends the headers, with the
// final status (gin sets the status lazily; Django skips the save on 5xx).
package djgin

import (
	"bufio"
	"net"
	"net/http"

	"github.com/djsession/djsession/django"
	"github.com/gin-gonic/gin"
)

// Middleware is django.Middleware as a gin.HandlerFunc: the handlers after
// it find the session with Session(c) or django.FromRequest(c.Request),
// and the response carries the cookie and Vary header Django's
// SessionMiddleware would send. Options are django.Middleware's
// (WithErrorHandler, WithSkip).
func Middleware(store django.Store, opts ...django.MiddlewareOption) gin.HandlerFunc {
	mw := django.Middleware(store, opts...)
	return func(c *gin.Context) {
		orig := c.Writer
		mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.Request = r
			gw := &writer{ResponseWriter: orig, hook: w}
			c.Writer = gw
			defer func() { c.Writer = orig }()
			c.Next()
			// A status set with no body (c.Status(204)) leaves gin's
			// writer unwritten until gin's own end of request: the hook
			// runs now, with that status.
			gw.before()
		})).ServeHTTP(orig, c.Request)
	}
}

// Session returns the request's Django session, or nil outside Middleware
// (or on a path Middleware skips).
func Session(c *gin.Context) *django.Session { return django.FromRequest(c.Request) }

// writer is gin's ResponseWriter with the session middleware's hook run
// once, just before the headers leave. hook is the writer the middleware
// handed to the chain: its first WriteHeader runs the hook, and its writes
// are discarded when the hook answered the request itself (an error page).
type writer struct {
	gin.ResponseWriter
	hook   http.ResponseWriter
	hooked bool
}

// before runs the hook with the status gin is about to send. gin records
// WriteHeader's status and sends it only at the first write, so the hook
// waits for that moment, as it would in net/http.
func (w *writer) before() {
	if !w.hooked {
		w.hooked = true
		w.hook.WriteHeader(w.ResponseWriter.Status())
	}
}

func (w *writer) WriteHeaderNow() {
	w.before()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *writer) Write(b []byte) (int, error) {
	w.before()
	return w.hook.Write(b)
}

func (w *writer) WriteString(s string) (int, error) {
	w.before()
	return w.hook.Write([]byte(s))
}

func (w *writer) Flush() {
	w.before()
	if f, ok := w.hook.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets the hook run with status 101 first, and refuses (with
// django.ErrHijackRefused, as the middlewares' own writer does) when the
// hook already answered.
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hooked = true
	if h, ok := w.hook.(http.Hijacker); ok {
		return h.Hijack()
	}
	return w.ResponseWriter.Hijack()
}

// Unwrap returns the middleware's writer, for http.ResponseController.
func (w *writer) Unwrap() http.ResponseWriter { return w.hook }
