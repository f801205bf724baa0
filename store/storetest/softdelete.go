package storetest

import (
	"slices"
	"testing"

	"github.com/factcheck/factcheck/store"
)

// Soft delete (AIP-164): the promises of "Soft delete" on store.Store.

func testSoftDeleteLists(t *testing.T, s store.Store) {
	h := harness{t, s}
	var arts []*store.Article
	for i := range 3 {
		arts = append(arts, h.createArticle(newArticle(i)))
	}
	check(t, s.DeleteArticle(ctx, arts[1].ID, "", false))
	for _, q := range []store.ListQuery{
		{PageSize: 10},
		{PageSize: 10, OrderBy: store.OrderBy{Field: store.OrderByUpdateTime, Desc: true}},
		{PageSize: 1},
	} {
		var got []*store.Article
		for {
			page, next, err := s.ListArticles(ctx, q)
			check(t, err)
			got = append(got, page...)
			if next == "" {
				break
			}
			q.PageToken = next
		}
		if ids := articleIDs(got); slices.Contains(ids, arts[1].ID) || len(ids) != 2 {
			t.Errorf("ListArticles(%+v) = %v: want the two live articles", q, ids)
		}
	}
	all, _, err := s.ListArticles(ctx, store.ListQuery{PageSize: 10, ShowDeleted: true})
	check(t, err)
	if len(all) != 3 || all[1].ID != arts[1].ID || all[1].DeleteTime.IsZero() || !all[0].DeleteTime.IsZero() {
		t.Errorf("ListArticles with ShowDeleted = %v", articleIDs(all))
	}

	src := h.createSource(newSource(1))
	other := h.createSource(newSource(2))
	check(t, s.DeleteSource(ctx, src.ID, ""))
	srcs, _, err := s.ListSources(ctx, store.ListQuery{PageSize: 10})
	check(t, err)
	if len(srcs) != 1 || srcs[0].ID != other.ID {
		t.Errorf("ListSources after a delete: %v", names(srcs))
	}
	srcs, _, err = s.ListSources(ctx, store.ListQuery{PageSize: 10, ShowDeleted: true})
	check(t, err)
	if len(srcs) != 2 {
		t.Errorf("ListSources with ShowDeleted: %v", names(srcs))
	}

	claims := h.claimArticle("listed")
	a := h.createAnnotation(newAnnotation(claims.ID, 1))
	b := h.createAnnotation(newAnnotation(claims.ID, 2))
	check(t, s.DeleteAnnotation(ctx, claims.ID, a.ID, ""))
	for _, parent := range []string{claims.ID, ""} {
		anns, _, err := s.ListAnnotations(ctx, parent, store.ListQuery{PageSize: 10})
		check(t, err)
		if len(anns) != 1 || anns[0].ID != b.ID {
			t.Errorf("ListAnnotations(%q) after a delete: %v", parent, names(anns))
		}
		anns, _, err = s.ListAnnotations(ctx, parent, store.ListQuery{PageSize: 10, ShowDeleted: true})
		check(t, err)
		if len(anns) != 2 {
			t.Errorf("ListAnnotations(%q) with ShowDeleted: %v", parent, names(anns))
		}
	}
}

