package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/factcheck/factcheck/store"
)

// Import and CreateAnnotations: the bulk entry points.

// imp calls Import and fails the test on a call error.
func (h harness) imp(opts store.ImportOptions, recs ...store.ImportRecord) []store.ImportResult {
	h.t.Helper()
	res, err := h.s.Import(ctx, recs, opts)
	check(h.t, err)
	if len(res) != len(recs) {
		h.t.Fatalf("Import returned %d results for %d records", len(res), len(recs))
	}
	return res
}

// outcomes lists results as "OUTCOME name" or "OUTCOME REASON", for
// comparisons that show every record at once.
func outcomes(res []store.ImportResult) []string {
	out := make([]string, len(res))
	for i, r := range res {
		switch {
		case r.Err != nil:
			out[i] = r.Outcome.String() + " " + r.Err.Reason
		case r.Name != "":
			out[i] = r.Outcome.String() + " " + r.Name
		default:
			out[i] = r.Outcome.String()
		}
	}
	return out
}

func articleRec(id, url, text string) store.ImportRecord {
	return store.ImportRecord{Article: &store.Article{ID: id, URL: url, Text: text}}
}

func sourceRec(id, url string) store.ImportRecord {
	return store.ImportRecord{Source: &store.Source{ID: id, URL: url, Title: "source " + url}}
}

// annRec is an annotation of the article articleID (or, when it contains
// "://", of the article with that URL) quoting exact and citing sources by ID
// or, for entries containing "://", by URL.
func annRec(articleID, id, exact string, sources ...string) store.ImportRecord {
	ai := &store.AnnotationImport{Annotation: &store.Annotation{ID: id, Anchor: store.Anchor{Exact: exact}, Claim: store.Claim{Text: "claim " + exact}}}
	if isURL(articleID) {
		ai.ArticleURL = articleID
	} else {
		ai.Annotation.ArticleID = articleID
	}
	for i, src := range sources {
		c := store.Citation{Quote: "evidence", Stance: store.StanceRefutes}
		if isURL(src) {
			if ai.SourceURLs == nil {
				ai.SourceURLs = make([]string, len(sources))
			}
			ai.SourceURLs[i] = src
		} else {
			c.SourceID = src
		}
		ai.Annotation.Citations = append(ai.Annotation.Citations, c)
	}
	return store.ImportRecord{Annotation: ai}
}

func isURL(s string) bool {
	for i := 0; i+3 <= len(s); i++ {
		if s[i:i+3] == "://" {
			return true
		}
	}
	return false
}

func diffOutcomes(t *testing.T, what string, res []store.ImportResult, want ...string) {
	t.Helper()
	if d := diff(want, outcomes(res)); d != "" {
		t.Errorf("%s: outcomes (-want +got):\n%s", what, d)
	}
}

// count returns how many articles, sources and annotations the store holds.
func (h harness) count() [3]int {
	h.t.Helper()
	arts, _, err := h.s.ListArticles(ctx, store.ListQuery{PageSize: 1000})
	check(h.t, err)
	srcs, _, err := h.s.ListSources(ctx, store.ListQuery{PageSize: 1000})
	check(h.t, err)
	anns, _, err := h.s.ListAnnotations(ctx, "", store.ListQuery{PageSize: 1000})
	check(h.t, err)
	return [3]int{len(arts), len(srcs), len(anns)}
}

// mixedBatch is one import of every kind of record, each annotation naming
// its references in another way, all of them created earlier in the batch.
func mixedBatch() []store.ImportRecord {
	return []store.ImportRecord{
		articleRec("art-1", "https://news.example/1", claimText),
		articleRec("", "https://news.example/2", claimText),
		sourceRec("src-1", "https://evidence.example/1"),
		sourceRec("", "https://evidence.example/2"),
		annRec("art-1", "ann-1", "Claim 01", "src-1"),
		annRec("https://news.example/2", "", "Claim 02", "https://evidence.example/2", "src-1"),
		annRec("art-1", "", "Claim 03", "https://evidence.example/1"),
	}
}

