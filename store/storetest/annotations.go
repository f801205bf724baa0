package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/factcheck/factcheck/store"
)

// ignoreAnnotationOutput ignores what the store sets, including the computed
// parts of the anchor (checked separately).
var ignoreAnnotationOutput = cmpopts.IgnoreFields(store.Annotation{},
	"ID", "Author", "CreateTime", "UpdateTime", "Etag", "State", "Anchor", "RevisionID")

// claimSpan is where "Claim NN" sits in claimText.
func claimSpan(n int) store.Span { return store.Span{Start: 10 * n, End: 10*n + 8} }

// checkAnchored checks a resolved anchor in an all-ASCII text.
func checkAnchored(t *testing.T, a store.Anchor, text string, want store.Span, revision int32) {
	t.Helper()
	if !a.HasPosition || a.Start != want.Start || a.End != want.End {
		t.Errorf("anchor position %v [%d,%d), want [%d,%d)", a.HasPosition, a.Start, a.End, want.Start, want.End)
	}
	if a.UTF16 != want || a.UTF8 != want {
		t.Errorf("anchor UTF16 %v, UTF8 %v, want both %v in an ASCII text", a.UTF16, a.UTF8, want)
	}
	if a.Status != store.StatusAnchored || a.ArticleRevision != revision {
		t.Errorf("anchor Status %v, ArticleRevision %d; want STATUS_ANCHORED, %d", a.Status, a.ArticleRevision, revision)
	}
	if want.Start > 0 && (a.Prefix == "" || !strings.HasSuffix(text[:want.Start], a.Prefix)) {
		t.Errorf("anchor Prefix %q is not the context before the quote", a.Prefix)
	}
	if want.End < len(text) && (a.Suffix == "" || !strings.HasPrefix(text[want.End:], a.Suffix)) {
		t.Errorf("anchor Suffix %q is not the context after the quote", a.Suffix)
	}
}

func testAnnotationCRUD(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	src := h.createSource(newSource(1))
	in := newAnnotation(art.ID, 3)
	in.ID = "ann-1"
	in.Claim.Claimant = store.Claimant{Name: "A. Minister", Kind: store.ClaimantPerson, SameAs: "https://wiki.example/minister", Description: "finance minister"}
	in.Claim.ClaimTime = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	in.Verdict = store.Verdict{Rating: store.RatingFalse, Label: "Wrong number", Rationale: "The *report* says otherwise."}
	in.Citations = []store.Citation{{SourceID: src.ID, Quote: "taxes rose", Stance: store.StanceRefutes, Note: "p. 4"}}
	in.Labels = map[string]string{"topic": "economy"}
	in.ExternalID = "import-1"
	start := time.Now()
	got := h.createAnnotation(in)

	if got.ID != "ann-1" || got.ArticleID != art.ID || got.Name() != "articles/claims/annotations/ann-1" {
		t.Errorf("ID %q, ArticleID %q, Name %q", got.ID, got.ArticleID, got.Name())
	}
	if got.State != store.StateDraft {
		t.Errorf("State = %v, want the default STATE_DRAFT", got.State)
	}
	if got.Etag == "" {
		t.Error("no Etag")
	}
	checkNewTimes(t, got.CreateTime, got.UpdateTime, start)
	if d := diff(in, got, ignoreAnnotationOutput); d != "" {
		t.Errorf("created annotation differs from the input (-want +got):\n%s", d)
	}
	if got.Anchor.Exact != "Claim 03" {
		t.Errorf("Anchor.Exact = %q", got.Anchor.Exact)
	}
	checkAnchored(t, got.Anchor, claimText, claimSpan(3), 1)
	if d := diff(got, h.getAnnotation(art.ID, got.ID)); d != "" {
		t.Errorf("GetAnnotation differs (-create +get):\n%s", d)
	}

	up := h.updateAnnotation(art.ID, got.ID, func(a *store.Annotation) {
		a.State = store.StatePublished
		a.Verdict.Rating = store.RatingMostlyFalse
	})
	if up.State != store.StatePublished || up.Verdict.Rating != store.RatingMostlyFalse || up.Etag == got.Etag ||
		!up.CreateTime.Equal(got.CreateTime) || up.UpdateTime.Before(got.UpdateTime) {
		t.Errorf("updated annotation: %+v", up)
	}
	if d := diff(got.Anchor, up.Anchor); d != "" {
		t.Errorf("an update that kept the anchor changed it (-before +after):\n%s", d)
	}
	if d := diff(up, h.getAnnotation(art.ID, got.ID)); d != "" {
		t.Errorf("GetAnnotation differs (-update +get):\n%s", d)
	}

	check(t, s.DeleteAnnotation(ctx, art.ID, got.ID, up.Etag))
	if del := h.getAnnotation(art.ID, got.ID); del.DeleteTime.IsZero() || !del.PurgeTime.After(del.DeleteTime) {
		t.Errorf("deleted annotation has DeleteTime %v, PurgeTime %v", del.DeleteTime, del.PurgeTime)
	}
	_, err := s.CreateAnnotation(ctx, in)
	wantErr(t, err, store.ErrAlreadyExists, "ANNOTATION_ALREADY_EXISTS")
	wantErr(t, s.DeleteAnnotation(ctx, art.ID, got.ID, ""), store.ErrFailedPrecondition, "ALREADY_DELETED")
	h.purgeAll()
	_, err = s.GetAnnotation(ctx, art.ID, got.ID)
	if se := wantErr(t, err, store.ErrNotFound, "ANNOTATION_NOT_FOUND"); se.Resource != "articles/claims/annotations/ann-1" {
		t.Errorf("Resource = %q", se.Resource)
	}
	wantErr(t, s.DeleteAnnotation(ctx, art.ID, got.ID, ""), store.ErrNotFound, "ANNOTATION_NOT_FOUND")
	h.createAnnotation(in) // ID and external_id are free again
}

