package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/internal/testpki"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

func TestNewTokenSecret(t *testing.T) {
	a, err := server.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := server.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two secrets are equal: %s", a)
	}
	// "fct_" and 32 bytes in unpadded base64url.
	if !strings.HasPrefix(a, "fct_") || len(a) != 4+43 || strings.ContainsAny(a, "+/=") {
		t.Errorf("secret %q is not fct_ and 43 base64url characters", a)
	}
	if h := server.HashSecret(a); len(h) != 32 || string(h) == string(server.HashSecret(b)) {
		t.Errorf("HashSecret(%q) = %x", a, h)
	}
}

// TestUnauthenticated: every way a call can lack a working token, each
// with its reason, and the message of a missing one says how to send it.
func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	anon := e.anon(t)
	viewer := e.as(t, "vera", store.RoleViewer)
	expired := e.newToken(t, "vera", store.Token{ExpireTime: time.Now().Add(-time.Hour)})

	for _, tc := range []struct {
		name string
		// authorization is the header values; none for a missing one.
		authorization []string
		want          wantErr
	}{
		{"missing", nil, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MISSING",
			says: []string{"authorization: Bearer <secret>", "grpcurl -H"}}},
		{"other scheme", []string{"Basic dmVyYTpzZWNyZXQ="}, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MALFORMED", says: []string{"Bearer"}}},
		{"scheme alone", []string{"Bearer"}, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MALFORMED"}},
		{"secret alone", []string{viewer.secret}, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MALFORMED"}},
		{"space inside", []string{"Bearer " + viewer.secret[:10] + " " + viewer.secret[10:]}, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MALFORMED"}},
		{"too long", []string{"Bearer " + strings.Repeat("x", 600)}, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MALFORMED"}},
		{"two values", []string{"Bearer " + viewer.secret, "Bearer " + viewer.secret}, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MALFORMED", says: []string{"exactly one"}}},
		{"unknown", []string{"Bearer fct_" + strings.Repeat("A", 43)}, wantErr{code: codes.Unauthenticated, reason: "TOKEN_UNKNOWN"}},
		{"expired", []string{"Bearer " + expired}, wantErr{code: codes.Unauthenticated, reason: "TOKEN_EXPIRED", says: []string{"expired"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			for _, v := range tc.authorization {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v)
			}
			_, err := anon.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
			checkErr(t, err, tc.want)
			if strings.Contains(status.Convert(err).Message(), viewer.secret) {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}

	// The scheme is case-insensitive (RFC 9110), and spaces around the
	// value do not matter.
	for _, header := range []string{"bearer " + viewer.secret, "BEARER " + viewer.secret, "  Bearer   " + viewer.secret + " "} {
		ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", header)
		resp, err := anon.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
		if err != nil || resp.GetReviewer().GetName() != "reviewers/vera" {
			t.Errorf("%q: %v %v", header, resp, err)
		}
	}
	if strings.Contains(e.logs.String(), viewer.secret) || strings.Contains(e.logs.String(), e.secret) {
		t.Error("a secret was logged")
	}
	// The log names the caller of each call (and nobody for a call without
	// a working token).
	if !strings.Contains(e.logs.String(), `"reviewer":"reviewers/vera"`) {
		t.Errorf("the log does not name the caller:\n%s", e.logs.String())
	}
}

// TestRevokeAndDisableTakeEffect: a token that has worked (and so is
// cached) stops working on the next call after RevokeToken, and a
// reviewer's tokens after DisableReviewer; enabling the reviewer again and
// changing its role count from the next call too.
func TestRevokeAndDisableTakeEffect(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	ana := e.as(t, "ana", store.RoleViewer)
	other := e.with(t, "ana", e.newToken(t, "ana", store.Token{DisplayName: "second"}))
	me, err := ana.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{}); err != nil {
		t.Fatal(err)
	}

	// Revoke the first token: the second still works.
	if _, err := e.reviewers.RevokeToken(ctx, &factcheckv1.RevokeTokenRequest{Name: me.GetToken().GetName()}); err != nil {
		t.Fatal(err)
	}
	_, err = ana.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
	checkErr(t, err, wantErr{code: codes.Unauthenticated, reason: "TOKEN_REVOKED", meta: map[string]string{"token": me.GetToken().GetName()}})
	if _, err := other.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{}); err != nil {
		t.Errorf("the reviewer's other token: %v", err)
	}

	// A viewer may not read the change feed.
	_, err = other.changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{})
	checkErr(t, err, wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED",
		meta: map[string]string{"permission": "changes.read", "caller": "reviewers/ana", "role": "ROLE_VIEWER"}})

	// Promoted, it may.
	if _, err := e.reviewers.UpdateReviewer(ctx, &factcheckv1.UpdateReviewerRequest{
		Reviewer:   &factcheckv1.Reviewer{Name: "reviewers/ana", Role: factcheckv1.Reviewer_ROLE_EDITOR},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"role"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{}); err != nil {
		t.Errorf("ListChanges as an editor: %v", err)
	}

	// Disabled, none of its tokens works.
	if _, err := e.reviewers.DisableReviewer(ctx, &factcheckv1.DisableReviewerRequest{Name: "reviewers/ana"}); err != nil {
		t.Fatal(err)
	}
	_, err = other.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
	checkErr(t, err, wantErr{code: codes.Unauthenticated, reason: "REVIEWER_DISABLED", says: []string{"reviewers/ana"}})

	// Enabled again, the unrevoked token works again.
	if _, err := e.reviewers.UpdateReviewer(ctx, &factcheckv1.UpdateReviewerRequest{
		Reviewer:   &factcheckv1.Reviewer{Name: "reviewers/ana"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"disabled"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{}); err != nil {
		t.Errorf("after enabling: %v", err)
	}
	_, err = ana.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
	checkErr(t, err, wantErr{code: codes.Unauthenticated, reason: "TOKEN_REVOKED"})
}

// countingStore is the real store, counting the token lookups the server
// makes.
type countingStore struct {
	*boltstore.Store
	lookups atomic.Int64
}

func (s *countingStore) LookupToken(ctx context.Context, hash []byte) (*store.Token, *store.Reviewer, error) {
	s.lookups.Add(1)
	return s.Store.LookupToken(ctx, hash)
}

// TestTokenCache: the auth layer sits in front of every read, so a token
// it has seen costs no store read until a ReviewerService write may have
// changed what it may do.
func TestTokenCache(t *testing.T) {
	var cs *countingStore
	e := startEnv(t, server.Config{}, envOptions{wrap: func(st *boltstore.Store) store.Store {
		cs = &countingStore{Store: st}
		return cs
	}})
	_, _, ann := e.seed(t)
	viewer := e.as(t, "vera", store.RoleViewer)
	ctx := ctxT(t)
	before := cs.lookups.Load()
	for i := range 20 {
		if _, err := viewer.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: ann.GetName()}); err != nil && code(err) != codes.NotFound {
			t.Fatalf("GetAnnotation %d: %v", i, err)
		}
	}
	if n := cs.lookups.Load() - before; n != 1 {
		t.Errorf("20 calls with one token looked it up %d times, want 1", n)
	}
	// A ReviewerService write empties the cache.
	if _, err := e.reviewers.CreateReviewer(ctx, &factcheckv1.CreateReviewerRequest{ReviewerId: "new", Reviewer: &factcheckv1.Reviewer{Role: factcheckv1.Reviewer_ROLE_VIEWER}}); err != nil {
		t.Fatal(err)
	}
	before = cs.lookups.Load()
	for range 5 {
		if _, err := viewer.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := cs.lookups.Load() - before; n != 1 {
		t.Errorf("5 calls after a ReviewerService write looked the token up %d times, want 1", n)
	}
}

// TestRateLimit: each token has its own bucket; a call over it is
// RESOURCE_EXHAUSTED with a RetryInfo, and a stream counts once however
// many messages it carries.
func TestRateLimit(t *testing.T) {
	// One call per 1,000 seconds: the bucket does not refill while the
	// test runs, so only the burst counts.
	e := newEnvWith(t, server.Config{RateLimit: 0.001, RateBurst: 3})
	ctx := ctxT(t)
	viewer := e.as(t, "vera", store.RoleViewer)
	call := func(c *env) error {
		_, err := c.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
		return err
	}
	if err := call(viewer); err != nil {
		t.Fatal(err)
	}
	// An export that streams several messages is one call.
	stream, err := viewer.bulk.Export(ctx, &factcheckv1.ExportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if code(err) != codes.OK && !strings.Contains(err.Error(), "EOF") {
				t.Fatalf("export: %v", err)
			}
			break
		}
	}
	if err := call(viewer); err != nil {
		t.Fatalf("third call: %v", err)
	}
	for range 2 {
		err = call(viewer)
		checkErr(t, err, wantErr{code: codes.ResourceExhausted, reason: "RATE_LIMITED", says: []string{"retry in"},
			meta: map[string]string{"burst": "3", "rate_limit": "0.001"}})
		var retry *errdetails.RetryInfo
		for _, d := range status.Convert(err).Details() {
			if r, ok := d.(*errdetails.RetryInfo); ok {
				retry = r
			}
		}
		// One token refills in 1,000 s; a refused call takes none.
		if d := retry.GetRetryDelay().AsDuration(); d <= 0 || d > 1000*time.Second {
			t.Errorf("RetryInfo = %v, want a delay in (0, 1000s]", retry)
		}
	}
	// Another token has its own bucket.
	if err := call(e); err != nil {
		t.Errorf("the admin's token: %v", err)
	}
	// Refusals are logged and counted like other errors.
	if !strings.Contains(e.logs.String(), "ResourceExhausted") {
		t.Errorf("the refusal was not logged:\n%s", e.logs.String())
	}
}

// TestPublicServicesNeedNoToken: load balancers check health and grpcurl
// lists services without a token.
func TestPublicServicesNeedNoToken(t *testing.T) {
	e := newEnv(t)
	anon := e.anon(t)
	ctx := ctxT(t)
	resp, err := healthpb.NewHealthClient(anon.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "factcheck.v1.ReviewerService"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health of ReviewerService without a token: %v %v", resp, err)
	}
	stream, err := reflectionpb.NewServerReflectionClient(anon.conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	r, err := stream.Recv()
	if err != nil {
		t.Fatalf("reflection without a token: %v", err)
	}
	_ = stream.CloseSend()
	var names []string
	for _, s := range r.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{"factcheck.v1.ReviewerService", "factcheck.v1.AuditService"} {
		if !contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
}

// TestWritesAreAttributed: the caller and its call reach what the store
// records of a write.
func TestWritesAreAttributed(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	ana := e.as(t, "ana", store.RoleEditor)
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "x-request-id", "ana-edit-1")
	art := shafaqArticle(t)
	art.Name = "articles/shafaq-talks"
	art.Text += " (updated)"
	if _, err := ana.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
		Article: art, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"text"}},
	}); err != nil {
		t.Fatal(err)
	}
	revs, err := e.articles.ListArticleRevisions(ctxT(t), &factcheckv1.ListArticleRevisionsRequest{Parent: "articles/shafaq-talks"})
	if err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, r := range revs.GetRevisions() {
		actors = append(actors, r.GetActor())
	}
	if len(actors) != 2 || !contains(actors, "reviewers/admin") || !contains(actors, "reviewers/ana") {
		t.Errorf("revision actors = %v, want reviewers/admin (create) and reviewers/ana (update)", actors)
	}
	changes, err := e.changes.ListChanges(ctxT(t), &factcheckv1.ListChangesRequest{Filter: `actor = "reviewers/ana"`})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes.GetChanges()) == 0 {
		t.Error("no change has actor reviewers/ana")
	}
	entries, err := e.audit.ListAuditEntries(ctxT(t), &factcheckv1.ListAuditEntriesRequest{Filter: `request_id = "ana-edit-1"`})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range entries.GetAuditEntries() {
		if en.GetResource() == "articles/shafaq-talks" {
			found = true
			if en.GetActor() != "reviewers/ana" || en.GetMethod() != "/factcheck.v1.ArticleService/UpdateArticle" {
				t.Errorf("audit entry %v: want actor reviewers/ana, method UpdateArticle", en)
			}
		}
	}
	if !found {
		t.Errorf("no audit entry of articles/shafaq-talks with request id ana-edit-1 in %v", entries)
	}
}

