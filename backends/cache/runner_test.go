package cache

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/djsession/djsession/django"
	runner "github.com/djsession/djsession/internal/bounded"
)

// panickySelector is a client bug: gomemcache calls PickServer on every
// request, and this one panics.
type panickySelector struct{}

func (panickySelector) PickServer(string) (net.Addr, error) { panic("selector bug") }
func (panickySelector) Each(func(net.Addr) error) error     { panic("selector bug") }

// TestClientPanicIsABackendError: a panic in the client library is an
// ErrBackend error naming the operation, whether the call ran on its own
// goroutine (a context that can end) or on the caller's (one that cannot).
func TestClientPanicIsABackendError(t *testing.T) {
	m := newMemcached(t, memcache.NewFromSelector(panickySelector{}), PyMemcacheCache, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for name, ctx := range map[string]context.Context{"cancelable": ctx, "background": context.Background()} {
		v, ok, err := m.Get(ctx, "k")
		if v != nil || ok || !errors.Is(err, django.ErrBackend) || !errors.Is(err, runner.ErrPanicked) {
			t.Errorf("%s: Get through a panicking client = %v, %v, %v; want ErrBackend and ErrPanicked", name, v, ok, err)
		}
	}
}
