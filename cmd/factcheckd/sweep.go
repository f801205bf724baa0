package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/factcheck/factcheck/store"
)

// purgeInterval is how often the sweep looks for deleted resources whose
// purge time has passed. Purge times are 30 days (--retention) after the
// delete, so an hour late is no loss, and a sweep that finds nothing costs
// one short read of the purge queue.
const purgeInterval = time.Hour

// purgeActor is who the audit log says purged.
const purgeActor = "system/purge"

// purger is the part of the store the sweep needs.
type purger interface {
	Purge(ctx context.Context, before time.Time) (int, error)
}

// sweep purges the deleted resources whose purge time has passed: once at
// once, then every interval, until ctx ends. A failed sweep is logged and
// retried at the next tick.
func sweep(ctx context.Context, p purger, interval time.Duration, now func() time.Time, logger *slog.Logger) {
	// The purges are the server's own writes: the audit log says so.
	ctx = store.WithWriteInfo(ctx, store.WriteInfo{Actor: purgeActor})
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := p.Purge(ctx, now())
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			logger.Error("purge sweep", "err", err, "purged", n)
		case n > 0:
			logger.Info("purge sweep", "purged", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
