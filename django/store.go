package django

import (
	"context"
	"errors"
	"fmt"

	"github.com/djsession/djsession/pyjson"
)

// Errors a Store reports. Stores wrap them with context; test with
// errors.Is. A bad cookie never looks like an outage: ErrNotFound and the
// decode errors are about the data, ErrBackend about the server.
var (
	// ErrNotFound means no session is stored under the key, or it has
	// expired as Django judges expiry in that store. It is not a failure:
	// Django starts a new, empty session.
	ErrNotFound = errors.New("django: session not found")

	// ErrCreate is Django's CreateError: a create found a session already
	// stored under the key. Create draws a new key and retries.
	ErrCreate = errors.New("django: session key already exists")

	// ErrUpdate is Django's UpdateError: a save found no session to
	// update, because it was deleted meanwhile (a logout elsewhere,
	// clearsessions). Django's middleware answers it with HTTP 400
	// (SessionInterrupted) rather than bring the session back.
	ErrUpdate = errors.New("django: session was deleted before the request completed")

	// ErrBackend wraps a failure of the server or the client: a database
	// or cache that is down, a timeout, an SQL error.
	ErrBackend = errors.New("django: session backend failure")
)

// A Store keeps sessions in one place, in Django's format for that place
// (a django_session row, a cache entry, a file, a cookie), so Django and Go
// read each other's writes. The session semantics (keys, expiry, flags)
// live in this package; a Store only moves one session in and out.
//
// Every method takes a context; its deadline bounds the call.
type Store interface {
	// Load returns the session stored under key.
	//
	// A key with no session, or with an expired one, is ErrNotFound
	// with an empty session, not a failure. Signed data that does not
	// decode (db, file, cached_db) is an empty session with an error
	// wrapping ErrSessionCorrupted (not signed by any configured key) or
	// signing.ErrMalformed; a row expired by its expire_date but live by
	// its own timestamp is ErrExpiryMismatch; unsigned data that does not
	// decode (a cached pickle the safe decoder refuses) wraps the decoder's
	// error. Session turns these into ErrUnreadable and never writes over
	// them (see the package doc); a caller of Load that saves must do the
	// same.
	Load(ctx context.Context, key string) (*pyjson.Dict, error)

	// Save stores session under key. With create, it writes a new
	// session and fails with ErrCreate when one exists under key
	// (Django's save(must_create=True)); otherwise it replaces an
	// existing session and fails with ErrUpdate when there is none,
	// never bringing a deleted session back.
	Save(ctx context.Context, key string, session *pyjson.Dict, create bool) error

	// Delete removes the session stored under key. A missing session is
	// not an error.
	Delete(ctx context.Context, key string) error

	// Exists reports whether a session is stored under key, as Django's
	// exists() does for that store (the db store counts expired rows).
	Exists(ctx context.Context, key string) (bool, error)

	// ClearExpired removes the expired sessions of stores that need it
	// (manage.py clearsessions); stores whose server expires entries
	// itself do nothing.
	ClearExpired(ctx context.Context) error

	// Settings returns the settings the store was made with: the Django
	// settings every layer above it (Session, Middleware, auth) reads, so
	// that they are given once. They are shared: never change them.
	Settings() *Settings
}

// maxCreateAttempts bounds Create's search for a free key. Django's cache
// backend gives up after 10000 attempts; its db backend never does, but
// 10000 collisions of 32 random characters mean a broken random source.
const maxCreateAttempts = 10000

// Create saves session under a new session key and returns the key, as
// SessionBase.create does: draw a key from the store's Settings.Rand, save
// with create, and draw again while the key is taken.
func Create(ctx context.Context, store Store, session *pyjson.Dict) (string, error) {
	rand := store.Settings().Rand
	for range maxCreateAttempts {
		key, err := NewSessionKey(rand)
		if err != nil {
			return "", err
		}
		err = store.Save(ctx, key, session, true)
		if err == nil {
			return key, nil
		}
		if !errors.Is(err, ErrCreate) {
			return "", err
		}
	}
	return "", fmt.Errorf("%w: no free session key after %d attempts", ErrBackend, maxCreateAttempts)
}
