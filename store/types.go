package store

import (
	"strconv"
	"time"
)

// Article is a stored article. Times are UTC; a zero time means unset.
type Article struct {
	ID          string
	URL         string
	Title       string
	Publisher   string
	Authors     []string
	Language    string
	PublishTime time.Time
	// Text is what annotations anchor into; offsets count Unicode code points.
	Text   string
	Labels map[string]string

	// Output only: set by the store.
	Revision   int32 // 1 at creation, +1 each time Text changes
	TextSHA256 string
	CreateTime time.Time
	UpdateTime time.Time
	Etag       string
	// DeleteTime and PurgeTime are set while the article is soft-deleted
	// (zero otherwise); PurgeTime is when it will be removed for good.
	DeleteTime time.Time
	PurgeTime  time.Time
}

// Name returns the article's resource name, "articles/{id}".
func (a *Article) Name() string { return ArticleName(a.ID) }

// ArticleName returns "articles/{id}".
func ArticleName(id string) string { return "articles/" + id }

// Annotation is a stored claim annotation of one article.
type Annotation struct {
	ID         string
	ArticleID  string
	Anchor     Anchor
	Claim      Claim
	Verdict    Verdict
	Citations  []Citation
	State      AnnotationState
	Labels     map[string]string
	ExternalID string

	// Output only: set by the store.
	Author     string
	CreateTime time.Time
	UpdateTime time.Time
	Etag       string
	// RevisionID is the annotation revision this state is (1 at creation,
	// +1 with every write, re-anchoring and rollback included).
	RevisionID int32
	// DeleteTime and PurgeTime are set while the annotation is soft-deleted
	// (zero otherwise); PurgeTime is when it will be removed for good.
	DeleteTime time.Time
	PurgeTime  time.Time
}

// Name returns "articles/{article}/annotations/{id}".
func (a *Annotation) Name() string { return AnnotationName(a.ArticleID, a.ID) }

// AnnotationName returns "articles/{article}/annotations/{id}".
func AnnotationName(articleID, id string) string {
	return "articles/" + articleID + "/annotations/" + id
}

// Anchor locates an annotation's span in its article's text.
type Anchor struct {
	Exact  string
	Prefix string
	Suffix string
	// HasPosition says whether Start and End were given. On input, without a
	// position the store locates Exact in the text; with one it checks it.
	// Stored anchors always have a position.
	HasPosition bool
	Start, End  int // Unicode code points, [Start, End)

	// Output only: set by the store.
	ArticleRevision int32
	Status          AnchorStatus
	UTF16           Span // the same span in UTF-16 code units
	UTF8            Span // the same span in UTF-8 bytes
	// Set by re-anchoring after a text change. Previous is the span in
	// code points of PreviousRevision the anchor had before that change,
	// when it is StatusMoved or StatusFuzzy (nil otherwise). Score is the
	// match score of StatusFuzzy (anchor.FuzzyThreshold or more) or the
	// best score below the threshold of StatusOrphaned. FoundText is what
	// the text says at [Start, End) when StatusFuzzy: the words Exact
	// became.
	Previous         *Span
	PreviousRevision int32
	Score            float64
	FoundText        string
}

// Span is a half-open range [Start, End).
type Span struct{ Start, End int }

// Claim is the checkable statement made at an anchor.
type Claim struct {
	Text      string
	Claimant  Claimant
	ClaimTime time.Time
}

// Claimant is who made a claim.
type Claimant struct {
	Name        string
	Kind        ClaimantKind
	SameAs      string
	Description string
}

// Verdict is the newsroom's assessment of a claim.
type Verdict struct {
	Rating    Rating
	Label     string
	Rationale string
}

// Citation is one piece of evidence; SourceID names an existing Source.
type Citation struct {
	SourceID string
	Quote    string
	Stance   Stance
	Note     string
}

