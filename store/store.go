package store

import (
	"context"
	"time"

	"github.com/factcheck/factcheck/store/filter"
)

// Store persists articles, annotations and sources. Every backend passes
// store/storetest, which pins the promises written here.
//
// Atomicity: each method is one transaction; it either happens completely or
// not at all, and once it returns without error the write is durable (it
// survives a killed process).
//
// Output-only fields (ID when empty, Revision, TextSHA256, Author,
// CreateTime, UpdateTime, Etag and the computed parts of Anchor) are set by
// the store; values the caller puts there are ignored. Returned values are the
// caller's to keep and modify. Times are UTC with nanosecond precision.
//
// IDs: a caller may choose an ID (validated by the caller); an empty ID makes
// the store generate one that sorts by creation time. Annotation IDs are
// unique within their article.
//
// Errors: every error other than context errors and I/O failures is a *Error
// whose Kind is one of the sentinel errors, so errors.Is and errors.As both
// work.
//
// Etags: every write gives the record a new Etag. Update and Delete methods
// take the caller's etag; an empty one means unconditional, a different one
// fails with ErrConflict (Reason "ETAG_MISMATCH").
//
// Lists return records in the order of the query (creation order by
// default), pages of exactly PageSize items unless the end is reached, and a
// NextPageToken that is empty exactly when no more records match. Paging is
// keyset-based: records created or deleted between pages are neither skipped
// nor repeated among those that existed throughout.
//
// Soft delete (AIP-164): Delete methods do not remove a resource. They set
// its DeleteTime (now) and PurgeTime (now plus the backend's retention, 30
// days by default) and a new etag; until Purge removes it:
//   - Get returns it, with DeleteTime set; Lists leave it out unless
//     ListQuery.ShowDeleted;
//   - its ID, URL and ExternalID stay taken (ErrAlreadyExists names it,
//     so the caller can undelete it or wait for the purge), and its
//     revisions are kept;
//   - writes to it (Update, Rollback, a second Delete, creating an
//     annotation of a deleted article, citing a deleted source) fail:
//     ErrFailedPrecondition with Reason "ARTICLE_DELETED",
//     "ANNOTATION_DELETED", "SOURCE_DELETED" or "ALREADY_DELETED" — except
//     citing a deleted source, which is ErrInvalidArgument (Reason
//     "SOURCE_DELETED", field "citations[i].source") like citing a missing
//     one;
//   - Undelete restores it (etag honoured) and returns it; undeleting a
//     live resource fails with ErrFailedPrecondition (Reason
//     "NOT_DELETED").
//
// Deletes record ChangeDeleted, undeletes ChangeUndeleted and purges
// ChangePurged, one per resource.
type Store interface {
	// Access keeps reviewers, tokens and the audit log.
	Access

	// CreateArticle stores a. ErrAlreadyExists when the ID (Reason
	// "ARTICLE_ALREADY_EXISTS") or the URL (Reason "URL_ALREADY_EXISTS") is
	// taken.
	CreateArticle(ctx context.Context, a *Article) (*Article, error)
	// GetArticle returns an article; ErrNotFound when there is none.
	GetArticle(ctx context.Context, id string) (*Article, error)
	// ListArticles returns a page of articles matching q.
	ListArticles(ctx context.Context, q ListQuery) ([]*Article, string, error)
	// UpdateArticle calls update with the current article inside the write
	// transaction (it may be called more than once and must only modify its
	// argument) and stores the result. The URL stays unique
	// (ErrAlreadyExists). ErrNotFound, ErrConflict as above.
	//
	// A changed Text bumps Revision, keeps the new text as an
	// ArticleRevision, and re-anchors every annotation of the article in the
	// same transaction with anchor.Edit (its doc says how each status is
	// decided; Status is stored as anchor.Reanchor gives it):
	//   - StatusAnchored and StatusMoved: Start/End, UTF16, UTF8 and the
	//     Prefix/Suffix context are those of the new text; Moved keeps the
	//     old span in Previous.
	//   - StatusFuzzy: the new span, with Previous, Score and FoundText;
	//     Exact and its context stay as annotated.
	//   - StatusOrphaned: everything stays, ArticleRevision included (the
	//     span points into that revision); Score is the best one found.
	// Located anchors get ArticleRevision = the new revision. Every
	// annotation whose anchor changed gets a new revision (Cause
	// CauseReanchor) and etag; an orphan that stays an orphan is not
	// written.
	UpdateArticle(ctx context.Context, id, etag string, update func(*Article) error) (*Article, error)
	// DeleteArticle soft-deletes an article (see Soft delete above). If it
	// has live annotations and force is false it fails with
	// ErrFailedPrecondition (Reason "ARTICLE_HAS_ANNOTATIONS"); with force
	// they are soft-deleted in the same transaction (their ChangeDeleted
	// come before the article's), and UndeleteArticle restores exactly
	// those. A deleted article has no live annotations.
	DeleteArticle(ctx context.Context, id, etag string, force bool) error
	// UndeleteArticle restores a deleted article and the annotations its
	// forced delete deleted. ErrFailedPrecondition (Reason
	// "SOURCE_DELETED" or "SOURCE_NOT_FOUND") when one of those cites a
	// source deleted or purged since.
	UndeleteArticle(ctx context.Context, id, etag string) (*Article, error)
	// ListArticleRevisions returns a page of the article's text revisions,
	// newest first unless q.OldestFirst. ErrNotFound for a missing article.
	ListArticleRevisions(ctx context.Context, articleID string, q RevisionQuery) ([]*ArticleRevision, string, error)
	// GetArticleRevision returns one text revision; ErrNotFound (Reason
	// "ARTICLE_NOT_FOUND" or "REVISION_NOT_FOUND") when there is none.
	GetArticleRevision(ctx context.Context, articleID string, revision int32) (*ArticleRevision, error)

	// CreateAnnotation stores a as an annotation of a.ArticleID. The article
	// must exist (ErrNotFound). The anchor is resolved against the article's
	// current text with anchor.Resolve: errors come back as ErrInvalidArgument
	// with the anchor package's reason and field. Each citation must name an
	// existing source (ErrInvalidArgument, Reason "SOURCE_NOT_FOUND", field
	// "citations[i].source"). ExternalID, when set, must be unique
	// (ErrAlreadyExists, Reason "EXTERNAL_ID_ALREADY_EXISTS"). State
	// defaults to StateDraft. Anchor.Status becomes StatusAnchored and
	// Anchor.ArticleRevision the article's revision.
	CreateAnnotation(ctx context.Context, a *Annotation) (*Annotation, error)
	// CreateAnnotations creates every annotation of anns as CreateAnnotation
	// does, in one transaction: all of them or, when one fails, none. The
	// error of a failing annotation is an *ItemError (Collection
	// "annotations") whose Index says which, wrapping the error
	// CreateAnnotation would have returned. Annotations may belong to
	// different articles; later ones see earlier ones (a repeated
	// ExternalID fails the later one).
	CreateAnnotations(ctx context.Context, anns []*Annotation) ([]*Annotation, error)
	// GetAnnotation returns an annotation; ErrNotFound when the article or the
	// annotation does not exist.
	GetAnnotation(ctx context.Context, articleID, id string) (*Annotation, error)
	// ListAnnotations returns a page of annotations of one article, or of all
	// articles when articleID is "". ErrNotFound when the article does not
	// exist.
	ListAnnotations(ctx context.Context, articleID string, q ListQuery) ([]*Annotation, string, error)
	// UpdateAnnotation calls update as UpdateArticle does. When the anchor's
	// input fields (Exact, Prefix, Suffix, HasPosition, Start, End) changed,
	// the anchor is resolved again against the article's current text.
	// Citations and ExternalID are checked as in CreateAnnotation.
	UpdateAnnotation(ctx context.Context, articleID, id, etag string, update func(*Annotation) error) (*Annotation, error)
	// DeleteAnnotation soft-deletes an annotation (see Soft delete above).
	DeleteAnnotation(ctx context.Context, articleID, id, etag string) error
	// UndeleteAnnotation restores a deleted annotation. ErrFailedPrecondition
	// with Reason "ARTICLE_DELETED" when its article is deleted (undelete
	// the article), "SOURCE_DELETED" or "SOURCE_NOT_FOUND" when it cites a
	// source deleted or purged since.
	UndeleteAnnotation(ctx context.Context, articleID, id, etag string) (*Annotation, error)
	// ListAnnotationRevisions returns a page of an annotation's revisions,
	// newest first unless q.OldestFirst. Every write of an annotation adds
	// one (create, update, re-anchoring, rollback), numbered from 1 without
	// gaps; the annotation's RevisionID is its latest. ErrNotFound for a
	// missing article or annotation.
	ListAnnotationRevisions(ctx context.Context, articleID, id string, q RevisionQuery) ([]*AnnotationRevision, string, error)
	// GetAnnotationRevision returns one revision; ErrNotFound (Reason
	// "REVISION_NOT_FOUND" when only the revision is missing).
	GetAnnotationRevision(ctx context.Context, articleID, id string, revisionID int32) (*AnnotationRevision, error)
	// RollbackAnnotation restores the content of revision revisionID (anchor
	// quote and position, claim, verdict, citations, state, labels,
	// external_id) as a new revision (Cause CauseRollback,
	// RestoredRevisionID set) and returns the annotation. The restored
	// anchor is carried from the article revision it pointed into to the
	// current text as re-anchoring would; unless that finds the quote
	// verbatim (StatusAnchored or StatusMoved) it fails with
	// ErrFailedPrecondition (Reason "QUOTE_NOT_IN_TEXT"). A cited source
	// deleted since fails with ErrFailedPrecondition (Reason
	// "SOURCE_NOT_FOUND"), an external_id taken since with
	// ErrAlreadyExists. ErrNotFound, ErrConflict as for updates.
	RollbackAnnotation(ctx context.Context, articleID, id string, revisionID int32, etag string) (*Annotation, error)

	// CreateSource stores s. ErrAlreadyExists for a taken ID (Reason
	// "SOURCE_ALREADY_EXISTS") or URL (Reason "URL_ALREADY_EXISTS").
	CreateSource(ctx context.Context, s *Source) (*Source, error)
	// GetSource returns a source; ErrNotFound when there is none.
	GetSource(ctx context.Context, id string) (*Source, error)
	// ListSources returns a page of sources matching q.
	ListSources(ctx context.Context, q ListQuery) ([]*Source, string, error)
	// UpdateSource calls update as UpdateArticle does.
	UpdateSource(ctx context.Context, id, etag string, update func(*Source) error) (*Source, error)
	// DeleteSource soft-deletes a source (see Soft delete above). A source
	// cited by a live annotation fails with ErrFailedPrecondition (Reason
	// "SOURCE_IN_USE") whose Preconditions name the citing annotations (at
	// most 100); deleted annotations do not hold it.
	DeleteSource(ctx context.Context, id, etag string) error
	// UndeleteSource restores a deleted source.
	UndeleteSource(ctx context.Context, id, etag string) (*Source, error)

	// Purge removes for good every deleted resource whose PurgeTime is at
	// or before before: the record, its revisions, its indexes and its
	// unique values (which become free), recording one ChangePurged each.
	// Purging an article purges the annotations it still has. It works in
	// transactions of bounded size, so a large backlog does not hold up
	// other writes, and returns how many resources it purged (those of
	// committed transactions when it fails).
	Purge(ctx context.Context, before time.Time) (int, error)

	// Import applies records in order in one transaction and returns one
	// ImportResult per record, in the same order. It is the commit step of a
	// bulk import, which splits a long stream into chunks of hundreds to
	// thousands of records; a record may refer to one earlier in the same
	// call (an article or a source by ID or URL) as to any committed one.
	//
	// Each record, in this order of checks:
	//   - RequestID recorded by an earlier record (committed, or earlier in
	//     this call) → OutcomeExisting with the name recorded, whatever the
	//     record holds now. The mapping outlives the resource: a re-run after
	//     a delete does not bring it back.
	//   - An article or source whose URL is taken → OutcomeExisting with the
	//     holder's name; nothing is compared or updated. Otherwise it is
	//     created as by CreateArticle or CreateSource, with their errors.
	//   - An annotation: the parent is resolved by ID and/or URL
	//     (ErrNotFound, Reason "ARTICLE_NOT_FOUND"). A taken ExternalID, or
	//     an ID that the parent already holds, → OutcomeExisting with the
	//     holder's name. Otherwise citations are resolved by ID or URL
	//     (ErrInvalidArgument, Reason "SOURCE_NOT_FOUND", field
	//     "citations[i].source"), the position is converted from
	//     PositionUnit, and the annotation is created as by CreateAnnotation,
	//     with its errors.
	//   - A record with RequestID that ends created or existing records
	//     RequestID → its name.
	//
	// A record that fails gets OutcomeFailed and a *Error, and writes
	// nothing at all: every check runs before the first write. The others
	// are committed together, unless opts say otherwise (AllOrNothing,
	// DryRun). Records with no or several of Article, Source and Annotation
	// fail with ErrInvalidArgument, Reason "INVALID_RECORD".
	//
	// The error is for the call as a whole (a done context, I/O): then
	// nothing was written and there are no results. A context that ends
	// during the call rolls it back.
	Import(ctx context.Context, records []ImportRecord, opts ImportOptions) ([]ImportResult, error)

	// ListChanges reads the change feed: up to limit (at least 1) changes
	// with a sequence above after that match f (nil matches all; parsed
	// against ChangeFilterSchema), in sequence order.
	//
	// The feed records, in the transaction of each write, one Change per
	// resource written: ChangeCreated for every created article, source and
	// annotation (CreateAnnotations and Import included, one per created
	// record; none for a record that fails or exists); ChangeUpdated for
	// every update; ChangeDeleted for every delete, one per annotation a
	// forced DeleteArticle removes, before the article's; and a change per
	// annotation a text change re-anchors (ChangeReanchored,
	// ChangeClaimTextChanged or ChangeUpdated). A failed, rolled-back or dry
	// run write records none. Sequences are consecutive from 1, so a
	// reader that resumes after the last sequence it saw misses nothing and
	// sees nothing twice.
	//
	// To keep each read short, a call may stop early (fewer than limit
	// changes, Next < Head); call again with after = Next. When it returns
	// limit changes it looks ahead so that Next == Head when no further
	// change matches.
	ListChanges(ctx context.Context, after int64, f filter.Expr, limit int) (ChangePage, error)
	// ChangeNotify returns the newest committed sequence (0 when none) and
	// a channel closed once a newer change is committed, at the latest when
	// the write method that committed it returns, or when the store closes.
	// Every caller between two commits shares one channel, so any number
	// of watchers waiting for changes costs the writers one close.
	ChangeNotify() (head int64, changed <-chan struct{})

	// Close releases the store. Calls after Close fail.
	Close() error
}

// ListQuery selects and orders one page of a List method.
type ListQuery struct {
	// Filter restricts the results; nil matches everything. It is parsed
	// against the resource's schema (ArticleFilterSchema and friends).
	Filter filter.Expr
	// OrderBy is the sort order; the zero value is creation order, oldest
	// first.
	OrderBy OrderBy
	// PageSize is the number of records wanted, at least 1 (callers apply
	// defaults and limits).
	PageSize int
	// ShowDeleted includes soft-deleted records (AIP-164).
	ShowDeleted bool
	// PageToken is a NextPageToken returned by the same List method with the
	// same query, or "" for the first page. A token the backend cannot read
	// fails with ErrInvalidArgument (Reason "INVALID_PAGE_TOKEN").
	PageToken string
}

// OrderBy is the sort order of a List.
type OrderBy struct {
	Field OrderField
	Desc  bool
}

// OrderField is a field a List can be ordered by. Ties are broken by
// creation order; Desc reverses both, so descending ties come newest first.
type OrderField int

// Order fields.
const (
	OrderByCreateTime OrderField = iota
	OrderByUpdateTime
)
