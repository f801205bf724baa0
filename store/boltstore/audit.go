package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
	"weak"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
	"github.com/factcheck/factcheck/store/filter"
)

// The audit log (added in schema 7): the "audit" bucket maps <u64 sequence> to a
// recordpb.AuditEntry, and meta/audit_head holds <u64 sequence><hash> of
// the last entry, written in the transaction that appended it. Sequences
// start at 1 and follow the head, not a bucket sequence, so the head is the
// one place that says where the log ends: an entry removed from the end is
// found by comparing the two.
//
// Every write function appends its entries with appendAudit (appendChange
// does it for every change) and Store.update writes the head once the
// function returned (flushAudit). The head is kept in memory for the write
// transaction in progress, so an entry costs one Put and one SHA-256, and
// an import of a million records reads meta once.

var keyAuditHead = []byte("audit_head")

// zeroHash is the PrevHash of the first entry.
var zeroHash = make([]byte, sha256.Size)

// auditHead is the head of the log as the write transaction tx left it so
// far. Only write transactions touch it, and bbolt runs one at a time per
// file, holding a mutex while it does: that orders the accesses.
type auditHead struct {
	// tx is weak, so that a transaction that rolled back is not kept alive
	// until the next one; a new transaction never matches it.
	tx    weak.Pointer[bbolt.Tx]
	seq   uint64
	hash  []byte
	dirty bool
}

// auditHeads finds the head of a database from inside a transaction, as
// feeds does, so that appendChange needs nothing but the transaction.
var auditHeads sync.Map // *bbolt.DB → *auditHead

// headOf returns the in-memory head of the write transaction tx, reading
// meta/audit_head on the transaction's first append.
func headOf(tx *bbolt.Tx) (*auditHead, error) {
	v, ok := auditHeads.Load(tx.DB())
	if !ok {
		return nil, fmt.Errorf("the database has no audit log registered (opened outside boltstore.Open?)")
	}
	h := v.(*auditHead)
	if h.tx.Value() == tx {
		return h, nil
	}
	seq, hash, err := readAuditHead(tx)
	if err != nil {
		return nil, err
	}
	h.tx, h.seq, h.hash, h.dirty = weak.Make(tx), seq, hash, false
	return h, nil
}

// readAuditHead reads the recorded head: sequence 0 and zeroHash for an
// empty log.
func readAuditHead(tx *bbolt.Tx) (uint64, []byte, error) {
	meta := tx.Bucket(bucketMeta)
	v := meta.Get(keyAuditHead)
	if v == nil {
		return 0, zeroHash, nil
	}
	if len(v) != 8+sha256.Size {
		return 0, nil, fmt.Errorf("meta/%s is %d bytes, want %d: the file is damaged", keyAuditHead, len(v), 8+sha256.Size)
	}
	return binary.BigEndian.Uint64(v[:8]), clone(v[8:]), nil
}

// appendAudit appends the entry of one resource written by the write w
// describes, at time at, with the fields it wrote. Call it only after the
// write succeeded: a *store.Error after it would leave the entry behind in
// a shared transaction (see committer.commit).
func appendAudit(tx *bbolt.Tx, w store.WriteInfo, resource string, at time.Time, paths []string) error {
	h, err := headOf(tx)
	if err != nil {
		return err
	}
	e := &store.AuditEntry{
		Sequence: int64(h.seq + 1), Time: at.UTC(),
		Actor: w.Actor, Method: w.Method, Resource: resource, FieldPaths: paths,
		RequestID: w.RequestID, Note: w.Note, PrevHash: h.hash,
	}
	e.Hash = store.AuditHash(e.PrevHash, e)
	val, err := encode(auditRecord(e))
	if err != nil {
		return err
	}
	b := tx.Bucket(bucketAudit)
	if b == nil {
		return fmt.Errorf("no %s bucket: the file predates the audit log", bucketAudit)
	}
	// Keys only ever grow: full pages, nothing is inserted between.
	b.FillPercent = 1
	if err := b.Put(u64(uint64(e.Sequence)), val); err != nil {
		return err
	}
	h.seq, h.hash, h.dirty = uint64(e.Sequence), e.Hash, true
	return nil
}

// flushAudit records the head of tx's appends in meta, once per write
// function rather than once per entry.
func flushAudit(tx *bbolt.Tx) error {
	v, ok := auditHeads.Load(tx.DB())
	if !ok {
		return nil
	}
	h := v.(*auditHead)
	if h.tx.Value() != tx || !h.dirty {
		return nil
	}
	if err := tx.Bucket(bucketMeta).Put(keyAuditHead, cat(u64(h.seq), h.hash)); err != nil {
		return err
	}
	h.dirty = false
	return nil
}

// auditChange appends the audit entry of a change: same resource, time and
// field paths.
func auditChange(tx *bbolt.Tx, w store.WriteInfo, c *store.Change) error {
	return appendAudit(tx, w, c.Resource, c.Time, c.FieldPaths)
}

func auditRecord(e *store.AuditEntry) *recordpb.AuditEntry {
	return &recordpb.AuditEntry{
		Sequence: e.Sequence, TimeUnixNano: e.Time.UnixNano(),
		Actor: e.Actor, Method: e.Method, Resource: e.Resource, FieldPaths: e.FieldPaths,
		RequestId: e.RequestID, Note: e.Note, PrevHash: e.PrevHash, Hash: e.Hash,
	}
}

