package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime"
	"strings"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	middleware "github.com/grpc-ecosystem/go-grpc-middleware/v2"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
)

// RequestIDHeader is the metadata key that carries a request's id: a client
// may send one (so its logs and the server's share it), and the server
// always returns the id it used in a response header.
const RequestIDHeader = "x-request-id"

// chain assembles the chain every call passes through, outermost
// first. The order matters:
//
//  1. calls: the request id and the log line. First, so every later stage
//     (internal-error messages, the audit log) can name the request; and
//     the line sees the status exactly as the client will, because the
//     error conversion and the recovery sit inside it. Health checks and
//     reflection are not logged: load balancers poll the one and grpcurl
//     calls the other before every request, and they would drown the log.
//  2. metrics (when Config.Metrics is set): outside the error conversion,
//     so calls are counted under the codes clients actually receive.
//  3. errors: toStatus, the one conversion of a handler's error (or a
//     recovered panic) into a status with details.
//  4. auth: inside the error conversion, so its refusals (UNAUTHENTICATED,
//     PERMISSION_DENIED, RESOURCE_EXHAUSTED) carry details like every other
//     error and are logged and counted; it lets health checks and
//     reflection through without a token, and puts the caller and the
//     write attribution (store.WriteInfo, which needs the request id) in
//     the context of everything inside it.
//  5. recovery: innermost, so a panicking handler becomes an error that
//     every stage above still handles, logs and converts. The auth stage
//     is outside it: it reads only metadata and the token table, before
//     any request message is decoded.
//
// The first stage is our own rather than go-grpc-middleware's logging
// interceptor: that one builds its fields as a map and formats times for
// every call, which cost about a sixth of a GetAnnotation's server CPU
// (pprof under factcheck-bench load); this one writes the same line from a
// few slog attributes, and nothing when the level is off.
func chain(logger *slog.Logger, metrics *grpcprom.ServerMetrics, auth *authenticator) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	recoverPanic := recovery.WithRecoveryHandlerContext(func(_ context.Context, p any) error {
		stack := make([]byte, 64<<10)
		stack = stack[:runtime.Stack(stack, false)]
		return &panicError{value: p, stack: stack}
	})
	unary := []grpc.UnaryServerInterceptor{unaryCalls(logger)}
	stream := []grpc.StreamServerInterceptor{streamCalls(logger)}
	if metrics != nil {
		unary = append(unary, metrics.UnaryServerInterceptor())
		stream = append(stream, metrics.StreamServerInterceptor())
	}
	unary = append(unary, unaryErrors(logger), auth.unary(), recovery.UnaryServerInterceptor(recoverPanic))
	stream = append(stream, streamErrors(logger), auth.stream(), recovery.StreamServerInterceptor(recoverPanic))
	return unary, stream
}

// callInfo is what the stages of one call learn about it: the request id,
// and the caller once auth knows it, for the line written when the call
// ends. The stages of one call run one after the other on one goroutine
// (a stream's handler runs on the goroutine that logs it), so it needs no
// lock.
type callInfo struct {
	requestID string
	// reviewer is the caller's name once its token is known, so that
	// refusals name who was refused too.
	reviewer string
}

type callInfoKey struct{}

// noteCaller records the caller for the call's log line.
func noteCaller(ctx context.Context, name string) {
	if ci, ok := ctx.Value(callInfoKey{}).(*callInfo); ok {
		ci.reviewer = name
	}
}

// quietServices are not logged (see chain).
var quietServices = map[string]bool{
	healthpb.Health_ServiceDesc.ServiceName:                    true,
	reflectionpb.ServerReflection_ServiceDesc.ServiceName:      true,
	reflectionv1alpha.ServerReflection_ServiceDesc.ServiceName: true,
}

// requestIDFrom returns the id the first stage gave the call.
func requestIDFrom(ctx context.Context) string {
	if ci, ok := ctx.Value(callInfoKey{}).(*callInfo); ok {
		return ci.requestID
	}
	return ""
}

// withRequestID takes the client's x-request-id when it is a sane token and
// makes one otherwise; a client id is echoed into logs, so it must not be
// able to forge log lines or bloat them.
func withRequestID(ctx context.Context) (context.Context, *callInfo) {
	var id string
	// Not FromIncomingContext, which copies every header of the call.
	if vs := metadata.ValueFromIncomingContext(ctx, RequestIDHeader); len(vs) > 0 && validRequestID(vs[0]) {
		id = vs[0]
	}
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	ci := &callInfo{requestID: id}
	return context.WithValue(ctx, callInfoKey{}, ci), ci
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

func unaryCalls(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, ci := withRequestID(ctx)
		// The header goes out with the response or the error, whichever comes.
		_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDHeader, ci.requestID))
		start := time.Now()
		resp, err := handler(ctx, req)
		logCall(ctx, logger, info.FullMethod, "unary", ci, start, err)
		return resp, err
	}
}

func streamCalls(logger *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, ci := withRequestID(ss.Context())
		_ = ss.SetHeader(metadata.Pairs(RequestIDHeader, ci.requestID))
		w := middleware.WrapServerStream(ss)
		w.WrappedContext = ctx
		start := time.Now()
		err := handler(srv, w)
		kind := "server_stream"
		switch {
		case info.IsClientStream && info.IsServerStream:
			kind = "bidi_stream"
		case info.IsClientStream:
			kind = "client_stream"
		}
		logCall(ctx, logger, info.FullMethod, kind, ci, start, err)
		return err
	}
}

// logCall writes the line of a finished call: at INFO for the codes a
// well-behaved client gets, WARN for the ones that need its attention,
// ERROR for the server's own failures (go-grpc-middleware's levels).
func logCall(ctx context.Context, logger *slog.Logger, fullMethod, kind string, ci *callInfo, start time.Time, err error) {
	service, method := splitMethod(fullMethod)
	if quietServices[service] {
		return
	}
	code := status.Code(err)
	level := codeLevel(code)
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs,
		slog.String("grpc.service", service),
		slog.String("grpc.method", method),
		slog.String("grpc.method_type", kind),
		slog.String("request_id", ci.requestID))
	if ci.reviewer != "" {
		attrs = append(attrs, slog.String("reviewer", ci.reviewer))
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		attrs = append(attrs, slog.String("peer.address", p.Addr.String()))
	}
	attrs = append(attrs, slog.String("grpc.code", code.String()))
	if err != nil {
		attrs = append(attrs, slog.String("grpc.error", err.Error()))
	}
	attrs = append(attrs, slog.Float64("grpc.time_ms", float64(time.Since(start).Microseconds())/1000))
	logger.LogAttrs(ctx, level, "finished call", attrs...)
}

func codeLevel(c codes.Code) slog.Level {
	switch c {
	case codes.OK, codes.Canceled, codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.Unauthenticated:
		return slog.LevelInfo
	case codes.Unknown, codes.Unimplemented, codes.Internal, codes.DataLoss:
		return slog.LevelError
	}
	return slog.LevelWarn
}

// splitMethod splits "/pkg.Service/Method".
func splitMethod(fullMethod string) (service, method string) {
	s := strings.TrimPrefix(fullMethod, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
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
