package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
	"github.com/factcheck/factcheck/store/filter"
)

// rawFile creates a bbolt file with init run in one transaction, standing in
// for a file an older (or newer, or foreign) binary wrote.
func rawFile(t *testing.T, init func(*bbolt.Tx) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "factcheck.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if init != nil {
		if err := db.Update(init); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// inspect runs fn on the file at path, closed.
func inspect(t *testing.T, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(fn); err != nil {
		t.Fatal(err)
	}
}

func fileVersion(t *testing.T, path string) uint64 {
	t.Helper()
	var v uint64
	inspect(t, path, func(tx *bbolt.Tx) (err error) {
		v, err = schemaVersion(tx, ^uint64(0))
		return err
	})
	return v
}

func setVersion(v uint64) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keySchemaVersion, u64(v))
	}
}

// atVersion stands in for a file the binary of schema version v wrote
// before any record: the buckets of versions 1 to v, and v.
func atVersion(v uint64) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		for u := uint64(1); u <= v; u++ {
			if err := createBuckets(u)(tx); err != nil {
				return err
			}
		}
		return setVersion(v)(tx)
	}
}

// rewrite runs fn on the closed file at path in one writable transaction.
func rewrite(t *testing.T, path string, fn func(*bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// downgrade turns a file the current binary wrote back into one the binary
// of version v left: it drops the buckets version v+1 added, runs more for
// anything else that version wrote, and sets the version to v.
func downgrade(v uint64, more ...func(*bbolt.Tx) error) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		for _, b := range buckets {
			if b.since == v+1 {
				if err := tx.DeleteBucket(b.name); err != nil {
					return err
				}
			}
		}
		for _, fn := range more {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return setVersion(v)(tx)
	}
}

// upgrade opens and closes the file at path, running the pending
// migrations.
func upgrade(t *testing.T, path string) {
	t.Helper()
	s, err := openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func openPath(t *testing.T, path string) (*Store, error) {
	t.Helper()
	s, err := Open(path, Options{NoSync: true})
	if err == nil {
		t.Cleanup(func() { _ = s.Close() })
	}
	return s, err
}

// migrationsV2 is the list as of schema version 2.
var migrationsV2 = migrations[:2]

// withMigrations replaces the migration list for one test.
func withMigrations(t *testing.T, ms []migration) {
	saved := migrations
	migrations = ms
	t.Cleanup(func() { migrations = saved })
}

// TestMigrations writes each schema version's starting shape and checks what
// its migration leaves. Add a case with every migration.
func TestMigrations(t *testing.T) {
	latest := migrations[len(migrations)-1].version
	tests := []struct {
		name  string
		init  func(*bbolt.Tx) error
		check func(*bbolt.Tx) error
	}{
		{
			name: "1: an empty file gets every bucket",
			init: nil,
			check: func(tx *bbolt.Tx) error {
				for _, b := range buckets {
					if tx.Bucket(b.name) == nil {
						return errors.New("missing bucket " + string(b.name))
					}
				}
				return nil
			},
		},
		{
			name: "3: a version 2 file gets the revision buckets",
			init: atVersion(2),
			check: func(tx *bbolt.Tx) error {
				if tx.Bucket(bucketArticleRevisions) == nil || tx.Bucket(bucketAnnotationRevisions) == nil {
					return errors.New("no revision buckets")
				}
				return nil
			},
		},
		{
			name: "4: a version 3 file gets an empty change feed",
			init: atVersion(3),
			check: func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucketChanges)
				if b == nil {
					return errors.New("no changes bucket")
				}
				if b.Sequence() != 0 || b.Stats().KeyN != 0 {
					return fmt.Errorf("the new feed has sequence %d and %d changes", b.Sequence(), b.Stats().KeyN)
				}
				return nil
			},
		},
		{
			name:  "5: a version 4 file keeps its revisions, snapshots included",
			init:  atVersion(4),
			check: func(tx *bbolt.Tx) error { return checkRevisions(tx) },
		},
		{
			name: "6: a version 5 file gets empty soft-delete indexes",
			init: atVersion(5),
			check: func(tx *bbolt.Tx) error {
				for _, name := range [][]byte{bucketArticlesDeleted, bucketAnnotationsDeleted, bucketSourcesDeleted, bucketPurgeQueue} {
					b := tx.Bucket(name)
					if b == nil {
						return errors.New("no bucket " + string(name))
					}
					if n := b.Stats().KeyN; n != 0 {
						return fmt.Errorf("%s holds %d keys: the records of an older file are all live", name, n)
					}
				}
				return nil
			},
		},
		{
			name: "7: a version 6 file gets reviewers, tokens and an empty audit log",
			init: atVersion(6),
			check: func(tx *bbolt.Tx) error {
				for _, name := range [][]byte{bucketReviewers, bucketReviewerIDs, bucketReviewerEmails, bucketTokens,
					bucketTokenIDs, bucketTokenHashes, bucketTokensByReviewer, bucketAudit} {
					b := tx.Bucket(name)
					if b == nil {
						return errors.New("no bucket " + string(name))
					}
					if n := b.Stats().KeyN; n != 0 {
						return fmt.Errorf("%s holds %d keys, want none", name, n)
					}
				}
				if h := tx.Bucket(bucketMeta).Get(keyAuditHead); h != nil {
					return fmt.Errorf("meta/%s is %x before any write: an empty log has no head", keyAuditHead, h)
				}
				return checkAudit(tx)
			},
		},
		{
			name: "8: a version 7 file gets annotations_by_author",
			init: atVersion(7),
			check: func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucketAnnotationsByAuthor)
				if b == nil {
					return errors.New("no annotations_by_author bucket")
				}
				if n := b.Stats().KeyN; n != 0 {
					return fmt.Errorf("annotations_by_author holds %d keys without annotations, want none", n)
				}
				return nil
			},
		},
		{
			name: "2: a version 1 file gets import_request_ids",
			init: atVersion(1),
			check: func(tx *bbolt.Tx) error {
				if tx.Bucket(bucketImportRequestIDs) == nil {
					return errors.New("no import_request_ids bucket")
				}
				return nil
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := rawFile(t, tc.init)
			upgrade(t, path)
			if v := fileVersion(t, path); v != latest {
				t.Errorf("schema version %d after open, want %d", v, latest)
			}
			inspect(t, path, tc.check)
		})
	}
}

