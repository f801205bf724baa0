package server

import (
	"context"
	"encoding/hex"
	"strings"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

type auditService struct {
	factcheckv1.UnimplementedAuditServiceServer
	st store.Access
}

var _ factcheckv1.AuditServiceServer = (*auditService)(nil)

// auditOrder parses `sequence`, optionally followed by ` asc` or ` desc`,
// and reports whether it is descending.
func (v *validator) auditOrder(field, s string) bool {
	words := strings.Fields(s)
	switch {
	case len(words) == 0:
		return false
	case words[0] == "sequence" && len(words) == 1:
		return false
	case words[0] == "sequence" && len(words) == 2 && (words[1] == "asc" || words[1] == "desc"):
		return words[1] == "desc"
	}
	v.add(field, reasonInvalidOrderBy, "%q is not an accepted order; use \"sequence\" (the default, oldest first) or \"sequence desc\" (newest first)", s)
	return false
}

func auditEntryToProto(e *store.AuditEntry) *factcheckv1.AuditEntry {
	return &factcheckv1.AuditEntry{
		Name:         e.Name(),
		Sequence:     e.Sequence,
		CreateTime:   timeToProto(e.Time),
		Actor:        e.Actor,
		Method:       e.Method,
		Resource:     e.Resource,
		FieldPaths:   cloneStrings(e.FieldPaths),
		RequestId:    e.RequestID,
		Note:         e.Note,
		PreviousHash: hex.EncodeToString(e.PrevHash),
		Hash:         hex.EncodeToString(e.Hash),
	}
}

func (s *auditService) ListAuditEntries(ctx context.Context, req *factcheckv1.ListAuditEntriesRequest) (*factcheckv1.ListAuditEntriesResponse, error) {
	var v validator
	size := v.pageSize("page_size", req.GetPageSize())
	desc := v.auditOrder("order_by", req.GetOrderBy())
	expr := v.filter("filter", req.GetFilter(), store.AuditFilterSchema,
		"`actor = \"reviewers/ana\" AND create_time >= \"2026-11-01T00:00:00Z\"`")
	// The order is fingerprinted as its canonical spelling, so "sequence"
	// and "sequence asc" share tokens and "sequence desc" does not.
	fp := pageQuery{method: "ListAuditEntries", filter: req.GetFilter(), order: orderSpec{Desc: desc}}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	es, next, err := s.st.ListAuditEntries(ctx, store.ListQuery{
		Filter: expr, OrderBy: store.OrderBy{Desc: desc}, PageSize: size, PageToken: token,
	})
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListAuditEntriesResponse{NextPageToken: encodePageToken(fp, next)}
	for _, e := range es {
		resp.AuditEntries = append(resp.AuditEntries, auditEntryToProto(e))
	}
	return resp, nil
}

func (s *auditService) VerifyAuditLog(ctx context.Context, _ *factcheckv1.VerifyAuditLogRequest) (*factcheckv1.VerifyAuditLogResponse, error) {
	res, err := s.st.VerifyAuditLog(ctx)
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.VerifyAuditLogResponse{
		Valid:          res.FirstBroken == 0,
		EntriesChecked: res.Checked,
		Problem:        res.Problem,
		HeadHash:       hex.EncodeToString(res.HeadHash),
	}
	if res.FirstBroken != 0 {
		resp.FirstBrokenEntry = store.AuditEntryName(res.FirstBroken)
	}
	return resp, nil
}