func testImportMixed(t *testing.T, s store.Store) {
	h := harness{t, s}
	res := h.imp(store.ImportOptions{}, mixedBatch()...)
	for i, r := range res {
		if r.Outcome != store.OutcomeCreated || r.Err != nil || r.Name == "" {
			t.Fatalf("record %d: %+v, want created with a name", i, r)
		}
	}
	if res[0].Name != "articles/art-1" || res[2].Name != "sources/src-1" || res[4].Name != "articles/art-1/annotations/ann-1" {
		t.Errorf("chosen IDs not kept: %q", outcomes(res))
	}
	art2 := h.getArticle(res[1].Name[len("articles/"):])
	if art2.URL != "https://news.example/2" || art2.Revision != 1 || art2.Etag == "" {
		t.Errorf("imported article = %+v", art2)
	}
	src2 := h.getSource(res[3].Name[len("sources/"):])

	var anns []*store.Annotation
	for _, r := range res[4:] {
		anns = append(anns, h.getAnnotation(splitAnnotationName(t, r.Name)))
	}
	if anns[1].ArticleID != art2.ID {
		t.Errorf("annotation with a parent URL belongs to %q, want %q", anns[1].ArticleID, art2.ID)
	}
	if got := []string{anns[1].Citations[0].SourceID, anns[1].Citations[1].SourceID}; got[0] != src2.ID || got[1] != "src-1" {
		t.Errorf("citations by URL and ID resolved to %q, want [%s src-1]", got, src2.ID)
	}
	if anns[2].Citations[0].SourceID != "src-1" {
		t.Errorf("citation by URL resolved to %q, want src-1", anns[2].Citations[0].SourceID)
	}
	for i, a := range anns {
		checkAnchored(t, a.Anchor, claimText, claimSpan(i+1), 1)
		if a.State != store.StateDraft || a.Etag == "" || a.CreateTime.IsZero() {
			t.Errorf("annotation %d lacks output fields: %+v", i, a)
		}
	}
	// Imported records are indexed as created ones are.
	cited, _, err := s.ListAnnotations(ctx, "", store.ListQuery{PageSize: 10,
		Filter: parse(t, `citations.source = "sources/src-1"`, store.AnnotationFilterSchema)})
	check(t, err)
	if len(cited) != 3 {
		t.Errorf("%d annotations cite sources/src-1, want 3", len(cited))
	}
}

func splitAnnotationName(t *testing.T, name string) (string, string) {
	t.Helper()
	var artID, id string
	for i := len("articles/"); i < len(name); i++ {
		if name[i] == '/' {
			artID = name[len("articles/"):i]
			id = name[i+len("/annotations/"):]
			break
		}
	}
	if artID == "" || id == "" || store.AnnotationName(artID, id) != name {
		t.Fatalf("%q is not an annotation name", name)
	}
	return artID, id
}

