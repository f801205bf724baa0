package storetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/factcheck/factcheck/anchor"
	"github.com/factcheck/factcheck/store"
)

// The re-anchoring text: three paragraphs long enough that each quote's
// context (about 32 code points a side) stays inside its own.
const (
	para1 = "The minister said taxes fell by five percent last year, according to the treasury."
	para2 = "Opposition leaders said the river is clean again after years of pollution."
	para3 = "A spokesperson added that the budget will be balanced by 2026 without new taxes."
	paras = para1 + "\n\n" + para2 + "\n\n" + para3
)

// asciiSpan is where exact first occurs in an ASCII text.
func asciiSpan(text, exact string) store.Span {
	i := strings.Index(text, exact)
	return store.Span{Start: i, End: i + len(exact)}
}

// testReanchorOnTextChange: the re-anchoring table, through the Store API.
// Each case annotates paras, changes the text once, and checks the status
// and what the anchor says afterwards.
func testReanchorOnTextChange(t *testing.T, s store.Store) {
	tests := []struct {
		name, quote, newText string
		status               store.AnchorStatus
		// found is the text at the new span (Fuzzy) or "" for the quote.
		found string
		// at is where the span starts in newText, -1 for the old span.
		at int
	}{
		{"text inserted before the span", "the river is clean again", "Breaking news. " + paras,
			store.StatusAnchored, "", len("Breaking news. ") + strings.Index(paras, "the river")},
		{"edit inside the span", "taxes fell by five percent", strings.Replace(paras, "five", "four", 1),
			store.StatusFuzzy, "taxes fell by four percent", strings.Index(paras, "taxes")},
		{"span deleted", "the budget will be balanced by 2026", para1 + "\n\n" + para2,
			store.StatusOrphaned, "", -1},
		{"paragraph duplicated", "the river is clean again", para1 + "\n\n" + para2 + "\n\n" + para2 + "\n\n" + para3,
			store.StatusAnchored, "", strings.Index(paras, "the river")},
		{"whitespace changed", "taxes fell by five percent", strings.Replace(paras, "taxes fell by five", "taxes  fell by\nfive", 1),
			store.StatusFuzzy, "taxes  fell by\nfive percent", strings.Index(paras, "taxes")},
		{"paragraph moved", "the budget will be balanced by 2026", para3 + "\n\n" + para1 + "\n\n" + para2,
			store.StatusMoved, "", strings.Index(para3, "the budget")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := harness{t, s}
			in := newArticle(len(tc.name))
			in.URL += "/" + strings.ReplaceAll(tc.name, " ", "-")
			in.Text = paras
			art := h.createArticle(in)
			before := h.createAnnotation(&store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: tc.quote}, Claim: store.Claim{Text: "c"}})
			bystander := h.createAnnotation(&store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "The minister"}, Claim: store.Claim{Text: "c"}})
			h.updateArticle(art.ID, func(a *store.Article) { a.Text = tc.newText })
			got := h.getAnnotation(art.ID, before.ID)
			a := got.Anchor
			if a.Status != tc.status {
				t.Fatalf("Status %v, want %v; anchor %+v", a.Status, tc.status, a)
			}
			if a.Exact != tc.quote {
				t.Errorf("Exact %q changed, want the quote as annotated", a.Exact)
			}
			if got.Etag == before.Etag || got.RevisionID != 2 {
				t.Errorf("Etag %q (was %q), RevisionID %d: want a new etag and revision 2", got.Etag, before.Etag, got.RevisionID)
			}
			old := store.Span{Start: before.Anchor.Start, End: before.Anchor.End}
			if tc.status == store.StatusOrphaned {
				if a.Start != old.Start || a.End != old.End || a.ArticleRevision != 1 || a.Previous != nil || a.FoundText != "" {
					t.Errorf("orphan %+v: want the old span %v of revision 1, no previous span or found text", a, old)
				}
				return
			}
			found := tc.found
			if found == "" {
				found = tc.quote
			}
			want := store.Span{Start: tc.at, End: tc.at + utf8.RuneCountInString(found)}
			if a.Start != want.Start || a.End != want.End || a.UTF8 != want || a.UTF16 != want || a.ArticleRevision != 2 {
				t.Errorf("anchor %+v: want span %v (in every unit) of revision 2", a, want)
			}
			if tc.newText[a.UTF8.Start:a.UTF8.End] != found {
				t.Errorf("the text at the span is %q, want %q", tc.newText[a.UTF8.Start:a.UTF8.End], found)
			}
			switch tc.status {
			case store.StatusAnchored:
				checkAnchored(t, a, tc.newText, want, 2)
				if a.Previous != nil || a.Score != 0 || a.FoundText != "" {
					t.Errorf("anchored: Previous %v, Score %v, FoundText %q; want none", a.Previous, a.Score, a.FoundText)
				}
			case store.StatusMoved:
				if a.Previous == nil || *a.Previous != old || a.PreviousRevision != 1 || a.FoundText != "" {
					t.Errorf("moved: Previous %v of revision %d, FoundText %q; want %v of revision 1 and no found text", a.Previous, a.PreviousRevision, a.FoundText, old)
				}
				if !strings.HasSuffix(tc.newText[:a.UTF8.Start], a.Prefix) || !strings.HasPrefix(tc.newText[a.UTF8.End:], a.Suffix) {
					t.Errorf("moved: context %q…%q is not the new text's", a.Prefix, a.Suffix)
				}
			case store.StatusFuzzy:
				if a.Previous == nil || *a.Previous != old || a.PreviousRevision != 1 {
					t.Errorf("fuzzy: Previous %v of revision %d, want %v of revision 1", a.Previous, a.PreviousRevision, old)
				}
				if a.FoundText != found || a.Score < anchor.FuzzyThreshold || a.Score >= 1 {
					t.Errorf("fuzzy: FoundText %q, Score %v; want %q and a score in [%v, 1)", a.FoundText, a.Score, found, anchor.FuzzyThreshold)
				}
				if a.Prefix != before.Anchor.Prefix || a.Suffix != before.Anchor.Suffix {
					t.Errorf("fuzzy: context %q…%q, want the annotated %q…%q", a.Prefix, a.Suffix, before.Anchor.Prefix, before.Anchor.Suffix)
				}
			}
			// anchor.status is filterable, through the index.
			list, _, err := s.ListAnnotations(ctx, art.ID, store.ListQuery{PageSize: 10,
				Filter: parse(t, "anchor.status = "+tc.status.String(), store.AnnotationFilterSchema)})
			check(t, err)
			if ids := annotationIDs(list); !slices.Contains(ids, got.ID) || (tc.status != store.StatusAnchored && slices.Contains(ids, bystander.ID)) {
				t.Errorf("anchor.status = %v lists %q", tc.status, ids)
			}
			revs, _, err := s.ListAnnotationRevisions(ctx, art.ID, got.ID, store.RevisionQuery{PageSize: 1})
			check(t, err)
			if len(revs) != 1 || revs[0].Cause != store.CauseReanchor || !slices.Contains(revs[0].FieldPaths, "anchor.article_revision") {
				t.Errorf("latest revision %+v: want a CAUSE_REANCHOR revision naming anchor.article_revision", revs)
			}
		})
	}
}

