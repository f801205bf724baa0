// Command factcheckd is the factcheck server: one process serving the
// factcheck.v1 gRPC API (plus health checks and reflection) from one bbolt
// file.
//
// Flags take precedence over their environment variables, which take
// precedence over the defaults:
//
//	--listen  FACTCHECK_LISTEN  address to serve on (default 127.0.0.1:50051)
//	--db      FACTCHECK_DB      database file (default ./factcheck.db)
//	--metrics-listen FACTCHECK_METRICS_LISTEN  serve Prometheus /metrics and
//	                            /debug/pprof/ there (default off)
//	--newsroom FACTCHECK_NEWSROOM  the fact-checking organisation, named as
//	                            the author of ClaimReview exports
//	--public-url FACTCHECK_PUBLIC_URL  where the newsroom publishes its fact
//	                            checks; exported documents' ids start with it
//	--retention FACTCHECK_RETENTION  how long deleted resources stay
//	                            restorable before the purge sweep removes
//	                            them (default 720h, 30 days)
//	--tls-cert, --tls-key FACTCHECK_TLS_CERT, FACTCHECK_TLS_KEY  serve TLS
//	                            with this PEM certificate and key (default
//	                            plaintext)
//	--tls-client-ca FACTCHECK_TLS_CLIENT_CA  mutual TLS: require client
//	                            certificates signed by these PEM CAs
//	--rate-limit, --rate-burst FACTCHECK_RATE_LIMIT, FACTCHECK_RATE_BURST
//	                            calls per second each token may make, and
//	                            the burst above it (default 50 and 100; a
//	                            rate of 0 turns the limit off)
//	--log-format FACTCHECK_LOG_FORMAT  text (default) or json
//	--log-level                 debug, info (default), warn or error
//
// The log, on stderr, has a line per call. Lines go out together at most
// 100 ms after they are logged, WARN and ERROR lines at once (logwriter.go).
//
// Every call but health checks and reflection needs a token. On a database
// without reviewers, factcheckd creates the first admin (reviewers/admin):
// with the secret in FACTCHECK_BOOTSTRAP_TOKEN when that is set, otherwise
// with a new one that it prints once and writes to DB.bootstrap-token (see
// bootstrap.go).
//
// `factcheckd compact [--db FILE]` rewrites a stopped database without its
// free pages and reports the sizes before and after.
//
// It stops gracefully on SIGINT or SIGTERM: new calls are refused, running
// ones finish (for at most --shutdown-timeout), then the database is closed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store/boltstore"
)

// defaultGCPercent replaces Go's GOGC=100 unless GOGC is set. The data lives
// in bbolt's memory map, not the Go heap, so the live heap stays small (about
// 20 MiB at a million annotations) and GOGC=100 collects after every few
// MiB of per-call garbage; 400 took a GetAnnotation's throughput under load
// up by about a fifth (factcheck-bench load, c=16 and 64) for a heap that
// peaks near five times the live one.
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "factcheckd:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "factcheckd:", err)
		os.Exit(1)
	}
}

// usageError marks a bad command line (exit status 2, as flag does) apart
// from a failure to run (exit status 1).
type usageError struct{ error }

type config struct {
	listen          string
	db              string
	publicURL       string
	metricsListen   string
	newsroom        string
	logFormat       string
	logLevel        slog.Level
	shutdownTimeout time.Duration
	retention       time.Duration
	tlsCert         string
	tlsKey          string
	tlsClientCA     string
	rateLimit       float64
	rateBurst       int
	// bootstrapToken is FACTCHECK_BOOTSTRAP_TOKEN: environment only, so
	// that the secret shows in neither --help nor the process list.
	bootstrapToken string
}

