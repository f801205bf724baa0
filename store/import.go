package store

import "fmt"

// ImportRecord is one record of Store.Import: exactly one of Article, Source
// and Annotation is set.
type ImportRecord struct {
	// Article is created as by CreateArticle, unless an article with the
	// same URL exists.
	Article *Article
	// Source is created as by CreateSource, unless a source with the same
	// URL exists.
	Source *Source
	// Annotation is created as by CreateAnnotation, unless it exists (see
	// Store.Import).
	Annotation *AnnotationImport
	// RequestID is the record's idempotency key, or "". A record whose
	// RequestID an earlier Import recorded is reported with the name it got
	// then and not looked at further.
	RequestID string
}

// AnnotationImport is an annotation record of an import. Its parent article
// and its cited sources may be named by URL instead of ID, so that an import
// file can be written without knowing the IDs a server gave them.
type AnnotationImport struct {
	// Annotation is the annotation to create. Annotation.ArticleID names
	// the parent article by ID; it may be "" when ArticleURL is set. When
	// both are set they must name the same article (ErrInvalidArgument,
	// Reason "PARENT_MISMATCH", field "name": it comes from the name the
	// annotation was given).
	Annotation *Annotation
	// ArticleURL names the parent article by its URL, or is "".
	ArticleURL string
	// SourceURLs is nil or has one entry per citation: a non-empty entry
	// names that citation's source by URL, and the citation's SourceID is
	// then ignored.
	SourceURLs []string
	// PositionUnit is the unit of Annotation.Anchor's Start and End (when
	// HasPosition). They are converted to code points against the article's
	// current text before the anchor is resolved; an offset outside the text
	// or inside a code point (half a surrogate pair, a byte inside a UTF-8
	// sequence) fails with ErrInvalidArgument, Reason "INVALID_POSITION",
	// field "anchor.position".
	PositionUnit PositionUnit
}

// ImportOptions says how Store.Import treats failing records.
type ImportOptions struct {
	// AllOrNothing rolls the whole call back when any record fails: the
	// failed records are reported as OutcomeFailed, those that would have
	// been created as OutcomeRolledBack, and existing ones still as
	// OutcomeExisting. Every record is still tried, so that one call reports
	// every failure.
	AllOrNothing bool
	// DryRun does everything, reports it, then rolls back: nothing is
	// written. Generated IDs in the reported names are the ones this run
	// drew; a real run draws others.
	DryRun bool
	// CheckExisting, when set, is asked about every annotation record that
	// matches an annotation already stored (by name, external_id or
	// request_id), with that annotation as stored. A *Error it returns
	// fails the record (OutcomeFailed, and AllOrNothing rolls the call
	// back) instead of reporting it as existing: so a server can refuse to
	// confirm, or name, an annotation its caller may not see. It runs
	// inside the import's write transaction: it must not call the store.
	CheckExisting func(rec *ImportRecord, existing *Annotation) error
}

// Outcome says what Store.Import did with one record.
type Outcome int32

// Outcomes; the numbers are the API's ImportResult.Outcome.
const (
	OutcomeUnspecified Outcome = iota
	// OutcomeCreated: the record was created (or, in a dry run, would be).
	OutcomeCreated
	// OutcomeExisting: the record existed already and was left as it was.
	OutcomeExisting
	// OutcomeFailed: the record failed; nothing of it was written.
	OutcomeFailed
	// OutcomeRolledBack: the record was fine but an AllOrNothing call
	// failed because of another.
	OutcomeRolledBack
)

var outcomeNames = []string{"OUTCOME_UNSPECIFIED", "OUTCOME_CREATED", "OUTCOME_EXISTING", "OUTCOME_FAILED", "OUTCOME_ROLLED_BACK"}

func (o Outcome) String() string { return enumName(outcomeNames, int32(o)) }

// ImportResult is the outcome of one record of Store.Import.
type ImportResult struct {
	Outcome Outcome
	// Name is the resource name of the created or existing record, ""
	// otherwise.
	Name string
	// Err says why the record failed (OutcomeFailed only). Its field paths
	// are relative to the resource of the record (the annotation for an
	// annotation record, e.g. "anchor.position", "citations[0].source").
	Err *Error
}

// ItemError is the error of a batch method whose items are all or nothing
// (CreateAnnotations): Index is the position of the item that failed. Err is
// usually a *Error, so errors.Is and errors.As see through ItemError to the
// sentinel and the details.
type ItemError struct {
	// Collection names the batch argument in the message, e.g.
	// "annotations".
	Collection string
	Index      int
	Err        error
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("%s[%d]: %v", e.Collection, e.Index, e.Err)
}

// Unwrap exposes Err to errors.Is and errors.As.
func (e *ItemError) Unwrap() error { return e.Err }