// testImportPartial: failing records are reported and leave nothing behind;
// the others are committed.
func testImportPartial(t *testing.T, s store.Store) {
	h := harness{t, s}
	h.createArticle(&store.Article{ID: "taken", URL: "https://news.example/taken", Text: "x"})
	failing := annRec("art-1", "", "Claim 05", "src-1", "https://evidence.example/missing")
	failing.Annotation.Annotation.ExternalID = "ext-failed"
	res := h.imp(store.ImportOptions{},
		articleRec("art-1", "https://news.example/1", claimText),
		sourceRec("src-1", "https://evidence.example/1"),
		// ID taken by an article with another URL.
		articleRec("taken", "https://news.example/other", "y"),
		// Quote not in the text.
		annRec("art-1", "bad-quote", "Claim 99"),
		// A missing source by URL, after an existing one by ID.
		failing,
		// A missing parent, by ID and by URL.
		annRec("nope", "", "Claim 01"),
		annRec("https://news.example/nope", "", "Claim 01"),
		// An empty record.
		store.ImportRecord{RequestID: "empty"},
		// Still fine after all that.
		annRec("art-1", "good", "Claim 06", "src-1"),
	)
	diffOutcomes(t, "partial", res,
		"OUTCOME_CREATED articles/art-1",
		"OUTCOME_CREATED sources/src-1",
		"OUTCOME_FAILED ARTICLE_ALREADY_EXISTS",
		"OUTCOME_FAILED QUOTE_NOT_FOUND",
		"OUTCOME_FAILED SOURCE_NOT_FOUND",
		"OUTCOME_FAILED ARTICLE_NOT_FOUND",
		"OUTCOME_FAILED ARTICLE_NOT_FOUND",
		"OUTCOME_FAILED INVALID_RECORD",
		"OUTCOME_CREATED articles/art-1/annotations/good",
	)
	if t.Failed() {
		return
	}
	wantErr(t, res[2].Err, store.ErrAlreadyExists, "ARTICLE_ALREADY_EXISTS")
	se := wantErr(t, res[3].Err, store.ErrInvalidArgument, "QUOTE_NOT_FOUND")
	wantViolation(t, se, "anchor.quote.exact")
	se = wantErr(t, res[4].Err, store.ErrInvalidArgument, "SOURCE_NOT_FOUND")
	wantViolation(t, se, "citations[1].source")
	if len(se.Violations) != 1 {
		t.Errorf("violations %+v, want citations[1].source only", se.Violations)
	}
	wantErr(t, res[5].Err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	wantErr(t, res[7].Err, store.ErrInvalidArgument, "INVALID_RECORD")

	// Nothing of the failed records is left: their unique values and IDs
	// are free, and the store holds exactly the created records.
	if got := h.count(); got != [3]int{2, 1, 1} {
		t.Errorf("store holds %v articles, sources, annotations; want [2 1 1]", got)
	}
	h.createArticle(&store.Article{URL: "https://news.example/other", Text: "y"})
	art := h.getArticle("art-1")
	h.createAnnotation(&store.Annotation{ArticleID: art.ID, ID: "bad-quote", Anchor: store.Anchor{Exact: "Claim 09"}, ExternalID: "ext-failed"})
	// The empty record's request ID was not recorded.
	res = h.imp(store.ImportOptions{}, store.ImportRecord{RequestID: "empty", Source: &store.Source{URL: "https://evidence.example/9"}})
	diffOutcomes(t, "request ID of a failed record", res[:1], "OUTCOME_CREATED "+res[0].Name)
}

func testImportAllOrNothing(t *testing.T, s store.Store) {
	h := harness{t, s}
	h.createSource(&store.Source{ID: "old", URL: "https://evidence.example/old"})
	batch := append(mixedBatch(),
		sourceRec("", "https://evidence.example/old"),
		annRec("art-1", "", "Claim 99"),
		annRec("art-1", "", "Claim 98"),
	)
	res := h.imp(store.ImportOptions{AllOrNothing: true}, batch...)
	want := make([]string, 0, len(batch))
	for range mixedBatch() {
		want = append(want, "OUTCOME_ROLLED_BACK")
	}
	want = append(want, "OUTCOME_EXISTING sources/old", "OUTCOME_FAILED QUOTE_NOT_FOUND", "OUTCOME_FAILED QUOTE_NOT_FOUND")
	diffOutcomes(t, "atomic with failures", res, want...)
	if got := h.count(); got != [3]int{0, 1, 0} {
		t.Errorf("after a failed atomic import the store holds %v, want only the old source", got)
	}

	res = h.imp(store.ImportOptions{AllOrNothing: true}, mixedBatch()...)
	for i, r := range res {
		if r.Outcome != store.OutcomeCreated {
			t.Errorf("atomic without failures: record %d is %v", i, r.Outcome)
		}
	}
	if got := h.count(); got != [3]int{2, 3, 3} {
		t.Errorf("after an atomic import the store holds %v, want [2 3 3]", got)
	}
}

func testImportDryRun(t *testing.T, s store.Store) {
	h := harness{t, s}
	batch := append(mixedBatch(), annRec("art-1", "", "Claim 99"))
	batch[0].RequestID = "dry"
	res := h.imp(store.ImportOptions{DryRun: true}, batch...)
	for i, r := range res[:len(res)-1] {
		if r.Outcome != store.OutcomeCreated || r.Name == "" {
			t.Errorf("dry run: record %d is %v %q, want created with a name", i, r.Outcome, r.Name)
		}
	}
	wantErr(t, res[len(res)-1].Err, store.ErrInvalidArgument, "QUOTE_NOT_FOUND")
	if got := h.count(); got != [3]int{} {
		t.Errorf("a dry run left %v records", got)
	}
	// Nor the request ID.
	batch[0].Article.URL = "https://news.example/after-dry-run"
	res = h.imp(store.ImportOptions{}, batch[0])
	diffOutcomes(t, "after a dry run", res, "OUTCOME_CREATED articles/art-1")
}

// testImportRerun: a second run of the same records creates nothing and
// reports the names of the first.
func testImportRerun(t *testing.T, s store.Store) {
	h := harness{t, s}
	batch := mixedBatch()
	// Without chosen IDs, the URLs and external IDs are what identifies.
	for _, r := range batch {
		switch {
		case r.Article != nil:
			r.Article.ID = ""
		case r.Source != nil:
			r.Source.ID = ""
		}
	}
	batch[4] = annRec("https://news.example/1", "", "Claim 01", "https://evidence.example/1")
	batch[4].Annotation.Annotation.ExternalID = "ext-1"
	batch[5] = annRec("https://news.example/2", "", "Claim 02", "https://evidence.example/2", "https://evidence.example/1")
	batch[5].Annotation.Annotation.ID = "named"
	batch[6] = annRec("https://news.example/1", "", "Claim 03")
	batch[6].RequestID = "req-ann-3"
	first := h.imp(store.ImportOptions{}, batch...)
	second := h.imp(store.ImportOptions{}, batch...)
	for i := range first {
		if first[i].Outcome != store.OutcomeCreated || second[i].Outcome != store.OutcomeExisting || first[i].Name != second[i].Name {
			t.Errorf("record %d: first run %v %q, second %v %q; want created, then existing with the same name",
				i, first[i].Outcome, first[i].Name, second[i].Outcome, second[i].Name)
		}
	}
	if got := h.count(); got != [3]int{2, 2, 3} {
		t.Errorf("after a re-run the store holds %v, want [2 2 3]", got)
	}
}

func testImportRequestIDs(t *testing.T, s store.Store) {
	h := harness{t, s}
	h.claimArticle("art-1")
	rec := func(reqID, exact string) store.ImportRecord {
		r := annRec("art-1", "", exact)
		r.RequestID = reqID
		return r
	}
	res := h.imp(store.ImportOptions{}, rec("r1", "Claim 01"), rec("r1", "Claim 02"), rec("r2", "Claim 99"))
	if res[0].Outcome != store.OutcomeCreated || res[1].Outcome != store.OutcomeExisting || res[1].Name != res[0].Name {
		t.Errorf("a request ID repeated in one call: %q, want created then existing with the same name", outcomes(res[:2]))
	}
	// Whatever the record says now, and even for another kind of record.
	again := h.imp(store.ImportOptions{}, store.ImportRecord{RequestID: "r1", Source: &store.Source{URL: "https://evidence.example/1"}}, rec("r2", "Claim 02"))
	diffOutcomes(t, "re-run", again, "OUTCOME_EXISTING "+res[0].Name, "OUTCOME_CREATED "+again[1].Name)
	// The mapping outlives the resource.
	artID, id := splitAnnotationName(t, res[0].Name)
	check(t, s.DeleteAnnotation(ctx, artID, id, ""))
	diffOutcomes(t, "after delete", h.imp(store.ImportOptions{}, rec("r1", "Claim 01")), "OUTCOME_EXISTING "+res[0].Name)
	// A long request ID works.
	long := string(make([]byte, 2000))
	res = h.imp(store.ImportOptions{}, rec(long, "Claim 04"), rec(long, "Claim 05"))
	if res[1].Outcome != store.OutcomeExisting || res[1].Name != res[0].Name {
		t.Errorf("long request ID: %q", outcomes(res))
	}
}

// testImportExisting: the identities of each record kind.
func testImportExisting(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("art-1")
	src := h.createSource(&store.Source{ID: "src-1", URL: "https://evidence.example/1"})
	ann := h.createAnnotation(&store.Annotation{ArticleID: art.ID, ID: "ann-1", Anchor: store.Anchor{Exact: "Claim 01"}, Claim: store.Claim{Text: "c"}})
	other := h.createAnnotation(&store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "Claim 02"}, Claim: store.Claim{Text: "c"}, ExternalID: "ext-2"})

	byExternal := annRec("https://news.example/claims/art-1", "", "Claim 09")
	byExternal.Annotation.Annotation.ExternalID = "ext-2"
	res := h.imp(store.ImportOptions{},
		// Same URL, another ID and text: the stored article stands.
		articleRec("another-id", art.URL, "other text"),
		sourceRec("", src.URL),
		// Same name: existing, even with another quote.
		annRec("art-1", "ann-1", "Claim 07"),
		byExternal,
	)
	diffOutcomes(t, "existing", res,
		"OUTCOME_EXISTING articles/art-1",
		"OUTCOME_EXISTING sources/src-1",
		"OUTCOME_EXISTING "+ann.Name(),
		"OUTCOME_EXISTING "+other.Name(),
	)
	if got := h.getArticle("art-1"); got.Text != claimText || got.Etag != art.Etag {
		t.Error("importing an existing article changed it")
	}
	if got := h.count(); got != [3]int{1, 1, 2} {
		t.Errorf("store holds %v, want [1 1 2]", got)
	}
}

