package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// TestShafaqNews walks the README's story: the Shafaq News article, The
// Washington Post as a source, a claim annotation quoting the article and
// citing the source, then reads, lists, updates and deletes.
func TestShafaqNews(t *testing.T) {
	e := newEnv(t)
	art, src, ann := e.seed(t)
	ctx := ctxT(t)
	text := shafaqArticle(t).GetText()

	sum := sha256.Sum256([]byte(text))
	if art.GetName() != "articles/shafaq-talks" || art.GetRevision() != 1 || art.GetTextSha256() != hex.EncodeToString(sum[:]) ||
		art.GetText() != text || art.GetEtag() == "" || art.GetCreateTime() == nil || art.GetUpdateTime() == nil {
		t.Errorf("created article lacks output fields: name %q revision %d sha %q etag %q", art.GetName(), art.GetRevision(), art.GetTextSha256(), art.GetEtag())
	}
	if src.GetName() != "sources/wapo-talks" || src.GetPublisher() != "The Washington Post" || src.GetKind() != factcheckv1.Source_KIND_NEWS_REPORT {
		t.Errorf("created source = %v", src)
	}

	// The server found the quote and filled in its position in all three
	// units, and kept context on both sides.
	i := strings.Index(text, wapoQuote)
	start := utf8.RuneCountInString(text[:i])
	an := ann.GetAnchor()
	wantAnchor := &factcheckv1.Anchor{
		Quote:           &factcheckv1.TextQuoteSelector{Exact: wapoQuote, Prefix: lastRunes(text[:i], 32), Suffix: firstRunes(text[i+len(wapoQuote):], 32)},
		Position:        &factcheckv1.TextPositionSelector{Start: int32(start), End: int32(start + utf8.RuneCountInString(wapoQuote))},
		ArticleRevision: 1,
		Status:          factcheckv1.Anchor_STATUS_ANCHORED,
		// The text is ASCII: every unit agrees.
		Utf16: &factcheckv1.Span{Start: int32(start), End: int32(start + len(wapoQuote))},
		Utf8:  &factcheckv1.Span{Start: int32(i), End: int32(i + len(wapoQuote))},
	}
	if diff := cmp.Diff(wantAnchor, an, protocmp.Transform()); diff != "" {
		t.Errorf("anchor (-want +got):\n%s", diff)
	}
	if ann.GetName() != "articles/shafaq-talks/annotations/talks-before-oct-7" || ann.GetState() != factcheckv1.Annotation_STATE_DRAFT ||
		len(ann.GetCitations()) != 1 || ann.GetCitations()[0].GetSource() != "sources/wapo-talks" {
		t.Errorf("created annotation = %v", ann)
	}

	got, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: ann.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ann, got.GetAnnotation(), protocmp.Transform()); diff != "" {
		t.Errorf("GetAnnotation differs from CreateAnnotation (-create +get):\n%s", diff)
	}

	for _, parent := range []string{"articles/shafaq-talks", "articles/-"} {
		list, err := e.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{
			Parent: parent,
			Filter: `citations.source = "sources/wapo-talks" AND verdict.rating = RATING_UNPROVEN`,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.GetAnnotations()) != 1 || list.GetAnnotations()[0].GetName() != ann.GetName() || list.GetNextPageToken() != "" {
			t.Errorf("ListAnnotations(%s) = %v", parent, list)
		}
	}

	// The README's update: only the rating changes.
	upd, err := e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: ann.GetName(), Verdict: &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_MOSTLY_TRUE}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"verdict.rating"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := upd.GetAnnotation().GetVerdict(); v.GetRating() != factcheckv1.Rating_RATING_MOSTLY_TRUE || v.GetLabel() != "Single source" {
		t.Errorf("verdict after updating the rating = %v, want the label kept", v)
	}
	if upd.GetAnnotation().GetEtag() == ann.GetEtag() {
		t.Error("etag unchanged by an update")
	}

	// Deleting: the cited source is refused until its annotation is gone.
	if _, err := e.sources.DeleteSource(ctx, &factcheckv1.DeleteSourceRequest{Name: src.GetName()}); code(err) != codes.FailedPrecondition {
		t.Fatalf("DeleteSource of a cited source: %v", err)
	}
	if _, err := e.annotations.DeleteAnnotation(ctx, &factcheckv1.DeleteAnnotationRequest{Name: ann.GetName(), Etag: upd.GetAnnotation().GetEtag()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sources.DeleteSource(ctx, &factcheckv1.DeleteSourceRequest{Name: src.GetName(), Etag: src.GetEtag()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.articles.DeleteArticle(ctx, &factcheckv1.DeleteArticleRequest{Name: art.GetName(), Etag: art.GetEtag()}); err != nil {
		t.Fatal(err)
	}
	// Deletes are soft (AIP-164): Get still returns the article until the
	// purge.
	if got, err := e.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: art.GetName()}); err != nil || got.GetArticle().GetDeleteTime() == nil {
		t.Errorf("GetArticle after delete: %v, %v", got, err)
	}
	e.purge(t)
	if _, err := e.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: art.GetName()}); code(err) != codes.NotFound {
		t.Errorf("GetArticle after the purge: %v", err)
	}
}