func testAnnotationGeneratedIDs(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	var ids []string
	for i := range 5 {
		a := h.createAnnotation(newAnnotation(art.ID, i))
		if !idSyntax.MatchString(a.ID) {
			t.Errorf("generated ID %q does not match %s", a.ID, idSyntax)
		}
		ids = append(ids, a.ID)
		h.getAnnotation(art.ID, a.ID)
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("generated IDs %q are not distinct and in creation order", ids)
	}
}

func testAnnotationOutputOnlyIgnored(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	in := newAnnotation(art.ID, 4)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	in.Author, in.Etag, in.CreateTime, in.UpdateTime = "mallory", "forged", old, old
	in.Anchor.Status, in.Anchor.ArticleRevision = store.StatusOrphaned, 7
	in.Anchor.UTF16, in.Anchor.UTF8 = store.Span{Start: 1, End: 2}, store.Span{Start: 3, End: 4}
	got := h.createAnnotation(in)
	if got.Author == "mallory" || got.Etag == "forged" || got.CreateTime.Equal(old) || got.UpdateTime.Equal(old) {
		t.Errorf("output-only input fields were kept: %+v", got)
	}
	checkAnchored(t, got.Anchor, claimText, claimSpan(4), 1)
}

func testAnnotationNotFound(t *testing.T, s store.Store) {
	h := harness{t, s}
	_, err := s.CreateAnnotation(ctx, newAnnotation("missing", 1))
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	_, err = s.GetAnnotation(ctx, "missing", "x")
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	_, _, err = s.ListAnnotations(ctx, "missing", store.ListQuery{PageSize: 10})
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")

	art := h.claimArticle("claims")
	_, err = s.GetAnnotation(ctx, art.ID, "missing")
	wantErr(t, err, store.ErrNotFound, "ANNOTATION_NOT_FOUND")
	called := false
	_, err = s.UpdateAnnotation(ctx, art.ID, "missing", "", func(*store.Annotation) error { called = true; return nil })
	wantErr(t, err, store.ErrNotFound, "ANNOTATION_NOT_FOUND")
	_, err = s.UpdateAnnotation(ctx, "missing", "x", "", func(*store.Annotation) error { called = true; return nil })
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	if called {
		t.Error("UpdateAnnotation called the closure for a missing annotation")
	}
	wantErr(t, s.DeleteAnnotation(ctx, art.ID, "missing", ""), store.ErrNotFound, "ANNOTATION_NOT_FOUND")
	wantErr(t, s.DeleteAnnotation(ctx, "missing", "x", ""), store.ErrNotFound, "ARTICLE_NOT_FOUND")
}

func testAnnotationIDsPerArticle(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("a")
	b := h.claimArticle("b")
	inA := newAnnotation(a.ID, 1)
	inA.ID = "c1"
	inB := newAnnotation(b.ID, 2)
	inB.ID = "c1"
	h.createAnnotation(inA)
	h.createAnnotation(inB)
	_, err := s.CreateAnnotation(ctx, inA)
	wantErr(t, err, store.ErrAlreadyExists, "ANNOTATION_ALREADY_EXISTS")
	if got := h.getAnnotation(b.ID, "c1"); got.ArticleID != "b" || got.Anchor.Exact != "Claim 02" {
		t.Errorf("GetAnnotation(b, c1) = %+v", got)
	}
	check(t, s.DeleteAnnotation(ctx, a.ID, "c1", ""))
	h.getAnnotation(b.ID, "c1")
}

