package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
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
	a := annotationFromProto(req.GetAnnotation())
	a.ArticleID = articleID
	a.ID = req.GetAnnotationId()
	out, err := s.st.CreateAnnotation(ctx, a)
	if err != nil {
		return nil, inField("annotation", err)
	}
	return &factcheckv1.CreateAnnotationResponse{Annotation: annotationToProto(out)}, nil
}

func (s *annotationService) GetAnnotation(ctx context.Context, req *factcheckv1.GetAnnotationRequest) (*factcheckv1.GetAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := s.st.GetAnnotation(ctx, articleID, id)
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
	fp := pageQuery{method: "ListAnnotations", parent: req.GetParent(), filter: req.GetFilter(), order: order, showDeleted: req.GetShowDeleted()}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	anns, next, err := s.st.ListAnnotations(ctx, articleID, store.ListQuery{Filter: expr, OrderBy: store.OrderBy(order), PageSize: size, PageToken: token, ShowDeleted: req.GetShowDeleted()})
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
	if err := v.err(); err != nil {
		return nil, err
	}
	out, err := s.st.UpdateAnnotation(ctx, articleID, id, msg.GetEtag(), func(a *store.Annotation) error {
		annotationMask.apply(paths, msg, a)
		return nil
	})
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
	if err := s.st.DeleteAnnotation(ctx, articleID, id, req.GetEtag()); err != nil {
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
	out, err := s.st.CreateAnnotations(ctx, anns)
	if err != nil {
		return nil, batchItemError(err)
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
	fp := pageQuery{method: "ListAnnotationRevisions", parent: req.GetParent(), order: orderSpec{Desc: !oldestFirst}}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	revs, next, err := s.st.ListAnnotationRevisions(ctx, articleID, id, store.RevisionQuery{PageSize: size, PageToken: token, OldestFirst: oldestFirst})
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListAnnotationRevisionsResponse{NextPageToken: encodePageToken(fp, next)}
	for _, r := range revs {
		resp.Revisions = append(resp.Revisions, annotationRevisionToProto(r))
	}
	return resp, nil
}

func (s *annotationService) GetAnnotationRevision(ctx context.Context, req *factcheckv1.GetAnnotationRevisionRequest) (*factcheckv1.GetAnnotationRevisionResponse, error) {
	var v validator
	articleID, id, n := v.annotationRevisionName("name", req.GetName())
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := s.st.GetAnnotationRevision(ctx, articleID, id, n)
	if err != nil {
		return nil, err
	}
	return &factcheckv1.GetAnnotationRevisionResponse{Revision: annotationRevisionToProto(r)}, nil
}

func (s *annotationService) RollbackAnnotation(ctx context.Context, req *factcheckv1.RollbackAnnotationRequest) (*factcheckv1.RollbackAnnotationResponse, error) {
	var v validator
	articleID, id := v.annotationName("name", req.GetName())
	n := v.revisionID("revision_id", req.GetRevisionId())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := s.st.RollbackAnnotation(ctx, articleID, id, n, req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &factcheckv1.RollbackAnnotationResponse{Annotation: annotationToProto(a)}, nil
}
