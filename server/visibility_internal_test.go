package server

import (
	"fmt"
	"testing"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

func testCaller(id string, role store.Role) *caller {
	return &caller{reviewer: &store.Reviewer{ID: id, Role: role}}
}

// TestVisibilityFilterAgreesWithGet: the filter lists add is true of
// exactly the annotations Get shows, for every role, state and author, so
// that List, Export and Get never disagree about what a caller sees.
func TestVisibilityFilterAgreesWithGet(t *testing.T) {
	callers := []*caller{
		testCaller("vic", store.RoleViewer),
		testCaller("alice", store.RoleReviewer),
		testCaller("erin", store.RoleEditor),
		testCaller("admin", store.RoleAdmin),
	}
	for _, c := range callers {
		vis := visibilityFilter(c)
		// The filter must also survive its own printing: page tokens are
		// bound to that text.
		if vis != nil {
			again, err := filter.Parse(vis.String(), store.AnnotationFilterSchema)
			if err != nil || again.String() != vis.String() {
				t.Errorf("%s: %q does not parse back (%v)", c.name(), vis, err)
			}
		}
		for s := store.StateUnspecified; s <= store.StateRetracted; s++ {
			for _, author := range []string{"", "reviewers/alice", "reviewers/bob", "reviewers/erin"} {
				a := &store.Annotation{ArticleID: "a", ID: "x", State: s, Author: author}
				if s == store.StateUnspecified {
					// The store never keeps it; the two may differ.
					continue
				}
				if got, want := filter.Match(vis, a), visibleTo(c, a); got != want {
					t.Errorf("%s, %v by %q: filter says %v, Get says %v (filter %q)", c.name(), s, author, got, want, vis)
				}
			}
		}
	}
}

// TestVisibilityKeepsIndexes: an editor's filter is the user's own, so the
// store chooses an index from it as before; for the others the user's
// equality terms stay reachable through AND, so `state = STATE_PUBLISHED`
// (and the other indexed terms) still pick an index.
func TestVisibilityKeepsIndexes(t *testing.T) {
	user, err := filter.Parse(`state = STATE_PUBLISHED AND verdict.rating = RATING_FALSE`, store.AnnotationFilterSchema)
	if err != nil {
		t.Fatal(err)
	}
	terms := func(e filter.Expr) string {
		var out []string
		for _, c := range filter.EqualityTerms(e) {
			out = append(out, c.String())
		}
		return fmt.Sprint(out)
	}
	want := terms(user)
	for _, c := range []*caller{
		testCaller("vic", store.RoleViewer),
		testCaller("alice", store.RoleReviewer),
		testCaller("erin", store.RoleEditor),
		testCaller("admin", store.RoleAdmin),
	} {
		vis := visibilityFilter(c)
		if c.has(PermAnnotationsReadDrafts) != (vis == nil) {
			t.Errorf("%s: visibility filter %v; want none exactly for those who see drafts", c.name(), vis)
		}
		got := restrict(user, vis)
		if vis == nil && got != user {
			t.Errorf("%s: the user's filter was rewritten to %q", c.name(), got)
		}
		if terms(got) != want {
			t.Errorf("%s: equality terms %s, want the user's %s", c.name(), terms(got), want)
		}
	}
}
