package django

import (
	"context"
	"errors"
	"net/http"

	"github.com/djsession/djsession/djhttp"
	"github.com/djsession/djsession/internal/hookwriter"
)

// sessionInterruptedMessage is the text of Django's SessionInterrupted,
// sent with status 400 when the session was deleted during the request.
const sessionInterruptedMessage = "The request's session was deleted before the request completed. " +
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
// The settings are the store's (Store.Settings): given once, to the store.
// The version in Settings.DjangoVersion picks the rules that changed: 3.2
// skips the save only on status 500 (later versions on any 5xx), and 5.2
// and 6.1 add "Vary: Cookie" whenever they set the cookie.
//
// Options shape what is not a Django setting: WithErrorHandler answers the
// requests whose session could not be saved, WithSkip exempts requests
// (health checks, static files) from sessions altogether.
func Middleware(store Store, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	settings := store.Settings()
	cfg := middlewareConfig{onError: defaultErrorHandler(settings)}
	for _, o := range opts {
		o(&cfg)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if cfg.skip != nil && cfg.skip(r) {
				next.ServeHTTP(w, r)
				return
			}
			name := settings.SessionCookieName
			cookie, sent := djhttp.RequestCookies(r)[name]
			sess := NewSession(r.Context(), store, cookie)
			r = r.WithContext(context.WithValue(r.Context(), contextKey{}, sess))
			rw := &responseWriter{w: w, r: r, sess: sess, settings: settings, cookieSent: sent, ctx: r.Context(), onError: cfg.onError}
			hw := hookwriter.New(w, rw.commit)
			next.ServeHTTP(hw, r)
			hw.Finish()
		})
	}
}

// A MiddlewareOption configures Middleware.
type MiddlewareOption func(*middlewareConfig)

type middlewareConfig struct {
	onError func(http.ResponseWriter, *http.Request, error)
	skip    func(*http.Request) bool
}

// WithErrorHandler makes h answer a request whose session could not be
// saved, in place of the handler's response (whose headers have not left
// yet): err wraps ErrUpdate when the session was deleted during the
// request (Django answers 400, SessionInterrupted), ErrUnreadable when it
// holds data this service must not write over, ErrBackend when the store
// failed. h writes the whole response to w. The default logs err through
// Settings.Logger and answers Django's plain-text 400 or 500.
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) MiddlewareOption {
	return func(c *middlewareConfig) {
		if h != nil {
			c.onError = h
		}
	}
}

// WithSkip exempts the requests for which skip returns true: they get no
// session (FromRequest returns nil) and their responses are not touched.
func WithSkip(skip func(r *http.Request) bool) MiddlewareOption {
	return func(c *middlewareConfig) { c.skip = skip }
}

// responseWriter is the session middleware's state for one response.
type responseWriter struct {
	w          http.ResponseWriter
	r          *http.Request
	sess       *Session
	settings   *Settings
	cookieSent bool
	ctx        context.Context
	onError    func(http.ResponseWriter, *http.Request, error)
}

func (w *responseWriter) Header() http.Header { return w.w.Header() }

// commit is SessionMiddleware.process_response for a response of status;
// it reports whether it answered instead of the handler.
func (w *responseWriter) commit(status int) bool {
	if err := w.process(status); err != nil {
		w.w.Header().Del("Set-Cookie")
		w.onError(w.w, w.r, err)
		return true
	}
	return false
}

func (w *responseWriter) process(status int) error {
	s, st := w.sess, w.settings
	accessed, modified, empty := s.Accessed(), s.Modified(), s.IsEmpty()
	s.mu.Lock()
	missing := s.missing
	s.mu.Unlock()
	h := w.Header()
	vary := false
	switch {
	case w.cookieSent && empty && missing && !modified && !st.DiscardUnreadable:
		// Django deletes the cookie of a session it did not find. A
		// setting that differs from Django's (KEY_PREFIX, the Redis db,
		// USE_TZ) makes every session look missing, so the cookie is
		// left; a value that cannot be a key, or a session the request
		// emptied itself (Flush, Clear), is deleted as Django does.
		vary = accessed
		st.Log().Debug("session not found; its cookie is left as it is (when every session is missing, a setting differs from Django's)",
			"logger", "djsession", "setting", "SECRET_KEY, KEY_PREFIX, VERSION, the cache LOCATION (Redis db), USE_TZ, TIME_ZONE")
	case w.cookieSent && empty:
		h.Add("Set-Cookie", djhttp.DeleteCookieHeader(st.SessionCookieName, djhttp.CookieOptions{
			Path: st.SessionCookiePath, Domain: st.SessionCookieDomain, SameSite: st.SessionCookieSameSite,
		}))
		vary = true
	case !modified && s.Err() != nil:
		// SESSION_SAVE_EVERY_REQUEST over a session that failed to load:
		// nothing to write that was not there, and nothing may be
		// written over it (the load already logged why).
		vary = accessed
	default:
		vary = accessed
		if (modified || st.SessionSaveEveryRequest) && !empty {
			o := djhttp.CookieOptions{
				Domain: st.SessionCookieDomain, Path: st.SessionCookiePath, Secure: st.SessionCookieSecure,
				HTTPOnly: st.SessionCookieHTTPOnly, SameSite: st.SessionCookieSameSite,
			}
			if !s.ExpireAtBrowserClose() {
				age, err := s.ExpiryAge()
				if err != nil {
					return err
				}
				o.SetMaxAge(age, st.Now())
			}
			skip := status >= 500
			if st.Version() == Django32 {
				skip = status == 500
			}
			if !skip {
				if err := s.Save(w.ctx); err != nil {
					return err
				}
				h.Add("Set-Cookie", djhttp.SetCookieHeader(st.SessionCookieName, s.Key(), o))
				if st.Version().AtLeast(5, 2) {
					vary = true
				}
			}
		}
	}
	if vary {
		djhttp.PatchVaryHeaders(h, "Cookie")
	}
	return nil
}

// defaultErrorHandler answers in place of the handler: 400 for a session
// deleted during the request (Django's SessionInterrupted), 500 for
// anything else, logged through the settings' logger.
func defaultErrorHandler(settings *Settings) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, _ *http.Request, err error) {
		logger := settings.Log()
		status, body := http.StatusInternalServerError, "Internal Server Error"
		if errors.Is(err, ErrUpdate) {
			status, body = http.StatusBadRequest, sessionInterruptedMessage
			logger.Warn(sessionInterruptedMessage, "logger", "django.security.SessionInterrupted")
		} else {
			logger.Error("saving the session failed", "err", err)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body + "\n"))
	}
}
