package bounded

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

var errOp = errors.New("op failed")

func wrapOp(err error) error { return fmt.Errorf("%w: op: %w", errOp, err) }

// TestCallReturnsAtTheDeadline: a call that never returns is left behind
// when the context ends, with the context's cause.
func TestCallReturnsAtTheDeadline(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	cause := errors.New("request abandoned")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 50*time.Millisecond, cause)
	defer cancel()
	start := time.Now()
	v, err := Call(ctx, func() (int, error) { <-block; return 7, nil }, nil)
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Call returned after %v with a 50ms deadline", el)
	}
	if v != 0 || !errors.Is(err, cause) {
		t.Errorf("Call = %v, %v; want 0 and the context's cause", v, err)
	}
}

func TestCallDoneBeforeStartDoesNotRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	_, err := Call(ctx, func() (int, error) { ran = true; return 1, nil }, wrapOp)
	if ran {
		t.Error("f ran under a context already done")
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errOp) {
		t.Errorf("err = %v; want context.Canceled wrapped by wrap", err)
	}
}

// TestCallRecoversPanics, on both paths: a context that can end (f on its
// own goroutine) and one that cannot (f on the caller's).
func TestCallRecoversPanics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for name, ctx := range map[string]context.Context{"cancelable": ctx, "background": context.Background()} {
		t.Run(name, func(t *testing.T) {
			v, err := Call(ctx, func() (int, error) { panic("client bug") }, wrapOp)
			if v != 0 || !errors.Is(err, ErrPanicked) || !errors.Is(err, errOp) {
				t.Errorf("Call = %v, %v; want ErrPanicked wrapped by wrap", v, err)
			}
			_, err = Call(ctx, func() (int, error) { panic(nil) }, nil)
			if !errors.Is(err, ErrPanicked) {
				t.Errorf("panic(nil): %v; want ErrPanicked", err)
			}
		})
	}
}

// TestCallKeepsTheCallsOutcome: f's value and error come back as they are;
// wrap is only for the errors Call makes.
func TestCallKeepsTheCallsOutcome(t *testing.T) {
	own := errors.New("not found")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for name, ctx := range map[string]context.Context{"cancelable": ctx, "background": context.Background()} {
		v, err := Call(ctx, func() (string, error) { return "x", own }, wrapOp)
		if v != "x" || err != own {
			t.Errorf("%s: Call = %q, %v; want f's outcome unchanged", name, v, err)
		}
	}
}

// TestCallFastPathAllocatesNothing: with no Done channel there is no
// goroutine and no channel.
func TestCallFastPathAllocatesNothing(t *testing.T) {
	f := func() (int, error) { return 1, nil }
	n := testing.AllocsPerRun(100, func() { Call(context.Background(), f, nil) })
	if n != 0 {
		t.Errorf("Call on context.Background allocates %v times; want 0", n)
	}
}

// BenchmarkCall: the cost the runner adds to a call, on each path.
func BenchmarkCall(b *testing.B) {
	f := func() (int, error) { return 1, nil }
	b.Run("background", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Call(context.Background(), f, nil)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("cancelable", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Call(ctx, f, nil)
		}
	})
}
