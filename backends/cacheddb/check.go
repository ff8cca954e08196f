package cacheddb

import (
	"context"
	"errors"
	"fmt"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// minCachedSample is how many live sessions Check needs before "none of
// them is cached" means a wrong cache rather than a cache just emptied.
const minCachedSample = 3

// Check is the start-up check that a cached_db service must call. No
// single request can tell a cache configured unlike Django's (another
// KEY_PREFIX, VERSION or Redis db, another server) from an evicted entry:
// the service would read through to the database and write it while
// Django kept serving its own stale copy, and a logout here would leave
// the user logged in to Django. Check runs the db store's Check, then looks
// in the cache for the sessions Django saved last (Django's save writes the
// cache copy): an error wrapping django.ErrImproperlyConfigured names the
// setting when none of them is cached, or when a cached copy differs from
// its row. An empty table, or too few live sessions to tell, passes.
func (s *Store) Check(ctx context.Context) error {
	sample, err := s.db.Sample(ctx, db.DefaultCheckSample)
	if err != nil {
		return err
	}
	findings := []error{db.CheckSample(sample)}
	now := s.settings.Now()
	live, cached, differ := 0, 0, 0
	for _, ss := range sample {
		if ss.Err != nil || !ss.ExpireDate.After(now) {
			continue
		}
		live++
		v, found, err := s.cache.Get(ctx, cacheKey(ss.Key))
		if err != nil {
			return fmt.Errorf("cached_db: check: %w", err)
		}
		if !found {
			continue
		}
		cached++
		if d, ok := v.(*pyjson.Dict); !ok || !d.Equal(ss.Data) {
			differ++
		}
	}
	if live >= minCachedSample && cached == 0 {
		findings = append(findings, fmt.Errorf("%w: CACHES[SESSION_CACHE_ALIAS] (KEY_PREFIX, VERSION, LOCATION, the Redis db): "+
			"none of the %d most recent live sessions is in the cache under %q: use Django's cache settings "+
			"(or, if the cache was just emptied, check again later)", django.ErrImproperlyConfigured, live, cacheKey("<key>")))
	}
	if differ > 0 {
		findings = append(findings, fmt.Errorf("%w: CACHES[SESSION_CACHE_ALIAS] (KEY_PREFIX, VERSION, LOCATION, the Redis db): "+
			"%d of %d cached sessions differ from their database rows: Django writes its copies elsewhere, "+
			"so this service reads stale ones", django.ErrImproperlyConfigured, differ, cached))
	}
	return errors.Join(findings...)
}
