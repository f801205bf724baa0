package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
)

// countingPurger records the sweep's calls.
type countingPurger struct {
	mu     sync.Mutex
	before []time.Time
	actors []string
	err    error
	called chan struct{}
}

func (p *countingPurger) Purge(ctx context.Context, before time.Time) (int, error) {
	p.mu.Lock()
	p.before = append(p.before, before)
	p.actors = append(p.actors, store.WriteInfoFrom(ctx).Actor)
	p.mu.Unlock()
	p.called <- struct{}{}
	return 1, p.err
}

// TestSweep: the sweep purges at once, then at every tick, up to now, as
// system/purge for the audit log, goes on after a failure and ends with its
// context.
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
	for i, b := range p.before {
		if !b.Equal(at) {
			t.Errorf("Purge(before = %v), want now (%v)", b, at)
		}
		if p.actors[i] != "system/purge" {
			t.Errorf("Purge's WriteInfo.Actor = %q, want system/purge", p.actors[i])
		}
	}
}
