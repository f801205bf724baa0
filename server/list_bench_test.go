package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// BenchmarkListAnnotations reads pages of 50 annotations through a real
// server on loopback, as an editor (no visibility filter) and as a viewer
// (the server ANDs `state = STATE_PUBLISHED OR state = STATE_RETRACTED` into
// the filter), from a store of 10,000 annotations of which 10% are
// published. A health check, which does nothing but cross the wire, is the
// floor. cpu-µs/op is the process's CPU time per call, client and server
// together (both run here); it hardly depends on what else the machine runs,
// unlike ns/op.
//
//	go test ./server -run '^$' -bench BenchmarkListAnnotations -benchtime 2s
func BenchmarkListAnnotations(b *testing.B) {
	const (
		articles   = 100
		perArticle = 100
	)
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "factcheck.db"), boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	adminSecret := adminSecret(b, st)
	wctx := store.WithWriteInfo(context.Background(), store.WriteInfo{Actor: "reviewers/" + adminID})
	viewerSecret, err := server.NewTokenSecret()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateReviewer(wctx, &store.Reviewer{ID: "vic", DisplayName: "Vic", Role: store.RoleViewer}); err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateToken(wctx, &store.Token{ReviewerID: "vic", DisplayName: "bench", SecretHash: server.HashSecret(viewerSecret)}); err != nil {
		b.Fatal(err)
	}
	var text strings.Builder
	for i := range perArticle {
		fmt.Fprintf(&text, "Claim %03d. ", i)
	}
	n := 0
	for i := range articles {
		art, err := st.CreateArticle(wctx, &store.Article{URL: fmt.Sprintf("https://news.example/%d", i), Text: text.String()})
		if err != nil {
			b.Fatal(err)
		}
		chunk := make([]*store.Annotation, 0, perArticle)
		for j := range perArticle {
			a := &store.Annotation{
				ArticleID: art.ID,
				Anchor:    store.Anchor{Exact: fmt.Sprintf("Claim %03d", j), HasPosition: true, Start: 11 * j, End: 11*j + 9},
				Claim:     store.Claim{Text: "The minister said taxes fell.", Claimant: store.Claimant{Name: "A. Minister", Kind: store.ClaimantPerson}},
				Verdict:   store.Verdict{Rating: store.Rating(1 + n%7), Label: "Wrong", Rationale: strings.Repeat("The report says otherwise. ", 8)},
				Labels:    map[string]string{"desk": "world"},
				State:     store.StateDraft,
			}
			if n%10 == 3 {
				a.State = store.StatePublished
			}
			chunk = append(chunk, a)
			n++
		}
		if _, err := st.CreateAnnotations(wctx, chunk); err != nil {
			b.Fatal(err)
		}
	}
	addr, stop := serveBench(b, st)
	b.Cleanup(stop)
	dial := func(secret string) *grpc.ClientConn {
		conn := dialBench(b, addr, secret)
		b.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	editor := factcheckv1.NewAnnotationServiceClient(dial(adminSecret))
	viewer := factcheckv1.NewAnnotationServiceClient(dial(viewerSecret))
	health := healthpb.NewHealthClient(dial(adminSecret))

	ctx := context.Background()
	list := func(c factcheckv1.AnnotationServiceClient, req *factcheckv1.ListAnnotationsRequest) func(b *testing.B) {
		return func(b *testing.B) {
			req.Parent, req.PageSize = "articles/-", 50
			first, err := c.ListAnnotations(ctx, req)
			if err != nil || len(first.GetAnnotations()) != 50 {
				b.Fatalf("%d annotations, %v", len(first.GetAnnotations()), err)
			}
			// Every other call reads the second page, so that page
			// tokens are part of what is measured.
			tokens := []string{"", first.GetNextPageToken()}
			i := 0
			start := currentUsage()
			for b.Loop() {
				req.PageToken = tokens[i%2]
				i++
				resp, err := c.ListAnnotations(ctx, req)
				if err != nil || len(resp.GetAnnotations()) != 50 {
					b.Fatalf("%d annotations, %v", len(resp.GetAnnotations()), err)
				}
			}
			reportCPU(b, start)
		}
	}
	b.Run("health", func(b *testing.B) {
		start := currentUsage()
		for b.Loop() {
			if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
	b.Run("editor", list(editor, &factcheckv1.ListAnnotationsRequest{}))
	b.Run("editor_filtered", list(editor, &factcheckv1.ListAnnotationsRequest{Filter: "state = STATE_PUBLISHED"}))
	b.Run("viewer", list(viewer, &factcheckv1.ListAnnotationsRequest{}))
	b.Run("viewer_filtered", list(viewer, &factcheckv1.ListAnnotationsRequest{Filter: `labels.desk = "world"`}))
	b.Run("viewer_update_time", list(viewer, &factcheckv1.ListAnnotationsRequest{OrderBy: "update_time desc"}))
}

// reportCPU adds the process's CPU time per op since start to b's metrics.
func reportCPU(b *testing.B, start usage) {
	b.ReportMetric(float64(currentUsage().since(start).cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}
