// Package signedcookies is Django's
// django.contrib.sessions.backends.signed_cookies: the session is the
// cookie. Its value is signing.dumps of the session dict (salt
// "django.contrib.sessions.backends.signed_cookies", compressed when that
// helps), so the server stores nothing, and the "session key" Django passes
// around is the cookie value itself.
//
// As in Django, a session read from a cookie is valid for
// SESSION_COOKIE_AGE from its signing time whatever set_expiry said
// (Django ticket #19201); a stolen cookie stays valid that long, since
// there is no server-side state to delete.
package signedcookies

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// MaxCookieSize is the size browsers keep at most for one cookie, name and
// value together: beyond it they drop the cookie silently, which looks like
// a logout.
const MaxCookieSize = 4096

// ErrCookieTooLarge means the session does not fit in a cookie that
// browsers keep. Django does not check; the cookie would be dropped.
var ErrCookieTooLarge = errors.New("signedcookies: session cookie larger than browsers keep")

// Store is the signed_cookies engine. It implements django.Store so that
// code written for any engine works with it: Load verifies a cookie value,
// Save, Delete and ClearExpired store nothing, and Exists is always false,
// as in Django. The cookie to send is CookieValue(session).
type Store struct {
	settings django.Settings
	codec    *django.Codec
	name     string
	limit    int
	warn     bool
	logger   *slog.Logger
}

var _ django.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithSizeLimit sets the largest cookie (name=value) CookieValue returns
// (default MaxCookieSize; 0 or less: no limit).
func WithSizeLimit(n int) Option { return func(s *Store) { s.limit = n } }

// WithWarnOnly makes an oversized cookie a logged warning instead of
// ErrCookieTooLarge, as Django (which does not check at all) would send it.
func WithWarnOnly() Option { return func(s *Store) { s.warn = true } }

// New returns the signed_cookies store for settings (whatever their
// SessionEngine says).
func New(settings django.Settings, opts ...Option) (*Store, error) {
	settings.SessionEngine = django.EngineSignedCookies
	codec, err := django.NewCodec(settings)
	if err != nil {
		return nil, err
	}
	s := &Store{settings: settings, codec: codec, name: settings.SessionCookieName, limit: MaxCookieSize, logger: settings.Log()}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Load returns the session held in the cookie value key. A value that
// does not verify, does not decode, or is older than SESSION_COOKIE_AGE is
// ErrNotFound with an empty session, wrapping the reason: Django starts a
// new session for it.
func (s *Store) Load(ctx context.Context, key string) (*pyjson.Dict, error) {
	if !django.ValidSessionKey(key) {
		return pyjson.NewDict(0), django.ErrNotFound
	}
	d, err := s.codec.Decode(key)
	if err != nil {
		return pyjson.NewDict(0), fmt.Errorf("%w: %w", django.ErrNotFound, err)
	}
	return d, nil
}

// CookieValue returns the cookie value that holds session, signed now.
func (s *Store) CookieValue(session *pyjson.Dict) (string, error) {
	v, err := s.codec.Encode(session)
	if err != nil {
		return "", err
	}
	if size := len(s.name) + 1 + len(v); s.limit > 0 && size > s.limit {
		if !s.warn {
			return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrCookieTooLarge, size, s.limit)
		}
		s.logger.Warn("session cookie larger than browsers keep", "bytes", size, "limit", s.limit)
	}
	return v, nil
}

// Save stores nothing: the cookie is the storage. Use CookieValue.
func (s *Store) Save(ctx context.Context, key string, session *pyjson.Dict, create bool) error {
	return nil
}

// Delete does nothing: a cookie session ends when the cookie is deleted.
func (s *Store) Delete(ctx context.Context, key string) error { return nil }

// Exists is always false, as in Django.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) { return false, nil }

// ClearExpired does nothing: nothing is stored.
func (s *Store) ClearExpired(ctx context.Context) error { return nil }

// Settings returns the settings the store was made with (django.Store).
func (s *Store) Settings() *django.Settings { return &s.settings }