func annotationIDs(anns []*store.Annotation) []string {
	out := make([]string, len(anns))
	for i, a := range anns {
		out[i] = a.ID
	}
	return out
}

// testReanchorMultilingual edits the multilingual sample before and inside
// its quotes: offsets move in code points, UTF-16 units and UTF-8 bytes
// alike.
func testReanchorMultilingual(t *testing.T, s store.Store) {
	h := harness{t, s}
	var m multilingual
	check(t, json.Unmarshal(testdataFile(t, "multilingual.article.json"), &m))
	art := h.createArticle(&store.Article{URL: m.URL, Title: m.Title, Language: m.Language, Text: m.Text})
	var anns []*store.Annotation
	for _, q := range m.Quotes {
		anns = append(anns, h.createAnnotation(&store.Annotation{ArticleID: art.ID, Claim: store.Claim{Text: "t"},
			Anchor: store.Anchor{Exact: q.Exact, HasPosition: true, Start: q.CodePoints[0], End: q.CodePoints[1]}}))
	}
	const head = "عاجل 🔴: " // Arabic, a space, an emoji outside the BMP
	newText := head + m.Text
	h.updateArticle(art.ID, func(a *store.Article) { a.Text = newText })
	cp, u16, u8 := utf8.RuneCountInString(head), len(utf16.Encode([]rune(head))), len(head)
	for i, q := range m.Quotes {
		a := h.getAnnotation(art.ID, anns[i].ID).Anchor
		want := store.Anchor{Exact: q.Exact, Prefix: a.Prefix, Suffix: a.Suffix, HasPosition: true,
			Start: q.CodePoints[0] + cp, End: q.CodePoints[1] + cp, ArticleRevision: 2, Status: store.StatusAnchored,
			UTF16: store.Span{Start: q.UTF16[0] + u16, End: q.UTF16[1] + u16},
			UTF8:  store.Span{Start: q.UTF8[0] + u8, End: q.UTF8[1] + u8}}
		if d := diff(want, a); d != "" {
			t.Errorf("quote %q after a heading was inserted (-want +got):\n%s", q.Exact, d)
		}
	}

	// Rewording inside the Arabic quote keeps it, approximately.
	const was, now = "المقاومة الإسلامية في العراق", "المقاومة الإسلامية العراقية"
	edited := strings.Replace(newText, was, now, 1)
	h.updateArticle(art.ID, func(a *store.Article) { a.Text = edited })
	a := h.getAnnotation(art.ID, anns[0].ID).Anchor
	if a.Status != store.StatusFuzzy || a.FoundText != now || edited[a.UTF8.Start:a.UTF8.End] != now ||
		utf8.RuneCountInString(edited[:a.UTF8.Start]) != a.Start || a.Previous == nil {
		t.Errorf("reworded Arabic quote: %+v, want STATUS_FUZZY finding %q", a, now)
	}
}

