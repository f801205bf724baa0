package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/client"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serve starts the real server over a real bbolt file and returns its
// address and the secret of a token of its admin, as factcheckd's bootstrap
// makes them.
func serve(t *testing.T) (addr, token string) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "factcheck.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	token, err = server.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.BootstrapReviewer(t.Context(), &store.Reviewer{ID: "admin", Role: store.RoleAdmin},
		&store.Token{ReviewerID: "admin", SecretHash: server.HashSecret(token)}); err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return listen(t, srv, func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}), token
}

func listen(t *testing.T, srv *grpc.Server, after func()) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
		after()
	})
	return lis.Addr().String()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, addr string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(ctxT(t), addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestStoreErrors: every store sentinel survives the round trip, and the
// error is still a status with its details.
func TestStoreErrors(t *testing.T) {
	addr, token := serve(t)
	c := newClient(t, addr, client.WithWaitReady(), client.WithToken(token))
	ctx := ctxT(t)
	art, err := c.Articles().CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "shafaq-talks", Article: &factcheckv1.Article{
		Url: "https://shafaq.example/en/talks", Text: "The Washington Post reported that talks have been ongoing.",
	}})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := c.Annotations().CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
		Parent: art.GetArticle().GetName(),
		Annotation: &factcheckv1.Annotation{
			Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "talks have been ongoing"}},
			Claim:  &factcheckv1.Claim{Text: "Talks are ongoing."},
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		call     func() error
		sentinel error
		code     codes.Code
		reason   string
		resource string
		fields   []string
	}{
		{
			name: "not found",
			call: func() error {
				_, err := c.Articles().GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: "articles/nope"})
				return err
			},
			sentinel: store.ErrNotFound, code: codes.NotFound, reason: "ARTICLE_NOT_FOUND", resource: "articles/nope",
		},
		{
			name: "already exists",
			call: func() error {
				_, err := c.Articles().CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "shafaq-talks", Article: &factcheckv1.Article{Url: "https://example.com/x", Text: "x"}})
				return err
			},
			sentinel: store.ErrAlreadyExists, code: codes.AlreadyExists, reason: "ARTICLE_ALREADY_EXISTS", resource: "articles/shafaq-talks",
		},
		{
			name: "conflict",
			call: func() error {
				_, err := c.Annotations().DeleteAnnotation(ctx, &factcheckv1.DeleteAnnotationRequest{Name: ann.GetAnnotation().GetName(), Etag: "stale"})
				return err
			},
			sentinel: store.ErrConflict, code: codes.Aborted, reason: "ETAG_MISMATCH", resource: ann.GetAnnotation().GetName(),
		},
		{
			name: "failed precondition",
			call: func() error {
				_, err := c.Articles().DeleteArticle(ctx, &factcheckv1.DeleteArticleRequest{Name: art.GetArticle().GetName()})
				return err
			},
			sentinel: store.ErrFailedPrecondition, code: codes.FailedPrecondition, reason: "ARTICLE_HAS_ANNOTATIONS", resource: "articles/shafaq-talks",
		},
		{
			name: "invalid argument from validation",
			call: func() error {
				_, err := c.Annotations().CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{Parent: "articles/shafaq-talks", Annotation: &factcheckv1.Annotation{}})
				return err
			},
			sentinel: store.ErrInvalidArgument, code: codes.InvalidArgument, reason: "FIELD_REQUIRED",
			fields: []string{"annotation.anchor.quote.exact", "annotation.claim.text"},
		},
		{
			name: "invalid argument from the store",
			call: func() error {
				_, err := c.Annotations().CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{Parent: "articles/shafaq-talks", Annotation: &factcheckv1.Annotation{
					Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "talks began in 2022"}},
					Claim:  &factcheckv1.Claim{Text: "x"},
				}})
				return err
			},
			sentinel: store.ErrInvalidArgument, code: codes.InvalidArgument, reason: "QUOTE_NOT_FOUND",
			fields: []string{"annotation.anchor.quote.exact"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			for _, other := range []error{store.ErrNotFound, store.ErrAlreadyExists, store.ErrConflict, store.ErrFailedPrecondition, store.ErrInvalidArgument} {
				if other != tc.sentinel && errors.Is(err, other) {
					t.Errorf("errors.Is(err, %v) = true as well", other)
				}
			}
			if got := status.Code(err); got != tc.code {
				t.Errorf("status.Code = %v, want %v", got, tc.code)
			}
			if st, ok := status.FromError(err); !ok || len(st.Details()) == 0 {
				t.Errorf("status.FromError lost the status or its details: %v %v", st, ok)
			}
			if got := client.Reason(err); got != tc.reason {
				t.Errorf("Reason = %q, want %q", got, tc.reason)
			}
			var se *store.Error
			if !errors.As(err, &se) {
				t.Fatal("errors.As(*store.Error) = false")
			}
			if se.Reason != tc.reason || se.Kind != tc.sentinel || (tc.resource != "" && se.Resource != tc.resource) || se.Message == "" {
				t.Errorf("store.Error = %+v", se)
			}
			var got []string
			for _, v := range client.FieldViolations(err) {
				got = append(got, v.Field)
				if v.Description == "" {
					t.Errorf("violation of %s has no description", v.Field)
				}
			}
			if len(got) != len(tc.fields) {
				t.Fatalf("FieldViolations = %v, want %v", got, tc.fields)
			}
			for i := range got {
				if got[i] != tc.fields[i] {
					t.Errorf("FieldViolations = %v, want %v", got, tc.fields)
				}
			}
			if len(se.Violations) != len(tc.fields) {
				t.Errorf("store.Error.Violations = %v, want %v", se.Violations, tc.fields)
			}
		})
	}

	// Canceled calls unwrap to the context error.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Articles().GetArticle(canceled, &factcheckv1.GetArticleRequest{Name: "articles/shafaq-talks"})
	if !errors.Is(err, context.Canceled) || status.Code(err) != codes.Canceled {
		t.Errorf("canceled call: %v", err)
	}
}

