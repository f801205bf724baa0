package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// TestCreatedRevisionMatchesEncode checks that the revision 1 an insert
// assembles by hand is what encoding the revision message without a
// snapshot gives.
func TestCreatedRevisionMatchesEncode(t *testing.T) {
	recs := []*recordpb.Annotation{
		{RevisionId: 1},
		{RevisionId: 1, Id: "n1", ArticleId: "a1", UpdateTime: timestamppb.New(time.Unix(0, 0))},
		{RevisionId: 1, Id: "n1", ArticleId: "a1", UpdateTime: timestamppb.New(time.Unix(-5, 7))},
		{RevisionId: 1, Id: "n2", ArticleId: "a1", UpdateTime: timestamppb.New(time.Date(2026, 11, 26, 3, 0, 0, 123456789, time.UTC))},
		{RevisionId: 1, UpdateTime: timestamppb.New(time.Unix(1<<40, 999999999))},
	}
	writes := []store.WriteInfo{
		{},
		{Actor: "reviewers/r1", Method: "/factcheck.v1.AnnotationService/CreateAnnotation", RequestID: "req-1"},
		{Actor: "reviewers/r1", Note: "a correction note"},
		{Note: strings.Repeat("long note ", 40)},
	}
	for i, r := range recs {
		for _, w := range writes {
			want, err := encode(&recordpb.AnnotationRevision{RevisionId: r.RevisionId, CreateTime: r.UpdateTime,
				Actor: w.Actor, Cause: int32(store.CauseCreate), Note: w.Note})
			if err != nil {
				t.Fatal(err)
			}
			if got := createdRevision(r, w); !bytes.Equal(got, want) {
				t.Errorf("record %d, %+v: createdRevision gives\n%x\nencode gives\n%x", i, w, got, want)
			}
		}
	}
}

// TestCreatedRevisionSnapshot follows an imported annotation's revision 1,
// stored without its snapshot, through updates and a rollback, and one
// stored with it as schema version 4 did: both read the same throughout.
func TestCreatedRevisionSnapshot(t *testing.T) {
	for _, full := range []bool{false, true} {
		s, err := openPath(t, filepath.Join(t.TempDir(), "rev.db"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Import(context.Background(), []store.ImportRecord{
			{Article: &store.Article{URL: "https://news.example/1", Text: "The minister said taxes fell."}},
			{Annotation: &store.AnnotationImport{ArticleURL: "https://news.example/1", Annotation: &store.Annotation{
				Anchor: store.Anchor{Exact: "taxes fell"}, Claim: store.Claim{Text: "taxes fell"}, Labels: map[string]string{"a": "b"}}}},
		}, store.ImportOptions{})
		if err != nil || res[1].Outcome != store.OutcomeCreated {
			t.Fatalf("import: %v %v", res, err)
		}
		var artID, id string
		if _, err := fmt.Sscanf(strings.ReplaceAll(res[1].Name, "/", " "), "articles %s annotations %s", &artID, &id); err != nil {
			t.Fatal(err)
		}
		if full {
			// As schema version 4 stored it: the snapshot in the revision.
			err := s.db.Update(func(tx *bbolt.Tx) error {
				key := lookup(tx, bucketAnnotationIDs, cat(lookup(tx, bucketArticleIDs, []byte(artID)), []byte(id)))
				r, err := decode(tx.Bucket(bucketAnnotations).Get(key), &recordpb.Annotation{})
				if err != nil {
					return err
				}
				val, err := encode(&recordpb.AnnotationRevision{RevisionId: 1, Snapshot: r, CreateTime: r.UpdateTime, Cause: int32(store.CauseCreate)})
				if err != nil {
					return err
				}
				return tx.Bucket(bucketAnnotationRevisions).Put(cat(key, u32(1)), val)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		rev1, err := s.GetAnnotationRevision(context.Background(), artID, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		if rev1.Annotation.Claim.Text != "taxes fell" || rev1.Cause != store.CauseCreate || rev1.Annotation.RevisionID != 1 {
			t.Fatalf("full %v: revision 1 is %+v", full, rev1)
		}
		etag := rev1.Annotation.Etag
		for _, text := range []string{"taxes rose", "taxes vanished"} {
			a, err := s.UpdateAnnotation(context.Background(), artID, id, etag, func(a *store.Annotation) error {
				a.Claim.Text = text
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			etag = a.Etag
		}
		revs, _, err := s.ListAnnotationRevisions(context.Background(), artID, id, store.RevisionQuery{PageSize: 10, OldestFirst: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(revs) != 3 {
			t.Fatalf("full %v: %d revisions, want 3", full, len(revs))
		}
		if !reflect.DeepEqual(revs[0], rev1) {
			t.Errorf("full %v: revision 1 after updates\n%+v\nwant\n%+v", full, revs[0], rev1)
		}
		a, err := s.RollbackAnnotation(context.Background(), artID, id, 1, etag)
		if err != nil {
			t.Fatal(err)
		}
		if a.Claim.Text != "taxes fell" || a.RevisionID != 4 {
			t.Errorf("full %v: rolled back to %+v", full, a)
		}
		if err := s.Check(); err != nil {
			t.Errorf("full %v: %v", full, err)
		}
		// A revision without snapshot whose record moved on is damage.
		err = s.db.Update(func(tx *bbolt.Tx) error {
			key := lookup(tx, bucketAnnotationIDs, cat(lookup(tx, bucketArticleIDs, []byte(artID)), []byte(id)))
			return tx.Bucket(bucketAnnotationRevisions).Put(cat(key, u32(2)), createdRevision(&recordpb.Annotation{RevisionId: 2}, store.WriteInfo{}))
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Check(); err == nil || !strings.Contains(err.Error(), "keeps no snapshot") {
			t.Errorf("full %v: Check after damage: %v", full, err)
		}
	}
}

// TestAnnotationEntriesKeys checks the keys annotationEntries carves from
// one buffer against the key part functions.
func TestAnnotationEntriesKeys(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 600))
	r := &recordpb.Annotation{Id: "n1", ArticleKey: 7, State: 2, ExternalId: long, Author: "reviewers/r1",
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
		string(bucketAnnotationsByAuthor) + "|" + string(cat(strPart("reviewers/r1"), key)):   nil,
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