// testReanchorBackAndForth: a metadata change leaves anchors alone, and an
// orphan whose words come back is found where they were.
func testReanchorBackAndForth(t *testing.T, s store.Store) {
	h := harness{t, s}
	in := newArticle(1)
	in.Text = paras
	art := h.createArticle(in)
	budget := h.createAnnotation(&store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "the budget will be balanced"}, Claim: store.Claim{Text: "c"}})

	before := h.getAnnotation(art.ID, budget.ID)
	h.updateArticle(art.ID, func(a *store.Article) { a.Title = "retitled" })
	if d := diff(before, h.getAnnotation(art.ID, budget.ID)); d != "" {
		t.Errorf("a title change touched an annotation (-before +after):\n%s", d)
	}

	h.updateArticle(art.ID, func(a *store.Article) { a.Text = para1 + "\n\n" + para2 })
	orphan := h.getAnnotation(art.ID, budget.ID)
	if orphan.Anchor.Status != store.StatusOrphaned {
		t.Fatalf("status %v after the paragraph went, want STATUS_ORPHANED", orphan.Anchor.Status)
	}
	// Another edit elsewhere leaves the orphan as it is: same etag, no
	// new revision.
	h.updateArticle(art.ID, func(a *store.Article) { a.Text = "Update: " + a.Text })
	if got := h.getAnnotation(art.ID, budget.ID); got.Etag != orphan.Etag || got.RevisionID != orphan.RevisionID {
		t.Errorf("an orphan that stayed one was rewritten: etag %q→%q, revision %d→%d", orphan.Etag, got.Etag, orphan.RevisionID, got.RevisionID)
	}
	up := h.updateArticle(art.ID, func(a *store.Article) { a.Text = paras })
	if up.Revision != 4 {
		t.Errorf("Revision = %d, want 4", up.Revision)
	}
	checkAnchored(t, h.getAnnotation(art.ID, budget.ID).Anchor, paras, asciiSpan(paras, "the budget will be balanced"), 4)
}

