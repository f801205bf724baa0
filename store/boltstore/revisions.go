package boltstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factcheck/factcheck/anchor"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// Revisions: article texts and annotation histories (added in schema version 3).
//
// Both live under the owner's record key followed by the revision number,
// so one owner's revisions are a contiguous, ordered key range: listing is a
// cursor walk, deleting the owner deletes a prefix.

func u32(n int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// putArticleRevision keeps the text of r as revision r.Revision, set by
// actor.
func putArticleRevision(tx *bbolt.Tx, artKey []byte, r *recordpb.Article, at *timestamppb.Timestamp, actor string) error {
	val, err := encode(&recordpb.ArticleRevision{
		Revision: r.Revision, Text: r.Text, TextSha256: r.TextSha256, CreateTime: at, Actor: actor,
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketArticleRevisions).Put(cat(artKey, u32(r.Revision)), val)
}

// putAnnotationRevision records r, stored under annKey with its RevisionId
// already set, as that revision. prev is the state it replaced (nil for a
// new annotation), from which the changed field paths are derived; w is
// the write's, whose Actor and Note the revision keeps.
func putAnnotationRevision(tx *bbolt.Tx, annKey []byte, prev, r *recordpb.Annotation, cause store.RevisionCause, restored int32, w store.WriteInfo) error {
	rev := &recordpb.AnnotationRevision{
		RevisionId: r.RevisionId, Snapshot: r, CreateTime: r.UpdateTime,
		Cause: int32(cause), RestoredRevisionId: restored, Actor: w.Actor, Note: w.Note,
	}
	if prev != nil {
		rev.FieldPaths = annotationFieldPaths(prev, r)
		if err := keepSnapshot(tx, annKey, prev); err != nil {
			return err
		}
	}
	val, err := encode(rev)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketAnnotationRevisions).Put(cat(annKey, u32(r.RevisionId)), val)
}

// putCreatedAnnotationRevision records the new annotation r, stored under
// annKey, as its revision 1 (CauseCreate) without a snapshot: the record
// is that snapshot until the next write, which keeps it (keepSnapshot).
// An import writes about 40% fewer bytes so.
func putCreatedAnnotationRevision(tx *bbolt.Tx, annKey []byte, r *recordpb.Annotation, w store.WriteInfo) error {
	b := tx.Bucket(bucketAnnotationRevisions)
	// A new annotation's key is the largest yet: its revisions append.
	b.FillPercent = 1
	return b.Put(cat(annKey, u32(r.RevisionId)), createdRevision(r, w))
}

// createdRevision encodes recordpb.AnnotationRevision{RevisionId:
// r.RevisionId, CreateTime: r.UpdateTime, Actor: w.Actor, Cause:
// CauseCreate, Note: w.Note} as deterministic Marshal does (fields in
// number order, empty ones left out), without a message per record.
func createdRevision(r *recordpb.Annotation, w store.WriteInfo) []byte {
	out := make([]byte, 0, 32+len(w.Actor)+len(w.Note))
	if r.RevisionId != 0 {
		out = protowire.AppendTag(out, 1, protowire.VarintType)
		out = protowire.AppendVarint(out, uint64(int64(r.RevisionId)))
	}
	if t := r.UpdateTime; t != nil {
		n := 0
		if t.Seconds != 0 {
			n += 1 + protowire.SizeVarint(uint64(t.Seconds))
		}
		if t.Nanos != 0 {
			n += 1 + protowire.SizeVarint(uint64(int64(t.Nanos)))
		}
		out = protowire.AppendTag(out, 3, protowire.BytesType)
		out = protowire.AppendVarint(out, uint64(n))
		if t.Seconds != 0 {
			out = protowire.AppendTag(out, 1, protowire.VarintType)
			out = protowire.AppendVarint(out, uint64(t.Seconds))
		}
		if t.Nanos != 0 {
			out = protowire.AppendTag(out, 2, protowire.VarintType)
			out = protowire.AppendVarint(out, uint64(int64(t.Nanos)))
		}
	}
	if w.Actor != "" {
		out = protowire.AppendTag(out, 4, protowire.BytesType)
		out = protowire.AppendString(out, w.Actor)
	}
	out = protowire.AppendTag(out, 7, protowire.VarintType)
	out = protowire.AppendVarint(out, uint64(store.CauseCreate))
	if w.Note != "" {
		out = protowire.AppendTag(out, 8, protowire.BytesType)
		out = protowire.AppendString(out, w.Note)
	}
	return out
}

// keepSnapshot gives the revision prev is at its snapshot, prev, if it was
// stored without one (putCreatedAnnotationRevision): called before the
// record under annKey moves past prev.
func keepSnapshot(tx *bbolt.Tx, annKey []byte, prev *recordpb.Annotation) error {
	b := tx.Bucket(bucketAnnotationRevisions)
	k := cat(annKey, u32(prev.RevisionId))
	v := b.Get(k)
	if v == nil {
		return nil
	}
	rev, err := decode(v, &recordpb.AnnotationRevision{})
	if err != nil {
		return fmt.Errorf("%s %x: %w", bucketAnnotationRevisions, k, err)
	}
	if rev.Snapshot != nil {
		return nil
	}
	rev.Snapshot = prev
	val, err := encode(rev)
	if err != nil {
		return err
	}
	return b.Put(k, val)
}

// annotationRevision decodes the revision v of the annotation stored under
// annKey, taking a snapshot not kept with the revision from the record.
func annotationRevision(tx *bbolt.Tx, annKey, v []byte) (*recordpb.AnnotationRevision, error) {
	rev, err := decode(v, &recordpb.AnnotationRevision{})
	if err != nil || rev.Snapshot != nil {
		return rev, err
	}
	r, err := decode(tx.Bucket(bucketAnnotations).Get(annKey), &recordpb.Annotation{})
	if err != nil {
		return nil, fmt.Errorf("annotation record %x: %w", annKey, err)
	}
	if r.RevisionId != rev.RevisionId {
		return nil, fmt.Errorf("revision %d of annotation record %x keeps no snapshot, but the record is at revision %d", rev.RevisionId, annKey, r.RevisionId)
	}
	rev.Snapshot = r
	return rev, nil
}

// deletePrefix deletes every key of b that starts with prefix. The keys
// are collected first: bbolt's cursor may skip keys after a delete.
func deletePrefix(b *bbolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// annotationFieldPaths names, as the API spells them, the fields that differ
// between two states of an annotation. Derived output (UTF-16 and UTF-8
// spans, times, etag) follows from these and is left out.
func annotationFieldPaths(a, b *recordpb.Annotation) []string {
	var ps []string
	add := func(changed bool, p string) {
		if changed {
			ps = append(ps, p)
		}
	}
	x, y := a.GetAnchor(), b.GetAnchor()
	add(x.GetExact() != y.GetExact(), "anchor.quote.exact")
	add(x.GetPrefix() != y.GetPrefix(), "anchor.quote.prefix")
	add(x.GetSuffix() != y.GetSuffix(), "anchor.quote.suffix")
	add(x.GetStart() != y.GetStart() || x.GetEnd() != y.GetEnd(), "anchor.position")
	add(x.GetArticleRevision() != y.GetArticleRevision(), "anchor.article_revision")
	add(x.GetStatus() != y.GetStatus(), "anchor.status")
	add(x.GetHasPrevious() != y.GetHasPrevious() || x.GetPreviousStart() != y.GetPreviousStart() ||
		x.GetPreviousEnd() != y.GetPreviousEnd() || x.GetPreviousArticleRevision() != y.GetPreviousArticleRevision(),
		"anchor.previous_position")
	add(x.GetScore() != y.GetScore(), "anchor.score")
	add(x.GetFoundText() != y.GetFoundText(), "anchor.found_text")
	c, d := a.GetClaim(), b.GetClaim()
	add(c.GetText() != d.GetText(), "claim.text")
	add(c.GetClaimantName() != d.GetClaimantName() || c.GetClaimantKind() != d.GetClaimantKind() ||
		c.GetClaimantSameAs() != d.GetClaimantSameAs() || c.GetClaimantDescription() != d.GetClaimantDescription(),
		"claim.claimant")
	add(!proto.Equal(c.GetClaimTime(), d.GetClaimTime()), "claim.claim_time")
	v, w := a.GetVerdict(), b.GetVerdict()
	add(v.GetRating() != w.GetRating(), "verdict.rating")
	add(v.GetLabel() != w.GetLabel(), "verdict.label")
	add(v.GetRationale() != w.GetRationale(), "verdict.rationale")
	citations := len(a.Citations) != len(b.Citations)
	for i := 0; !citations && i < len(a.Citations); i++ {
		citations = !proto.Equal(a.Citations[i], b.Citations[i])
	}
	add(citations, "citations")
	add(a.State != b.State, "state")
	add(!maps.Equal(a.Labels, b.Labels), "labels")
	add(a.ExternalId != b.ExternalId, "external_id")
	return ps
}

// reanchorEvent is what re-anchoring did to one annotation whose anchor
// changed, for the change feed: each is a TYPE_REANCHORED change (From →
// Annotation.Anchor), and one with Relocation.TextChanged is also a
// TYPE_CLAIM_TEXT_CHANGED change, the words under the claim having changed
// from Relocation.Before to Relocation.After (empty when they went).
type reanchorEvent struct {
	// Key is the annotation's record key; Annotation its record as stored,
	// at its new revision.
	Key        []byte
	Annotation *recordpb.Annotation
	// From is the anchor before the text change.
	From       *recordpb.Anchor
	Relocation anchor.Relocation
}

// reanchor relocates the annotations of the article under artKey from its
// text old to its new text art.Text, in the caller's transaction, and
// returns an event for each annotation it rewrote.
//
// An anchor's span counts code points of the revision it points into: the
// previous one for located anchors, an older one for orphans. So each
// anchor is carried from the text of its own revision (one Edit per distinct
// revision, usually one), and an orphan whose words come back is found where
// they were. A revision whose text was never kept (files migrated from
// schema 2 keep only the text of that time) is stood in for by old.
func reanchor(tx *bbolt.Tx, w store.WriteInfo, artKey []byte, old, art *recordpb.Article, now time.Time) ([]reanchorEvent, error) {
	keys := (&candidates{bucket: bucketAnnotationsByArticle, prefix: artKey}).recordKeys(tx)
	if len(keys) == 0 {
		return nil, nil
	}
	edits := map[int32]*anchor.Edit{}
	editFrom := func(rev int32) (*anchor.Edit, error) {
		if e := edits[rev]; e != nil {
			return e, nil
		}
		text := old.Text
		if rev != old.Revision {
			if v := tx.Bucket(bucketArticleRevisions).Get(cat(artKey, u32(rev))); v != nil {
				r, err := decode(v, &recordpb.ArticleRevision{})
				if err != nil {
					return nil, fmt.Errorf("%s: %w", store.ArticleRevisionName(art.Id, rev), err)
				}
				text = r.Text
			}
		}
		e := anchor.NewEdit(text, art.Text)
		edits[rev] = e
		return e, nil
	}
	ts := timestamp(now)
	var events []reanchorEvent
	for _, key := range keys {
		prev, err := decode(tx.Bucket(bucketAnnotations).Get(key), &recordpb.Annotation{})
		if err != nil {
			return nil, fmt.Errorf("annotation record %x: %w", key, err)
		}
		from := prev.GetAnchor()
		e, err := editFrom(from.GetArticleRevision())
		if err != nil {
			return nil, err
		}
		rel := e.Reanchor(anchor.Stored{
			Exact: from.GetExact(), Prefix: from.GetPrefix(), Suffix: from.GetSuffix(),
			Start: int(from.GetStart()), End: int(from.GetEnd()),
		})
		if rel.Status == anchor.Orphaned && from.GetStatus() == int32(store.StatusOrphaned) {
			// Still lost: nothing to record, and no reason to change
			// the etag under a client.
			continue
		}
		to := relocated(from, rel, art.Revision)
		r := proto.CloneOf(prev)
		r.Anchor = to
		r.UpdateTime = ts
		r.Etag = newEtag()
		r.RevisionId = prev.RevisionId + 1
		if err := save(tx, bucketAnnotations, key, r, annotationEntries(key, prev), annotationEntries(key, r)); err != nil {
			return nil, err
		}
		if err := putAnnotationRevision(tx, key, prev, r, store.CauseReanchor, 0, w); err != nil {
			return nil, err
		}
		events = append(events, reanchorEvent{Key: key, Annotation: r, From: from, Relocation: rel})
	}
	return events, nil
}

// relocated is the anchor from after rel, at article revision rev.
func relocated(from *recordpb.Anchor, rel anchor.Relocation, rev int32) *recordpb.Anchor {
	to := proto.CloneOf(from)
	to.Status = int32(rel.Status) // anchor's values are the API's
	to.HasPrevious, to.PreviousStart, to.PreviousEnd, to.PreviousArticleRevision = false, 0, 0, 0
	to.Score, to.FoundText = 0, ""
	if rel.Status == anchor.Orphaned {
		// The span keeps pointing into the revision where the words were.
		to.Score = rel.Score
		return to
	}
	to.Start, to.End = int64(rel.Start), int64(rel.End)
	to.Utf16Start, to.Utf16End = int64(rel.UTF16.Start), int64(rel.UTF16.End)
	to.Utf8Start, to.Utf8End = int64(rel.UTF8.Start), int64(rel.UTF8.End)
	to.ArticleRevision = rev
	switch rel.Status {
	case anchor.Anchored, anchor.Moved:
		// The quote is there word for word: its new surroundings are the
		// context to find it by next time.
		to.Prefix, to.Suffix = rel.Prefix, rel.Suffix
	case anchor.Fuzzy:
		// The stored context stays: it is what the annotator saw, and
		// what finds the words whole again if the edit is undone.
		to.Score, to.FoundText = rel.Score, rel.Found
	}
	if rel.Status != anchor.Anchored {
		to.HasPrevious = true
		to.PreviousStart, to.PreviousEnd = from.GetStart(), from.GetEnd()
		to.PreviousArticleRevision = from.GetArticleRevision()
	}
	return to
}

// --- reading revisions ---

func articleRevisionFromRecord(articleID string, r *recordpb.ArticleRevision) *store.ArticleRevision {
	return &store.ArticleRevision{
		ArticleID: articleID, Revision: r.Revision, Text: r.Text, TextSHA256: r.TextSha256,
		CreateTime: fromTimestamp(r.CreateTime), Actor: r.Actor,
	}
}

func annotationRevisionFromRecord(r *recordpb.AnnotationRevision) *store.AnnotationRevision {
	return &store.AnnotationRevision{
		RevisionID: r.RevisionId, Annotation: annotationFromRecord(r.Snapshot),
		CreateTime: fromTimestamp(r.CreateTime), Actor: r.Actor, Note: r.Note,
		FieldPaths: append([]string(nil), r.FieldPaths...), RestoredRevisionID: r.RestoredRevisionId,
		Cause: store.RevisionCause(r.Cause),
	}
}

// GetArticleRevision implements store.Store.
func (s *Store) GetArticleRevision(ctx context.Context, articleID string, revision int32) (*store.ArticleRevision, error) {
	var out *store.ArticleRevision
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		artKey := lookup(tx, bucketArticleIDs, []byte(articleID))
		if artKey == nil {
			return store.NotFound("ARTICLE_NOT_FOUND", store.ArticleName(articleID))
		}
		name := store.ArticleRevisionName(articleID, revision)
		v := tx.Bucket(bucketArticleRevisions).Get(cat(artKey, u32(revision)))
		if revision < 1 || v == nil {
			e := store.NotFound("REVISION_NOT_FOUND", name)
			e.Message += revisionHint(tx, bucketArticleRevisions, artKey)
			return e
		}
		r, err := decode(v, &recordpb.ArticleRevision{})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out = articleRevisionFromRecord(articleID, r)
		return nil
	})
	return out, err
}

