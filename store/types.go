package store

import "time"

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
}

// Name returns "sources/{id}".
func (s *Source) Name() string { return SourceName(s.ID) }

// SourceName returns "sources/{id}".
func SourceName(id string) string { return "sources/" + id }
