// Package storetest is the conformance suite of store.Store: every backend
// runs Run from its own test, and passing it is what "implements the
// contract written on store.Store" means. Each check is a named subtest on a
// fresh, empty store from the backend's factory, so a failure names the
// promise that broke.
//
// It depends on store, store/filter, anchor (for the reasons of anchoring
// errors), go-cmp and the repository's testdata, found by walking up from
// the working directory since backends live in other directories.
// Backend-specific behaviour (persistence across reopen, file locking,
// schema migrations) is tested by each backend beside its own code.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

// Run runs the conformance suite. newStore returns a fresh, empty store and
// registers its cleanup (closing it, and any consistency check the backend
// wants after each test) with t.Cleanup. Subtests run one after another, so
// a backend may hand out one database emptied between them. The Concurrency
// subtest runs goroutines against one store: run the suite with -race.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []conformanceTest{
		{"ArticleCRUD", testArticleCRUD},
		{"ArticleGeneratedIDs", testArticleGeneratedIDs},
		{"ArticleOutputOnlyIgnored", testArticleOutputOnlyIgnored},
		{"ArticleAlreadyExists", testArticleAlreadyExists},
		{"ArticleNotFound", testArticleNotFound},
		{"ArticleUpdateURLUnique", testArticleUpdateURLUnique},
		{"ArticleEtags", testArticleEtags},
		{"ArticleUpdateClosure", testArticleUpdateClosure},
		{"ArticleRevision", testArticleRevision},
		{"ReturnedValuesAreCopies", testReturnedValuesAreCopies},
		{"TimesUTCNanoseconds", testTimesUTCNanoseconds},
		{"CanceledContext", testCanceledContext},

		{"SourceCRUD", testSourceCRUD},
		{"SourceErrors", testSourceErrors},
		{"SourceUpdateClosure", testSourceUpdateClosure},
		{"SourceInUse", testSourceInUse},

		{"AnnotationCRUD", testAnnotationCRUD},
		{"AnnotationGeneratedIDs", testAnnotationGeneratedIDs},
		{"AnnotationOutputOnlyIgnored", testAnnotationOutputOnlyIgnored},
		{"AnnotationNotFound", testAnnotationNotFound},
		{"AnnotationIDsPerArticle", testAnnotationIDsPerArticle},
		{"AnnotationExternalIDUnique", testAnnotationExternalIDUnique},
		{"AnnotationCitations", testAnnotationCitations},
		{"AnnotationEtags", testAnnotationEtags},
		{"AnnotationUpdateClosure", testAnnotationUpdateClosure},
		{"AnnotationUpdateAnchor", testAnnotationUpdateAnchor},
		{"ArticleDeleteWithAnnotations", testArticleDeleteWithAnnotations},

		{"SoftDeleteLists", testSoftDeleteLists},
		{"SoftDeleteWrites", testSoftDeleteWrites},
		{"SoftDeleteCascade", testSoftDeleteCascade},
		{"SoftDeleteSources", testSoftDeleteSources},
		{"Purge", testPurge},

		{"AnchorQuoteOnly", testAnchorQuoteOnly},
		{"AnchorWithPosition", testAnchorWithPosition},
		{"AnchorErrors", testAnchorErrors},
		{"AnchorPrefixSuffixNarrowing", testAnchorNarrowing},
		{"AnchorMultilingual", testAnchorMultilingual},
		{"ReanchorOnTextChange", testReanchorOnTextChange},
		{"ReanchorMultilingual", testReanchorMultilingual},
		{"ReanchorBackAndForth", testReanchorBackAndForth},

		{"ArticleRevisions", testArticleRevisions},
		{"AnnotationRevisions", testAnnotationRevisions},
		{"AnnotationRollback", testAnnotationRollback},
		{"RollbackAnchor", testRollbackAnchor},
		{"RollbackMissingSource", testRollbackMissingSource},
		{"RevisionsDeletedWithOwner", testRevisionsDeletedWithOwner},
		{"ImportKeepsRevisions", testImportKeepsRevisions},

		{"ListOrderAndPages", testListOrderAndPages},
		{"ListPageTokens", testListPageTokens},
		{"ListKeysetStability", testListKeysetStability},
		{"ListUnionKeysetStability", testListUnionKeysetStability},
		{"ListEndTokenWithFilter", testListEndTokenWithFilter},
		{"ListAnnotationsScope", testListAnnotationsScope},
		{"FilterArticles", testFilterArticles},
		{"FilterSources", testFilterSources},
		{"FilterAnnotations", testFilterAnnotations},

		{"CreateAnnotations", testCreateAnnotations},
		{"ImportMixed", testImportMixed},
		{"ImportPartial", testImportPartial},
		{"ImportAllOrNothing", testImportAllOrNothing},
		{"ImportDryRun", testImportDryRun},
		{"ImportRerun", testImportRerun},
		{"ImportRequestIDs", testImportRequestIDs},
		{"ImportExisting", testImportExisting},
		{"ImportLookupsInOneCall", testImportLookupsInOneCall},
		{"ImportCheckExisting", testImportCheckExisting},
		{"ImportParentMismatch", testImportParentMismatch},
		{"ImportPositionUnits", testImportPositionUnits},
		{"ImportCanceled", testImportCanceled},

		{"Concurrency", testConcurrency},
	}
	tests = append(tests, changeTests...)
	tests = append(tests, accessTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// conformanceTest is one subtest of Run, run on a fresh store.
type conformanceTest struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// ctx is the context of calls that are not about contexts.
var ctx = context.Background()

// wantErr fails unless err is a *store.Error of the given kind and reason,
// and returns it.
func wantErr(t *testing.T, err, kind error, reason string) *store.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v (%s)", kind, reason)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want errors.Is(err, %q) (%s)", err, kind, reason)
	}
	var se *store.Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a *store.Error", err, err)
	}
	if se.Reason != reason {
		t.Fatalf("Reason = %q, want %q (err: %v)", se.Reason, reason, err)
	}
	if se.Error() == "" {
		t.Errorf("%s: empty message", reason)
	}
	return se
}

