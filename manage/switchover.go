package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// SwitchoverStore is the session store for the days in which a site
// changes SESSION_ENGINE (cache to db, db to Redis...) without logging
// anyone out. It reads the new store and falls back to the old one; a
// session found only in the old store is copied forward into the new one
// (create-only, so nothing already there is written over) and served from
// there. Saves go to the new store, deletes to both.
//
// Django must do the same meanwhile, or a user whose session is still
// only in the old engine is anonymous to Django: the Python module
// python/djsession_switchover.py is its SESSION_ENGINE for the switch, and
// follows the same rules in the same order. The steps, in order: deploy
// both (Go on SwitchoverStore, Django on djsession_switchover, each with
// the old and the new engine); run copy-sessions (CopySessions) from the
// old store to the new one, which moves what nobody visits; once a
// session lifetime (SESSION_COOKIE_AGE) has passed, or right after the
// copy, point both at the new engine alone.
//
// The copy forward is a create in the new store, so the copy's expiry is
// the one Django's own save gives the session (SESSION_COOKIE_AGE from
// now unless _session_expiry says otherwise): a copy never expires before
// the original would have, and the browser's cookie keeps its own expiry.
// copy-sessions keeps the remaining lifetimes exactly.
//
// A logout (Delete) removes the old copy first, then the new one; a load
// that copied a session forward checks afterwards that the old one is
// still there and removes its copy when it is not. Whatever the order in
// which a logout and a load of the same session interleave, no copy
// brings the logged-out session back.
//
// The settings are the new store's (Settings); both stores must be the
// Django site's, with the same SECRET_KEY, SESSION_COOKIE_AGE and clock.
// SwitchoverStore is safe for concurrent use when both stores are.
type SwitchoverStore struct {
	newStore, oldStore django.Store
}

var _ django.Store = (*SwitchoverStore)(nil)

// NewSwitchoverStore returns the store that reads newStore, falls back to
// oldStore and copies forward what it finds there. Either store nil is an
// error wrapping django.ErrImproperlyConfigured, and so is a
// signed_cookies store on either side: its sessions live in the browser,
// not in a store, and need no switch-over.
func NewSwitchoverStore(newStore, oldStore django.Store) (*SwitchoverStore, error) {
	if newStore == nil || oldStore == nil {
		return nil, fmt.Errorf("%w: switch-over: both the new and the old store are needed", django.ErrImproperlyConfigured)
	}
	for _, s := range []django.Store{newStore, oldStore} {
		if _, ok := s.(django.CookieStore); ok {
			return nil, fmt.Errorf("%w: switch-over: the signed_cookies engine keeps sessions in the browser; there is nothing to switch over", django.ErrImproperlyConfigured)
		}
	}
	return &SwitchoverStore{newStore: newStore, oldStore: oldStore}, nil
}

// New returns the new store, the one every save goes to.
func (s *SwitchoverStore) New() django.Store { return s.newStore }

// Old returns the old store, the one loads fall back to.
func (s *SwitchoverStore) Old() django.Store { return s.oldStore }

// Settings returns the new store's settings (django.Store).
func (s *SwitchoverStore) Settings() *django.Settings { return s.newStore.Settings() }

// Load returns the session of key from the new store; when the new store
// has none (django.ErrNotFound), from the old one, after copying it
// forward. Any other outcome of the new store (a session, unreadable data,
// a backend failure) is returned as it is: a session the new store holds
// but this service cannot read is not hidden by an older copy.
//
// The copy forward is new.Save(create); when another request (Django's or
// Go's) made the copy first (django.ErrCreate), the new store's session is
// read again and returned. When the old store's session cannot be saved in
// the new one (a value its serializer cannot carry, such as a datetime
// pickled by a cache, under JSONSerializer), the old session is returned
// uncopied and the reason logged to the settings' logger: the user stays
// logged in, and a later save fails as Django's would.
func (s *SwitchoverStore) Load(ctx context.Context, key string) (*pyjson.Dict, error) {
	d, err := s.newStore.Load(ctx, key)
	if !errors.Is(err, django.ErrNotFound) {
		return d, err
	}
	old, err := s.oldStore.Load(ctx, key)
	if err != nil {
		return old, err
	}
	err = s.newStore.Save(ctx, key, old, true)
	switch {
	case errors.Is(err, django.ErrCreate):
		// Copied meanwhile by someone else: theirs is the session now.
		return s.newStore.Load(ctx, key)
	case errors.Is(err, django.ErrBackend), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return pyjson.NewDict(0), keyErr{key: key, msg: "switch-over: copying session " + ShortKey(key) + " forward: ", err: err}
	case err != nil:
		s.Settings().Log().Warn("switch-over: the session could not be copied to the new store; served from the old one",
			"session", ShortKey(key), "error", err.Error())
		return old, nil
	}
	// A logout may have removed the old session between the read and the
	// copy; if so, the copy must not outlive it.
	still, err := s.oldStore.Exists(ctx, key)
	if err != nil {
		return pyjson.NewDict(0), keyErr{key: key, msg: "switch-over: session " + ShortKey(key) + ": ", err: err}
	}
	if !still {
		if err := s.newStore.Delete(ctx, key); err != nil {
			return pyjson.NewDict(0), keyErr{key: key, msg: "switch-over: session " + ShortKey(key) + ": ", err: err}
		}
		return pyjson.NewDict(0), django.ErrNotFound
	}
	return old, nil
}

// Save writes session under key to the new store. A create fails with
// django.ErrCreate when either store holds key, so a new session never
// hides an old one. An update of a session that is still only in the old
// store (its load was served before the copy, or the copy was made by a
// process that has not switched yet) creates it in the new store; one that
// neither store holds is django.ErrUpdate, as Django's.
func (s *SwitchoverStore) Save(ctx context.Context, key string, session *pyjson.Dict, create bool) error {
	if create {
		inOld, err := s.oldStore.Exists(ctx, key)
		if err != nil {
			return err
		}
		if inOld {
			return fmt.Errorf("switch-over: the old store holds the key: %w", django.ErrCreate)
		}
		return s.newStore.Save(ctx, key, session, true)
	}
	err := s.newStore.Save(ctx, key, session, false)
	if !errors.Is(err, django.ErrUpdate) {
		return err
	}
	inOld, xerr := s.oldStore.Exists(ctx, key)
	if xerr != nil {
		return xerr
	}
	if !inOld {
		return err
	}
	err = s.newStore.Save(ctx, key, session, true)
	if errors.Is(err, django.ErrCreate) {
		// Copied forward meanwhile: now it is an update.
		return s.newStore.Save(ctx, key, session, false)
	}
	return err
}

// Delete removes the session of key from the old store, then from the new
// one (see the type's doc for why in that order). A missing session is not
// an error.
func (s *SwitchoverStore) Delete(ctx context.Context, key string) error {
	if err := s.oldStore.Delete(ctx, key); err != nil {
		return err
	}
	return s.newStore.Delete(ctx, key)
}

// Exists reports whether either store holds a session under key: Django
// draws new keys until this is false, so a new session never takes a key
// the old store still uses.
func (s *SwitchoverStore) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.newStore.Exists(ctx, key)
	if err != nil || ok {
		return ok, err
	}
	return s.oldStore.Exists(ctx, key)
}

// ClearExpired clears the expired sessions of both stores
// (clearsessions).
func (s *SwitchoverStore) ClearExpired(ctx context.Context) error {
	return errors.Join(s.newStore.ClearExpired(ctx), s.oldStore.ClearExpired(ctx))
}
