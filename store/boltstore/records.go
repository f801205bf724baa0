package boltstore

import (
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// Conversions between the domain types and the record messages. Every
// conversion copies (slices and maps are cloned), so a domain value handed to
// a caller shares nothing with the store or with another caller.

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTimestamp(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func articleRecord(a *store.Article) *recordpb.Article {
	return &recordpb.Article{
		Id:          a.ID,
		Url:         a.URL,
		Title:       a.Title,
		Publisher:   a.Publisher,
		Authors:     slices.Clone(a.Authors),
		Language:    a.Language,
		PublishTime: timestamp(a.PublishTime),
		Text:        a.Text,
		Labels:      maps.Clone(a.Labels),
		Revision:    a.Revision,
		TextSha256:  a.TextSHA256,
		CreateTime:  timestamp(a.CreateTime),
		UpdateTime:  timestamp(a.UpdateTime),
		Etag:        a.Etag,
	}
}

func articleFromRecord(r *recordpb.Article) *store.Article {
	return &store.Article{
		ID:          r.Id,
		URL:         r.Url,
		Title:       r.Title,
		Publisher:   r.Publisher,
		Authors:     slices.Clone(r.Authors),
		Language:    r.Language,
		PublishTime: fromTimestamp(r.PublishTime),
		Text:        r.Text,
		Labels:      maps.Clone(r.Labels),
		Revision:    r.Revision,
		TextSHA256:  r.TextSha256,
		CreateTime:  fromTimestamp(r.CreateTime),
		UpdateTime:  fromTimestamp(r.UpdateTime),
		Etag:        r.Etag,
		DeleteTime:  fromTimestamp(r.DeleteTime),
		PurgeTime:   fromTimestamp(r.PurgeTime),
	}
}

// annotationRecord converts a; the internal keys (article and source keys)
// are the caller's to fill in.
func annotationRecord(a *store.Annotation) *recordpb.Annotation {
	r := &recordpb.Annotation{
		Id:        a.ID,
		ArticleId: a.ArticleID,
		Anchor:    anchorRecord(a.Anchor),
		Claim: &recordpb.Claim{
			Text:                a.Claim.Text,
			ClaimantName:        a.Claim.Claimant.Name,
			ClaimantKind:        int32(a.Claim.Claimant.Kind),
			ClaimantSameAs:      a.Claim.Claimant.SameAs,
			ClaimantDescription: a.Claim.Claimant.Description,
			ClaimTime:           timestamp(a.Claim.ClaimTime),
		},
		Verdict: &recordpb.Verdict{
			Rating:    int32(a.Verdict.Rating),
			Label:     a.Verdict.Label,
			Rationale: a.Verdict.Rationale,
		},
		State:      int32(a.State),
		Labels:     maps.Clone(a.Labels),
		ExternalId: a.ExternalID,
		Author:     a.Author,
		CreateTime: timestamp(a.CreateTime),
		UpdateTime: timestamp(a.UpdateTime),
		Etag:       a.Etag,
	}
	for _, c := range a.Citations {
		r.Citations = append(r.Citations, &recordpb.Citation{
			SourceId: c.SourceID,
			Quote:    c.Quote,
			Stance:   int32(c.Stance),
			Note:     c.Note,
		})
	}
	return r
}

func anchorRecord(a store.Anchor) *recordpb.Anchor {
	return &recordpb.Anchor{
		Exact:           a.Exact,
		Prefix:          a.Prefix,
		Suffix:          a.Suffix,
		Start:           int64(a.Start),
		End:             int64(a.End),
		ArticleRevision: a.ArticleRevision,
		Status:          int32(a.Status),
		Utf16Start:      int64(a.UTF16.Start),
		Utf16End:        int64(a.UTF16.End),
		Utf8Start:       int64(a.UTF8.Start),
		Utf8End:         int64(a.UTF8.End),
	}
}

func annotationFromRecord(r *recordpb.Annotation) *store.Annotation {
	a := &store.Annotation{
		ID:        r.Id,
		ArticleID: r.ArticleId,
		Anchor:    anchorFromRecord(r.Anchor),
		Claim: store.Claim{
			Text: r.Claim.GetText(),
			Claimant: store.Claimant{
				Name:        r.Claim.GetClaimantName(),
				Kind:        store.ClaimantKind(r.Claim.GetClaimantKind()),
				SameAs:      r.Claim.GetClaimantSameAs(),
				Description: r.Claim.GetClaimantDescription(),
			},
			ClaimTime: fromTimestamp(r.Claim.GetClaimTime()),
		},
		Verdict: store.Verdict{
			Rating:    store.Rating(r.Verdict.GetRating()),
			Label:     r.Verdict.GetLabel(),
			Rationale: r.Verdict.GetRationale(),
		},
		State:      store.AnnotationState(r.State),
		Labels:     maps.Clone(r.Labels),
		ExternalID: r.ExternalId,
		Author:     r.Author,
		CreateTime: fromTimestamp(r.CreateTime),
		UpdateTime: fromTimestamp(r.UpdateTime),
		Etag:       r.Etag,
		RevisionID: r.RevisionId,
		DeleteTime: fromTimestamp(r.DeleteTime),
		PurgeTime:  fromTimestamp(r.PurgeTime),
	}
	for _, c := range r.Citations {
		a.Citations = append(a.Citations, store.Citation{
			SourceID: c.SourceId,
			Quote:    c.Quote,
			Stance:   store.Stance(c.Stance),
			Note:     c.Note,
		})
	}
	return a
}

func anchorFromRecord(r *recordpb.Anchor) store.Anchor {
	if r == nil {
		return store.Anchor{}
	}
	a := store.Anchor{
		Exact:           r.Exact,
		Prefix:          r.Prefix,
		Suffix:          r.Suffix,
		HasPosition:     true,
		Start:           int(r.Start),
		End:             int(r.End),
		ArticleRevision: r.ArticleRevision,
		Status:          store.AnchorStatus(r.Status),
		UTF16:           store.Span{Start: int(r.Utf16Start), End: int(r.Utf16End)},
		UTF8:            store.Span{Start: int(r.Utf8Start), End: int(r.Utf8End)},
		Score:           r.Score,
		FoundText:       r.FoundText,
	}
	if r.HasPrevious {
		a.Previous = &store.Span{Start: int(r.PreviousStart), End: int(r.PreviousEnd)}
		a.PreviousRevision = r.PreviousArticleRevision
	}
	return a
}

func sourceRecord(s *store.Source) *recordpb.Source {
	return &recordpb.Source{
		Id:          s.ID,
		Url:         s.URL,
		Title:       s.Title,
		Publisher:   s.Publisher,
		Authors:     slices.Clone(s.Authors),
		Kind:        int32(s.Kind),
		PublishTime: timestamp(s.PublishTime),
		ArchiveUrl:  s.ArchiveURL,
		AccessTime:  timestamp(s.AccessTime),
		Notes:       s.Notes,
		CreateTime:  timestamp(s.CreateTime),
		UpdateTime:  timestamp(s.UpdateTime),
		Etag:        s.Etag,
	}
}

func sourceFromRecord(r *recordpb.Source) *store.Source {
	return &store.Source{
		ID:          r.Id,
		URL:         r.Url,
		Title:       r.Title,
		Publisher:   r.Publisher,
		Authors:     slices.Clone(r.Authors),
		Kind:        store.SourceKind(r.Kind),
		PublishTime: fromTimestamp(r.PublishTime),
		ArchiveURL:  r.ArchiveUrl,
		AccessTime:  fromTimestamp(r.AccessTime),
		Notes:       r.Notes,
		CreateTime:  fromTimestamp(r.CreateTime),
		UpdateTime:  fromTimestamp(r.UpdateTime),
		Etag:        r.Etag,
		DeleteTime:  fromTimestamp(r.DeleteTime),
		PurgeTime:   fromTimestamp(r.PurgeTime),
	}
}

// decode unmarshals a record value. proto.Unmarshal copies the bytes it
// keeps (strings are allocated), so the record outlives the transaction.
func decode[M proto.Message](val []byte, m M) (M, error) {
	if err := proto.Unmarshal(val, m); err != nil {
		var zero M
		return zero, err
	}
	return m, nil
}

func encode(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}