// revisionHint tells which revisions exist, for a not-found message.
func revisionHint(tx *bbolt.Tx, bucket, owner []byte) string {
	c := tx.Bucket(bucket).Cursor()
	first, _ := c.Seek(owner)
	if first == nil || !bytes.HasPrefix(first, owner) {
		return ""
	}
	last, _ := c.Seek(cat(owner, u32(-1)))
	if last == nil || !bytes.HasPrefix(last, owner) {
		last, _ = c.Prev()
	}
	lo := binary.BigEndian.Uint32(first[len(owner):])
	hi := binary.BigEndian.Uint32(last[len(owner):])
	return fmt.Sprintf(" (revisions %d to %d exist)", lo, hi)
}

// ListArticleRevisions implements store.Store.
func (s *Store) ListArticleRevisions(ctx context.Context, articleID string, q store.RevisionQuery) ([]*store.ArticleRevision, string, error) {
	var (
		out  []*store.ArticleRevision
		next string
	)
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		artKey := lookup(tx, bucketArticleIDs, []byte(articleID))
		if artKey == nil {
			return store.NotFound("ARTICLE_NOT_FOUND", store.ArticleName(articleID))
		}
		out, next, err = listRevisions(tx, bucketArticleRevisions, artKey, q, func(v []byte) (*store.ArticleRevision, error) {
			if q.OmitText {
				v = withoutField(v, articleRevisionTextField)
			}
			r, err := decode(v, &recordpb.ArticleRevision{})
			if err != nil {
				return nil, err
			}
			return articleRevisionFromRecord(articleID, r), nil
		})
		return err
	})
	return out, next, err
}