// testImportLookupsInOneCall: within one call, a reference to what a later
// record creates fails until then and works after it, and a deleted
// source fails by ID and by URL, however often the call names it. A store
// may remember what it looked up, but only what exists.
func testImportLookupsInOneCall(t *testing.T, s store.Store) {
	h := harness{t, s}
	gone := h.createSource(&store.Source{ID: "gone", URL: "https://evidence.example/gone"})
	check(t, s.DeleteSource(ctx, gone.ID, ""))
	res := h.imp(store.ImportOptions{},
		articleRec("art-1", "https://news.example/1", claimText),
		annRec("art-1", "", "Claim 01", "late"),
		annRec("art-1", "", "Claim 01", "https://evidence.example/late"),
		annRec("https://news.example/late", "", "Claim 01"),
		sourceRec("late", "https://evidence.example/late"),
		articleRec("", "https://news.example/late", claimText),
		annRec("https://news.example/late", "", "Claim 02", "late"),
		annRec("art-1", "", "Claim 03", "https://evidence.example/late", "late"),
		annRec("art-1", "", "Claim 04", "gone"),
		annRec("art-1", "", "Claim 04", "https://evidence.example/gone"),
		annRec("art-1", "", "Claim 04", "late", "gone"),
		withExternalID(annRec("art-1", "", "Claim 05"), "ext-1"),
		withExternalID(annRec("art-1", "", "Claim 06"), "ext-1"),
		annRec("art-1", "ann-7", "Claim 07"),
		annRec("art-1", "ann-7", "Claim 08"),
	)
	if len(res) != 15 || res[5].Outcome != store.OutcomeCreated || res[11].Outcome != store.OutcomeCreated {
		t.Fatalf("outcomes: %q", outcomes(res))
	}
	diffOutcomes(t, "lookups in one call", res,
		"OUTCOME_CREATED articles/art-1",
		"OUTCOME_FAILED SOURCE_NOT_FOUND",
		"OUTCOME_FAILED SOURCE_NOT_FOUND",
		"OUTCOME_FAILED ARTICLE_NOT_FOUND",
		"OUTCOME_CREATED sources/late",
		"OUTCOME_CREATED "+res[5].Name,
		"OUTCOME_CREATED "+res[6].Name,
		"OUTCOME_CREATED "+res[7].Name,
		"OUTCOME_FAILED SOURCE_DELETED",
		"OUTCOME_FAILED SOURCE_DELETED",
		"OUTCOME_FAILED SOURCE_DELETED",
		"OUTCOME_CREATED "+res[11].Name,
		"OUTCOME_EXISTING "+res[11].Name,
		"OUTCOME_CREATED articles/art-1/annotations/ann-7",
		"OUTCOME_EXISTING articles/art-1/annotations/ann-7",
	)
	if t.Failed() {
		return
	}
	wantViolation(t, res[10].Err, "citations[1].source")
	late := h.getAnnotation(splitAnnotationName(t, res[6].Name))
	if late.ArticleID != res[5].Name[len("articles/"):] || late.Citations[0].SourceID != "late" {
		t.Errorf("annotation of the late article = %+v", late)
	}
	// The unique values an import wrote hold against later writes.
	_, err := s.CreateAnnotation(ctx, &store.Annotation{ArticleID: "art-1", Anchor: store.Anchor{Exact: "Claim 09"}, ExternalID: "ext-1"})
	wantErr(t, err, store.ErrAlreadyExists, "EXTERNAL_ID_ALREADY_EXISTS")
	_, err = s.CreateAnnotation(ctx, &store.Annotation{ArticleID: "art-1", ID: "ann-7", Anchor: store.Anchor{Exact: "Claim 09"}})
	wantErr(t, err, store.ErrAlreadyExists, "ANNOTATION_ALREADY_EXISTS")
	cited, _, err := s.ListAnnotations(ctx, "", store.ListQuery{PageSize: 10,
		Filter: parse(t, `citations.source = "sources/late"`, store.AnnotationFilterSchema)})
	check(t, err)
	if len(cited) != 2 {
		t.Errorf("%d annotations cite sources/late, want 2", len(cited))
	}
}

