package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
)

// djsessionStore is the store the Django view uses too: django_session on
// PostgreSQL (the db engine) or Django's RedisCache layout (the cache
// engine) under the same SECRET_KEY, KEY_PREFIX and Redis database.
func djsessionStore(c config, pg *sql.DB, rc *redis.Client) (django.Store, error) {
	settings := django.DefaultSettings(c.secret)
	settings.DjangoVersion = django.Django52
	switch c.engine {
	case "postgres":
		return db.New(pg, db.Postgres, settings)
	case "redis":
		settings.SessionEngine = django.EngineCache
		r, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: c.keyPrefix}, rc)
		if err != nil {
			return nil, err
		}
		return cache.New(r, settings)
	}
	return nil, fmt.Errorf("-engine %q: want postgres or redis", c.engine)
}

// djsessionHandler is the endpoint as the README shows it: the middleware
// loads the session, auth resolves the user (Django's get_user, with the
// session auth hash check), one key is set, and the middleware saves the
// session before the body leaves.
func djsessionHandler(c config, pg *sql.DB, rc *redis.Client) (http.Handler, error) {
	store, err := djsessionStore(c, pg, rc)
	if err != nil {
		return nil, err
	}
	users := &auth.Auth{Users: auth.NewSQLUsers(pg, db.Postgres, auth.UserTable{})}
	view := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := users.UserFromRequest(r)
		if err != nil {
			http.Error(w, "backend error", http.StatusInternalServerError)
			return
		}
		if user == nil {
			http.Error(w, "anonymous", http.StatusForbidden)
			return
		}
		session := django.FromRequest(r)
		hits, _ := session.GetInt64("hits")
		if err := session.Set("hits", hits+1); err != nil {
			http.Error(w, "session error", http.StatusInternalServerError)
			return
		}
		writeJSON(w, user.ID, hits+1)
	})
	return django.Middleware(store)(view), nil
}

// djsessionLogins stores n sessions of the bench user as Django's login()
// leaves them and returns their Cookie header values.
func djsessionLogins(ctx context.Context, c config, pg *sql.DB, user *auth.User, n int) ([]string, error) {
	var rc *redis.Client
	if c.engine == "redis" {
		rc = openRedis(c)
		defer rc.Close()
	}
	store, err := djsessionStore(c, pg, rc)
	if err != nil {
		return nil, err
	}
	var lines []string
	for range n {
		cookie, err := loginCookie(ctx, store, user)
		if err != nil {
			return nil, err
		}
		lines = append(lines, cookie.Name+"="+cookie.Value)
	}
	return lines, nil
}

// benchUser reads the user bench/http/django/setup.py made.
func benchUser(ctx context.Context, pg *sql.DB) (*auth.User, error) {
	var id string
	err := pg.QueryRowContext(ctx, `SELECT id FROM auth_user WHERE username = 'bench'`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errors.New("no user 'bench' in auth_user: run bench/http/django/setup.py first")
	}
	if err != nil {
		return nil, err
	}
	return auth.NewSQLUsers(pg, db.Postgres, auth.UserTable{}).User(ctx, id)
}
