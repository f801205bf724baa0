package server

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// The conversions below copy between API messages and store domain types.
// Enums are cast by number: the store's enums share the API's numbers. The
// *FromProto functions read input fields only, so output-only values a
// client sends are dropped here and never reach the store.

func timeFromProto(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func timeToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func cloneStrings(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return slices.Clone(ss)
}

func cloneLabels(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// --- articles ---

func articleFromProto(p *factcheckv1.Article) *store.Article {
	return &store.Article{
		URL:         p.GetUrl(),
		Title:       p.GetTitle(),
		Publisher:   p.GetPublisher(),
		Authors:     cloneStrings(p.GetAuthors()),
		Language:    p.GetLanguage(),
		PublishTime: timeFromProto(p.GetPublishTime()),
		Text:        p.GetText(),
		Labels:      cloneLabels(p.GetLabels()),
	}
}

// articleToProto leaves the text out unless withText: lists skip it by
// default because texts dwarf everything else.
func articleToProto(a *store.Article, withText bool) *factcheckv1.Article {
	p := &factcheckv1.Article{
		Name:        a.Name(),
		Url:         a.URL,
		Title:       a.Title,
		Publisher:   a.Publisher,
		Authors:     cloneStrings(a.Authors),
		Language:    a.Language,
		PublishTime: timeToProto(a.PublishTime),
		Labels:      cloneLabels(a.Labels),
		Revision:    a.Revision,
		TextSha256:  a.TextSHA256,
		CreateTime:  timeToProto(a.CreateTime),
		UpdateTime:  timeToProto(a.UpdateTime),
		Etag:        a.Etag,
		DeleteTime:  timeToProto(a.DeleteTime),
		PurgeTime:   timeToProto(a.PurgeTime),
	}
	if withText {
		p.Text = a.Text
	}
	return p
}

// --- sources ---

func sourceFromProto(p *factcheckv1.Source) *store.Source {
	return &store.Source{
		URL:         p.GetUrl(),
		Title:       p.GetTitle(),
		Publisher:   p.GetPublisher(),
		Authors:     cloneStrings(p.GetAuthors()),
		Kind:        store.SourceKind(p.GetKind()),
		PublishTime: timeFromProto(p.GetPublishTime()),
		ArchiveURL:  p.GetArchiveUrl(),
		AccessTime:  timeFromProto(p.GetAccessTime()),
		Notes:       p.GetNotes(),
	}
}

func sourceToProto(s *store.Source) *factcheckv1.Source {
	return &factcheckv1.Source{
		Name:        s.Name(),
		Url:         s.URL,
		Title:       s.Title,
		Publisher:   s.Publisher,
		Authors:     cloneStrings(s.Authors),
		Kind:        factcheckv1.Source_Kind(s.Kind),
		PublishTime: timeToProto(s.PublishTime),
		ArchiveUrl:  s.ArchiveURL,
		AccessTime:  timeToProto(s.AccessTime),
		Notes:       s.Notes,
		CreateTime:  timeToProto(s.CreateTime),
		UpdateTime:  timeToProto(s.UpdateTime),
		Etag:        s.Etag,
		DeleteTime:  timeToProto(s.DeleteTime),
		PurgeTime:   timeToProto(s.PurgeTime),
	}
}

// --- annotations ---

func anchorFromProto(p *factcheckv1.Anchor) store.Anchor {
	a := store.Anchor{
		Exact:  p.GetQuote().GetExact(),
		Prefix: p.GetQuote().GetPrefix(),
		Suffix: p.GetQuote().GetSuffix(),
	}
	if pos := p.GetPosition(); pos != nil {
		a.HasPosition = true
		a.Start, a.End = int(pos.GetStart()), int(pos.GetEnd())
	}
	return a
}

func claimantFromProto(p *factcheckv1.Claimant) store.Claimant {
	return store.Claimant{
		Name:        p.GetName(),
		Kind:        store.ClaimantKind(p.GetKind()),
		SameAs:      p.GetSameAs(),
		Description: p.GetDescription(),
	}
}

func claimFromProto(p *factcheckv1.Claim) store.Claim {
	return store.Claim{
		Text:      p.GetText(),
		Claimant:  claimantFromProto(p.GetClaimant()),
		ClaimTime: timeFromProto(p.GetClaimTime()),
	}
}

func verdictFromProto(p *factcheckv1.Verdict) store.Verdict {
	return store.Verdict{
		Rating:    store.Rating(p.GetRating()),
		Label:     p.GetLabel(),
		Rationale: p.GetRationale(),
	}
}

// citationsFromProto expects validated source names (`sources/{id}`).
func citationsFromProto(ps []*factcheckv1.Citation) []store.Citation {
	if len(ps) == 0 {
		return nil
	}
	out := make([]store.Citation, len(ps))
	for i, p := range ps {
		out[i] = store.Citation{
			SourceID: strings.TrimPrefix(p.GetSource(), "sources/"),
			Quote:    p.GetQuote(),
			Stance:   store.Stance(p.GetStance()),
			Note:     p.GetNote(),
		}
	}
	return out
}

func annotationFromProto(p *factcheckv1.Annotation) *store.Annotation {
	return &store.Annotation{
		Anchor:     anchorFromProto(p.GetAnchor()),
		Claim:      claimFromProto(p.GetClaim()),
		Verdict:    verdictFromProto(p.GetVerdict()),
		Citations:  citationsFromProto(p.GetCitations()),
		State:      store.AnnotationState(p.GetState()),
		Labels:     cloneLabels(p.GetLabels()),
		ExternalID: p.GetExternalId(),
	}
}

// annotationMessages are the messages of one converted annotation,
// allocated together: lists convert annotations by the page, and one
// allocation per annotation instead of a dozen is most of what made that
// conversion cheaper (BenchmarkListAnnotations).
type annotationMessages struct {
	annotation     factcheckv1.Annotation
	anchor         factcheckv1.Anchor
	quote          factcheckv1.TextQuoteSelector
	utf16, utf8    factcheckv1.Span
	position       factcheckv1.TextPositionSelector
	claim          factcheckv1.Claim
	claimant       factcheckv1.Claimant
	verdict        factcheckv1.Verdict
	create, update timestamppb.Timestamp
}

// setTime is timeToProto into ts, which it returns (nil for the zero time).
func setTime(ts *timestamppb.Timestamp, t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	ts.Seconds, ts.Nanos = t.Unix(), int32(t.Nanosecond())
	return ts
}

func annotationToProto(a *store.Annotation) *factcheckv1.Annotation {
	m := &annotationMessages{}
	p := &m.annotation
	p.Name = a.Name()
	m.quote.Exact, m.quote.Prefix, m.quote.Suffix = a.Anchor.Exact, a.Anchor.Prefix, a.Anchor.Suffix
	m.utf16.Start, m.utf16.End = int32(a.Anchor.UTF16.Start), int32(a.Anchor.UTF16.End)
	m.utf8.Start, m.utf8.End = int32(a.Anchor.UTF8.Start), int32(a.Anchor.UTF8.End)
	p.Anchor = &m.anchor
	p.Anchor.Quote = &m.quote
	p.Anchor.ArticleRevision = a.Anchor.ArticleRevision
	p.Anchor.Status = factcheckv1.Anchor_Status(a.Anchor.Status)
	p.Anchor.Utf16 = &m.utf16
	p.Anchor.Utf8 = &m.utf8
	p.Anchor.MatchScore = a.Anchor.Score
	p.Anchor.FoundText = a.Anchor.FoundText
	p.Claim = &m.claim
	p.Claim.Text = a.Claim.Text
	p.Claim.ClaimTime = timeToProto(a.Claim.ClaimTime)
	p.State = factcheckv1.Annotation_State(a.State)
	p.Labels = cloneLabels(a.Labels)
	p.ExternalId = a.ExternalID
	p.Author = a.Author
	p.CreateTime = setTime(&m.create, a.CreateTime)
	p.UpdateTime = setTime(&m.update, a.UpdateTime)
	p.Etag = a.Etag
	p.RevisionId = revisionID(a.RevisionID)
	p.DeleteTime = timeToProto(a.DeleteTime)
	p.PurgeTime = timeToProto(a.PurgeTime)
	if prev := a.Anchor.Previous; prev != nil {
		p.Anchor.PreviousPosition = &factcheckv1.TextPositionSelector{Start: int32(prev.Start), End: int32(prev.End)}
		p.Anchor.PreviousArticleRevision = a.Anchor.PreviousRevision
	}
	if a.Anchor.HasPosition {
		m.position.Start, m.position.End = int32(a.Anchor.Start), int32(a.Anchor.End)
		p.Anchor.Position = &m.position
	}
	if cl := a.Claim.Claimant; cl != (store.Claimant{}) {
		m.claimant.Name = cl.Name
		m.claimant.Kind = factcheckv1.Claimant_Kind(cl.Kind)
		m.claimant.SameAs = cl.SameAs
		m.claimant.Description = cl.Description
		p.Claim.Claimant = &m.claimant
	}
	if a.Verdict != (store.Verdict{}) {
		m.verdict.Rating = factcheckv1.Rating(a.Verdict.Rating)
		m.verdict.Label = a.Verdict.Label
		m.verdict.Rationale = a.Verdict.Rationale
		p.Verdict = &m.verdict
	}
	if len(a.Citations) > 0 {
		cs := make([]factcheckv1.Citation, len(a.Citations))
		p.Citations = make([]*factcheckv1.Citation, len(a.Citations))
		for i, c := range a.Citations {
			cs[i].Source = store.SourceName(c.SourceID)
			cs[i].Quote = c.Quote
			cs[i].Stance = factcheckv1.Stance(c.Stance)
			cs[i].Note = c.Note
			p.Citations[i] = &cs[i]
		}
	}
	return p
}

// --- revisions ---

// revisionID spells an annotation revision number as the API's opaque
// revision_id; "" for none.
func revisionID(n int32) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(int(n))
}

func articleRevisionToProto(r *store.ArticleRevision, withText bool) *factcheckv1.ArticleRevision {
	p := &factcheckv1.ArticleRevision{
		Name:       r.Name(),
		Revision:   r.Revision,
		TextSha256: r.TextSHA256,
		CreateTime: timeToProto(r.CreateTime),
		Actor:      r.Actor,
	}
	if withText {
		p.Text = r.Text
	}
	return p
}

func annotationRevisionToProto(r *store.AnnotationRevision) *factcheckv1.AnnotationRevision {
	return &factcheckv1.AnnotationRevision{
		Name:               r.Name(),
		RevisionId:         revisionID(r.RevisionID),
		Annotation:         annotationToProto(r.Annotation),
		CreateTime:         timeToProto(r.CreateTime),
		Actor:              r.Actor,
		FieldPaths:         cloneStrings(r.FieldPaths),
		RestoredRevisionId: revisionID(r.RestoredRevisionID),
		Cause:              factcheckv1.AnnotationRevision_Cause(r.Cause),
		Note:               r.Note,
	}
}
