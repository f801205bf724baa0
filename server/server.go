package server

import (
	"log/slog"
	"time"

	"google.golang.org/grpc"
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
	// Logger receives one structured line per call (health checks excepted)
	// and the causes of internal errors. nil means slog.Default().
	Logger *slog.Logger
	// MaxRecvMsgBytes bounds the size of one request message; 0 means
	// DefaultMaxRecvMsgBytes.
	MaxRecvMsgBytes int
}

// New returns a gRPC server that serves st through ArticleService,
// AnnotationService and SourceService, plus grpc.health.v1.Health (SERVING
// for "" and for each service) and server reflection, so grpcurl needs no
// proto files. The caller owns serving and stopping it.
func New(st store.Store, cfg Config) *grpc.Server {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	maxRecv := cfg.MaxRecvMsgBytes
	if maxRecv <= 0 {
		maxRecv = DefaultMaxRecvMsgBytes
	}
	unary, stream := chain(logger)
	s := grpc.NewServer(
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
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	)

	factcheckv1.RegisterArticleServiceServer(s, &articleService{st: st})
	factcheckv1.RegisterAnnotationServiceServer(s, &annotationService{st: st})
	factcheckv1.RegisterSourceServiceServer(s, &sourceService{st: st})

	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range []string{
		factcheckv1.ArticleService_ServiceDesc.ServiceName,
		factcheckv1.AnnotationService_ServiceDesc.ServiceName,
		factcheckv1.SourceService_ServiceDesc.ServiceName,
	} {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	return s
}
