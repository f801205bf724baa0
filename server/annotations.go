package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

type annotationService struct {
	factcheckv1.UnimplementedAnnotationServiceServer
	st store.Store
}

var _ factcheckv1.AnnotationServiceServer = (*annotationService)(nil)

func (s *annotationService) CreateAnnotation(ctx context.Context, req *factcheckv1.CreateAnnotationRequest) (*factcheckv1.CreateAnnotationResponse, error) {
	var v validator
	articleID := v.annotationParent("parent", req.GetParent(), false)
	v.id("annotation_id", req.GetAnnotationId())
	if req.GetAnnotation() == nil {
		v.add("annotation", reasonFieldRequired, "is required: send the annotation to create, with at least anchor.quote.exact and claim.text")
	} else {
		v.annotation("annotation", req.GetAnnotation(), all)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := mayCreateIn(callerFrom(ctx), req.GetAnnotation().GetState()); err != nil {
		return nil, err
	}
	a := annotationFromProto(req.GetAnnotation())
	a.ArticleID = articleID
	a.ID = req.GetAnnotationId()
	out, err := s.st.CreateAnnotation(ctx, a)
	if err != nil {
		return nil, inField("annotation", hideHolder(ctx, s.st, callerFrom(ctx), err))
	}
	return &factcheckv1.CreateAnnotationResponse{Annotation: annotationToProto(out)}, nil
}

func (s *annotationService) GetAnnotation(ctx context.Context, req *factcheckv1.GetAnnotationRequest) (*factcheckv1.GetAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := getVisible(ctx, s.st, callerFrom(ctx), articleID, id)
	if err != nil {
		return nil, err
	}
	return &factcheckv1.GetAnnotationResponse{Annotation: annotationToProto(a)}, nil
}

func (s *annotationService) ListAnnotations(ctx context.Context, req *factcheckv1.ListAnnotationsRequest) (*factcheckv1.ListAnnotationsResponse, error) {
	var v validator
	articleID := v.annotationParent("parent", req.GetParent(), true)
	size := v.pageSize("page_size", req.GetPageSize())
	order := v.orderBy("order_by", req.GetOrderBy())
	expr := v.filter("filter", req.GetFilter(), store.AnnotationFilterSchema,
		"`state = STATE_PUBLISHED AND verdict.rating = RATING_FALSE`")
	// The caller's visibility joins the filter rather than sifting the
	// page afterwards, so pages stay full and the page token (bound to it
	// too) positions within what the caller sees.
	vis := visibilityFilter(callerFrom(ctx))
	fp := pageQuery{method: "ListAnnotations", parent: req.GetParent(), filter: req.GetFilter(), order: order, showDeleted: req.GetShowDeleted()}.boundTo(vis).fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	anns, next, err := s.st.ListAnnotations(ctx, articleID, store.ListQuery{Filter: restrict(expr, vis), OrderBy: store.OrderBy(order), PageSize: size, PageToken: token, ShowDeleted: req.GetShowDeleted()})
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListAnnotationsResponse{NextPageToken: encodePageToken(fp, next)}
	for _, a := range anns {
		resp.Annotations = append(resp.Annotations, annotationToProto(a))
	}
	return resp, nil
}

func (s *annotationService) UpdateAnnotation(ctx context.Context, req *factcheckv1.UpdateAnnotationRequest) (*factcheckv1.UpdateAnnotationResponse, error) {
	var v validator
	msg := req.GetAnnotation()
	if msg == nil {
		v.add("annotation", reasonFieldRequired, "is required: send the annotation with its name and the fields to change")
		return nil, v.err()
	}
	articleID, id := v.annotationName("annotation.name", msg.GetName())
	v.etag("annotation.etag", msg.GetEtag())
	paths := annotationMask.resolve(&v, req.GetUpdateMask(), msg)
	v.annotation("annotation", msg, coveredBy(paths))
	note := req.GetCorrectionNote()
	if note != "" {
		v.text("correction_note", note, maxNoteChars)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	// The state changes only through the workflow methods. A state sent
	// anyway must be the current one (`*` with the annotation as read, say);
	// unset, it means no change.
	wantState := store.StateUnspecified
	if coveredBy(paths)("state") {
		wantState = store.AnnotationState(msg.GetState())
		paths = slices.DeleteFunc(paths, func(p string) bool { return p == "state" })
	}
	c := callerFrom(ctx)
	out, err := s.update(ctx, c, articleID, id, msg.GetEtag(), note, func(a *store.Annotation) error {
		if err := mayEdit(c, a, "edit"); err != nil {
			return err
		}
		if wantState != store.StateUnspecified && wantState != a.State {
			return store.Invalid(reasonStateChangeNotAllowed, "state", fmt.Sprintf(
				"cannot change %s to %s: UpdateAnnotation keeps the state; use SubmitAnnotation, ReturnAnnotation, PublishAnnotation or RetractAnnotation, and leave state out of the update",
				a.State, wantState))
		}
		if err := checkCorrectionNote(a, note); err != nil {
			return err
		}
		annotationMask.apply(paths, msg, a)
		return nil
	})
	var se *store.Error
	if errors.As(err, &se) && se.Reason == reasonCorrectionNoteRequired {
		// A field of the request, not of the annotation.
		return nil, err
	}
	if err != nil {
		return nil, inField("annotation", err)
	}
	return &factcheckv1.UpdateAnnotationResponse{Annotation: annotationToProto(out)}, nil
}

func (s *annotationService) DeleteAnnotation(ctx context.Context, req *factcheckv1.DeleteAnnotationRequest) (*factcheckv1.DeleteAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	etag := req.GetEtag()
	if c := callerFrom(ctx); !c.has(PermAnnotationsEditAny) {
		a, err := getVisible(ctx, s.st, c, articleID, id)
		if err != nil {
			return nil, err
		}
		if err := mayEdit(c, a, "delete"); err != nil {
			return nil, err
		}
		// Deleting with the etag just checked makes a change in between
		// (a submit, say) fail with ABORTED rather than slip through.
		if etag == "" {
			etag = a.Etag
		}
	}
	if err := s.st.DeleteAnnotation(ctx, articleID, id, etag); err != nil {
		return nil, err
	}
	return &factcheckv1.DeleteAnnotationResponse{}, nil
}

func (s *annotationService) UndeleteAnnotation(ctx context.Context, req *factcheckv1.UndeleteAnnotationRequest) (*factcheckv1.UndeleteAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := s.st.UndeleteAnnotation(ctx, articleID, id, req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &factcheckv1.UndeleteAnnotationResponse{Annotation: annotationToProto(a)}, nil
}

// maxBatchCreate is the API's limit of BatchCreateAnnotations requests.
const maxBatchCreate = 1000

func (s *annotationService) BatchCreateAnnotations(ctx context.Context, req *factcheckv1.BatchCreateAnnotationsRequest) (*factcheckv1.BatchCreateAnnotationsResponse, error) {
	var v validator
	articleID := v.annotationParent("parent", req.GetParent(), false)
	reqs := req.GetRequests()
	switch {
	case len(reqs) == 0:
		v.add("requests", reasonFieldRequired, "is required: send 1 to %d CreateAnnotationRequests", maxBatchCreate)
	case len(reqs) > maxBatchCreate:
		v.add("requests", reasonTooManyItems, "has %d entries; the limit is %d: split the batch", len(reqs), maxBatchCreate)
		return nil, v.err()
	}
	anns := make([]*store.Annotation, len(reqs))
	for i, r := range reqs {
		p := "requests[" + strconv.Itoa(i) + "]"
		if r.GetParent() != "" && r.GetParent() != req.GetParent() {
			v.add(p+".parent", reasonInvalidName, "is %q, but the batch is for %q: leave it empty or repeat the batch's parent", r.GetParent(), req.GetParent())
		}
		v.id(p+".annotation_id", r.GetAnnotationId())
		if r.GetAnnotation() == nil {
			v.add(p+".annotation", reasonFieldRequired, "is required: send the annotation to create, with at least anchor.quote.exact and claim.text")
			continue
		}
		v.annotation(p+".annotation", r.GetAnnotation(), all)
		a := annotationFromProto(r.GetAnnotation())
		a.ArticleID = articleID
		a.ID = r.GetAnnotationId()
		anns[i] = a
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	c := callerFrom(ctx)
	for i, r := range reqs {
		if err := mayCreateIn(c, r.GetAnnotation().GetState()); err != nil {
			return nil, batchItemError(&store.ItemError{Collection: "annotations", Index: i, Err: err})
		}
	}
	out, err := s.st.CreateAnnotations(ctx, anns)
	if err != nil {
		return nil, batchItemError(hideHolder(ctx, s.st, c, err))
	}
	resp := &factcheckv1.BatchCreateAnnotationsResponse{Annotations: make([]*factcheckv1.Annotation, len(out))}
	for i, a := range out {
		resp.Annotations[i] = annotationToProto(a)
	}
	return resp, nil
}

// batchItemError places the error of one annotation of a batch in its
// request, `requests[i].annotation`: field paths through inField, the message
// by a prefix when no field path already leads it, and the index in the
// ErrorInfo metadata as "request_index".
func batchItemError(err error) error {
	var ie *store.ItemError
	var se *store.Error
	if !errors.As(err, &ie) || !errors.As(ie.Err, &se) {
		return err
	}
	prefix := fmt.Sprintf("requests[%d].annotation", ie.Index)
	e := *se
	e.Metadata = maps.Clone(se.Metadata)
	if e.Metadata == nil {
		e.Metadata = map[string]string{}
	}
	e.Metadata["request_index"] = strconv.Itoa(ie.Index)
	if !(len(e.Violations) == 1 && strings.HasPrefix(e.Message, e.Violations[0].Field+":")) {
		e.Message = fmt.Sprintf("requests[%d]: %s", ie.Index, e.Message)
	}
	return inField(prefix, &e)
}

func (s *annotationService) ListAnnotationRevisions(ctx context.Context, req *factcheckv1.ListAnnotationRevisionsRequest) (*factcheckv1.ListAnnotationRevisionsResponse, error) {
	var v validator
	articleID, id := v.annotationName("parent", req.GetParent())
	size := v.pageSize("page_size", req.GetPageSize())
	oldestFirst := v.revisionOrder("order_by", req.GetOrderBy(), "revision_id")
	c := callerFrom(ctx)
	publicOnly := !c.has(PermAnnotationsReadUnpublished)
	var bound filter.Expr
	if publicOnly {
		bound = visibilityFilter(c)
	}
	fp := pageQuery{method: "ListAnnotationRevisions", parent: req.GetParent(), order: orderSpec{Desc: !oldestFirst}}.boundTo(bound).fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	if _, err := getVisible(ctx, s.st, c, articleID, id); err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListAnnotationRevisionsResponse{}
	// A caller who sees only public revisions gets the others sifted out.
	// The store has no filter for revisions, so the page is filled from
	// further store pages, each asking for what is still missing (a store
	// page is used whole, so its token stays right), up to
	// maxRevisionsScanned revisions per call; a page may then come back
	// short, with a token to go on.
	scanned := 0
	for {
		revs, next, err := s.st.ListAnnotationRevisions(ctx, articleID, id, store.RevisionQuery{PageSize: size - len(resp.Revisions), PageToken: token, OldestFirst: oldestFirst})
		if err != nil {
			return nil, err
		}
		for _, r := range revs {
			if publicRevision(c, r) {
				resp.Revisions = append(resp.Revisions, annotationRevisionToProto(r))
			}
		}
		token, scanned = next, scanned+len(revs)
		if !publicOnly || len(resp.Revisions) >= size || next == "" || len(revs) == 0 || scanned >= maxRevisionsScanned {
			break
		}
	}
	resp.NextPageToken = encodePageToken(fp, token)
	return resp, nil
}

func (s *annotationService) GetAnnotationRevision(ctx context.Context, req *factcheckv1.GetAnnotationRevisionRequest) (*factcheckv1.GetAnnotationRevisionResponse, error) {
	var v validator
	articleID, id, n := v.annotationRevisionName("name", req.GetName())
	if err := v.err(); err != nil {
		return nil, err
	}
	c := callerFrom(ctx)
	if _, err := getVisible(ctx, s.st, c, articleID, id); err != nil {
		return nil, err
	}
	name := store.AnnotationRevisionName(articleID, id, n)
	r, err := s.st.GetAnnotationRevision(ctx, articleID, id, n)
	if err != nil {
		return nil, hideRevisionRange(c, err, name)
	}
	if !publicRevision(c, r) {
		return nil, store.NotFound("REVISION_NOT_FOUND", name)
	}
	return &factcheckv1.GetAnnotationRevisionResponse{Revision: annotationRevisionToProto(r)}, nil
}

func (s *annotationService) RollbackAnnotation(ctx context.Context, req *factcheckv1.RollbackAnnotationRequest) (*factcheckv1.RollbackAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	n := v.revisionID("revision_id", req.GetRevisionId())
	v.etag("etag", req.GetEtag())
	note := req.GetCorrectionNote()
	if note != "" {
		v.text("correction_note", note, maxNoteChars)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	c := callerFrom(ctx)
	cur, err := getVisible(ctx, s.st, c, articleID, id)
	if err != nil {
		return nil, err
	}
	if err := mayEdit(c, cur, "roll back"); err != nil {
		return nil, err
	}
	etag := req.GetEtag()
	if cur.DeleteTime.IsZero() {
		if etag != "" && etag != cur.Etag {
			return nil, store.Conflict(cur.Name(), etag, cur.Etag)
		}
		rev, err := s.st.GetAnnotationRevision(ctx, articleID, id, n)
		if err != nil {
			return nil, err
		}
		if rev.Annotation.State != cur.State {
			return nil, rollbackChangesState(cur, rev)
		}
		// Rolling back published work changes what readers relied on, as
		// an edit does (the etag pinned below keeps the state checked).
		if err := checkCorrectionNote(cur, note); err != nil {
			return nil, err
		}
		// Rolling back with the etag whose state was just compared makes
		// a transition in between fail with ABORTED rather than have the
		// rollback restore content into another state.
		if etag == "" {
			etag = cur.Etag
		}
	}
	a, err := s.st.RollbackAnnotation(withNote(ctx, note), articleID, id, n, etag)
	if err != nil {
		return nil, hideHolder(ctx, s.st, c, err)
	}
	return &factcheckv1.RollbackAnnotationResponse{Annotation: annotationToProto(a)}, nil
}