// TestMigrationsRunInOrder appends test migrations through the package
// variable: pending ones run once, in order, in one transaction.
func TestMigrationsRunInOrder(t *testing.T) {
	var ran []string
	logged := func(name string, fn func(*bbolt.Tx) error) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			ran = append(ran, name)
			if fn != nil {
				return fn(tx)
			}
			return nil
		}
	}
	v1 := migrations[0]
	if v1.version != 1 {
		t.Fatalf("the first migration is version %d", v1.version)
	}
	// A file at version 1, written by the real first migration.
	old := rawFile(t, nil)
	withMigrations(t, []migration{v1})
	upgrade(t, old)

	extra := []byte("test_v2")
	withMigrations(t, []migration{
		{1, v1.name, logged("1", v1.migrate)},
		{2, "test: add a bucket", logged("2", func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucket(extra)
			return err
		})},
		{3, "test: needs the bucket of 2", logged("3", func(tx *bbolt.Tx) error {
			if tx.Bucket(extra) == nil {
				return errors.New("migration 3 ran before 2")
			}
			return nil
		})},
	})
	upgrade(t, old)
	if !slices.Equal(ran, []string{"2", "3"}) || fileVersion(t, old) != 3 {
		t.Errorf("opening a version 1 file ran %q and left version %d; want [2 3] and 3", ran, fileVersion(t, old))
	}

	ran = nil
	upgrade(t, old)
	if len(ran) != 0 {
		t.Errorf("reopening an up-to-date file ran %q", ran)
	}

	ran = nil
	fresh := rawFile(t, nil)
	upgrade(t, fresh)
	if !slices.Equal(ran, []string{"1", "2", "3"}) || fileVersion(t, fresh) != 3 {
		t.Errorf("opening an empty file ran %q and left version %d; want [1 2 3] and 3", ran, fileVersion(t, fresh))
	}
}

