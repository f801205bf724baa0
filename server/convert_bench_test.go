package server

import (
	"strings"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
)

// BenchmarkAnnotationToProto converts one annotation as a list page does
// fifty times; allocs/op is the figure annotationMessages is about.
func BenchmarkAnnotationToProto(b *testing.B) {
	now := time.Now()
	a := &store.Annotation{ID: "n01k8b17u7tdpq8sksrup", ArticleID: "a01k8b17u7tdpq8sksrup",
		Anchor: store.Anchor{Exact: "Claim 001", HasPosition: true, Start: 11, End: 20,
			UTF16: store.Span{Start: 11, End: 20}, UTF8: store.Span{Start: 11, End: 20}},
		Claim:   store.Claim{Text: "The minister said taxes fell.", Claimant: store.Claimant{Name: "A. Minister", Kind: store.ClaimantPerson}},
		Verdict: store.Verdict{Rating: store.RatingFalse, Label: "Wrong", Rationale: strings.Repeat("The report says otherwise. ", 8)},
		Labels:  map[string]string{"desk": "world"},
		State:   store.StatePublished, Author: "reviewers/admin", CreateTime: now, UpdateTime: now, Etag: "0123456789abcdef", RevisionID: 1,
	}
	b.ReportAllocs()
	for b.Loop() {
		annotationToProto(a)
	}
}
