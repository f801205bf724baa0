package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// Soft delete (AIP-164)
//
// A delete sets the record's delete_time and purge_time (delete_time plus
// Options.Retention) and gives it a new etag; the record, its revisions and
// every index entry stay, so its ID, URL and external_id remain taken. The
// entries functions add two entries for a deleted record: <key> in the
// kind's *_deleted bucket (Lists skip those candidates with one lookup,
// before reading them) and <purge_time><kind><key> in purge_queue (Purge
// walks it in purge order). Undelete clears both fields; Purge removes the
// record for good, as the hard delete of schema 4 did.
//
// Integrity:
//   - an article is deleted only with no live annotations, or with force,
//     which deletes them with it (deleted_with_article) — undeleting the
//     article restores exactly those;
//   - so a deleted article has no live annotation: annotating it,
//     undeleting one of its annotations and updating it fail;
//   - a source is deleted only when no live annotation cites it, and a
//     deleted source cannot be cited;
//   - purging an article purges every annotation it still has.

// DefaultRetention is how long a deleted resource waits for its purge when
// Options.Retention is zero: 30 days.
const DefaultRetention = 30 * 24 * time.Hour

// purgeBatch bounds the purges of one transaction, so that a sweep that
// finds a large backlog never holds the write lock for long.
const purgeBatch = 1000

// isDeleted reports whether the record under key is soft-deleted, from the
// kind's *_deleted bucket alone.
func isDeleted(tx *bbolt.Tx, deleted, key []byte) bool {
	return tx.Bucket(deleted).Get(key) != nil
}

// deletedError is the FAILED_PRECONDITION of a write to a deleted resource.
func deletedError(name, reason, what string) error {
	return &store.Error{
		Kind: store.ErrFailedPrecondition, Reason: reason, Resource: name,
		Message: fmt.Sprintf("%s is deleted: undelete it before you %s", name, what),
		Preconditions: []store.Precondition{{
			Type: "DELETED", Subject: name, Description: name + " is deleted",
		}},
	}
}

// notDeletedError is the FAILED_PRECONDITION of an undelete of a live
// resource.
func notDeletedError(name string) error {
	return &store.Error{
		Kind: store.ErrFailedPrecondition, Reason: "NOT_DELETED", Resource: name,
		Message: fmt.Sprintf("%s is not deleted: there is nothing to undelete", name),
		Preconditions: []store.Precondition{{
			Type: "DELETED", Subject: name, Description: name + " is not deleted",
		}},
	}
}

// alreadyDeletedError is the FAILED_PRECONDITION of a delete of a deleted
// resource.
func alreadyDeletedError(name string, purge time.Time) error {
	return &store.Error{
		Kind: store.ErrFailedPrecondition, Reason: "ALREADY_DELETED", Resource: name,
		Message: fmt.Sprintf("%s is already deleted; it will be purged at %s unless it is undeleted",
			name, purge.UTC().Format(time.RFC3339)),
		Preconditions: []store.Precondition{{
			Type: "DELETED", Subject: name, Description: name + " is already deleted",
		}},
	}
}

// deletion returns the delete and purge times of a delete now.
func (s *Store) deletion(now time.Time) (del, purge time.Time) {
	return now, now.Add(s.retention)
}

// liveKeys returns the keys of keys that are not deleted.
func liveKeys(tx *bbolt.Tx, deleted []byte, keys [][]byte) [][]byte {
	var out [][]byte
	for _, k := range keys {
		if !isDeleted(tx, deleted, k) {
			out = append(out, k)
		}
	}
	return out
}

