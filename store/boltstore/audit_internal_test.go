package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// auditFile writes a file whose log holds n entries, entry i made by
// reviewers/w{i}, and closes it.
func auditFile(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		ctx := store.WithWriteInfo(context.Background(), store.WriteInfo{Actor: fmt.Sprintf("reviewers/w%02d", i), Method: "/m"})
		if _, err := s.CreateArticle(ctx, &store.Article{ID: fmt.Sprintf("a%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// tamper changes the closed file at path with fn, as someone with the file
// but not the server might, and checks that the file is still a sound bbolt
// file: what breaks is the log, not the pages.
func tamper(t *testing.T, path string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("the tampered file fails bbolt's check: %v", err)
	}
}

// rewriteEntry decodes entry seq, lets fn change it and stores it back.
func rewriteEntry(seq uint64, fn func(*recordpb.AuditEntry)) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		r, err := decode(b.Get(u64(seq)), &recordpb.AuditEntry{})
		if err != nil {
			return err
		}
		fn(r)
		val, err := encode(r)
		if err != nil {
			return err
		}
		return b.Put(u64(seq), val)
	}
}

func deleteEntry(seq uint64) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error { return tx.Bucket(bucketAudit).Delete(u64(seq)) }
}

// TestAuditTamper changes a closed file's log behind the store's back and
// checks that VerifyAuditLog names exactly the entry that broke, and how,
// and that Check refuses the file too.
func TestAuditTamper(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tamper  func(*bbolt.Tx) error
		first   int64
		problem string
		// checked is the entries read before the problem, when not
		// first-1.
		checked int64
	}{
		{
			name: "an entry's actor changed in place, byte for byte",
			tamper: func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucketAudit)
				val := clone(b.Get(u64(7)))
				i := bytes.Index(val, []byte("reviewers/w07"))
				if i < 0 {
					return fmt.Errorf("entry 7 does not hold its actor: %x", val)
				}
				copy(val[i:], "reviewers/w99")
				return b.Put(u64(7), val)
			},
			first: 7, problem: "entry 7: its contents do not match its hash",
		},
		{
			name:   "an entry's resource changed",
			tamper: rewriteEntry(3, func(r *recordpb.AuditEntry) { r.Resource = "articles/other" }),
			first:  3, problem: "entry 3: its contents do not match its hash",
		},
		{
			name: "an entry rewritten with its hash recomputed",
			tamper: rewriteEntry(7, func(r *recordpb.AuditEntry) {
				e := auditEntryFromRecord(r)
				e.Actor = "reviewers/someone-else"
				e.Hash = store.AuditHash(e.PrevHash, e)
				*r = *auditRecord(e)
			}),
			first: 8, problem: "entry 8: previous_hash does not match entry 7",
		},
		{
			name:   "the first entry's previous hash changed",
			tamper: rewriteEntry(1, func(r *recordpb.AuditEntry) { r.PrevHash = bytes.Repeat([]byte{1}, 32) }),
			first:  1, problem: "entry 1: its contents do not match its hash",
		},
		{
			name:   "the last entry deleted",
			tamper: deleteEntry(12),
			first:  12, problem: "the log ends at entry 11 but the head recorded is entry 12",
		},
		{
			name: "the last three entries deleted",
			tamper: func(tx *bbolt.Tx) error {
				for seq := uint64(10); seq <= 12; seq++ {
					if err := deleteEntry(seq)(tx); err != nil {
						return err
					}
				}
				return nil
			},
			first: 10, problem: "the log ends at entry 9 but the head recorded is entry 12",
		},
		{
			name:   "a middle entry deleted",
			tamper: deleteEntry(9),
			first:  9, problem: "entry 9 is missing",
		},
		{
			name:   "the first entry deleted",
			tamper: deleteEntry(1),
			first:  1, problem: "entry 1 is missing",
		},
		{
			name: "an entry forged after the head",
			tamper: func(tx *bbolt.Tx) error {
				_, head, err := readAuditHead(tx)
				if err != nil {
					return err
				}
				e := &store.AuditEntry{Sequence: 13, Time: time.Now().UTC(),
					Actor: "reviewers/forger", Resource: "articles/a01", PrevHash: head}
				e.Hash = store.AuditHash(e.PrevHash, e)
				val, err := encode(auditRecord(e))
				if err != nil {
					return err
				}
				return tx.Bucket(bucketAudit).Put(u64(13), val)
			},
			first: 13, problem: "the log ends at entry 13 but the head recorded is entry 12", checked: 13,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := auditFile(t, 12)
			tamper(t, path, tc.tamper)
			s, err := openPath(t, path)
			if err != nil {
				t.Fatal(err)
			}
			for _, page := range []int{4096, 5, 1} {
				verifyPage = page
				v, err := s.VerifyAuditLog(context.Background())
				verifyPage = 4096
				if err != nil {
					t.Fatal(err)
				}
				if v.FirstBroken != tc.first || v.Problem != tc.problem {
					t.Errorf("pages of %d: FirstBroken %d, Problem %q; want %d, %q", page, v.FirstBroken, v.Problem, tc.first, tc.problem)
				}
				want := tc.first - 1
				if tc.checked != 0 {
					want = tc.checked
				}
				if v.Checked != want {
					t.Errorf("pages of %d: Checked %d, want %d", page, v.Checked, want)
				}
			}
			if err := s.Check(); err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("Check = %v, want the log's problem", err)
			}
		})
	}
}