func lastRunes(s string, n int) string {
	r := []rune(s)
	return string(r[max(0, len(r)-n):])
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

// TestMultilingual anchors quotes in Arabic, around emoji outside the BMP
// and across a combining accent, by quote alone and by position, and checks
// the offsets the sample lists in code points, UTF-16 units and UTF-8 bytes.
func TestMultilingual(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	var sample struct {
		Quotes []struct {
			Exact      string   `json:"exact"`
			CodePoints [2]int32 `json:"code_points"`
			UTF16      [2]int32 `json:"utf16"`
			UTF8       [2]int32 `json:"utf8_bytes"`
		} `json:"quotes"`
	}
	readPlainJSON(t, "multilingual.article.json", &sample)
	var a factcheckv1.Article
	readJSON(t, "multilingual.article.json", &a)
	if _, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "multi", Article: &a}); err != nil {
		t.Fatal(err)
	}
	if len(sample.Quotes) == 0 {
		t.Fatal("no quotes in the sample")
	}
	for i, q := range sample.Quotes {
		want := &factcheckv1.Anchor{
			Position: &factcheckv1.TextPositionSelector{Start: q.CodePoints[0], End: q.CodePoints[1]},
			Utf16:    &factcheckv1.Span{Start: q.UTF16[0], End: q.UTF16[1]},
			Utf8:     &factcheckv1.Span{Start: q.UTF8[0], End: q.UTF8[1]},
		}
		for _, byPosition := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/position=%v", q.Exact, byPosition), func(t *testing.T) {
				anchor := &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: q.Exact}}
				if byPosition {
					anchor.Position = want.Position
				}
				resp, err := e.annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
					Parent:     "articles/multi",
					Annotation: &factcheckv1.Annotation{Anchor: anchor, Claim: &factcheckv1.Claim{Text: fmt.Sprintf("claim %d", i)}},
				})
				if err != nil {
					t.Fatal(err)
				}
				got := resp.GetAnnotation().GetAnchor()
				if diff := cmp.Diff(want, got, protocmp.Transform(),
					protocmp.IgnoreFields(&factcheckv1.Anchor{}, "quote", "article_revision", "status")); diff != "" {
					t.Errorf("anchor (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestListPaging pages through sources in both orders and with a filter:
// every record exactly once, no token on the last page.
func TestListPaging(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	var names []string
	for i := range 7 {
		kind := factcheckv1.Source_KIND_NEWS_REPORT
		if i%2 == 1 {
			kind = factcheckv1.Source_KIND_DATASET
		}
		resp, err := e.sources.CreateSource(ctx, &factcheckv1.CreateSourceRequest{Source: &factcheckv1.Source{
			Url: fmt.Sprintf("https://example.com/%d", i), Kind: kind,
		}})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, resp.GetSource().GetName())
	}
	collect := func(req *factcheckv1.ListSourcesRequest, sizes ...int32) (got []string, pages int) {
		t.Helper()
		for {
			if pages < len(sizes) {
				req.PageSize = sizes[pages]
			}
			resp, err := e.sources.ListSources(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, s := range resp.GetSources() {
				got = append(got, s.GetName())
			}
			if resp.GetNextPageToken() == "" {
				return got, pages
			}
			if len(resp.GetSources()) == 0 {
				t.Fatal("empty page with a next_page_token")
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}

	got, pages := collect(&factcheckv1.ListSourcesRequest{}, 3, 3, 3)
	if diff := cmp.Diff(names, got); diff != "" || pages != 3 {
		t.Errorf("oldest first in pages of 3: %d pages (-want +got):\n%s", pages, diff)
	}
	// A page that reaches the end carries no token.
	got, pages = collect(&factcheckv1.ListSourcesRequest{}, 7)
	if len(got) != 7 || pages != 1 {
		t.Errorf("one page of 7: got %d in %d pages", len(got), pages)
	}
	// page_size may change between pages.
	got, _ = collect(&factcheckv1.ListSourcesRequest{OrderBy: "create_time desc"}, 2, 4, 1)
	rev := append([]string(nil), names...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if diff := cmp.Diff(rev, got); diff != "" {
		t.Errorf("newest first (-want +got):\n%s", diff)
	}
	got, _ = collect(&factcheckv1.ListSourcesRequest{Filter: "kind = KIND_DATASET"}, 1)
	if diff := cmp.Diff([]string{names[1], names[3], names[5]}, got); diff != "" {
		t.Errorf("filtered (-want +got):\n%s", diff)
	}
}

// TestArticleViews: lists leave texts out unless asked; Get includes them
// unless asked not to; FULL lists still page correctly.
func TestArticleViews(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	for i := range 12 {
		if _, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
			Url: fmt.Sprintf("https://example.com/a/%d", i), Text: fmt.Sprintf("Text number %d.", i), Publisher: "Shafaq News",
		}}); err != nil {
			t.Fatal(err)
		}
	}
	basic, err := e.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(basic.GetArticles()) != 12 || basic.GetArticles()[0].GetText() != "" || basic.GetArticles()[0].GetTextSha256() == "" {
		t.Errorf("basic list: %d articles, first text %q", len(basic.GetArticles()), basic.GetArticles()[0].GetText())
	}
	var texts []string
	req := &factcheckv1.ListArticlesRequest{PageSize: 100, View: factcheckv1.ArticleView_ARTICLE_VIEW_FULL, Filter: `publisher = "Shafaq News"`}
	for {
		resp, err := e.articles.ListArticles(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range resp.GetArticles() {
			texts = append(texts, a.GetText())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if len(texts) != 12 || texts[11] != "Text number 11." {
		t.Errorf("full list texts = %q", texts)
	}
	// A token issued for the FULL view is not valid for BASIC.
	first, err := e.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 5, View: factcheckv1.ArticleView_ARTICLE_VIEW_FULL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 5, PageToken: first.GetNextPageToken()})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}})

	name := basic.GetArticles()[0].GetName()
	full, err := e.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: name})
	if err != nil || full.GetArticle().GetText() != "Text number 0." {
		t.Errorf("GetArticle default view: %v %v", full, err)
	}
	b, err := e.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: name, View: factcheckv1.ArticleView_ARTICLE_VIEW_BASIC})
	if err != nil || b.GetArticle().GetText() != "" || b.GetArticle().GetUrl() == "" {
		t.Errorf("GetArticle basic view: %v %v", b, err)
	}
}

