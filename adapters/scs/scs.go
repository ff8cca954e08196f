// Package djscs lets an scs application read and write Django's sessions
// with scs's API: a Store (scs.Store and scs.CtxStore) over any
// django.Store, and the Codec paired with it.
//
//	sm := djscs.New(dbStore) // an *scs.SessionManager set up as Django's
//	mux.Handle("/", sm.LoadAndSave(handler))
//	// who is logged in: auth.Whois over the _auth_user_* values, which
//	// checks the session auth hash (Example_user); never _auth_user_id alone
//	sm.Put(r.Context(), "cart", []string{"42"})
//
// What maps:
//
//   - The token is the Django session key: the cookie Django sets is the
//     one scs reads (New names it SESSION_COOKIE_NAME).
//   - The data is the Django session dict. Values are checked and
//     converted as django.Session.Set does them, and read back in pyjson's
//     model: integers are int64 (use GetInt64, not GetInt), nested dicts
//     *pyjson.Dict, lists []any. Keys are written in sorted order (scs
//     hands the codec a Go map, which has none).
//   - The deadline is the session's expiry as Django computes it
//     (get_expiry_date: "_session_expiry", or SESSION_COOKIE_AGE from now),
//     so scs's cookie carries Django's lifetime. The expiry scs passes to
//     Commit is not written: Django computes expire_date at each save from
//     the dict and its settings.
//   - Destroy is Django's flush: the stored session is deleted, and scs
//     deletes the cookie.
//
// What does not map: scs draws new tokens itself (a first Commit,
// RenewToken): 43 characters of base64url. Django takes any key of 8
// characters or more, so the cache engines store them, but django_session
// holds 40 characters at most and the file engine [a-z0-9] only: there
// Commit of such a token fails, wrapping ErrTokenNotStorable. Log users in
// with Django or with django/auth under django.Middleware, and use scs to
// read, write and destroy the sessions they made. A Django-made key is
// only ever updated (a session deleted meanwhile, by a logout elsewhere,
// fails with django.ErrUpdate instead of coming back); a token scs drew is
// created when missing.
//
// Sessions this service cannot read (a setting unlike Django's) follow the
// rules of package django: Find returns the error, wrapping
// django.ErrUnreadable, so scs answers through its ErrorFunc and neither
// writes over the session nor replaces its cookie.
package djscs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/scs/v2"
	"github.com/djsession/djsession/backends/cacheddb"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// Errors this package reports; the stores' own errors (django.ErrUpdate,
// django.ErrBackend...) come wrapped as they are.
var (
	// ErrTokenNotStorable is returned by Commit for a token the
	// django.Store cannot hold as a session key (see the package doc).
	ErrTokenNotStorable = errors.New("djscs: token cannot be a session key in this store")
	// ErrBadData is returned by Decode and Commit for bytes that Find or
	// Encode did not make.
	ErrBadData = errors.New("djscs: not session data made by this package")
)

// Store is an scs store over a django.Store. Its bytes are those of the
// paired Codec (see Codec).
type Store struct {
	store    django.Store
	settings django.Settings
}

var (
	_ scs.Store    = (*Store)(nil)
	_ scs.CtxStore = (*Store)(nil)
	_ scs.Codec    = Codec{}
)

// NewStore returns a Store over store, which holds sessions as Django does
// with its settings (store.Settings()).
func NewStore(store django.Store) *Store {
	return &Store{store: store, settings: *store.Settings()}
}

// New returns an scs.SessionManager that reads and writes Django's
// sessions in store: the Store and Codec of this package, Lifetime
// SESSION_COOKIE_AGE, and the cookie as Django's SESSION_COOKIE_* settings
// make it (Persist false under SESSION_EXPIRE_AT_BROWSER_CLOSE).
func New(store django.Store) *scs.SessionManager {
	settings := store.Settings()
	sm := scs.New()
	sm.Store = NewStore(store)
	sm.Codec = Codec{}
	sm.Lifetime = time.Duration(settings.SessionCookieAge) * time.Second
	sm.Cookie.Name = settings.SessionCookieName
	sm.Cookie.Domain = settings.SessionCookieDomain
	sm.Cookie.Path = settings.SessionCookiePath
	sm.Cookie.Secure = settings.SessionCookieSecure
	sm.Cookie.HttpOnly = settings.SessionCookieHTTPOnly
	sm.Cookie.Persist = !settings.SessionExpireAtBrowserClose
	switch settings.SessionCookieSameSite {
	case "Lax":
		sm.Cookie.SameSite = http.SameSiteLaxMode
	case "Strict":
		sm.Cookie.SameSite = http.SameSiteStrictMode
	case "None":
		sm.Cookie.SameSite = http.SameSiteNoneMode
	default:
		sm.Cookie.SameSite = http.SameSiteDefaultMode
	}
	return sm
}