func testArticleRevisions(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.createArticle(newArticle(1))
	texts := []string{a.Text, a.Text + " Corrected.", "Rewritten."}
	h.updateArticle(a.ID, func(x *store.Article) { x.Text = texts[1] })
	h.updateArticle(a.ID, func(x *store.Article) { x.Title = "metadata only" })
	last := h.updateArticle(a.ID, func(x *store.Article) { x.Text = texts[2] })

	for n, text := range texts {
		r, err := s.GetArticleRevision(ctx, a.ID, int32(n+1))
		check(t, err)
		if r.Revision != int32(n+1) || r.Text != text || r.TextSHA256 != sha(text) || r.ArticleID != a.ID || r.CreateTime.IsZero() {
			t.Errorf("revision %d: %+v, want text %q", n+1, r, text)
		}
		if want := a.Name() + "/revisions/" + string(rune('1'+n)); r.Name() != want {
			t.Errorf("Name() = %q, want %q", r.Name(), want)
		}
	}
	if r, _ := s.GetArticleRevision(ctx, a.ID, 3); !r.CreateTime.Equal(last.UpdateTime) {
		t.Errorf("revision 3 dated %v, want the update that made it (%v)", r.CreateTime, last.UpdateTime)
	}
	if r, _ := s.GetArticleRevision(ctx, a.ID, 1); !r.CreateTime.Equal(a.CreateTime) {
		t.Errorf("revision 1 dated %v, want the article's creation (%v)", r.CreateTime, a.CreateTime)
	}

	list := func(q store.RevisionQuery) (all []int32, pages int) {
		t.Helper()
		for {
			page, next, err := s.ListArticleRevisions(ctx, a.ID, q)
			check(t, err)
			pages++
			for _, r := range page {
				all = append(all, r.Revision)
			}
			if next == "" {
				return all, pages
			}
			q.PageToken = next
		}
	}
	if got, pages := list(store.RevisionQuery{PageSize: 10}); !slices.Equal(got, []int32{3, 2, 1}) || pages != 1 {
		t.Errorf("newest first: %v in %d pages, want [3 2 1] in 1", got, pages)
	}
	if got, pages := list(store.RevisionQuery{PageSize: 1}); !slices.Equal(got, []int32{3, 2, 1}) || pages != 3 {
		t.Errorf("pages of 1: %v in %d pages, want [3 2 1] in 3", got, pages)
	}
	if got, pages := list(store.RevisionQuery{PageSize: 2, OldestFirst: true}); !slices.Equal(got, []int32{1, 2, 3}) || pages != 2 {
		t.Errorf("oldest first: %v in %d pages, want [1 2 3] in 2", got, pages)
	}
	if got, pages := list(store.RevisionQuery{PageSize: 3, OldestFirst: true}); !slices.Equal(got, []int32{1, 2, 3}) || pages != 1 {
		t.Errorf("a page that reaches the end: %v in %d pages, want one page, no token", got, pages)
	}

	basic, _, err := s.ListArticleRevisions(ctx, a.ID, store.RevisionQuery{PageSize: 10, OmitText: true})
	check(t, err)
	for _, r := range basic {
		if r.Text != "" || r.TextSHA256 != sha(texts[r.Revision-1]) || r.CreateTime.IsZero() {
			t.Errorf("OmitText: revision %+v, want no text and the rest", r)
		}
	}

	_, err = s.GetArticleRevision(ctx, a.ID, 4)
	se := wantErr(t, err, store.ErrNotFound, "REVISION_NOT_FOUND")
	if se.Resource != a.Name()+"/revisions/4" {
		t.Errorf("Resource = %q", se.Resource)
	}
	_, err = s.GetArticleRevision(ctx, "nope", 1)
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	_, _, err = s.ListArticleRevisions(ctx, "nope", store.RevisionQuery{PageSize: 1})
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	_, _, err = s.ListArticleRevisions(ctx, a.ID, store.RevisionQuery{PageSize: 1, PageToken: "garbage!"})
	wantErr(t, err, store.ErrInvalidArgument, "INVALID_PAGE_TOKEN")
}