// setAnnotationDeleted rewrites the annotation under key as deleted (del
// non-zero) or live, with a new etag. Deletion adds no revision: the
// annotation's content is unchanged.
func setAnnotationDeleted(tx *bbolt.Tx, key []byte, old *recordpb.Annotation, del, purge time.Time, withArticle bool) (*recordpb.Annotation, error) {
	// The latest revision may keep no snapshot of its own while the
	// record is at it (putCreatedAnnotationRevision): give it one before
	// the record changes.
	if err := keepSnapshot(tx, key, old); err != nil {
		return nil, err
	}
	r := proto.CloneOf(old)
	r.DeleteTime, r.PurgeTime, r.DeletedWithArticle = timestamp(del), timestamp(purge), withArticle
	r.Etag = newEtag()
	if err := save(tx, bucketAnnotations, key, r, annotationEntries(key, old), annotationEntries(key, r)); err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteArticle implements store.Store.
func (s *Store) DeleteArticle(ctx context.Context, id, etag string, force bool) error {
	w := store.WriteInfoFrom(ctx)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := getArticle(tx, id)
		if err != nil {
			return err
		}
		name := store.ArticleName(id)
		if old.DeleteTime != nil {
			return alreadyDeletedError(name, fromTimestamp(old.PurgeTime))
		}
		if err := checkEtag(name, etag, old.Etag); err != nil {
			return err
		}
		anns := liveKeys(tx, bucketAnnotationsDeleted, (&candidates{bucket: bucketAnnotationsByArticle, prefix: key}).recordKeys(tx))
		if len(anns) > 0 && !force {
			e := &store.Error{
				Kind: store.ErrFailedPrecondition, Reason: "ARTICLE_HAS_ANNOTATIONS", Resource: name,
				Message: fmt.Sprintf("%s still has %d annotation(s): delete them first, or delete the article with force to delete them with it", name, len(anns)),
			}
			for _, ak := range anns[:min(len(anns), maxNamed)] {
				an := recordName(tx, bucketAnnotations, ak)
				e.Preconditions = append(e.Preconditions, store.Precondition{
					Type: "ANNOTATION", Subject: an, Description: an + " annotates " + name,
				})
			}
			return e
		}
		now := s.clock()
		del, purge := s.deletion(now)
		for _, ak := range anns {
			r, err := decode(tx.Bucket(bucketAnnotations).Get(ak), &recordpb.Annotation{})
			if err != nil {
				return fmt.Errorf("annotation record %x: %w", ak, err)
			}
			if _, err := setAnnotationDeleted(tx, ak, r, del, purge, true); err != nil {
				// Wrapped: after earlier writes, a bare *store.Error
				// would tell the committer that nothing was written
				// (commit.go).
				return fmt.Errorf("deleting %s with its article: %w", store.AnnotationName(r.ArticleId, r.Id), err)
			}
			if err := appendChange(tx, w, annotationChange(store.ChangeDeleted, r, nil, now)); err != nil {
				return err
			}
		}
		r := proto.CloneOf(old)
		r.DeleteTime, r.PurgeTime = timestamp(del), timestamp(purge)
		r.Etag = newEtag()
		if err := save(tx, bucketArticles, key, r, articleEntries(key, old), articleEntries(key, r)); err != nil {
			return err
		}
		return appendChange(tx, w, articleChange(store.ChangeDeleted, old, nil, now))
	})
}