// testImportCheckExisting: CheckExisting is asked about every annotation
// record that matches a stored annotation, by external_id, name or
// request_id, with that annotation; a refusal fails the record, rolls an
// AllOrNothing call back, and leaves the record's request_id unused.
func testImportCheckExisting(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("art-1")
	held := h.createAnnotation(&store.Annotation{ArticleID: art.ID, ID: "ann-1", Anchor: store.Anchor{Exact: "Claim 01"}, Claim: store.Claim{Text: "c"}, ExternalID: "ext-1"})
	byRequest := annRec("art-1", "", "Claim 02")
	byRequest.RequestID = "req-1"
	res := h.imp(store.ImportOptions{}, byRequest)
	diffOutcomes(t, "setup", res, "OUTCOME_CREATED "+res[0].Name)
	fromRequest := res[0].Name

	var asked []string
	refuse := func(rec *store.ImportRecord, existing *store.Annotation) error {
		asked = append(asked, existing.Name())
		return &store.Error{Kind: store.ErrAlreadyExists, Reason: "HIDDEN", Message: "not yours"}
	}
	byExternal := withExternalID(annRec("art-1", "", "Claim 03"), "ext-1")
	byExternal.RequestID = "req-2"
	again := annRec("art-1", "", "Claim 04")
	again.RequestID = "req-1"
	res = h.imp(store.ImportOptions{CheckExisting: refuse},
		byExternal,
		annRec("art-1", "ann-1", "Claim 05"),
		again,
		articleRec("", art.URL, "other text"),
		annRec("art-1", "", "Claim 06"),
	)
	diffOutcomes(t, "refused", res,
		"OUTCOME_FAILED HIDDEN",
		"OUTCOME_FAILED HIDDEN",
		"OUTCOME_FAILED HIDDEN",
		"OUTCOME_EXISTING articles/art-1",
		"OUTCOME_CREATED "+res[4].Name,
	)
	if d := diff([]string{held.Name(), held.Name(), fromRequest}, asked); d != "" {
		t.Errorf("CheckExisting asked about (-want +got):\n%s", d)
	}

	// All or nothing: a refusal is a failure like any other.
	res = h.imp(store.ImportOptions{AllOrNothing: true, CheckExisting: refuse}, annRec("art-1", "", "Claim 07"), withExternalID(annRec("art-1", "", "Claim 08"), "ext-1"))
	diffOutcomes(t, "all or nothing", res, "OUTCOME_ROLLED_BACK", "OUTCOME_FAILED HIDDEN")

	// The refused record's request_id stayed free; a check that lets
	// everything through leaves existing records existing.
	fresh := annRec("art-1", "", "Claim 09")
	fresh.RequestID = "req-2"
	pass := func(*store.ImportRecord, *store.Annotation) error { return nil }
	res = h.imp(store.ImportOptions{CheckExisting: pass}, fresh, withExternalID(annRec("art-1", "", "Claim 10"), "ext-1"))
	diffOutcomes(t, "let through", res, "OUTCOME_CREATED "+res[0].Name, "OUTCOME_EXISTING "+held.Name())
	if got := h.count(); got != [3]int{1, 0, 4} {
		t.Errorf("store holds %v articles, sources, annotations; want [1 0 4]", got)
	}
}

