package client

import (
	"context"
	"errors"
	"io"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/factcheck/factcheck/store"
)

// Error is a server status turned back into the store's vocabulary. It
// keeps the status (status.FromError and status.Code see it unchanged) and
// unwraps to a *store.Error whose Kind is the matching sentinel, so
// errors.Is(err, store.ErrNotFound) and errors.As(err, &storeErr) work as
// they do inside the server. Violation fields are relative to the request
// ("annotation.anchor.quote.exact"), as the server reports them.
type Error struct {
	st    *status.Status
	cause error // *store.Error, or a context error for CANCELED/DEADLINE_EXCEEDED
}

func (e *Error) Error() string { return e.st.Err().Error() }

// GRPCStatus makes the error a status for package status.
func (e *Error) GRPCStatus() *status.Status { return e.st }

// Unwrap returns the *store.Error (or context error) the status stands for.
func (e *Error) Unwrap() error { return e.cause }

// kinds maps the codes the server derives from store errors back to them.
var kinds = map[codes.Code]error{
	codes.NotFound:           store.ErrNotFound,
	codes.AlreadyExists:      store.ErrAlreadyExists,
	codes.Aborted:            store.ErrConflict,
	codes.FailedPrecondition: store.ErrFailedPrecondition,
	codes.InvalidArgument:    store.ErrInvalidArgument,
	codes.PermissionDenied:   store.ErrPermissionDenied,
	codes.Unauthenticated:    store.ErrUnauthenticated,
}

// convert wraps a status error in *Error when its code has a store or
// context counterpart; anything else (io.EOF from a stream, UNAVAILABLE,
// INTERNAL) is returned unchanged.
func convert(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Canceled:
		return &Error{st: st, cause: context.Canceled}
	case codes.DeadlineExceeded:
		return &Error{st: st, cause: context.DeadlineExceeded}
	}
	kind, ok := kinds[st.Code()]
	if !ok {
		return err
	}
	se := &store.Error{Kind: kind, Message: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			se.Reason = d.GetReason()
			se.Metadata = d.GetMetadata()
			if se.Resource == "" {
				se.Resource = d.GetMetadata()["resource"]
			}
		case *errdetails.ResourceInfo:
			se.Resource = d.GetResourceName()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				se.Violations = append(se.Violations, store.Violation{Field: v.GetField(), Description: v.GetDescription()})
			}
		case *errdetails.PreconditionFailure:
			for _, v := range d.GetViolations() {
				se.Preconditions = append(se.Preconditions, store.Precondition{Type: v.GetType(), Subject: v.GetSubject(), Description: v.GetDescription()})
			}
		}
	}
	return &Error{st: st, cause: se}
}

// FieldViolations returns the fields a failed call named as invalid (the
// status's BadRequest detail), with paths relative to the request, e.g.
// "annotation.citations[0].source". nil when there are none.
func FieldViolations(err error) []store.Violation {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var out []store.Violation
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, store.Violation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return out
}

// Reason returns the machine-readable reason of a failed call (its
// ErrorInfo), e.g. "QUOTE_AMBIGUOUS" or "ETAG_MISMATCH"; "" when it has
// none.
func Reason(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return ""
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// errConn converts the errors of every call made through it, for
// connections New made and ones the caller passed to NewFromConn alike (an
// interceptor could only be added to the former).
type errConn struct {
	cc grpc.ClientConnInterface
}

func (c errConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return convert(c.cc.Invoke(ctx, method, args, reply, opts...))
}

func (c errConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := c.cc.NewStream(ctx, desc, method, opts...)
	if err != nil {
		return nil, convert(err)
	}
	return errStream{s}, nil
}

// errStream converts the errors of a stream; io.EOF, the normal end, passes
// unchanged.
type errStream struct {
	grpc.ClientStream
}

func (s errStream) SendMsg(m any) error { return convert(s.ClientStream.SendMsg(m)) }
func (s errStream) RecvMsg(m any) error { return convert(s.ClientStream.RecvMsg(m)) }
func (s errStream) CloseSend() error    { return convert(s.ClientStream.CloseSend()) }
