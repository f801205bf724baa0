package boltstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
	"github.com/factcheck/factcheck/store/filter"
)

// Reviewers and tokens (added in schema 7). They are records like the others: a
// records bucket keyed by NextSequence, with derived ID, unique and index
// buckets that insert and save keep, RebuildIndexes rebuilds and Check
// verifies. They are never deleted (a reviewer is disabled, a token
// revoked), so they have no soft-delete buckets, and they record audit
// entries but no changes.

const (
	reviewerPrefix = 'r'
	tokenPrefix    = 't'
)

// The fields an audit entry of a reviewer or token write names. A token's
// secret hash is left out: the log is read by people the secret is not for.
var (
	reviewerPaths = identityPaths("display_name", "email", "role", "disabled")
	tokenPaths    = identityPaths("display_name", "expire_time", "revoke_time")
)

func reviewerRecord(r *store.Reviewer) *recordpb.Reviewer {
	return &recordpb.Reviewer{
		Id:          r.ID,
		DisplayName: r.DisplayName,
		Email:       r.Email,
		Role:        int32(r.Role),
		Disabled:    r.Disabled,
		CreateTime:  timestamp(r.CreateTime),
		UpdateTime:  timestamp(r.UpdateTime),
		Etag:        r.Etag,
	}
}

func reviewerFromRecord(r *recordpb.Reviewer) *store.Reviewer {
	return &store.Reviewer{
		ID:          r.Id,
		DisplayName: r.DisplayName,
		Email:       r.Email,
		Role:        store.Role(r.Role),
		Disabled:    r.Disabled,
		CreateTime:  fromTimestamp(r.CreateTime),
		UpdateTime:  fromTimestamp(r.UpdateTime),
		Etag:        r.Etag,
	}
}

func tokenFromRecord(r *recordpb.Token) *store.Token {
	return &store.Token{
		ID:          r.Id,
		ReviewerID:  r.ReviewerId,
		DisplayName: r.DisplayName,
		SecretHash:  clone(r.SecretHash),
		ExpireTime:  fromTimestamp(r.ExpireTime),
		CreateTime:  fromTimestamp(r.CreateTime),
		RevokeTime:  fromTimestamp(r.RevokeTime),
	}
}

func reviewerEntries(key []byte, r *recordpb.Reviewer) []entry {
	es := []entry{{bucket: bucketReviewerIDs, key: []byte(r.Id), value: key, shown: r.Id}}
	if r.Email != "" {
		es = append(es, entry{bucket: bucketReviewerEmails, key: bounded(r.Email), value: key, shown: r.Email})
	}
	return es
}

func tokenEntries(key []byte, r *recordpb.Token) []entry {
	revKey := u64(r.ReviewerKey)
	return []entry{
		{bucket: bucketTokenIDs, key: cat(revKey, []byte(r.Id)), value: key, shown: r.Id},
		// Not shown: an error message must not quote it (checkUnique).
		{bucket: bucketTokenHashes, key: r.SecretHash, value: key},
		{bucket: bucketTokensByReviewer, key: cat(revKey, key)},
	}
}

// getReviewer reads the reviewer with the given ID.
func getReviewer(tx *bbolt.Tx, id string) ([]byte, *recordpb.Reviewer, error) {
	key := lookup(tx, bucketReviewerIDs, []byte(id))
	if key == nil {
		return nil, nil, store.NotFound("REVIEWER_NOT_FOUND", store.ReviewerName(id))
	}
	r, err := decode(tx.Bucket(bucketReviewers).Get(key), &recordpb.Reviewer{})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", store.ReviewerName(id), err)
	}
	return key, r, nil
}

