package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	middleware "github.com/grpc-ecosystem/go-grpc-middleware/v2"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

// RequestIDHeader is the metadata key that carries a request's id: a client
// may send one (so its logs and the server's share it), and the server
// always returns the id it used in a response header.
const RequestIDHeader = "x-request-id"

// chain assembles the chain every call passes through, outermost
// first. The order matters:
//
//  1. request id: first, so every later stage (logs, internal-error
//     messages) can name the request.
//  2. logging: sees the status exactly as the client will, because the
//     error conversion and the recovery sit inside it. Health checks and
//     reflection are skipped: load balancers poll the one and grpcurl calls
//     the other before every request, and they would drown the log.
//  3. metrics (when Config.Metrics is set): outside the error conversion,
//     so calls are counted under the codes clients actually receive.
//  4. errors: toStatus, the one conversion of a handler's error (or a
//     recovered panic) into a status with details.
//  5. auth: inside the error conversion, so its refusals (UNAUTHENTICATED,
//     PERMISSION_DENIED, RESOURCE_EXHAUSTED) carry details like every other
//     error and are logged and counted; it lets health checks and
//     reflection through without a token, and puts the caller and the
//     write attribution (store.WriteInfo, which needs the request id) in
//     the context of everything inside it.
//  6. recovery: innermost, so a panicking handler becomes an error that
//     every stage above still handles, logs and converts. The auth stage
//     is outside it: it reads only metadata and the token table, before
//     any request message is decoded.
func chain(logger *slog.Logger, metrics *grpcprom.ServerMetrics, auth *authenticator) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
	}
	logged := selector.MatchFunc(func(_ context.Context, c interceptors.CallMeta) bool {
		return !quietServices[c.Service]
	})
	recoverPanic := recovery.WithRecoveryHandlerContext(func(_ context.Context, p any) error {
		stack := make([]byte, 64<<10)
		stack = stack[:runtime.Stack(stack, false)]
		return &panicError{value: p, stack: stack}
	})
	slogger := slogAdapter(logger)

	unary := []grpc.UnaryServerInterceptor{
		unaryRequestID,
		selector.UnaryServerInterceptor(logging.UnaryServerInterceptor(slogger, logOpts...), logged),
	}
	stream := []grpc.StreamServerInterceptor{
		streamRequestID,
		selector.StreamServerInterceptor(logging.StreamServerInterceptor(slogger, logOpts...), logged),
	}
	if metrics != nil {
		unary = append(unary, metrics.UnaryServerInterceptor())
		stream = append(stream, metrics.StreamServerInterceptor())
	}
	unary = append(unary, unaryErrors(logger), auth.unary(), recovery.UnaryServerInterceptor(recoverPanic))
	stream = append(stream, streamErrors(logger), auth.stream(), recovery.StreamServerInterceptor(recoverPanic))
	return unary, stream
}

func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		if cl, ok := ctx.Value(callLogKey{}).(*callLog); ok && cl.reviewer != "" {
			fields = append(fields, "reviewer", cl.reviewer)
		}
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}

// callLog carries what an inner stage learns about a call to the line the
// logging stage writes when the call ends: that stage fixes its fields when
// the call starts, before auth knows who the caller is. The stages of one
// call run one after the other on one goroutine, so it needs no lock.
type callLog struct {
	// reviewer is the caller's name once its token is known, so that
	// refusals name who was refused too.
	reviewer string
}

type callLogKey struct{}

// noteCaller records the caller for the call's log line.
func noteCaller(ctx context.Context, name string) {
	if cl, ok := ctx.Value(callLogKey{}).(*callLog); ok {
		cl.reviewer = name
	}
}

// quietServices are not logged (see chain).
var quietServices = map[string]bool{
	healthpb.Health_ServiceDesc.ServiceName:                    true,
	reflectionpb.ServerReflection_ServiceDesc.ServiceName:      true,
	reflectionv1alpha.ServerReflection_ServiceDesc.ServiceName: true,
}

type requestIDKey struct{}

// requestIDFrom returns the id the request-id interceptor gave the call.
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID takes the client's x-request-id when it is a sane token and
// makes one otherwise; a client id is echoed into logs, so it must not be
// able to forge log lines or bloat them.
func withRequestID(ctx context.Context) (context.Context, string) {
	var id string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if vs := md.Get(RequestIDHeader); len(vs) > 0 && validRequestID(vs[0]) {
			id = vs[0]
		}
	}
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	ctx = context.WithValue(ctx, requestIDKey{}, id)
	ctx = context.WithValue(ctx, callLogKey{}, &callLog{})
	ctx = logging.InjectFields(ctx, logging.Fields{"request_id", id})
	return ctx, id
}

func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func unaryRequestID(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, id := withRequestID(ctx)
	// The header goes out with the response or the error, whichever comes.
	_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDHeader, id))
	return handler(ctx, req)
}

func streamRequestID(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, id := withRequestID(ss.Context())
	_ = ss.SetHeader(metadata.Pairs(RequestIDHeader, id))
	w := middleware.WrapServerStream(ss)
	w.WrappedContext = ctx
	return handler(srv, w)
}

func unaryErrors(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, toStatus(ctx, logger, err)
		}
		return resp, nil
	}
}

func streamErrors(logger *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return toStatus(ss.Context(), logger, handler(srv, ss))
	}
}
