// Package auth is the part of django.contrib.auth that lives in the
// session, so a Go handler and a Django view agree on who is logged in.
//
// The common task, the logged-in user of a request that went through
// django.Middleware:
//
//	a := &auth.Auth{Users: auth.NewSQLUsers(sqlDB, db.Postgres, auth.UserTable{})}
//	user, err := a.UserFromRequest(r) // nil: anonymous; err: the store or the database failed
//
// UserFromRequest is Django's get_user: the user id from the session
// (_auth_user_id, _auth_user_backend), the user from auth_user, and the
// session auth hash (_auth_user_hash, an HMAC of the password field) that
// logs a user out everywhere when their password changes. LoginRequest and
// LogoutRequest are login() and logout(); package hashers checks and makes
// Django's password hashes.
package auth

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/signing"
)

// The session keys of django.contrib.auth.
const (
	SessionKey        = "_auth_user_id"
	BackendSessionKey = "_auth_user_backend"
	HashSessionKey    = "_auth_user_hash"
)

// ModelBackend is Django's default authentication backend.
const ModelBackend = "django.contrib.auth.backends.ModelBackend"

// sessionAuthHashSalt is the key salt of get_session_auth_hash.
const sessionAuthHashSalt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"

// ErrNoUser means the user store has no user with that id.
var ErrNoUser = errors.New("auth: no such user")

// User is what the session machinery needs of a Django user.
type User struct {
	// ID is the primary key as Django stores it in the session
	// (pk.value_to_string: "42", or a UUID with hyphens).
	ID string
	// Password is the stored password field, the encoded hash
	// ("pbkdf2_sha256$..."): the session auth hash is computed over it.
	Password string
	// IsActive is is_active: Django's ModelBackend refuses inactive users.
	IsActive bool
	// Username is the USERNAME_FIELD column (auth_user.username), for
	// showing who is logged in; not used by the session machinery.
	Username string
}

// UserStore fetches users by primary key.
type UserStore interface {
	// User returns the user with primary key id, or ErrNoUser.
	User(ctx context.Context, id string) (*User, error)
}

// SessionAuthHash is AbstractBaseUser.get_session_auth_hash(): the HMAC
// (sha256) of the password field under SECRET_KEY. Django 3.2 with
// DEFAULT_HASHING_ALGORITHM = "sha1" uses sha1 (see Settings).
func SessionAuthHash(password, secretKey string) string {
	return hashWith(password, secretKey, signing.SHA256)
}

// LegacySessionAuthHash is Django 3.2's _legacy_get_session_auth_hash: the
// same HMAC with sha1, which 3.2 still accepts.
func LegacySessionAuthHash(password, secretKey string) string {
	return hashWith(password, secretKey, signing.SHA1)
}