// TestReadyAndClose: Ready reports a serving server and fails once it is
// gone; a connection passed to NewFromConn stays the caller's.
func TestReadyAndClose(t *testing.T) {
	addr, token := serve(t)
	c := newClient(t, addr)
	if err := c.Ready(ctxT(t)); err != nil {
		t.Fatalf("Ready: %v", err)
	}

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fc := client.NewFromConn(conn)
	if err := fc.Ready(ctxT(t)); err != nil {
		t.Fatalf("Ready through NewFromConn: %v", err)
	}
	_, err = fc.Sources().GetSource(ctxT(t), &factcheckv1.GetSourceRequest{Name: "sources/nope"})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("NewFromConn does not convert errors: %v", err)
	}
	if err := fc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fc.Ready(ctxT(t)); err != nil {
		t.Errorf("Close of a NewFromConn client closed the caller's connection: %v", err)
	}

	// Nothing listens here: Ready fails fast, WithWaitReady gives up with
	// its context.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := lis.Addr().String()
	_ = lis.Close()
	down := newClient(t, dead)
	if err := down.Ready(ctxT(t)); status.Code(err) != codes.Unavailable {
		t.Errorf("Ready with no server = %v, want Unavailable", err)
	}
	short, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if c, err := client.New(short, dead, client.WithWaitReady()); err == nil {
		_ = c.Close()
		t.Error("New with WithWaitReady succeeded with no server")
	}
}

// TestNotServing: a server that answers but is not SERVING is not ready.
func TestNotServing(t *testing.T) {
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	c := newClient(t, listen(t, srv, func() {}))
	if err := c.Ready(ctxT(t)); !errors.Is(err, client.ErrNotServing) {
		t.Errorf("Ready = %v, want ErrNotServing", err)
	}
}

