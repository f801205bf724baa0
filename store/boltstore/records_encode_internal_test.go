package boltstore

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// checkEncode fails t unless encode gives for r what proto's deterministic
// Marshal gives (the bytes, or an error for both), and appendAnnotation the
// same after a prefix it leaves alone.
func checkEncode(t *testing.T, r *recordpb.Annotation) {
	t.Helper()
	want, wantErr := proto.MarshalOptions{Deterministic: true}.Marshal(r)
	got, err := encode(r)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("encode: %v; proto: %v", err, wantErr)
	}
	if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
		t.Fatalf("encode gives\n%x\nproto gives\n%x", got, want)
	}
	prefix := []byte("prefix")
	got, err = appendAnnotation(prefix[:len(prefix):len(prefix)], r)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("appendAnnotation: %v; proto: %v", err, wantErr)
	}
	if err == nil && (!bytes.HasPrefix(got, prefix) || !bytes.Equal(got[len(prefix):], want)) {
		t.Fatalf("appendAnnotation after %q gives\n%x\nproto gives\n%x", prefix, got, want)
	}
}

// TestEncodeAnnotation: appendAnnotation writes every field of the
// annotation record (fill sets them all, so a field added to
// recordpb.Annotation or a message it holds fails here until the encoder
// knows it) byte for byte as proto does, and leaves to proto what it does
// not have in mind.
func TestEncodeAnnotation(t *testing.T) {
	full := &recordpb.Annotation{}
	fill(full.ProtoReflect(), 0)
	withUnknown := func(m proto.Message) {
		m.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 7))
	}
	unknownTop := proto.CloneOf(full)
	withUnknown(unknownTop)
	unknownNested := proto.CloneOf(full)
	withUnknown(unknownNested.Claim.ClaimTime)
	unknownCitation := proto.CloneOf(full)
	withUnknown(unknownCitation.Citations[1])
	manyLabels := map[string]string{}
	for _, k := range []string{"z", "b", "", "é", "a", "ab", "aa", "Z", "0", "zz", "m", "mm"} {
		manyLabels[k] = strings.Repeat(k, 3)
	}
	var manyCitations []*recordpb.Citation
	for i := range 300 {
		manyCitations = append(manyCitations, &recordpb.Citation{SourceId: fmt.Sprint("s", i), SourceKey: uint64(i), Stance: int32(i % 3)})
	}
	long := strings.Repeat("ü", 9000) // a length of three varint bytes
	for _, tc := range []struct {
		name string
		r    *recordpb.Annotation
		// fast: whether appendAnnotation writes it rather than proto.
		fast bool
	}{
		{"every field", full, true},
		{"empty", &recordpb.Annotation{}, true},
		{"empty nested messages", &recordpb.Annotation{
			Anchor: &recordpb.Anchor{}, Claim: &recordpb.Claim{ClaimTime: &timestamppb.Timestamp{}}, Verdict: &recordpb.Verdict{},
			Citations:  []*recordpb.Citation{{}, {}},
			CreateTime: &timestamppb.Timestamp{}, UpdateTime: &timestamppb.Timestamp{}, DeleteTime: &timestamppb.Timestamp{}, PurgeTime: &timestamppb.Timestamp{},
		}, true},
		{"claim without its time", &recordpb.Annotation{Claim: &recordpb.Claim{Text: "t"}}, true},
		{"negative and extreme numbers", &recordpb.Annotation{
			ArticleKey: math.MaxUint64, State: -1, RevisionId: math.MinInt32,
			Anchor: &recordpb.Anchor{Start: math.MinInt64, End: math.MaxInt64, ArticleRevision: math.MaxInt32, Status: -2,
				Utf16Start: -1, Utf16End: 1 << 62, PreviousStart: -1 << 40, PreviousArticleRevision: -7},
			Claim:      &recordpb.Claim{ClaimantKind: -3, ClaimTime: &timestamppb.Timestamp{Seconds: -62135596800, Nanos: -1}},
			Verdict:    &recordpb.Verdict{Rating: math.MinInt32},
			Citations:  []*recordpb.Citation{{SourceKey: 1, Stance: -1}},
			CreateTime: &timestamppb.Timestamp{Seconds: math.MaxInt64, Nanos: math.MaxInt32},
			UpdateTime: &timestamppb.Timestamp{Nanos: 1},
			DeleteTime: &timestamppb.Timestamp{Seconds: -1},
		}, true},
		{"score +0", &recordpb.Annotation{Anchor: &recordpb.Anchor{Score: 0}}, true},
		{"score -0", &recordpb.Annotation{Anchor: &recordpb.Anchor{Score: math.Copysign(0, -1)}}, true},
		{"score NaN", &recordpb.Annotation{Anchor: &recordpb.Anchor{Score: math.NaN()}}, true},
		{"score +Inf", &recordpb.Annotation{Anchor: &recordpb.Anchor{Score: math.Inf(1)}}, true},
		{"score -Inf", &recordpb.Annotation{Anchor: &recordpb.Anchor{Score: math.Inf(-1)}}, true},
		{"score denormal", &recordpb.Annotation{Anchor: &recordpb.Anchor{Score: math.SmallestNonzeroFloat64}}, true},
		{"empty label key and values", &recordpb.Annotation{Labels: map[string]string{"": "", "k": "", "v": "x"}}, true},
		{"one empty label", &recordpb.Annotation{Labels: map[string]string{"": ""}}, true},
		{"labels beyond the stack's keys", &recordpb.Annotation{Labels: manyLabels}, true},
		{"non-ASCII and long strings", &recordpb.Annotation{
			Id: "n‐1", Author: "reviewers/Ωμέγα", Anchor: &recordpb.Anchor{Exact: long, FoundText: "🙂"},
			Verdict: &recordpb.Verdict{Rationale: strings.Repeat("x", 128)}, Labels: map[string]string{"日本": long},
		}, true},
		{"many citations", &recordpb.Annotation{Citations: manyCitations}, true},
		{"deleted with article", &recordpb.Annotation{DeletedWithArticle: true, Anchor: &recordpb.Anchor{HasPrevious: true}}, true},
		{"unknown fields", unknownTop, false},
		{"unknown fields in a timestamp", unknownNested, false},
		{"unknown fields in a citation", unknownCitation, false},
		{"a nil citation", &recordpb.Annotation{Id: "n1", Citations: []*recordpb.Citation{{Quote: "q"}, nil}}, false},
		{"invalid UTF-8", &recordpb.Annotation{Id: "\xff"}, false},
		{"invalid UTF-8 in a label key", &recordpb.Annotation{Labels: map[string]string{"\xc3": "v"}}, false},
		{"invalid UTF-8 in an anchor", &recordpb.Annotation{Anchor: &recordpb.Anchor{Suffix: "a\x80"}}, false},
		{"invalid UTF-8 in a citation", &recordpb.Annotation{Citations: []*recordpb.Citation{{Note: "\xed\xa0\x80"}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, fast := annotationSize(tc.r, &labelEntries{}); fast != tc.fast {
				t.Errorf("annotationSize reports %v, want %v", fast, tc.fast)
			}
			checkEncode(t, tc.r)
		})
	}
	t.Run("nil", func(t *testing.T) {
		var r *recordpb.Annotation
		got, err := encode(r)
		want, wantErr := proto.MarshalOptions{Deterministic: true}.Marshal(r)
		if !bytes.Equal(got, want) || (got == nil) != (want == nil) || (err == nil) != (wantErr == nil) {
			t.Errorf("encode gives %x, %v; proto gives %x, %v", got, err, want, wantErr)
		}
	})
	if got, _ := decode(must(encode(full)), &recordpb.Annotation{}); !proto.Equal(got, full) {
		t.Errorf("decode of the encoded record gives\n%v\nwant\n%v", got, full)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// importedAnnotation is the record an import stores for one of
// BenchmarkImport's annotations.
func importedAnnotation() *recordpb.Annotation {
	r := annotationRecord(&store.Annotation{
		Anchor:     store.Anchor{Exact: "Claim 42", HasPosition: true, Start: 420, End: 428, UTF16: store.Span{Start: 420, End: 428}, UTF8: store.Span{Start: 420, End: 428}},
		Claim:      store.Claim{Text: "claim", Claimant: store.Claimant{Name: "A. Minister", Kind: store.ClaimantPerson}},
		Verdict:    store.Verdict{Rating: store.RatingFalse, Label: "Wrong", Rationale: strings.Repeat("The report says otherwise. ", 8)},
		Citations:  []store.Citation{{SourceID: "s0123456789abcdef", Quote: "evidence", Stance: store.StanceRefutes}},
		State:      store.StatePublished,
		Labels:     map[string]string{"topic": "economy"},
		ExternalID: "bench-123-42",
		Author:     "reviewers/importer",
		CreateTime: time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC),
		UpdateTime: time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC),
		Etag:       "0123456789abcdef",
	})
	r.Id, r.ArticleId, r.ArticleKey, r.RevisionId = "n0123456789abcdef", "a0123456789abcdef", 1234, 1
	r.Anchor.ArticleRevision = 1
	r.Citations[0].SourceKey = 7
	return r
}

// FuzzMarshalAnnotation: whatever record proto reads from the bytes,
// encode writes it as proto does.
func FuzzMarshalAnnotation(f *testing.F) {
	full := &recordpb.Annotation{}
	fill(full.ProtoReflect(), 0)
	for _, r := range []*recordpb.Annotation{full, importedAnnotation(), {}, {Anchor: &recordpb.Anchor{Score: math.Copysign(0, -1)}}} {
		f.Add(must(encode(r)))
	}
	f.Fuzz(func(t *testing.T, val []byte) {
		r := &recordpb.Annotation{}
		if proto.Unmarshal(val, r) != nil {
			return
		}
		checkEncode(t, r)
	})
}

// BenchmarkEncodeAnnotation: proto's deterministic Marshal against
// appendAnnotation (through encode), on the record an import stores.
func BenchmarkEncodeAnnotation(b *testing.B) {
	r := importedAnnotation()
	b.Run("proto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (proto.MarshalOptions{Deterministic: true}).Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encode(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = appendAnnotation(buf[:0], r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