// Defaults of --rate-limit and --rate-burst: far above what a person or a
// CMS plugin does, low enough that one runaway script cannot starve the
// newsroom. Batch jobs stream through Import, which counts as one call.
const (
	defaultRateLimit = 50
	defaultRateBurst = 100
)

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{}
	fs := flag.NewFlagSet("factcheckd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", envOr(getenv, "FACTCHECK_LISTEN", "127.0.0.1:50051"),
		"address to serve gRPC on (env FACTCHECK_LISTEN)")
	fs.StringVar(&cfg.db, "db", envOr(getenv, "FACTCHECK_DB", "./factcheck.db"),
		"bbolt database file, created if missing (env FACTCHECK_DB)")
	fs.StringVar(&cfg.publicURL, "public-url", envOr(getenv, "FACTCHECK_PUBLIC_URL", server.DefaultPublicURL),
		"absolute URL the newsroom publishes fact checks under; Web Annotation ids and ClaimReview urls in exports start with it (env FACTCHECK_PUBLIC_URL)")
	fs.StringVar(&cfg.newsroom, "newsroom", envOr(getenv, "FACTCHECK_NEWSROOM", ""),
		"name of the fact-checking organisation; ClaimReview exports name it as their author (env FACTCHECK_NEWSROOM)")
	fs.StringVar(&cfg.metricsListen, "metrics-listen", envOr(getenv, "FACTCHECK_METRICS_LISTEN", ""),
		"address to serve Prometheus /metrics and /debug/pprof/ on; empty disables them (env FACTCHECK_METRICS_LISTEN)")
	fs.StringVar(&cfg.logFormat, "log-format", envOr(getenv, "FACTCHECK_LOG_FORMAT", "text"),
		"log format: text or json (env FACTCHECK_LOG_FORMAT)")
	fs.TextVar(&cfg.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 10*time.Second,
		"how long running calls may take to finish on SIGINT/SIGTERM")
	retention := boltstore.DefaultRetention
	if v := getenv("FACTCHECK_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return cfg, usageError{fmt.Errorf("FACTCHECK_RETENTION must be a duration such as 720h, not %q", v)}
		}
		retention = d
	}
	fs.DurationVar(&cfg.retention, "retention", retention,
		"how long deleted resources stay restorable before the purge sweep removes them for good (env FACTCHECK_RETENTION)")
	fs.StringVar(&cfg.tlsCert, "tls-cert", envOr(getenv, "FACTCHECK_TLS_CERT", ""),
		"PEM certificate (chain) to serve TLS with, together with --tls-key; empty serves plaintext (env FACTCHECK_TLS_CERT)")
	fs.StringVar(&cfg.tlsKey, "tls-key", envOr(getenv, "FACTCHECK_TLS_KEY", ""),
		"PEM private key of --tls-cert (env FACTCHECK_TLS_KEY)")
	fs.StringVar(&cfg.tlsClientCA, "tls-client-ca", envOr(getenv, "FACTCHECK_TLS_CLIENT_CA", ""),
		"PEM CA certificates for mutual TLS: every client must present a certificate they signed; needs --tls-cert and --tls-key (env FACTCHECK_TLS_CLIENT_CA)")
	rateLimit, err := envNumber(getenv, "FACTCHECK_RATE_LIMIT", float64(defaultRateLimit), func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
	if err != nil {
		return cfg, err
	}
	fs.Float64Var(&cfg.rateLimit, "rate-limit", rateLimit,
		"calls per second each token may make on average (a stream counts once); 0 turns the limit off (env FACTCHECK_RATE_LIMIT)")
	rateBurst, err := envNumber(getenv, "FACTCHECK_RATE_BURST", defaultRateBurst, strconv.Atoi)
	if err != nil {
		return cfg, err
	}
	fs.IntVar(&cfg.rateBurst, "rate-burst", rateBurst,
		"calls a token may make at once, ahead of --rate-limit's pace, before further calls fail with RESOURCE_EXHAUSTED (env FACTCHECK_RATE_BURST)")
	cfg.bootstrapToken = getenv("FACTCHECK_BOOTSTRAP_TOKEN")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: factcheckd [flags]\n\nServes the factcheck gRPC API from one bbolt file.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), `
Environment:
  FACTCHECK_BOOTSTRAP_TOKEN  the secret of the first admin's token, used only
        while the database has no reviewer (at least %d characters; a
        generated one, e.g. openssl rand -base64 32). Unset, the first start
        generates one, prints it once and writes it to DB.bootstrap-token
        (mode 0600).
`, minBootstrapTokenLen)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usageError{err}
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("unexpected argument %q (see factcheckd --help)", fs.Arg(0))}
	}
	if u, err := url.Parse(cfg.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, usageError{fmt.Errorf("--public-url must be an absolute http or https URL, not %q", cfg.publicURL)}
	}
	if cfg.retention <= 0 {
		return cfg, usageError{fmt.Errorf("--retention must be positive, not %s", cfg.retention)}
	}
	if cfg.logFormat != "text" && cfg.logFormat != "json" {
		return cfg, usageError{fmt.Errorf("--log-format must be text or json, not %q", cfg.logFormat)}
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return cfg, usageError{errors.New("--tls-cert and --tls-key go together: give both to serve TLS, or neither for plaintext")}
	}
	if cfg.tlsClientCA != "" && cfg.tlsCert == "" {
		return cfg, usageError{errors.New("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key: the server must speak TLS to ask for client certificates")}
	}
	if math.IsNaN(cfg.rateLimit) || math.IsInf(cfg.rateLimit, 0) || cfg.rateLimit < 0 {
		return cfg, usageError{fmt.Errorf("--rate-limit must be a number of calls per second, 0 or more (0: no limit), not %v", cfg.rateLimit)}
	}
	if cfg.rateLimit > 0 && cfg.rateBurst < 1 {
		return cfg, usageError{fmt.Errorf("--rate-burst must be at least 1 while --rate-limit is on, not %d", cfg.rateBurst)}
	}
	if err := checkBootstrapToken(cfg.bootstrapToken); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// envNumber reads a numeric environment variable standing in for a flag's
