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

	// ErrUnreadable means the store holds data under the session key that
	// this service could not use: signed with none of its keys, in a
	// serializer it does not expect, beyond its limits, a pickle its safe
	// decoder refuses, or live by its own timestamp while expired by this
	// service's reading of expire_date. Session.Err wraps it with the likely
	// cause and the setting to look at. A wrong setting (SECRET_KEY,
	// SESSION_SERIALIZER, USE_TZ) makes every session look like this, so
	// by default nothing is written over, deleted or flushed because of it
	// (see Settings.DiscardUnreadable).
	ErrUnreadable = errors.New("django: session data could not be used")

	// ErrExpiryMismatch is a store's report that a session it judged
	// expired is live by its own data: the row's expire_date disagrees with
	// the time its session_data was signed (TimestampSigner) plus its age,
	// as it does when USE_TZ or TIME_ZONE differ from Django's.
	ErrExpiryMismatch = errors.New("django: expire_date disagrees with when the session was written")
)