// articleRevisionTextField is the field number of recordpb.ArticleRevision's
// text.
const articleRevisionTextField = 2

// withoutField returns the encoded message val without its field num, so
// that decoding it does not copy a text of up to 1 MiB only to drop it. A
// value it cannot parse is returned whole, for decode to report.
func withoutField(val []byte, num protowire.Number) []byte {
	out := make([]byte, 0, 128)
	for b := val; len(b) > 0; {
		n, typ, tagLen := protowire.ConsumeTag(b)
		if tagLen < 0 {
			return val
		}
		fieldLen := protowire.ConsumeFieldValue(n, typ, b[tagLen:])
		if fieldLen < 0 {
			return val
		}
		if n != num {
			out = append(out, b[:tagLen+fieldLen]...)
		}
		b = b[tagLen+fieldLen:]
	}
	return out
}

// GetAnnotationRevision implements store.Store.
func (s *Store) GetAnnotationRevision(ctx context.Context, articleID, id string, revisionID int32) (*store.AnnotationRevision, error) {
	var out *store.AnnotationRevision
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		_, key, _, err := getAnnotation(tx, articleID, id)
		if err != nil {
			return err
		}
		r, err := getAnnotationRevision(tx, key, articleID, id, revisionID)
		if err != nil {
			return err
		}
		out = annotationRevisionFromRecord(r)
		return nil
	})
	return out, err
}

