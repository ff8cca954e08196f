package testnet

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// RestartDrill runs writes from several goroutines across a restart of
// the server they go through (PgBouncer.Restart), and reports what the
// writers saw: how many writes were acknowledged before, during and after
// the restart, how many failed and how long the slowest failure took.
// Whether the acknowledged writes are all stored is the caller's check:
// Write knows what it wrote.
type RestartDrill struct {
	// Workers is the number of writing goroutines (default 4).
	Workers int
	// Deadline bounds each write (default 2 s).
	Deadline time.Duration
	// Before is how long the writes run before the restart (default 1 s),
	// After how long once the server is back (default 1.5 s).
	Before, After time.Duration
	// Write does worker's i-th write under ctx; nil means acknowledged.
	// Each worker calls it from its own goroutine, one call at a time.
	Write func(ctx context.Context, worker, i int) error
	// Restart restarts the server and returns how long it was down.
	Restart func(ctx context.Context) (time.Duration, error)
}

// DrillReport is what a RestartDrill's writers saw.
type DrillReport struct {
	// Down is how long the server was down (Restart's answer).
	Down time.Duration
	// AckedBefore, AckedDuring and AckedAfter count acknowledged writes
	// before the restart began, while it ran, and once the server was back.
	AckedBefore, AckedDuring, AckedAfter int
	// FirstAfter is when the first write acknowledged after the restart
	// came, counted from the moment the server was back.
	FirstAfter time.Duration
	// Failed counts the failed writes; SlowestFailure is the longest any
	// of them took; FirstError is the first.
	Failed         int
	SlowestFailure time.Duration
	FirstError     error
}

// String is the report as the one line a live test logs and README's
// figures are read from; FirstError is left out, for the caller to show
// or check as it needs.
func (r DrillReport) String() string {
	return fmt.Sprintf("down %v; writes acknowledged: %d before, %d during the restart, %d after "+
		"(the first %v after the server was back); %d failed, the slowest failure took %v",
		r.Down.Round(time.Millisecond), r.AckedBefore, r.AckedDuring, r.AckedAfter,
		r.FirstAfter.Round(time.Millisecond), r.Failed, r.SlowestFailure.Round(time.Millisecond))
}

// Run runs the drill; its error is Restart's. Run returns after every
// writer has stopped.
func (d RestartDrill) Run(ctx context.Context) (DrillReport, error) {
	workers, deadline, before, after := d.Workers, d.Deadline, d.Before, d.After
	if workers <= 0 {
		workers = 4
	}
	if deadline <= 0 {
		deadline = 2 * time.Second
	}
	if before <= 0 {
		before = time.Second
	}
	if after <= 0 {
		after = 1500 * time.Millisecond
	}
	var (
		mu        sync.Mutex
		r         DrillReport
		phase     int // 0 before, 1 during, 2 after
		backAt    time.Time
		firstSeen bool
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				wctx, cancel := context.WithTimeout(ctx, deadline)
				began := time.Now()
				err := d.Write(wctx, w, i)
				took := time.Since(began)
				cancel()
				mu.Lock()
				switch {
				case err != nil:
					r.Failed++
					r.SlowestFailure = max(r.SlowestFailure, took)
					if r.FirstError == nil {
						r.FirstError = err
					}
				case phase == 0:
					r.AckedBefore++
				case phase == 1:
					r.AckedDuring++
				default:
					r.AckedAfter++
					if !firstSeen {
						firstSeen, r.FirstAfter = true, time.Since(backAt)
					}
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond) // as a client's retry would
				}
			}
		}()
	}
	wait := func(dur time.Duration) {
		select {
		case <-ctx.Done():
		case <-time.After(dur):
		}
	}
	wait(before)
	mu.Lock()
	phase = 1
	mu.Unlock()
	down, err := d.Restart(ctx)
	mu.Lock()
	phase, backAt, r.Down = 2, time.Now(), down
	mu.Unlock()
	if err == nil {
		wait(after)
	}
	close(stop)
	wg.Wait()
	return r, err
}
