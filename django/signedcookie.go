package django

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/djsession/djsession/signing"
)

// This file holds what Django's HttpResponse.set_cookie, delete_cookie,
// set_signed_cookie and HttpRequest.get_signed_cookie do, and
// get_cookie_signer, for the packages that write cookies besides the
// session (django/csrf, django/messages) and for a Go handler's own signed
// cookies.

// CookieOptions are the keyword arguments of Django's
// HttpResponse.set_cookie. The zero value is set_cookie's defaults except
// Path: an empty Path writes no Path attribute, so pass "/" as Django's
// default does (SetSignedCookie fills it in).
type CookieOptions struct {
	// MaxAge is max_age in seconds; nil is None (no Max-Age). When set
	// and Expires is empty, expires is Now+MaxAge, as Django computes it.
	MaxAge *int64
	// Expires is an expires= string written verbatim (see HTTPDate); ""
	// is None.
	Expires string
	// Now is the time expires is computed from when only MaxAge is given
	// (zero: time.Now()).
	Now time.Time
	// Domain is domain= ("" is None).
	Domain string
	// Path is path= (Django's default "/").
	Path string
	// Secure and HTTPOnly write the Secure and HttpOnly flags.
	Secure, HTTPOnly bool
	// SameSite is samesite= written verbatim ("Lax", "Strict", "None");
	// "" is None: no attribute.
	SameSite string
}

// HTTPDate is django.utils.http.http_date: RFC 1123 in GMT, seconds
// truncated, the format of a cookie's expires attribute.
func HTTPDate(t time.Time) string { return httpDate(t) }

// SetCookieHeader renders the Set-Cookie header value that Django's
// set_cookie(name, value, ...) produces: the value quoted as Python's
// http.cookies does when it holds characters outside the cookie-safe set
// ("" is written as ""), attributes in Morsel's order and spelling
// (Domain, expires, HttpOnly, Max-Age, Path, SameSite, Secure). Go's
// http.Cookie writes another order and spelling.
func SetCookieHeader(name, value string, o CookieOptions) string {
	c := setCookie{
		name: name, value: value, domain: o.Domain, path: o.Path,
		expires: o.Expires, maxAge: o.MaxAge, httpOnly: o.HTTPOnly,
		secure: o.Secure, sameSite: o.SameSite,
	}
	if o.MaxAge != nil && o.Expires == "" {
		now := o.Now
		if now.IsZero() {
			now = time.Now()
		}
		c.expires = httpDate(now.Add(time.Duration(*o.MaxAge) * time.Second))
	}
	return c.String()
}

// DeleteCookieHeader renders Django's delete_cookie(name, path, domain,
// samesite): an empty value, Max-Age=0, expires at the epoch, no HttpOnly,
// and Secure only where browsers demand it (a __Secure- or __Host- name,
// or SameSite=None). Only Path, Domain and SameSite of o are used; an
// empty Path is Django's default "/".
func DeleteCookieHeader(name string, o CookieOptions) string {
	zero := int64(0)
	path := o.Path
	if path == "" {
		path = "/"
	}
	return setCookie{
		name: name, path: path, domain: o.Domain,
		expires: "Thu, 01 Jan 1970 00:00:00 GMT", maxAge: &zero, sameSite: o.SameSite,
		secure: strings.HasPrefix(name, "__Secure-") || strings.HasPrefix(name, "__Host-") ||
			strings.EqualFold(o.SameSite, "none"),
	}.String()
}

// RequestCookies returns a request's cookies as Django's request.COOKIES
// sees them (ParseCookie over every Cookie header; a repeated name keeps
// its last value).
func RequestCookies(r *http.Request) map[string]string {
	return ParseCookie(strings.Join(r.Header.Values("Cookie"), "; "))
}

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
