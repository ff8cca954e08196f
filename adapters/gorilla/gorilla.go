// Package djgorilla is a gorilla/sessions Store whose sessions are
// Django's: a handler written against gorilla/sessions reads and writes
// the session Django's SessionMiddleware reads, under Django's cookie.
//
//	store := djgorilla.NewStore(dbStore) // any django.Store
//	sess, err := store.Get(r, settings.SessionCookieName)
//	// who is logged in: auth.Whois over the _auth_user_* values, which
//	// checks the session auth hash (Example_user); never _auth_user_id alone
//	sess.Values["cart"] = []string{"42"}
//	err = sess.Save(r, w)
//
// What maps:
//
//   - Session.Values is the Django session dict. Keys must be strings;
//     values are checked and converted as django.Session.Set does them, and
//     read back in pyjson's model (int64, float64, string, bool, nil, []any,
//     *pyjson.Dict). Keys keep their stored order; new keys are added in
//     sorted order (a Go map has none).
//   - Session.ID is the Django session key: "" until the first Save, which
//     draws one as Django does.
//   - Save writes through the django.Store and sets Django's cookie: the
//     name passed to Get, the lifetime Django gives the session
//     (SESSION_COOKIE_AGE, or what set_expiry stored in "_session_expiry";
//     none with SESSION_EXPIRE_AT_BROWSER_CLOSE), and Path, Domain, Secure,
//     HttpOnly and SameSite from Session.Options, whose defaults are
//     Django's SESSION_COOKIE_* settings. Saving an emptied session
//     deletes its cookie, as Django's middleware does.
//   - Options.MaxAge < 0 is logout: Save deletes the stored session
//     (Django's flush) and the cookie.
//
// What does not map:
//
//   - Options.MaxAge >= 0 does not set the lifetime: Django computes it at
//     each save from its own settings and "_session_expiry".
//   - Flashes (AddFlash, Flashes) are kept under the "_flash" key as a
//     list; Django's messages framework neither reads nor writes them.
//   - Non-string keys in Values are refused at Save (ErrKeyNotString).
//
// Sessions this service cannot read (a setting unlike Django's) follow the
// rules of package django: Get returns the error, wrapping
// django.ErrUnreadable, and Save refuses to write over them or to replace
// their cookie.
package djgorilla

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"weak"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/djhttp"
	"github.com/djsession/djsession/pyjson"
	"github.com/gorilla/sessions"
)

// ErrKeyNotString is returned by Save for a Values key that is not a
// string: Django's session dict has string keys only.
var ErrKeyNotString = errors.New("djgorilla: session key is not a string")

// Store is a sessions.Store over a django.Store.
type Store struct {
	// Options are the cookie options new sessions start with; NewStore
	// sets them from Django's SESSION_COOKIE_* settings.
	Options *sessions.Options

	store    django.Store
	settings django.Settings
	// read maps each session New made (weakly: gorilla's registry holds
	// it for the request) to what its load found, so Save knows what was
	// read and what could not be. gorilla's registry replaces a session's
	// Store with this one, so the link cannot live there; and it holds no
	// request context, which would keep the session alive.
	read sync.Map // weak.Pointer[sessions.Session] -> readState
}

// readState is what New found for a session.
type readState struct {
	err  error    // the load's error: Save refuses to write over it
	keys []string // the stored order of the keys
}

var _ sessions.Store = (*Store)(nil)

// NewStore returns a Store over store, which holds sessions as Django does
// with its settings (store.Settings()).
func NewStore(store django.Store) *Store {
	settings := store.Settings()
	o := &sessions.Options{
		Path: settings.SessionCookiePath, Domain: settings.SessionCookieDomain,
		Secure: settings.SessionCookieSecure, HttpOnly: settings.SessionCookieHTTPOnly,
		MaxAge: int(settings.SessionCookieAge),
	}
	switch settings.SessionCookieSameSite {
	case "Lax":
		o.SameSite = http.SameSiteLaxMode
	case "Strict":
		o.SameSite = http.SameSiteStrictMode
	case "None":
		o.SameSite = http.SameSiteNoneMode
	}
	return &Store{Options: o, store: store, settings: *settings}
}