// default; a value that does not parse is a usage error naming it.
func envNumber[T any](getenv func(string) string, key string, def T, parse func(string) (T, error)) (T, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := parse(v)
	if err != nil {
		return def, usageError{fmt.Errorf("%s must be a number, not %q", key, v)}
	}
	return n, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "compact" {
		return compact(args[1:], getenv, stderr)
	}
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	// Everything run writes to stderr goes through lw, so that the log's
	// lines and the bootstrap secret come out in order.
	lw := newLogWriter(stderr)
	defer lw.Flush()
	stderr = lw
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	var handler slog.Handler = slog.NewTextHandler(lw, opts)
	if cfg.logFormat == "json" {
		handler = slog.NewJSONHandler(lw, opts)
	}
	logger := slog.New(flushingHandler{handler, lw})
	tlsCfg, err := cfg.serverTLS()
	if err != nil {
		return err
	}

	st, err := boltstore.Open(cfg.db, boltstore.Options{Retention: cfg.retention})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("closing database", "err", err)
		}
	}()
	// Before listening, so that the token printed works from the first
	// call.
	err = bootstrap(ctx, st, cfg.db, cfg.bootstrapToken, stderr, logger)
	// A generated secret is printed once: it must not wait in the buffer.
	_ = lw.Flush()
	if err != nil {
		return err
	}
	// The purge sweep: once now, then every purgeInterval; it ends before
	// the database closes.
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		sweep(sweepCtx, st, purgeInterval, time.Now, logger)
	}()
	defer func() {
		stopSweep()
		<-sweepDone
	}()

	// Listen only after the database opened, so a second server on the same
	// file fails on the file lock rather than on the port.
	lis, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	// Watches run until their clients leave; closing stopping ends them so
	// that GracefulStop, which waits for every call, can finish.
	stopping := make(chan struct{})
	scfg := server.Config{
		Logger:    logger,
		PublicURL: cfg.publicURL,
		Newsroom:  cfg.newsroom,
		Stopping:  stopping,
		TLS:       tlsCfg,
		RateLimit: cfg.rateLimit,
		RateBurst: cfg.rateBurst,
	}
	if cfg.metricsListen != "" {
		mlis, err := net.Listen("tcp", cfg.metricsListen)
		if err != nil {
			lis.Close()
			return fmt.Errorf("listen on %s for metrics: %w", cfg.metricsListen, err)
		}
		reg := newRegistry(st)
		scfg.Metrics = reg
		metricsCtx, stopMetrics := context.WithCancel(context.Background())
		defer stopMetrics()
		go serveMetrics(metricsCtx, mlis, reg, logger)
		logger.Info("metrics serving", "addr", mlis.Addr().String())
	}
	srv := server.New(st, scfg)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(lis) }()
	logger.Info("factcheckd serving", "addr", lis.Addr().String(), "db", cfg.db, "tls", tlsMode(tlsCfg), "rate_limit", cfg.rateLimit, "rate_burst", cfg.rateBurst)
	// Scripts wait for this line before their first call.
	_ = lw.Flush()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.shutdownTimeout)
	close(stopping)
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(cfg.shutdownTimeout):
		logger.Warn("calls still running after the shutdown timeout; cancelling them")
		srv.Stop()
		<-stopped
	}
	logger.Info("stopped")
	return nil
}

// compact runs `factcheckd compact`: the database must not be in use, which
// the file lock enforces.
func compact(args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("factcheckd compact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr(getenv, "FACTCHECK_DB", "./factcheck.db"), "bbolt database file to compact (env FACTCHECK_DB)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: factcheckd compact [--db FILE]\n\nRewrites a stopped database without its free pages, reclaiming the space\ndeletes and updates left behind.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (see factcheckd compact --help)", fs.Arg(0))}
	}
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	before, after, err := boltstore.Compact(*db, boltstore.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "compacted %s: %d → %d bytes (%.0f%% smaller)\n", *db, before, after, 100*float64(before-after)/float64(max(before, 1)))
	return nil
}
