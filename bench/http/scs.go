package main

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/redisstore"
	"github.com/alexedwards/scs/v2"
	redigo "github.com/gomodule/redigo/redis"

	"github.com/djsession/djsession/django/auth"
)

// scsManager is scs as its README sets it up, on its own stores and in
// its own format (gob): postgresstore's sessions table in the bench
// database, or redisstore on a redigo pool (same Redis database as the
// Django sessions, under a prefix of its own).
func scsManager(c config, pg *sql.DB) (*scs.SessionManager, func(), error) {
	sm := scs.New()
	sm.Lifetime = 14 * 24 * time.Hour // SESSION_COOKIE_AGE's two weeks
	switch c.engine {
	case "postgres":
		// No cleanup goroutine: the bench measures requests only.
		sm.Store = postgresstore.NewWithCleanupInterval(pg, 0)
		return sm, func() {}, nil
	case "redis":
		pool := &redigo.Pool{
			MaxIdle:     128,
			IdleTimeout: 5 * time.Minute,
			Dial: func() (redigo.Conn, error) {
				return redigo.Dial("tcp", c.redisAddr, redigo.DialDatabase(c.redisDB))
			},
		}
		sm.Store = redisstore.NewWithPrefix(pool, c.keyPrefix+":scs:")
		return sm, func() { pool.Close() }, nil
	}
	return nil, nil, fmt.Errorf("-engine %q: want postgres or redis", c.engine)
}

// scsHandler does the djsession endpoint's work with scs: the session is
// loaded by LoadAndSave, the user id read from it, the user's row read
// from auth_user with the same query auth.SQLUsers makes, the user
// accepted when active and when the session auth hash (the same HMAC of
// the password field Django and auth compute) matches, one key set, and
// the session committed by LoadAndSave before the body leaves.
func scsHandler(c config, pg *sql.DB) (http.Handler, error) {
	sm, _, err := scsManager(c, pg)
	if err != nil {
		return nil, err
	}
	// The query auth.SQLUsers sends, sent the same way (no prepared
	// statement: with binary_parameters=yes, one round trip either way).
	const userQuery = `SELECT "password", "is_active", "username" FROM "auth_user" WHERE "id" = $1`
	view := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := sm.GetString(ctx, auth.SessionKey)
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			http.Error(w, "anonymous", http.StatusForbidden)
			return
		}
		var password, username string
		var active bool
		if err := pg.QueryRowContext(ctx, userQuery, n).Scan(&password, &active, &username); err != nil {
			http.Error(w, "backend error", http.StatusInternalServerError)
			return
		}
		hash := auth.SessionAuthHash(password, c.secret)
		if !active || subtle.ConstantTimeCompare([]byte(hash), []byte(sm.GetString(ctx, "_auth_user_hash"))) != 1 {
			http.Error(w, "anonymous", http.StatusForbidden)
			return
		}
		hits := sm.GetInt64(ctx, "hits") + 1
		sm.Put(ctx, "hits", hits)
		writeJSON(w, id, hits)
	})
	return sm.LoadAndSave(view), nil
}

// scsLogins stores n scs sessions holding what Django's login() puts in a
// session (the user id, the backend, the session auth hash) and returns
// their Cookie header values.
func scsLogins(ctx context.Context, c config, pg *sql.DB, user *auth.User, n int) ([]string, error) {
	sm, closeStore, err := scsManager(c, pg)
	if err != nil {
		return nil, err
	}
	defer closeStore()
	var lines []string
	for range n {
		sctx, err := sm.Load(ctx, "")
		if err != nil {
			return nil, err
		}
		sm.Put(sctx, auth.SessionKey, user.ID)
		sm.Put(sctx, "_auth_user_backend", auth.ModelBackend)
		sm.Put(sctx, "_auth_user_hash", auth.SessionAuthHash(user.Password, c.secret))
		token, _, err := sm.Commit(sctx)
		if err != nil {
			return nil, err
		}
		lines = append(lines, sm.Cookie.Name+"="+token)
	}
	return lines, nil
}
