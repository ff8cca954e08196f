// Package bounded runs a blocking call so that its caller returns when the
// context is done, even if the call does not: the one runner behind
// backends/db, backends/cache and django/auth.
//
// Clients honour a context only as far as their protocol lets them: lib/pq,
// on cancellation, asks the server to cancel and then waits for its answer,
// which never comes from a server that hangs; gomemcache takes no context at
// all. So the call runs on its own goroutine and Call returns at whichever
// comes first, its outcome or the context's end. An abandoned call keeps its
// goroutine (and its connection) until the client's own timeouts end it.
package bounded

import (
	"context"
	"errors"
	"fmt"
)

// ErrPanicked reports a call that panicked; the error names the value it
// panicked with. A client library's bug must not take the process down.
var ErrPanicked = errors.New("call panicked")

type result[T any] struct {
	v   T
	err error
}

// Call runs f and returns its outcome, or context.Cause(ctx) as soon as ctx
// is done, whichever comes first. A context done before the call starts
// does not start it. A panic in f is returned as an error wrapping
// ErrPanicked. wrap, when not nil, is applied to the errors Call makes (the
// context's and the panic's) and not to f's own errors, so a package can
// name the operation in the failures f itself does not report.
//
// A context that can never be done (no Done channel, as
// context.Background) runs f on the caller's goroutine.
func Call[T any](ctx context.Context, f func() (T, error), wrap func(error) error) (T, error) {
	var zero T
	done := ctx.Done()
	if done == nil {
		return protect(f, wrap)
	}
	if ctx.Err() != nil {
		return zero, wrapped(wrap, context.Cause(ctx))
	}
	ch := make(chan result[T], 1)
	go func() {
		v, err := protect(f, wrap)
		ch <- result[T]{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-done:
		return zero, wrapped(wrap, context.Cause(ctx))
	}
}

func protect[T any](f func() (T, error), wrap func(error) error) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, wrapped(wrap, fmt.Errorf("%w: %v", ErrPanicked, r))
		}
	}()
	return f()
}

func wrapped(wrap func(error) error, err error) error {
	if wrap == nil {
		return err
	}
	return wrap(err)
}
