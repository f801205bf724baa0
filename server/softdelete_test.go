package server_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// TestSoftDelete walks AIP-164 through the API: delete, Get of a deleted
// resource, show_deleted, reserved names, undelete and its errors.
func TestSoftDelete(t *testing.T) {
	e := newEnv(t)
	art, src, ann := e.seed(t)
	ctx := ctxT(t)

	if _, err := e.articles.DeleteArticle(ctx, &factcheckv1.DeleteArticleRequest{Name: art.GetName(), Force: true}); err != nil {
		t.Fatal(err)
	}
	got, err := e.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: art.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	del := got.GetArticle()
	if del.GetDeleteTime() == nil || del.GetPurgeTime() == nil || !del.GetPurgeTime().AsTime().After(del.GetDeleteTime().AsTime()) {
		t.Errorf("deleted article: delete_time %v, purge_time %v", del.GetDeleteTime(), del.GetPurgeTime())
	}
	_, err = e.articles.DeleteArticle(ctx, &factcheckv1.DeleteArticleRequest{Name: art.GetName()})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "ALREADY_DELETED", precondition: art.GetName()})

	// Lists hide it unless asked; a token is bound to show_deleted.
	list, err := e.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{})
	if err != nil || len(list.GetArticles()) != 0 {
		t.Errorf("ListArticles after a delete: %v, %v", list, err)
	}
	anns, err := e.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", ShowDeleted: true})
	if err != nil || len(anns.GetAnnotations()) != 1 || anns.GetAnnotations()[0].GetDeleteTime() == nil {
		t.Errorf("ListAnnotations with show_deleted: %v, %v", anns, err)
	}
	if _, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{Url: art.GetUrl(), Text: "x"}}); err == nil {
		t.Fatal("the URL of a deleted article was reused")
	} else {
		checkErr(t, err, wantErr{code: codes.AlreadyExists, reason: "URL_ALREADY_EXISTS", says: []string{"undelete " + art.GetName(), "wait for the purge"}})
	}
	_, err = e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{Article: &factcheckv1.Article{Name: art.GetName(), Title: "x"}})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "ARTICLE_DELETED", precondition: art.GetName(), says: []string{"undelete it"}})
	_, err = e.annotations.UndeleteAnnotation(ctx, &factcheckv1.UndeleteAnnotationRequest{Name: ann.GetName()})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "ARTICLE_DELETED", precondition: art.GetName()})

	_, err = e.articles.UndeleteArticle(ctx, &factcheckv1.UndeleteArticleRequest{Name: art.GetName(), Etag: art.GetEtag()})
	checkErr(t, err, wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH"})
	back, err := e.articles.UndeleteArticle(ctx, &factcheckv1.UndeleteArticleRequest{Name: art.GetName(), Etag: del.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if a := back.GetArticle(); a.GetDeleteTime() != nil || a.GetPurgeTime() != nil || a.GetText() != art.GetText() {
		t.Errorf("undeleted article: %v", a)
	}
	// The annotation deleted with it came back with it.
	if a, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: ann.GetName()}); err != nil || a.GetAnnotation().GetDeleteTime() != nil {
		t.Errorf("annotation after undeleting its article: %v, %v", a, err)
	}
	_, err = e.articles.UndeleteArticle(ctx, &factcheckv1.UndeleteArticleRequest{Name: art.GetName()})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "NOT_DELETED", precondition: art.GetName()})

	// Sources: a deleted source cannot be cited.
	if _, err := e.annotations.DeleteAnnotation(ctx, &factcheckv1.DeleteAnnotationRequest{Name: ann.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sources.DeleteSource(ctx, &factcheckv1.DeleteSourceRequest{Name: src.GetName()}); err != nil {
		t.Fatal(err)
	}
	_, err = e.annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{Parent: art.GetName(), Annotation: &factcheckv1.Annotation{
		Anchor:    &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: wapoQuote}},
		Claim:     &factcheckv1.Claim{Text: "A claim"},
		Citations: []*factcheckv1.Citation{{Source: src.GetName()}},
	}})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "SOURCE_DELETED", fields: []string{"annotation.citations[0].source"}})
	_, err = e.annotations.UndeleteAnnotation(ctx, &factcheckv1.UndeleteAnnotationRequest{Name: ann.GetName()})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "SOURCE_DELETED", precondition: src.GetName()})
	srcs, err := e.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{})
	if err != nil || len(srcs.GetSources()) != 0 {
		t.Errorf("ListSources after a delete: %v, %v", srcs, err)
	}
	srcs, err = e.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{ShowDeleted: true})
	if err != nil || len(srcs.GetSources()) != 1 || srcs.GetSources()[0].GetDeleteTime() == nil {
		t.Errorf("ListSources with show_deleted: %v, %v", srcs, err)
	}
	if s, err := e.sources.UndeleteSource(ctx, &factcheckv1.UndeleteSourceRequest{Name: src.GetName()}); err != nil || s.GetSource().GetDeleteTime() != nil {
		t.Fatalf("UndeleteSource: %v, %v", s, err)
	}
	a, err := e.annotations.UndeleteAnnotation(ctx, &factcheckv1.UndeleteAnnotationRequest{Name: ann.GetName()})
	if err != nil || a.GetAnnotation().GetDeleteTime() != nil {
		t.Fatalf("UndeleteAnnotation: %v, %v", a, err)
	}
	_, err = e.sources.UndeleteSource(ctx, &factcheckv1.UndeleteSourceRequest{Name: src.GetName()})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "NOT_DELETED"})
	_, err = e.annotations.UndeleteAnnotation(ctx, &factcheckv1.UndeleteAnnotationRequest{Name: "articles/nope/annotations/x"})
	checkErr(t, err, wantErr{code: codes.NotFound, reason: "ARTICLE_NOT_FOUND"})
	_, err = e.articles.UndeleteArticle(ctx, &factcheckv1.UndeleteArticleRequest{Name: "article/x"})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"name"}})
}

// TestShowDeletedPageToken: a page token of a list without show_deleted is
// refused by the same list with it.
func TestShowDeletedPageToken(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	for _, u := range []string{"https://news.example/1", "https://news.example/2"} {
		if _, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{Url: u, Text: "Text."}}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := e.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 1})
	if err != nil || page.GetNextPageToken() == "" {
		t.Fatalf("first page: %v, %v", page, err)
	}
	_, err = e.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 1, PageToken: page.GetNextPageToken(), ShowDeleted: true})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}, says: []string{"show_deleted"}})
}
