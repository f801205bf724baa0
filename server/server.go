package server

import (
	"crypto/tls"
	"log/slog"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// DefaultMaxRecvMsgBytes is the largest request the server accepts when
// Config.MaxRecvMsgBytes is 0. An article's text may be 1 MiB; the rest is
// headroom for its other fields and for batch requests.
const DefaultMaxRecvMsgBytes = 16 << 20

// Config configures New.
type Config struct {
	// Logger receives one structured line per call (health checks and
	// reflection excepted) and the causes of internal errors. nil means
	// slog.Default().
	Logger *slog.Logger
	// MaxRecvMsgBytes bounds the size of one request message; 0 means
	// DefaultMaxRecvMsgBytes.
	MaxRecvMsgBytes int
	// PublicURL is the absolute URL under which the newsroom publishes its
	// annotations: exported Web Annotation ids and ClaimReview urls are
	// PublicURL followed by the annotation's resource name, unless an
	// ExportRequest gives its own base_url. A "/" is added when it does not
	// end with one. Empty means DefaultPublicURL.
	PublicURL string
	// Newsroom is the name of the fact-checking organisation running the
	// server; ClaimReview exports name it as their author, which Google
	// requires. Empty leaves author out of them.
	Newsroom string
	// Metrics, when set, receives gRPC server metrics (grpc_server_* call
	// counts by code and handling-time histograms for every method) and the
	// server's own metrics (imported records by outcome); the database's
	// statistics are the caller's to register (factcheckd reads
	// boltstore.Stats once per scrape).
	Metrics prometheus.Registerer
	// WatchBuffer is how many changes a ChangeService.WatchChanges call may
	// have waiting to be sent before it is ended with WATCH_TOO_SLOW (and
	// resumes); 0 means DefaultWatchBuffer. One read of new changes (up to
	// 1,000) may come on top, so that a large commit alone never ends a
	// watch.
	WatchBuffer int
	// Stopping, when closed, ends every open WatchChanges call with
	// UNAVAILABLE (reason SERVER_SHUTTING_DOWN, and where to resume): watches
	// run until the client leaves, so GracefulStop, which waits for every
	// call, would otherwise wait for them. Close it just before
	// GracefulStop. nil: watches end only with Stop or their clients. A
	// watch blocked sending to a client that stopped reading cannot see it
	// and ends only with Stop.
	Stopping <-chan struct{}

	// TLS, when set, serves over TLS with this configuration instead of
	// plaintext; with ClientAuth tls.RequireAndVerifyClientCert (and
	// ClientCAs) it is mutual TLS, and a client without a certificate the
	// CAs signed cannot connect at all. Tokens travel in the clear
	// without it: use it for anything but a loopback address.
	TLS *tls.Config
	// RateLimit is how many calls per second one token may make, sustained
	// (a stream counts as one call however long it runs); 0 means no
	// limit. A call over it fails with RESOURCE_EXHAUSTED (reason
	// RATE_LIMITED) and a RetryInfo saying when to retry.
	RateLimit float64
	// RateBurst is how many calls a token may make at once above
	// RateLimit's pace; 0 means RateLimit rounded up (at least 1).
	RateBurst int
	// MethodPermissions gives the methods of services the caller registers
	// on the returned server (a newsroom's own) the permission each needs,
	// by full method name: the server refuses every method it has no
	// permission for (PERMISSION_DENIED), so they would be unusable
	// without. Entries for the server's own methods are ignored
	// (server.MethodPermissions decides those).
	MethodPermissions map[string]Permission
}

// DefaultPublicURL is the PublicURL of a server not told its own: the
// .invalid top-level domain (RFC 2606) can never resolve, so exported
// identifiers are plainly placeholders rather than somebody's real site.
const DefaultPublicURL = "https://factcheck.invalid/"

// New returns a gRPC server that serves st through ArticleService,
// AnnotationService, SourceService, BulkService, AdminService,
// ChangeService, ReviewerService and AuditService, plus
// grpc.health.v1.Health (SERVING for "" and for each service) and server
// reflection, so grpcurl needs no proto files. Every call but health checks
// and reflection needs a token of a reviewer whose role allows it (see
// MethodPermissions); st must already hold one, made with
// store.BootstrapReviewer, or nobody can call. The caller owns serving and
// stopping it.
func New(st store.Store, cfg Config) *grpc.Server {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	maxRecv := cfg.MaxRecvMsgBytes
	if maxRecv <= 0 {
		maxRecv = DefaultMaxRecvMsgBytes
	}
	var metrics *grpcprom.ServerMetrics
	if cfg.Metrics != nil {
		metrics = grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
			grpcprom.WithHistogramBuckets([]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10})))
		cfg.Metrics.MustRegister(metrics)
	}
	auth := newAuthenticator(st, cfg)
	unary, stream := chain(logger, metrics, auth)
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxRecv),
		// Clients behind NATs and load balancers may ping to keep idle
		// connections alive; allow that, but not often enough to be abuse.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             10 * time.Second,
			PermitWithoutStream: true,
		}),
		// Probe idle connections so that dead peers (a laptop that went to
		// sleep mid-import) release their resources.
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:    2 * time.Minute,
			Timeout: 20 * time.Second,
		}),
		// Run calls on a pool of long-lived goroutines rather than a new
		// one per call: a new goroutine grows its stack through the
		// handler, interceptors and bbolt again on every call
		// (runtime.morestack), which cost GetAnnotation 6-8% of its
		// calls/s at c=16 (factcheck-bench load, interleaved A/B). Calls
		// beyond the pool still get their own goroutine. The option is
		// experimental in grpc-go: should it go, only this speed-up goes
		// with it.
		grpc.NumStreamWorkers(64),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	s := grpc.NewServer(opts...)

	factcheckv1.RegisterArticleServiceServer(s, &articleService{st: st})
	factcheckv1.RegisterAnnotationServiceServer(s, &annotationService{st: st})
	factcheckv1.RegisterSourceServiceServer(s, &sourceService{st: st})
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = DefaultPublicURL
	}
	bulk := &bulkService{st: st, logger: logger, publicURL: withSlash(publicURL), newsroom: cfg.Newsroom}
	if cfg.Metrics != nil {
		bulk.imported = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "factcheck_import_records_total",
			Help: "Records of BulkService.Import streams by outcome (created, existing, failed); dry runs are not counted.",
		}, []string{"outcome"})
		cfg.Metrics.MustRegister(bulk.imported)
	}
	factcheckv1.RegisterBulkServiceServer(s, bulk)
	factcheckv1.RegisterAdminServiceServer(s, &adminService{st: st})
	factcheckv1.RegisterChangeServiceServer(s, newChangeService(st, cfg, logger))
	factcheckv1.RegisterReviewerServiceServer(s, &reviewerService{st: st, auth: auth})
	factcheckv1.RegisterAuditServiceServer(s, &auditService{st: st})

	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range []string{
		factcheckv1.ArticleService_ServiceDesc.ServiceName,
		factcheckv1.AnnotationService_ServiceDesc.ServiceName,
		factcheckv1.SourceService_ServiceDesc.ServiceName,
		factcheckv1.BulkService_ServiceDesc.ServiceName,
		factcheckv1.AdminService_ServiceDesc.ServiceName,
		factcheckv1.ChangeService_ServiceDesc.ServiceName,
		factcheckv1.ReviewerService_ServiceDesc.ServiceName,
		factcheckv1.AuditService_ServiceDesc.ServiceName,
	} {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	if metrics != nil {
		// Every method shows up at zero before its first call, so dashboards
		// and alerts need no special case for "never called".
		metrics.InitializeMetrics(s)
	}
	return s
}
