package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
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
			name: "2: a version 1 file gets import_request_ids",
			init: func(tx *bbolt.Tx) error {
				if err := createBuckets(1)(tx); err != nil {
					return err
				}
				return setVersion(1)(tx)
			},
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
			s, err := openPath(t, path)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
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
	s, err := openPath(t, old)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

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
	s, err = openPath(t, old)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if !slices.Equal(ran, []string{"2", "3"}) || fileVersion(t, old) != 3 {
		t.Errorf("opening a version 1 file ran %q and left version %d; want [2 3] and 3", ran, fileVersion(t, old))
	}

	ran = nil
	s, err = openPath(t, old)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if len(ran) != 0 {
		t.Errorf("reopening an up-to-date file ran %q", ran)
	}

	ran = nil
	fresh := rawFile(t, nil)
	if s, err = openPath(t, fresh); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if !slices.Equal(ran, []string{"1", "2", "3"}) || fileVersion(t, fresh) != 3 {
		t.Errorf("opening an empty file ran %q and left version %d; want [1 2 3] and 3", ran, fileVersion(t, fresh))
	}
}

func TestFailedMigrationLeavesTheFile(t *testing.T) {
	old := rawFile(t, nil)
	s, err := openPath(t, old)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	latest := migrations[len(migrations)-1].version
	withMigrations(t, append(slices.Clone(migrations),
		migration{latest + 1, "test: half done", func(tx *bbolt.Tx) error {
			if _, err := tx.CreateBucket([]byte("half")); err != nil {
				return err
			}
			return errors.New("disk on fire")
		}}))
	_, err = openPath(t, old)
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

// TestMigration2KeepsRecords writes a file with the version 1 binary's
// migrations, records included, and opens it with the current ones.
func TestMigration2KeepsRecords(t *testing.T) {
	path := rawFile(t, nil)
	withMigrations(t, migrations[:1])
	s, err := openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	art, err := s.CreateArticle(context.Background(), &store.Article{URL: "https://news.example/1", Text: "Taxes fell."})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	inspect(t, path, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketImportRequestIDs) != nil {
			t.Error("a version 1 file has import_request_ids")
		}
		return nil
	})
	migrations = migrationsV2
	if s, err = openPath(t, path); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetArticle(context.Background(), art.ID); err != nil || got.Text != art.Text {
		t.Errorf("article after the migration: %v, %v", got, err)
	}
	res, err := s.Import(context.Background(), []store.ImportRecord{{RequestID: "r1", Source: &store.Source{URL: "https://evidence.example/1"}}}, store.ImportOptions{})
	if err != nil || res[0].Outcome != store.OutcomeCreated {
		t.Fatalf("import after the migration: %+v, %v", res, err)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	_ = s.Close()
	if v := fileVersion(t, path); v != 2 {
		t.Errorf("schema version %d, want 2", v)
	}
}
