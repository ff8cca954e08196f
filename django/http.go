package django

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SessionInterruptedMessage is the text of Django's SessionInterrupted,
// sent with status 400 when the session was deleted during the request.
const SessionInterruptedMessage = "The request's session was deleted before the request completed. " +
	"The user may have logged out in a concurrent request, for example."

type contextKey struct{}

// FromContext returns the session that Middleware put on a request's
// context (request.session), or nil.
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(contextKey{}).(*Session)
	return s
}

// FromRequest returns r's session, or nil outside Middleware.
func FromRequest(r *http.Request) *Session { return FromContext(r.Context()) }

// Middleware is Django's SessionMiddleware for net/http: it gives every
// request a Session read lazily from the SESSION_COOKIE_NAME cookie, and
// saves it and sets, refreshes or deletes the cookie exactly as Django's
// process_response does, before the response headers leave (at the first
// WriteHeader, Write or Flush, or when the handler returns).
//
// The version in Settings.DjangoVersion picks the rules that changed: 3.2
// skips the save only on status 500 (later versions on any 5xx), and 5.2
// and 6.1 add "Vary: Cookie" whenever they set the cookie.
func Middleware(store Store, settings Settings) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := settings.SessionCookieName
			var cookie string
			var sent bool
			if h := r.Header.Values("Cookie"); len(h) > 0 {
				cookies := ParseCookie(strings.Join(h, "; "))
				cookie, sent = cookies[name]
			}
			sess := NewSession(r.Context(), store, &settings, cookie)
			rw := &responseWriter{ResponseWriter: w, sess: sess, settings: &settings, cookieSent: sent, ctx: r.Context()}
			next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), contextKey{}, sess)))
			rw.commit(http.StatusOK)
		})
	}
}

// responseWriter runs process_response once, before the headers leave.
// It keeps http.Flusher, http.Hijacker and http.ResponseController
// (through Unwrap) working, for streaming and websockets.
type responseWriter struct {
	http.ResponseWriter
	sess       *Session
	settings   *Settings
	cookieSent bool
	ctx        context.Context

	once    sync.Once
	discard bool // the middleware answered instead of the handler
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) WriteHeader(status int) {
	w.commit(status)
	if !w.discard {
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.commit(http.StatusOK)
	if w.discard {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) Flush() {
	w.commit(http.StatusOK)
	if w.discard {
		return
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.commit(http.StatusSwitchingProtocols)
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// commit is SessionMiddleware.process_response for a response of status.
func (w *responseWriter) commit(status int) {
	w.once.Do(func() {
		if err := w.process(status); err != nil {
			w.fail(err)
		}
	})
}

func (w *responseWriter) process(status int) error {
	s, st := w.sess, w.settings
	accessed, modified, empty := s.Accessed(), s.Modified(), s.IsEmpty()
	h := w.Header()
	vary := false
	if w.cookieSent && empty {
		// delete_cookie: no HttpOnly, Secure only where browsers demand it.
		name := st.SessionCookieName
		secure := strings.HasPrefix(name, "__Secure-") || strings.HasPrefix(name, "__Host-") ||
			strings.EqualFold(st.SessionCookieSameSite, "none")
		zero := int64(0)
		h.Add("Set-Cookie", setCookie{
			name: name, path: st.SessionCookiePath, domain: st.SessionCookieDomain,
			expires: "Thu, 01 Jan 1970 00:00:00 GMT", maxAge: &zero,
			sameSite: st.SessionCookieSameSite, secure: secure,
		}.String())
		vary = true
	} else {
		vary = accessed
		if (modified || st.SessionSaveEveryRequest) && !empty {
			c := setCookie{
				name: st.SessionCookieName, domain: st.SessionCookieDomain, path: st.SessionCookiePath,
				secure: st.SessionCookieSecure, httpOnly: st.SessionCookieHTTPOnly, sameSite: st.SessionCookieSameSite,
			}
			if !s.ExpireAtBrowserClose() {
				age, err := s.ExpiryAge()
				if err != nil {
					return err
				}
				c.maxAge = &age
				c.expires = httpDate(st.Now().Add(time.Duration(age) * time.Second))
			}
			skip := status >= 500
			if st.Version() == Django32 {
				skip = status == 500
			}
			if !skip {
				if err := s.Save(w.ctx); err != nil {
					return err
				}
				c.value = s.Key()
				h.Add("Set-Cookie", c.String())
				if st.Version().AtLeast(5, 2) {
					vary = true
				}
			}
		}
	}
	if vary {
		h.Set("Vary", patchVary(h.Values("Vary"), "Cookie"))
	}
	return nil
}

// fail answers in place of the handler: 400 for a session deleted during
// the request (Django's SessionInterrupted), 500 for anything else.
func (w *responseWriter) fail(err error) {
	w.discard = true
	logger := w.settings.logger()
	status, body := http.StatusInternalServerError, "Internal Server Error"
	if errors.Is(err, ErrUpdate) {
		status, body = http.StatusBadRequest, SessionInterruptedMessage
		logger.Warn(SessionInterruptedMessage, "logger", "django.security.SessionInterrupted")
	} else {
		logger.Error("saving the session failed", "err", err)
	}
	h := w.Header()
	h.Del("Set-Cookie")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.ResponseWriter.WriteHeader(status)
	_, _ = w.ResponseWriter.Write([]byte(body + "\n"))
}
