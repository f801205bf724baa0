package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/internal/testdaemon"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if daemonBuild.dir != "" {
			os.RemoveAll(daemonBuild.dir)
		}
	}))
}

// env is a real server on 127.0.0.1:0 over a real bbolt file, and a
// connection to it that sends one reviewer's token with every call: the
// admin bootstrapped with the store for newEnv, another reviewer for as,
// none for anon.
type env struct {
	conn        *grpc.ClientConn
	articles    factcheckv1.ArticleServiceClient
	annotations factcheckv1.AnnotationServiceClient
	sources     factcheckv1.SourceServiceClient
	reviewers   factcheckv1.ReviewerServiceClient
	audit       factcheckv1.AuditServiceClient
	bulk        factcheckv1.BulkServiceClient
	changes     factcheckv1.ChangeServiceClient
	admin       factcheckv1.AdminServiceClient
	logs        *testdaemon.Buffer
	// st is the server's store, for what no RPC does (the purge sweep,
	// reviewers and tokens made behind the API's back).
	st *boltstore.Store
	// srv is the server, for what it registers (GetServiceInfo).
	srv *grpc.Server
	// addr is the server's address; creds how the test's connections
	// reach it (plaintext unless the test serves TLS).
	addr  string
	creds credentials.TransportCredentials
	// reviewerID is the reviewer whose token conn sends and secret that
	// token's secret; both empty for anon.
	reviewerID string
	secret     string
}

// adminID is the reviewer newEnv bootstraps, an admin; every env of a
// test but as and anon calls as it, so what those write is by
// "reviewers/admin".
const adminID = "admin"

