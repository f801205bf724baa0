package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// problem is a failure explained the way a person needs it: what kind, why
// in words, the machine-readable reason, and the fields and preconditions
// concerned. Both error output and the import failure report use it.
type problem struct {
	Code          string         `json:"code"`
	Message       string         `json:"message"`
	Reason        string         `json:"reason,omitempty"`
	Resource      string         `json:"resource,omitempty"`
	Violations    []violation    `json:"violations,omitempty"`
	Preconditions []precondition `json:"preconditions,omitempty"`
}

type violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

type precondition struct {
	Type        string `json:"type"`
	Subject     string `json:"subject"`
	Description string `json:"description"`
}

// problemFromStatus reads a status and its details.
func problemFromStatus(st *status.Status) problem {
	p := problem{Code: codeName(st.Code()), Message: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			p.Reason = d.GetReason()
			if p.Resource == "" {
				p.Resource = d.GetMetadata()["resource"]
			}
		case *errdetails.ResourceInfo:
			p.Resource = d.GetResourceName()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				p.Violations = append(p.Violations, violation{Field: v.GetField(), Description: v.GetDescription()})
			}
		case *errdetails.PreconditionFailure:
			for _, v := range d.GetViolations() {
				p.Preconditions = append(p.Preconditions, precondition{Type: v.GetType(), Subject: v.GetSubject(), Description: v.GetDescription()})
			}
		}
	}
	return p
}

// problemFromProto reads a google.rpc.Status as ImportResult carries it.
func problemFromProto(s *spb.Status) problem {
	if s == nil {
		return problem{Code: codeName(codes.Unknown), Message: "the server gave no reason"}
	}
	return problemFromStatus(status.FromProto(s))
}

// codeName is the canonical upper-case name of a code, as in the gRPC docs
// and in grpcurl's output ("INVALID_ARGUMENT"), not Go's "InvalidArgument".
func codeName(c codes.Code) string {
	if name, ok := codeNames[c]; ok {
		return name
	}
	return fmt.Sprintf("CODE_%d", uint32(c))
}

var codeNames = map[codes.Code]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// write prints the problem on w, indented by indent, as
//
//	INVALID_ARGUMENT: message [REASON]
//	  field annotation.anchor.quote.exact: description
//	  precondition ANNOTATIONS_EXIST sources/x: description
func (p problem) write(w io.Writer, indent string) {
	fmt.Fprintf(w, "%s%s: %s", indent, p.Code, p.Message)
	if p.Reason != "" {
		fmt.Fprintf(w, " [%s]", p.Reason)
	}
	fmt.Fprintln(w)
	for _, v := range p.Violations {
		// The server's message is often the one violation itself; saying it
		// twice would only make the error harder to read.
		if len(p.Violations) == 1 && p.Message == v.Field+": "+v.Description {
			break
		}
		fmt.Fprintf(w, "%s  field %s: %s\n", indent, v.Field, v.Description)
	}
	for _, pc := range p.Preconditions {
		fmt.Fprintf(w, "%s  precondition %s %s: %s\n", indent, pc.Type, pc.Subject, pc.Description)
	}
}

// printError prints a failed command's error on w.
func printError(w io.Writer, err error) {
	if st, ok := status.FromError(err); ok {
		p := problemFromStatus(st)
		switch st.Code() {
		case codes.Unavailable:
			p.Message += hintUnavailable
		case codes.Unauthenticated:
			// The server's own words are for every client (grpcurl
			// included); here the token has one place to come from.
			if p.Reason == "TOKEN_MISSING" {
				p.Message = hintNoToken
			} else {
				p.Message += hintBadToken
			}
		case codes.PermissionDenied:
			// The message names the permission missing. A four-eyes
			// refusal (another reason) says what to do itself: no role
			// helps there.
			if p.Reason == "PERMISSION_DENIED" {
				p.Message += hintPermission
			}
		}
		fmt.Fprint(w, "factcheck: ")
		p.write(w, "")
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "factcheck: interrupted")
		return
	}
	fmt.Fprintf(w, "factcheck: %v\n", err)
}

// hintUnavailable is added to UNAVAILABLE errors, which mostly mean the
// server is not where --server points or speaks TLS when we do not.
var hintUnavailable = " (is the server running at --server / $" + envServer + ", and does it expect TLS?)"

// The hints of the access errors: what to do, in the CLI's terms.
var (
	hintNoToken = "no token sent: set --token or $" + envToken + " to the secret of an access token " +
		"(an admin issues them with ReviewerService.CreateToken; a new server writes its first admin's to <database>.bootstrap-token)"
	hintBadToken   = " (the token is --token or $" + envToken + ")"
	hintPermission = "; ask an admin for a role that has it, or use another token (--token, $" + envToken + ")"
)

// oneLine squeezes a multi-line message into one line for progress output.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
