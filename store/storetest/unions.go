package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/factcheck/factcheck/store"
)

// testListUnionKeysetStability is testListKeysetStability for a filter that
// ORs equality terms, the shape of every viewer's list (the server ANDs
// `state = STATE_PUBLISHED OR state = STATE_RETRACTED` into it): between
// pages records are deleted, created and moved from one alternative of the
// OR to the other, and still every record that matched throughout comes
// exactly once, in order.
func testListUnionKeysetStability(t *testing.T, s store.Store) {
	f := parse(t, `state = STATE_PUBLISHED OR state = STATE_RETRACTED`, store.AnnotationFilterSchema)
	states := []store.AnnotationState{store.StatePublished, store.StateRetracted, store.StateDraft}
	for _, desc := range []bool{false, true} {
		for _, articleID := range []string{"one", ""} {
			t.Run(fmt.Sprintf("desc=%v/article=%q", desc, articleID), func(t *testing.T) {
				h := harness{t, s}
				art := h.claimArticle(fmt.Sprintf("union-%v-%s", desc, articleID))
				// The subtests share the store: out of the lists of
				// the next ones (a forced delete takes the
				// annotations along).
				t.Cleanup(func() { check(t, s.DeleteArticle(ctx, art.ID, "", true)) })
				scope := art.ID
				if articleID == "" {
					scope = ""
				}
				// order: the matching records in listing order.
				var order []string
				state := map[string]store.AnnotationState{}
				for i := range 15 {
					in := newAnnotation(art.ID, i)
					in.State = states[i%len(states)]
					id := h.createAnnotation(in).ID
					state[id] = in.State
					if in.State != store.StateDraft {
						order = append(order, id)
					}
				}
				if desc {
					slices.Reverse(order)
				}
				list := annotationLister(s, scope)
				q := store.ListQuery{PageSize: 3, Filter: f, OrderBy: store.OrderBy{Desc: desc}}
				first, next, err := list(q)
				check(t, err)
				if next == "" {
					t.Fatal("the first page has no next token")
				}
				seen := ids(first)
				if want := prefixed(art.ID, order[:3]); !slices.Equal(seen, want) {
					t.Fatalf("first page %q, want %q", seen, want)
				}

				// Delete one record already returned and one not yet
				// returned; move a returned and an unreturned record
				// each to the other alternative; create one.
				deletedSeen, deletedUnseen := order[1], order[5]
				movedSeen, movedUnseen := order[2], order[7]
				check(t, s.DeleteAnnotation(ctx, art.ID, deletedSeen, ""))
				check(t, s.DeleteAnnotation(ctx, art.ID, deletedUnseen, ""))
				for _, id := range []string{movedSeen, movedUnseen} {
					h.updateAnnotation(art.ID, id, func(a *store.Annotation) {
						if a.State == store.StatePublished {
							a.State = store.StateRetracted
						} else {
							a.State = store.StatePublished
						}
					})
				}
				in := newAnnotation(art.ID, 20)
				in.State = store.StateRetracted
				added := h.createAnnotation(in).ID
				q.PageToken = next
				seen = append(seen, ids(collect(t, list, q))...)

				count := map[string]int{}
				for _, id := range seen {
					count[strings.TrimPrefix(id, art.ID+"/")]++
				}
				var want []string
				for _, id := range order {
					n := 1
					if id == deletedUnseen {
						n = 0
					}
					if count[id] != n {
						t.Errorf("%s listed %d times, want %d (pages: %q)", id, count[id], n, seen)
					}
					if n == 1 {
						want = append(want, id)
					}
				}
				if count[added] > 1 {
					t.Errorf("%s, created between pages, listed %d times", added, count[added])
				}
				// What matched throughout comes in listing order.
				var got []string
				for _, id := range seen {
					if id := strings.TrimPrefix(id, art.ID+"/"); slices.Contains(want, id) {
						got = append(got, id)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("listed %q, want %q in this order", got, want)
				}
			})
		}
	}
}

func prefixed(articleID string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = articleID + "/" + id
	}
	return out
}
