package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// Invalid UTF-8 cannot cross the wire (protobuf refuses to marshal it), so
// the validator's UTF-8 checks are tested in-process: they guard callers
// that hand-build messages, and future transports.
func TestValidatorUTF8(t *testing.T) {
	bad := string([]byte{0xff, 'a'})
	var v validator
	v.article("article", &factcheckv1.Article{
		Url: "https://example.com/" + bad, Text: bad, Title: bad,
		Labels: map[string]string{"k": bad},
	}, all)
	var fields []string
	for _, x := range v.vs {
		if x.reason == reasonInvalidUTF8 {
			fields = append(fields, x.field)
		}
	}
	want := []string{"article.url", "article.title", "article.text", `article.labels["k"]`}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("UTF-8 violations (-want +got):\n%s", diff)
	}
}

func TestLanguageTags(t *testing.T) {
	for tag, ok := range map[string]bool{
		"en": true, "ar": true, "pt-BR": true, "zh-Hant-TW": true, "x-klingon": true, "sr-Latn-RS": true,
		"english!": false, "e": false, "en_US": false, "en-": false, "-en": false, "en-toolongsubtag": false,
	} {
		var v validator
		v.language("language", tag)
		if got := len(v.vs) == 0; got != ok {
			t.Errorf("language %q accepted = %v, want %v", tag, got, ok)
		}
	}
}

func TestURLs(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://example.com/a?b=c#d": true, "HTTP://EXAMPLE.COM": true,
		"ftp://example.com": false, "/relative": false, "https://": false, "example.com": false,
		"https://example.com/" + strings.Repeat("a", maxURLBytes): false,
	} {
		var v validator
		v.url("url", u)
		if got := len(v.vs) == 0; got != ok {
			t.Errorf("url %q accepted = %v, want %v (%v)", u, got, ok, v.vs)
		}
	}
}

func TestPageTokenRoundTrip(t *testing.T) {
	q := pageQuery{method: "ListSources", filter: "kind = KIND_DATASET"}
	fp := q.fingerprint()
	tok := encodePageToken(fp, "store\x00cursor")
	if strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q is not unpadded base64url", tok)
	}
	var v validator
	if got := v.pageToken("page_token", tok, fp); got != "store\x00cursor" || len(v.vs) != 0 {
		t.Errorf("round trip = %q, %v", got, v.vs)
	}
	if encodePageToken(fp, "") != "" {
		t.Error("an exhausted store cursor must give an empty token")
	}
	// Equivalent orders are the same query.
	a := pageQuery{method: "m", order: orderSpec{}}.fingerprint()
	var ov validator
	b := pageQuery{method: "m", order: ov.orderBy("order_by", "create_time  asc")}.fingerprint()
	if a != b {
		t.Error("\"\" and \"create_time asc\" fingerprint differently")
	}
	// Fields are length-prefixed: moving a boundary changes the print.
	if (pageQuery{method: "ab", parent: "c"}).fingerprint() == (pageQuery{method: "a", parent: "bc"}).fingerprint() {
		t.Error("fingerprint is ambiguous across fields")
	}
}

func TestUpdateMaskResolve(t *testing.T) {
	msg := &factcheckv1.Annotation{
		Claim:   &factcheckv1.Claim{Text: "t", Claimant: &factcheckv1.Claimant{Name: "n"}},
		Verdict: &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_FALSE},
		// Output-only: never part of an implied mask.
		Author: "someone", Etag: "e",
		Anchor: &factcheckv1.Anchor{Status: factcheckv1.Anchor_STATUS_MOVED},
	}
	tests := []struct {
		paths []string
		want  []string
		bad   []string
	}{
		{nil, []string{"claim.text", "claim.claimant.name", "verdict.rating"}, nil},
		{[]string{"*"}, []string{"anchor", "citations", "claim", "external_id", "labels", "state", "verdict"}, nil},
		{[]string{"claim", "claim.text", "verdict.label"}, []string{"claim", "verdict.label"}, nil},
		{[]string{"labels.desk", "labels.`a.b`"}, []string{"labels.a.b", "labels.desk"}, nil},
		{[]string{"state", "etag", "anchor.utf8.start", "anchor.position", "nope", "labels.Bad"}, []string{"state"},
			[]string{"update_mask.paths[1]", "update_mask.paths[2]", "update_mask.paths[3]", "update_mask.paths[4]", "update_mask.paths[5]"}},
	}
	for _, tc := range tests {
		var v validator
		var mask *fieldmaskpb.FieldMask
		if tc.paths != nil {
			mask = &fieldmaskpb.FieldMask{Paths: tc.paths}
		}
		got := annotationMask.resolve(&v, mask, msg)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("resolve(%q) (-want +got):\n%s", tc.paths, diff)
		}
		var bad []string
		for _, x := range v.vs {
			bad = append(bad, x.field)
		}
		if diff := cmp.Diff(tc.bad, bad); diff != "" {
			t.Errorf("resolve(%q) violations (-want +got):\n%s", tc.paths, diff)
		}
	}
}