func testAnnotationExternalIDUnique(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("a")
	b := h.claimArticle("b")
	in := newAnnotation(a.ID, 1)
	in.ExternalID = "imp-1"
	first := h.createAnnotation(in)
	dup := newAnnotation(b.ID, 1)
	dup.ExternalID = "imp-1"
	_, err := s.CreateAnnotation(ctx, dup)
	wantErr(t, err, store.ErrAlreadyExists, "EXTERNAL_ID_ALREADY_EXISTS")

	// Annotations without an external ID never conflict.
	h.createAnnotation(newAnnotation(a.ID, 2))
	other := h.createAnnotation(newAnnotation(b.ID, 2))
	_, err = s.UpdateAnnotation(ctx, b.ID, other.ID, "", func(x *store.Annotation) error { x.ExternalID = "imp-1"; return nil })
	wantErr(t, err, store.ErrAlreadyExists, "EXTERNAL_ID_ALREADY_EXISTS")
	h.updateAnnotation(a.ID, first.ID, func(x *store.Annotation) { x.Claim.Text = "kept external id" })
	h.updateAnnotation(a.ID, first.ID, func(x *store.Annotation) { x.ExternalID = "imp-2" })
	h.updateAnnotation(b.ID, other.ID, func(x *store.Annotation) { x.ExternalID = "imp-1" })
}

func testAnnotationCitations(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	src := h.createSource(newSource(1))
	in := newAnnotation(art.ID, 1)
	in.Citations = []store.Citation{{SourceID: src.ID}, {SourceID: "missing"}}
	_, err := s.CreateAnnotation(ctx, in)
	se := wantErr(t, err, store.ErrInvalidArgument, "SOURCE_NOT_FOUND")
	wantViolation(t, se, "citations[1].source")
	if anns, _, err := s.ListAnnotations(ctx, art.ID, store.ListQuery{PageSize: 10}); err != nil || len(anns) != 0 {
		t.Errorf("a refused create stored something: %v, %v", anns, err)
	}

	in.Citations = in.Citations[:1]
	got := h.createAnnotation(in)
	_, err = s.UpdateAnnotation(ctx, art.ID, got.ID, "", func(x *store.Annotation) error {
		x.Citations = []store.Citation{{SourceID: "gone"}}
		return nil
	})
	wantViolation(t, wantErr(t, err, store.ErrInvalidArgument, "SOURCE_NOT_FOUND"), "citations[0].source")
	if d := diff(got, h.getAnnotation(art.ID, got.ID)); d != "" {
		t.Errorf("a refused update changed the annotation (-want +got):\n%s", d)
	}
}

func testAnnotationEtags(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	a := h.createAnnotation(newAnnotation(art.ID, 1))
	up, err := s.UpdateAnnotation(ctx, art.ID, a.ID, a.Etag, func(x *store.Annotation) error { x.Verdict.Label = "v2"; return nil })
	check(t, err)
	_, err = s.UpdateAnnotation(ctx, art.ID, a.ID, a.Etag, func(x *store.Annotation) error { x.Verdict.Label = "v3"; return nil })
	wantErr(t, err, store.ErrConflict, "ETAG_MISMATCH")
	wantErr(t, s.DeleteAnnotation(ctx, art.ID, a.ID, a.Etag), store.ErrConflict, "ETAG_MISMATCH")
	if got := h.getAnnotation(art.ID, a.ID); got.Verdict.Label != "v2" {
		t.Errorf("Verdict.Label = %q, want v2", got.Verdict.Label)
	}
	check(t, s.DeleteAnnotation(ctx, art.ID, a.ID, up.Etag))
}

