package server

import (
	"context"
	"fmt"
	"strings"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// The editorial workflow. An annotation is written as a draft, submitted
// for review, then published or returned to its author by an editor, and a
// published one may be retracted:
//
//	DRAFT --Submit--> IN_REVIEW --Publish--> PUBLISHED --Retract--> RETRACTED
//	  ^                   |
//	  +------Return-------+
//
// Each transition is one store.UpdateAnnotation whose closure checks the
// state, the caller and the requirements against the annotation as the
// write transaction reads it, so two racing transitions cannot both succeed
// (the second finds the state the first left) and nothing read earlier can
// be stale. The state changes nowhere else: UpdateAnnotation refuses it,
// RollbackAnnotation refuses a revision in another state, and only editors
// create annotations in a state other than draft.

// Reasons of the workflow and of the edit rules.
const (
	reasonInvalidTransition      = "INVALID_STATE_TRANSITION"
	reasonPublishRequirements    = "PUBLISH_REQUIREMENTS_NOT_MET"
	reasonFourEyes               = "FOUR_EYES_REQUIRED"
	reasonStateChangeNotAllowed  = "STATE_CHANGE_NOT_ALLOWED"
	reasonCorrectionNoteRequired = "CORRECTION_NOTE_REQUIRED"
	reasonRollbackChangesState   = "ROLLBACK_CHANGES_STATE"
)

// maxNoteChars bounds a correction note, a return note and a retraction
// reason (the API's "2,000 characters").
const maxNoteChars = 2000

// transition is one workflow method.
type transition struct {
	method   string
	from, to store.AnnotationState
	// allowed checks the caller against the annotation, beyond the
	// method's permission, which the auth interceptor checked.
	allowed func(c *caller, a *store.Annotation) error
	// ready checks what the target state needs of the annotation.
	ready func(a *store.Annotation) error
}

var (
	submitTransition = &transition{
		method: "SubmitAnnotation", from: store.StateDraft, to: store.StateInReview,
		allowed: func(c *caller, a *store.Annotation) error {
			if isAuthor(c, a) || c.has(PermAnnotationsEditAny) {
				return nil
			}
			return permissionDenied(c, PermAnnotationsEditAny,
				"submit "+a.Name()+", which "+authorWords(a)+": reviewers submit their own drafts")
		},
	}
	returnTransition = &transition{
		method: "ReturnAnnotation", from: store.StateInReview, to: store.StateDraft,
	}
	publishTransition = &transition{
		method: "PublishAnnotation", from: store.StateInReview, to: store.StatePublished,
		allowed: fourEyes,
		ready:   publishReady,
	}
	retractTransition = &transition{
		method: "RetractAnnotation", from: store.StatePublished, to: store.StateRetracted,
	}
)

// run makes the transition t of the annotation, honouring etag and
// recording note (why it was returned or retracted) in the revision and
// the audit log.
func (t *transition) run(ctx context.Context, s *annotationService, articleID, id, etag, note string) (*store.Annotation, error) {
	c := callerFrom(ctx)
	return s.update(ctx, c, articleID, id, etag, note, func(a *store.Annotation) error {
		if t.allowed != nil {
			if err := t.allowed(c, a); err != nil {
				return err
			}
		}
		if a.State != t.from {
			return invalidTransition(a, t.method, t.from)
		}
		if t.ready != nil {
			if err := t.ready(a); err != nil {
				return err
			}
		}
		a.State = t.to
		return nil
	})
}

// withNote gives the write of ctx a note (a correction note, why an
// annotation was returned or retracted): the revision and the audit entry
// keep it.
func withNote(ctx context.Context, note string) context.Context {
	if note == "" {
		return ctx
	}
	w := store.WriteInfoFrom(ctx)
	w.Note = note
	return store.WithWriteInfo(ctx, w)
}

// update runs fn on the annotation inside the store's write transaction,
// for a caller who must see it: an annotation c cannot see is NOT_FOUND
// whatever else is wrong with the request (a stale etag included, which
// is why the etag is checked here, after visibility, and not by the
// store). Callers who may not see every annotation read it first as well,
// so that a deleted draft of someone else is not found either, rather than
// refused as deleted. A note (a correction note, why the annotation was
// returned or retracted), when given, goes into the revision and the audit
// log.
func (s *annotationService) update(ctx context.Context, c *caller, articleID, id, etag, note string, fn func(*store.Annotation) error) (*store.Annotation, error) {
	ctx = withNote(ctx, note)
	if !c.has(PermAnnotationsReadDrafts) {
		if _, err := getVisible(ctx, s.st, c, articleID, id); err != nil {
			return nil, err
		}
	}
	a, err := s.st.UpdateAnnotation(ctx, articleID, id, "", func(a *store.Annotation) error {
		if !visibleTo(c, a) {
			return notFound(articleID, id)
		}
		if etag != "" && etag != a.Etag {
			return store.Conflict(a.Name(), etag, a.Etag)
		}
		return fn(a)
	})
	return a, hideHolder(ctx, s.st, c, err)
}

// mayEdit is the edit rule of UpdateAnnotation, DeleteAnnotation and
// RollbackAnnotation: a reviewer changes only their own drafts; what was
// submitted belongs to the editors (PermAnnotationsEditAny). verb completes
// "may not …".
func mayEdit(c *caller, a *store.Annotation, verb string) error {
	if c.has(PermAnnotationsEditAny) || (isAuthor(c, a) && a.State == store.StateDraft) {
		return nil
	}
	if !isAuthor(c, a) {
		return permissionDenied(c, PermAnnotationsEditAny,
			verb+" "+a.Name()+", which "+authorWords(a)+": reviewers change only their own drafts")
	}
	return permissionDenied(c, PermAnnotationsEditAny,
		verb+" "+a.Name()+", which is "+a.State.String()+": reviewers change their own annotations only while they are drafts; ask an editor")
}

// authorWords says who wrote a, for messages.
func authorWords(a *store.Annotation) string {
	if a.Author == "" {
		return "was written before authors were recorded"
	}
	return a.Author + " wrote"
}

// fourEyes refuses to let the author of an annotation publish it: a second
// person must have read it. An annotation with no recorded author (written
// before authentication) has nobody to exclude.
func fourEyes(c *caller, a *store.Annotation) error {
	if !isAuthor(c, a) {
		return nil
	}
	role := c.reviewer.Role
	return &store.Error{
		Kind: store.ErrPermissionDenied, Reason: reasonFourEyes, Resource: a.Name(),
		Message: fmt.Sprintf("%s (%s) may not publish %s, which they wrote: publishing takes an editor who is not the author (four eyes, permission %s); ask another editor to publish it",
			c.name(), role, a.Name(), PermAnnotationsReview),
		Metadata: map[string]string{
			"permission": string(PermAnnotationsReview),
			"caller":     c.name(),
			"role":       role.String(),
			"author":     a.Author,
		},
	}
}

// publishReady checks what a published annotation must have: a verdict
// with its rationale, evidence, and a quote still found in the article. It
// names every missing thing at once.
func publishReady(a *store.Annotation) error {
	name := a.Name()
	var ps []store.Precondition
	if a.Verdict.Rating == store.RatingUnspecified {
		ps = append(ps, store.Precondition{Type: "RATING_REQUIRED", Subject: name,
			Description: "verdict.rating is RATING_UNSPECIFIED: rate the claim"})
	}
	if strings.TrimSpace(a.Verdict.Rationale) == "" {
		ps = append(ps, store.Precondition{Type: "RATIONALE_REQUIRED", Subject: name,
			Description: "verdict.rationale is empty: say why the claim earns its rating"})
	}
	if len(a.Citations) == 0 {
		ps = append(ps, store.Precondition{Type: "CITATION_REQUIRED", Subject: name,
			Description: "citations is empty: cite at least one source for the verdict"})
	}
	if a.Anchor.Status == store.StatusOrphaned {
		ps = append(ps, store.Precondition{Type: "ANCHOR_ORPHANED", Subject: name,
			Description: "anchor.status is STATUS_ORPHANED: the quote is no longer in the article's text; anchor the annotation again"})
	}
	if len(ps) == 0 {
		return nil
	}
	missing := make([]string, len(ps))
	for i, p := range ps {
		missing[i] = p.Description
	}
	return &store.Error{
		Kind: store.ErrFailedPrecondition, Reason: reasonPublishRequirements, Resource: name,
		Message: fmt.Sprintf("%s cannot be published yet: %s; fix it with UpdateAnnotation, then publish",
			name, strings.Join(missing, "; ")),
		Preconditions: ps,
	}
}

// invalidTransition is the error of a workflow method called in the wrong
// state.
func invalidTransition(a *store.Annotation, method string, need store.AnnotationState) error {
	name := a.Name()
	desc := fmt.Sprintf("annotation is %s; %s needs %s", a.State, method, need)
	return &store.Error{
		Kind: store.ErrFailedPrecondition, Reason: reasonInvalidTransition, Resource: name,
		Message:       fmt.Sprintf("%s is %s; %s needs %s: %s", name, a.State, method, need, stateHint(a.State)),
		Preconditions: []store.Precondition{{Type: "STATE", Subject: name, Description: desc}},
		Metadata:      map[string]string{"state": a.State.String(), "required_state": need.String()},
	}
}

// stateHint says what can be done with an annotation in state s.
func stateHint(s store.AnnotationState) string {
	switch s {
	case store.StateDraft:
		return "its author submits it for review with SubmitAnnotation"
	case store.StateInReview:
		return "an editor publishes it with PublishAnnotation or returns it to its author with ReturnAnnotation"
	case store.StatePublished:
		return "an editor corrects it with UpdateAnnotation and a correction_note, or withdraws it with RetractAnnotation"
	case store.StateRetracted:
		return "a retraction is final; an editor may still correct it with UpdateAnnotation and a correction_note"
	}
	return "it has no workflow state"
}

func (s *annotationService) SubmitAnnotation(ctx context.Context, req *factcheckv1.SubmitAnnotationRequest) (*factcheckv1.SubmitAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := submitTransition.run(ctx, s, articleID, id, req.GetEtag(), "")
	if err != nil {
		return nil, err
	}
	return &factcheckv1.SubmitAnnotationResponse{Annotation: annotationToProto(a)}, nil
}

func (s *annotationService) ReturnAnnotation(ctx context.Context, req *factcheckv1.ReturnAnnotationRequest) (*factcheckv1.ReturnAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	v.note("note", req.GetNote(), "say what the author should change")
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := returnTransition.run(ctx, s, articleID, id, req.GetEtag(), req.GetNote())
	if err != nil {
		return nil, err
	}
	return &factcheckv1.ReturnAnnotationResponse{Annotation: annotationToProto(a)}, nil
}

func (s *annotationService) PublishAnnotation(ctx context.Context, req *factcheckv1.PublishAnnotationRequest) (*factcheckv1.PublishAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := publishTransition.run(ctx, s, articleID, id, req.GetEtag(), "")
	if err != nil {
		return nil, err
	}
	return &factcheckv1.PublishAnnotationResponse{Annotation: annotationToProto(a)}, nil
}

func (s *annotationService) RetractAnnotation(ctx context.Context, req *factcheckv1.RetractAnnotationRequest) (*factcheckv1.RetractAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	v.note("reason", req.GetReason(), "say why the annotation is withdrawn; readers will see it")
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := retractTransition.run(ctx, s, articleID, id, req.GetEtag(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &factcheckv1.RetractAnnotationResponse{Annotation: annotationToProto(a)}, nil
}

// mayCreateIn checks who may create an annotation in state s: reviewers
// create drafts and submit them; recording work reviewed elsewhere in
// another state takes an editor.
func mayCreateIn(c *caller, s factcheckv1.Annotation_State) error {
	if s == factcheckv1.Annotation_STATE_UNSPECIFIED || s == factcheckv1.Annotation_STATE_DRAFT || c.has(PermAnnotationsEditAny) {
		return nil
	}
	return permissionDenied(c, PermAnnotationsEditAny,
		"create an annotation in "+s.String()+": reviewers create drafts (leave state unset) and submit them for review")
}

// checkCorrectionNote refuses an edit or rollback of published or
// retracted work without a correction note: readers relied on what it said,
// so the change must say what was corrected and why.
func checkCorrectionNote(a *store.Annotation, note string) error {
	if (a.State != store.StatePublished && a.State != store.StateRetracted) || strings.TrimSpace(note) != "" {
		return nil
	}
	return store.Invalid(reasonCorrectionNoteRequired, "correction_note", fmt.Sprintf(
		"is required: %s is %s; say what was corrected and why (at most %d characters), and it stays in the annotation's history",
		a.Name(), a.State, maxNoteChars))
}

// rollbackChangesState is the error of a rollback to a revision in another
// state than the annotation's: the state changes only through the workflow.
func rollbackChangesState(cur *store.Annotation, rev *store.AnnotationRevision) error {
	name := cur.Name()
	desc := fmt.Sprintf("annotation is %s; revision %d is %s", cur.State, rev.RevisionID, rev.Annotation.State)
	return &store.Error{
		Kind: store.ErrFailedPrecondition, Reason: reasonRollbackChangesState, Resource: name,
		Message: fmt.Sprintf("%s is %s, but revision %d is %s, and a rollback keeps the state: roll back to a revision in %s, or change the state with the workflow methods first",
			name, cur.State, rev.RevisionID, rev.Annotation.State, cur.State),
		Preconditions: []store.Precondition{{Type: "STATE", Subject: name, Description: desc}},
		Metadata:      map[string]string{"state": cur.State.String(), "revision_state": rev.Annotation.State.String()},
	}
}

// maxRevisionsScanned bounds the revisions one ListAnnotationRevisions call
// reads for a caller who sees only the public ones.
const maxRevisionsScanned = 5 * maxPageSize
