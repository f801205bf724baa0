package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/factcheck/factcheck/store/filter"
)

// Reviewer is someone who may call the server. The store keeps reviewers and
// their tokens; what a role may do is the server's business.
type Reviewer struct {
	ID          string
	DisplayName string
	Email       string // unique among reviewers when not empty
	Role        Role
	Disabled    bool

	// Output only: set by the store.
	CreateTime time.Time
	UpdateTime time.Time
	Etag       string
}

// Name returns "reviewers/{id}".
func (r *Reviewer) Name() string { return ReviewerName(r.ID) }

// ReviewerName returns "reviewers/{id}".
func ReviewerName(id string) string { return "reviewers/" + id }

// Role says what a reviewer may do; each role includes the ones before it.
// The numbers are the API's Reviewer.Role.
type Role int32

// Roles.
const (
	RoleUnspecified Role = iota
	RoleViewer
	RoleReviewer
	RoleEditor
	RoleAdmin
)

var roleNames = []string{"ROLE_UNSPECIFIED", "ROLE_VIEWER", "ROLE_REVIEWER", "ROLE_EDITOR", "ROLE_ADMIN"}

func (r Role) String() string { return enumName(roleNames, int32(r)) }

// Token is an access token of a reviewer. The store keeps the SHA-256 of its
// secret, never the secret.
type Token struct {
	ID         string
	ReviewerID string
	// DisplayName says what the token is for.
	DisplayName string
	// SecretHash is sha256(secret), 32 bytes; unique among tokens.
	SecretHash []byte
	// ExpireTime is when the token stops working; zero means never.
	ExpireTime time.Time

	// Output only: set by the store.
	CreateTime time.Time
	// RevokeTime is when RevokeToken revoked it; zero while it is not.
	RevokeTime time.Time
}

// Name returns "reviewers/{reviewer}/tokens/{id}".
func (t *Token) Name() string { return TokenName(t.ReviewerID, t.ID) }

// TokenName returns "reviewers/{reviewer}/tokens/{id}".
func TokenName(reviewerID, id string) string { return ReviewerName(reviewerID) + "/tokens/" + id }

// WriteInfo says who makes a write, through which call and why. The server
// puts it in the context of every write; the store records it in what the
// write leaves behind: Annotation.Author of a created annotation, the Actor of
// revisions and changes, the Note of annotation revisions, and the audit
// entries. A write without one is recorded with empty fields.
type WriteInfo struct {
	// Actor is "reviewers/{id}", or "system/{task}" for the server's own work.
	Actor string
	// Method is the full gRPC method, "/factcheck.v1.ArticleService/CreateArticle".
	Method string
	// RequestID is the call's x-request-id.
	RequestID string
	// Note is a correction note, or why an annotation was returned or
	// retracted; kept in the annotation revisions and audit entries the write
	// makes.
	Note string
}

type writeInfoKey struct{}

// WithWriteInfo returns ctx carrying w for the store's write methods.
func WithWriteInfo(ctx context.Context, w WriteInfo) context.Context {
	return context.WithValue(ctx, writeInfoKey{}, w)
}

// WriteInfoFrom returns the WriteInfo of ctx (the zero value when it has none).
func WriteInfoFrom(ctx context.Context) WriteInfo {
	w, _ := ctx.Value(writeInfoKey{}).(WriteInfo)
	return w
}

// AuditEntry records one resource written by one call. Entries form a hash
// chain: each carries the Hash of the one before it, and its own Hash is
// AuditHash(PrevHash, entry).
type AuditEntry struct {
	// Sequence numbers the log from 1, without gaps.
	Sequence   int64
	Time       time.Time
	Actor      string
	Method     string
	Resource   string
	FieldPaths []string
	RequestID  string
	Note       string
	// PrevHash is the previous entry's Hash; 32 zero bytes for the first.
	PrevHash []byte
	// Hash is AuditHash(PrevHash, e).
	Hash []byte
}

