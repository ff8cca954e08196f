package django

import (
	"errors"
	"fmt"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/signing"
)

// The rules for session data a store returned but this service could not
// use live here, once, for the session, the middleware and auth:
//
//   - Session.Err reports it, wrapping ErrUnreadable and the store's error,
//     with the likely cause in words and the setting to look at; the same
//     text goes to Settings.Logger at Warn.
//   - The session reads as empty (an anonymous user), keeps its key, and
//     Save refuses to write over the stored data; the middleware leaves the
//     browser's cookie as it is.
//   - Explicit actions still work: Flush (logout) deletes the stored
//     session, since the key is the user's own and a logout that leaves a
//     session Django can read would not log out; CycleKey (login) starts a
//     new session under a new key and leaves the unreadable one in place.
//
// Settings.DiscardUnreadable restores Django's reactions, for the causes
// Django shares (a bad signature, data that does not decode, an expired
// session): the data reads as {} and the next save replaces it.

// unreadable describes why session data could not be used: the setting to
// look at and the likely cause.
type unreadable struct {
	setting string
	cause   string
	// djangoToo: Django, with the same settings, could not use the data
	// either, so DiscardUnreadable may act as Django does.
	djangoToo bool
}

// classify explains a store's load error that is about the data; ok is
// false for any other error (a server down, a timeout): an outage.
func classify(err error) (unreadable, bool) {
	u := classifyData(err)
	return u, u.setting != ""
}

func classifyData(err error) unreadable {
	switch {
	case errors.Is(err, ErrBackend):
		return unreadable{}
	case errors.Is(err, ErrExpiryMismatch):
		return unreadable{"USE_TZ, TIME_ZONE", "the session is expired by this service's reading of expire_date " +
			"but live by the time it was signed: do USE_TZ and TIME_ZONE match Django's?", true}
	case errors.Is(err, signing.ErrSignatureExpired):
		return unreadable{"SESSION_COOKIE_AGE", "the signed session is older than SESSION_COOKIE_AGE", true}
	case errors.Is(err, ErrSessionCorrupted), errors.Is(err, signing.ErrBadSignature):
		return unreadable{"SECRET_KEY, SECRET_KEY_FALLBACKS", "the session data is signed with none of the configured keys: " +
			"is SECRET_KEY the one Django uses (and the key it was signed with, if rotated, in SECRET_KEY_FALLBACKS)?", true}
	case errors.Is(err, pickle.ErrRefused):
		return unreadable{"none (the data is Django's)", "the cached session holds a pickle that the safe decoder refuses; " +
			"Django can read it, so it is left as it is", false}
	case signing.IsLimit(err):
		return unreadable{"none (the data is Django's)", "the session data exceeds this service's decoding limits; " +
			"Django may read it, so it is left as it is", false}
	case errors.Is(err, ErrBadExpiry):
		return unreadable{"DjangoVersion, USE_TZ", "_session_expiry holds a value this Django version cannot use", false}
	case errors.Is(err, signing.ErrMalformed), errors.Is(err, pickle.ErrMalformed):
		return unreadable{"SESSION_SERIALIZER", "the session data is signed with the configured key but does not decode: " +
			"is SESSION_SERIALIZER the one Django uses?", true}
	}
	return unreadable{}
}

func (u unreadable) wrap(err error) error {
	return fmt.Errorf("%w: %s (setting: %s): %w", ErrUnreadable, u.cause, u.setting, err)
}
