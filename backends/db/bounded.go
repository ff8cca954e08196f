package db

import (
	"context"
	"database/sql"

	runner "github.com/djsession/djsession/internal/bounded"
)

// Every statement runs through internal/bounded: lib/pq waits for the
// answer to its cancel request, which a hung server never sends, so only a
// statement on its own goroutine returns at the deadline. Its errors (the
// context's cause, a driver's panic) are wrapped by the callers in store.go
// as the driver's own are.

// bounded runs f under ctx with internal/bounded.Call.
func bounded[T any](ctx context.Context, f func() (T, error)) (T, error) {
	return runner.Call(ctx, f, nil)
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
