package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/factcheck/factcheck/store"
)

// errorDomain is the ErrorInfo domain of every error the server returns.
const errorDomain = "factcheck"

// Reasons the server itself produces; the store contributes its own
// (ARTICLE_NOT_FOUND, QUOTE_AMBIGUOUS, …) and they pass through unchanged.
const (
	reasonInvalidFields     = "INVALID_FIELDS" // several kinds of field violations at once
	reasonFieldRequired     = "FIELD_REQUIRED"
	reasonFieldTooLong      = "FIELD_TOO_LONG"
	reasonTooManyItems      = "TOO_MANY_ITEMS"
	reasonInvalidUTF8       = "INVALID_UTF8"
	reasonInvalidID         = "INVALID_ID"
	reasonInvalidName       = "INVALID_NAME"
	reasonInvalidURL        = "INVALID_URL"
	reasonInvalidEnum       = "INVALID_ENUM_VALUE"
	reasonInvalidTimestamp  = "INVALID_TIMESTAMP"
	reasonInvalidLanguage   = "INVALID_LANGUAGE"
	reasonInvalidLabel      = "INVALID_LABEL"
	reasonInvalidPosition   = "INVALID_POSITION"
	reasonInvalidUpdateMask = "INVALID_UPDATE_MASK"
	reasonInvalidRevisionID = "INVALID_REVISION_ID"
	reasonInvalidPageSize   = "INVALID_PAGE_SIZE"
	reasonInvalidOrderBy    = "INVALID_ORDER_BY"
	reasonInvalidFilter     = "INVALID_FILTER"
	reasonInvalidPageToken  = "INVALID_PAGE_TOKEN"
	reasonPageTokenMismatch = "PAGE_TOKEN_MISMATCH"
	reasonInternal          = "INTERNAL"
)

// fieldError places a store error inside a request: the store names fields
// relative to the resource it writes ("anchor.position"), the client needs
// them relative to its request ("annotation.anchor.position").
type fieldError struct {
	prefix string
	err    error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// inField marks err, returned by the store while writing the request field
// prefix, so that toStatus reports its violations under that field.
func inField(prefix string, err error) error {
	if err == nil {
		return nil
	}
	return &fieldError{prefix: prefix, err: err}
}

// panicError is what the recovery interceptor turns a handler panic into.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// toStatus is the one place where an error becomes a gRPC status. Every
// handler return passes through it (the errors interceptor), so each status
// carries an ErrorInfo and the details its code calls for, and no store or Go
// error text leaks to clients unintentionally.
func toStatus(ctx context.Context, logger *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := asStatus(err); ok {
		return ensureErrorInfo(st).Err()
	}
	var rl *rateLimited
	if errors.As(err, &rl) {
		return rl.status().Err()
	}
	var se *store.Error
	if errors.As(err, &se) {
		var fe *fieldError
		prefix := ""
		if errors.As(err, &fe) {
			prefix = fe.prefix
		}
		if st := storeErrorStatus(se, prefix); st != nil {
			return st.Err()
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return newStatus(codes.Canceled, "CANCELED", nil,
			"the request was canceled before it completed; nothing may have been written, retry if it is still wanted").Err()
	case errors.Is(err, context.DeadlineExceeded):
		return newStatus(codes.DeadlineExceeded, "DEADLINE_EXCEEDED", nil,
			"the request's deadline passed before it completed; retry with a longer deadline").Err()
	case errors.Is(err, store.ErrNotFound):
		return newStatus(codes.NotFound, "NOT_FOUND", nil, err.Error()).Err()
	case errors.Is(err, store.ErrAlreadyExists):
		return newStatus(codes.AlreadyExists, "ALREADY_EXISTS", nil, err.Error()).Err()
	case errors.Is(err, store.ErrConflict):
		return newStatus(codes.Aborted, "ETAG_MISMATCH", nil, err.Error()).Err()
	case errors.Is(err, store.ErrFailedPrecondition):
		return newStatus(codes.FailedPrecondition, "FAILED_PRECONDITION", nil, err.Error()).Err()
	case errors.Is(err, store.ErrInvalidArgument):
		return newStatus(codes.InvalidArgument, "INVALID_ARGUMENT", nil, err.Error()).Err()
	}

	// Unknown errors are I/O failures or bugs: their text may reveal paths
	// or internals, so the client gets the request id to quote and the log
	// gets the cause.
	id := requestIDFrom(ctx)
	attrs := []any{"request_id", id, "error", err.Error()}
	var pe *panicError
	if errors.As(err, &pe) {
		attrs = append(attrs, "stack", string(pe.stack))
	}
	logger.ErrorContext(ctx, "internal error", attrs...)
	return newStatus(codes.Internal, reasonInternal, map[string]string{"request_id": id},
		fmt.Sprintf("internal error; the server logged the cause under request id %q: retry, and report the id if it persists", id)).Err()
}

// asStatus finds a status in err's chain; errors that merely wrap no status
// are not statuses (status.FromError would call them Unknown).
func asStatus(err error) (*status.Status, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return nil, false
	}
	return status.FromError(err)
}

// ensureErrorInfo adds an ErrorInfo to statuses made elsewhere (grpc-go
// itself, the health service) so that every error keeps the promise.
func ensureErrorInfo(st *status.Status) *status.Status {
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			return st
		}
	}
	// Keep ErrorInfo first, as in every status built here.
	info, err := status.New(st.Code(), st.Message()).WithDetails(&errdetails.ErrorInfo{
		Reason: codeReason(st.Code()), Domain: errorDomain,
	})
	if err != nil {
		return st
	}
	p := info.Proto()
	p.Details = append(p.Details, st.Proto().GetDetails()...)
	return status.FromProto(p)
}

