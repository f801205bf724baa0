package boltstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
	"github.com/factcheck/factcheck/store/filter"
)

func textSHA256(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// getArticle reads the article with the given ID.
func getArticle(tx *bbolt.Tx, id string) (key []byte, r *recordpb.Article, err error) {
	key = lookup(tx, bucketArticleIDs, []byte(id))
	if key == nil {
		return nil, nil, store.NotFound("ARTICLE_NOT_FOUND", store.ArticleName(id))
	}
	r, err = decode(tx.Bucket(bucketArticles).Get(key), &recordpb.Article{})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", store.ArticleName(id), err)
	}
	return key, r, nil
}

// CreateArticle implements store.Store.
func (s *Store) CreateArticle(ctx context.Context, in *store.Article) (*store.Article, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Article
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		r := s.newArticle(tx, in)
		if _, err := insertArticle(tx, r, w.Actor); err != nil {
			return err
		}
		if err := appendChange(tx, w, articleChange(store.ChangeCreated, nil, r, fromTimestamp(r.UpdateTime))); err != nil {
			return err
		}
		out = articleFromRecord(r)
		return nil
	})
	return out, err
}

// newArticle fills in the output-only fields of a new article record.
func (s *Store) newArticle(tx *bbolt.Tx, in *store.Article) *recordpb.Article {
	r := articleRecord(in)
	if r.Id == "" {
		r.Id = s.newID(tx, articlePrefix, bucketArticleIDs, nil)
	}
	now := timestamp(s.clock())
	r.Revision = 1
	r.TextSha256 = textSHA256(r.Text)
	r.CreateTime, r.UpdateTime = now, now
	r.Etag = newEtag()
	return r
}

// insertArticle stores a new article record and its text as revision 1,
// set by actor.
func insertArticle(tx *bbolt.Tx, r *recordpb.Article, actor string) ([]byte, error) {
	key, err := insert(tx, bucketArticles, r, func(key []byte) []entry { return articleEntries(key, r) })
	if err != nil {
		return nil, err
	}
	return key, putArticleRevision(tx, key, r, r.CreateTime, actor)
}

// GetArticle implements store.Store.
func (s *Store) GetArticle(ctx context.Context, id string) (*store.Article, error) {
	var out *store.Article
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		_, r, err := getArticle(tx, id)
		if err != nil {
			return err
		}
		out = articleFromRecord(r)
		return nil
	})
	return out, err
}

// ListArticles implements store.Store.
func (s *Store) ListArticles(ctx context.Context, q store.ListQuery) ([]*store.Article, string, error) {
	var (
		out  []*store.Article
		next string
	)
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		spec := listSpec[*store.Article]{
			records:  bucketArticles,
			byUpdate: bucketArticlesByUpdate,
			deleted:  bucketArticlesDeleted,
			decode: func(val []byte) (*store.Article, error) {
				r, err := decode(val, &recordpb.Article{})
				if err != nil {
					return nil, err
				}
				return articleFromRecord(r), nil
			},
			updateTime: func(a *store.Article) time.Time { return a.UpdateTime },
			keep:       func(a *store.Article) bool { return filter.Match(q.Filter, a) },
			sets: setsFor(q.Filter, func(t *filter.Compare) (candidates, bool) {
				switch t.Field {
				case "url":
					return uniqueSet(bucketArticleURLs, t.Value)
				case "publisher":
					return stringSet(bucketArticlesByPublisher, t.Value)
				case "language":
					return stringSet(bucketArticlesByLanguage, t.Value)
				case "labels":
					return labelSet(bucketArticlesByLabel, t)
				}
				return candidates{}, false
			}),
		}
		out, next, err = listPage(ctx, s, tx, spec, q)
		return err
	})
	return out, next, err
}

// UpdateArticle implements store.Store. A changed text re-anchors the
// article's annotations in the same transaction (see reanchor).
func (s *Store) UpdateArticle(ctx context.Context, id, etag string, update func(*store.Article) error) (*store.Article, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Article
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := getArticle(tx, id)
		if err != nil {
			return err
		}
		if old.DeleteTime != nil {
			return deletedError(store.ArticleName(id), "ARTICLE_DELETED", "update it")
		}
		if err := checkEtag(store.ArticleName(id), etag, old.Etag); err != nil {
			return err
		}
		a := articleFromRecord(old)
		if err := update(a); err != nil {
			return err
		}
		r := articleRecord(a)
		r.Id, r.Revision, r.TextSha256, r.CreateTime = old.Id, old.Revision, old.TextSha256, old.CreateTime
		textChanged := r.Text != old.Text
		if textChanged {
			r.Revision++
			r.TextSha256 = textSHA256(r.Text)
		}
		now := s.clock()
		r.UpdateTime = timestamp(now)
		r.Etag = newEtag()
		if err := save(tx, bucketArticles, key, r, articleEntries(key, old), articleEntries(key, r)); err != nil {
			return err
		}
		if err := appendChange(tx, w, articleChange(store.ChangeUpdated, old, r, now)); err != nil {
			return err
		}
		if textChanged {
			if err := putArticleRevision(tx, key, r, r.UpdateTime, w.Actor); err != nil {
				return err
			}
			events, err := reanchor(tx, w, key, old, r, now)
			if err != nil {
				// Wrapped: after the writes above, a bare
				// *store.Error would tell the committer that
				// nothing was written (commit.go).
				return fmt.Errorf("re-anchoring the annotations of %s: %w", store.ArticleName(id), err)
			}
			for _, ev := range events {
				if err := appendChange(tx, w, reanchorChange(ev, now)); err != nil {
					return err
				}
			}
		}
		out = articleFromRecord(r)
		return nil
	})
	return out, err
}

// maxNamed bounds the resources an error lists.
const maxNamed = 100
