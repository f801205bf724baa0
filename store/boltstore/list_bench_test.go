package boltstore_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
	"github.com/factcheck/factcheck/store/filter"
)

// BenchmarkListVisible measures the lists of callers who see only part of
// the annotations, with the filters the server ANDs in (server/visibility.go),
// on a store of its own: 100,000 annotations of which 1% are published,
// 0.1% retracted, 2% in review and the rest drafts of 20 reviewers, spread
// evenly in creation order, as in a newsroom whose archive is mostly work
// in progress. Each "scan/" case asks the same question in a form no index
// answers (NOT of the complement), which is what the planner did with the
// visibility filter before it served an OR of equality terms: the ratio of
// a pair is the planner's gain, measured in the same run. For the reviewer
// pairs the scan is also what the indexed form cost before author had an
// index (schema version 8): its drafts branch was then every draft, so the
// union held every record and the list walked the records bucket, reading
// every draft of the other 19 reviewers until the page filled.
//
//	go test ./store/boltstore -run '^$' -bench ListVisible -benchtime 2s
func BenchmarkListVisible(b *testing.B) {
	s := visibleStore(b)
	const (
		viewer     = `(state = STATE_PUBLISHED OR state = STATE_RETRACTED)`
		viewerScan = `NOT (state != STATE_PUBLISHED AND state != STATE_RETRACTED)`
		reviewer   = `(state = STATE_PUBLISHED OR state = STATE_RETRACTED OR state = STATE_IN_REVIEW OR (state = STATE_DRAFT AND author = "reviewers/r3"))`
		// reviewerScan hides the equality terms behind a NOT as the
		// others do.
		reviewerScan = `NOT (state != STATE_PUBLISHED AND state != STATE_RETRACTED AND state != STATE_IN_REVIEW AND NOT (state = STATE_DRAFT AND author = "reviewers/r3"))`
	)
	for _, bc := range []struct {
		name, filter string
		order        store.OrderBy
		// pages: how many pages each op reads, following the tokens.
		pages int
	}{
		{"indexed/viewer", viewer, store.OrderBy{}, 1},
		{"scan/viewer", viewerScan, store.OrderBy{}, 1},
		{"indexed/viewer-desc", viewer, store.OrderBy{Desc: true}, 1},
		{"scan/viewer-desc", viewerScan, store.OrderBy{Desc: true}, 1},
		{"indexed/viewer-3pages", viewer, store.OrderBy{}, 3},
		{"scan/viewer-3pages", viewerScan, store.OrderBy{}, 3},
		{"indexed/viewer-update", viewer, store.OrderBy{Field: store.OrderByUpdateTime}, 1},
		{"scan/viewer-update", viewerScan, store.OrderBy{Field: store.OrderByUpdateTime}, 1},
		{"indexed/viewer+rating=FALSE", "verdict.rating = RATING_FALSE AND " + viewer, store.OrderBy{}, 1},
		{"scan/viewer+rating=FALSE", "NOT verdict.rating != RATING_FALSE AND " + viewerScan, store.OrderBy{}, 1},
		{"indexed/reviewer", reviewer, store.OrderBy{}, 1},
		{"scan/reviewer", reviewerScan, store.OrderBy{}, 1},
		{"indexed/reviewer-desc", reviewer, store.OrderBy{Desc: true}, 1},
		{"scan/reviewer-desc", reviewerScan, store.OrderBy{Desc: true}, 1},
		{"indexed/reviewer-3pages", reviewer, store.OrderBy{}, 3},
		{"scan/reviewer-3pages", reviewerScan, store.OrderBy{}, 3},
		{"indexed/reviewer-update", reviewer, store.OrderBy{Field: store.OrderByUpdateTime}, 1},
		{"scan/reviewer-update", reviewerScan, store.OrderBy{Field: store.OrderByUpdateTime}, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f, err := filter.Parse(bc.filter, store.AnnotationFilterSchema)
			if err != nil {
				b.Fatal(err)
			}
			before := s.Examined()
			for b.Loop() {
				q := store.ListQuery{Filter: f, OrderBy: bc.order, PageSize: 50}
				for range bc.pages {
					page, next, err := s.ListAnnotations(ctx, "", q)
					if err != nil || len(page) == 0 {
						b.Fatalf("%d results, %v", len(page), err)
					}
					q.PageToken = next
				}
			}
			b.ReportMetric(float64(s.Examined()-before)/float64(b.N), "records/op")
		})
	}
}

// visibleStore builds BenchmarkListVisible's store in b's temporary
// directory; the parent benchmark runs once, so it is built once.
func visibleStore(b *testing.B) *boltstore.Store {
	b.Helper()
	const (
		articles   = 1000
		perArticle = 100
		reviewers  = 20
	)
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "visible.db"), boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	var text strings.Builder
	for i := range perArticle {
		fmt.Fprintf(&text, "Claim %03d. ", i)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	n := 0
	for i := range articles {
		art, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/%d", i), Text: text.String()})
		if err != nil {
			b.Fatal(err)
		}
		chunk := make([]*store.Annotation, 0, perArticle)
		for j := range perArticle {
			a := &store.Annotation{
				ArticleID: art.ID,
				Anchor:    store.Anchor{Exact: fmt.Sprintf("Claim %03d", j), HasPosition: true, Start: 11 * j, End: 11*j + 9},
				Claim:     store.Claim{Text: "a claim", Claimant: store.Claimant{Name: fmt.Sprintf("Claimant %d", rng.IntN(500))}},
				Verdict:   store.Verdict{Rating: store.Rating(1 + rng.IntN(5)), Rationale: strings.Repeat("Because. ", 20)},
				Labels:    map[string]string{"desk": "world"},
			}
			switch {
			case n%100 == 37:
				a.State = store.StatePublished
			case n%1000 == 501:
				a.State = store.StateRetracted
			case n%50 == 11:
				a.State = store.StateInReview
			default:
				a.State = store.StateDraft
			}
			chunk = append(chunk, a)
			n++
		}
		// Each article's annotations are by one of the reviewers.
		wctx := store.WithWriteInfo(ctx, store.WriteInfo{Actor: fmt.Sprintf("reviewers/r%d", i%reviewers)})
		if _, err := s.CreateAnnotations(wctx, chunk); err != nil {
			b.Fatal(err)
		}
	}
	return s
}
