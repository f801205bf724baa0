package boltstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/factcheck/factcheck/store"
)

// Options configures Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file lock before failing with ErrLocked; zero means one second.
	LockTimeout time.Duration
	// NoSync skips the fsync of every commit. UNSAFE: a crash or power loss
	// can lose acknowledged writes or corrupt the file. For tests and for
	// loads that can be redone from scratch only.
	NoSync bool
	// Clock returns the current time for timestamps and generated IDs; nil
	// means time.Now. Tests set it to control time.
	Clock func() time.Time
	// Retention is how long a deleted resource stays restorable before
	// Purge removes it; zero means DefaultRetention (30 days).
	Retention time.Duration

	// soloWrites gives every write a transaction of its own, as before
	// group commit, for benchmarks to compare against.
	soloWrites bool
}

// ErrLocked is wrapped by the error Open returns when another process (or
// another Store in this one) holds the database file.
var ErrLocked = errors.New("database file is locked")

// ErrSchemaTooNew is wrapped by the error Open returns for a file written by
// a newer factcheckd, whose layout this binary does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// lockedError words ErrLocked for the person starting a second server.
type lockedError struct {
	path    string
	timeout time.Duration
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("database file %q is in use by another process (is another factcheckd running?); gave up after %s",
		e.path, e.timeout)
}

func (e *lockedError) Unwrap() error { return ErrLocked }

// Store is a store.Store on one bbolt file. Its methods are safe for
// concurrent use: bbolt runs one write transaction at a time and any number
// of read transactions beside it.
type Store struct {
	db  *bbolt.DB
	now func() time.Time
	ids idGen
	// retention is Options.Retention, defaulted.
	retention time.Duration
	// examined counts records that List calls decoded as candidates, so that
	// tests can tell an index lookup from a scan.
	examined atomic.Int64
	// feed wakes change watchers after commits (changes.go).
	feed *feed
	// commits runs the single-record writes, many to a transaction
	// (commit.go); nil with Options.soloWrites.
	commits *committer
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the database file at path and brings its schema up to
// date. Every acknowledged write is fsynced unless opts.NoSync is set.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = time.Second
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		// Without a timeout a second server would hang on the flock forever.
		Timeout: timeout,
		// The freelist is rebuilt by a scan at open instead of being
		// written at every commit: measured faster commits in etcd and
		// containerd, at the cost of a slower open after a crash.
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
		NoSync:         opts.NoSync,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &lockedError{path: path, timeout: timeout}
	}
	if err != nil {
		return nil, fmt.Errorf("open database file %q: %w", path, err)
	}
	if err := migrate(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database file %q: %w", path, err)
	}
	f, err := startFeed(db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database file %q: %w", path, err)
	}
	auditHeads.Store(db, &auditHead{})
	s := &Store{db: db, now: opts.Clock, feed: f}
	if s.now == nil {
		s.now = time.Now
	}
	if s.retention = opts.Retention; s.retention <= 0 {
		s.retention = DefaultRetention
	}
	if !opts.soloWrites {
		s.commits = startCommitter(db)
	}
	return s, nil
}

// Close commits the writes already asked for, then releases the file and
// wakes change watchers, whose reads then fail. Calls after Close fail.
func (s *Store) Close() error {
	if s.commits != nil {
		s.commits.close()
	}
	err := s.db.Close()
	s.feed.stop(s.db)
	auditHeads.Delete(s.db)
	return err
}

// Check verifies the file: bbolt's page-level consistency check, then that
// every derived bucket holds exactly what the records imply, and that every
// article and annotation has the revision it is at, no revision outlived
// its owner, the change feed has no gap and the audit log's hash chain is
// whole up to its recorded head. It reads the whole file and holds the write lock while it does
// (bbolt's check is not safe beside a concurrent writer otherwise), so it is
// for tests, which run it after every test, and for maintenance, not for a
// busy server.
func (s *Store) Check() error {
	tx, err := s.db.Begin(true)
	if err != nil {
		return err
	}
	// Nothing is written: the transaction only excludes writers.
	defer func() { _ = tx.Rollback() }()
	var errs []string
	for err := range tx.Check() {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("bbolt consistency check failed:\n%s", strings.Join(errs, "\n"))
	}
	if err := checkIndexes(tx); err != nil {
		return err
	}
	if err := checkRevisions(tx); err != nil {
		return err
	}
	if err := checkChanges(tx); err != nil {
		return err
	}
	return checkAudit(tx)
}

// clock returns the current time in UTC, as every stored time is.
func (s *Store) clock() time.Time { return s.now().UTC() }

// view and update start a transaction unless ctx is already done: a request
// whose caller gave up should not take the write lock.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// update runs fn in a write transaction that other writes may share, and
// returns once it is durable. fn may run more than once (after another
// function in its transaction failed), so it must set its results afresh
// each time; and it may fail with a *store.Error only before its first
// write (see committer.commit). Once fn succeeded, the audit head its
// entries moved is recorded (flushAudit).
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	write := func(tx *bbolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return flushAudit(tx)
	}
	if s.commits == nil {
		return s.db.Update(write)
	}
	return s.commits.do(ctx, write)
}

// checkEtag fails with ErrConflict when the caller gave an etag that is not
// the stored one.
func checkEtag(resource, given, stored string) error {
	if given != "" && given != stored {
		return store.Conflict(resource, given, stored)
	}
	return nil
}

// lookup returns the record key an ID bucket maps key to, copied, or nil.
func lookup(tx *bbolt.Tx, ids, key []byte) []byte {
	return clone(tx.Bucket(ids).Get(key))
}

// nextKey allocates the next record key of a records bucket, for a record
// about to be appended.
func nextKey(tx *bbolt.Tx, records []byte) ([]byte, error) {
	b := tx.Bucket(records)
	// Record keys only grow, so full pages are never split by a later
	// insert; bbolt's default of half-full pages would double the file.
	b.FillPercent = 0.9
	n, err := b.NextSequence()
	if err != nil {
		return nil, err
	}
	return u64(n), nil
}

// newID generates an ID that no record in the ID bucket holds yet; keyPrefix
// scopes it (the article key for annotation IDs).
func (s *Store) newID(tx *bbolt.Tx, prefix byte, ids, keyPrefix []byte) string {
	for {
		id := s.ids.next(prefix, s.now())
		// A caller may have chosen this very ID; unlikely, but cheap to
		// rule out.
		if tx.Bucket(ids).Get(cat(keyPrefix, []byte(id))) == nil {
			return id
		}
	}
}
