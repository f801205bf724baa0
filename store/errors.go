package store

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Backends wrap them with context (usually through *Error),
// so callers test with errors.Is, never with ==.
var (
	// ErrNotFound: the named resource does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a resource with the same ID or unique field exists.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: the caller's etag does not match the stored one.
	ErrConflict = errors.New("etag mismatch")
	// ErrFailedPrecondition: the system is not in a state the operation needs
	// (a cited source, an article that still has annotations).
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrInvalidArgument: the input is wrong in a way only the store can see
	// (a quote not in the article text, a citation of a missing source, a
	// malformed page token).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnauthenticated and ErrPermissionDenied are never returned by a
	// store: the server's access checks return them (UNAUTHENTICATED,
	// PERMISSION_DENIED), and package client maps those statuses back, so
	// callers test every failure the same way.
	ErrUnauthenticated  = errors.New("unauthenticated")
	ErrPermissionDenied = errors.New("permission denied")
)

// Violation names one offending field. Field is a dotted path relative to the
// resource being written, e.g. "anchor.position" or "citations[0].source".
type Violation struct {
	Field       string
	Description string
}

// Precondition is one unmet precondition, in the shape of
// google.rpc.PreconditionFailure: Type is a short UPPER_SNAKE kind, Subject the
// resource it concerns.
type Precondition struct {
	Type        string
	Subject     string
	Description string
}

// Error is the detailed error every backend returns. Kind is one of the
// sentinel errors above (errors.Is(err, ErrNotFound) works through it); the
// rest carries what a caller needs to explain the failure.
type Error struct {
	// Kind is one of ErrNotFound, ErrAlreadyExists, ErrConflict,
	// ErrFailedPrecondition or ErrInvalidArgument.
	Kind error
	// Reason is a stable UPPER_SNAKE_CASE code, e.g. "ARTICLE_NOT_FOUND",
	// "URL_ALREADY_EXISTS", "ETAG_MISMATCH", "QUOTE_NOT_FOUND".
	Reason string
	// Resource is the name of the resource concerned, e.g. "articles/abc".
	Resource string
	// Message says in words what is wrong and how to fix it.
	Message string
	// Violations lists offending fields (ErrInvalidArgument).
	Violations []Violation
	// Preconditions lists unmet preconditions (ErrFailedPrecondition,
	// ErrConflict).
	Preconditions []Precondition
	// Metadata carries extra machine-readable facts, e.g. the candidate
	// positions of an ambiguous quote.
	Metadata map[string]string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Resource != "" {
		fmt.Fprintf(&b, "%s: ", e.Resource)
	}
	b.WriteString(e.Message)
	if e.Message == "" {
		b.WriteString(e.Kind.Error())
	}
	return b.String()
}

// Unwrap exposes Kind to errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// NotFound returns an ErrNotFound *Error for the named resource.
func NotFound(reason, resource string) *Error {
	return &Error{Kind: ErrNotFound, Reason: reason, Resource: resource,
		Message: resource + " does not exist"}
}

// Conflict returns the ErrConflict *Error for a stale etag.
func Conflict(resource, want, have string) *Error {
	return &Error{
		Kind: ErrConflict, Reason: "ETAG_MISMATCH", Resource: resource,
		Message: fmt.Sprintf("etag %q is stale; the stored etag is %q: read the resource again and retry", want, have),
		Preconditions: []Precondition{{Type: "ETAG", Subject: resource,
			Description: fmt.Sprintf("etag %q does not match the stored etag %q", want, have)}},
	}
}

// Invalid returns an ErrInvalidArgument *Error with one field violation.
func Invalid(reason, field, description string) *Error {
	return &Error{Kind: ErrInvalidArgument, Reason: reason, Message: field + ": " + description,
		Violations: []Violation{{Field: field, Description: description}}}
}