func getAnnotationRevision(tx *bbolt.Tx, key []byte, articleID, id string, revisionID int32) (*recordpb.AnnotationRevision, error) {
	name := store.AnnotationRevisionName(articleID, id, revisionID)
	v := tx.Bucket(bucketAnnotationRevisions).Get(cat(key, u32(revisionID)))
	if revisionID < 1 || v == nil {
		e := store.NotFound("REVISION_NOT_FOUND", name)
		e.Message += revisionHint(tx, bucketAnnotationRevisions, key)
		return nil, e
	}
	r, err := annotationRevision(tx, key, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// ListAnnotationRevisions implements store.Store.
func (s *Store) ListAnnotationRevisions(ctx context.Context, articleID, id string, q store.RevisionQuery) ([]*store.AnnotationRevision, string, error) {
	var (
		out  []*store.AnnotationRevision
		next string
	)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		_, key, _, err := getAnnotation(tx, articleID, id)
		if err != nil {
			return err
		}
		out, next, err = listRevisions(tx, bucketAnnotationRevisions, key, q, func(v []byte) (*store.AnnotationRevision, error) {
			r, err := annotationRevision(tx, key, v)
			if err != nil {
				return nil, err
			}
			return annotationRevisionFromRecord(r), nil
		})
		return err
	})
	return out, next, err
}