// TestFullViewPagesFit: pages of large texts end early, so that each fits
// grpc's default 4 MiB message limit (the test client keeps that default),
// and the next page carries on where the short one stopped.
func TestFullViewPagesFit(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	big := strings.Repeat("word ", (1<<20-64)/5)
	for i := range 4 {
		if _, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
			Url: fmt.Sprintf("https://example.com/big/%d", i), Text: fmt.Sprintf("%d %s", i, big),
		}}); err != nil {
			t.Fatal(err)
		}
	}
	var sizes []int
	req := &factcheckv1.ListArticlesRequest{PageSize: 1000, View: factcheckv1.ArticleView_ARTICLE_VIEW_FULL}
	seen := map[string]bool{}
	for {
		resp, err := e.articles.ListArticles(ctx, req)
		if err != nil {
			t.Fatalf("page %d: %v", len(sizes)+1, err)
		}
		sizes = append(sizes, len(resp.GetArticles()))
		for _, a := range resp.GetArticles() {
			if seen[a.GetName()] || len(a.GetText()) < 1<<19 {
				t.Errorf("%s repeated or without its text", a.GetName())
			}
			seen[a.GetName()] = true
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if len(seen) != 4 || len(sizes) < 2 {
		t.Errorf("pages of %v articles, %d distinct; want all 4 over more than one page", sizes, len(seen))
	}
}

// TestUpdateMasks covers the three kinds of mask: absent, `*`, and paths.
func TestUpdateMasks(t *testing.T) {
	e := newEnv(t)
	art, src, ann := e.seed(t)
	ctx := ctxT(t)

	// Absent mask: only the fields set change; output-only fields sent
	// along are ignored.
	resp, err := e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{Article: &factcheckv1.Article{
		Name: art.GetName(), Labels: map[string]string{"desk": "iraq", "priority": "high"}, Revision: 42, TextSha256: "ignored",
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := resp.GetArticle()
	if a.GetTitle() != art.GetTitle() || a.GetRevision() != 1 || a.GetTextSha256() != art.GetTextSha256() || a.GetLabels()["desk"] != "iraq" {
		t.Errorf("after label update: %v", a)
	}

	// labels.{key}: one key set, one removed.
	resp, err = e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
		Article:    &factcheckv1.Article{Name: art.GetName(), Labels: map[string]string{"desk": "world"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels.desk", "labels.priority"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"desk": "world"}, resp.GetArticle().GetLabels()); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}

	// Changing the text starts a new revision.
	resp, err = e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
		Article:    &factcheckv1.Article{Name: art.GetName(), Text: art.GetText() + "\nUpdated."},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"text"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetArticle().GetRevision() != 2 {
		t.Errorf("revision after a text change = %d, want 2", resp.GetArticle().GetRevision())
	}

	// `*` replaces every mutable field: the ones left unset are cleared.
	sresp, err := e.sources.UpdateSource(ctx, &factcheckv1.UpdateSourceRequest{
		Source:     &factcheckv1.Source{Name: src.GetName(), Url: src.GetUrl(), Notes: "Only notes now."},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := sresp.GetSource(); s.GetTitle() != "" || s.GetPublisher() != "" || s.GetKind() != 0 || s.GetNotes() != "Only notes now." || s.GetUrl() != src.GetUrl() {
		t.Errorf("after `*`: %v", s)
	}

	// Nested paths change one leaf and keep its siblings.
	aresp, err := e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: ann.GetName(), Claim: &factcheckv1.Claim{Claimant: &factcheckv1.Claimant{Name: "Shafaq News"}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"claim.claimant.name"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := aresp.GetAnnotation().GetClaim()
	if cl.GetText() != ann.GetClaim().GetText() || cl.GetClaimant().GetName() != "Shafaq News" || cl.GetClaimant().GetKind() != factcheckv1.Claimant_KIND_ORGANIZATION {
		t.Errorf("claim after claim.claimant.name: %v", cl)
	}

	// The anchor as a whole: a new quote is found again in the text.
	aresp, err = e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: ann.GetName(), Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "Sabrina Singh"}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"anchor"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := art.GetText() + "\nUpdated."
	start := int32(utf8.RuneCountInString(text[:strings.Index(text, "Sabrina Singh")]))
	if p := aresp.GetAnnotation().GetAnchor().GetPosition(); p.GetStart() != start || p.GetEnd() != start+13 {
		t.Errorf("anchor position after update = %v, want [%d,%d)", p, start, start+13)
	}
	if r := aresp.GetAnnotation().GetAnchor().GetArticleRevision(); r != 2 {
		t.Errorf("anchor revision = %d, want 2", r)
	}
}

// TestDeleteArticleForce deletes an article with its annotations.
func TestDeleteArticleForce(t *testing.T) {
	e := newEnv(t)
	art, _, ann := e.seed(t)
	ctx := ctxT(t)
	if _, err := e.articles.DeleteArticle(ctx, &factcheckv1.DeleteArticleRequest{Name: art.GetName(), Force: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: ann.GetName()}); err != nil || got.GetAnnotation().GetDeleteTime() == nil {
		t.Errorf("an annotation after a forced delete of its article: %v, %v", got, err)
	}
	// The source is no longer cited by a live annotation.
	if _, err := e.sources.DeleteSource(ctx, &factcheckv1.DeleteSourceRequest{Name: "sources/wapo-talks"}); err != nil {
		t.Errorf("DeleteSource after the citing annotation went: %v", err)
	}
	e.purge(t)
	_, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: ann.GetName()})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "ARTICLE_NOT_FOUND"})
}

// TestHealthAndReflection: grpcurl and load balancers need no proto files.
func TestHealthAndReflection(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	hc := healthpb.NewHealthClient(e.conn)
	for _, svc := range []string{"", "factcheck.v1.ArticleService", "factcheck.v1.AnnotationService", "factcheck.v1.SourceService"} {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q: %v %v", svc, resp, err)
		}
	}
	_, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "NOT_FOUND"})
	if strings.Contains(e.logs.String(), "grpc.health") {
		t.Errorf("health checks were logged:\n%s", e.logs.String())
	}

	stream, err := reflectionpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	var got []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		got = append(got, s.GetName())
	}
	for _, want := range []string{"factcheck.v1.ArticleService", "factcheck.v1.AnnotationService", "factcheck.v1.SourceService", "grpc.health.v1.Health"} {
		if !contains(got, want) {
			t.Errorf("reflection lists %v, missing %s", got, want)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestPanicBecomesInternal registers a panicking service behind the same
// interceptor chain: the client gets a generic INTERNAL naming the request
// id, and the log gets the panic with its stack.
func TestPanicBecomesInternal(t *testing.T) {
	e := newEnv(t, func(s *grpc.Server) {
		s.RegisterService(&grpc.ServiceDesc{
			ServiceName: "factcheck.test.Panic",
			HandlerType: (*any)(nil),
			Methods: []grpc.MethodDesc{{
				MethodName: "Panic",
				Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
					in := new(emptypb.Empty)
					if err := dec(in); err != nil {
						return nil, err
					}
					info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/factcheck.test.Panic/Panic"}
					return icpt(ctx, in, info, func(context.Context, any) (any, error) {
						panic("secret detail: the disk is on fire")
					})
				},
			}},
		}, struct{}{})
	})
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "x-request-id", "panic-test-1")
	err := e.conn.Invoke(ctx, "/factcheck.test.Panic/Panic", &emptypb.Empty{}, &emptypb.Empty{})
	checkErr(t, err, wantErr{code: codes.Internal, reason: "INTERNAL", says: []string{"panic-test-1"}, meta: map[string]string{"request_id": "panic-test-1"}})
	if strings.Contains(err.Error(), "disk") {
		t.Errorf("the panic value leaked to the client: %v", err)
	}
	logs := e.logs.String()
	for _, want := range []string{"the disk is on fire", "panic-test-1", "goroutine", `"grpc.code":"Internal"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestRequestMetadata: the token is never logged, and the request id comes
// back in a header, the client's own when it sent a sane one.
func TestRequestMetadata(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+e.secret, "x-request-id", "req-42")
	var hdr metadata.MD
	if _, err := e.anon(t).articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: "articles/shafaq-talks"}, grpc.Header(&hdr)); err != nil {
		t.Fatalf("GetArticle with authorization: %v", err)
	}
	if got := hdr.Get("x-request-id"); len(got) != 1 || got[0] != "req-42" {
		t.Errorf("x-request-id header = %v, want req-42", got)
	}
	if strings.Contains(e.logs.String(), e.secret) {
		t.Error("the token was logged")
	}
	if !strings.Contains(e.logs.String(), `"request_id":"req-42"`) {
		t.Errorf("log lacks the request id:\n%s", e.logs.String())
	}

	// A bad id is replaced by a generated one, on errors too.
	ctx = metadata.AppendToOutgoingContext(ctxT(t), "x-request-id", "evil id")
	hdr = nil
	_, err := e.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: "articles/nope"}, grpc.Header(&hdr))
	if code(err) != codes.NotFound {
		t.Fatal(err)
	}
	if got := hdr.Get("x-request-id"); len(got) != 1 || got[0] == "" || strings.Contains(got[0], "evil") {
		t.Errorf("generated x-request-id header = %v", got)
	}
}