func auditEntryFromRecord(r *recordpb.AuditEntry) *store.AuditEntry {
	return &store.AuditEntry{
		Sequence: r.Sequence, Time: time.Unix(0, r.TimeUnixNano).UTC(),
		Actor: r.Actor, Method: r.Method, Resource: r.Resource, FieldPaths: r.FieldPaths,
		RequestID: r.RequestId, Note: r.Note, PrevHash: r.PrevHash, Hash: r.Hash,
	}
}

// ListAuditEntries implements store.Access. The log has no index: a filter
// is checked on every entry walked, and the walk stops at a full page or
// the caller's deadline (listPage).
func (s *Store) ListAuditEntries(ctx context.Context, q store.ListQuery) ([]*store.AuditEntry, string, error) {
	q.OrderBy.Field = store.OrderByCreateTime // sequence order is creation order
	q.ShowDeleted = false
	var (
		out  []*store.AuditEntry
		next string
	)
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		spec := listSpec[*store.AuditEntry]{
			records: bucketAudit,
			decode: func(val []byte) (*store.AuditEntry, error) {
				r, err := decode(val, &recordpb.AuditEntry{})
				if err != nil {
					return nil, err
				}
				return auditEntryFromRecord(r), nil
			},
			updateTime: func(e *store.AuditEntry) time.Time { return e.Time },
			keep:       func(e *store.AuditEntry) bool { return filter.Match(q.Filter, e) },
		}
		out, next, err = listPage(ctx, s, tx, spec, q)
		return err
	})
	return out, next, err
}

// verifyPage bounds the entries VerifyAuditLog reads per read transaction:
// a long transaction would hold back bbolt's remapping as the file grows. A
// variable so that tests can make pages small.
var verifyPage = 4096

// VerifyAuditLog implements store.Access.
func (s *Store) VerifyAuditLog(ctx context.Context) (store.AuditVerification, error) {
	v := auditVerifier{prevHash: zeroHash}
	for !v.done {
		if err := s.view(ctx, func(tx *bbolt.Tx) error { return v.page(tx, verifyPage) }); err != nil {
			return store.AuditVerification{}, err
		}
	}
	return v.result, nil
}

// auditVerifier walks the log across transactions.
type auditVerifier struct {
	prevSeq  int64
	prevHash []byte
	result   store.AuditVerification
	done     bool
}

// broken ends the walk at the entry seq.
func (v *auditVerifier) broken(seq int64, format string, args ...any) {
	v.result.FirstBroken, v.result.Problem, v.done = seq, fmt.Sprintf(format, args...), true
}

// page checks up to n entries after the last one checked; at the end of
// the log it compares the last entry with the head recorded in the same
// snapshot.
func (v *auditVerifier) page(tx *bbolt.Tx, n int) error {
	b := tx.Bucket(bucketAudit)
	if b == nil {
		return fmt.Errorf("no %s bucket", bucketAudit)
	}
	c := b.Cursor()
	k, val := c.Seek(u64(uint64(v.prevSeq) + 1))
	for i := 0; k != nil; k, val = c.Next() {
		if i == n {
			return nil // the next transaction goes on from here
		}
		i++
		want := v.prevSeq + 1
		if len(k) != 8 {
			v.broken(want, "the log holds the key %x, which is not a sequence", k)
			return nil
		}
		seq := int64(binary.BigEndian.Uint64(k))
		if seq != want {
			v.broken(want, "entry %d is missing", want)
			return nil
		}
		r, err := decode(val, &recordpb.AuditEntry{})
		if err != nil {
			v.broken(seq, "entry %d cannot be read: %v", seq, err)
			return nil
		}
		e := auditEntryFromRecord(r)
		e.Sequence = seq // the key is the sequence; a record claiming another fails the hash
		if !bytes.Equal(store.AuditHash(e.PrevHash, e), e.Hash) || r.Sequence != seq {
			v.broken(seq, "entry %d: its contents do not match its hash", seq)
			return nil
		}
		if !bytes.Equal(e.PrevHash, v.prevHash) {
			if seq == 1 {
				v.broken(seq, "entry 1: previous_hash is not the zero hash that starts the log")
			} else {
				v.broken(seq, "entry %d: previous_hash does not match entry %d", seq, seq-1)
			}
			return nil
		}
		v.prevSeq, v.prevHash = seq, e.Hash
		v.result.Checked++
		v.result.HeadHash = e.Hash
	}
	v.done = true
	headSeq, headHash, err := readAuditHead(tx)
	if err != nil {
		return err
	}
	last := v.prevSeq
	switch {
	case int64(headSeq) > last && last == 0:
		v.broken(1, "the log is empty but the head recorded is entry %d", headSeq)
	case int64(headSeq) > last:
		v.broken(last+1, "the log ends at entry %d but the head recorded is entry %d", last, headSeq)
	case int64(headSeq) < last && headSeq == 0:
		v.broken(1, "the log ends at entry %d but no head is recorded", last)
	case int64(headSeq) < last:
		v.broken(int64(headSeq)+1, "the log ends at entry %d but the head recorded is entry %d", last, headSeq)
	case last > 0 && !bytes.Equal(headHash, v.prevHash):
		v.broken(last, "entry %d: its hash is not the one the head recorded", last)
	}
	return nil
}

// checkAudit verifies the whole log in tx, for Check.
func checkAudit(tx *bbolt.Tx) error {
	v := auditVerifier{prevHash: zeroHash}
	for !v.done {
		if err := v.page(tx, verifyPage); err != nil {
			return err
		}
	}
	if v.result.FirstBroken != 0 {
		return fmt.Errorf("%s: %s", bucketAudit, v.result.Problem)
	}
	return nil
}