func testAnnotationRevisions(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("hist")
	created := h.createAnnotation(newAnnotation(art.ID, 1))
	if created.RevisionID != 1 {
		t.Errorf("RevisionID %d after create, want 1", created.RevisionID)
	}
	v2 := h.updateAnnotation(art.ID, created.ID, func(a *store.Annotation) { a.Verdict.Rating = store.RatingFalse })
	v3 := h.updateAnnotation(art.ID, created.ID, func(a *store.Annotation) {
		a.Claim.Text = "reworded"
		a.Labels = map[string]string{"desk": "x"}
		a.Anchor = store.Anchor{Exact: "Claim 02"}
	})
	if v2.RevisionID != 2 || v3.RevisionID != 3 {
		t.Errorf("RevisionIDs %d, %d after two updates, want 2, 3", v2.RevisionID, v3.RevisionID)
	}
	revs, next, err := s.ListAnnotationRevisions(ctx, art.ID, created.ID, store.RevisionQuery{PageSize: 10})
	check(t, err)
	if len(revs) != 3 || next != "" {
		t.Fatalf("%d revisions (next %q), want 3", len(revs), next)
	}
	wantPaths := [][]string{
		{"anchor.quote.exact", "anchor.quote.prefix", "anchor.quote.suffix", "anchor.position", "claim.text", "labels"},
		{"verdict.rating"},
		nil,
	}
	wantCause := []store.RevisionCause{store.CauseUpdate, store.CauseUpdate, store.CauseCreate}
	for i, r := range revs {
		n := int32(3 - i)
		if r.RevisionID != n || r.Annotation.RevisionID != n || r.Cause != wantCause[i] || r.RestoredRevisionID != 0 {
			t.Errorf("revision %d: id %d (snapshot %d), cause %v", n, r.RevisionID, r.Annotation.RevisionID, r.Cause)
		}
		if d := diff(wantPaths[i], r.FieldPaths); d != "" {
			t.Errorf("revision %d field paths (-want +got):\n%s", n, d)
		}
		if want := created.Name() + "/revisions/" + string(rune('0'+n)); r.Name() != want {
			t.Errorf("Name() = %q, want %q", r.Name(), want)
		}
	}
	if d := diff(v3, revs[0].Annotation); d != "" {
		t.Errorf("the latest revision is not the annotation (-annotation +revision):\n%s", d)
	}
	r2, err := s.GetAnnotationRevision(ctx, art.ID, created.ID, 2)
	check(t, err)
	if d := diff(v2, r2.Annotation); d != "" || !r2.CreateTime.Equal(v2.UpdateTime) {
		t.Errorf("revision 2 (-update +revision, dated %v):\n%s", r2.CreateTime, d)
	}
	page, next, err := s.ListAnnotationRevisions(ctx, art.ID, created.ID, store.RevisionQuery{PageSize: 2, OldestFirst: true})
	check(t, err)
	rest, last, err := s.ListAnnotationRevisions(ctx, art.ID, created.ID, store.RevisionQuery{PageSize: 2, OldestFirst: true, PageToken: next})
	check(t, err)
	if len(page) != 2 || page[0].RevisionID != 1 || next == "" || len(rest) != 1 || rest[0].RevisionID != 3 || last != "" {
		t.Errorf("oldest first in pages of 2: %d then %d revisions", len(page), len(rest))
	}
	_, err = s.GetAnnotationRevision(ctx, art.ID, created.ID, 9)
	se := wantErr(t, err, store.ErrNotFound, "REVISION_NOT_FOUND")
	if se.Resource != created.Name()+"/revisions/9" {
		t.Errorf("Resource = %q", se.Resource)
	}
	_, err = s.GetAnnotationRevision(ctx, art.ID, "nope", 1)
	wantErr(t, err, store.ErrNotFound, "ANNOTATION_NOT_FOUND")
	_, _, err = s.ListAnnotationRevisions(ctx, art.ID, "nope", store.RevisionQuery{PageSize: 1})
	wantErr(t, err, store.ErrNotFound, "ANNOTATION_NOT_FOUND")
}