func hashWith(password, secret string, alg signing.Algorithm) string {
	mac, err := signing.SaltedHMAC(sessionAuthHashSalt, password, secret, alg)
	if err != nil {
		panic(err) // unreachable: the algorithms are constants
	}
	return hex.EncodeToString(mac)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Auth runs django.contrib.auth's session functions with a project's
// users. The Django settings (SECRET_KEY for the session auth hash, the
// version) are the session's: its store's, given once.
type Auth struct {
	Users UserStore
	// Backends is AUTHENTICATION_BACKENDS (default: ModelBackend only).
	Backends []string
}

func (a *Auth) backends() []string {
	if len(a.Backends) == 0 {
		return []string{ModelBackend}
	}
	return a.Backends
}

// SessionAuthHashFor is user.get_session_auth_hash() under s: the hash
// login() stores for a user whose password field is password (Django 3.2
// with DEFAULT_HASHING_ALGORITHM = "sha1": its legacy form; else sha256
// under SECRET_KEY).
func SessionAuthHashFor(s *django.Settings, password string) string {
	if s.Version() == django.Django32 && s.DefaultHashingAlgorithm == "sha1" {
		return LegacySessionAuthHash(password, s.SecretKey)
	}
	return SessionAuthHash(password, s.SecretKey)
}

// HashKey is get_user's acceptance of a stored _auth_user_hash, for a
// user whose password field is password, under s (its version, SECRET_KEY
// and SECRET_KEY_FALLBACKS): key 0 when SECRET_KEY made it (on Django 3.2
// also its legacy sha1 form, with legacy true), i+1 when
// SECRET_KEY_FALLBACKS[i] did (Django 4.1+, which get_user then re-stamps),
// and -1 when get_user would flush the session. Comparisons take constant
// time. It is the one place the rule is written: get_user here, and the
// manage commands' check, explain and rotate-key, ask it.
func HashKey(s *django.Settings, password, stored string) (key int, legacy bool) {
	if stored == "" {
		return -1, false
	}
	if equal(stored, SessionAuthHashFor(s, password)) {
		return 0, false
	}
	if s.Version() == django.Django32 {
		if equal(stored, LegacySessionAuthHash(password, s.SecretKey)) {
			return 0, true
		}
		return -1, false
	}
	if s.Version().AtLeast(4, 1) {
		for i, k := range s.SecretKeyFallbacks {
			if equal(stored, SessionAuthHash(password, k)) {
				return i + 1, false
			}
		}
	}
	return -1, false
}

// samePK is `pk.to_python(session id) == user.pk`: integer keys compare
// as integers ("01" is 1), others as strings.
func samePK(stored, id string) bool {
	a, errA := strconv.ParseInt(stored, 10, 64)
	b, errB := strconv.ParseInt(id, 10, 64)
	if errA == nil && errB == nil {
		return a == b
	}
	return stored == id
}

// Login is django.contrib.auth.login(request, user, backend): over a
// session of another user, or of this user with a stale hash, the session
// is flushed; over an anonymous session the key is cycled (data kept),
// against session fixation; then the three _auth_user_* keys are stored.
// backend "" means the only configured backend. Rotate the CSRF token
// after it, as Django's login does (csrf.RotateToken).
func (a *Auth) Login(ctx context.Context, sess *django.Session, user *User, backend string) error {
	if user == nil {
		return errors.New("auth: Login needs a user")
	}
	h := SessionAuthHashFor(sess.Settings(), user.Password)
	if stored, ok := sess.GetString(SessionKey); ok || sess.Has(SessionKey) {
		cur, _ := sess.GetString(HashSessionKey)
		if !samePK(stored, user.ID) || (h != "" && !equal(cur, h)) {
			if err := sess.Flush(ctx); err != nil {
				return err
			}
		}
	} else if err := sess.CycleKey(ctx); err != nil {
		return err
	}
	if backend == "" {
		b := a.backends()
		if len(b) != 1 {
			return fmt.Errorf("%w: you have multiple authentication backends configured and therefore must provide the backend argument", django.ErrImproperlyConfigured)
		}
		backend = b[0]
	}
	sess.Set(SessionKey, user.ID)
	sess.Set(BackendSessionKey, backend)
	sess.Set(HashSessionKey, h)
	return nil
}

// Logout is django.contrib.auth.logout: the session is flushed.
func (a *Auth) Logout(ctx context.Context, sess *django.Session) error {
	return sess.Flush(ctx)
}

// GetUser is django.contrib.auth.get_user(request): the logged-in user,
// or nil for an anonymous one; a session that could not be loaded (a store
// failure) is its error, not an anonymous user, while one whose data could
// not be used (django.ErrUnreadable) is anonymous. A session whose hash no
// longer matches the user's password is anonymous and, as Django does,
// flushed only with Settings.DiscardUnreadable (a SECRET_KEY that differs
// from Django's fails every hash, and the flush would log the user out of
// Django too; without it the mismatch is logged); one whose hash matches
// under a SECRET_KEY_FALLBACKS key (4.1+) is re-stamped with the current
// hash and its key cycled; Django 3.2 also accepts the legacy sha1 hash.
// Errors are the user store's failures (not a missing user).
func (a *Auth) GetUser(ctx context.Context, sess *django.Session) (*User, error) {
	id, ok1 := sess.GetString(SessionKey)
	if err := sess.Err(); err != nil {
		if errors.Is(err, django.ErrUnreadable) {
			// Data this service could not use (the session logged why):
			// anonymous here, left as it is for Django.
			return nil, nil
		}
		// The store could not be read: that is an outage, not an
		// anonymous user.
		return nil, err
	}
	backend, ok2 := sess.GetString(BackendSessionKey)
	if !ok1 || !ok2 || !slices.Contains(a.backends(), backend) {
		return nil, nil
	}
	user, err := a.Users.User(ctx, id)
	if errors.Is(err, ErrNoUser) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if backend == ModelBackend && !user.IsActive {
		return nil, nil
	}
	verified, err := a.verify(ctx, sess, user)
	if err != nil || !verified {
		return nil, err
	}
	return user, nil
}

// hashMatch is get_user's comparison of a stored session hash with the
// user's: current (the hash of the configured key matches, or Django 3.2's
// legacy sha1 hash), or stale but accepted (4.1+: the hash under a
// SECRET_KEY_FALLBACKS key, which get_user re-stamps).
func hashMatch(s *django.Settings, user *User, stored string) (current, fallback bool) {
	key, _ := HashKey(s, user.Password, stored)
	return key == 0, key > 0
}

// verify is get_user's hash check, with its side effects on the session.
func (a *Auth) verify(ctx context.Context, sess *django.Session, user *User) (bool, error) {
	stored, _ := sess.GetString(HashSessionKey)
	current, fallback := hashMatch(sess.Settings(), user, stored)
	switch {
	case current:
		return true, nil
	case fallback:
		if err := sess.CycleKey(ctx); err != nil {
			return false, err
		}
		sess.Set(HashSessionKey, SessionAuthHashFor(sess.Settings(), user.Password))
		return true, nil
	}
	if sess.Settings().DiscardUnreadable {
		return false, sess.Flush(ctx)
	}
	// Django flushes the session here: the password changed since the
	// login. A SECRET_KEY that differs from Django's fails every hash
	// the same way, and flushing would log the user out of Django, so by
	// default the user is only anonymous to this service.
	sess.Settings().Log().Warn("session auth hash does not match the user's password: anonymous here, the session left as it is "+
		"(the password changed since the login, or SECRET_KEY/SECRET_KEY_FALLBACKS differ from Django's)",
		"logger", "djsession", "setting", "SECRET_KEY, SECRET_KEY_FALLBACKS", "user_id", user.ID)
	return false, nil
}

// Whois reads who a session belongs to without changing anything (no key
// cycle, no re-stamped hash): the user with this id, and whether the hash
// is valid now (with the fallbacks and legacy forms GetUser accepts). It
// fails with ErrNoUser where GetUser finds no user: a backend that is not
// in Auth.Backends, a user the store does not have, an inactive user under
// ModelBackend. The error says which.
func (a *Auth) Whois(ctx context.Context, settings *django.Settings, id, backend, hash string) (user *User, hashValid bool, err error) {
	if !slices.Contains(a.backends(), backend) {
		return nil, false, fmt.Errorf("%w: the session's backend %q is not in Auth.Backends (AUTHENTICATION_BACKENDS)", ErrNoUser, backend)
	}
	user, err = a.Users.User(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if backend == ModelBackend && !user.IsActive {
		return nil, false, fmt.Errorf("%w: user %s is inactive, and ModelBackend logs in active users only", ErrNoUser, id)
	}
	current, fallback := hashMatch(settings, user, hash)
	return user, current || fallback, nil
}