// UndeleteArticle implements store.Store.
func (s *Store) UndeleteArticle(ctx context.Context, id, etag string) (*store.Article, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Article
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := getArticle(tx, id)
		if err != nil {
			return err
		}
		name := store.ArticleName(id)
		if old.DeleteTime == nil {
			return notDeletedError(name)
		}
		if err := checkEtag(name, etag, old.Etag); err != nil {
			return err
		}
		now := s.clock()
		// The annotations deleted with the article come back with it; each
		// must still cite live sources.
		type restore struct {
			key []byte
			r   *recordpb.Annotation
		}
		var todo []restore
		for _, ak := range (&candidates{bucket: bucketAnnotationsByArticle, prefix: key}).recordKeys(tx) {
			r, err := decode(tx.Bucket(bucketAnnotations).Get(ak), &recordpb.Annotation{})
			if err != nil {
				return fmt.Errorf("annotation record %x: %w", ak, err)
			}
			if r.DeleteTime == nil || !r.DeletedWithArticle {
				continue
			}
			if err := citedSourcesLive(tx, r); err != nil {
				return err
			}
			todo = append(todo, restore{ak, r})
		}
		r := proto.CloneOf(old)
		r.DeleteTime, r.PurgeTime = nil, nil
		r.Etag = newEtag()
		if err := save(tx, bucketArticles, key, r, articleEntries(key, old), articleEntries(key, r)); err != nil {
			return err
		}
		if err := appendChange(tx, w, articleChange(store.ChangeUndeleted, nil, r, now)); err != nil {
			return err
		}
		for _, t := range todo {
			a, err := setAnnotationDeleted(tx, t.key, t.r, time.Time{}, time.Time{}, false)
			if err != nil {
				// Wrapped, as in DeleteArticle.
				return fmt.Errorf("undeleting %s with its article: %w", store.AnnotationName(t.r.ArticleId, t.r.Id), err)
			}
			if err := appendChange(tx, w, annotationChange(store.ChangeUndeleted, nil, a, now)); err != nil {
				return err
			}
		}
		out = articleFromRecord(r)
		return nil
	})
	return out, err
}

// citedSourcesLive fails with ErrFailedPrecondition (Reason
// "SOURCE_NOT_FOUND" or "SOURCE_DELETED") when r cites a source that was
// purged or is deleted: an annotation that comes back must cite live
// sources.
func citedSourcesLive(tx *bbolt.Tx, r *recordpb.Annotation) error {
	name := store.AnnotationName(r.ArticleId, r.Id)
	for _, c := range r.Citations {
		src := store.SourceName(c.SourceId)
		key := u64(c.SourceKey)
		if tx.Bucket(bucketSources).Get(key) == nil {
			return &store.Error{
				Kind: store.ErrFailedPrecondition, Reason: "SOURCE_NOT_FOUND", Resource: name,
				Message: fmt.Sprintf("%s cites %s, which was purged: it cannot be undeleted", name, src),
				Preconditions: []store.Precondition{{
					Type: "CITATION", Subject: src, Description: src + " no longer exists",
				}},
			}
		}
		if isDeleted(tx, bucketSourcesDeleted, key) {
			return &store.Error{
				Kind: store.ErrFailedPrecondition, Reason: "SOURCE_DELETED", Resource: name,
				Message: fmt.Sprintf("%s cites %s, which is deleted: undelete the source first", name, src),
				Preconditions: []store.Precondition{{
					Type: "CITATION", Subject: src, Description: src + " is deleted",
				}},
			}
		}
	}
	return nil
}

// DeleteAnnotation implements store.Store.
func (s *Store) DeleteAnnotation(ctx context.Context, articleID, id, etag string) error {
	w := store.WriteInfoFrom(ctx)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		_, key, old, err := getAnnotation(tx, articleID, id)
		if err != nil {
			return err
		}
		name := store.AnnotationName(articleID, id)
		if old.DeleteTime != nil {
			return alreadyDeletedError(name, fromTimestamp(old.PurgeTime))
		}
		if err := checkEtag(name, etag, old.Etag); err != nil {
			return err
		}
		now := s.clock()
		del, purge := s.deletion(now)
		if _, err := setAnnotationDeleted(tx, key, old, del, purge, false); err != nil {
			return err
		}
		return appendChange(tx, w, annotationChange(store.ChangeDeleted, old, nil, now))
	})
}

