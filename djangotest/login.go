// Package djangotest is for the tests of Go handlers that share sessions
// with a Django site, the way net/http/httptest is for handlers: it mints a
// session exactly as Django's login() leaves it, so a test request arrives
// logged in without a Django process, and it loads the project's own
// `manage.py dumpdata` fixtures.
//
//	cookie, err := djangotest.Login(ctx, store, user)
//	req := httptest.NewRequest("GET", "/account", nil)
//	req.AddCookie(cookie)
//
// The session is made by the library's own code, not a copy of it: a
// login request runs through django.Middleware and csrf.Middleware, and
// the handler calls auth.Auth.LoginRequest, as a Go login view would. The
// store holds what Django's login() writes (_auth_user_id,
// _auth_user_backend, _auth_user_hash in that order, then _csrftoken when
// CSRF_USE_SESSIONS is on), and the cookie carries the attributes Django's
// SessionMiddleware sets.
package djangotest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/django/csrf"
)

// ErrLogin wraps every failure to mint a logged-in session; the cause
// (the store's error, a refused CSRF setting) is wrapped beside it.
var ErrLogin = errors.New("djangotest: login failed")

// Options are what a login needs beyond the settings. The CSRF_* settings
// are the settings' own (django.Settings.CSRFUseSessions and the rest), so
// one frozen clock and random source drive the session and CSRF alike.
type Options struct {
	// Backend is the _auth_user_backend value (default auth.ModelBackend).
	Backend string
}

// LoggedIn is what the login response left for the browser.
type LoggedIn struct {
	// Session is the SESSION_COOKIE_NAME cookie: a session key, or with
	// the signed_cookies engine the signed session itself.
	Session *http.Cookie
	// CSRF is the CSRF_COOKIE_NAME cookie rotate_token sent; nil with
	// CSRF_USE_SESSIONS, where the secret is in the session instead.
	CSRF *http.Cookie
	// CSRFToken is a masked token for that secret, for the X-CSRFToken
	// header or the csrfmiddlewaretoken field of an unsafe request.
	CSRFToken string

	csrfHeader string
}

// AddTo adds the session cookie, the CSRF cookie (if any) and the CSRF
// token header (CSRF_HEADER_NAME) to r, so that r arrives logged in and
// passes csrf.Middleware even as a POST.
func (l *LoggedIn) AddTo(r *http.Request) {
	r.AddCookie(l.Session)
	if l.CSRF != nil {
		r.AddCookie(l.CSRF)
	}
	if l.CSRFToken != "" && l.csrfHeader != "" {
		r.Header.Set(l.csrfHeader, l.CSRFToken)
	}
}

// Login stores a session for user in store as Django's login() leaves it
// and returns its cookie. The session auth hash is computed from
// user.Password under the store's settings (SECRET_KEY, and 3.2's
// DEFAULT_HASHING_ALGORITHM), as auth does.
func Login(ctx context.Context, store django.Store, user *auth.User) (*http.Cookie, error) {
	l, err := LoginWith(ctx, store, user, Options{})
	if err != nil {
		return nil, err
	}
	return l.Session, nil
}

// AddLogin mints a session for user as Login does, under r's context, and
// adds what the login response set to r (see LoggedIn.AddTo).
func AddLogin(r *http.Request, store django.Store, user *auth.User) error {
	l, err := LoginWith(r.Context(), store, user, Options{})
	if err != nil {
		return err
	}
	l.AddTo(r)
	return nil
}

// LoginWith is Login with Options, and returns every cookie the login
// response set and a CSRF token.
func LoginWith(ctx context.Context, store django.Store, user *auth.User, o Options) (*LoggedIn, error) {
	settings := *store.Settings()
	if user == nil {
		return nil, fmt.Errorf("%w: no user", ErrLogin)
	}
	backend := o.Backend
	if backend == "" {
		backend = auth.ModelBackend
	}
	// The CSRF middleware answers a failure with a 500 and logs the error:
	// its logger keeps it; the session middleware's error handler hands
	// it over. Either way the caller gets the error itself.
	failure := &firstError{next: settings.Log().Handler(), mu: new(sync.Mutex), first: new(error)}
	settings.Logger = slog.New(failure)
	keep := django.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
		failure.keep(err)
		http.Error(w, "login failed", http.StatusInternalServerError)
	})

	a := &auth.Auth{Backends: []string{backend}}
	var (
		viewErr error
		token   string
	)
	view := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if viewErr = a.LoginRequest(r, user, backend); viewErr != nil {
			http.Error(w, "login failed", http.StatusInternalServerError)
			return
		}
		token, viewErr = csrf.GetToken(r)
		if viewErr != nil {
			http.Error(w, "login failed", http.StatusInternalServerError)
		}
	})
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	django.Middleware(store, keep)(csrf.Middleware(settings)(view)).ServeHTTP(rec, req)
	if viewErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrLogin, viewErr)
	}
	if rec.Code != http.StatusOK {
		if err := failure.err(); err != nil {
			return nil, fmt.Errorf("%w: the login response was %d: %w", ErrLogin, rec.Code, err)
		}
		return nil, fmt.Errorf("%w: the login response was %d: %s", ErrLogin, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	l := &LoggedIn{CSRFToken: token, csrfHeader: headerName(settings.CSRFHeaderName)}
	for _, line := range rec.Result().Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			return nil, fmt.Errorf("%w: Set-Cookie %q: %w", ErrLogin, line, err)
		}
		switch c.Name {
		case settings.SessionCookieName:
			l.Session = c
		case settings.CSRFCookieName:
			if !settings.CSRFUseSessions {
				l.CSRF = c
			}
		}
	}
	if l.Session == nil {
		return nil, fmt.Errorf("%w: the login response set no %s cookie", ErrLogin, settings.SessionCookieName)
	}
	return l, nil
}

// headerName turns request.META's "HTTP_X_CSRFTOKEN" into "X-Csrftoken".
func headerName(meta string) string {
	name, ok := strings.CutPrefix(meta, "HTTP_")
	if !ok {
		return ""
	}
	return http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
}

// firstError is a slog.Handler that passes records on and keeps the first
// error attached to an Error record.
type firstError struct {
	next  slog.Handler
	mu    *sync.Mutex
	first *error
}

func (h *firstError) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return *h.first
}

func (h *firstError) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

// keep records e unless an error was kept already.
func (h *firstError) keep(e error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if *h.first == nil {
		*h.first = e
	}
}

func (h *firstError) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		r.Attrs(func(a slog.Attr) bool {
			if e, ok := a.Value.Any().(error); ok {
				h.keep(e)
				return false
			}
			return true
		})
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *firstError) WithAttrs(as []slog.Attr) slog.Handler {
	return &firstError{next: h.next.WithAttrs(as), mu: h.mu, first: h.first}
}

func (h *firstError) WithGroup(name string) slog.Handler {
	return &firstError{next: h.next.WithGroup(name), mu: h.mu, first: h.first}
}
