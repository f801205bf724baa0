package boltstore

import (
	"bytes"
	"maps"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// TestCreatedRevisionMatchesEncode checks that the revision 1 an insert
// assembles around the record's bytes is what encoding the revision message
// gives, so that readers see no difference.
func TestCreatedRevisionMatchesEncode(t *testing.T) {
	recs := []*recordpb.Annotation{
		{RevisionId: 1},
		{RevisionId: 1, Id: "n1", ArticleId: "a1", UpdateTime: timestamppb.New(time.Unix(0, 0))},
		{RevisionId: 1, Id: "n1", ArticleId: "a1", UpdateTime: timestamppb.New(time.Unix(-5, 7)),
			Labels: map[string]string{"b": "2", "a": "1", "c": ""}, Claim: &recordpb.Claim{Text: "x"}},
		{RevisionId: 1, Id: "n2", ArticleId: "a1", UpdateTime: timestamppb.New(time.Date(2026, 11, 26, 3, 0, 0, 123456789, time.UTC)),
			Citations: []*recordpb.Citation{{SourceId: "s", SourceKey: 3}}, Anchor: &recordpb.Anchor{Exact: "e", Start: 3, End: 9}},
	}
	for i, r := range recs {
		val, err := encode(r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := encode(&recordpb.AnnotationRevision{RevisionId: r.RevisionId, Snapshot: r, CreateTime: r.UpdateTime,
			Cause: int32(store.CauseCreate)})
		if err != nil {
			t.Fatal(err)
		}
		if got := createdRevision(r, val); !bytes.Equal(got, want) {
			t.Errorf("record %d: createdRevision gives\n%x\nencode gives\n%x", i, got, want)
		}
	}
}

// TestAnnotationEntriesKeys checks the keys annotationEntries carves from
// one buffer against the key part functions.
func TestAnnotationEntriesKeys(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 600))
	r := &recordpb.Annotation{Id: "n1", ArticleKey: 7, State: 2, ExternalId: long,
		Verdict: &recordpb.Verdict{Rating: 3}, Anchor: &recordpb.Anchor{Status: 1},
		Claim:      &recordpb.Claim{ClaimantName: long},
		UpdateTime: timestamppb.New(time.Unix(5, 6)),
		Citations:  []*recordpb.Citation{{SourceKey: 4}, {SourceKey: 9}},
		Labels:     map[string]string{"topic": "economy", long: long, "": ""},
	}
	key := u64(42)
	want := map[string][]byte{
		string(bucketAnnotationIDs) + "|" + string(cat(u64(7), []byte("n1"))):                 key,
		string(bucketAnnotationsByArticle) + "|" + string(cat(u64(7), key)):                   nil,
		string(bucketAnnotationsByState) + "|" + string(cat(enumPart(2), key)):                nil,
		string(bucketAnnotationsByRating) + "|" + string(cat(enumPart(3), key)):               nil,
		string(bucketAnnotationsByStatus) + "|" + string(cat(enumPart(1), key)):               nil,
		string(bucketAnnotationsByClaimant) + "|" + string(cat(strPart(long), key)):           nil,
		string(bucketAnnotationsByUpdate) + "|" + string(cat(timePart(time.Unix(5, 6)), key)): nil,
		string(bucketAnnotationExternalID) + "|" + string(bounded(long)):                      key,
		string(bucketAnnotationsBySource) + "|" + string(cat(u64(4), key)):                    nil,
		string(bucketAnnotationsBySource) + "|" + string(cat(u64(9), key)):                    nil,
	}
	for k, v := range r.Labels {
		want[string(bucketAnnotationsByLabel)+"|"+string(cat(strPart(k), strPart(v), key))] = nil
	}
	got := map[string][]byte{}
	for _, e := range annotationEntries(key, r) {
		got[string(e.bucket)+"|"+string(e.key)] = e.value
	}
	if !maps.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("annotationEntries gives keys\n%q\nwant\n%q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}
