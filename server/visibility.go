package server

import (
	"context"
	"errors"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

// Who sees which annotation. Readers outside the newsroom (ROLE_VIEWER) see
// published work only, and retractions, which must stay readable so that a
// withdrawn verdict is seen to be withdrawn. Reviewers also see the review
// queue (everything in review, so they can review each other's work before
// an editor does) and their own drafts; a draft is its author's scratch pad
// until it is submitted. Editors see everything.
//
// An annotation a caller cannot see does not exist for it: Get, the
// revision methods and every write answer NOT_FOUND exactly as for a missing
// one, so that probing names reveals no draft. Its unique values (name,
// external_id, the request_id that imported it) stay taken, but a refusal
// of one does not name it (hideHolder, refuseHidden).

// visibleTo reports whether c may see a.
func visibleTo(c *caller, a *store.Annotation) bool {
	switch {
	case c.has(PermAnnotationsReadDrafts):
		return true
	case a.State == store.StatePublished || a.State == store.StateRetracted:
		return true
	case !c.has(PermAnnotationsReadUnpublished):
		return false
	case a.State == store.StateInReview:
		return true
	}
	return isAuthor(c, a)
}

// isAuthor reports whether c created a. An annotation from before
// authentication has no author, and nobody is its author.
func isAuthor(c *caller, a *store.Annotation) bool {
	return a.Author != "" && a.Author == c.name()
}

// publicStates are the states every reader sees.
var publicStates = []store.AnnotationState{store.StatePublished, store.StateRetracted}

// publicRevision reports whether a revision of a visible annotation shows to
// a caller without PermAnnotationsReadUnpublished: only what was public when
// it was written (the wording of a draft stays private after publication).
func publicRevision(c *caller, r *store.AnnotationRevision) bool {
	return c.has(PermAnnotationsReadUnpublished) ||
		r.Annotation.State == store.StatePublished || r.Annotation.State == store.StateRetracted
}

// visibilityFilter is the filter that keeps exactly the annotations c sees
// (as visibleTo decides), or nil when c sees all of them: an editor's list
// runs as the user wrote it, so its equality terms still choose an index.
func visibilityFilter(c *caller) filter.Expr {
	if c.has(PermAnnotationsReadDrafts) {
		return nil
	}
	var e filter.Expr = stateIs(publicStates[0])
	for _, s := range publicStates[1:] {
		e = &filter.Or{Left: e, Right: stateIs(s)}
	}
	if !c.has(PermAnnotationsReadUnpublished) {
		return e
	}
	e = &filter.Or{Left: e, Right: stateIs(store.StateInReview)}
	if c.name() == "" {
		return e
	}
	own := &filter.And{Left: stateIs(store.StateDraft), Right: &filter.Compare{
		Field: "author", Op: filter.Eq, Value: c.name(), Type: filter.String,
	}}
	return &filter.Or{Left: e, Right: own}
}

func stateIs(s store.AnnotationState) *filter.Compare {
	return &filter.Compare{Field: "state", Op: filter.Eq, Value: s.String(), Type: filter.Enum}
}

// restrict ANDs the caller's visibility into the user's filter. The user's
// filter comes first: its equality terms, the ones an index can answer,
// stay reachable through AND alone.
func restrict(user, visibility filter.Expr) filter.Expr {
	switch {
	case visibility == nil:
		return user
	case user == nil:
		return visibility
	}
	return &filter.And{Left: user, Right: visibility}
}

// boundTo binds a page token to what the caller sees as well as to the
// query: a token issued to a viewer is refused to an editor and the other
// way round, and a reviewer's to every other reviewer, since each sees a
// different list. The method field carries it because the caller cannot
// spell it (unlike the filter, which the caller writes); an editor's tokens
// stay exactly as they were before visibility existed.
func (q pageQuery) boundTo(visibility filter.Expr) pageQuery {
	if visibility != nil {
		q.method += "\x00visible:" + visibility.String()
	}
	return q
}

// notFound is the error of an annotation the caller cannot see: the very
// error the store gives for a missing one.
func notFound(articleID, id string) error {
	return store.NotFound("ANNOTATION_NOT_FOUND", store.AnnotationName(articleID, id))
}

// getVisible reads an annotation for c, answering NOT_FOUND when c may not
// see it.
func getVisible(ctx context.Context, st store.Store, c *caller, articleID, id string) (*store.Annotation, error) {
	a, err := st.GetAnnotation(ctx, articleID, id)
	if err != nil {
		return nil, err
	}
	if !visibleTo(c, a) {
		return nil, notFound(articleID, id)
	}
	return a, nil
}

// hideRevisionRange drops the "revisions 1 to 9 exist" hint from a missing
// revision's error for a caller who sees only some revisions: the range
// would count the hidden ones.
func hideRevisionRange(c *caller, err error, name string) error {
	var se *store.Error
	if c.has(PermAnnotationsReadUnpublished) || !errors.As(err, &se) || se.Reason != "REVISION_NOT_FOUND" {
		return err
	}
	return store.NotFound("REVISION_NOT_FOUND", name)
}

// hideHolder keeps a refusal of a unique value (ALREADY_EXISTS, which names
// the annotation holding the value) from telling c the name of an
// annotation c may not see: the value is still taken, but whose it is does
// not show. Without this, choosing another reviewer's external_id would
// reveal the name of that reviewer's draft.
func hideHolder(ctx context.Context, st store.Store, c *caller, err error) error {
	var se *store.Error
	if err == nil || !errors.As(err, &se) || se.Kind != store.ErrAlreadyExists || se.Resource == "" {
		return err
	}
	if !hiddenFrom(ctx, st, c, se.Resource) {
		return err
	}
	hidden := takenByHidden(se.Reason)
	var ie *store.ItemError
	if errors.As(err, &ie) {
		return &store.ItemError{Collection: ie.Collection, Index: ie.Index, Err: hidden}
	}
	return hidden
}

// refuseHidden is the ImportOptions.CheckExisting of a caller who does not
// see every annotation: a record matching an annotation c may not see fails
// without its name, rather than report that annotation as existing, so
// that guessing an external_id or request_id names nobody's draft.
func refuseHidden(c *caller) func(*store.ImportRecord, *store.Annotation) error {
	return func(rec *store.ImportRecord, a *store.Annotation) error {
		if visibleTo(c, a) {
			return nil
		}
		reason := "REQUEST_ID_ALREADY_USED"
		if ai := rec.Annotation; ai != nil && ai.Annotation != nil {
			switch in := ai.Annotation; {
			case in.ExternalID != "" && in.ExternalID == a.ExternalID:
				reason = "EXTERNAL_ID_ALREADY_EXISTS"
			case in.ID != "" && in.ID == a.ID:
				reason = "ANNOTATION_ALREADY_EXISTS"
			}
		}
		return takenByHidden(reason)
	}
}

// hiddenFrom reports whether name is an annotation's that c may not see.
// Articles and sources everybody sees, and a caller who sees every
// annotation needs no read; an annotation that cannot be read (deleted
// meanwhile, say) counts as hidden.
func hiddenFrom(ctx context.Context, st store.Store, c *caller, name string) bool {
	if c.has(PermAnnotationsReadDrafts) {
		return false
	}
	articleID, id, ok := parseChildName(name, "articles", "annotations")
	if !ok {
		return false
	}
	a, err := st.GetAnnotation(ctx, articleID, id)
	return err != nil || !visibleTo(c, a)
}

// takenByHidden is the refusal of a value held by an annotation the caller
// may not see, without its name.
func takenByHidden(reason string) *store.Error {
	what := "the value"
	switch reason {
	case "EXTERNAL_ID_ALREADY_EXISTS":
		what = "the external_id"
	case "ANNOTATION_ALREADY_EXISTS":
		what = "the annotation's ID"
	case "REQUEST_ID_ALREADY_USED":
		what = "the request_id"
	}
	return &store.Error{Kind: store.ErrAlreadyExists, Reason: reason,
		Message: what + " is taken by an annotation you cannot see: choose another"}
}
