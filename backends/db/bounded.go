package db

import (
	"context"
	"database/sql"
)

// Drivers honour a context only as far as their protocol lets them:
// lib/pq, on cancellation, asks the server to cancel and then waits for
// its answer, which never comes from a server that hangs. So every
// statement runs on its own goroutine and the call returns when the
// context is done, whichever comes first; an abandoned statement holds its
// connection until the driver's own timeouts end it.

type result[T any] struct {
	v   T
	err error
}

func bounded[T any](ctx context.Context, f func() (T, error)) (T, error) {
	if ctx.Done() == nil {
		return f()
	}
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	ch := make(chan result[T], 1)
	go func() {
		v, err := f()
		ch <- result[T]{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// exec is ExecContext bounded by ctx.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return bounded(ctx, func() (sql.Result, error) { return s.db.ExecContext(ctx, query, args...) })
}

// scanOne is QueryRowContext(...).Scan into one value, bounded by ctx.
func scanOne[T any](ctx context.Context, db *sql.DB, query string, args ...any) (T, error) {
	return bounded(ctx, func() (T, error) {
		var v T
		err := db.QueryRowContext(ctx, query, args...).Scan(&v)
		return v, err
	})
}
