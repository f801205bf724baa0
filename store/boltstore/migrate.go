package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

var keySchemaVersion = []byte("schema_version")

// migration moves a file from version-1 to version.
type migration struct {
	version uint64
	name    string
	migrate func(*bbolt.Tx) error
}

// migrations MUST be ordered by version, starting at 1 with no gaps; the last
// one's version is the schema version this binary writes. Never edit a
// migration that has shipped: add one. Each migration gets a case in
// TestMigrations that writes the old shape and checks the new one, and the
// bucket tree in schema.go is updated with it. A migration that adds buckets
// declares them in schema.go with since set to its version and runs
// createBuckets(version); one that adds an index then runs rebuildIndexes.
//
// A variable, not a constant list, so tests can append migrations and watch
// them run.
var migrations = []migration{
	{version: 1, name: "create the buckets", migrate: createBuckets(1)},
	{version: 2, name: "add import_request_ids", migrate: createBuckets(2)},
	{version: 3, name: "keep article and annotation revisions", migrate: migrate3},
	{version: 4, name: "add the change feed", migrate: createBuckets(4)},
	// Nothing to rewrite: version 4 revisions all keep their snapshot,
	// which version 5 still reads. The version keeps older binaries, which
	// would find no snapshot in a new annotation's revision 1, off the file.
	{version: 5, name: "a new annotation's revision 1 may leave its snapshot in the record", migrate: func(*bbolt.Tx) error { return nil }},
	// Every record of an older file is live: the soft-delete indexes start
	// empty.
	{version: 6, name: "add the soft-delete indexes", migrate: createBuckets(6)},
	// No reviewer exists yet (the server bootstraps its first admin), and
	// the audit log starts empty: writes before it were never attributed.
	{version: 7, name: "add reviewers, tokens and the audit log", migrate: createBuckets(7)},
	{version: 8, name: "index annotations by author", migrate: migrate8},
}

// migrate8 creates annotations_by_author and fills it from the annotations,
// with the entries annotationEntries derives: the other indexes are already
// right, so only the new bucket is written.
func migrate8(tx *bbolt.Tx) error {
	if err := createBuckets(8)(tx); err != nil {
		return err
	}
	byAuthor := tx.Bucket(bucketAnnotationsByAuthor)
	// Filled in record-key order within each author: full pages suit it,
	// as they suit inserts.
	byAuthor.FillPercent = 0.9
	return tx.Bucket(bucketAnnotations).ForEach(func(key, val []byte) error {
		r, err := decode(val, &recordpb.Annotation{})
		if err != nil {
			return fmt.Errorf("annotation record %x: %w", key, err)
		}
		for _, e := range annotationEntries(key, r) {
			if bytes.Equal(e.bucket, bucketAnnotationsByAuthor) {
				if err := byAuthor.Put(e.key, e.value); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// migrate3 creates the revision buckets and gives every existing article and
// annotation the revision it is at: the current text as revision
// Article.Revision (earlier texts were never kept), dated when the text was
// last set as far as the record tells (create_time for revision 1,
// update_time otherwise), and each annotation's current state as its
// revision 1 (CauseMigrated, dated update_time). Annotations are rewritten
// to carry revision_id 1, keeping their etags: their content is unchanged.
func migrate3(tx *bbolt.Tx) error {
	if err := createBuckets(3)(tx); err != nil {
		return err
	}
	err := tx.Bucket(bucketArticles).ForEach(func(key, val []byte) error {
		r, err := decode(val, &recordpb.Article{})
		if err != nil {
			return fmt.Errorf("article record %x: %w", key, err)
		}
		at := r.UpdateTime
		if r.Revision <= 1 {
			r.Revision, at = 1, r.CreateTime
		}
		return putArticleRevision(tx, key, r, at, "")
	})
	if err != nil {
		return err
	}
	// Rewriting the records a cursor walks invalidates it: go in batches,
	// seeking past the last key done.
	const batch = 1024
	var after []byte
	for {
		type rec struct {
			key []byte
			r   *recordpb.Annotation
		}
		var todo []rec
		c := tx.Bucket(bucketAnnotations).Cursor()
		k, v := c.First()
		if after != nil {
			k, v = c.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(todo) < batch; k, v = c.Next() {
			r, err := decode(v, &recordpb.Annotation{})
			if err != nil {
				return fmt.Errorf("annotation record %x: %w", k, err)
			}
			todo = append(todo, rec{clone(k), r})
		}
		if len(todo) == 0 {
			return nil
		}
		for _, t := range todo {
			t.r.RevisionId = 1
			val, err := encode(t.r)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketAnnotations).Put(t.key, val); err != nil {
				return err
			}
			if err := putAnnotationRevision(tx, t.key, nil, t.r, store.CauseMigrated, 0, store.WriteInfo{}); err != nil {
				return err
			}
		}
		after = todo[len(todo)-1].key
	}
}

// createBuckets returns a migration step creating the buckets that version
// introduced.
func createBuckets(version uint64) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		for _, b := range buckets {
			if b.since != version {
				continue
			}
			if _, err := tx.CreateBucketIfNotExists(b.name); err != nil {
				return fmt.Errorf("create bucket %s: %w", b.name, err)
			}
		}
		return nil
	}
}

// errUpToDate rolls back the migration transaction when another process
// migrated the file between our read and our write.
var errUpToDate = errors.New("up to date")

// migrate brings the file at db to the newest schema version, applying every
// pending migration in one write transaction so that a crash leaves the file
// at its old version or the new one, never between. A file already up to date
// costs one read transaction.
func migrate(db *bbolt.DB) error {
	latest := migrations[len(migrations)-1].version
	var current uint64
	if err := db.View(func(tx *bbolt.Tx) (err error) {
		current, err = schemaVersion(tx, latest)
		return err
	}); err != nil {
		return err
	}
	if current == latest {
		return nil
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		current, err := schemaVersion(tx, latest)
		if err != nil {
			return err
		}
		if current == latest {
			return errUpToDate
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			if err := m.migrate(tx); err != nil {
				return fmt.Errorf("schema migration %d (%s): %w", m.version, m.name, err)
			}
			meta := tx.Bucket(bucketMeta)
			if meta == nil {
				return fmt.Errorf("schema migration %d (%s) left no meta bucket", m.version, m.name)
			}
			if err := meta.Put(keySchemaVersion, u64(m.version)); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errUpToDate) {
		return nil
	}
	return err
}

// schemaVersion reads the file's schema version: 0 for a new, empty file.
func schemaVersion(tx *bbolt.Tx, latest uint64) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bbolt.Bucket) error {
			empty = false
			return nil
		})
		if !empty {
			return 0, errors.New("the file holds bbolt buckets but no schema version: it is not a factcheck database")
		}
		return 0, nil
	}
	v := meta.Get(keySchemaVersion)
	if len(v) != 8 {
		return 0, fmt.Errorf("meta/schema_version is %d bytes, want 8: the file is damaged or not a factcheck database", len(v))
	}
	version := binary.BigEndian.Uint64(v)
	if version > latest {
		return 0, &tooNewError{version: version, latest: latest}
	}
	return version, nil
}

// tooNewError words ErrSchemaTooNew for the operator.
type tooNewError struct{ version, latest uint64 }

func (e *tooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this factcheckd supports (%d): upgrade factcheckd",
		e.version, e.latest)
}

func (e *tooNewError) Unwrap() error { return ErrSchemaTooNew }
