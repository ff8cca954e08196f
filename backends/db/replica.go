package db

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/djsession/djsession/pyjson"
)

// Read replicas.
//
// A Django site with read replicas routes models with DATABASE_ROUTERS:
// db_for_read names a replica, db_for_write the primary. Sites route the
// Session model to the primary for reads too, because a replica that
// lags behind has not yet seen the row a login wrote a moment ago, and the
// user would be anonymous on the very next request. A Store does the
// same by default: every statement goes to the *sql.DB given to New.
//
// WithReplicas is for a read-heavy service that wants its loads off the
// primary. It keeps the one guarantee that matters right after a login:
// a session the primary holds is never "not found". A load asks one
// replica first and, when the replica has no live row under the key (the
// row is missing there, or expired there), or fails, or holds data that
// does not decode, asks the primary; only the primary's answer is
// final. Writes (Save, Delete, ClearExpired), Exists (the collision check
// before a new key is used: it must see rows the replica has not) and
// Check/Sample always go to the primary.
//
// What a replica read cannot give: a session deleted or changed on the
// primary (a logout in Django, a save in another process) is read as it
// was on the replica until the replica replays the change. That is the
// lag Django sites avoid by routing sessions to the primary; a service
// that cannot accept it should not use WithReplicas. LoadWithExpiry, the
// cached_db engine's read, stays on the primary: cached_db copies what it
// reads into the cache, where a stale replica row would outlive the lag.

// WithReplicas makes Load read from replicas (each a pool on a read
// replica of the primary, with the same table), one chosen at random per
// load, as a Django router's db_for_read picks among replica aliases. A
// row missing or expired on the replica is read from the primary: one
// round trip more for a session the replica has not replayed yet, and
// none to the primary for one it has. A replica that fails is logged
// (Settings.Logger) and the primary answers; under a context with a
// deadline the replica gets half of the time left, so that one that hangs
// leaves the primary the other half. Without this option, or with no
// replicas, every read goes to the primary.
func WithReplicas(replicas ...*sql.DB) Option {
	return func(c *config) {
		for _, r := range replicas {
			if r != nil {
				c.replicas = append(c.replicas, r)
			}
		}
	}
}

// Replicas returns the pools Load reads from before the primary (none by
// default).
func (s *Store) Replicas() []*sql.DB { return s.replicas }

// replica returns the pool a load asks first, or nil for the primary.
func (s *Store) replica() *sql.DB {
	switch len(s.replicas) {
	case 0:
		return nil
	case 1:
		return s.replicas[0]
	}
	return s.replicas[rand.IntN(len(s.replicas))]
}

// loadReplica is Load on a replica. ok is false when the primary must
// answer instead: no replicas, no live row there, a failure, or data the
// codec refuses (the primary is the authority on what is stored; it gives
// the same error again when the data is the same there).
func (s *Store) loadReplica(ctx context.Context, key string) (d *pyjson.Dict, ok bool) {
	r := s.replica()
	if r == nil {
		return nil, false
	}
	// A replica that hangs must leave the primary time to answer: with a
	// deadline, the replica gets half of what remains.
	rctx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		rctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(deadline)/2))
		defer cancel()
	}
	data, err := scanOne[string](rctx, r, s.qLoad, s.now(), key)
	if err != nil {
		s.replicaFailed(ctx, err)
		return nil, false
	}
	d, err = s.codec.Decode(data)
	if err != nil {
		return nil, false
	}
	return d, true
}

// replicaFailed logs a replica's failure (not a missing row, which is the
// lag the fallback exists for, nor the caller's own deadline): the load
// goes on to the primary, so the failure is visible only here.
func (s *Store) replicaFailed(ctx context.Context, err error) {
	if errors.Is(err, sql.ErrNoRows) || ctx.Err() != nil {
		return
	}
	s.settings.Log().WarnContext(ctx, "db: a read replica failed; reading the session from the primary",
		"table", s.table, "error", err.Error())
}