// testPKI is a CA and the certificates it signed, made for one test.
type testPKI struct {
	pool           *x509.CertPool
	server, client tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	ca := testpki.New(t, dir, "ca", nil)
	return &testPKI{
		pool:   testpki.Pool(ca),
		server: testpki.New(t, dir, "server", ca).TLS,
		client: testpki.New(t, dir, "newsroom-cms", ca).TLS,
	}
}

// dialCall makes one call to e's server with creds and the admin's token,
// on a connection of its own.
func dialCall(t *testing.T, e *env, creds credentials.TransportCredentials) error {
	t.Helper()
	conn, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(creds), grpc.WithPerRPCCredentials(bearer(e.secret)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = factcheckv1.NewReviewerServiceClient(conn).GetCurrentReviewer(ctxT(t), &factcheckv1.GetCurrentReviewerRequest{})
	return err
}

// TestTLS: with Config.TLS the server speaks only TLS; with client CAs
// (mutual TLS) only to clients with a certificate they signed, and those
// still need a token.
func TestTLS(t *testing.T) {
	pki := newTestPKI(t)
	clientTLS := func(withCert bool) credentials.TransportCredentials {
		cfg := &tls.Config{RootCAs: pki.pool, MinVersion: tls.VersionTLS12}
		if withCert {
			cfg.Certificates = []tls.Certificate{pki.client}
		}
		return credentials.NewTLS(cfg)
	}

	t.Run("tls", func(t *testing.T) {
		e := startEnv(t, server.Config{TLS: &tls.Config{Certificates: []tls.Certificate{pki.server}, MinVersion: tls.VersionTLS12}},
			envOptions{creds: clientTLS(false)})
		resp, err := e.reviewers.GetCurrentReviewer(ctxT(t), &factcheckv1.GetCurrentReviewerRequest{})
		if err != nil || resp.GetReviewer().GetName() != "reviewers/admin" {
			t.Fatalf("over TLS: %v %v", resp, err)
		}
		if err := dialCall(t, e, insecure.NewCredentials()); code(err) != codes.Unavailable {
			t.Errorf("plaintext client: %v, want UNAVAILABLE", err)
		}
		_, err = e.anon(t).reviewers.GetCurrentReviewer(ctxT(t), &factcheckv1.GetCurrentReviewerRequest{})
		checkErr(t, err, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MISSING"})
	})

	t.Run("mutual", func(t *testing.T) {
		e := startEnv(t, server.Config{TLS: &tls.Config{
			Certificates: []tls.Certificate{pki.server}, MinVersion: tls.VersionTLS12,
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.pool,
		}}, envOptions{creds: clientTLS(true)})
		if _, err := e.reviewers.GetCurrentReviewer(ctxT(t), &factcheckv1.GetCurrentReviewerRequest{}); err != nil {
			t.Fatalf("with a client certificate: %v", err)
		}
		if err := dialCall(t, e, clientTLS(false)); code(err) != codes.Unavailable {
			t.Errorf("TLS client without a certificate: %v, want UNAVAILABLE", err)
		}
		if err := dialCall(t, e, insecure.NewCredentials()); code(err) != codes.Unavailable {
			t.Errorf("plaintext client: %v, want UNAVAILABLE", err)
		}
		_, err := e.anon(t).reviewers.GetCurrentReviewer(ctxT(t), &factcheckv1.GetCurrentReviewerRequest{})
		checkErr(t, err, wantErr{code: codes.Unauthenticated, reason: "TOKEN_MISSING"})
	})
}