func TestFailedMigrationLeavesTheFile(t *testing.T) {
	old := rawFile(t, nil)
	upgrade(t, old)
	latest := migrations[len(migrations)-1].version
	withMigrations(t, append(slices.Clone(migrations),
		migration{latest + 1, "test: half done", func(tx *bbolt.Tx) error {
			if _, err := tx.CreateBucket([]byte("half")); err != nil {
				return err
			}
			return errors.New("disk on fire")
		}}))
	_, err := openPath(t, old)
	if want := fmt.Sprintf("schema migration %d (test: half done): disk on fire", latest+1); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want the failed migration named", err)
	}
	if v := fileVersion(t, old); v != latest {
		t.Errorf("version %d after a failed migration, want %d", v, latest)
	}
	inspect(t, old, func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte("half")) != nil {
			t.Error("the failed migration's bucket was committed")
		}
		return nil
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	latest := migrations[len(migrations)-1].version
	path := rawFile(t, setVersion(latest+1))
	_, err := openPath(t, path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
	want := fmt.Sprintf("database schema version %d is newer than this factcheckd supports (%d): upgrade factcheckd", latest+1, latest)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not say %q", err, want)
	}
}

func TestForeignFileRefused(t *testing.T) {
	path := rawFile(t, func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte("somebody-elses"))
		return err
	})
	_, err := openPath(t, path)
	if err == nil || !strings.Contains(err.Error(), "not a factcheck database") {
		t.Fatalf("err = %v, want a refusal naming a foreign file", err)
	}
}

// oldRecords writes records the way a binary of schema 1 or 2 did: the
// record and its index entries, no revisions. Entries of buckets the file
// does not have yet (annotations_by_author, since 8) were not written then.
func oldRecords(arts []*recordpb.Article, anns []*recordpb.Annotation) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		existing := func(es []entry) []entry {
			return slices.DeleteFunc(es, func(e entry) bool { return tx.Bucket(e.bucket) == nil })
		}
		keys := map[string][]byte{}
		for _, r := range arts {
			key, err := insert(tx, bucketArticles, r, func(key []byte) []entry { return existing(articleEntries(key, r)) })
			if err != nil {
				return err
			}
			keys[r.Id] = key
		}
		for _, r := range anns {
			r.ArticleKey = binary.BigEndian.Uint64(keys[r.ArticleId])
			if _, err := insert(tx, bucketAnnotations, r, func(key []byte) []entry { return existing(annotationEntries(key, r)) }); err != nil {
				return err
			}
		}
		return nil
	}
}

// TestMigration2KeepsRecords writes a file with the version 1 binary's
// migrations, records included, and opens it with the current ones.
func TestMigration2KeepsRecords(t *testing.T) {
	path := rawFile(t, nil)
	withMigrations(t, migrations[:1])
	upgrade(t, path)
	art := &store.Article{ID: "a1", URL: "https://news.example/1", Text: "Taxes fell."}
	rewrite(t, path, oldRecords([]*recordpb.Article{{Id: art.ID, Url: art.URL, Text: art.Text, Revision: 1}}, nil))
	inspect(t, path, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketImportRequestIDs) != nil {
			t.Error("a version 1 file has import_request_ids")
		}
		return nil
	})
	migrations = migrationsV2
	s, err := openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetArticle(context.Background(), art.ID); err != nil || got.Text != art.Text {
		t.Errorf("article after the migration: %v, %v", got, err)
	}
	// (The current binary writes buckets of later versions too, so the
	// file is only read here; TestMigrations checks the bucket.)
	_ = s.Close()
	if v := fileVersion(t, path); v != 2 {
		t.Errorf("schema version %d, want 2", v)
	}
	inspect(t, path, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketImportRequestIDs) == nil {
			t.Error("no import_request_ids after migration 2")
		}
		return nil
	})
}