// UndeleteAnnotation implements store.Store.
func (s *Store) UndeleteAnnotation(ctx context.Context, articleID, id, etag string) (*store.Annotation, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Annotation
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		artKey, key, old, err := getAnnotation(tx, articleID, id)
		if err != nil {
			return err
		}
		name := store.AnnotationName(articleID, id)
		if old.DeleteTime == nil {
			return notDeletedError(name)
		}
		if isDeleted(tx, bucketArticlesDeleted, artKey) {
			art := store.ArticleName(articleID)
			return &store.Error{
				Kind: store.ErrFailedPrecondition, Reason: "ARTICLE_DELETED", Resource: name,
				Message: fmt.Sprintf("%s belongs to %s, which is deleted: undelete the article first (annotations deleted with it come back with it)", name, art),
				Preconditions: []store.Precondition{{
					Type: "DELETED", Subject: art, Description: art + " is deleted",
				}},
			}
		}
		if err := checkEtag(name, etag, old.Etag); err != nil {
			return err
		}
		if err := citedSourcesLive(tx, old); err != nil {
			return err
		}
		r, err := setAnnotationDeleted(tx, key, old, time.Time{}, time.Time{}, false)
		if err != nil {
			return err
		}
		if err := appendChange(tx, w, annotationChange(store.ChangeUndeleted, nil, r, s.clock())); err != nil {
			return err
		}
		out = annotationFromRecord(r)
		return nil
	})
	return out, err
}

// DeleteSource implements store.Store.
func (s *Store) DeleteSource(ctx context.Context, id, etag string) error {
	w := store.WriteInfoFrom(ctx)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := getSource(tx, id)
		if err != nil {
			return err
		}
		name := store.SourceName(id)
		if old.DeleteTime != nil {
			return alreadyDeletedError(name, fromTimestamp(old.PurgeTime))
		}
		if err := checkEtag(name, etag, old.Etag); err != nil {
			return err
		}
		citing := liveKeys(tx, bucketAnnotationsDeleted, (&candidates{bucket: bucketAnnotationsBySource, prefix: key}).recordKeys(tx))
		if len(citing) > 0 {
			e := &store.Error{
				Kind: store.ErrFailedPrecondition, Reason: "SOURCE_IN_USE", Resource: name,
				Message: fmt.Sprintf("%s is cited by %d annotation(s): remove those citations first", name, len(citing)),
			}
			for _, ak := range citing[:min(len(citing), maxNamed)] {
				an := recordName(tx, bucketAnnotations, ak)
				e.Preconditions = append(e.Preconditions, store.Precondition{
					Type: "CITATION", Subject: an, Description: an + " cites " + name,
				})
			}
			return e
		}
		now := s.clock()
		del, purge := s.deletion(now)
		r := proto.CloneOf(old)
		r.DeleteTime, r.PurgeTime = timestamp(del), timestamp(purge)
		r.Etag = newEtag()
		if err := save(tx, bucketSources, key, r, sourceEntries(key, old), sourceEntries(key, r)); err != nil {
			return err
		}
		return appendChange(tx, w, sourceChange(store.ChangeDeleted, old, nil, now))
	})
}

// UndeleteSource implements store.Store.
func (s *Store) UndeleteSource(ctx context.Context, id, etag string) (*store.Source, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Source
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := getSource(tx, id)
		if err != nil {
			return err
		}
		name := store.SourceName(id)
		if old.DeleteTime == nil {
			return notDeletedError(name)
		}
		if err := checkEtag(name, etag, old.Etag); err != nil {
			return err
		}
		r := proto.CloneOf(old)
		r.DeleteTime, r.PurgeTime = nil, nil
		r.Etag = newEtag()
		if err := save(tx, bucketSources, key, r, sourceEntries(key, old), sourceEntries(key, r)); err != nil {
			return err
		}
		if err := appendChange(tx, w, sourceChange(store.ChangeUndeleted, nil, r, s.clock())); err != nil {
			return err
		}
		out = sourceFromRecord(r)
		return nil
	})
	return out, err
}

