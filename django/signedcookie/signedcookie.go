// Package signedcookie is Django's signed cookies outside the session:
// request.get_signed_cookie, response.set_signed_cookie and
// signing.get_cookie_signer, under a django.Settings, with the salt change
// of CVE-2026-6873 (5.2.15, 6.0.6) and its fallback setting.
package signedcookie

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/djhttp"
	"github.com/djsession/djsession/signing"
)

// CookieSigner is Django's signing.get_cookie_signer(salt) under these
// settings: a TimestampSigner keyed with "django.http.cookies"+SECRET_KEY
// (and every SECRET_KEY_FALLBACKS entry transformed the same way, 4.1+),
// with the settings' clock. For Django 3.2 it also uses
// DEFAULT_HASHING_ALGORITHM and accepts sha1 signatures, as 3.2 does.
// contrib.messages uses salt "django.contrib.messages".
func CookieSigner(s *django.Settings, salt string) (*signing.TimestampSigner, error) {
	if s.SecretKey == "" {
		return nil, fmt.Errorf("%w: the SECRET_KEY setting must not be empty", django.ErrImproperlyConfigured)
	}
	return signing.NewCookieSigner(s.SignerOptions(salt))
}

// Options are the arguments of Django's set_signed_cookie and
// get_signed_cookie beyond the cookie's name and value, and the two knobs
// of the CVE-2026-6873 salt change.
type Options struct {
	// Salt is the salt= argument (default "").
	Salt string

	// MaxAge is get_signed_cookie's max_age=: a cookie signed longer ago
	// is refused with signing.ErrSignatureExpired. Nil is None (any age).
	// Set ignores it (the cookie's own Max-Age is in Cookie).
	MaxAge *time.Duration

	// LegacySaltFallback is SIGNED_COOKIE_LEGACY_SALT_FALLBACK: whether a
	// cookie signed with the pre-5.2.15 salt (name+salt) is still read
	// when the v2 salt fails (not when it only expired). Nil means the
	// version's default: true for 5.2, false for 6.1. Ignored by 3.2 and
	// 4.2, which only know the legacy salt.
	LegacySaltFallback *bool

	// LegacySalt makes 5.2 and 6.1 behave as the releases before the
	// CVE-2026-6873 fix (5.2.0–5.2.14, 6.0.0–6.0.5): sign and read with
	// the legacy salt only. Settings.DjangoVersion names a series, and a
	// series means its newest release; set this for a site on an older
	// patch release.
	LegacySalt bool

	// Cookie holds set_cookie's arguments for Set (Path "" becomes "/";
	// a MaxAge without Expires dates expires= by the settings' clock).
	Cookie djhttp.CookieOptions
}

// v2 reports whether the settings' version signs cookies with the v2 salt.
func (o *Options) v2(s *django.Settings) bool {
	return s.Version().AtLeast(5, 2) && !o.LegacySalt
}

// legacyFallback is SIGNED_COOKIE_LEGACY_SALT_FALLBACK for the version.
func (o *Options) legacyFallback(s *django.Settings) bool {
	if o.LegacySaltFallback != nil {
		return *o.LegacySaltFallback
	}
	return !s.Version().AtLeast(6, 1)
}

// Sign returns the value that set_signed_cookie(name, value,
// salt=o.Salt) puts in the cookie: value:timestamp:signature, signed by
// get_cookie_signer with the salt of the settings' version (see
// signing.SignedCookieSalt and signing.LegacySignedCookieSalt).
func Sign(s *django.Settings, name, value string, o Options) (string, error) {
	salt := signing.LegacySignedCookieSalt(name, o.Salt)
	if o.v2(s) {
		salt = signing.SignedCookieSalt(name, o.Salt)
	}
	signer, err := CookieSigner(s, salt)
	if err != nil {
		return "", err
	}
	return signer.Sign(value), nil
}

// Unsign checks a signed cookie's value as get_signed_cookie
// does and returns the original value. A value that fails is
// signing.ErrBadSignature (signing.ErrSignatureExpired when only too old);
// Django raises BadSignature there, or returns default= when given.
func Unsign(s *django.Settings, name, signed string, o Options) (string, error) {
	unsign := func(salt string) (string, error) {
		signer, err := CookieSigner(s, salt)
		if err != nil {
			return "", err
		}
		if o.MaxAge != nil {
			return signer.UnsignMaxAge(signed, *o.MaxAge)
		}
		return signer.Unsign(signed)
	}
	legacy := signing.LegacySignedCookieSalt(name, o.Salt)
	if !o.v2(s) {
		return unsign(legacy)
	}
	v, err := unsign(signing.SignedCookieSalt(name, o.Salt))
	if err != nil && errors.Is(err, signing.ErrBadSignature) &&
		!errors.Is(err, signing.ErrSignatureExpired) && o.legacyFallback(s) {
		return unsign(legacy)
	}
	return v, err
}

// Get is Django's request.get_signed_cookie(name, salt=,
// max_age=): the cookie name of r (read as Django reads cookies, see
// djhttp.RequestCookies) checked with Unsign. A missing cookie is
// http.ErrNoCookie (Django's KeyError); a bad or expired signature matches
// signing.ErrBadSignature. Callers that want Django's default= argument
// use it on any error.
func Get(r *http.Request, s *django.Settings, name string, o Options) (string, error) {
	v, ok := djhttp.RequestCookies(r)[name]
	if !ok {
		return "", http.ErrNoCookie
	}
	return Unsign(s, name, v, o)
}

// Set is Django's response.set_signed_cookie(name, value,
// salt=, **kwargs): it adds a Set-Cookie header carrying
// Sign's result, rendered as Django renders it, with o.Cookie
// as set_cookie's arguments. The only error is a settings mistake (no
// SECRET_KEY).
func Set(w http.ResponseWriter, s *django.Settings, name, value string, o Options) error {
	v, err := Sign(s, name, value, o)
	if err != nil {
		return err
	}
	c := o.Cookie
	if c.Path == "" {
		c.Path = "/"
	}
	if c.MaxAge != nil && c.Expires == "" {
		c.SetMaxAge(*c.MaxAge, s.Now())
	}
	w.Header().Add("Set-Cookie", djhttp.SetCookieHeader(name, v, c))
	return nil
}
