package server

import (
	"context"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

type sourceService struct {
	factcheckv1.UnimplementedSourceServiceServer
	st store.Store
}

var _ factcheckv1.SourceServiceServer = (*sourceService)(nil)

func (s *sourceService) CreateSource(ctx context.Context, req *factcheckv1.CreateSourceRequest) (*factcheckv1.CreateSourceResponse, error) {
	var v validator
	v.id("source_id", req.GetSourceId())
	if req.GetSource() == nil {
		v.add("source", reasonFieldRequired, "is required: send the source to create, with at least its url")
	} else {
		v.source("source", req.GetSource(), all)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	src := sourceFromProto(req.GetSource())
	src.ID = req.GetSourceId()
	out, err := s.st.CreateSource(ctx, src)
	if err != nil {
		return nil, inField("source", err)
	}
	return &factcheckv1.CreateSourceResponse{Source: sourceToProto(out)}, nil
}

func (s *sourceService) GetSource(ctx context.Context, req *factcheckv1.GetSourceRequest) (*factcheckv1.GetSourceResponse, error) {
	var v validator
	id := v.sourceName("name", req.GetName())
	if err := v.err(); err != nil {
		return nil, err
	}
	src, err := s.st.GetSource(ctx, id)
	if err != nil {
		return nil, err
	}
	return &factcheckv1.GetSourceResponse{Source: sourceToProto(src)}, nil
}

func (s *sourceService) ListSources(ctx context.Context, req *factcheckv1.ListSourcesRequest) (*factcheckv1.ListSourcesResponse, error) {
	var v validator
	size := v.pageSize("page_size", req.GetPageSize())
	order := v.orderBy("order_by", req.GetOrderBy())
	expr := v.filter("filter", req.GetFilter(), store.SourceFilterSchema,
		"`kind = KIND_NEWS_REPORT AND publisher = \"The Washington Post\"`")
	fp := pageQuery{method: "ListSources", filter: req.GetFilter(), order: order, showDeleted: req.GetShowDeleted()}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	srcs, next, err := s.st.ListSources(ctx, store.ListQuery{Filter: expr, OrderBy: store.OrderBy(order), PageSize: size, PageToken: token, ShowDeleted: req.GetShowDeleted()})
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListSourcesResponse{NextPageToken: encodePageToken(fp, next)}
	for _, src := range srcs {
		resp.Sources = append(resp.Sources, sourceToProto(src))
	}
	return resp, nil
}

func (s *sourceService) UpdateSource(ctx context.Context, req *factcheckv1.UpdateSourceRequest) (*factcheckv1.UpdateSourceResponse, error) {
	var v validator
	msg := req.GetSource()
	if msg == nil {
		v.add("source", reasonFieldRequired, "is required: send the source with its name and the fields to change")
		return nil, v.err()
	}
	id := v.sourceName("source.name", msg.GetName())
	v.etag("source.etag", msg.GetEtag())
	paths := sourceMask.resolve(&v, req.GetUpdateMask(), msg)
	v.source("source", msg, coveredBy(paths))
	if err := v.err(); err != nil {
		return nil, err
	}
	out, err := s.st.UpdateSource(ctx, id, msg.GetEtag(), func(src *store.Source) error {
		sourceMask.apply(paths, msg, src)
		return nil
	})
	if err != nil {
		return nil, inField("source", err)
	}
	return &factcheckv1.UpdateSourceResponse{Source: sourceToProto(out)}, nil
}

func (s *sourceService) DeleteSource(ctx context.Context, req *factcheckv1.DeleteSourceRequest) (*factcheckv1.DeleteSourceResponse, error) {
	var v validator
	id := v.sourceName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.st.DeleteSource(ctx, id, req.GetEtag()); err != nil {
		return nil, err
	}
	return &factcheckv1.DeleteSourceResponse{}, nil
}

func (s *sourceService) UndeleteSource(ctx context.Context, req *factcheckv1.UndeleteSourceRequest) (*factcheckv1.UndeleteSourceResponse, error) {
	var v validator
	id := v.sourceName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	src, err := s.st.UndeleteSource(ctx, id, req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &factcheckv1.UndeleteSourceResponse{Source: sourceToProto(src)}, nil
}
