package server_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// TestErrors drives every error path through a real server and checks the
// code, the ErrorInfo reason and the detail each one promises.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	art, src, ann := e.seed(t)
	ctx := ctxT(t)
	if _, err := e.sources.CreateSource(ctx, &factcheckv1.CreateSourceRequest{SourceId: "second", Source: &factcheckv1.Source{Url: "https://example.com/second"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "bare", Article: &factcheckv1.Article{Url: "https://example.com/bare", Text: "Nothing to see."}}); err != nil {
		t.Fatal(err)
	}

	quote := func(exact string) *factcheckv1.Anchor {
		return &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: exact}}
	}
	claim := &factcheckv1.Claim{Text: "A claim."}
	createAnn := func(a *factcheckv1.Annotation) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := e.annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{Parent: art.GetName(), Annotation: a})
			return err
		}
	}
	sourcesToken := func(ctx context.Context, t *testing.T, req *factcheckv1.ListSourcesRequest) string {
		resp, err := e.sources.ListSources(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetNextPageToken() == "" {
			t.Fatal("no next_page_token")
		}
		return resp.GetNextPageToken()
	}

	tests := []struct {
		name string
		call func(context.Context) error
		want wantErr
	}{
		{
			name: "missing quote",
			call: createAnn(&factcheckv1.Annotation{Claim: claim}),
			want: wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"annotation.anchor.quote.exact"}},
		},
		{
			name: "missing quote and claim: both reported at once",
			call: createAnn(&factcheckv1.Annotation{}),
			want: wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED",
				fields: []string{"annotation.anchor.quote.exact", "annotation.claim.text"}},
		},
		{
			name: "kinds of violations mixed",
			call: func(ctx context.Context) error {
				_, err := e.annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
					Parent: "articles/shafaq-talks", AnnotationId: "Bad ID",
					Annotation: &factcheckv1.Annotation{Anchor: quote("x"), State: 99},
				})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_FIELDS",
				fields: []string{"annotation_id", "annotation.claim.text", "annotation.state"}},
		},
		{
			name: "mismatched position",
			call: createAnn(&factcheckv1.Annotation{Claim: claim, Anchor: &factcheckv1.Anchor{
				Quote:    &factcheckv1.TextQuoteSelector{Exact: "Shafaq News"},
				Position: &factcheckv1.TextPositionSelector{Start: 2, End: 13},
			}}),
			want: wantErr{code: codes.InvalidArgument, reason: "POSITION_MISMATCH",
				fields: []string{"annotation.anchor.position"}, says: []string{"afaq News /", "0"}},
		},
		{
			name: "ambiguous quote lists the candidates",
			call: createAnn(&factcheckv1.Annotation{Claim: claim, Anchor: quote("Islamic Resistance")}),
			want: wantErr{code: codes.InvalidArgument, reason: "QUOTE_AMBIGUOUS",
				fields: []string{"annotation.anchor.quote.exact"}, says: []string{"18"}},
		},
		{
			name: "quote not found",
			call: createAnn(&factcheckv1.Annotation{Claim: claim, Anchor: quote("talks began in 2022")}),
			want: wantErr{code: codes.InvalidArgument, reason: "QUOTE_NOT_FOUND", fields: []string{"annotation.anchor.quote.exact"}},
		},
		{
			name: "negative position",
			call: createAnn(&factcheckv1.Annotation{Claim: claim, Anchor: &factcheckv1.Anchor{
				Quote: &factcheckv1.TextQuoteSelector{Exact: "Shafaq"}, Position: &factcheckv1.TextPositionSelector{Start: -1, End: 5},
			}}),
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_POSITION", fields: []string{"annotation.anchor.position.start"}},
		},
		{
			name: "citation of a missing source",
			call: createAnn(&factcheckv1.Annotation{Claim: claim, Anchor: quote(wapoQuote),
				Citations: []*factcheckv1.Citation{{Source: "sources/wapo-talks"}, {Source: "sources/nowhere"}}}),
			want: wantErr{code: codes.InvalidArgument, reason: "SOURCE_NOT_FOUND", fields: []string{"annotation.citations[1].source"}},
		},
		{
			name: "citation without a source",
			call: createAnn(&factcheckv1.Annotation{Claim: claim, Anchor: quote(wapoQuote),
				Citations: []*factcheckv1.Citation{{Note: "no source"}}}),
			want: wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"annotation.citations[0].source"}},
		},
		{
			name: "citation naming a source badly",
			call: createAnn(&factcheckv1.Annotation{Claim: claim, Anchor: quote(wapoQuote),
				Citations: []*factcheckv1.Citation{{Source: "wapo-talks"}}}),
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"annotation.citations[0].source"}},
		},
		{
			name: "annotation of a missing article",
			call: func(ctx context.Context) error {
				_, err := e.annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
					Parent: "articles/nope", Annotation: &factcheckv1.Annotation{Claim: claim, Anchor: quote("x")}})
				return err
			},
			want: wantErr{code: codes.NotFound, reason: "ARTICLE_NOT_FOUND", resource: "articles/nope"},
		},
		{
			name: "annotation under articles/-",
			call: func(ctx context.Context) error {
				_, err := e.annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
					Parent: "articles/-", Annotation: &factcheckv1.Annotation{Claim: claim, Anchor: quote("x")}})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"parent"}},
		},
		{
			name: "duplicate external_id",
			call: createAnn(&factcheckv1.Annotation{Claim: claim, Anchor: quote(wapoQuote), ExternalId: "import-1"}),
			want: wantErr{code: codes.AlreadyExists, reason: "EXTERNAL_ID_ALREADY_EXISTS"},
		},
		{
			name: "bad article id",
			call: func(ctx context.Context) error {
				_, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "1abc", Article: &factcheckv1.Article{Url: "https://example.com/1", Text: "t"}})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_ID", fields: []string{"article_id"}},
		},
		{
			name: "article without url and text",
			call: func(ctx context.Context) error {
				_, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{Title: "t"}})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"article.url", "article.text"}},
		},
		{
			name: "article fields out of bounds",
			call: func(ctx context.Context) error {
				_, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
					Url: "ftp://example.com/x", Text: "t", Title: strings.Repeat("é", 1001), Language: "english!",
					Labels:      map[string]string{"Bad Key": "v", "ok": strings.Repeat("v", 257)},
					PublishTime: &timestamppb.Timestamp{Seconds: 1 << 60},
					Authors:     []string{"A", ""},
				}})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_FIELDS", fields: []string{
				"article.url", "article.title", "article.language", `article.labels["Bad Key"]`, `article.labels["ok"]`,
				"article.publish_time", "article.authors[1]",
			}},
		},
		{
			name: "article text over 1 MiB",
			call: func(ctx context.Context) error {
				_, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
					Url: "https://example.com/big", Text: strings.Repeat("a", 1<<20+1)}})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "FIELD_TOO_LONG", fields: []string{"article.text"}},
		},
		{
			name: "duplicate article url",
			call: func(ctx context.Context) error {
				_, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "copy", Article: shafaqArticle(t)})
				return err
			},
			want: wantErr{code: codes.AlreadyExists, reason: "URL_ALREADY_EXISTS"},
		},
		{
			name: "duplicate article id",
			call: func(ctx context.Context) error {
				_, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "shafaq-talks", Article: &factcheckv1.Article{Url: "https://example.com/other", Text: "t"}})
				return err
			},
			want: wantErr{code: codes.AlreadyExists, reason: "ARTICLE_ALREADY_EXISTS", resource: "articles/shafaq-talks"},
		},
		{
			name: "duplicate source url",
			call: func(ctx context.Context) error {
				_, err := e.sources.CreateSource(ctx, &factcheckv1.CreateSourceRequest{Source: &factcheckv1.Source{Url: wapoURL}})
				return err
			},
			want: wantErr{code: codes.AlreadyExists, reason: "URL_ALREADY_EXISTS"},
		},
		{
			name: "source with unknown kind",
			call: func(ctx context.Context) error {
				_, err := e.sources.CreateSource(ctx, &factcheckv1.CreateSourceRequest{Source: &factcheckv1.Source{Url: "https://example.com/k", Kind: 42}})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_ENUM_VALUE", fields: []string{"source.kind"}, says: []string{"KIND_NEWS_REPORT"}},
		},
		{
			name: "malformed article name",
			call: func(ctx context.Context) error {
				_, err := e.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: "article/shafaq-talks"})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"name"}},
		},
		{
			name: "malformed annotation name",
			call: func(ctx context.Context) error {
				_, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: "articles/shafaq-talks/annotations"})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"name"}},
		},
		{
			name: "empty source name",
			call: func(ctx context.Context) error {
				_, err := e.sources.GetSource(ctx, &factcheckv1.GetSourceRequest{})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"name"}},
		},
		{
			name: "unknown article",
			call: func(ctx context.Context) error {
				_, err := e.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: "articles/nope"})
				return err
			},
			want: wantErr{code: codes.NotFound, reason: "ARTICLE_NOT_FOUND", resource: "articles/nope"},
		},
		{
			name: "unknown annotation",
			call: func(ctx context.Context) error {
				_, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: "articles/shafaq-talks/annotations/nope"})
				return err
			},
			want: wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND", resource: "articles/shafaq-talks/annotations/nope"},
		},
		{
			name: "unknown source",
			call: func(ctx context.Context) error {
				_, err := e.sources.GetSource(ctx, &factcheckv1.GetSourceRequest{Name: "sources/nope"})
				return err
			},
			want: wantErr{code: codes.NotFound, reason: "SOURCE_NOT_FOUND", resource: "sources/nope"},
		},
		{
			name: "annotations of an unknown article",
			call: func(ctx context.Context) error {
				_, err := e.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/nope"})
				return err
			},
			want: wantErr{code: codes.NotFound, reason: "ARTICLE_NOT_FOUND", resource: "articles/nope"},
		},
		{
			name: "deleting a cited source names the annotation",
			call: func(ctx context.Context) error {
				_, err := e.sources.DeleteSource(ctx, &factcheckv1.DeleteSourceRequest{Name: src.GetName()})
				return err
			},
			want: wantErr{code: codes.FailedPrecondition, reason: "SOURCE_IN_USE", precondition: ann.GetName()},
		},
		{
			name: "deleting an article with annotations",
			call: func(ctx context.Context) error {
				_, err := e.articles.DeleteArticle(ctx, &factcheckv1.DeleteArticleRequest{Name: art.GetName()})
				return err
			},
			want: wantErr{code: codes.FailedPrecondition, reason: "ARTICLE_HAS_ANNOTATIONS", precondition: "articles/shafaq-talks"},
		},
		{
			name: "stale etag on update",
			call: func(ctx context.Context) error {
				_, err := e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
					Article:    &factcheckv1.Article{Name: art.GetName(), Title: "New", Etag: "not-the-etag"},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
				})
				return err
			},
			want: wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH", precondition: "articles/shafaq-talks"},
		},
		{
			name: "stale etag on delete",
			call: func(ctx context.Context) error {
				_, err := e.annotations.DeleteAnnotation(ctx, &factcheckv1.DeleteAnnotationRequest{Name: ann.GetName(), Etag: "not-the-etag"})
				return err
			},
			want: wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH", precondition: ann.GetName()},
		},
		{
			name: "unknown update_mask path",
			call: func(ctx context.Context) error {
				_, err := e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
					Annotation: &factcheckv1.Annotation{Name: ann.GetName()},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state", "verdict.score"}},
				})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_UPDATE_MASK", fields: []string{"update_mask.paths[1]"}, says: []string{"verdict.rating"}},
		},
		{
			name: "output-only update_mask path",
			call: func(ctx context.Context) error {
				_, err := e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
					Article:    &factcheckv1.Article{Name: art.GetName()},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"revision"}},
				})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_UPDATE_MASK", fields: []string{"update_mask.paths[0]"}, says: []string{"output only"}},
		},
		{
			name: "part of the anchor in update_mask",
			call: func(ctx context.Context) error {
				_, err := e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
					Annotation: &factcheckv1.Annotation{Name: ann.GetName()},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"anchor.quote.exact"}},
				})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_UPDATE_MASK", fields: []string{"update_mask.paths[0]"}, says: []string{`"anchor"`}},
		},
		{
			name: "update clearing a required field",
			call: func(ctx context.Context) error {
				_, err := e.sources.UpdateSource(ctx, &factcheckv1.UpdateSourceRequest{
					Source:     &factcheckv1.Source{Name: src.GetName(), Title: "Only a title"},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
				})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"source.url"}},
		},
		{
			name: "updated anchor not in the text",
			call: func(ctx context.Context) error {
				_, err := e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
					Annotation: &factcheckv1.Annotation{Name: ann.GetName(), Anchor: quote("not in the article")},
				})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "QUOTE_NOT_FOUND", fields: []string{"annotation.anchor.quote.exact"}},
		},
		{
			name: "update of an unknown annotation",
			call: func(ctx context.Context) error {
				_, err := e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
					Annotation: &factcheckv1.Annotation{Name: "articles/shafaq-talks/annotations/nope", State: factcheckv1.Annotation_STATE_IN_REVIEW},
				})
				return err
			},
			want: wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND", resource: "articles/shafaq-talks/annotations/nope"},
		},
		{
			name: "negative page_size",
			call: func(ctx context.Context) error {
				_, err := e.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: -1})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_PAGE_SIZE", fields: []string{"page_size"}},
		},
		{
			name: "malformed filter",
			call: func(ctx context.Context) error {
				_, err := e.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", Filter: "state = STATE_PUBLISHED AND AND"})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_FILTER", fields: []string{"filter"},
				says: []string{"offset 28", `"AND"`}, meta: map[string]string{"offset": "28", "token": "AND"}},
		},
		{
			name: "filter on an unknown field",
			call: func(ctx context.Context) error {
				_, err := e.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{Filter: `colour = "red"`})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_FILTER", fields: []string{"filter"}, meta: map[string]string{"offset": "0"}},
		},
		{
			name: "bad order_by",
			call: func(ctx context.Context) error {
				_, err := e.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{OrderBy: "title"})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_ORDER_BY", fields: []string{"order_by"}, says: []string{"create_time", "update_time"}},
		},
		{
			name: "garbage page token",
			call: func(ctx context.Context) error {
				_, err := e.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{PageToken: "not a token!"})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_PAGE_TOKEN", fields: []string{"page_token"}},
		},
		{
			name: "forged page token",
			call: func(ctx context.Context) error {
				tok := sourcesToken(ctx, t, &factcheckv1.ListSourcesRequest{PageSize: 1})
				b, err := base64.RawURLEncoding.DecodeString(tok)
				if err != nil {
					t.Fatalf("page tokens should be base64url: %v", err)
				}
				b[len(b)/2] ^= 1
				_, err = e.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{PageSize: 1, PageToken: base64.RawURLEncoding.EncodeToString(b)})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "INVALID_PAGE_TOKEN", fields: []string{"page_token"}},
		},
		{
			name: "page token of another query",
			call: func(ctx context.Context) error {
				tok := sourcesToken(ctx, t, &factcheckv1.ListSourcesRequest{PageSize: 1})
				_, err := e.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{PageSize: 1, PageToken: tok, OrderBy: "update_time desc"})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}, says: []string{"different query"}},
		},
		{
			name: "page token of another parent",
			call: func(ctx context.Context) error {
				tok := sourcesToken(ctx, t, &factcheckv1.ListSourcesRequest{PageSize: 1})
				_, err := e.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", PageToken: tok})
				return err
			},
			want: wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, tc.call(ctxT(t)), tc.want)
		})
	}
}

