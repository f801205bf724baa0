package main

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// fakeBulk is a BulkService that follows the Import contract closely
// enough to test the client: results in record order with indexes across
// messages, dedup by url/external_id/request_id that survives streams,
// atomic roll-back, a summary last. Records fail when they have no record,
// or an article without a url.
type fakeBulk struct {
	factcheckv1.UnimplementedBulkServiceServer

	mu   sync.Mutex
	seen map[string]string // dedup key -> name
	// failAfter makes the stream fail with UNAVAILABLE after that many
	// records (0: never), as a server dying mid-import looks to a client.
	failAfter int
	// exported is what Export streams.
	exported []*factcheckv1.ExportResponse
}

func newFakeBulk() *fakeBulk { return &fakeBulk{seen: map[string]string{}} }

func (f *fakeBulk) names() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

func recordKey(rec *factcheckv1.ImportRecord) (key, name string, st *status.Status) {
	switch r := rec.GetRecord().(type) {
	case *factcheckv1.ImportRecord_Article:
		if r.Article.GetUrl() == "" {
			st, _ = status.New(codes.InvalidArgument, "article.url: required").WithDetails(
				&errdetails.ErrorInfo{Reason: "FIELD_REQUIRED", Domain: "factcheck"},
				&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "article.url", Description: "required"}}})
			return "", "", st
		}
		return "url:" + r.Article.GetUrl(), "articles/" + fmt.Sprint(len(r.Article.GetUrl())), nil
	case *factcheckv1.ImportRecord_Source:
		return "surl:" + r.Source.GetUrl(), "sources/s", nil
	case *factcheckv1.ImportRecord_Annotation:
		return "ext:" + r.Annotation.GetAnnotation().GetExternalId(), r.Annotation.GetParent() + "/annotations/a", nil
	}
	return "", "", status.New(codes.InvalidArgument, "record: one of article, source or annotation is required")
}

func (f *fakeBulk) Import(stream factcheckv1.BulkService_ImportServer) error {
	var (
		opts    *factcheckv1.ImportOptions
		index   int64
		sum     = &factcheckv1.ImportSummary{}
		pending []*factcheckv1.ImportResult // atomic: held until the end
		newKeys = map[string]string{}
		first   = true
	)
	atomic := func() bool { return opts.GetMode() == factcheckv1.ImportOptions_MODE_ATOMIC }
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if first {
			opts, first = req.GetOptions(), false
		}
		for _, rec := range req.GetRecords() {
			if f.failAfter > 0 && index >= int64(f.failAfter) {
				return status.Error(codes.Unavailable, "server going away")
			}
			sum.Received++
			res := &factcheckv1.ImportResult{Index: index}
			index++
			key, name, st := recordKey(rec)
			f.mu.Lock()
			existing, ok := f.seen[key]
			f.mu.Unlock()
			switch {
			case st != nil:
				res.Outcome, res.Status = factcheckv1.ImportResult_OUTCOME_FAILED, st.Proto()
				sum.Failed++
			case ok:
				res.Outcome, res.Name = factcheckv1.ImportResult_OUTCOME_EXISTING, existing
				sum.Existing++
			default:
				res.Outcome, res.Name = factcheckv1.ImportResult_OUTCOME_CREATED, name
				sum.Created++
				newKeys[key] = name
				if !atomic() && !opts.GetValidateOnly() {
					f.mu.Lock()
					f.seen[key] = name
					f.mu.Unlock()
				}
			}
			if atomic() {
				pending = append(pending, res)
				continue
			}
			if err := stream.Send(&factcheckv1.ImportResponse{Response: &factcheckv1.ImportResponse_Result{Result: res}}); err != nil {
				return err
			}
		}
		if err := stream.Send(&factcheckv1.ImportResponse{Response: &factcheckv1.ImportResponse_Progress{Progress: &factcheckv1.ImportProgress{Received: sum.Received, Failed: sum.Failed}}}); err != nil {
			return err
		}
	}
	if atomic() {
		for _, res := range pending {
			if sum.Failed > 0 && res.Outcome == factcheckv1.ImportResult_OUTCOME_CREATED {
				res.Outcome = factcheckv1.ImportResult_OUTCOME_ROLLED_BACK
			}
			if err := stream.Send(&factcheckv1.ImportResponse{Response: &factcheckv1.ImportResponse_Result{Result: res}}); err != nil {
				return err
			}
		}
		if sum.Failed > 0 {
			sum.Created = 0
		}
		if sum.Failed == 0 && !opts.GetValidateOnly() {
			f.mu.Lock()
			for k, v := range newKeys {
				f.seen[k] = v
			}
			f.mu.Unlock()
		}
	}
	sum.Committed = !opts.GetValidateOnly() && !(atomic() && sum.Failed > 0)
	return stream.Send(&factcheckv1.ImportResponse{Response: &factcheckv1.ImportResponse_Summary{Summary: sum}})
}

func (f *fakeBulk) Export(req *factcheckv1.ExportRequest, stream factcheckv1.BulkService_ExportServer) error {
	for _, r := range f.exported {
		if err := stream.Send(r); err != nil {
			return err
		}
	}
	if req.GetFilter() == "fail" {
		return status.Error(codes.InvalidArgument, "filter: bad")
	}
	return nil
}