// Find is FindCtx with a background context.
func (s *Store) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx returns the session stored under token. A missing or expired
// session, or a token that cannot be a key, is not found with a nil
// error; a failed store, or data this service could not use, is an error.
func (s *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	ds := django.NewSession(ctx, s.store, token)
	if err := ds.Load(ctx); err != nil {
		return nil, false, fmt.Errorf("djscs: %w", err)
	}
	if ds.IsEmpty() {
		return nil, false, nil
	}
	deadline, err := ds.ExpiryDate()
	if err != nil {
		return nil, false, fmt.Errorf("djscs: %w", err)
	}
	b, err := encode(deadline, ds.Data())
	return b, err == nil, err
}

// Commit is CommitCtx with a background context.
func (s *Store) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx stores the session b (made by Codec.Encode) under token. The
// expiry is Django's to compute, from the dict and the settings.
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, _ time.Time) error {
	_, d, err := decode(b)
	if err != nil {
		return err
	}
	if !storable(s.store, token) {
		return fmt.Errorf("%w: %d characters", ErrTokenNotStorable, len(token))
	}
	err = s.store.Save(ctx, token, d, false)
	if errors.Is(err, django.ErrUpdate) && !djangoKey(token) {
		err = s.store.Save(ctx, token, d, true)
	}
	if err != nil {
		return fmt.Errorf("djscs: %w", err)
	}
	return nil
}

// storable reports whether store can hold token as a session key: Django
// takes any key of 8 characters or more, but django_session (db,
// cached_db) holds 40 characters at most, and the file engine [a-z0-9].
func storable(store django.Store, token string) bool {
	if !django.ValidSessionKey(token) {
		return false
	}
	switch store.(type) {
	case *db.Store, *cacheddb.Store:
		return utf8.RuneCountInString(token) <= db.MaxKeyLength
	case *file.Store:
		return django.ValidFileSessionKey(token)
	}
	return true
}

// Delete is DeleteCtx with a background context.
func (s *Store) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// DeleteCtx deletes the session stored under token (Django's flush). A
// missing session is not an error.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	if !django.ValidSessionKey(token) {
		return nil
	}
	if err := s.store.Delete(ctx, token); err != nil {
		return fmt.Errorf("djscs: %w", err)
	}
	return nil
}

// djangoKey reports whether token has the shape of the keys Django and
// this library draw (32 characters of [a-z0-9]), which scs never draws: such
// a session came from the store, so Commit only updates it.
func djangoKey(token string) bool {
	return len(token) == django.SessionKeyLength && django.ValidFileSessionKey(token)
}

// Codec is the scs.Codec paired with Store: its bytes carry the deadline
// and the Django session dict between them, and never leave the process.
type Codec struct{}

// Encode converts values to a Django session dict, each value converted by
// pyjson.ValueOf as django.Session.Set converts it under Django's JSON
// serializer (a refused value wraps django.ErrNotSerializable).
func (Codec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d := pyjson.NewDict(len(keys))
	for _, k := range keys {
		v, err := pyjson.ValueOf(values[k])
		if err != nil {
			return nil, fmt.Errorf("djscs: %q: %w: %w", k, django.ErrNotSerializable, err)
		}
		d.Set(k, v)
	}
	return encode(deadline, d)
}

// Decode returns the deadline and the session dict that Find read.
func (Codec) Decode(b []byte) (time.Time, map[string]any, error) {
	deadline, d, err := decode(b)
	if err != nil {
		return time.Time{}, nil, err
	}
	values := make(map[string]any, d.Len())
	for k, v := range d.All() {
		values[k] = v
	}
	return deadline, values, nil
}

// encode is the bytes between Store and Codec: the deadline (RFC 3339), a
// newline, the dict as JSON.
func encode(deadline time.Time, d *pyjson.Dict) ([]byte, error) {
	b := deadline.UTC().AppendFormat(nil, time.RFC3339Nano)
	b = append(b, '\n')
	b, err := pyjson.AppendMarshal(b, d)
	if err != nil {
		return nil, fmt.Errorf("djscs: %w", err)
	}
	return b, nil
}

func decode(b []byte) (time.Time, *pyjson.Dict, error) {
	head, body, ok := bytes.Cut(b, []byte{'\n'})
	if !ok {
		return time.Time{}, nil, ErrBadData
	}
	deadline, err := time.Parse(time.RFC3339Nano, string(head))
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("%w: %w", ErrBadData, err)
	}
	d, err := pyjson.UnmarshalDict(body)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("%w: %w", ErrBadData, err)
	}
	return deadline, d, nil
}