// listRevisions pages through the revisions under owner. The page token is
// the last revision number returned: revisions are never inserted between
// existing ones, so the walk resumes exactly after it.
func listRevisions[T any](tx *bbolt.Tx, bucket, owner []byte, q store.RevisionQuery, decode func([]byte) (T, error)) ([]T, string, error) {
	if q.PageSize < 1 {
		return nil, "", store.Invalid("INVALID_PAGE_SIZE", "page_size", fmt.Sprintf("page size %d is not positive", q.PageSize))
	}
	var after uint32
	if q.PageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.PageToken)
		if err != nil || len(b) != 4 || binary.BigEndian.Uint32(b) == 0 {
			return nil, "", store.Invalid("INVALID_PAGE_TOKEN", "page_token", "is not a page token of this list: pass next_page_token unchanged, or leave it empty for the first page")
		}
		after = binary.BigEndian.Uint32(b)
	}
	c := tx.Bucket(bucket).Cursor()
	var k, v []byte
	step := c.Next
	switch {
	case q.OldestFirst:
		k, v = c.Seek(cat(owner, binary.BigEndian.AppendUint32(nil, after+1)))
	case after == 1:
		return nil, "", nil
	default:
		bound := cat(owner, binary.BigEndian.AppendUint32(nil, after-1)) // after 0 wraps to the highest
		k, v = c.Seek(bound)
		if k == nil {
			k, v = c.Last()
		} else if !bytes.Equal(k, bound) {
			k, v = c.Prev()
		}
		step = c.Prev
	}
	var out []T
	var last []byte
	for ; k != nil && bytes.HasPrefix(k, owner) && len(k) == len(owner)+4; k, v = step() {
		if len(out) == q.PageSize {
			return out, base64.RawURLEncoding.EncodeToString(last), nil
		}
		t, err := decode(v)
		if err != nil {
			return nil, "", fmt.Errorf("%s %x: %w", bucket, k, err)
		}
		out = append(out, t)
		last = clone(k[len(owner):])
	}
	return out, "", nil
}