// getToken reads a token of a reviewer.
func getToken(tx *bbolt.Tx, reviewerID, id string) ([]byte, *recordpb.Token, error) {
	revKey := lookup(tx, bucketReviewerIDs, []byte(reviewerID))
	if revKey == nil {
		return nil, nil, store.NotFound("REVIEWER_NOT_FOUND", store.ReviewerName(reviewerID))
	}
	name := store.TokenName(reviewerID, id)
	key := lookup(tx, bucketTokenIDs, cat(revKey, []byte(id)))
	if key == nil {
		return nil, nil, store.NotFound("TOKEN_NOT_FOUND", name)
	}
	r, err := decode(tx.Bucket(bucketTokens).Get(key), &recordpb.Token{})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return key, r, nil
}

// newReviewer fills in the output-only fields of a new reviewer record.
func (s *Store) newReviewer(tx *bbolt.Tx, in *store.Reviewer, now time.Time) *recordpb.Reviewer {
	r := reviewerRecord(in)
	if r.Id == "" {
		r.Id = s.newID(tx, reviewerPrefix, bucketReviewerIDs, nil)
	}
	r.CreateTime, r.UpdateTime = timestamp(now), timestamp(now)
	r.Etag = newEtag()
	return r
}

// createReviewer stores a new reviewer and its audit entry.
func (s *Store) createReviewer(tx *bbolt.Tx, w store.WriteInfo, in *store.Reviewer, now time.Time) ([]byte, *recordpb.Reviewer, error) {
	r := s.newReviewer(tx, in, now)
	key, err := insert(tx, bucketReviewers, r, func(key []byte) []entry { return reviewerEntries(key, r) })
	if err != nil {
		return nil, nil, err
	}
	if err := appendAudit(tx, w, store.ReviewerName(r.Id), now, changedPaths(&recordpb.Reviewer{}, r, reviewerPaths)); err != nil {
		return nil, nil, err
	}
	return key, r, nil
}

// CreateReviewer implements store.Access.
func (s *Store) CreateReviewer(ctx context.Context, in *store.Reviewer) (*store.Reviewer, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Reviewer
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		_, r, err := s.createReviewer(tx, w, in, s.clock())
		if err != nil {
			return err
		}
		out = reviewerFromRecord(r)
		return nil
	})
	return out, err
}

// GetReviewer implements store.Access.
func (s *Store) GetReviewer(ctx context.Context, id string) (*store.Reviewer, error) {
	var out *store.Reviewer
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		_, r, err := getReviewer(tx, id)
		if err != nil {
			return err
		}
		out = reviewerFromRecord(r)
		return nil
	})
	return out, err
}

// ListReviewers implements store.Access. Only an email equality uses an
// index; reviewers are few, so other filters walk them all.
func (s *Store) ListReviewers(ctx context.Context, q store.ListQuery) ([]*store.Reviewer, string, error) {
	q.OrderBy, q.ShowDeleted = store.OrderBy{}, false
	var (
		out  []*store.Reviewer
		next string
	)
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		spec := listSpec[*store.Reviewer]{
			records: bucketReviewers,
			decode: func(val []byte) (*store.Reviewer, error) {
				r, err := decode(val, &recordpb.Reviewer{})
				if err != nil {
					return nil, err
				}
				return reviewerFromRecord(r), nil
			},
			updateTime: func(r *store.Reviewer) time.Time { return r.UpdateTime },
			keep:       func(r *store.Reviewer) bool { return filter.Match(q.Filter, r) },
			sets: setsFor(q.Filter, func(t *filter.Compare) (candidates, bool) {
				if t.Field == "email" {
					return uniqueSet(bucketReviewerEmails, t.Value)
				}
				return candidates{}, false
			}),
		}
		out, next, err = listPage(ctx, s, tx, spec, q)
		return err
	})
	return out, next, err
}