// purge runs the purge sweep as if the retention had passed for every
// deleted resource, and returns how many it purged.
func (e *env) purge(t *testing.T) int {
	t.Helper()
	n, err := e.st.Purge(t.Context(), time.Now().Add(boltstore.DefaultRetention+time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newEnv starts a server; register may add test-only services to it before
// it serves, so they run behind the same interceptor chain (their methods
// need articles.read, which every role holds).
func newEnv(t *testing.T, register ...func(*grpc.Server)) *env {
	t.Helper()
	return newEnvWith(t, server.Config{}, register...)
}

// newEnvWith is newEnv for a server configured with cfg (its Logger is
// replaced by one the test can read).
func newEnvWith(t *testing.T, cfg server.Config, register ...func(*grpc.Server)) *env {
	t.Helper()
	return startEnv(t, cfg, envOptions{}, register...)
}

// envOptions are startEnv's less common settings.
type envOptions struct {
	// creds is how the test's clients connect; nil: plaintext.
	creds credentials.TransportCredentials
	// wrap, when set, gives the server wrap(st) instead of the store.
	wrap func(*boltstore.Store) store.Store
	// path is the database file; empty: a new one in t.TempDir(). The
	// server stops and the file closes when t ends, so a test can serve
	// one file in turn from subtests.
	path string
	// noCheck skips the consistency check at the end, for a file the test
	// damaged on purpose.
	noCheck bool
}

// startEnv is newEnvWith with opts.
func startEnv(t *testing.T, cfg server.Config, opts envOptions, register ...func(*grpc.Server)) *env {
	t.Helper()
	creds := opts.creds
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	path := opts.path
	if path == "" {
		path = filepath.Join(t.TempDir(), "factcheck.db")
	}
	st, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	secret := adminSecret(t, st)
	logs := &testdaemon.Buffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	if len(register) > 0 {
		cfg.MethodPermissions = testServicePermissions(cfg.MethodPermissions, register)
	}
	var served store.Store = st
	if opts.wrap != nil {
		served = opts.wrap(st)
	}
	srv := server.New(served, cfg)
	for _, r := range register {
		r(srv)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	// Registered before the connections' own cleanups, so it runs after
	// them: every connection closes before the server stops.
	t.Cleanup(func() {
		srv.Stop()
		<-done
		if !opts.noCheck {
			if err := st.Check(); err != nil {
				t.Errorf("bbolt consistency check: %v", err)
			}
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	base := &env{logs: logs, st: st, srv: srv, addr: lis.Addr().String(), creds: creds}
	return base.with(t, adminID, secret)
}

// adminSecret returns the secret of a token of the admin of st: on an
// empty database it bootstraps the admin, as factcheckd does, and on one
// that has it (a server restarted on its file) it adds a token. For tests
// that open and serve a store themselves.
func adminSecret(tb testing.TB, st *boltstore.Store) string {
	tb.Helper()
	secret, err := server.NewTokenSecret()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := store.WithWriteInfo(context.Background(), store.WriteInfo{Actor: "system/bootstrap"})
	tok := &store.Token{ReviewerID: adminID, DisplayName: "test harness", SecretHash: server.HashSecret(secret)}
	made, err := st.BootstrapReviewer(ctx, &store.Reviewer{ID: adminID, DisplayName: "Test Admin", Role: store.RoleAdmin}, tok)
	if err != nil {
		tb.Fatalf("BootstrapReviewer: %v", err)
	}
	if !made {
		if _, err := st.CreateToken(ctx, tok); err != nil {
			tb.Fatalf("token of %s: %v", adminID, err)
		}
	}
	return secret
}

// testServicePermissions gives every method of the test-only services that
// register adds articles.read, on top of extra: the server denies methods
// it has no permission for. It finds their names by registering them on a
// server that never serves.
func testServicePermissions(extra map[string]server.Permission, register []func(*grpc.Server)) map[string]server.Permission {
	probe := grpc.NewServer()
	defer probe.Stop()
	for _, r := range register {
		r(probe)
	}
	perms := make(map[string]server.Permission)
	for svc, info := range probe.GetServiceInfo() {
		for _, m := range info.Methods {
			perms["/"+svc+"/"+m.Name] = server.PermArticlesRead
		}
	}
	for m, p := range extra {
		perms[m] = p
	}
	return perms
}

// as returns an env calling the same server as reviewer id with role: it
// creates the reviewer through the store when it does not exist yet (a
// reviewer that exists must have role) and a new token for it.
func (e *env) as(t *testing.T, id string, role store.Role) *env {
	t.Helper()
	ctx := store.WithWriteInfo(ctxT(t), store.WriteInfo{Actor: "system/test"})
	r, err := e.st.GetReviewer(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		r, err = e.st.CreateReviewer(ctx, &store.Reviewer{ID: id, DisplayName: id, Role: role})
		if errors.Is(err, store.ErrAlreadyExists) {
			// A parallel subtest made it first.
			r, err = e.st.GetReviewer(ctx, id)
		}
	}
	if err != nil {
		t.Fatalf("reviewer %s: %v", id, err)
	}
	if r.Role != role {
		t.Fatalf("reviewer %s exists with role %v, not %v", id, r.Role, role)
	}
	return e.with(t, id, e.newToken(t, id, store.Token{}))
}

// newToken stores a token of reviewer id (tok's ReviewerID, SecretHash and
// ID are set here; its DisplayName and ExpireTime are kept) through the
// store and returns its secret.
func (e *env) newToken(t *testing.T, id string, tok store.Token) string {
	t.Helper()
	secret, err := server.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	tok.ID = ""
	tok.ReviewerID = id
	tok.SecretHash = server.HashSecret(secret)
	if tok.DisplayName == "" {
		tok.DisplayName = "test token"
	}
	ctx := store.WithWriteInfo(ctxT(t), store.WriteInfo{Actor: "system/test"})
	if _, err := e.st.CreateToken(ctx, &tok); err != nil {
		t.Fatalf("token of %s: %v", id, err)
	}
	return secret
}

// anon returns an env calling the same server without a token.
func (e *env) anon(t *testing.T) *env {
	t.Helper()
	return e.with(t, "", "")
}

// withSecret returns an env calling the same server with an arbitrary
// authorization secret (reviewerID unknown to the env).
func (e *env) withSecret(t *testing.T, secret string) *env {
	t.Helper()
	return e.with(t, "", secret)
}

// with returns an env on a new connection to e's server that sends secret
// (none when empty); the connection closes when the test ends.
func (e *env) with(t *testing.T, reviewerID, secret string) *env {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(e.creds)}
	if secret != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(secret)))
	}
	conn, err := grpc.NewClient(e.addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &env{
		conn:        conn,
		articles:    factcheckv1.NewArticleServiceClient(conn),
		annotations: factcheckv1.NewAnnotationServiceClient(conn),
		sources:     factcheckv1.NewSourceServiceClient(conn),
		reviewers:   factcheckv1.NewReviewerServiceClient(conn),
		audit:       factcheckv1.NewAuditServiceClient(conn),
		bulk:        factcheckv1.NewBulkServiceClient(conn),
		changes:     factcheckv1.NewChangeServiceClient(conn),
		admin:       factcheckv1.NewAdminServiceClient(conn),
		logs:        e.logs,
		st:          e.st,
		srv:         e.srv,
		addr:        e.addr,
		creds:       e.creds,
		reviewerID:  reviewerID,
		secret:      secret,
	}
}

// bearer sends `authorization: Bearer <secret>` with every call, over
// plaintext too (the test servers listen on loopback).
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// shafaqArticle is the Shafaq News sample the project started from.
func shafaqArticle(t *testing.T) *factcheckv1.Article {
	t.Helper()
	var a factcheckv1.Article
	readJSON(t, "shafaq-talks.article.json", &a)
	return &a
}

func readJSON(t *testing.T, name string, m proto.Message) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

const (
	wapoURL   = "https://www.washingtonpost.com/world/2023/10/10/example/"
	wapoQuote = "have been ongoing even before the attack launched by Hamas on Israel on October 7, 2023"
)

// seed stores the Shafaq article, The Washington Post source and one
// annotation citing it, as the README walk-through does.
func (e *env) seed(t *testing.T) (*factcheckv1.Article, *factcheckv1.Source, *factcheckv1.Annotation) {
	t.Helper()
	ctx := ctxT(t)
	art, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "shafaq-talks", Article: shafaqArticle(t)})
	if err != nil {
		t.Fatalf("CreateArticle: %v", err)
	}
	src, err := e.sources.CreateSource(ctx, &factcheckv1.CreateSourceRequest{SourceId: "wapo-talks", Source: &factcheckv1.Source{
		Url:       wapoURL,
		Title:     "U.S. and Iraq discuss the future of American troops",
		Publisher: "The Washington Post",
		Kind:      factcheckv1.Source_KIND_NEWS_REPORT,
	}})
	if err != nil {
		t.Fatalf("CreateSource: %v", err)
	}
	ann, err := e.annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
		Parent:       "articles/shafaq-talks",
		AnnotationId: "talks-before-oct-7",
		Annotation: &factcheckv1.Annotation{
			Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: wapoQuote}},
			Claim: &factcheckv1.Claim{
				Text:     "Talks between Baghdad and Washington on the US military presence began before the attack of October 7, 2023.",
				Claimant: &factcheckv1.Claimant{Name: "The Washington Post", Kind: factcheckv1.Claimant_KIND_ORGANIZATION},
			},
			Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_UNPROVEN, Label: "Single source"},
			Citations:  []*factcheckv1.Citation{{Source: "sources/wapo-talks", Stance: factcheckv1.Stance_STANCE_SUPPORTS}},
			ExternalId: "import-1",
		},
	})
	if err != nil {
		t.Fatalf("CreateAnnotation: %v", err)
	}
	return art.GetArticle(), src.GetSource(), ann.GetAnnotation()
}

func readPlainJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// code is status.Code, named so that tests read as assertions.
func code(err error) codes.Code { return status.Code(err) }

// wantErr is what an error must carry: its code, the ErrorInfo reason, and
// the detail that code calls for.
type wantErr struct {
	code   codes.Code
	reason string
	// fields: each must be the field of a BadRequest violation.
	fields []string
	// precondition: a PreconditionFailure violation must mention it.
	precondition string
	// resource: the ResourceInfo must name it.
	resource string
	// says: substrings of the message.
	says []string
	// meta: ErrorInfo metadata entries.
	meta map[string]string
}

func checkErr(t *testing.T, err error, w wantErr) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v %s", w.code, w.reason)
	}
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("%v is not a status", err)
	}
	t.Logf("%v: %s\n%v", st.Code(), st.Message(), st.Details())
	if st.Code() != w.code {
		t.Errorf("code = %v, want %v (%s)", st.Code(), w.code, st.Message())
	}
	var (
		info *errdetails.ErrorInfo
		br   *errdetails.BadRequest
		pf   *errdetails.PreconditionFailure
		ri   *errdetails.ResourceInfo
	)
	for i, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if i != 0 {
				t.Errorf("ErrorInfo is detail %d, want 0", i)
			}
			info = d
		case *errdetails.BadRequest:
			br = d
		case *errdetails.PreconditionFailure:
			pf = d
		case *errdetails.ResourceInfo:
			ri = d
		case error:
			t.Errorf("undecodable detail: %v", d)
		}
	}
	if info == nil {
		t.Fatalf("no ErrorInfo in %v", st.Proto())
	}
	if info.GetDomain() != "factcheck" {
		t.Errorf("ErrorInfo.domain = %q, want factcheck", info.GetDomain())
	}
	if info.GetReason() != w.reason {
		t.Errorf("reason = %q, want %q (%s)", info.GetReason(), w.reason, st.Message())
	}
	for k, v := range w.meta {
		if got := info.GetMetadata()[k]; got != v {
			t.Errorf("metadata[%q] = %q, want %q (all: %v)", k, got, v, info.GetMetadata())
		}
	}
	for _, f := range w.fields {
		found := false
		for _, v := range br.GetFieldViolations() {
			if v.GetField() == f {
				found = true
				if v.GetDescription() == "" {
					t.Errorf("violation of %s has no description", f)
				}
			}
		}
		if !found {
			t.Errorf("no BadRequest violation of %q in %v", f, br)
		}
	}
	if w.precondition != "" {
		found := false
		for _, v := range pf.GetViolations() {
			if strings.Contains(v.GetSubject()+" "+v.GetDescription(), w.precondition) {
				found = true
			}
		}
		if !found {
			t.Errorf("no PreconditionFailure mentioning %q in %v", w.precondition, pf)
		}
	}
	if w.resource != "" && ri.GetResourceName() != w.resource {
		t.Errorf("ResourceInfo = %v, want name %q", ri, w.resource)
	}
	for _, s := range w.says {
		if !strings.Contains(st.Message(), s) {
			t.Errorf("message %q does not say %q", st.Message(), s)
		}
	}
}