// --- rollback ---

// RollbackAnnotation implements store.Store.
func (s *Store) RollbackAnnotation(ctx context.Context, articleID, id string, revisionID int32, etag string) (*store.Annotation, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Annotation
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		artKey, key, cur, err := getAnnotation(tx, articleID, id)
		if err != nil {
			return err
		}
		name := store.AnnotationName(articleID, id)
		if cur.DeleteTime != nil {
			return deletedError(name, "ANNOTATION_DELETED", "roll it back")
		}
		if err := checkEtag(name, etag, cur.Etag); err != nil {
			return err
		}
		rev, err := getAnnotationRevision(tx, key, articleID, id, revisionID)
		if err != nil {
			return err
		}
		_, art, err := getArticle(tx, articleID)
		if err != nil {
			return err
		}
		old := rev.Snapshot
		r := &recordpb.Annotation{
			Id: cur.Id, ArticleId: cur.ArticleId, ArticleKey: cur.ArticleKey,
			Author: cur.Author, CreateTime: cur.CreateTime,
			Claim: proto.CloneOf(old.Claim), Verdict: proto.CloneOf(old.Verdict),
			State: old.State, Labels: maps.Clone(old.Labels), ExternalId: old.ExternalId,
		}
		for _, c := range old.Citations {
			r.Citations = append(r.Citations, proto.CloneOf(c))
		}
		if r.Anchor, err = restoreAnchor(tx, artKey, art, old.GetAnchor(), store.AnnotationRevisionName(articleID, id, revisionID)); err != nil {
			return err
		}
		if err := resolveCitations(tx, r, nil); err != nil {
			var se *store.Error
			if errors.As(err, &se) {
				// Valid when written; what changed since is the state
				// of the store, not the request.
				e := *se
				e.Kind, e.Resource = store.ErrFailedPrecondition, name
				e.Message = fmt.Sprintf("revision %d cannot be restored: %s", revisionID, se.Message)
				for _, v := range se.Violations {
					e.Preconditions = append(e.Preconditions, store.Precondition{Type: "SOURCE", Subject: name, Description: v.Description})
				}
				e.Violations = nil
				return &e
			}
			return err
		}
		if r.State == int32(store.StateUnspecified) {
			r.State = int32(store.StateDraft)
		}
		r.UpdateTime = timestamp(s.clock())
		r.Etag = newEtag()
		r.RevisionId = cur.RevisionId + 1
		if err := save(tx, bucketAnnotations, key, r, annotationEntries(key, cur), annotationEntries(key, r)); err != nil {
			return err
		}
		if err := putAnnotationRevision(tx, key, cur, r, store.CauseRollback, revisionID, w); err != nil {
			return err
		}
		if err := appendChange(tx, w, annotationChange(store.ChangeUpdated, cur, r, fromTimestamp(r.UpdateTime))); err != nil {
			return err
		}
		out = annotationFromRecord(r)
		return nil
	})
	return out, err
}