func withExternalID(r store.ImportRecord, ext string) store.ImportRecord {
	r.Annotation.Annotation.ExternalID = ext
	return r
}

func testImportParentMismatch(t *testing.T, s store.Store) {
	h := harness{t, s}
	h.claimArticle("art-1")
	h.claimArticle("art-2")
	rec := annRec("art-1", "", "Claim 01")
	rec.Annotation.ArticleURL = "https://news.example/claims/art-2"
	same := annRec("art-1", "", "Claim 02")
	same.Annotation.ArticleURL = "https://news.example/claims/art-1"
	res := h.imp(store.ImportOptions{}, rec, same)
	se := wantErr(t, res[0].Err, store.ErrInvalidArgument, "PARENT_MISMATCH")
	wantViolation(t, se, "name")
	if res[1].Outcome != store.OutcomeCreated {
		t.Errorf("ID and URL of the same article: %q", outcomes(res[1:]))
	}
}

func testImportPositionUnits(t *testing.T, s store.Store) {
	h := harness{t, s}
	var m multilingual
	check(t, json.Unmarshal(testdataFile(t, "multilingual.article.json"), &m))
	art := h.createArticle(&store.Article{URL: m.URL, Language: m.Language, Text: m.Text})
	var recs []store.ImportRecord
	for _, q := range m.Quotes {
		for _, p := range []struct {
			unit store.PositionUnit
			span [2]int
		}{
			{store.PositionUnitUnspecified, q.CodePoints},
			{store.PositionUnitCodePoint, q.CodePoints},
			{store.PositionUnitUTF16, q.UTF16},
			{store.PositionUnitUTF8, q.UTF8},
		} {
			r := annRec(m.URL, "", q.Exact)
			r.Annotation.PositionUnit = p.unit
			r.Annotation.Annotation.Anchor.HasPosition = true
			r.Annotation.Annotation.Anchor.Start, r.Annotation.Annotation.Anchor.End = p.span[0], p.span[1]
			recs = append(recs, r)
		}
	}
	for i, r := range h.imp(store.ImportOptions{}, recs...) {
		q := m.Quotes[i/4]
		if r.Outcome != store.OutcomeCreated {
			t.Errorf("quote %q in %v: %v %v", q.Exact, recs[i].Annotation.PositionUnit, r.Outcome, r.Err)
			continue
		}
		_, id := splitAnnotationName(t, r.Name)
		got := h.getAnnotation(art.ID, id).Anchor
		want := store.Span{Start: q.CodePoints[0], End: q.CodePoints[1]}
		if (store.Span{Start: got.Start, End: got.End}) != want || got.UTF16 != (store.Span{Start: q.UTF16[0], End: q.UTF16[1]}) {
			t.Errorf("quote %q given in %v: anchored at %d..%d (UTF-16 %v), want %v", q.Exact, recs[i].Annotation.PositionUnit, got.Start, got.End, got.UTF16, want)
		}
	}

	// Offsets that are no boundary in their unit.
	var emoji16, emoji8 [2]int // 💬 takes two UTF-16 units and four bytes
	for _, q := range m.Quotes {
		if q.Exact == "💬" {
			emoji16, emoji8 = q.UTF16, q.UTF8
		}
	}
	bad := func(unit store.PositionUnit, start, end int) store.ImportRecord {
		r := annRec(m.URL, "", "💬")
		r.Annotation.PositionUnit = unit
		r.Annotation.Annotation.Anchor.HasPosition = true
		r.Annotation.Annotation.Anchor.Start, r.Annotation.Annotation.Anchor.End = start, end
		return r
	}
	for _, r := range h.imp(store.ImportOptions{},
		bad(store.PositionUnitUTF16, emoji16[0], emoji16[0]+1),
		bad(store.PositionUnitUTF8, emoji8[0], emoji8[0]+2),
		bad(store.PositionUnitUTF16, 0, 100000),
		bad(store.PositionUnit(9), 0, 1),
	) {
		se := wantErr(t, r.Err, store.ErrInvalidArgument, "INVALID_POSITION")
		wantViolation(t, se, "anchor.position")
	}
}

