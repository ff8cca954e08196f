package main

import (
	"context"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/pyjson"
)

// whois prints who a session belongs to. It only reads: no key cycle, no
// re-stamped hash, nothing saved.
func (c *cli) whois() error {
	a, err := c.positional(1)
	if err != nil {
		return err
	}
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	s.Logger = quietLogger()
	var sess *pyjson.Dict
	ctx, cancel := c.context()
	defer cancel()
	if s.SessionEngine == django.EngineSignedCookies {
		codec, err := django.NewCodec(s)
		if err != nil {
			return err
		}
		if sess, err = codec.Decode(a[0]); err != nil {
			return notFound{"no session: " + err.Error()}
		}
	} else {
		err := c.withStore(s, func(ctx context.Context, st django.Store) error {
			var err error
			sess, err = st.Load(ctx, a[0])
			if errorsIs(err, django.ErrNotFound) {
				return notFound{"no session " + a[0]}
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	id, ok := sess.GetString(auth.SessionKey)
	if !ok {
		return notFound{"no user in session " + a[0]}
	}
	backend, _ := sess.GetString(auth.BackendSessionKey)
	hash, _ := sess.GetString(auth.HashSessionKey)

	sqlDB, dialect, err := c.openDatabase()
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	table := auth.UserTable{}
	if t, ok := c.flags.get("user-table"); ok {
		table.Table = t
	}
	users := auth.NewSQLUsers(sqlDB, dialect, table)
	au := &auth.Auth{Users: users}
	user, valid, err := au.Whois(ctx, &s, id, backend, hash)
	if errorsIs(err, auth.ErrNoUser) {
		// As get_user: a missing user, a backend not configured, an
		// inactive user under ModelBackend; the error says which.
		return notFound{"session " + a[0] + " names user " + id + ", whom Django would not log in: " + err.Error()}
	}
	if err != nil {
		return err
	}
	out := pyjson.NewDict(4)
	out.Set("user_id", id)
	out.Set("backend", backend)
	out.Set("hash_valid", valid)
	out.Set("is_active", user.IsActive)
	return c.writeJSON(out)
}
