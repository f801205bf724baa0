package server_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// TestArticleRevisions: a text change keeps the old text as a revision,
// listed newest first by default and in pages.
func TestArticleRevisions(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	art, _, _ := e.seed(t)
	oldText := art.GetText()
	newText := "Correction: " + oldText
	if _, err := e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
		Article:    &factcheckv1.Article{Name: art.GetName(), Text: newText},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"text"}},
	}); err != nil {
		t.Fatal(err)
	}

	got, err := e.articles.GetArticleRevision(ctx, &factcheckv1.GetArticleRevisionRequest{Name: "articles/shafaq-talks/revisions/1"})
	if err != nil {
		t.Fatal(err)
	}
	if r := got.GetRevision(); r.GetName() != "articles/shafaq-talks/revisions/1" || r.GetRevision() != 1 ||
		r.GetText() != oldText || r.GetTextSha256() != art.GetTextSha256() || r.GetCreateTime() == nil {
		t.Errorf("revision 1: %v", r)
	}

	list, err := e.articles.ListArticleRevisions(ctx, &factcheckv1.ListArticleRevisionsRequest{Parent: art.GetName(), PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetRevisions()) != 1 || list.GetRevisions()[0].GetRevision() != 2 || list.GetRevisions()[0].GetText() != "" || list.GetNextPageToken() == "" {
		t.Fatalf("first page, newest first, basic view: %v", list)
	}
	list, err = e.articles.ListArticleRevisions(ctx, &factcheckv1.ListArticleRevisionsRequest{Parent: art.GetName(), PageSize: 1, PageToken: list.GetNextPageToken()})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetRevisions()) != 1 || list.GetRevisions()[0].GetRevision() != 1 || list.GetNextPageToken() != "" {
		t.Fatalf("second page: %v", list)
	}
	list, err = e.articles.ListArticleRevisions(ctx, &factcheckv1.ListArticleRevisionsRequest{Parent: art.GetName(), OrderBy: "revision", View: factcheckv1.ArticleView_ARTICLE_VIEW_FULL})
	if err != nil {
		t.Fatal(err)
	}
	if rs := list.GetRevisions(); len(rs) != 2 || rs[0].GetText() != oldText || rs[1].GetText() != newText {
		t.Fatalf("oldest first, full view: %v", list)
	}

	_, err = e.articles.ListArticleRevisions(ctx, &factcheckv1.ListArticleRevisionsRequest{Parent: art.GetName(), OrderBy: "revision", PageSize: 1,
		PageToken: mustPage(t, e, art.GetName())})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}})

	_, err = e.articles.GetArticleRevision(ctx, &factcheckv1.GetArticleRevisionRequest{Name: "articles/shafaq-talks/revisions/3"})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "REVISION_NOT_FOUND", resource: "articles/shafaq-talks/revisions/3", says: []string{"revisions 1 to 2 exist"}})
	_, err = e.articles.GetArticleRevision(ctx, &factcheckv1.GetArticleRevisionRequest{Name: "articles/nope/revisions/1"})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "ARTICLE_NOT_FOUND", resource: "articles/nope"})
	for _, name := range []string{"articles/shafaq-talks/revisions/0", "articles/shafaq-talks/revisions/x", "articles/shafaq-talks/revisions/01", "articles/shafaq-talks"} {
		_, err = e.articles.GetArticleRevision(ctx, &factcheckv1.GetArticleRevisionRequest{Name: name})
		checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"name"}})
	}
	_, err = e.articles.ListArticleRevisions(ctx, &factcheckv1.ListArticleRevisionsRequest{Parent: art.GetName(), OrderBy: "create_time"})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ORDER_BY", fields: []string{"order_by"}})
}

// mustPage returns a page token of the default (newest first) order.
func mustPage(t *testing.T, e *env, parent string) string {
	t.Helper()
	list, err := e.articles.ListArticleRevisions(ctxT(t), &factcheckv1.ListArticleRevisionsRequest{Parent: parent, PageSize: 1})
	if err != nil || list.GetNextPageToken() == "" {
		t.Fatalf("no page token: %v, %v", list, err)
	}
	return list.GetNextPageToken()
}

// TestReanchorOverTheAPI: an edit inside the annotated quote makes it
// STATUS_FUZZY with its previous position, score and found text; the status
// is filterable; the history shows the re-anchoring; and rolling back to a
// revision whose quote is gone is refused.
func TestReanchorOverTheAPI(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	art, _, ann := e.seed(t)
	edited := strings.Replace(art.GetText(), "October 7, 2023", "October 7", 1)
	if _, err := e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
		Article: &factcheckv1.Article{Name: art.GetName(), Text: edited, Etag: art.GetEtag()},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: ann.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	a := got.GetAnnotation().GetAnchor()
	if a.GetStatus() != factcheckv1.Anchor_STATUS_FUZZY || a.GetArticleRevision() != 2 || a.GetQuote().GetExact() != wapoQuote ||
		!strings.HasSuffix(a.GetFoundText(), "October 7") || a.GetMatchScore() < 0.75 || a.GetMatchScore() >= 1 ||
		a.GetPreviousArticleRevision() != 1 || a.GetPreviousPosition().GetStart() != ann.GetAnchor().GetPosition().GetStart() {
		t.Fatalf("anchor after an edit inside the quote: %v", a)
	}
	if got.GetAnnotation().GetRevisionId() != "2" {
		t.Errorf("revision_id %q, want 2", got.GetAnnotation().GetRevisionId())
	}

	list, err := e.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", Filter: "anchor.status = STATUS_FUZZY"})
	if err != nil || len(list.GetAnnotations()) != 1 {
		t.Fatalf("anchor.status = STATUS_FUZZY: %v, %v", list, err)
	}

	revs, err := e.annotations.ListAnnotationRevisions(ctx, &factcheckv1.ListAnnotationRevisionsRequest{Parent: ann.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if rs := revs.GetRevisions(); len(rs) != 2 || rs[0].GetRevisionId() != "2" || rs[0].GetCause() != factcheckv1.AnnotationRevision_CAUSE_REANCHOR ||
		rs[0].GetName() != ann.GetName()+"/revisions/2" || rs[1].GetCause() != factcheckv1.AnnotationRevision_CAUSE_CREATE ||
		!slices.Contains(rs[0].GetFieldPaths(), "anchor.status") {
		t.Fatalf("history: %v", revs)
	}

	_, err = e.annotations.RollbackAnnotation(ctx, &factcheckv1.RollbackAnnotationRequest{Name: ann.GetName(), RevisionId: "1"})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "QUOTE_NOT_IN_TEXT", precondition: "articles/shafaq-talks",
		says: []string{"no longer contains word for word", "October 7, 2023"}})
}

