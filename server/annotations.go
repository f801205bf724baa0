package server

import (
	"context"

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
	fp := pageQuery{method: "ListAnnotations", parent: req.GetParent(), filter: req.GetFilter(), order: order}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	anns, next, err := s.st.ListAnnotations(ctx, articleID, store.ListQuery{Filter: expr, OrderBy: store.OrderBy(order), PageSize: size, PageToken: token})
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
