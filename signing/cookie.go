package signing

import (
	"strconv"
	"unicode/utf8"
)

// CookieSignerKey is the key Django's get_cookie_signer signs with:
// "django.http.cookies" followed by the secret. Signed cookies
// (HttpResponse.set_signed_cookie) and contrib.messages use it, so that a
// cookie signature can never be mistaken for any other signature made with
// SECRET_KEY. Sessions do not use it.
func CookieSignerKey(secret string) string { return "django.http.cookies" + secret }

// NewCookieSigner is Django's get_cookie_signer(salt): a TimestampSigner
// whose Key and every FallbackKeys entry go through CookieSignerKey, and
// whose Salt defaults to "django.core.signing.get_cookie_signer".
func NewCookieSigner(o Options) (*TimestampSigner, error) {
	if o.Key == "" {
		return nil, errorf(ErrNoKey, "Options.Key is empty")
	}
	o.Key = CookieSignerKey(o.Key)
	fb := make([]string, len(o.FallbackKeys))
	for i, k := range o.FallbackKeys {
		fb[i] = CookieSignerKey(k)
	}
	o.FallbackKeys = fb
	t := new(TimestampSigner)
	if err := t.s.init(o, "django.core.signing.get_cookie_signer"); err != nil {
		return nil, err
	}
	return t, nil
}

// SignedCookieSalt is the salt get_signed_cookie and set_signed_cookie pass
// to get_cookie_signer in Django 5.2.15+, 6.0.6+ and 6.1 (CVE-2026-6873):
// "django.http.cookies.v2:" + len(salt) + ":" + salt + name, the length in
// Unicode code points. It makes the split between salt and cookie name
// unambiguous.
func SignedCookieSalt(name, salt string) string {
	return "django.http.cookies.v2:" + strconv.Itoa(utf8.RuneCountInString(salt)) + ":" + salt + name
}

// LegacySignedCookieSalt is the salt of signed cookies before those versions
// (3.2, 4.2, 5.2.0–5.2.14, 6.0.0–6.0.5): the cookie name followed by the
// salt. Django 5.2.15+ still accepts it when reading unless
// SIGNED_COOKIE_LEGACY_SALT_FALLBACK is false (the 6.1 default).
func LegacySignedCookieSalt(name, salt string) string { return name + salt }