// restoreAnchor carries an anchor of an old annotation revision to the
// article's current text, as re-anchoring would have, and accepts it only
// if the quote is there word for word: a rollback restores what was
// annotated, and attaching it to other words would restore something else.
func restoreAnchor(tx *bbolt.Tx, artKey []byte, art *recordpb.Article, a *recordpb.Anchor, revName string) (*recordpb.Anchor, error) {
	stored := anchor.Stored{
		Exact: a.GetExact(), Prefix: a.GetPrefix(), Suffix: a.GetSuffix(),
		Start: int(a.GetStart()), End: int(a.GetEnd()),
	}
	var rel anchor.Relocation
	oldText := art.Text
	if a.GetArticleRevision() != art.Revision {
		v := tx.Bucket(bucketArticleRevisions).Get(cat(artKey, u32(a.GetArticleRevision())))
		if v == nil {
			// A text from before revisions were kept: the span means
			// nothing now, the quote and its context still do.
			oldText = ""
			stored.Start, stored.End = -1, -1
		} else {
			r, err := decode(v, &recordpb.ArticleRevision{})
			if err != nil {
				return nil, err
			}
			oldText = r.Text
		}
	}
	rel = anchor.NewEdit(oldText, art.Text).Reanchor(stored)
	if rel.Status != anchor.Anchored && rel.Status != anchor.Moved {
		msg := fmt.Sprintf("%s quotes %q, which the article's current text (revision %d) no longer contains word for word", revName, a.GetExact(), art.Revision)
		if rel.Status == anchor.Fuzzy {
			msg += fmt.Sprintf(" (the nearest match is %q at [%d,%d))", rel.Found, rel.Start, rel.End)
		}
		msg += ": roll back to a revision whose quote is in the text, or update the annotation's anchor instead"
		return nil, &store.Error{
			Kind: store.ErrFailedPrecondition, Reason: "QUOTE_NOT_IN_TEXT", Resource: revName, Message: msg,
			Preconditions: []store.Precondition{{Type: "QUOTE", Subject: store.ArticleName(art.Id), Description: msg}},
			Metadata:      map[string]string{"article_revision": strconv.Itoa(int(art.Revision))},
		}
	}
	return &recordpb.Anchor{
		Exact: a.GetExact(), Prefix: rel.Prefix, Suffix: rel.Suffix,
		Start: int64(rel.Start), End: int64(rel.End),
		ArticleRevision: art.Revision, Status: int32(store.StatusAnchored),
		Utf16Start: int64(rel.UTF16.Start), Utf16End: int64(rel.UTF16.End),
		Utf8Start: int64(rel.UTF8.Start), Utf8End: int64(rel.UTF8.End),
	}, nil
}

// checkRevisions verifies that every record has the revision it says it is
// at, and that no revision outlived its owner.
func checkRevisions(tx *bbolt.Tx) error {
	var errs []error
	owners := func(records, revisions []byte, current func(val []byte) (int32, error)) {
		err := tx.Bucket(records).ForEach(func(k, v []byte) error {
			n, err := current(v)
			if err != nil {
				return err
			}
			if tx.Bucket(revisions).Get(cat(k, u32(n))) == nil {
				errs = append(errs, fmt.Errorf("%s: record %x is at revision %d, which %s lacks", records, k, n, revisions))
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
		_ = tx.Bucket(revisions).ForEach(func(k, _ []byte) error {
			if len(k) != keyLen+4 || tx.Bucket(records).Get(k[:keyLen]) == nil {
				errs = append(errs, fmt.Errorf("%s: key %x belongs to no record of %s", revisions, k, records))
			}
			return nil
		})
	}
	owners(bucketArticles, bucketArticleRevisions, func(v []byte) (int32, error) {
		r, err := decode(v, &recordpb.Article{})
		return r.GetRevision(), err
	})
	owners(bucketAnnotations, bucketAnnotationRevisions, func(v []byte) (int32, error) {
		r, err := decode(v, &recordpb.Annotation{})
		return r.GetRevisionId(), err
	})
	// A revision kept without its snapshot must be the one its record is
	// at (putCreatedAnnotationRevision, keepSnapshot).
	_ = tx.Bucket(bucketAnnotationRevisions).ForEach(func(k, v []byte) error {
		if len(k) != keyLen+4 || tx.Bucket(bucketAnnotations).Get(k[:keyLen]) == nil {
			return nil // reported above
		}
		if _, err := annotationRevision(tx, k[:keyLen], v); err != nil {
			errs = append(errs, fmt.Errorf("%s: key %x: %w", bucketAnnotationRevisions, k, err))
		}
		return nil
	})
	if len(errs) > 10 {
		errs = errs[:10]
	}
	return errors.Join(errs...)
}
