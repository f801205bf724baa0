package boltstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
	"github.com/factcheck/factcheck/store/filter"
)

// claims is an article text of 60 distinct "Claim NN." sentences.
var claims = func() string {
	var b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&b, "Claim %02d. ", i)
	}
	return b.String()
}()

// TestRebuildIndexesMatchesMaintained runs a random workload of every kind of
// write, then checks that the indexes the writes maintained are exactly what
// RebuildIndexes derives from the records.
func TestRebuildIndexesMatchesMaintained(t *testing.T) {
	s := open(t, boltstore.Options{NoSync: true})
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	var arts, srcs []string
	type annRef struct{ art, id string }
	var anns []annRef
	for i := range 4 {
		a, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/%d", i), Text: claims,
			Publisher: pick([]string{"P1", "P2"}), Language: pick([]string{"en", "ar"}), Labels: map[string]string{"desk": pick([]string{"x", "y"})}})
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a.ID)
	}
	for i := range 5 {
		src, err := s.CreateSource(ctx, &store.Source{URL: fmt.Sprintf("https://evidence.example/%d", i),
			Publisher: pick([]string{"P1", "P2"}), Kind: store.SourceKind(rng.IntN(8))})
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src.ID)
	}
	randomize := func(a *store.Annotation) {
		a.State = store.AnnotationState(rng.IntN(5))
		a.Verdict.Rating = store.Rating(rng.IntN(8))
		a.Claim.Claimant.Name = pick([]string{"", "Ann", "Bob"})
		a.Citations = nil
		for range rng.IntN(3) {
			a.Citations = append(a.Citations, store.Citation{SourceID: pick(srcs)})
		}
		a.Labels = map[string]string{}
		for range rng.IntN(3) {
			a.Labels[pick([]string{"k1", "k2", "k3"})] = pick([]string{"v1", "v2"})
		}
		a.ExternalID = ""
		if rng.IntN(2) == 0 {
			a.ExternalID = fmt.Sprintf("ext-%d", rng.IntN(1000))
		}
	}
	for range 400 {
		// Writers differ, so that annotations have several authors and
		// updates are not always by the author (which they must not
		// change).
		wctx := store.WithWriteInfo(ctx, store.WriteInfo{Actor: pick([]string{"", "reviewers/r1", "reviewers/r2"})})
		switch op := rng.IntN(10); {
		case op < 4 || len(anns) == 0:
			art := pick(arts)
			a := &store.Annotation{ArticleID: art, Anchor: store.Anchor{Exact: fmt.Sprintf("Claim %02d", rng.IntN(60))}}
			randomize(a)
			if got, err := s.CreateAnnotation(wctx, a); err == nil {
				anns = append(anns, annRef{art, got.ID})
			}
		case op < 7:
			r := anns[rng.IntN(len(anns))]
			_, _ = s.UpdateAnnotation(wctx, r.art, r.id, "", func(a *store.Annotation) error { randomize(a); return nil })
		case op < 8:
			i := rng.IntN(len(anns))
			_ = s.DeleteAnnotation(ctx, anns[i].art, anns[i].id, "")
			anns = slices.Delete(anns, i, i+1)
		case op < 9:
			// Text edits re-anchor (and orphan) annotations.
			_, err := s.UpdateArticle(ctx, pick(arts), "", func(a *store.Article) error {
				a.Text = strings.Replace(a.Text, fmt.Sprintf("Claim %02d.", rng.IntN(60)), "Edited.", 1)
				a.Publisher = pick([]string{"P1", "P2", "P3"})
				a.Labels = map[string]string{pick([]string{"desk", "beat"}): pick([]string{"x", "y"})}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		default:
			_, _ = s.UpdateSource(ctx, pick(srcs), "", func(src *store.Source) error {
				src.Kind = store.SourceKind(rng.IntN(8))
				src.Publisher = pick([]string{"P1", "P2"})
				return nil
			})
		}
	}
	// A forced delete cascades through everything an article's annotations
	// indexed.
	if err := s.DeleteArticle(ctx, arts[0], "", true); err != nil {
		t.Fatal(err)
	}

	maintained, err := s.DumpIndexes()
	if err != nil {
		t.Fatal(err)
	}
	if len(maintained["annotations_by_article"]) < 50 {
		t.Fatalf("the workload left only %d annotations; it tests too little", len(maintained["annotations_by_article"]))
	}
	if err := s.RebuildIndexes(); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := s.DumpIndexes()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(maintained, rebuilt); d != "" {
		t.Errorf("maintained indexes differ from rebuilt ones (-maintained +rebuilt):\n%s", d)
	}
}

func TestCheckFindsIndexDrift(t *testing.T) {
	s := open(t, boltstore.Options{NoSync: true})
	a, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/1", Publisher: "P"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.DB().Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket([]byte("article_urls")).Delete([]byte(a.URL)); err != nil {
			return err
		}
		return tx.Bucket([]byte("articles_by_language")).Put([]byte("stray"), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check()
	if err == nil || !strings.Contains(err.Error(), `article_urls: missing key "https://news.example/1"`) ||
		!strings.Contains(err.Error(), `articles_by_language: stray key "stray"`) {
		t.Fatalf("Check() = %v, want the missing and the stray key named", err)
	}
	if err := s.RebuildIndexes(); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("Check after RebuildIndexes: %v", err)
	}
}

