// Package client is the Go client library of factcheck, used by editorial
// tools and the factcheck CLI. It owns the connection (plaintext by default,
// TLS and a bearer token on request), typed access to the three services,
// a health-based readiness check, and the translation of server statuses
// back into the store's sentinel errors, so callers write
// errors.Is(err, store.ErrNotFound) on both sides of the wire.
//
// Bulk, Admin, Changes, Reviewers and Audit expose the other services on the
// same connection and with the same error conversion, so one Client serves a
// tool whole.
//
// It depends on the API (api/factcheck/v1) and on store for the error
// vocabulary only; it never imports the server.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// DefaultMaxRecvMsgBytes bounds one response. A page of articles with their
// texts (up to 1 MiB each) outgrows grpc-go's 4 MiB default; the server keeps
// such pages to a few MiB of text, well inside this limit.
const DefaultMaxRecvMsgBytes = 64 << 20

// Option configures New.
type Option func(*options)

type options struct {
	creds        credentials.TransportCredentials
	token        string
	waitReady    bool
	maxRecvBytes int
	userAgent    string
	dialOpts     []grpc.DialOption
}

// WithTLS connects over TLS with cfg (nil means the system roots and the
// address's host name).
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) { o.creds = credentials.NewTLS(cfg) }
}

// WithTransportCredentials connects with the given transport credentials
// instead of plaintext.
func WithTransportCredentials(c credentials.TransportCredentials) Option {
	return func(o *options) { o.creds = c }
}

// WithToken sends `authorization: Bearer <token>` with every call. Over
// plaintext the token crosses the network in the clear: use WithTLS for
// anything but a local server.
func WithToken(token string) Option {
	return func(o *options) { o.token = token }
}

// WithWaitReady makes New wait, bounded by its context, until the server's
// health service reports SERVING, so a tool started alongside the server
// fails or proceeds at once instead of on its first call.
func WithWaitReady() Option {
	return func(o *options) { o.waitReady = true }
}

// WithMaxRecvMsgBytes bounds one response message to n bytes instead of
// DefaultMaxRecvMsgBytes; n <= 0 keeps the default. A larger response fails
// with RESOURCE_EXHAUSTED on the client's side.
func WithMaxRecvMsgBytes(n int) Option {
	return func(o *options) { o.maxRecvBytes = n }
}

// WithUserAgent names the tool in the user agent the server sees (and logs),
// ahead of grpc-go's own; the default is "factcheck-go-client".
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// WithDialOptions appends grpc.DialOptions, applied after the client's own
// (so they win).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// Client talks to one factcheck server. Its methods are safe for concurrent
// use. Errors returned by the typed service clients are *Error values (see
// Error) whenever the server's status maps to a store sentinel.
type Client struct {
	conn        *grpc.ClientConn // nil when the caller owns the connection
	cc          grpc.ClientConnInterface
	articles    factcheckv1.ArticleServiceClient
	annotations factcheckv1.AnnotationServiceClient
	sources     factcheckv1.SourceServiceClient
	bulk        factcheckv1.BulkServiceClient
	admin       factcheckv1.AdminServiceClient
	changes     factcheckv1.ChangeServiceClient
	reviewers   factcheckv1.ReviewerServiceClient
	audit       factcheckv1.AuditServiceClient
	health      healthpb.HealthClient
}

// New connects to the factcheck server at addr ("host:port" or any gRPC
// target). The connection is made lazily unless WithWaitReady is given; ctx
// bounds only that wait.
func New(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	creds := o.creds
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	maxRecv := o.maxRecvBytes
	if maxRecv <= 0 {
		maxRecv = DefaultMaxRecvMsgBytes
	}
	ua := o.userAgent
	if ua == "" {
		ua = "factcheck-go-client"
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecv)),
		grpc.WithUserAgent(ua),
	}
	if o.token != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearerToken(o.token)))
	}
	dial = append(dial, o.dialOpts...)
	conn, err := grpc.NewClient(addr, dial...)
	if err != nil {
		return nil, fmt.Errorf("factcheck client for %q: %w", addr, err)
	}
	c := newClient(conn)
	c.conn = conn
	if o.waitReady {
		if err := c.ready(ctx, grpc.WaitForReady(true)); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("factcheck server at %q is not ready: %w", addr, err)
		}
	}
	return c, nil
}