// TestStaleEtag uses a real etag that a later write made stale.
func TestStaleEtag(t *testing.T) {
	e := newEnv(t)
	_, src, ann := e.seed(t)
	ctx := ctxT(t)

	upd, err := e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: ann.GetName(), Etag: ann.GetEtag(), Verdict: &factcheckv1.Verdict{Label: "Two sources"}},
	})
	if err != nil {
		t.Fatalf("update with the current etag: %v", err)
	}
	if upd.GetAnnotation().GetEtag() == ann.GetEtag() {
		t.Fatal("etag did not change on update")
	}
	_, err = e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: ann.GetName(), Etag: ann.GetEtag(), Verdict: &factcheckv1.Verdict{Label: "Three sources"}},
	})
	checkErr(t, err, wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH", precondition: ann.GetName(), says: []string{ann.GetEtag()}})

	_, err = e.annotations.DeleteAnnotation(ctx, &factcheckv1.DeleteAnnotationRequest{Name: ann.GetName(), Etag: ann.GetEtag()})
	checkErr(t, err, wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH", precondition: ann.GetName()})

	srcUpd, err := e.sources.UpdateSource(ctx, &factcheckv1.UpdateSourceRequest{Source: &factcheckv1.Source{Name: src.GetName(), Notes: "checked", Etag: src.GetEtag()}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.sources.UpdateSource(ctx, &factcheckv1.UpdateSourceRequest{Source: &factcheckv1.Source{Name: src.GetName(), Notes: "again", Etag: src.GetEtag()}})
	checkErr(t, err, wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH", precondition: src.GetName()})
	if srcUpd.GetSource().GetNotes() != "checked" {
		t.Errorf("notes = %q", srcUpd.GetSource().GetNotes())
	}
}