// Every mutable path must copy something, and `*` must cover exactly the
// top-level mutable fields: a path accepted without a copy would panic.
func TestMaskSpecsComplete(t *testing.T) {
	check := func(name string, mutable []string, star []string) {
		var top []string
		for _, p := range mutable {
			if !strings.Contains(p, ".") {
				top = append(top, p)
			}
		}
		if diff := cmp.Diff(sortedCopy(top), sortedCopy(star)); diff != "" {
			t.Errorf("%s: `*` differs from the top-level mutable fields (-mutable +star):\n%s", name, diff)
		}
	}
	check("article", keys(articleMask.mutable), articleMask.star)
	check("source", keys(sourceMask.mutable), sourceMask.star)
	check("annotation", keys(annotationMask.mutable), annotationMask.star)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedCopy(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}

func TestToStatus(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, _ := withRequestID(context.Background())
	id := requestIDFrom(ctx)

	tests := []struct {
		name   string
		err    error
		code   codes.Code
		reason string
		detail func(t *testing.T, st *status.Status)
	}{
		{"canceled", fmt.Errorf("reading: %w", context.Canceled), codes.Canceled, "CANCELED", nil},
		{"deadline", context.DeadlineExceeded, codes.DeadlineExceeded, "DEADLINE_EXCEEDED", nil},
		{"bare sentinel", fmt.Errorf("article %q: %w", "x", store.ErrNotFound), codes.NotFound, "NOT_FOUND", nil},
		{"status without ErrorInfo", status.Error(codes.Unavailable, "down"), codes.Unavailable, "UNAVAILABLE", nil},
		{"unknown", errors.New("open /var/lib/secret: permission denied"), codes.Internal, "INTERNAL", func(t *testing.T, st *status.Status) {
			if strings.Contains(st.Message(), "secret") || !strings.Contains(st.Message(), id) {
				t.Errorf("internal message = %q: should name the request id and hide the cause", st.Message())
			}
			if !strings.Contains(logs.String(), "permission denied") || !strings.Contains(logs.String(), id) {
				t.Errorf("cause not logged with the request id: %s", logs.String())
			}
		}},
		{"store error in a request field", inField("annotation", store.Invalid("SOURCE_NOT_FOUND", "citations[0].source", "sources/x does not exist")),
			codes.InvalidArgument, "SOURCE_NOT_FOUND", func(t *testing.T, st *status.Status) {
				br := detail[*errdetails.BadRequest](st)
				if br.GetFieldViolations()[0].GetField() != "annotation.citations[0].source" {
					t.Errorf("violation field = %q", br.GetFieldViolations()[0].GetField())
				}
				if !strings.HasPrefix(st.Message(), "annotation.citations[0].source: ") {
					t.Errorf("message = %q, want the request-relative field first", st.Message())
				}
			}},
		{"conflict", store.Conflict("sources/x", "a", "b"), codes.Aborted, "ETAG_MISMATCH", func(t *testing.T, st *status.Status) {
			if pf := detail[*errdetails.PreconditionFailure](st); pf.GetViolations()[0].GetSubject() != "sources/x" {
				t.Errorf("PreconditionFailure = %v", pf)
			}
		}},
		{"not found", store.NotFound("ARTICLE_NOT_FOUND", "articles/x"), codes.NotFound, "ARTICLE_NOT_FOUND", func(t *testing.T, st *status.Status) {
			ri := detail[*errdetails.ResourceInfo](st)
			if ri.GetResourceName() != "articles/x" || ri.GetResourceType() != "factcheck.v1.Article" {
				t.Errorf("ResourceInfo = %v", ri)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := status.FromError(toStatus(ctx, logger, tc.err))
			if st.Code() != tc.code {
				t.Errorf("code = %v, want %v", st.Code(), tc.code)
			}
			info := detail[*errdetails.ErrorInfo](st)
			if info.GetReason() != tc.reason || info.GetDomain() != errorDomain {
				t.Errorf("ErrorInfo = %v, want reason %s", info, tc.reason)
			}
			if tc.detail != nil {
				tc.detail(t, st)
			}
		})
	}
	if toStatus(ctx, logger, nil) != nil {
		t.Error("nil error became a status")
	}
}

func detail[T any](st *status.Status) T {
	var zero T
	for _, d := range st.Details() {
		if x, ok := d.(T); ok {
			return x
		}
	}
	return zero
}