// Source is a stored piece of evidence.
type Source struct {
	ID          string
	URL         string
	Title       string
	Publisher   string
	Authors     []string
	Kind        SourceKind
	PublishTime time.Time
	ArchiveURL  string
	AccessTime  time.Time
	Notes       string

	// Output only: set by the store.
	CreateTime time.Time
	UpdateTime time.Time
	Etag       string
	// DeleteTime and PurgeTime are set while the source is soft-deleted
	// (zero otherwise); PurgeTime is when it will be removed for good.
	DeleteTime time.Time
	PurgeTime  time.Time
}

// Name returns "sources/{id}".
func (s *Source) Name() string { return SourceName(s.ID) }

// SourceName returns "sources/{id}".
func SourceName(id string) string { return "sources/" + id }

// ArticleRevision is one text of an article, kept for good: revision 1 is
// the text it was created with, and every change of Text adds the next.
type ArticleRevision struct {
	ArticleID  string
	Revision   int32
	Text       string
	TextSHA256 string
	// CreateTime is when the text became current.
	CreateTime time.Time
	// Actor is who made the change (WriteInfo.Actor of the write).
	Actor string
}

// Name returns "articles/{article}/revisions/{revision}".
func (r *ArticleRevision) Name() string {
	return ArticleName(r.ArticleID) + "/revisions/" + strconv.Itoa(int(r.Revision))
}

// AnnotationRevision is an annotation as one write left it (AIP-162).
type AnnotationRevision struct {
	// RevisionID numbers the annotation's revisions from 1, without gaps.
	RevisionID int32
	// Annotation is the snapshot; its RevisionID is the one above.
	Annotation *Annotation
	// CreateTime is when the write happened.
	CreateTime time.Time
	// Actor is who wrote (WriteInfo.Actor of the write; for re-anchoring,
	// of the article update that caused it).
	Actor string
	// Note is WriteInfo.Note of the write: a correction note, why the
	// annotation was returned or retracted.
	Note string
	// FieldPaths are the API field paths (e.g. "verdict.rating",
	// "anchor.position") that differ from the previous revision; empty for
	// the first.
	FieldPaths []string
	// RestoredRevisionID is, for a rollback, the revision whose content it
	// restored; 0 otherwise.
	RestoredRevisionID int32
	// Cause says what made the revision.
	Cause RevisionCause
}

// Name returns "articles/{article}/annotations/{id}/revisions/{revision_id}".
func (r *AnnotationRevision) Name() string {
	return AnnotationRevisionName(r.Annotation.ArticleID, r.Annotation.ID, r.RevisionID)
}

// AnnotationRevisionName returns
// "articles/{article}/annotations/{id}/revisions/{revision_id}".
func AnnotationRevisionName(articleID, id string, revisionID int32) string {
	return AnnotationName(articleID, id) + "/revisions/" + strconv.Itoa(int(revisionID))
}

// ArticleRevisionName returns "articles/{article}/revisions/{revision}".
func ArticleRevisionName(articleID string, revision int32) string {
	return ArticleName(articleID) + "/revisions/" + strconv.Itoa(int(revision))
}

// RevisionCause says what made an annotation revision.
type RevisionCause int32

// Revision causes. Migrated marks the first revision recorded for an
// annotation that existed before history was kept.
const (
	CauseUnspecified RevisionCause = iota
	CauseCreate
	CauseUpdate
	CauseReanchor
	CauseRollback
	CauseMigrated
)

var revisionCauseNames = []string{"CAUSE_UNSPECIFIED", "CAUSE_CREATE", "CAUSE_UPDATE", "CAUSE_REANCHOR", "CAUSE_ROLLBACK", "CAUSE_MIGRATED"}

func (c RevisionCause) String() string { return enumName(revisionCauseNames, int32(c)) }

// RevisionQuery selects one page of a list of revisions.
type RevisionQuery struct {
	// PageSize is the number of revisions wanted, at least 1.
	PageSize int
	// PageToken is a NextPageToken of the same list with the same order,
	// or "" for the first page.
	PageToken string
	// OldestFirst lists revisions in ascending order; the default is newest
	// first (AIP-162).
	OldestFirst bool
	// OmitText leaves ArticleRevision.Text empty (TextSHA256 stays), so a
	// page of revisions of a long article costs no more than its metadata.
	OmitText bool
}