// TestAuditVerifyHonest verifies an untouched log in pages of every size,
// and while writers append: short transactions see a consistent prefix.
func TestAuditVerifyHonest(t *testing.T) {
	path := auditFile(t, 12)
	s, err := openPath(t, path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var head []byte
	for _, page := range []int{4096, 12, 5, 1} {
		verifyPage = page
		v, err := s.VerifyAuditLog(ctx)
		verifyPage = 4096
		if err != nil || v.FirstBroken != 0 || v.Problem != "" || v.Checked != 12 || len(v.HeadHash) != 32 {
			t.Fatalf("pages of %d: %+v, %v", page, v, err)
		}
		if head != nil && !bytes.Equal(head, v.HeadHash) {
			t.Errorf("pages of %d: HeadHash %x, want %x", page, v.HeadHash, head)
		}
		head = v.HeadHash
	}

	verifyPage = 2
	t.Cleanup(func() { verifyPage = 4096 })
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.CreateArticle(ctx, &store.Article{ID: fmt.Sprintf("more%d", i)}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 20 {
		v, err := s.VerifyAuditLog(ctx)
		if err != nil || v.FirstBroken != 0 || v.Checked < 12 {
			t.Errorf("verifying beside a writer: %+v, %v", v, err)
			break
		}
	}
	close(stop)
	wg.Wait()
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

// TestAuditHeadSurvivesRollback runs a write that fails after appending
// (a dirty failure rolls the shared transaction back) beside good ones: the
// in-memory head of the rolled-back transaction must not leak into the
// next.
func TestAuditHeadSurvivesRollback(t *testing.T) {
	s, err := openPath(t, filepath.Join(t.TempDir(), "rb.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	boom := errors.New("disk on fire")
	for i := range 3 {
		if _, err := s.CreateArticle(ctx, &store.Article{ID: fmt.Sprintf("a%d", i)}); err != nil {
			t.Fatal(err)
		}
		err := s.update(ctx, func(tx *bbolt.Tx) error {
			if err := appendAudit(tx, store.WriteInfo{Actor: "ghost"}, "articles/ghost", s.clock(), nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the write's", err)
		}
	}
	v, err := s.VerifyAuditLog(ctx)
	if err != nil || v.FirstBroken != 0 || v.Checked != 3 {
		t.Fatalf("after rolled-back appends: %+v, %v", v, err)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}