// TestListUsesIndexes proves from the count of records a List decodes that
// equality filters read an index instead of scanning.
func TestListUsesIndexes(t *testing.T) {
	s := open(t, boltstore.Options{NoSync: true})
	var artA, artB string
	for i, id := range []*string{&artA, &artB} {
		a, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/%d", i), Text: claims})
		if err != nil {
			t.Fatal(err)
		}
		*id = a.ID
	}
	src, err := s.CreateSource(ctx, &store.Source{URL: "https://evidence.example/1", Kind: store.SourceDataset})
	if err != nil {
		t.Fatal(err)
	}
	const perArticle = 150
	for _, art := range []string{artA, artB} {
		for i := range perArticle {
			a := &store.Annotation{ArticleID: art, Anchor: store.Anchor{Exact: fmt.Sprintf("Claim %02d", i%60)}}
			if art == artA && i%50 == 7 { // 3 of 300
				a.Verdict.Rating = store.RatingFalse
				a.Labels = map[string]string{"topic": fmt.Sprint(i)}
				a.Citations = []store.Citation{{SourceID: src.ID}}
				a.ExternalID = fmt.Sprintf("ext-%d", i)
			}
			wctx := ctx
			if art == artA && i%75 == 20 { // 2 of 300
				wctx = store.WithWriteInfo(ctx, store.WriteInfo{Actor: "reviewers/a"})
			}
			if _, err := s.CreateAnnotation(wctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []examinedCase{
		{"rating index", "", "verdict.rating = RATING_FALSE", store.OrderBy{}, 10, 3, 3},
		{"rating index, descending", "", "verdict.rating = RATING_FALSE", store.OrderBy{Desc: true}, 10, 3, 3},
		{"rating index, update order", "", "verdict.rating = RATING_FALSE", store.OrderBy{Field: store.OrderByUpdateTime}, 10, 3, 3},
		{"the same filter, unindexable", "", "NOT verdict.rating != RATING_FALSE", store.OrderBy{}, 10, 3, 2 * perArticle},
		{"the smaller of two indexes", "", "state = STATE_DRAFT AND verdict.rating = RATING_FALSE", store.OrderBy{}, 10, 3, 3},
		{"rating beats the article, which rules out all", artB, "verdict.rating = RATING_FALSE", store.OrderBy{}, 10, 0, 0},
		{"rating beats the article", artA, "verdict.rating = RATING_FALSE", store.OrderBy{}, 10, 3, 3},
		{"article index", artB, "", store.OrderBy{}, 10, 10, 11},
		{"source index", "", `citations.source = "sources/` + src.ID + `"`, store.OrderBy{}, 10, 3, 3},
		{"label index", "", `labels.topic = "57"`, store.OrderBy{}, 10, 1, 1},
		{"label presence", "", `labels:topic`, store.OrderBy{}, 2, 2, 3},
		{"external ID", "", `external_id = "ext-107"`, store.OrderBy{}, 10, 1, 1},
		{"author index", "", `author = "reviewers/a"`, store.OrderBy{}, 10, 2, 2},
		{"author index, descending", "", `author = "reviewers/a"`, store.OrderBy{Desc: true}, 10, 2, 2},
		{"author and article", artB, `author = "reviewers/a"`, store.OrderBy{}, 10, 0, 0},
		{"no such author", "", `author = "reviewers/none"`, store.OrderBy{}, 10, 0, 0},
		{"missing source", "", `citations.source = "sources/none"`, store.OrderBy{}, 10, 0, 0},
	}
	runExamined(t, s, tests)
}

// examinedCase is a list of annotations and how many records it may decode:
// the first page of pageSize under filter and order, in articleID or across
// articles, has wantN results and decodes wantExamined records.
type examinedCase struct {
	name         string
	articleID    string
	filter       string
	order        store.OrderBy
	pageSize     int
	wantN        int
	wantExamined int64
}

func runExamined(t *testing.T, s *boltstore.Store, tests []examinedCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := filter.Parse(tc.filter, store.AnnotationFilterSchema)
			if err != nil {
				t.Fatal(err)
			}
			before := s.Examined()
			got, _, err := s.ListAnnotations(ctx, tc.articleID, store.ListQuery{Filter: f, OrderBy: tc.order, PageSize: tc.pageSize})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.wantN {
				t.Errorf("%d results, want %d", len(got), tc.wantN)
			}
			if n := s.Examined() - before; n != tc.wantExamined {
				t.Errorf("decoded %d records, want %d", n, tc.wantExamined)
			}
		})
	}
}

// TestLongKeys: values beyond bbolt's key size limit still index, compare
// and stay unique.
func TestLongKeys(t *testing.T) {
	s := open(t, boltstore.Options{NoSync: true})
	huge := "https://news.example/" + strings.Repeat("x", 40_000)
	if _, err := s.CreateArticle(ctx, &store.Article{URL: huge}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateArticle(ctx, &store.Article{URL: huge}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("a second article with the huge URL: %v, want ErrAlreadyExists", err)
	}
	// The same first 480 bytes, a different URL.
	if _, err := s.CreateArticle(ctx, &store.Article{URL: huge + "y"}); err != nil {
		t.Fatal(err)
	}

	// Filters are at most 4 KiB, so the filtered values are shorter, but
	// still longer than what keys hold in full.
	long := strings.Repeat("l", 1000)
	a, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/" + long, Publisher: long, Labels: map[string]string{"k": long}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/" + long + "y", Publisher: long + "y", Labels: map[string]string{"k": long + "y"}}); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		fmt.Sprintf("url = %q", "https://news.example/"+long),
		fmt.Sprintf("publisher = %q", long),
		fmt.Sprintf("labels.k = %q", long),
	} {
		f, err := filter.Parse(src, store.ArticleFilterSchema)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := s.ListArticles(ctx, store.ListQuery{Filter: f, PageSize: 10})
		if err != nil || len(got) != 1 || got[0].ID != a.ID {
			t.Errorf("filter %.20s…: %d results, %v", src, len(got), err)
		}
	}
}