func testAnnotationUpdateClosure(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	h.claimArticle("elsewhere")
	a := h.createAnnotation(newAnnotation(art.ID, 1))
	_, err := s.UpdateAnnotation(ctx, art.ID, a.ID, "", func(x *store.Annotation) error {
		x.Claim.Text = "changed"
		return errClosure
	})
	if err != errClosure { //nolint:errorlint // the contract is "unchanged"
		t.Errorf("err = %v, want the closure's error unchanged", err)
	}
	if d := diff(a, h.getAnnotation(art.ID, a.ID)); d != "" {
		t.Errorf("a failed closure changed the annotation (-want +got):\n%s", d)
	}

	up := h.updateAnnotation(art.ID, a.ID, func(x *store.Annotation) {
		x.Claim.Text = "changed"
		x.ID, x.ArticleID, x.Author, x.Etag = "other", "elsewhere", "mallory", "forged"
		x.CreateTime, x.UpdateTime = time.Unix(0, 0), time.Unix(0, 0)
		x.Anchor.Status, x.Anchor.ArticleRevision = store.StatusOrphaned, 9
		x.Anchor.UTF16, x.Anchor.UTF8 = store.Span{}, store.Span{}
	})
	if up.ID != a.ID || up.ArticleID != art.ID || up.Author == "mallory" || up.Etag == "forged" ||
		!up.CreateTime.Equal(a.CreateTime) || up.UpdateTime.Before(a.UpdateTime) || up.Claim.Text != "changed" {
		t.Errorf("the closure changed output-only fields: %+v", up)
	}
	checkAnchored(t, up.Anchor, claimText, claimSpan(1), 1)
	_, err = s.GetAnnotation(ctx, "elsewhere", "other")
	wantErr(t, err, store.ErrNotFound, "ANNOTATION_NOT_FOUND")
}

func testAnnotationUpdateAnchor(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	a := h.createAnnotation(newAnnotation(art.ID, 1))

	up := h.updateAnnotation(art.ID, a.ID, func(x *store.Annotation) {
		x.Anchor = store.Anchor{Exact: "Claim 07"}
	})
	checkAnchored(t, up.Anchor, claimText, claimSpan(7), 1)

	_, err := s.UpdateAnnotation(ctx, art.ID, a.ID, "", func(x *store.Annotation) error {
		x.Anchor = store.Anchor{Exact: "Claim 99"}
		return nil
	})
	wantViolation(t, wantErr(t, err, store.ErrInvalidArgument, "QUOTE_NOT_FOUND"), "anchor.quote.exact")
	_, err = s.UpdateAnnotation(ctx, art.ID, a.ID, "", func(x *store.Annotation) error {
		x.Anchor.Start, x.Anchor.End = 0, 8 // "Claim 00", not "Claim 07"
		return nil
	})
	wantErr(t, err, store.ErrInvalidArgument, "POSITION_MISMATCH")
	if d := diff(up, h.getAnnotation(art.ID, a.ID)); d != "" {
		t.Errorf("refused anchor updates changed the annotation (-want +got):\n%s", d)
	}
}

func testArticleDeleteWithAnnotations(t *testing.T, s store.Store) {
	h := harness{t, s}
	src := h.createSource(newSource(1))
	art := h.claimArticle("doomed")
	keep := h.claimArticle("kept")
	var created []*store.Annotation
	for i := range 3 {
		in := newAnnotation(art.ID, i)
		in.ID = "n" + string(rune('a'+i))
		in.ExternalID = "ext-" + in.ID
		in.Citations = []store.Citation{{SourceID: src.ID}}
		created = append(created, h.createAnnotation(in))
	}
	kept := h.createAnnotation(newAnnotation(keep.ID, 1))

	se := wantErr(t, s.DeleteArticle(ctx, art.ID, "", false), store.ErrFailedPrecondition, "ARTICLE_HAS_ANNOTATIONS")
	if se.Resource != "articles/doomed" {
		t.Errorf("Resource = %q", se.Resource)
	}
	h.getArticle(art.ID)
	wantErr(t, s.DeleteArticle(ctx, art.ID, "stale", true), store.ErrConflict, "ETAG_MISMATCH")
	h.getAnnotation(art.ID, "na")

	check(t, s.DeleteArticle(ctx, art.ID, "", true))
	if a := h.getAnnotation(art.ID, "na"); a.DeleteTime.IsZero() {
		t.Error("a forced delete left an annotation live")
	}
	all, _, err := s.ListAnnotations(ctx, "", store.ListQuery{PageSize: 100})
	check(t, err)
	if len(all) != 1 || all[0].ID != kept.ID {
		t.Errorf("after the cascade, annotations are %v, want only %s", names(all), kept.Name())
	}
	// Deleted annotations no longer hold the source.
	check(t, s.DeleteSource(ctx, src.ID, ""))
	h.purgeAll()
	_, err = s.GetArticle(ctx, art.ID)
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	_, err = s.GetAnnotation(ctx, art.ID, "na")
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	// The purge freed what the annotations held: the external IDs, and
	// (with the article) its ID and URL.
	h.claimArticle("doomed")
	for _, a := range created {
		in := *a
		in.Citations = nil
		h.createAnnotation(&in)
	}
}

func names[T interface{ Name() string }](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.Name()
	}
	return out
}