// UpdateReviewer implements store.Access.
func (s *Store) UpdateReviewer(ctx context.Context, id, etag string, update func(*store.Reviewer) error) (*store.Reviewer, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Reviewer
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := getReviewer(tx, id)
		if err != nil {
			return err
		}
		if err := checkEtag(store.ReviewerName(id), etag, old.Etag); err != nil {
			return err
		}
		rv := reviewerFromRecord(old)
		if err := update(rv); err != nil {
			return err
		}
		r := reviewerRecord(rv)
		r.Id, r.CreateTime = old.Id, old.CreateTime
		now := s.clock()
		r.UpdateTime = timestamp(now)
		r.Etag = newEtag()
		if err := save(tx, bucketReviewers, key, r, reviewerEntries(key, old), reviewerEntries(key, r)); err != nil {
			return err
		}
		if err := appendAudit(tx, w, store.ReviewerName(id), now, changedPaths(old, r, reviewerPaths)); err != nil {
			return err
		}
		out = reviewerFromRecord(r)
		return nil
	})
	return out, err
}

// BootstrapReviewer implements store.Access. The check and the inserts
// share one write transaction, so of two servers (or calls) racing on an
// empty file exactly one creates.
func (s *Store) BootstrapReviewer(ctx context.Context, r *store.Reviewer, t *store.Token) (bool, error) {
	w := store.WriteInfoFrom(ctx)
	var created bool
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		created = false
		if k, _ := tx.Bucket(bucketReviewers).Cursor().First(); k != nil {
			return nil
		}
		if err := checkSecretHash(t.SecretHash); err != nil {
			return err
		}
		now := s.clock()
		revKey, rec, err := s.createReviewer(tx, w, r, now)
		if err != nil {
			return err
		}
		tok := *t
		tok.ReviewerID = rec.Id
		if _, err := s.createToken(tx, w, &tok, revKey, now); err != nil {
			// Wrapped: after the reviewer's writes, a bare *store.Error
			// would tell the committer that nothing was written.
			return fmt.Errorf("bootstrap token of %s: %w", store.ReviewerName(rec.Id), err)
		}
		created = true
		return nil
	})
	return created, err
}

// checkSecretHash refuses a hash that cannot be a SHA-256: the index is
// keyed by it, and an empty key cannot be stored.
func checkSecretHash(h []byte) error {
	if len(h) != sha256.Size {
		return store.Invalid("INVALID_SECRET_HASH", "secret_hash",
			fmt.Sprintf("a token's secret hash is the %d-byte SHA-256 of its secret, not %d bytes", sha256.Size, len(h)))
	}
	return nil
}

// createToken stores a new token of the reviewer under revKey, and its audit
// entry.
func (s *Store) createToken(tx *bbolt.Tx, w store.WriteInfo, in *store.Token, revKey []byte, now time.Time) (*recordpb.Token, error) {
	if err := checkSecretHash(in.SecretHash); err != nil {
		return nil, err
	}
	r := &recordpb.Token{
		Id:          in.ID,
		ReviewerId:  in.ReviewerID,
		ReviewerKey: binary.BigEndian.Uint64(revKey),
		DisplayName: in.DisplayName,
		SecretHash:  clone(in.SecretHash),
		ExpireTime:  timestamp(in.ExpireTime),
		CreateTime:  timestamp(now),
	}
	if r.Id == "" {
		r.Id = s.newID(tx, tokenPrefix, bucketTokenIDs, revKey)
	}
	if _, err := insert(tx, bucketTokens, r, func(key []byte) []entry { return tokenEntries(key, r) }); err != nil {
		return nil, err
	}
	paths := changedPaths(&recordpb.Token{}, r, tokenPaths)
	if err := appendAudit(tx, w, store.TokenName(r.ReviewerId, r.Id), now, paths); err != nil {
		return nil, err
	}
	return r, nil
}

// CreateToken implements store.Access.
func (s *Store) CreateToken(ctx context.Context, in *store.Token) (*store.Token, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Token
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		revKey, _, err := getReviewer(tx, in.ReviewerID)
		if err != nil {
			return err
		}
		r, err := s.createToken(tx, w, in, revKey, s.clock())
		if err != nil {
			return err
		}
		out = tokenFromRecord(r)
		return nil
	})
	return out, err
}

