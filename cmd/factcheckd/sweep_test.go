package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// countingPurger records the sweep's calls.
type countingPurger struct {
	mu     sync.Mutex
	before []time.Time
	err    error
	called chan struct{}
}

func (p *countingPurger) Purge(_ context.Context, before time.Time) (int, error) {
	p.mu.Lock()
	p.before = append(p.before, before)
	p.mu.Unlock()
	p.called <- struct{}{}
	return 1, p.err
}

// TestSweep: the sweep purges at once, then at every tick, up to now, goes
// on after a failure and ends with its context.
func TestSweep(t *testing.T) {
	p := &countingPurger{called: make(chan struct{}), err: errors.New("disk on fire")}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sweep(ctx, p, time.Millisecond, func() time.Time { return at }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	for range 3 {
		select {
		case <-p.called:
		case <-time.After(10 * time.Second):
			t.Fatal("the sweep did not run")
		}
	}
	cancel()
	for {
		select {
		case <-p.called:
			continue
		case <-done:
		}
		break
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.before {
		if !b.Equal(at) {
			t.Errorf("Purge(before = %v), want now (%v)", b, at)
		}
	}
}
