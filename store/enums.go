package store

// The enums below share their numbers with the factcheck.v1 API enums, and
// their String names with the API's JSON spelling, which is also how filters
// name them (`state = STATE_PUBLISHED`).

// AnnotationState is where an annotation stands in the editorial workflow.
type AnnotationState int32

// Annotation states.
const (
	StateUnspecified AnnotationState = iota
	StateDraft
	StateInReview
	StatePublished
	StateRetracted
)

var annotationStateNames = []string{"STATE_UNSPECIFIED", "STATE_DRAFT", "STATE_IN_REVIEW", "STATE_PUBLISHED", "STATE_RETRACTED"}

func (s AnnotationState) String() string { return enumName(annotationStateNames, int32(s)) }

// AnchorStatus says whether an anchor still points at its quote.
type AnchorStatus int32

// Anchor statuses.
const (
	StatusUnspecified AnchorStatus = iota
	StatusAnchored
	StatusMoved
	StatusFuzzy
	StatusOrphaned
)

var anchorStatusNames = []string{"STATUS_UNSPECIFIED", "STATUS_ANCHORED", "STATUS_MOVED", "STATUS_FUZZY", "STATUS_ORPHANED"}

func (s AnchorStatus) String() string { return enumName(anchorStatusNames, int32(s)) }

// Rating is a verdict on the shared scale.
type Rating int32

// Ratings.
const (
	RatingUnspecified Rating = iota
	RatingTrue
	RatingMostlyTrue
	RatingMixed
	RatingMostlyFalse
	RatingFalse
	RatingMisleading
	RatingUnproven
)

var ratingNames = []string{"RATING_UNSPECIFIED", "RATING_TRUE", "RATING_MOSTLY_TRUE", "RATING_MIXED", "RATING_MOSTLY_FALSE", "RATING_FALSE", "RATING_MISLEADING", "RATING_UNPROVEN"}

func (r Rating) String() string { return enumName(ratingNames, int32(r)) }

// Stance says how a cited source bears on a claim.
type Stance int32

// Stances.
const (
	StanceUnspecified Stance = iota
	StanceSupports
	StanceRefutes
	StanceContext
)

var stanceNames = []string{"STANCE_UNSPECIFIED", "STANCE_SUPPORTS", "STANCE_REFUTES", "STANCE_CONTEXT"}

func (s Stance) String() string { return enumName(stanceNames, int32(s)) }

// ClaimantKind says whether a claimant is a person or an organisation.
type ClaimantKind int32

// Claimant kinds.
const (
	ClaimantKindUnspecified ClaimantKind = iota
	ClaimantPerson
	ClaimantOrganization
)

var claimantKindNames = []string{"KIND_UNSPECIFIED", "KIND_PERSON", "KIND_ORGANIZATION"}

func (k ClaimantKind) String() string { return enumName(claimantKindNames, int32(k)) }

// SourceKind says what sort of evidence a source is.
type SourceKind int32

// Source kinds.
const (
	SourceKindUnspecified SourceKind = iota
	SourceNewsReport
	SourceOfficialStatement
	SourcePrimaryDocument
	SourceDataset
	SourceInterview
	SourceSocialMedia
	SourceAcademic
	SourceOther
)

var sourceKindNames = []string{"KIND_UNSPECIFIED", "KIND_NEWS_REPORT", "KIND_OFFICIAL_STATEMENT", "KIND_PRIMARY_DOCUMENT", "KIND_DATASET", "KIND_INTERVIEW", "KIND_SOCIAL_MEDIA", "KIND_ACADEMIC", "KIND_OTHER"}

func (k SourceKind) String() string { return enumName(sourceKindNames, int32(k)) }

// PositionUnit is the unit a text offset counts in.
type PositionUnit int32

// Position units. Unspecified means code points, the API's unit.
const (
	PositionUnitUnspecified PositionUnit = iota
	PositionUnitCodePoint
	PositionUnitUTF16
	PositionUnitUTF8
)

var positionUnitNames = []string{"POSITION_UNIT_UNSPECIFIED", "POSITION_UNIT_CODE_POINT", "POSITION_UNIT_UTF16", "POSITION_UNIT_UTF8"}

func (u PositionUnit) String() string { return enumName(positionUnitNames, int32(u)) }

func enumName(names []string, v int32) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return names[0]
}
