// Package backends picks the session store that a Django project's
// SESSION_ENGINE names, so code that shares sessions with several
// deployments need not switch on the engine itself:
//
//	store, err := backends.Open(settings, backends.Clients{DB: sqlDB, Dialect: db.Postgres, Cache: mc})
//
// Each store lives in its own package (db, cache, cacheddb, file,
// signedcookies); use them directly for their options.
package backends

import (
	"database/sql"
	"fmt"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/cacheddb"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
)

// Clients are the connections the engines need: the database of the db
// and cached_db engines, the cache (CACHES[SESSION_CACHE_ALIAS]) of the
// cache and cached_db engines. The file and signed_cookies engines need
// none.
type Clients struct {
	DB      *sql.DB
	Dialect db.Dialect
	Cache   cache.Cache
	// Replicas, when set, are read replicas of DB that the db engine
	// loads sessions from, falling back to DB for a row a replica lacks
	// (db.WithReplicas); by default every read goes to DB. cached_db
	// reads DB only: it caches what it reads, and a stale replica row
	// would outlive the replica's lag in the cache.
	Replicas []*sql.DB
}

// Open returns the store of settings.SessionEngine over clients. An engine
// whose client is missing, or an engine it does not know (a project's own
// module), is django.ErrImproperlyConfigured.
func Open(settings django.Settings, clients Clients) (django.Store, error) {
	engine := django.EngineName(settings.SessionEngine)
	needDB := func() error {
		if clients.DB == nil {
			return fmt.Errorf("%w: SESSION_ENGINE %s needs a database", django.ErrImproperlyConfigured, engine)
		}
		return nil
	}
	needCache := func() error {
		if clients.Cache == nil {
			return fmt.Errorf("%w: SESSION_ENGINE %s needs a cache", django.ErrImproperlyConfigured, engine)
		}
		return nil
	}
	switch engine {
	case django.EngineDB:
		if err := needDB(); err != nil {
			return nil, err
		}
		return db.New(clients.DB, clients.Dialect, settings, db.WithReplicas(clients.Replicas...))
	case django.EngineCache:
		if err := needCache(); err != nil {
			return nil, err
		}
		st, err := cache.New(clients.Cache, settings)
		if err != nil {
			return nil, err
		}
		return st, nil
	case django.EngineCachedDB:
		if err := needDB(); err != nil {
			return nil, err
		}
		if err := needCache(); err != nil {
			return nil, err
		}
		rows, err := db.New(clients.DB, clients.Dialect, settings)
		if err != nil {
			return nil, err
		}
		st, err := cacheddb.New(rows, clients.Cache)
		if err != nil {
			return nil, err
		}
		return st, nil
	case django.EngineFile:
		return file.New(settings)
	case django.EngineSignedCookies:
		return signedcookies.New(settings)
	}
	return nil, fmt.Errorf("%w: SESSION_ENGINE %q is not one of Django's engines", django.ErrImproperlyConfigured, settings.SessionEngine)
}
