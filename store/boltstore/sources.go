package boltstore

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
	"github.com/factcheck/factcheck/store/filter"
)

// getSource reads the source with the given ID.
func getSource(tx *bbolt.Tx, id string) (key []byte, r *recordpb.Source, err error) {
	key = lookup(tx, bucketSourceIDs, []byte(id))
	if key == nil {
		return nil, nil, store.NotFound("SOURCE_NOT_FOUND", store.SourceName(id))
	}
	r, err = decode(tx.Bucket(bucketSources).Get(key), &recordpb.Source{})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", store.SourceName(id), err)
	}
	return key, r, nil
}

// CreateSource implements store.Store.
func (s *Store) CreateSource(ctx context.Context, in *store.Source) (*store.Source, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Source
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		r := s.newSource(tx, in)
		if _, err := insertSource(tx, r); err != nil {
			return err
		}
		if err := appendChange(tx, w, sourceChange(store.ChangeCreated, nil, r, fromTimestamp(r.UpdateTime))); err != nil {
			return err
		}
		out = sourceFromRecord(r)
		return nil
	})
	return out, err
}

// newSource fills in the output-only fields of a new source record.
func (s *Store) newSource(tx *bbolt.Tx, in *store.Source) *recordpb.Source {
	r := sourceRecord(in)
	if r.Id == "" {
		r.Id = s.newID(tx, sourcePrefix, bucketSourceIDs, nil)
	}
	now := timestamp(s.clock())
	r.CreateTime, r.UpdateTime = now, now
	r.Etag = newEtag()
	return r
}

func insertSource(tx *bbolt.Tx, r *recordpb.Source) ([]byte, error) {
	return insert(tx, bucketSources, r, func(key []byte) []entry { return sourceEntries(key, r) })
}

// GetSource implements store.Store.
func (s *Store) GetSource(ctx context.Context, id string) (*store.Source, error) {
	var out *store.Source
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		_, r, err := getSource(tx, id)
		if err != nil {
			return err
		}
		out = sourceFromRecord(r)
		return nil
	})
	return out, err
}

// ListSources implements store.Store.
func (s *Store) ListSources(ctx context.Context, q store.ListQuery) ([]*store.Source, string, error) {
	var (
		out  []*store.Source
		next string
	)
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		spec := listSpec[*store.Source]{
			records:  bucketSources,
			byUpdate: bucketSourcesByUpdate,
			deleted:  bucketSourcesDeleted,
			decode: func(val []byte) (*store.Source, error) {
				r, err := decode(val, &recordpb.Source{})
				if err != nil {
					return nil, err
				}
				return sourceFromRecord(r), nil
			},
			updateTime: func(s *store.Source) time.Time { return s.UpdateTime },
			keep:       func(s *store.Source) bool { return filter.Match(q.Filter, s) },
			sets: setsFor(q.Filter, func(t *filter.Compare) (candidates, bool) {
				switch t.Field {
				case "url":
					return uniqueSet(bucketSourceURLs, t.Value)
				case "publisher":
					return stringSet(bucketSourcesByPublisher, t.Value)
				case "kind":
					return enumSet(bucketSourcesByKind, t.Value, store.SourceKind.String)
				}
				return candidates{}, false
			}),
		}
		out, next, err = listPage(ctx, s, tx, spec, q)
		return err
	})
	return out, next, err
}

// UpdateSource implements store.Store.
func (s *Store) UpdateSource(ctx context.Context, id, etag string, update func(*store.Source) error) (*store.Source, error) {
	w := store.WriteInfoFrom(ctx)
	var out *store.Source
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		key, old, err := getSource(tx, id)
		if err != nil {
			return err
		}
		if old.DeleteTime != nil {
			return deletedError(store.SourceName(id), "SOURCE_DELETED", "update it")
		}
		if err := checkEtag(store.SourceName(id), etag, old.Etag); err != nil {
			return err
		}
		src := sourceFromRecord(old)
		if err := update(src); err != nil {
			return err
		}
		r := sourceRecord(src)
		r.Id, r.CreateTime = old.Id, old.CreateTime
		r.UpdateTime = timestamp(s.clock())
		r.Etag = newEtag()
		if err := save(tx, bucketSources, key, r, sourceEntries(key, old), sourceEntries(key, r)); err != nil {
			return err
		}
		if err := appendChange(tx, w, sourceChange(store.ChangeUpdated, old, r, fromTimestamp(r.UpdateTime))); err != nil {
			return err
		}
		out = sourceFromRecord(r)
		return nil
	})
	return out, err
}