// Purge implements store.Store: it walks purge_queue in purge order, at most
// purgeBatch purges per transaction.
func (s *Store) Purge(ctx context.Context, before time.Time) (int, error) {
	w := store.WriteInfoFrom(ctx)
	limit := timePart(before)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n := 0
		more := false
		err := s.update(ctx, func(tx *bbolt.Tx) error {
			n, more = 0, false
			var due [][]byte
			c := tx.Bucket(bucketPurgeQueue).Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k[:8], limit) <= 0; k, _ = c.Next() {
				if len(due) == purgeBatch {
					more = true
					break
				}
				due = append(due, clone(k))
			}
			now := s.clock()
			for _, k := range due {
				// An annotation purged with its article earlier in this
				// batch has left the queue already.
				if !hasKey(tx.Bucket(bucketPurgeQueue), k) {
					continue
				}
				kind, key := k[8], k[9:]
				var err error
				var purged int
				switch kind {
				case kindArticle:
					purged, err = purgeArticle(tx, w, key, now)
				case kindAnnotation:
					purged, err = purgeAnnotation(tx, w, key, now)
				case kindSource:
					purged, err = purgeSource(tx, w, key, now)
				default:
					err = fmt.Errorf("purge_queue key %x: unknown kind %d", k, kind)
				}
				if err != nil {
					// Wrapped, as in DeleteArticle.
					return fmt.Errorf("purging %x: %w", k, err)
				}
				n += purged
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if !more {
			return total, nil
		}
	}
}

// hasKey reports whether b holds k (index values are empty and may read
// back as nil, so Get cannot tell).
func hasKey(b *bbolt.Bucket, k []byte) bool {
	got, _ := b.Cursor().Seek(k)
	return bytes.Equal(got, k)
}

// purgeAnnotation removes the annotation under key and its history.
func purgeAnnotation(tx *bbolt.Tx, w store.WriteInfo, key []byte, now time.Time) (int, error) {
	r, err := decode(tx.Bucket(bucketAnnotations).Get(key), &recordpb.Annotation{})
	if err != nil {
		return 0, fmt.Errorf("annotation record %x: %w", key, err)
	}
	if err := deleteAnnotation(tx, key, r); err != nil {
		return 0, err
	}
	return 1, appendChange(tx, w, annotationChange(store.ChangePurged, r, nil, now))
}

// purgeArticle removes the article under key, its revisions and every
// annotation it still has (all deleted).
func purgeArticle(tx *bbolt.Tx, w store.WriteInfo, key []byte, now time.Time) (int, error) {
	r, err := decode(tx.Bucket(bucketArticles).Get(key), &recordpb.Article{})
	if err != nil {
		return 0, fmt.Errorf("article record %x: %w", key, err)
	}
	n := 0
	for _, ak := range (&candidates{bucket: bucketAnnotationsByArticle, prefix: key}).recordKeys(tx) {
		m, err := purgeAnnotation(tx, w, ak, now)
		if err != nil {
			return n, err
		}
		n += m
	}
	if err := deletePrefix(tx.Bucket(bucketArticleRevisions), key); err != nil {
		return n, err
	}
	if err := deleteRecord(tx, bucketArticles, key, articleEntries(key, r)); err != nil {
		return n, err
	}
	return n + 1, appendChange(tx, w, articleChange(store.ChangePurged, r, nil, now))
}

// purgeSource removes the source under key. Deleted annotations may still
// cite it: undeleting them then fails (citedSourcesLive).
func purgeSource(tx *bbolt.Tx, w store.WriteInfo, key []byte, now time.Time) (int, error) {
	r, err := decode(tx.Bucket(bucketSources).Get(key), &recordpb.Source{})
	if err != nil {
		return 0, fmt.Errorf("source record %x: %w", key, err)
	}
	if err := deleteRecord(tx, bucketSources, key, sourceEntries(key, r)); err != nil {
		return 0, err
	}
	return 1, appendChange(tx, w, sourceChange(store.ChangePurged, r, nil, now))
}

// deletedBucketOf returns the *_deleted bucket of a records bucket, nil
// for the kinds that are never soft-deleted (reviewers, tokens).
func deletedBucketOf(records []byte) []byte {
	switch string(records) {
	case string(bucketArticles):
		return bucketArticlesDeleted
	case string(bucketAnnotations):
		return bucketAnnotationsDeleted
	case string(bucketSources):
		return bucketSourcesDeleted
	}
	return nil
}

// timeFromPart decodes a <time t> key part.
func timeFromPart(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63))).UTC()
}
