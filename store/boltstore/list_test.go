package boltstore_test

import (
	"fmt"
	"testing"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// TestUnionPlans pins what a List with an OR of equality terms reads: the
// records of the union of the index ranges, merged, and nothing else (the
// conformance suite checks the results, this the cost).
func TestUnionPlans(t *testing.T) {
	s := open(t, boltstore.Options{NoSync: true})
	var arts []string
	for _, id := range []string{"ua", "ub"} {
		a, err := s.CreateArticle(ctx, &store.Article{ID: id, URL: "https://news.example/" + id, Text: claims})
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a.ID)
	}
	const perArticle = 150
	for j, art := range arts {
		for i := range perArticle {
			a := &store.Annotation{ArticleID: art, Anchor: store.Anchor{Exact: fmt.Sprintf("Claim %02d", i%60)}, State: store.StateDraft}
			author := "reviewers/y" // 287 drafts
			switch {
			case j == 0 && i%50 == 7: // 3, all of article ua
				a.State, a.Verdict.Rating = store.StatePublished, store.RatingFalse
			case j == 1 && i%50 == 20: // 3, all of article ub
				a.State = store.StateRetracted
			case j == 0 && i%75 == 30: // 2
				a.State = store.StateInReview
			case j == 1 && i%30 == 5: // 5 drafts, all of article ub
				author = "reviewers/x"
			}
			if _, err := s.CreateAnnotation(store.WithWriteInfo(ctx, store.WriteInfo{Actor: author}), a); err != nil {
				t.Fatal(err)
			}
		}
	}
	const viewer = `(state = STATE_PUBLISHED OR state = STATE_RETRACTED)`
	reviewer := func(name string) string {
		return `state = STATE_PUBLISHED OR state = STATE_RETRACTED OR state = STATE_IN_REVIEW OR (state = STATE_DRAFT AND author = "` + name + `")`
	}
	tests := []examinedCase{
		{"viewer", "", viewer, store.OrderBy{}, 10, 6, 6},
		{"viewer, descending", "", viewer, store.OrderBy{Desc: true}, 10, 6, 6},
		{"viewer, a page and one more", "", viewer, store.OrderBy{}, 4, 4, 5},
		{"viewer, update order: few, sorted", "", viewer, store.OrderBy{Field: store.OrderByUpdateTime}, 10, 6, 6},
		// Not few enough to sort: the by-update index is walked, and only
		// a page of records read.
		{"drafts, update order: walked", "", "state = STATE_DRAFT OR state = STATE_IN_REVIEW", store.OrderBy{Field: store.OrderByUpdateTime}, 10, 10, 11},
		{"drafts, update order descending: walked", "", "state = STATE_DRAFT OR state = STATE_IN_REVIEW", store.OrderBy{Field: store.OrderByUpdateTime, Desc: true}, 10, 10, 11},
		{"viewer and a rating", "", "verdict.rating = RATING_FALSE AND " + viewer, store.OrderBy{}, 10, 3, 3},
		{"viewer in an article", arts[1], viewer, store.OrderBy{}, 10, 3, 3},
		{"overlapping branches", "", "state = STATE_PUBLISHED OR verdict.rating = RATING_FALSE", store.OrderBy{}, 10, 3, 3},
		{"a branch of two terms walks the smaller", "", "(state = STATE_DRAFT AND verdict.rating = RATING_FALSE) OR state = STATE_RETRACTED", store.OrderBy{}, 10, 3, 3},
		{"unique values", "", `external_id = "none" OR state = STATE_IN_REVIEW`, store.OrderBy{}, 10, 2, 2},
		{"a branch no index answers in order: everything", "", "state = STATE_PUBLISHED OR labels:topic", store.OrderBy{}, 10, 3, 2 * perArticle},
		// The drafts branch walks the author's range, the smaller of its
		// two, and probes the state: of the 13 visible records, a page of
		// 10 reads a page and one more, however many drafts the others
		// have (it read all 300 before author had an index).
		{"reviewer", "", reviewer("reviewers/x"), store.OrderBy{}, 10, 10, 11},
		{"reviewer, descending", "", reviewer("reviewers/x"), store.OrderBy{Desc: true}, 10, 10, 11},
		{"reviewer, update order: few, sorted", "", reviewer("reviewers/x"), store.OrderBy{Field: store.OrderByUpdateTime}, 10, 10, 13},
		{"reviewer in an article", arts[1], reviewer("reviewers/x"), store.OrderBy{}, 10, 8, 8},
		{"reviewer without drafts", "", reviewer("reviewers/z"), store.OrderBy{}, 10, 8, 8},
		// Most drafts are this reviewer's: still a page, in creation order.
		{"reviewer with most drafts", "", reviewer("reviewers/y"), store.OrderBy{}, 10, 10, 11},
	}
	runExamined(t, s, tests)
}