// codeReason spells a code in UPPER_SNAKE_CASE, the fallback reason.
func codeReason(c codes.Code) string {
	var b strings.Builder
	for i, r := range c.String() {
		if r >= 'A' && r <= 'Z' && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// storeErrorStatus maps a *store.Error by its Kind; nil for a Kind it does not
// know (the caller treats that as internal).
func storeErrorStatus(e *store.Error, prefix string) *status.Status {
	var code codes.Code
	switch e.Kind {
	case store.ErrNotFound:
		code = codes.NotFound
	case store.ErrAlreadyExists:
		code = codes.AlreadyExists
	case store.ErrConflict:
		code = codes.Aborted
	case store.ErrFailedPrecondition:
		code = codes.FailedPrecondition
	case store.ErrInvalidArgument:
		code = codes.InvalidArgument
	case store.ErrPermissionDenied:
		code = codes.PermissionDenied
	case store.ErrUnauthenticated:
		code = codes.Unauthenticated
	default:
		return nil
	}
	reason := e.Reason
	if reason == "" {
		reason = codeReason(code)
	}
	meta := make(map[string]string, len(e.Metadata)+1)
	for k, v := range e.Metadata {
		meta[k] = v
	}
	if e.Resource != "" {
		if _, ok := meta["resource"]; !ok {
			meta["resource"] = e.Resource
		}
	}
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	} else if e.Resource != "" && !strings.Contains(msg, e.Resource) {
		// Say which resource, as Error() does: a batch job's log line must
		// stand on its own.
		msg = e.Resource + ": " + msg
	}

	var details []protoadapt.MessageV1
	switch code {
	case codes.NotFound, codes.AlreadyExists:
		if e.Resource != "" {
			details = append(details, &errdetails.ResourceInfo{
				ResourceType: resourceType(e.Resource),
				ResourceName: e.Resource,
				Description:  msg,
			})
		}
	case codes.Aborted, codes.FailedPrecondition:
		pf := &errdetails.PreconditionFailure{}
		for _, p := range e.Preconditions {
			pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{
				Type: p.Type, Subject: p.Subject, Description: p.Description,
			})
		}
		if len(pf.Violations) == 0 {
			pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{
				Type: reason, Subject: e.Resource, Description: msg,
			})
		}
		details = append(details, pf)
	case codes.InvalidArgument:
		if len(e.Violations) > 0 {
			br := &errdetails.BadRequest{}
			for _, v := range e.Violations {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
					Field: joinField(prefix, v.Field), Description: v.Description,
				})
			}
			details = append(details, br)
		}
		if prefix != "" && len(e.Violations) == 1 && strings.HasPrefix(msg, e.Violations[0].Field+":") {
			// store.Invalid spells the field at the start of the message;
			// name it as the client does.
			msg = joinField(prefix, e.Violations[0].Field) + msg[len(e.Violations[0].Field):]
		}
	}
	return newStatus(code, reason, meta, msg, details...)
}

// newStatus builds a status whose first detail is the ErrorInfo.
func newStatus(code codes.Code, reason string, meta map[string]string, msg string, details ...protoadapt.MessageV1) *status.Status {
	st := status.New(code, msg)
	all := make([]protoadapt.MessageV1, 0, len(details)+1)
	all = append(all, &errdetails.ErrorInfo{Reason: reason, Domain: errorDomain, Metadata: meta})
	all = append(all, details...)
	withDetails, err := st.WithDetails(all...)
	if err != nil {
		// Details that cannot be marshalled must not hide the error itself.
		return st
	}
	return withDetails
}

// joinField prefixes a resource-relative field path with the request field
// that holds the resource.
func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

// resourceType names the API message of a resource name, for ResourceInfo.
func resourceType(name string) string {
	switch {
	case strings.Contains(name, "/annotations/") && strings.Contains(name, "/revisions/"):
		return "factcheck.v1.AnnotationRevision"
	case strings.Contains(name, "/revisions/"):
		return "factcheck.v1.ArticleRevision"
	case strings.Contains(name, "/annotations/"):
		return "factcheck.v1.Annotation"
	case strings.HasPrefix(name, "articles/"):
		return "factcheck.v1.Article"
	case strings.HasPrefix(name, "sources/"):
		return "factcheck.v1.Source"
	}
	return ""
}