// Name returns "auditEntries/{sequence}".
func (e *AuditEntry) Name() string { return AuditEntryName(e.Sequence) }

// AuditEntryName returns "auditEntries/{sequence}".
func AuditEntryName(seq int64) string { return "auditEntries/" + strconv.FormatInt(seq, 10) }

// AuditHash returns the SHA-256 that chains e to the entry before it:
// the hash of prev followed by e's fields in a fixed order — Sequence as 8
// big-endian bytes, Time as Unix nanoseconds in 8 big-endian bytes, then
// Actor, Method, Resource, RequestID and Note, each as a uvarint length and
// its bytes, then the number of FieldPaths as a uvarint and each path as a
// uvarint length and its bytes. Lengths make the encoding unambiguous, so no
// two different entries hash the same bytes.
func AuditHash(prev []byte, e *AuditEntry) []byte {
	// One buffer and sha256.Sum256 rather than a hash.Hash fed piece by
	// piece: every write appends an entry, and each Write through the
	// interface copied its string to the heap. The bytes hashed are the
	// same.
	var stack [512]byte
	b := append(stack[:0], prev...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Sequence))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	for _, s := range [...]string{e.Actor, e.Method, e.Resource, e.RequestID, e.Note} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(e.FieldPaths)))
	for _, p := range e.FieldPaths {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

// AuditVerification is what VerifyAuditLog found.
type AuditVerification struct {
	// Checked is how many entries were read and found sound: all of them
	// when the chain is whole.
	Checked int64
	// FirstBroken is the sequence of the first entry that does not match
	// (0 when the chain is whole); Problem says in words what is wrong.
	FirstBroken int64
	Problem     string
	// HeadHash is the Hash of the last sound entry: of the last entry when
	// the chain is whole (nil for an empty log).
	HeadHash []byte
}

// Access is the part of a Store that keeps reviewers, tokens and the audit
// log. Writes here record audit entries as every write does; they record no
// changes (the change feed is about content).
type Access interface {
	// CreateReviewer stores r. ErrAlreadyExists when the ID (Reason
	// "REVIEWER_ALREADY_EXISTS") or the email (Reason "EMAIL_ALREADY_EXISTS")
	// is taken.
	CreateReviewer(ctx context.Context, r *Reviewer) (*Reviewer, error)
	// GetReviewer returns a reviewer; ErrNotFound (Reason
	// "REVIEWER_NOT_FOUND") when there is none.
	GetReviewer(ctx context.Context, id string) (*Reviewer, error)
	// ListReviewers returns a page of reviewers matching q (filtered against
	// ReviewerFilterSchema), in creation order. q.OrderBy and q.ShowDeleted
	// are ignored.
	ListReviewers(ctx context.Context, q ListQuery) ([]*Reviewer, string, error)
	// UpdateReviewer calls update as UpdateArticle does and stores the
	// result; the email stays unique. ErrNotFound, ErrConflict as usual.
	UpdateReviewer(ctx context.Context, id, etag string, update func(*Reviewer) error) (*Reviewer, error)
	// BootstrapReviewer creates r and t (a token of r, whatever
	// t.ReviewerID says) in one transaction if and only if no reviewer
	// exists yet, and says whether it did; a server uses it to make its
	// first admin. r and t are left as given: LookupToken(t.SecretHash)
	// reads what was created (generated IDs included).
	BootstrapReviewer(ctx context.Context, r *Reviewer, t *Token) (bool, error)

	// CreateToken stores t for the reviewer t.ReviewerID (ErrNotFound, Reason
	// "REVIEWER_NOT_FOUND"); an empty ID is generated. A SecretHash that
	// another token has fails with ErrAlreadyExists (Reason
	// "TOKEN_ALREADY_EXISTS"), as does an ID another token of the reviewer
	// has; one that is not 32 bytes fails with ErrInvalidArgument (Reason
	// "INVALID_SECRET_HASH", field "secret_hash").
	CreateToken(ctx context.Context, t *Token) (*Token, error)
	// ListTokens returns a page of a reviewer's tokens in creation order
	// (ErrNotFound for a missing reviewer). q.Filter, OrderBy and
	// ShowDeleted are ignored.
	ListTokens(ctx context.Context, reviewerID string, q ListQuery) ([]*Token, string, error)
	// RevokeToken sets the token's RevokeTime and returns it. ErrNotFound
	// (Reason "TOKEN_NOT_FOUND"); a revoked token fails with
	// ErrFailedPrecondition (Reason "TOKEN_REVOKED").
	RevokeToken(ctx context.Context, reviewerID, id string) (*Token, error)
	// LookupToken returns the token whose SecretHash is secretHash and its
	// reviewer, whatever their state (revoked, expired, disabled: the caller
	// decides); ErrNotFound when no token has it.
	LookupToken(ctx context.Context, secretHash []byte) (*Token, *Reviewer, error)

	// ListAuditEntries returns a page of audit entries matching q (filtered
	// against AuditFilterSchema), in sequence order (q.OrderBy.Desc: newest
	// first; its Field is ignored).
	//
	// Every write method of the Store appends, in its own transaction, one
	// entry for every change it records (same Resource, Time and FieldPaths),
	// and the writes of Access one each; the entry carries the WriteInfo of
	// the write's context. A failed or dry-run write appends none.
	ListAuditEntries(ctx context.Context, q ListQuery) ([]*AuditEntry, string, error)
	// VerifyAuditLog reads the whole log, checking that sequences run from
	// 1 without gaps, that each entry's PrevHash is the Hash of the one
	// before it and its Hash is AuditHash of its fields, and that the last
	// entry is the head the store recorded (so removing entries from the end
	// is found too). It reads in short transactions, so writes go on.
	VerifyAuditLog(ctx context.Context) (AuditVerification, error)
}

// The filter schemas of the Access lists.
var (
	ReviewerFilterSchema = filter.Schema{
		"role": {Type: filter.Enum, Values: roleNames[1:]},
		// The filter language has no booleans; `disabled = true` reads as
		// an enum value.
		"disabled":     {Type: filter.Enum, Values: []string{"false", "true"}},
		"email":        {Type: filter.String},
		"display_name": {Type: filter.String},
		"create_time":  {Type: filter.Timestamp},
	}
	AuditFilterSchema = filter.Schema{
		"actor":       {Type: filter.String},
		"method":      {Type: filter.String},
		"resource":    {Type: filter.String},
		"request_id":  {Type: filter.String},
		"create_time": {Type: filter.Timestamp},
	}
)

// FilterStrings implements filter.Record.
func (r *Reviewer) FilterStrings(field, _ string) []string {
	switch field {
	case "role":
		return []string{r.Role.String()}
	case "disabled":
		return []string{strconv.FormatBool(r.Disabled)}
	case "email":
		return []string{r.Email}
	case "display_name":
		return []string{r.DisplayName}
	}
	return nil
}

// FilterTime implements filter.Record.
func (r *Reviewer) FilterTime(field string) (time.Time, bool) {
	if field == "create_time" {
		return r.CreateTime, true
	}
	return time.Time{}, false
}

// FilterStrings implements filter.Record.
func (e *AuditEntry) FilterStrings(field, _ string) []string {
	switch field {
	case "actor":
		return []string{e.Actor}
	case "method":
		return []string{e.Method}
	case "resource":
		return []string{e.Resource}
	case "request_id":
		return []string{e.RequestID}
	}
	return nil
}

// FilterTime implements filter.Record: create_time is the entry's Time.
func (e *AuditEntry) FilterTime(field string) (time.Time, bool) {
	if field == "create_time" {
		return e.Time, true
	}
	return time.Time{}, false
}

var (
	_ filter.Record = (*Reviewer)(nil)
	_ filter.Record = (*AuditEntry)(nil)
)