// TestMigration3BackfillsRevisions writes a version 2 file with articles
// and annotations, as the version 2 binary did, and opens it with the
// current binary: each article gets its current text as the revision it
// is at, each annotation a first revision, and history goes on from there.
func TestMigration3BackfillsRevisions(t *testing.T) {
	ctx := context.Background()
	current := migrations
	path := rawFile(t, nil)
	withMigrations(t, migrationsV2)
	upgrade(t, path)
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	updated := created.Add(time.Hour)
	const text1, text2 = "Taxes fell. The river is clean.", "Taxes fell sharply. The river is clean."
	arts := []*recordpb.Article{
		{Id: "fresh", Url: "https://news.example/fresh", Text: text1, Revision: 1, TextSha256: textSHA256(text1),
			CreateTime: timestamp(created), UpdateTime: timestamp(updated), Etag: "e1"},
		{Id: "edited", Url: "https://news.example/edited", Text: text2, Revision: 4, TextSha256: textSHA256(text2),
			CreateTime: timestamp(created), UpdateTime: timestamp(updated), Etag: "e2"},
	}
	ann := func(art, id, exact string, start int64) *recordpb.Annotation {
		return &recordpb.Annotation{Id: id, ArticleId: art, State: int32(store.StateDraft),
			Anchor: &recordpb.Anchor{Exact: exact, Start: start, End: start + int64(len(exact)), ArticleRevision: 1,
				Status: int32(store.StatusAnchored), Utf16Start: start, Utf16End: start + int64(len(exact)),
				Utf8Start: start, Utf8End: start + int64(len(exact))},
			Claim: &recordpb.Claim{Text: "claim " + id}, CreateTime: timestamp(created), UpdateTime: timestamp(updated), Etag: "etag-" + id}
	}
	river := int64(strings.Index(text2, "The river"))
	anns := []*recordpb.Annotation{ann("fresh", "n1", "Taxes fell", 0), ann("edited", "n2", "The river is clean", river)}
	anns[1].Anchor.ArticleRevision = 4
	// An orphan pointing into a revision whose text was never kept.
	orphan := ann("edited", "n3", "Taxes fell", 0)
	orphan.Anchor.ArticleRevision, orphan.Anchor.Status = 3, int32(store.StatusOrphaned)
	anns = append(anns, orphan)
	rewrite(t, path, oldRecords(arts, anns))

	withMigrations(t, current)
	s, err := openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	revs, next, err := s.ListArticleRevisions(ctx, "edited", store.RevisionQuery{PageSize: 10})
	if err != nil || next != "" || len(revs) != 1 || revs[0].Revision != 4 || revs[0].Text != text2 || !revs[0].CreateTime.Equal(updated) {
		t.Fatalf("revisions of an article at revision 4: %+v, %q, %v; want only 4, dated its update_time", revs, next, err)
	}
	if r, err := s.GetArticleRevision(ctx, "fresh", 1); err != nil || r.Text != text1 || !r.CreateTime.Equal(created) {
		t.Errorf("revision 1 of an unedited article: %+v, %v; want its text, dated its create_time", r, err)
	}
	got, err := s.GetAnnotation(ctx, "edited", "n2")
	if err != nil || got.RevisionID != 1 || got.Etag != "etag-n2" {
		t.Fatalf("annotation after the migration: %+v, %v; want revision 1 and its etag kept", got, err)
	}
	arevs, _, err := s.ListAnnotationRevisions(ctx, "edited", "n2", store.RevisionQuery{PageSize: 10})
	if err != nil || len(arevs) != 1 || arevs[0].Cause != store.CauseMigrated || arevs[0].Annotation.Claim.Text != "claim n2" {
		t.Fatalf("annotation revisions: %+v, %v", arevs, err)
	}

	// History goes on: a text change re-anchors from the kept text, and
	// the annotation's next revision is 2.
	if _, err := s.UpdateArticle(ctx, "edited", "", func(a *store.Article) error {
		a.Text = "Update: " + a.Text
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetAnnotation(ctx, "edited", "n2")
	if err != nil || got.RevisionID != 2 || got.Anchor.ArticleRevision != 5 || got.Anchor.Start != int(river)+len("Update: ") {
		t.Errorf("after a text change: %+v, %v", got, err)
	}
	// Rolling the orphan back to its migrated revision finds its quote in
	// the current text by its words alone: the text its span counted into
	// is gone.
	back, err := s.RollbackAnnotation(ctx, "edited", "n3", 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if a := back.Anchor; a.Status != store.StatusAnchored || a.ArticleRevision != 5 || a.Start != len("Update: ") {
		t.Errorf("rolled back orphan: %+v", a)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	_ = s.Close()
	if v, want := fileVersion(t, path), current[len(current)-1].version; v != want {
		t.Errorf("schema version %d, want %d", v, want)
	}
}

// TestMigration6KeepsRecordsLive writes a file as the version 5 binary left
// it (records, no soft-delete buckets) and opens it with the current one:
// every record is live, listed, and can be deleted, undeleted and purged.
func TestMigration6KeepsRecordsLive(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "factcheck.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	art, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/1", Text: "The minister said taxes fell."})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "taxes fell"}, Claim: store.Claim{Text: "Taxes fell."}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewrite(t, path, downgrade(5))

	s, err = openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	arts, _, err := s.ListArticles(ctx, store.ListQuery{PageSize: 10})
	if err != nil || len(arts) != 1 || !arts[0].DeleteTime.IsZero() {
		t.Fatalf("articles after the migration: %+v, %v", arts, err)
	}
	if err := s.DeleteArticle(ctx, art.ID, "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UndeleteArticle(ctx, art.ID, ""); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAnnotation(ctx, art.ID, ann.ID)
	if err != nil || !got.DeleteTime.IsZero() {
		t.Fatalf("annotation after delete and undelete: %+v, %v", got, err)
	}
	if err := s.DeleteArticle(ctx, art.ID, "", true); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(ctx, time.Now().Add(DefaultRetention+time.Hour)); err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v, want := fileVersion(t, path), migrations[len(migrations)-1].version; v != want {
		t.Errorf("schema version %d, want %d", v, want)
	}
}

// TestMigration7StartsTheLog writes a file as the version 6 binary left it
// (records and changes, no reviewers, no audit log) and opens it with the
// current one: the records stay, the log starts at entry 1 with the next
// write, and reviewers can be bootstrapped.
func TestMigration7StartsTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "factcheck.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	art, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/1", Text: "The minister said taxes fell."})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewrite(t, path, downgrade(6, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Delete(keyAuditHead)
	}))

	s, err = openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetArticle(ctx, art.ID); err != nil || got.Etag != art.Etag {
		t.Fatalf("article after the migration: %+v, %v", got, err)
	}
	if v, err := s.VerifyAuditLog(ctx); err != nil || v.Checked != 0 || v.FirstBroken != 0 {
		t.Fatalf("the migrated log: %+v, %v; want empty and whole", v, err)
	}
	wctx := store.WithWriteInfo(ctx, store.WriteInfo{Actor: "reviewers/r1"})
	if _, err := s.UpdateArticle(wctx, art.ID, "", func(a *store.Article) error { a.Title = "T"; return nil }); err != nil {
		t.Fatal(err)
	}
	ok, err := s.BootstrapReviewer(ctx, &store.Reviewer{Role: store.RoleAdmin}, &store.Token{SecretHash: make([]byte, 32)})
	if err != nil || !ok {
		t.Fatalf("BootstrapReviewer on a migrated file = %v, %v", ok, err)
	}
	es, _, err := s.ListAuditEntries(ctx, store.ListQuery{PageSize: 10})
	if err != nil || len(es) != 3 || es[0].Sequence != 1 || es[0].Resource != store.ArticleName(art.ID) || es[0].Actor != "reviewers/r1" {
		t.Fatalf("the log after the migration: %+v, %v; want the update as entry 1, then the bootstrap", es, err)
	}
	if v, err := s.VerifyAuditLog(ctx); err != nil || v.Checked != 3 || v.FirstBroken != 0 {
		t.Fatalf("VerifyAuditLog: %+v, %v", v, err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestMigration8IndexesAuthors writes a file as the version 7 binary left it
// (annotations by several authors, one unattributed and one deleted, no
// annotations_by_author) and opens it with the current one: the index holds
// every annotation under its author, Check agrees, and a list by author
// reads only that author's records.
func TestMigration8IndexesAuthors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "factcheck.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	art, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/1", Text: "The minister said taxes fell."})
	if err != nil {
		t.Fatal(err)
	}
	byAuthor := map[string][]string{} // author → annotation IDs, in creation order
	for i, author := range []string{"reviewers/r1", "reviewers/r2", "", "reviewers/r1", "reviewers/r2", "reviewers/r1"} {
		wctx := store.WithWriteInfo(ctx, store.WriteInfo{Actor: author})
		a, err := s.CreateAnnotation(wctx, &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "taxes fell"},
			Claim: store.Claim{Text: fmt.Sprintf("Claim %d.", i)}})
		if err != nil {
			t.Fatal(err)
		}
		if a.Author != author {
			t.Fatalf("created by %q, author %q", author, a.Author)
		}
		byAuthor[author] = append(byAuthor[author], a.ID)
	}
	// A deleted annotation keeps its index entries, as it keeps the others.
	if err := s.DeleteAnnotation(ctx, art.ID, byAuthor["reviewers/r2"][1], ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewrite(t, path, downgrade(7))

	s, err = openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v, want := fileVersion(t, path), migrations[len(migrations)-1].version; v != want {
		t.Errorf("schema version %d, want %d", v, want)
	}
	inspect(t, path, func(tx *bbolt.Tx) error {
		got := map[string][]string{}
		err := tx.Bucket(bucketAnnotationsByAuthor).ForEach(func(k, _ []byte) error {
			n := int(binary.BigEndian.Uint16(k))
			if len(k) != 2+n+keyLen {
				return fmt.Errorf("key %q is %d bytes, want 2+%d+%d", k, len(k), n, keyLen)
			}
			r, err := decode(tx.Bucket(bucketAnnotations).Get(k[2+n:]), &recordpb.Annotation{})
			if err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			if r.Author != string(k[2:2+n]) {
				return fmt.Errorf("key %q names an annotation by %q", k, r.Author)
			}
			got[r.Author] = append(got[r.Author], r.Id)
			return nil
		})
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != fmt.Sprint(byAuthor) {
			t.Errorf("annotations_by_author holds %v, want %v", got, byAuthor)
		}
		return nil
	})

	s, err = openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.Parse(`author = "reviewers/r1"`, store.AnnotationFilterSchema)
	if err != nil {
		t.Fatal(err)
	}
	before := s.Examined()
	list, _, err := s.ListAnnotations(ctx, "", store.ListQuery{Filter: f, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	if !slices.Equal(ids, byAuthor["reviewers/r1"]) {
		t.Errorf("author = reviewers/r1 lists %q, want %q", ids, byAuthor["reviewers/r1"])
	}
	if n := s.Examined() - before; n != int64(len(byAuthor["reviewers/r1"])) {
		t.Errorf("the list read %d records, want only the author's %d", n, len(byAuthor["reviewers/r1"]))
	}
}