// ListTokens implements store.Access.
func (s *Store) ListTokens(ctx context.Context, reviewerID string, q store.ListQuery) ([]*store.Token, string, error) {
	q.Filter, q.OrderBy, q.ShowDeleted = nil, store.OrderBy{}, false
	var (
		out  []*store.Token
		next string
	)
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		revKey := lookup(tx, bucketReviewerIDs, []byte(reviewerID))
		if revKey == nil {
			return store.NotFound("REVIEWER_NOT_FOUND", store.ReviewerName(reviewerID))
		}
		spec := listSpec[*store.Token]{
			records: bucketTokens,
			decode: func(val []byte) (*store.Token, error) {
				r, err := decode(val, &recordpb.Token{})
				if err != nil {
					return nil, err
				}
				return tokenFromRecord(r), nil
			},
			updateTime: func(t *store.Token) time.Time { return t.CreateTime },
			keep:       func(*store.Token) bool { return true },
			sets:       []candidates{{bucket: bucketTokensByReviewer, prefix: revKey}},
		}
		out, next, err = listPage(ctx, s, tx, spec, q)
		return err
	})
	return out, next, err
}

// RevokeToken implements store.Access.
func (s *Store) RevokeToken(ctx context.Context, reviewerID, id string) (*store.Token, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Token
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := getToken(tx, reviewerID, id)
		if err != nil {
			return err
		}
		name := store.TokenName(reviewerID, id)
		if old.RevokeTime != nil {
			at := fromTimestamp(old.RevokeTime).Format(time.RFC3339)
			return &store.Error{
				Kind: store.ErrFailedPrecondition, Reason: "TOKEN_REVOKED", Resource: name,
				Message: fmt.Sprintf("%s was already revoked at %s", name, at),
				Preconditions: []store.Precondition{{
					Type: "REVOKED", Subject: name, Description: name + " is revoked",
				}},
			}
		}
		now := s.clock()
		r := proto.CloneOf(old)
		r.RevokeTime = timestamp(now)
		if err := save(tx, bucketTokens, key, r, tokenEntries(key, old), tokenEntries(key, r)); err != nil {
			return err
		}
		if err := appendAudit(tx, w, name, now, changedPaths(old, r, tokenPaths)); err != nil {
			return err
		}
		out = tokenFromRecord(r)
		return nil
	})
	return out, err
}

// LookupToken implements store.Access: three key reads in one read
// transaction, since the server calls it for every request.
func (s *Store) LookupToken(ctx context.Context, secretHash []byte) (*store.Token, *store.Reviewer, error) {
	var (
		tok *store.Token
		rev *store.Reviewer
	)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var key []byte
		if len(secretHash) > 0 && len(secretHash) <= bbolt.MaxKeySize {
			key = tx.Bucket(bucketTokenHashes).Get(secretHash)
		}
		if key == nil {
			return &store.Error{Kind: store.ErrNotFound, Reason: "TOKEN_NOT_FOUND",
				Message: "no token has this secret"}
		}
		// A dangling index would decode as an empty record: refuse it
		// rather than authenticate someone as nobody.
		tv := tx.Bucket(bucketTokens).Get(key)
		if tv == nil {
			return fmt.Errorf("%s names the missing token record %x: run Check, then RebuildIndexes", bucketTokenHashes, key)
		}
		t, err := decode(tv, &recordpb.Token{})
		if err != nil {
			return fmt.Errorf("token record %x: %w", key, err)
		}
		revKey := u64(t.ReviewerKey)
		rv := tx.Bucket(bucketReviewers).Get(revKey)
		if rv == nil {
			return fmt.Errorf("token record %x names the missing reviewer record %x", key, revKey)
		}
		r, err := decode(rv, &recordpb.Reviewer{})
		if err != nil {
			return fmt.Errorf("reviewer record %x: %w", revKey, err)
		}
		tok, rev = tokenFromRecord(t), reviewerFromRecord(r)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return tok, rev, nil
}