// NewFromConn wraps a connection the caller made and keeps owning: Close
// leaves it open. Errors are converted as with New.
func NewFromConn(conn grpc.ClientConnInterface) *Client {
	return newClient(conn)
}

func newClient(conn grpc.ClientConnInterface) *Client {
	cc := errConn{conn}
	return &Client{
		cc:          cc,
		articles:    factcheckv1.NewArticleServiceClient(cc),
		annotations: factcheckv1.NewAnnotationServiceClient(cc),
		sources:     factcheckv1.NewSourceServiceClient(cc),
		bulk:        factcheckv1.NewBulkServiceClient(cc),
		admin:       factcheckv1.NewAdminServiceClient(cc),
		changes:     factcheckv1.NewChangeServiceClient(cc),
		reviewers:   factcheckv1.NewReviewerServiceClient(cc),
		audit:       factcheckv1.NewAuditServiceClient(cc),
		health:      healthpb.NewHealthClient(cc),
	}
}

// Close closes the connection New made; it does nothing for NewFromConn.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// Articles returns the ArticleService client.
func (c *Client) Articles() factcheckv1.ArticleServiceClient { return c.articles }

// Annotations returns the AnnotationService client.
func (c *Client) Annotations() factcheckv1.AnnotationServiceClient { return c.annotations }

// Sources returns the SourceService client.
func (c *Client) Sources() factcheckv1.SourceServiceClient { return c.sources }

// Bulk returns the BulkService client. Errors on its streams convert as on
// the other services; io.EOF, a stream's normal end, passes unchanged.
func (c *Client) Bulk() factcheckv1.BulkServiceClient { return c.bulk }

// Admin returns the AdminService client.
func (c *Client) Admin() factcheckv1.AdminServiceClient { return c.admin }

// Changes returns the ChangeService client, the change feed. Its errors
// convert as on the other services; a watch ended for falling behind has
// Reason(err) "WATCH_TOO_SLOW", and its ErrorInfo metadata
// (resume_after_sequence) says where to resume.
func (c *Client) Changes() factcheckv1.ChangeServiceClient { return c.changes }

// Reviewers returns the ReviewerService client: reviewers, their roles and
// tokens (ROLE_ADMIN), and GetCurrentReviewer, "who am I", for every role.
// A call refused by the auth layer has the store's sentinel too:
// errors.Is(err, store.ErrUnauthenticated) or store.ErrPermissionDenied.
func (c *Client) Reviewers() factcheckv1.ReviewerServiceClient { return c.reviewers }

// Audit returns the AuditService client, the audit log (ROLE_ADMIN).
func (c *Client) Audit() factcheckv1.AuditServiceClient { return c.audit }

// Conn returns the connection with the client's error conversion, for
// services this package does not wrap (a newer API version, a newsroom's
// own service on the same server); it shares the client's credentials and
// token.
func (c *Client) Conn() grpc.ClientConnInterface { return c.cc }

// ErrNotServing is returned by Ready when the server answers but reports a
// status other than SERVING.
var ErrNotServing = errors.New("factcheck server is not serving")

// Ready reports whether the server is up and serving: nil when its health
// service says SERVING, an error saying why not otherwise. It does not wait
// for a connection that is not there yet.
func (c *Client) Ready(ctx context.Context) error {
	return c.ready(ctx)
}

func (c *Client) ready(ctx context.Context, opts ...grpc.CallOption) error {
	resp, err := c.health.Check(ctx, &healthpb.HealthCheckRequest{}, opts...)
	if err != nil {
		return err
	}
	if s := resp.GetStatus(); s != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("%w (health status %s)", ErrNotServing, s)
	}
	return nil
}

// bearerToken sends the token as the authorization header of every call.
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity is false so that a local plaintext server can be
// used with a token too; WithToken's doc warns about it.
func (bearerToken) RequireTransportSecurity() bool { return false }