func articleIDs(as []*store.Article) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func testSoftDeleteWrites(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("writes")
	check(t, s.DeleteArticle(ctx, art.ID, "", false))
	del := h.getArticle(art.ID)
	if del.Etag == art.Etag {
		t.Error("a delete kept the etag")
	}
	wantErr(t, s.DeleteArticle(ctx, art.ID, "", false), store.ErrFailedPrecondition, "ALREADY_DELETED")
	_, err := s.UpdateArticle(ctx, art.ID, "", func(a *store.Article) error { a.Title = "x"; return nil })
	wantErr(t, err, store.ErrFailedPrecondition, "ARTICLE_DELETED")
	in := newAnnotation(art.ID, 1)
	_, err = s.CreateAnnotation(ctx, in)
	wantErr(t, err, store.ErrFailedPrecondition, "ARTICLE_DELETED")
	if d := diff(del, h.getArticle(art.ID)); d != "" {
		t.Errorf("refused writes changed the deleted article (-want +got):\n%s", d)
	}

	_, err = s.UndeleteArticle(ctx, art.ID, "stale")
	wantErr(t, err, store.ErrConflict, "ETAG_MISMATCH")
	got, err := s.UndeleteArticle(ctx, art.ID, del.Etag)
	check(t, err)
	if !got.DeleteTime.IsZero() || !got.PurgeTime.IsZero() || got.Etag == del.Etag || got.Title != art.Title {
		t.Errorf("undeleted article: %+v", got)
	}
	if d := diff(got, h.getArticle(art.ID)); d != "" {
		t.Errorf("GetArticle differs from UndeleteArticle's result (-undelete +get):\n%s", d)
	}
	_, err = s.UndeleteArticle(ctx, art.ID, "")
	wantErr(t, err, store.ErrFailedPrecondition, "NOT_DELETED")
	h.updateArticle(art.ID, func(a *store.Article) { a.Title = "Live again" })

	src := h.createSource(newSource(1))
	check(t, s.DeleteSource(ctx, src.ID, ""))
	_, err = s.UpdateSource(ctx, src.ID, "", func(x *store.Source) error { x.Notes = "x"; return nil })
	wantErr(t, err, store.ErrFailedPrecondition, "SOURCE_DELETED")
	undel, err := s.UndeleteSource(ctx, src.ID, "")
	check(t, err)
	if !undel.DeleteTime.IsZero() {
		t.Errorf("undeleted source: %+v", undel)
	}
	_, err = s.UndeleteSource(ctx, src.ID, "")
	wantErr(t, err, store.ErrFailedPrecondition, "NOT_DELETED")

	ann := h.createAnnotation(in)
	check(t, s.DeleteAnnotation(ctx, art.ID, ann.ID, ""))
	_, err = s.UpdateAnnotation(ctx, art.ID, ann.ID, "", func(a *store.Annotation) error { a.Labels = map[string]string{"x": "y"}; return nil })
	wantErr(t, err, store.ErrFailedPrecondition, "ANNOTATION_DELETED")
	_, err = s.RollbackAnnotation(ctx, art.ID, ann.ID, 1, "")
	wantErr(t, err, store.ErrFailedPrecondition, "ANNOTATION_DELETED")
	back, err := s.UndeleteAnnotation(ctx, art.ID, ann.ID, "")
	check(t, err)
	if !back.DeleteTime.IsZero() || back.RevisionID != ann.RevisionID {
		t.Errorf("undeleted annotation: DeleteTime %v, RevisionID %d (was %d)", back.DeleteTime, back.RevisionID, ann.RevisionID)
	}
	_, err = s.UndeleteAnnotation(ctx, art.ID, ann.ID, "")
	wantErr(t, err, store.ErrFailedPrecondition, "NOT_DELETED")
}

// testSoftDeleteCascade: a forced delete of an article deletes its live
// annotations, and undeleting the article restores exactly those.
func testSoftDeleteCascade(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("cascade")
	var anns []*store.Annotation
	for i := range 3 {
		anns = append(anns, h.createAnnotation(newAnnotation(art.ID, i)))
	}
	check(t, s.DeleteAnnotation(ctx, art.ID, anns[0].ID, ""))
	// A deleted annotation does not hold its article.
	check(t, s.DeleteArticle(ctx, art.ID, "", true))
	for _, a := range anns {
		if h.getAnnotation(art.ID, a.ID).DeleteTime.IsZero() {
			t.Errorf("%s is live after a forced delete of its article", a.Name())
		}
	}
	_, err := s.UndeleteAnnotation(ctx, art.ID, anns[1].ID, "")
	wantErr(t, err, store.ErrFailedPrecondition, "ARTICLE_DELETED")
	lst, _, err := s.ListAnnotations(ctx, art.ID, store.ListQuery{PageSize: 10})
	check(t, err)
	if len(lst) != 0 {
		t.Errorf("the annotations of a deleted article are listed: %v", names(lst))
	}

	_, err = s.UndeleteArticle(ctx, art.ID, "")
	check(t, err)
	if h.getAnnotation(art.ID, anns[0].ID).DeleteTime.IsZero() {
		t.Error("undeleting the article restored an annotation deleted before it")
	}
	for _, a := range anns[1:] {
		if got := h.getAnnotation(art.ID, a.ID); !got.DeleteTime.IsZero() {
			t.Errorf("%s was deleted with its article but not restored with it", a.Name())
		}
	}

	// Without force, only live annotations hold the article.
	check(t, s.DeleteAnnotation(ctx, art.ID, anns[1].ID, ""))
	se := wantErr(t, s.DeleteArticle(ctx, art.ID, "", false), store.ErrFailedPrecondition, "ARTICLE_HAS_ANNOTATIONS")
	if len(se.Preconditions) != 1 || se.Preconditions[0].Subject != anns[2].Name() {
		t.Errorf("Preconditions = %+v, want only %s", se.Preconditions, anns[2].Name())
	}
}

