package django

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/djsession/djsession/signing"
)

// This file holds what Django's HttpResponse.set_cookie, delete_cookie,
// set_signed_cookie and HttpRequest.get_signed_cookie do, and
// get_cookie_signer, for the packages that write cookies besides the
// session (django/csrf, django/messages) and for a Go handler's own signed
// cookies.

// CookieSigner is Django's signing.get_cookie_signer(salt) under these
// settings: a TimestampSigner keyed with "django.http.cookies"+SECRET_KEY
// (and every SECRET_KEY_FALLBACKS entry transformed the same way, 4.1+),
// with the settings' clock. For Django 3.2 it also uses
// DEFAULT_HASHING_ALGORITHM and accepts sha1 signatures, as 3.2 does.
// contrib.messages uses salt "django.contrib.messages".
func CookieSigner(s *Settings, salt string) (*signing.TimestampSigner, error) {
	if s.SecretKey == "" {
		return nil, fmt.Errorf("%w: the SECRET_KEY setting must not be empty", ErrImproperlyConfigured)
	}
	o := signing.Options{
		Key:          s.SecretKey,
		FallbackKeys: s.fallbackKeys(),
		Salt:         salt,
		Algorithm:    signing.Algorithm(s.hashingAlgorithm()),
		LegacySHA1:   s.Version() == Django32,
		Now:          s.Now,
	}
	return signing.NewCookieSigner(o)
}

// SignedCookieOptions are the arguments of Django's set_signed_cookie and
// get_signed_cookie beyond the cookie's name and value, and the two knobs
// of the CVE-2026-6873 salt change.
type SignedCookieOptions struct {
	// Salt is the salt= argument (default "").
	Salt string

	// MaxAge is get_signed_cookie's max_age=: a cookie signed longer ago
	// is refused with signing.ErrSignatureExpired. Nil is None (any age).
	// SetSignedCookie ignores it (the cookie's own Max-Age is in Cookie).
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

	// Cookie holds set_cookie's arguments for SetSignedCookie (Path ""
	// becomes "/", Now zero becomes the settings' clock).
	Cookie CookieOptions
}

// v2 reports whether the settings' version signs cookies with the v2 salt.
func (o *SignedCookieOptions) v2(s *Settings) bool {
	return s.Version().AtLeast(5, 2) && !o.LegacySalt
}

// legacyFallback is SIGNED_COOKIE_LEGACY_SALT_FALLBACK for the version.
func (o *SignedCookieOptions) legacyFallback(s *Settings) bool {
	if o.LegacySaltFallback != nil {
		return *o.LegacySaltFallback
	}
	return !s.Version().AtLeast(6, 1)
}

// SignCookieValue returns the value that set_signed_cookie(name, value,
// salt=o.Salt) puts in the cookie: value:timestamp:signature, signed by
// get_cookie_signer with the salt of the settings' version (see
// signing.SignedCookieSalt and signing.LegacySignedCookieSalt).
func SignCookieValue(s *Settings, name, value string, o SignedCookieOptions) (string, error) {
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

// UnsignCookieValue checks a signed cookie's value as get_signed_cookie
// does and returns the original value. A value that fails is
// signing.ErrBadSignature (signing.ErrSignatureExpired when only too old);
// Django raises BadSignature there, or returns default= when given.
func UnsignCookieValue(s *Settings, name, signed string, o SignedCookieOptions) (string, error) {
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

// GetSignedCookie is Django's request.get_signed_cookie(name, salt=,
// max_age=): the cookie name of r (read as Django reads cookies, see
// RequestCookies) checked with UnsignCookieValue. A missing cookie is
// http.ErrNoCookie (Django's KeyError); a bad or expired signature matches
// signing.ErrBadSignature. Callers that want Django's default= argument
// use it on any error.
func GetSignedCookie(r *http.Request, s *Settings, name string, o SignedCookieOptions) (string, error) {
	v, ok := RequestCookies(r)[name]
	if !ok {
		return "", http.ErrNoCookie
	}
	return UnsignCookieValue(s, name, v, o)
}

// SetSignedCookie is Django's response.set_signed_cookie(name, value,
// salt=, **kwargs): it adds a Set-Cookie header carrying
// SignCookieValue's result, rendered as Django renders it, with o.Cookie
// as set_cookie's arguments. The only error is a settings mistake (no
// SECRET_KEY).
func SetSignedCookie(w http.ResponseWriter, s *Settings, name, value string, o SignedCookieOptions) error {
	v, err := SignCookieValue(s, name, value, o)
	if err != nil {
		return err
	}
	c := o.Cookie
	if c.Path == "" {
		c.Path = "/"
	}
	if c.Now.IsZero() {
		c.Now = s.Now()
	}
	w.Header().Add("Set-Cookie", SetCookieHeader(name, v, c))
	return nil
}