func testAnnotationRollback(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("roll")
	v1 := h.createAnnotation(newAnnotation(art.ID, 1))
	h.updateAnnotation(art.ID, v1.ID, func(a *store.Annotation) {
		a.Verdict = store.Verdict{Rating: store.RatingFalse, Label: "wrong"}
		a.State = store.StatePublished
	})
	v3 := h.updateAnnotation(art.ID, v1.ID, func(a *store.Annotation) { a.Anchor = store.Anchor{Exact: "Claim 07"} })

	_, err := s.RollbackAnnotation(ctx, art.ID, v1.ID, 1, "stale")
	wantErr(t, err, store.ErrConflict, "ETAG_MISMATCH")
	_, err = s.RollbackAnnotation(ctx, art.ID, v1.ID, 7, "")
	wantErr(t, err, store.ErrNotFound, "REVISION_NOT_FOUND")

	got, err := s.RollbackAnnotation(ctx, art.ID, v1.ID, 1, v3.Etag)
	check(t, err)
	if got.RevisionID != 4 || got.Etag == v3.Etag || got.UpdateTime.Before(v3.UpdateTime) {
		t.Errorf("after rollback: RevisionID %d, Etag %q (was %q)", got.RevisionID, got.Etag, v3.Etag)
	}
	if d := diff(v1, got, ignoreAnnotationOutput); d != "" {
		t.Errorf("rolled back content differs from revision 1 (-v1 +got):\n%s", d)
	}
	if got.State != store.StateDraft {
		t.Errorf("State %v, want revision 1's STATE_DRAFT", got.State)
	}
	checkAnchored(t, got.Anchor, claimText, claimSpan(1), 1)
	if d := diff(got, h.getAnnotation(art.ID, v1.ID)); d != "" {
		t.Errorf("GetAnnotation differs from the rollback's result:\n%s", d)
	}
	r, err := s.GetAnnotationRevision(ctx, art.ID, v1.ID, 4)
	check(t, err)
	if r.Cause != store.CauseRollback || r.RestoredRevisionID != 1 ||
		!slices.Contains(r.FieldPaths, "verdict.rating") || !slices.Contains(r.FieldPaths, "anchor.position") {
		t.Errorf("rollback revision %+v: want CAUSE_ROLLBACK restoring 1, naming verdict.rating and anchor.position", r)
	}
	// A rollback is a revision like any other: it can be rolled back.
	again, err := s.RollbackAnnotation(ctx, art.ID, v1.ID, 3, "")
	check(t, err)
	if again.RevisionID != 5 || again.Verdict.Rating != store.RatingFalse || again.Anchor.Exact != "Claim 07" {
		t.Errorf("rolling back to 3: %+v", again)
	}
}

// testRollbackAnchor: the restored quote is carried to the current text,
// and refused when it is no longer there word for word.
func testRollbackAnchor(t *testing.T, s store.Store) {
	h := harness{t, s}
	in := newArticle(1)
	in.Text = paras
	art := h.createArticle(in)
	v1 := h.createAnnotation(&store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "the river is clean again"}, Claim: store.Claim{Text: "c"}})
	h.updateAnnotation(art.ID, v1.ID, func(a *store.Annotation) { a.Anchor = store.Anchor{Exact: "taxes fell by five percent"} })

	// The quote of revision 1 moved: the rollback finds it there.
	moved := para2 + "\n\n" + para1 + "\n\n" + para3
	h.updateArticle(art.ID, func(a *store.Article) { a.Text = moved })
	got, err := s.RollbackAnnotation(ctx, art.ID, v1.ID, 1, "")
	check(t, err)
	checkAnchored(t, got.Anchor, moved, asciiSpan(moved, "the river is clean again"), 2)

	// Once the quote is reworded, rolling back to it is refused.
	reworded := strings.Replace(moved, "the river is clean again", "the river is cleaner", 1)
	h.updateArticle(art.ID, func(a *store.Article) { a.Text = reworded })
	cur := h.getAnnotation(art.ID, v1.ID)
	_, err = s.RollbackAnnotation(ctx, art.ID, v1.ID, 1, "")
	se := wantErr(t, err, store.ErrFailedPrecondition, "QUOTE_NOT_IN_TEXT")
	if !strings.Contains(se.Message, "the river is clean again") {
		t.Errorf("message %q does not quote the missing words", se.Message)
	}
	if after := h.getAnnotation(art.ID, v1.ID); after.Etag != cur.Etag {
		t.Error("a refused rollback wrote")
	}
}

