package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store/boltstore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer collects the server's log lines; handlers log concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a real server on 127.0.0.1:0 over a real bbolt file.
type env struct {
	conn        *grpc.ClientConn
	articles    factcheckv1.ArticleServiceClient
	annotations factcheckv1.AnnotationServiceClient
	sources     factcheckv1.SourceServiceClient
	logs        *syncBuffer
	// st is the server's store, for what no RPC does (the purge sweep).
	st *boltstore.Store
}

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
// it serves, so they run behind the same interceptor chain.
func newEnv(t *testing.T, register ...func(*grpc.Server)) *env {
	t.Helper()
	return newEnvWith(t, server.Config{}, register...)
}

// newEnvWith is newEnv for a server configured with cfg (its Logger is
// replaced by one the test can read).
func newEnvWith(t *testing.T, cfg server.Config, register ...func(*grpc.Server)) *env {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "factcheck.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	srv := server.New(st, cfg)
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
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-done
		if err := st.Check(); err != nil {
			t.Errorf("bbolt consistency check: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return &env{
		conn:        conn,
		articles:    factcheckv1.NewArticleServiceClient(conn),
		annotations: factcheckv1.NewAnnotationServiceClient(conn),
		sources:     factcheckv1.NewSourceServiceClient(conn),
		logs:        logs,
		st:          st,
	}
}

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