// wantViolation fails unless se names field among its violations.
func wantViolation(t *testing.T, se *store.Error, field string) {
	t.Helper()
	for _, v := range se.Violations {
		if v.Field == field {
			if v.Description == "" {
				t.Errorf("violation of %s has no description", field)
			}
			return
		}
	}
	t.Fatalf("violations %+v do not name %q", se.Violations, field)
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// harness wraps the calls whose failure ends a test.
type harness struct {
	t *testing.T
	s store.Store
}

func (h harness) createArticle(a *store.Article) *store.Article {
	h.t.Helper()
	out, err := h.s.CreateArticle(ctx, a)
	check(h.t, err)
	return out
}

func (h harness) createSource(src *store.Source) *store.Source {
	h.t.Helper()
	out, err := h.s.CreateSource(ctx, src)
	check(h.t, err)
	return out
}

func (h harness) createAnnotation(a *store.Annotation) *store.Annotation {
	h.t.Helper()
	out, err := h.s.CreateAnnotation(ctx, a)
	check(h.t, err)
	return out
}

// farFuture lies beyond any retention a backend may be configured with.
var farFuture = time.Now().Add(100 * 365 * 24 * time.Hour)

// purgeAll purges every deleted resource, as a sweep run after the
// retention would.
func (h harness) purgeAll() int {
	h.t.Helper()
	n, err := h.s.Purge(ctx, farFuture)
	check(h.t, err)
	return n
}

func (h harness) getArticle(id string) *store.Article {
	h.t.Helper()
	out, err := h.s.GetArticle(ctx, id)
	check(h.t, err)
	return out
}

func (h harness) getSource(id string) *store.Source {
	h.t.Helper()
	out, err := h.s.GetSource(ctx, id)
	check(h.t, err)
	return out
}

func (h harness) getAnnotation(articleID, id string) *store.Annotation {
	h.t.Helper()
	out, err := h.s.GetAnnotation(ctx, articleID, id)
	check(h.t, err)
	return out
}

func (h harness) updateArticle(id string, fn func(*store.Article)) *store.Article {
	h.t.Helper()
	out, err := h.s.UpdateArticle(ctx, id, "", func(a *store.Article) error { fn(a); return nil })
	check(h.t, err)
	return out
}

func (h harness) updateSource(id string, fn func(*store.Source)) *store.Source {
	h.t.Helper()
	out, err := h.s.UpdateSource(ctx, id, "", func(s *store.Source) error { fn(s); return nil })
	check(h.t, err)
	return out
}

func (h harness) updateAnnotation(articleID, id string, fn func(*store.Annotation)) *store.Annotation {
	h.t.Helper()
	out, err := h.s.UpdateAnnotation(ctx, articleID, id, "", func(a *store.Annotation) error { fn(a); return nil })
	check(h.t, err)
	return out
}

// diff compares with nil and empty slices and maps treated alike.
func diff(want, got any, opts ...cmp.Option) string {
	return cmp.Diff(want, got, append(opts, cmpopts.EquateEmpty())...)
}

// ignoreArticleOutput ignores the fields an article's store sets.
var ignoreArticleOutput = cmpopts.IgnoreFields(store.Article{},
	"ID", "Revision", "TextSHA256", "CreateTime", "UpdateTime", "Etag")

var ignoreSourceOutput = cmpopts.IgnoreFields(store.Source{}, "ID", "CreateTime", "UpdateTime", "Etag")

// parse parses a filter the suite wrote; a failure is a bug in the suite.
func parse(t *testing.T, src string, schema filter.Schema) filter.Expr {
	t.Helper()
	if src == "" {
		return nil
	}
	e, err := filter.Parse(src, schema)
	if err != nil {
		t.Fatalf("filter %q: %v", src, err)
	}
	return e
}

// Fixtures.

func newArticle(n int) *store.Article {
	return &store.Article{
		URL:       fmt.Sprintf("https://news.example/articles/%d", n),
		Title:     fmt.Sprintf("Article %d", n),
		Publisher: "Example News",
		Authors:   []string{"A. Writer"},
		Language:  "en",
		Text:      fmt.Sprintf("Article %d says the river is clean. Officials said taxes fell.", n),
		Labels:    map[string]string{"desk": "world"},
	}
}

func newSource(n int) *store.Source {
	return &store.Source{
		URL:       fmt.Sprintf("https://evidence.example/%d", n),
		Title:     fmt.Sprintf("Source %d", n),
		Publisher: "Evidence Weekly",
		Authors:   []string{"R. Searcher"},
		Kind:      store.SourceNewsReport,
		Notes:     "note",
	}
}

// claimText is the article text of annotation fixtures: "Claim NN." for NN
// in 00..39, so that every "Claim NN" quote occurs exactly once.
var claimText = func() string {
	s := ""
	for i := range 40 {
		s += fmt.Sprintf("Claim %02d. ", i)
	}
	return s
}()

// newAnnotation returns an annotation of articleID quoting "Claim NN".
func newAnnotation(articleID string, n int) *store.Annotation {
	return &store.Annotation{
		ArticleID: articleID,
		Anchor:    store.Anchor{Exact: fmt.Sprintf("Claim %02d", n)},
		Claim:     store.Claim{Text: fmt.Sprintf("claim number %d", n)},
	}
}

// claimArticle creates an article whose text is claimText.
func (h harness) claimArticle(id string) *store.Article {
	h.t.Helper()
	a := newArticle(0)
	a.ID = id
	a.URL = "https://news.example/claims/" + id
	a.Text = claimText
	return h.createArticle(a)
}
