package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/factcheck/factcheck/store/boltstore"
)

// newRegistry holds everything /metrics reports: the Go runtime and the
// process, the database file, and (registered by server.New) the gRPC
// server's per-method counters and latencies.
func newRegistry(st *boltstore.Store) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		dbCollector{st: st},
	)
	return reg
}

var (
	dbFileBytes    = prometheus.NewDesc("factcheck_db_file_bytes", "Size of the bbolt database file.", nil, nil)
	dbFreePages    = prometheus.NewDesc("factcheck_db_free_pages", "Pages free for reuse; many of them mean `factcheckd compact` would reclaim space.", nil, nil)
	dbPendingPages = prometheus.NewDesc("factcheck_db_pending_pages", "Pages freed by transactions that are still open.", nil, nil)
	dbFreeBytes    = prometheus.NewDesc("factcheck_db_free_bytes", "Bytes held by free pages.", nil, nil)
	dbOpenReadTx   = prometheus.NewDesc("factcheck_db_open_read_transactions", "Read transactions in flight.", nil, nil)
	dbReadTx       = prometheus.NewDesc("factcheck_db_read_transactions_total", "Read transactions started.", nil, nil)
	dbPageWrites   = prometheus.NewDesc("factcheck_db_page_writes_total", "Pages written by committed transactions.", nil, nil)
	dbWriteSeconds = prometheus.NewDesc("factcheck_db_write_seconds_total", "Time spent writing pages of committed transactions.", nil, nil)
)

// dbCollector reads the database's statistics once per scrape rather than
// keeping gauges up to date on every write.
type dbCollector struct{ st *boltstore.Store }

func (c dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbFileBytes, dbFreePages, dbPendingPages, dbFreeBytes, dbOpenReadTx, dbReadTx, dbPageWrites, dbWriteSeconds} {
		ch <- d
	}
}

func (c dbCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.st.Stats()
	ch <- prometheus.MustNewConstMetric(dbFileBytes, prometheus.GaugeValue, float64(s.FileBytes))
	ch <- prometheus.MustNewConstMetric(dbFreePages, prometheus.GaugeValue, float64(s.FreePages))
	ch <- prometheus.MustNewConstMetric(dbPendingPages, prometheus.GaugeValue, float64(s.PendingPages))
	ch <- prometheus.MustNewConstMetric(dbFreeBytes, prometheus.GaugeValue, float64(s.FreeBytes))
	ch <- prometheus.MustNewConstMetric(dbOpenReadTx, prometheus.GaugeValue, float64(s.OpenReadTx))
	ch <- prometheus.MustNewConstMetric(dbReadTx, prometheus.CounterValue, float64(s.ReadTx))
	ch <- prometheus.MustNewConstMetric(dbPageWrites, prometheus.CounterValue, float64(s.PageWrites))
	ch <- prometheus.MustNewConstMetric(dbWriteSeconds, prometheus.CounterValue, s.WriteSeconds)
}

// serveMetrics serves /metrics and /debug/pprof/ on lis until ctx ends. pprof
// sits behind the same opt-in flag because both reveal internals and belong
// on an operator-only address.
func serveMetrics(ctx context.Context, lis net.Listener, reg *prometheus.Registry, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("metrics server stopped", "err", err)
	}
}