// TestToken: WithToken sends a bearer token on every call, the real server
// accepts it, and Reviewers and Audit reach their services.
func TestToken(t *testing.T) {
	got := make(chan metadata.MD, 1)
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		select {
		case got <- md:
		default:
		}
		return h(ctx, req)
	}))
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	c := newClient(t, listen(t, srv, func() {}), client.WithToken("s3cret"))
	if err := c.Ready(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if md := <-got; len(md.Get("authorization")) != 1 || md.Get("authorization")[0] != "Bearer s3cret" {
		t.Errorf("authorization = %v", md.Get("authorization"))
	}

	addr, token := serve(t)
	withToken := newClient(t, addr, client.WithToken(token))
	if _, err := withToken.Sources().ListSources(ctxT(t), &factcheckv1.ListSourcesRequest{}); err != nil {
		t.Errorf("the server refused a call with a token: %v", err)
	}
	me, err := withToken.Reviewers().GetCurrentReviewer(ctxT(t), &factcheckv1.GetCurrentReviewerRequest{})
	if err != nil || me.GetReviewer().GetName() != "reviewers/admin" {
		t.Errorf("GetCurrentReviewer: %v %v", me, err)
	}
	if v, err := withToken.Audit().VerifyAuditLog(ctxT(t), &factcheckv1.VerifyAuditLogRequest{}); err != nil || !v.GetValid() {
		t.Errorf("VerifyAuditLog: %v %v", v, err)
	}

	// Refusals convert to the store's sentinels like every other error.
	_, err = newClient(t, addr).Sources().ListSources(ctxT(t), &factcheckv1.ListSourcesRequest{})
	if !errors.Is(err, store.ErrUnauthenticated) || client.Reason(err) != "TOKEN_MISSING" {
		t.Errorf("without a token: %v (reason %q), want ErrUnauthenticated TOKEN_MISSING", err, client.Reason(err))
	}
	created, err := withToken.Reviewers().CreateToken(ctxT(t), &factcheckv1.CreateTokenRequest{Parent: "reviewers/admin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := withToken.Reviewers().CreateReviewer(ctxT(t), &factcheckv1.CreateReviewerRequest{
		ReviewerId: "vera", Reviewer: &factcheckv1.Reviewer{Role: factcheckv1.Reviewer_ROLE_VIEWER}}); err != nil {
		t.Fatal(err)
	}
	viewerToken, err := withToken.Reviewers().CreateToken(ctxT(t), &factcheckv1.CreateTokenRequest{Parent: "reviewers/vera"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, addr, client.WithToken(viewerToken.GetSecret())).Audit().VerifyAuditLog(ctxT(t), &factcheckv1.VerifyAuditLogRequest{})
	if !errors.Is(err, store.ErrPermissionDenied) || client.Reason(err) != "PERMISSION_DENIED" {
		t.Errorf("a viewer reading the audit log: %v, want ErrPermissionDenied", err)
	}
	if _, err := newClient(t, addr, client.WithToken(created.GetSecret())).Reviewers().GetCurrentReviewer(ctxT(t), &factcheckv1.GetCurrentReviewerRequest{}); err != nil {
		t.Errorf("a token made through the client: %v", err)
	}
}

// bearer sends a token with grpc-go's own dial options, for connections
// the test makes itself.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

// TestBulkAndAdmin: Bulk and Admin reach the real services on the client's
// connection, their stream errors convert to store sentinels like the
// unary ones, and a backup taken through Admin opens as a database holding
// what was imported.
func TestBulkAndAdmin(t *testing.T) {
	addr, token := serve(t)
	c := newClient(t, addr, client.WithToken(token))
	ctx := ctxT(t)

	imp, err := c.Bulk().Import(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = imp.Send(&factcheckv1.ImportRequest{Records: []*factcheckv1.ImportRecord{
		{Record: &factcheckv1.ImportRecord_Article{Article: &factcheckv1.Article{Url: "https://a.example/1", Text: "Talks have been ongoing."}}},
		{Record: &factcheckv1.ImportRecord_Annotation{Annotation: &factcheckv1.AnnotationImport{Parent: "https://a.example/1", Annotation: &factcheckv1.Annotation{
			ExternalId: "x1",
			Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "ongoing"}},
			Claim:      &factcheckv1.Claim{Text: "Talks are ongoing."},
		}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var summary *factcheckv1.ImportSummary
	for {
		resp, err := imp.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if s := resp.GetSummary(); s != nil {
			summary = s
		}
	}
	if summary.GetCreated() != 2 || !summary.GetCommitted() {
		t.Fatalf("import summary %v, want 2 created and committed", summary)
	}

	// A stream the server refuses: the error arrives on Recv and converts.
	exp, err := c.Bulk().Export(ctx, &factcheckv1.ExportRequest{Filter: "not a ( filter"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = exp.Recv()
	if !errors.Is(err, store.ErrInvalidArgument) || status.Code(err) != codes.InvalidArgument {
		t.Errorf("export with a bad filter: %v, want ErrInvalidArgument", err)
	}

	backup, err := c.Admin().Backup(ctx, &factcheckv1.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var (
		data  []byte
		total int64
	)
	for {
		msg, err := backup.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if data == nil {
			total = msg.GetTotalBytes()
		}
		data = append(data, msg.GetData()...)
	}
	if total == 0 || int64(len(data)) != total {
		t.Fatalf("backup of %d bytes, first chunk announced %d", len(data), total)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	anns, _, err := st.ListAnnotations(ctx, "", store.ListQuery{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(anns) != 1 || anns[0].ExternalID != "x1" {
		t.Errorf("the backup holds annotations %+v, want the one imported", anns)
	}
}

// TestConn: the raw connection converts errors too, for stubs made on it.
func TestConn(t *testing.T) {
	addr, token := serve(t)
	c := newClient(t, addr, client.WithToken(token))
	_, err := factcheckv1.NewSourceServiceClient(c.Conn()).GetSource(ctxT(t), &factcheckv1.GetSourceRequest{Name: "sources/nope"})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSource through Conn: %v, want ErrNotFound", err)
	}
}

// TestMaxRecvMsgBytes: a response over the limit fails on the client's
// side; the default limit takes an article of the largest size allowed.
func TestMaxRecvMsgBytes(t *testing.T) {
	addr, token := serve(t)
	ctx := ctxT(t)
	big := strings.Repeat("word ", 200_000) // 1 MB, a long article
	if _, err := newClient(t, addr, client.WithToken(token)).Articles().CreateArticle(ctx, &factcheckv1.CreateArticleRequest{
		ArticleId: "long", Article: &factcheckv1.Article{Url: "https://a.example/long", Text: big},
	}); err != nil {
		t.Fatal(err)
	}
	get := &factcheckv1.GetArticleRequest{Name: "articles/long", View: factcheckv1.ArticleView_ARTICLE_VIEW_FULL}
	small := newClient(t, addr, client.WithToken(token), client.WithMaxRecvMsgBytes(64<<10))
	if _, err := small.Articles().GetArticle(ctx, get); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("1 MB article with a 64 KiB limit: %v, want RESOURCE_EXHAUSTED", err)
	}
	resp, err := newClient(t, addr, client.WithToken(token), client.WithMaxRecvMsgBytes(0)).Articles().GetArticle(ctx, get)
	if err != nil || len(resp.GetArticle().GetText()) != len(big) {
		t.Errorf("1 MB article with the default limit: %d bytes, %v", len(resp.GetArticle().GetText()), err)
	}
}

// TestUserAgent: the server sees the tool's name ahead of grpc-go's.
func TestUserAgent(t *testing.T) {
	got := make(chan metadata.MD, 1)
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		got <- md
		return h(ctx, req)
	}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	addr := listen(t, srv, func() {})
	for _, tc := range []struct {
		opts []client.Option
		want string
	}{
		{nil, "factcheck-go-client "},
		{[]client.Option{client.WithUserAgent("factcheck-cli")}, "factcheck-cli "},
	} {
		if err := newClient(t, addr, tc.opts...).Ready(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if ua := (<-got).Get("user-agent"); len(ua) != 1 || !strings.HasPrefix(ua[0], tc.want) {
			t.Errorf("user-agent = %q, want it to start with %q", ua, tc.want)
		}
	}
}

// TestChanges reads the change feed through the client: the list, a watch
// that sees the backlog, and a bad filter converted to a store error.
func TestChanges(t *testing.T) {
	addr, token := serve(t)
	c := newClient(t, addr, client.WithToken(token))
	ctx := ctxT(t)
	art, err := c.Articles().CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{Url: "https://a.example/feed", Text: "text"}})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.Changes().ListChanges(ctx, &factcheckv1.ListChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetChanges()) != 1 || list.GetChanges()[0].GetType() != factcheckv1.Change_TYPE_CREATED || list.GetChanges()[0].GetResource() != art.GetArticle().GetName() {
		t.Fatalf("changes = %v, want the article's creation", list.GetChanges())
	}
	watch, err := c.Changes().WatchChanges(ctx, &factcheckv1.WatchChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := watch.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetChanges()) == 0 || got.GetChanges()[0].GetSequence() != list.GetChanges()[0].GetSequence() {
		t.Errorf("watch began with %v, want the backlog", got)
	}
	_, err = c.Changes().ListChanges(ctx, &factcheckv1.ListChangesRequest{Filter: "nonsense ==="})
	if !errors.Is(err, store.ErrInvalidArgument) || client.Reason(err) == "" {
		t.Errorf("bad filter: %v (reason %q), want an invalid-argument store error with a reason", err, client.Reason(err))
	}
}
