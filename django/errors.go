package django

import "errors"

// Errors reported by the session layer. Stores wrap them with context;
// test with errors.Is.
var (
	// ErrImproperlyConfigured is Django's ImproperlyConfigured: a setting
	// is missing or invalid (a programmer's mistake, not bad input).
	ErrImproperlyConfigured = errors.New("django: improperly configured")

	// ErrSessionCorrupted is what Django logs as "Session data corrupted":
	// the session data is not signed by any of the configured keys. Django
	// then starts an empty session; so does Decode, and it reports why.
	ErrSessionCorrupted = errors.New("django: session data corrupted")

	// ErrBadExpiry means _session_expiry holds a value this Django version
	// cannot use (a datetime string on 3.2, a naive datetime where USE_TZ
	// makes times aware). Django raises TypeError there.
	ErrBadExpiry = errors.New("django: unusable _session_expiry")

	// ErrInvalidSessionKey is Django's InvalidSessionKey: a key the store
	// cannot use (the file engine allows only [a-z0-9]). Django answers it
	// as a SuspiciousOperation: a missing session on load, 400 on save.
	ErrInvalidSessionKey = errors.New("django: invalid characters in session key")

	// ErrNotSerializable is Django's TypeError at save: the value cannot be
	// written by the session serializer (for example a datetime expiry
	// with JSON on Django 3.2).
	ErrNotSerializable = errors.New("django: value is not serializable")
)