// testSoftDeleteSources: live annotations hold a source, deleted sources
// cannot be cited, and an annotation that comes back must cite live ones.
func testSoftDeleteSources(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("cites")
	src := h.createSource(newSource(1))
	in := newAnnotation(art.ID, 1)
	in.Citations = []store.Citation{{SourceID: src.ID}}
	ann := h.createAnnotation(in)
	wantErr(t, s.DeleteSource(ctx, src.ID, ""), store.ErrFailedPrecondition, "SOURCE_IN_USE")
	check(t, s.DeleteAnnotation(ctx, art.ID, ann.ID, ""))
	check(t, s.DeleteSource(ctx, src.ID, ""))

	in2 := newAnnotation(art.ID, 2)
	in2.Citations = []store.Citation{{SourceID: src.ID}}
	_, err := s.CreateAnnotation(ctx, in2)
	se := wantErr(t, err, store.ErrInvalidArgument, "SOURCE_DELETED")
	if len(se.Violations) != 1 || se.Violations[0].Field != "citations[0].source" {
		t.Errorf("Violations = %+v", se.Violations)
	}
	_, err = s.UndeleteAnnotation(ctx, art.ID, ann.ID, "")
	wantErr(t, err, store.ErrFailedPrecondition, "SOURCE_DELETED")

	_, err = s.UndeleteSource(ctx, src.ID, "")
	check(t, err)
	_, err = s.UndeleteAnnotation(ctx, art.ID, ann.ID, "")
	check(t, err)
	wantErr(t, s.DeleteSource(ctx, src.ID, ""), store.ErrFailedPrecondition, "SOURCE_IN_USE")

	// A source purged while a deleted annotation cites it: the annotation
	// cannot come back.
	check(t, s.DeleteAnnotation(ctx, art.ID, ann.ID, ""))
	check(t, s.DeleteSource(ctx, src.ID, ""))
	gone := h.getSource(src.ID)
	n, err := s.Purge(ctx, gone.PurgeTime)
	check(t, err)
	if n < 1 {
		t.Fatalf("Purge at the source's purge time purged %d", n)
	}
	if _, err := s.GetSource(ctx, src.ID); err == nil {
		// The annotation, deleted earlier, may have been purged too;
		// the source must be.
		t.Error("the source survived its purge")
	}
	if _, err := s.GetAnnotation(ctx, art.ID, ann.ID); err == nil {
		_, err = s.UndeleteAnnotation(ctx, art.ID, ann.ID, "")
		wantErr(t, err, store.ErrFailedPrecondition, "SOURCE_NOT_FOUND")
	}
}

// testPurge: nothing is purged before its time; a purge removes the
// record, its history and its unique names, and the feed records every
// step.
func testPurge(t *testing.T, s store.Store) {
	h := harness{t, s}
	head, _ := s.ChangeNotify()
	art := h.claimArticle("purged")
	in := newAnnotation(art.ID, 1)
	in.ExternalID = "ext-purged"
	ann := h.createAnnotation(in)
	src := h.createSource(newSource(1))
	keep := h.createArticle(newArticle(7))

	check(t, s.DeleteArticle(ctx, art.ID, "", true))
	check(t, s.DeleteSource(ctx, src.ID, ""))
	check(t, s.DeleteArticle(ctx, keep.ID, "", false))
	_, err := s.UndeleteArticle(ctx, keep.ID, "")
	check(t, err)
	del := h.getArticle(art.ID)

	n, err := s.Purge(ctx, del.DeleteTime)
	check(t, err)
	if n != 0 {
		t.Errorf("Purge before the purge time purged %d", n)
	}
	h.getArticle(art.ID)
	h.getAnnotation(art.ID, ann.ID)

	n, err = s.Purge(ctx, farFuture)
	check(t, err)
	if n != 3 {
		t.Errorf("Purge purged %d, want 3 (article, annotation, source)", n)
	}
	_, err = s.GetArticle(ctx, art.ID)
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	_, err = s.GetSource(ctx, src.ID)
	wantErr(t, err, store.ErrNotFound, "SOURCE_NOT_FOUND")
	if got := h.getArticle(keep.ID); !got.DeleteTime.IsZero() {
		t.Error("an undeleted article is still deleted")
	}
	// Names are free again, histories start over.
	re := h.claimArticle("purged")
	revs, _, err := s.ListArticleRevisions(ctx, re.ID, store.RevisionQuery{PageSize: 10})
	check(t, err)
	if len(revs) != 1 {
		t.Errorf("re-created article has %d revisions", len(revs))
	}
	again := newAnnotation(re.ID, 1)
	again.ID, again.ExternalID = ann.ID, "ext-purged"
	if got := h.createAnnotation(again); got.RevisionID != 1 {
		t.Errorf("re-created annotation at revision %d", got.RevisionID)
	}
	h.createSource(newSource(1))
	if n, err := s.Purge(ctx, farFuture); err != nil || n != 0 {
		t.Errorf("a second Purge = %d, %v", n, err)
	}

	page, err := s.ListChanges(ctx, head, nil, 100)
	check(t, err)
	type ch struct {
		typ store.ChangeType
		res string
	}
	var got []ch
	for _, c := range page.Changes {
		if c.Type != store.ChangeCreated {
			got = append(got, ch{c.Type, c.Resource})
		}
	}
	want := []ch{
		{store.ChangeDeleted, ann.Name()},
		{store.ChangeDeleted, art.Name()},
		{store.ChangeDeleted, src.Name()},
		{store.ChangeDeleted, keep.Name()},
		{store.ChangeUndeleted, keep.Name()},
		{store.ChangePurged, ann.Name()},
		{store.ChangePurged, art.Name()},
		{store.ChangePurged, src.Name()},
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes other than creates:\n got %v\nwant %v", got, want)
	}
}
