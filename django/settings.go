package django

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Version is a Django release series whose behaviour djsession reproduces.
// Each stands for the newest patch release of its series.
type Version struct{ Major, Minor int }

// The supported Django series.
var (
	Django32 = Version{3, 2}
	Django42 = Version{4, 2}
	Django52 = Version{5, 2}
	Django61 = Version{6, 1}
)

// Versions lists the supported series, oldest first.
var Versions = []Version{Django32, Django42, Django52, Django61}

// LatestVersion is the series used when Settings.DjangoVersion is zero.
var LatestVersion = Django61

// ParseVersion reads "3.2", "4.2", "5.2" or "6.1".
func ParseVersion(s string) (Version, error) {
	for _, v := range Versions {
		if v.String() == s {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("%w: unsupported Django version %q (want 3.2, 4.2, 5.2 or 6.1)", ErrImproperlyConfigured, s)
}

// String returns the series as "4.2".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast reports whether v is the series major.minor or a later one.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// Names of SESSION_ENGINE and SESSION_SERIALIZER values that Django ships.
const (
	EngineDB            = "django.contrib.sessions.backends.db"
	EngineCache         = "django.contrib.sessions.backends.cache"
	EngineCachedDB      = "django.contrib.sessions.backends.cached_db"
	EngineFile          = "django.contrib.sessions.backends.file"
	EngineSignedCookies = "django.contrib.sessions.backends.signed_cookies"

	JSONSerializer   = "django.contrib.sessions.serializers.JSONSerializer"
	PickleSerializer = "django.contrib.sessions.serializers.PickleSerializer"
)

// EngineName maps the short names db, cache, cached_db, file and
// signed_cookies to Django's dotted SESSION_ENGINE paths; any other name is
// returned unchanged (a project's own engine module).
func EngineName(s string) string {
	switch s {
	case "db", "cache", "cached_db", "file", "signed_cookies":
		return "django.contrib.sessions.backends." + s
	}
	return s
}

// Settings are the Django settings that shape sessions, CSRF protection
// and messages, under their Django names: one value that every layer (the
// stores, the session middleware, auth, csrf, messages) reads. Build them
// with DefaultSettings, which fills in Django's defaults, then change what
// the Django project's settings.py changes.
type Settings struct {
	// SecretKey is SECRET_KEY. It signs every session; it is required.
	SecretKey string
	// SecretKeyFallbacks is SECRET_KEY_FALLBACKS (Django 4.1+): older keys
	// that still verify, tried in order. Ignored for Django 3.2.
	SecretKeyFallbacks []string
	// DefaultHashingAlgorithm is Django 3.2's DEFAULT_HASHING_ALGORITHM,
	// "sha256" (default) or "sha1". With "sha1" a 3.2 site signs with sha1
	// and writes session_data in the pre-3.1 format. Ignored after 3.2.
	DefaultHashingAlgorithm string

	// SessionEngine is SESSION_ENGINE (default EngineDB).
	SessionEngine string
	// SessionSerializer is SESSION_SERIALIZER (default JSONSerializer).
	// PickleSerializer (Django 3.2 and 4.2 only) also needs
	// AllowPickleSerializer.
	SessionSerializer string
	// AllowPickleSerializer is the explicit opt-in that PickleSerializer
	// requires. Not a Django setting: a guard. In Django, PickleSerializer
	// turns a leaked SECRET_KEY into remote code execution, since whoever
	// can sign session data makes Django unpickle it. djsession executes
	// nothing and decodes only a safe subset of pickle (package pickle),
	// but a site that still uses PickleSerializer stays exposed on its
	// Django side. It is never enabled by default and no request can
	// enable it. It applies to every engine, signed_cookies included (as
	// in Django, that cookie is signed with SECRET_KEY like any
	// session_data), and only on 3.2 and 4.2: 5.0 removed PickleSerializer.
	AllowPickleSerializer bool
	// SessionCookieName is SESSION_COOKIE_NAME (default "sessionid").
	SessionCookieName string
	// SessionCookieAge is SESSION_COOKIE_AGE in seconds (default 1209600,
	// two weeks).
	SessionCookieAge int64
	// SessionCookieDomain is SESSION_COOKIE_DOMAIN (default "", none).
	SessionCookieDomain string
	// SessionCookiePath is SESSION_COOKIE_PATH (default "/").
	SessionCookiePath string
	// SessionCookieSecure is SESSION_COOKIE_SECURE (default false).
	SessionCookieSecure bool
	// SessionCookieHTTPOnly is SESSION_COOKIE_HTTPONLY (default true).
	SessionCookieHTTPOnly bool
	// SessionCookieSameSite is SESSION_COOKIE_SAMESITE (default "Lax"; ""
	// is Python's None: no attribute).
	SessionCookieSameSite string
	// SessionSaveEveryRequest is SESSION_SAVE_EVERY_REQUEST (default false).
	SessionSaveEveryRequest bool
	// SessionExpireAtBrowserClose is SESSION_EXPIRE_AT_BROWSER_CLOSE
	// (default false).
	SessionExpireAtBrowserClose bool
	// SessionFilePath is SESSION_FILE_PATH ("" means the OS temp dir, as
	// Django's tempfile.gettempdir()).
	SessionFilePath string
	// SessionCacheAlias is SESSION_CACHE_ALIAS (default "default").
	SessionCacheAlias string

	// UseTZ is USE_TZ. Django 5.0+ defaults to true, and every startproject
	// settings file sets it; DefaultSettings sets true.
	UseTZ bool
	// TimeZone is TIME_ZONE (default "UTC"): the zone of the naive
	// datetimes Django uses when UseTZ is false.
	TimeZone string

	// CSRFCookieName is CSRF_COOKIE_NAME (default "csrftoken").
	CSRFCookieName string
	// CSRFCookieAge is CSRF_COOKIE_AGE in seconds (default 31449600, 52
	// weeks); 0 stands for None: a browser-session cookie.
	CSRFCookieAge int64
	// CSRFCookieDomain is CSRF_COOKIE_DOMAIN (default "", None). When set,
	// the Referer check accepts that domain (and its subdomains if it
	// starts with ".") instead of the exact host.
	CSRFCookieDomain string
	// CSRFCookiePath is CSRF_COOKIE_PATH (default "/").
	CSRFCookiePath string
	// CSRFCookieSecure is CSRF_COOKIE_SECURE (default false).
	CSRFCookieSecure bool
	// CSRFCookieHTTPOnly is CSRF_COOKIE_HTTPONLY (default false).
	CSRFCookieHTTPOnly bool
	// CSRFCookieSameSite is CSRF_COOKIE_SAMESITE (default "Lax"; "" is
	// Python's None: no attribute).
	CSRFCookieSameSite string
	// CSRFCookieMasked is CSRF_COOKIE_MASKED (Django 4.1 and 4.2 only,
	// default false): new cookies hold a masked token instead of the bare
	// secret. Ignored by the other versions, as they have no such setting.
	CSRFCookieMasked bool
	// CSRFHeaderName is CSRF_HEADER_NAME in Django's request.META form
	// (default "HTTP_X_CSRFTOKEN", the X-CSRFToken header).
	CSRFHeaderName string
	// CSRFTrustedOrigins is CSRF_TRUSTED_ORIGINS (default none). Django
	// 4.0+ wants origins with a scheme ("https://example.com",
	// "https://*.example.com" for every subdomain); Django 3.2 wants hosts
	// ("example.com", ".example.com").
	CSRFTrustedOrigins []string
	// CSRFUseSessions is CSRF_USE_SESSIONS (default false): the CSRF
	// secret lives in the session instead of a cookie, and
	// SessionCookieDomain replaces CSRFCookieDomain in the Referer check.
	// It needs the session middleware outside csrf.Middleware.
	CSRFUseSessions bool

	// AllowedHosts is ALLOWED_HOSTS, read where Django calls
	// request.get_host() (csrf's same-origin and Referer checks): a
	// request whose Host is not allowed gets no same-host match. Empty
	// (the default) allows every well-formed Host, as Django's ["*"] does;
	// Django's own empty list would allow none (or only localhost under
	// DEBUG).
	AllowedHosts []string
	// SecureProxySSLHeader is SECURE_PROXY_SSL_HEADER in request.META
	// form, such as {"HTTP_X_FORWARDED_PROTO", "https"}: a request is
	// secure when that header has that value. The zero value is None: a
	// request is secure when it arrived over TLS.
	SecureProxySSLHeader [2]string

	// MessageLevel is MESSAGE_LEVEL: package messages does not record a
	// message whose level is below it. DefaultSettings sets Django's
	// default, 20 (messages.LevelInfo), so Debug messages are dropped. As
	// with every integer setting here, the zero value is the setting's
	// value, not "the default": 0 records every level from 0 up, Debug
	// included, as MESSAGE_LEVEL = 0 does in Django.
	MessageLevel int
	// MessageTags is MESSAGE_TAGS: the CSS class of a message level, laid
	// over Django's defaults as get_level_tags() does, so it names only
	// what the project changes (say {40: "danger"} for Bootstrap). A level
	// mapped to "" has no tag. Nil (the default) keeps Django's tags.
	MessageTags map[int]string

	// DiscardUnreadable restores Django's own reactions to sessions this
	// service could not verify, where Django with the same settings could
	// not either: session_data signed with none of the keys or that does
	// not decode reads as {} and the next save writes over it; a
	// signed_cookies cookie that does not verify is replaced; the
	// middleware deletes the cookie of a session that was not found; the
	// auth package flushes a session whose auth hash does not match.
	// Not a Django setting. Off by default, because a setting that differs
	// from Django's (SECRET_KEY, SESSION_SERIALIZER, KEY_PREFIX, USE_TZ)
	// makes every session look like that, and acting on it would log users
	// out of Django and write over its data; with it off, such sessions
	// read as anonymous, Session.Err says which setting to look at, and
	// nothing is written over or deleted except by an explicit Flush.
	// Turn it on only in a service whose settings were checked against
	// Django's (the stores' Check).
	DiscardUnreadable bool

	// DjangoVersion picks the behaviour where Django versions differ; the
	// zero value means LatestVersion.
	DjangoVersion Version

	// Clock is the clock (default time.Now). Not a Django setting: tests
	// and reproducible tokens inject one.
	Clock func() time.Time
	// Rand is the source of session keys and of CSRF secrets and masks
	// (default crypto/rand.Reader).
	Rand io.Reader
	// Logger receives the warnings Django logs, such as "Session data
	// corrupted" on django.security.SuspiciousSession and "Forbidden
	// (reason): path" on django.security.csrf (default slog.Default()).
	Logger *slog.Logger
}

// DefaultSettings returns Django's defaults (global_settings.py, with
// USE_TZ=True as startproject writes it) and the given SECRET_KEY.
func DefaultSettings(secretKey string) Settings {
	return Settings{
		SecretKey:               secretKey,
		DefaultHashingAlgorithm: "sha256",
		SessionEngine:           EngineDB,
		SessionSerializer:       JSONSerializer,
		SessionCookieName:       "sessionid",
		SessionCookieAge:        1209600,
		SessionCookiePath:       "/",
		SessionCookieHTTPOnly:   true,
		SessionCookieSameSite:   "Lax",
		SessionCacheAlias:       "default",
		UseTZ:                   true,
		TimeZone:                "UTC",
		CSRFCookieName:          "csrftoken",
		CSRFCookieAge:           60 * 60 * 24 * 7 * 52,
		CSRFCookiePath:          "/",
		CSRFCookieSameSite:      "Lax",
		CSRFHeaderName:          "HTTP_X_CSRFTOKEN",
		MessageLevel:            20, // messages.INFO
	}
}

// Version returns DjangoVersion, or LatestVersion when it is unset.
func (s *Settings) Version() Version {
	if s.DjangoVersion == (Version{}) {
		return LatestVersion
	}
	return s.DjangoVersion
}

// Now returns the time of the injected Clock, or time.Now.
func (s *Settings) Now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// RandReader returns Settings.Rand, or crypto/rand.Reader: the random
// source every layer draws from.
func (s *Settings) RandReader() io.Reader { return randReader(s.Rand) }

// randReader is the source r stands for: nil means crypto/rand, for a
// function's argument as for Settings.Rand.
func randReader(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// Log returns Settings.Logger, or slog.Default(): the logger every layer uses.
func (s *Settings) Log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Location returns TIME_ZONE as a *time.Location: the zone of Django's
// naive datetimes when USE_TZ is off.
func (s *Settings) Location() (*time.Location, error) {
	if s.TimeZone == "" || s.TimeZone == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("%w: TIME_ZONE %q: %v", ErrImproperlyConfigured, s.TimeZone, err)
	}
	return loc, nil
}

// fallbackKeys returns the SECRET_KEY_FALLBACKS the configured version honours.
func (s *Settings) fallbackKeys() []string {
	if !s.Version().AtLeast(4, 1) {
		return nil
	}
	return s.SecretKeyFallbacks
}

// isSignedCookies reports whether the engine keeps the session in the cookie.
func (s *Settings) isSignedCookies() bool {
	return EngineName(s.SessionEngine) == EngineSignedCookies
}

// hashingAlgorithm is the algorithm Django's Signer uses by default.
func (s *Settings) hashingAlgorithm() string {
	if s.Version() == Django32 && strings.EqualFold(s.DefaultHashingAlgorithm, "sha1") {
		return "sha1"
	}
	return "sha256"
}