// TestAnnotationHistoryAndRollback: updates add revisions with their field
// paths; a rollback restores one as a new revision, honouring the etag.
func TestAnnotationHistoryAndRollback(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	_, _, ann := e.seed(t)
	up, err := e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: ann.GetName(), Verdict: &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_FALSE}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"verdict.rating"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.GetAnnotation().GetRevisionId() != "2" {
		t.Errorf("revision_id %q after an update, want 2", up.GetAnnotation().GetRevisionId())
	}
	r2, err := e.annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: ann.GetName() + "/revisions/2"})
	if err != nil {
		t.Fatal(err)
	}
	if r := r2.GetRevision(); r.GetCause() != factcheckv1.AnnotationRevision_CAUSE_UPDATE || len(r.GetFieldPaths()) != 1 ||
		r.GetFieldPaths()[0] != "verdict.rating" || r.GetAnnotation().GetVerdict().GetRating() != factcheckv1.Rating_RATING_FALSE {
		t.Errorf("revision 2: %v", r)
	}

	_, err = e.annotations.RollbackAnnotation(ctx, &factcheckv1.RollbackAnnotationRequest{Name: ann.GetName(), RevisionId: "1", Etag: ann.GetEtag()})
	checkErr(t, err, wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH", precondition: ann.GetName()})
	rb, err := e.annotations.RollbackAnnotation(ctx, &factcheckv1.RollbackAnnotationRequest{Name: ann.GetName(), RevisionId: "1", Etag: up.GetAnnotation().GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if a := rb.GetAnnotation(); a.GetRevisionId() != "3" || a.GetVerdict().GetRating() != factcheckv1.Rating_RATING_UNPROVEN ||
		a.GetAnchor().GetStatus() != factcheckv1.Anchor_STATUS_ANCHORED {
		t.Errorf("after rollback: %v", a)
	}
	r3, err := e.annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: ann.GetName() + "/revisions/3"})
	if err != nil || r3.GetRevision().GetRestoredRevisionId() != "1" || r3.GetRevision().GetCause() != factcheckv1.AnnotationRevision_CAUSE_ROLLBACK {
		t.Errorf("rollback revision: %v, %v", r3, err)
	}
	revs, err := e.annotations.ListAnnotationRevisions(ctx, &factcheckv1.ListAnnotationRevisionsRequest{Parent: ann.GetName(), OrderBy: "revision_id asc", PageSize: 2})
	if err != nil || len(revs.GetRevisions()) != 2 || revs.GetRevisions()[0].GetRevisionId() != "1" || revs.GetNextPageToken() == "" {
		t.Errorf("oldest first, pages of 2: %v, %v", revs, err)
	}

	_, err = e.annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: ann.GetName() + "/revisions/9"})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "REVISION_NOT_FOUND", resource: ann.GetName() + "/revisions/9", says: []string{"revisions 1 to 3 exist"}})
	_, err = e.annotations.RollbackAnnotation(ctx, &factcheckv1.RollbackAnnotationRequest{Name: ann.GetName(), RevisionId: "9"})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "REVISION_NOT_FOUND", resource: ann.GetName() + "/revisions/9"})
	_, err = e.annotations.RollbackAnnotation(ctx, &factcheckv1.RollbackAnnotationRequest{Name: ann.GetName(), RevisionId: "first"})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_REVISION_ID", fields: []string{"revision_id"}})
	_, err = e.annotations.RollbackAnnotation(ctx, &factcheckv1.RollbackAnnotationRequest{Name: ann.GetName()})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"revision_id"}})
	_, err = e.annotations.ListAnnotationRevisions(ctx, &factcheckv1.ListAnnotationRevisionsRequest{Parent: "articles/shafaq-talks/annotations/nope"})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND", resource: "articles/shafaq-talks/annotations/nope"})
	_, err = e.annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: ann.GetName() + "/revisions/-1"})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"name"}})

	// Output-only fields of the history cannot be written.
	_, err = e.annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: ann.GetName(), RevisionId: "1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"revision_id"}},
	})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_UPDATE_MASK", fields: []string{"update_mask.paths[0]"}})

	// Deleting the annotation keeps its history until the purge.
	if _, err := e.annotations.DeleteAnnotation(ctx, &factcheckv1.DeleteAnnotationRequest{Name: ann.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: ann.GetName() + "/revisions/1"}); err != nil {
		t.Errorf("the history of a deleted annotation: %v", err)
	}
	e.purge(t)
	_, err = e.annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: ann.GetName() + "/revisions/1"})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND", resource: ann.GetName()})
}