// Get returns the session named name (the cookie name: pass
// settings.SessionCookieName), read once per request through gorilla's
// registry.
func (s *Store) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New reads the session of the request's name cookie. A missing cookie or
// session gives a new, empty session and no error; a store that failed, or
// data this service could not use, gives an empty session and the error.
func (s *Store) New(r *http.Request, name string) (*sessions.Session, error) {
	session := sessions.NewSession(s, name)
	opts := *s.Options
	session.Options = &opts
	session.IsNew = true
	key := djhttp.RequestCookies(r)[name]
	if key == "" {
		return session, nil
	}
	// django.Session's load gives Django's reactions (and the rules for
	// unreadable data); the session itself is not kept, since it holds
	// the request's context.
	ds := django.NewSession(r.Context(), s.store, key)
	err := ds.Load(r.Context())
	wp := weak.Make(session)
	s.read.Store(wp, readState{err: err, keys: ds.Keys()})
	runtime.AddCleanup(session, func(wp weak.Pointer[sessions.Session]) { s.read.Delete(wp) }, wp)
	if err != nil {
		session.ID = key
		return session, fmt.Errorf("djgorilla: %w", err)
	}
	for k, v := range ds.Items() {
		session.Values[k] = v
	}
	if !ds.IsEmpty() {
		session.ID, session.IsNew = ds.Key(), false
	}
	return session, nil
}

// Save writes session through the django.Store and sets (or, for
// Options.MaxAge < 0 and for an emptied session, deletes) Django's cookie.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, session *sessions.Session) error {
	ctx := r.Context()
	var read readState
	if v, ok := s.read.Load(weak.Make(session)); ok {
		read = v.(readState)
	}
	opts := s.Options
	if session.Options != nil {
		opts = session.Options
	}
	h := w.Header()
	name := session.Name()
	if opts.MaxAge < 0 {
		// Logout deletes even data it could not read: the key is the
		// user's own (django.Session.Flush).
		if session.ID != "" {
			if err := s.store.Delete(ctx, session.ID); err != nil {
				return fmt.Errorf("djgorilla: %w", err)
			}
		}
		s.deleteCookie(h, name, opts)
		session.ID = ""
		return nil
	}
	if read.err != nil {
		// Data this service could not use: neither written over nor
		// its cookie replaced (see package django).
		return fmt.Errorf("djgorilla: %w", read.err)
	}
	d, err := s.dict(ctx, session.Values, read.keys)
	if err != nil {
		return err
	}
	if d.Len() == 0 {
		if session.ID != "" {
			s.deleteCookie(h, name, opts)
		}
		return nil
	}
	if session.ID == "" {
		key, err := django.Create(ctx, s.store, d)
		if err != nil {
			return fmt.Errorf("djgorilla: %w", err)
		}
		session.ID = key
	} else if err := s.store.Save(ctx, session.ID, d, false); err != nil {
		return fmt.Errorf("djgorilla: %w", err)
	}
	session.IsNew = false
	o := djhttp.CookieOptions{
		Path: opts.Path, Domain: opts.Domain, Secure: opts.Secure, HTTPOnly: opts.HttpOnly, SameSite: sameSite(opts.SameSite),
	}
	if now := s.settings.Now(); !s.settings.ExpireAtBrowserClose(d) {
		age, err := s.settings.ExpiryAge(d, now)
		if err != nil {
			return fmt.Errorf("djgorilla: %w", err)
		}
		o.SetMaxAge(age, now)
	}
	h.Add("Set-Cookie", djhttp.SetCookieHeader(name, session.ID, o))
	djhttp.PatchVaryHeaders(h, "Cookie")
	return nil
}

// dict is values as a Django session dict: the stored keys in their
// order, then new keys sorted; each value checked and converted as
// django.Session.Set does.
func (s *Store) dict(ctx context.Context, values map[any]any, stored []string) (*pyjson.Dict, error) {
	keys := make([]string, 0, len(values))
	for k := range values {
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %T %v", ErrKeyNotString, k, k)
		}
		if !slices.Contains(stored, ks) {
			keys = append(keys, ks)
		}
	}
	slices.Sort(keys)
	// A session with no key never loads: Set only converts.
	conv := django.NewSession(ctx, s.store, "")
	for _, k := range slices.Concat(stored, keys) {
		v, ok := values[k]
		if !ok {
			continue
		}
		if err := conv.Set(k, v); err != nil {
			return nil, fmt.Errorf("djgorilla: %q: %w", k, err)
		}
	}
	return conv.Data(), nil
}

func (s *Store) deleteCookie(h http.Header, name string, opts *sessions.Options) {
	h.Add("Set-Cookie", djhttp.DeleteCookieHeader(name, djhttp.CookieOptions{
		Path: opts.Path, Domain: opts.Domain, SameSite: sameSite(opts.SameSite),
	}))
	djhttp.PatchVaryHeaders(h, "Cookie")
}

// sameSite writes http.SameSite as Django's samesite= value.
func sameSite(m http.SameSite) string {
	switch m {
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}