// testImportCanceled: a done context writes nothing.
func testImportCanceled(t *testing.T, s store.Store) {
	h := harness{t, s}
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Import(c, mixedBatch(), store.ImportOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with a canceled context: %v, want context.Canceled", err)
	}
	if got := h.count(); got != [3]int{} {
		t.Errorf("a canceled import left %v records", got)
	}
}

func testCreateAnnotations(t *testing.T, s store.Store) {
	h := harness{t, s}
	a1 := h.claimArticle("art-1")
	a2 := h.claimArticle("art-2")
	batch := []*store.Annotation{newAnnotation(a1.ID, 1), newAnnotation(a2.ID, 2), newAnnotation(a1.ID, 99), newAnnotation(a1.ID, 3)}
	_, err := s.CreateAnnotations(ctx, batch)
	var ie *store.ItemError
	if !errors.As(err, &ie) || ie.Index != 2 || ie.Collection != "annotations" {
		t.Fatalf("err = %v, want an *ItemError at annotations[2]", err)
	}
	wantErr(t, err, store.ErrInvalidArgument, "QUOTE_NOT_FOUND")
	if got := h.count(); got[2] != 0 {
		t.Errorf("a failed batch left %d annotations", got[2])
	}

	batch[2] = newAnnotation(a1.ID, 4)
	batch[0].ExternalID, batch[3].ExternalID = "same", "same"
	_, err = s.CreateAnnotations(ctx, batch)
	if !errors.As(err, &ie) || ie.Index != 3 {
		t.Fatalf("err = %v, want an *ItemError at annotations[3]", err)
	}
	wantErr(t, err, store.ErrAlreadyExists, "EXTERNAL_ID_ALREADY_EXISTS")

	batch[3].ExternalID = ""
	created, err := s.CreateAnnotations(ctx, batch)
	check(t, err)
	for i, a := range created {
		if a.ArticleID != batch[i].ArticleID || a.Anchor.Exact != batch[i].Anchor.Exact || a.Etag == "" {
			t.Errorf("created[%d] = %+v, want annotation %d of the batch", i, a, i)
		}
		if d := diff(a, h.getAnnotation(a.ArticleID, a.ID)); d != "" {
			t.Errorf("created[%d] differs from what Get returns:\n%s", i, d)
		}
	}
}