func testRollbackMissingSource(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("src")
	src := h.createSource(newSource(1))
	in := newAnnotation(art.ID, 1)
	in.Citations = []store.Citation{{SourceID: src.ID}}
	v1 := h.createAnnotation(in)
	h.updateAnnotation(art.ID, v1.ID, func(a *store.Annotation) { a.Citations = nil })
	check(t, s.DeleteSource(ctx, src.ID, ""))
	_, err := s.RollbackAnnotation(ctx, art.ID, v1.ID, 1, "")
	wantErr(t, err, store.ErrFailedPrecondition, "SOURCE_DELETED")
	h.purgeAll()
	_, err = s.RollbackAnnotation(ctx, art.ID, v1.ID, 1, "")
	wantErr(t, err, store.ErrFailedPrecondition, "SOURCE_NOT_FOUND")
}

func testRevisionsDeletedWithOwner(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("gone")
	a := h.createAnnotation(newAnnotation(art.ID, 1))
	b := h.createAnnotation(newAnnotation(art.ID, 2))
	check(t, s.DeleteAnnotation(ctx, art.ID, a.ID, ""))
	// A deleted annotation keeps its history until the purge.
	if revs, _, err := s.ListAnnotationRevisions(ctx, art.ID, a.ID, store.RevisionQuery{PageSize: 10}); err != nil || len(revs) != 1 {
		t.Errorf("history of a deleted annotation: %d revisions, %v", len(revs), err)
	}
	h.purgeAll()
	_, _, err := s.ListAnnotationRevisions(ctx, art.ID, a.ID, store.RevisionQuery{PageSize: 1})
	wantErr(t, err, store.ErrNotFound, "ANNOTATION_NOT_FOUND")
	// An annotation created again under the same ID starts a new history.
	again := newAnnotation(art.ID, 3)
	again.ID = a.ID
	if got := h.createAnnotation(again); got.RevisionID != 1 {
		t.Errorf("re-created annotation is at revision %d, want 1", got.RevisionID)
	}
	revs, _, err := s.ListAnnotationRevisions(ctx, art.ID, a.ID, store.RevisionQuery{PageSize: 10})
	check(t, err)
	if len(revs) != 1 || revs[0].Annotation.Anchor.Exact != "Claim 03" {
		t.Errorf("history of the re-created annotation: %d revisions", len(revs))
	}
	check(t, s.DeleteArticle(ctx, art.ID, "", true))
	h.purgeAll()
	_, _, err = s.ListArticleRevisions(ctx, art.ID, store.RevisionQuery{PageSize: 1})
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	_, err = s.GetAnnotationRevision(ctx, art.ID, b.ID, 1)
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	// The URL and ID are free, and the new article's history starts over.
	re := h.claimArticle("gone")
	revsA, _, err := s.ListArticleRevisions(ctx, re.ID, store.RevisionQuery{PageSize: 10})
	check(t, err)
	if len(revsA) != 1 || revsA[0].Revision != 1 {
		t.Errorf("re-created article has %d revisions", len(revsA))
	}
}

// testImportKeepsRevisions: records created by Import start their history as
// those created one by one do.
func testImportKeepsRevisions(t *testing.T, s store.Store) {
	art := newArticle(1)
	art.ID = "imported"
	res, err := s.Import(ctx, []store.ImportRecord{
		{Article: art},
		{Annotation: &store.AnnotationImport{Annotation: newAnnotationFor("imported", "Article 1 says")}},
	}, store.ImportOptions{})
	check(t, err)
	for _, r := range res {
		if r.Outcome != store.OutcomeCreated {
			t.Fatalf("import results %+v", res)
		}
	}
	revs, _, err := s.ListArticleRevisions(ctx, "imported", store.RevisionQuery{PageSize: 10})
	check(t, err)
	if len(revs) != 1 || revs[0].Revision != 1 || revs[0].Text != art.Text {
		t.Errorf("revisions of an imported article: %+v", revs)
	}
	id := strings.TrimPrefix(res[1].Name, "articles/imported/annotations/")
	arevs, _, err := s.ListAnnotationRevisions(ctx, "imported", id, store.RevisionQuery{PageSize: 10})
	check(t, err)
	if len(arevs) != 1 || arevs[0].Cause != store.CauseCreate || arevs[0].Annotation.RevisionID != 1 {
		t.Errorf("revisions of an imported annotation: %+v", arevs)
	}
}

func newAnnotationFor(articleID, exact string) *store.Annotation {
	return &store.Annotation{ArticleID: articleID, Anchor: store.Anchor{Exact: exact}, Claim: store.Claim{Text: "c"}}
}
