package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
)

// streamedAuditHash is AuditHash as first written, a hash.Hash fed field by
// field: logs written then must still verify.
func streamedAuditHash(prev []byte, e *store.AuditEntry) []byte {
	h := sha256.New()
	h.Write(prev)
	var buf [binary.MaxVarintLen64]byte
	putString := func(s string) {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	var fixed [16]byte
	binary.BigEndian.PutUint64(fixed[:8], uint64(e.Sequence))
	binary.BigEndian.PutUint64(fixed[8:], uint64(e.Time.UnixNano()))
	h.Write(fixed[:])
	putString(e.Actor)
	putString(e.Method)
	putString(e.Resource)
	putString(e.RequestID)
	putString(e.Note)
	h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(e.FieldPaths)))])
	for _, p := range e.FieldPaths {
		putString(p)
	}
	return h.Sum(nil)
}

func TestAuditHash(t *testing.T) {
	at := time.Date(2026, 11, 26, 6, 0, 0, 123, time.UTC)
	prev := bytes.Repeat([]byte{0xab}, sha256.Size)
	for _, tc := range []struct {
		name string
		prev []byte
		e    store.AuditEntry
	}{
		{name: "empty", e: store.AuditEntry{}},
		{name: "first entry", prev: make([]byte, sha256.Size), e: store.AuditEntry{Sequence: 1, Time: at,
			Actor: "reviewers/admin", Method: "/factcheck.v1.ReviewerService/CreateToken", Resource: "reviewers/admin/tokens/t1", RequestID: "0a1b2c"}},
		{name: "every field", prev: prev, e: store.AuditEntry{Sequence: 1 << 40, Time: at,
			Actor: "reviewers/ed", Method: "/factcheck.v1.AnnotationService/UpdateAnnotation",
			Resource: "articles/a/annotations/b", RequestID: "req-1", Note: "Corrected the date: عربي",
			FieldPaths: []string{"verdict.rating", "verdict.rationale", "claim.text"}}},
		// Past the hash's stack buffer.
		{name: "long note", prev: prev, e: store.AuditEntry{Sequence: 7, Time: at, Actor: "reviewers/x",
			Note: strings.Repeat("a long correction note ", 200), FieldPaths: []string{strings.Repeat("p", 300)}}},
		{name: "negative time", prev: prev, e: store.AuditEntry{Sequence: 2, Time: time.Unix(-5, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := store.AuditHash(tc.prev, &tc.e), streamedAuditHash(tc.prev, &tc.e)
			if !bytes.Equal(got, want) {
				t.Fatalf("AuditHash = %s, want %s", hex.EncodeToString(got), hex.EncodeToString(want))
			}
		})
	}
	// Each field counts.
	base := store.AuditEntry{Sequence: 1, Time: at, Actor: "a", Method: "m", Resource: "r", RequestID: "q", Note: "n", FieldPaths: []string{"f"}}
	seen := map[string]string{hex.EncodeToString(store.AuditHash(prev, &base)): "base"}
	for name, change := range map[string]func(*store.AuditEntry){
		"sequence":    func(e *store.AuditEntry) { e.Sequence++ },
		"time":        func(e *store.AuditEntry) { e.Time = e.Time.Add(time.Nanosecond) },
		"actor":       func(e *store.AuditEntry) { e.Actor = "b" },
		"method":      func(e *store.AuditEntry) { e.Method = "n" },
		"resource":    func(e *store.AuditEntry) { e.Resource = "s" },
		"request id":  func(e *store.AuditEntry) { e.RequestID = "r" },
		"note":        func(e *store.AuditEntry) { e.Note = "o" },
		"field paths": func(e *store.AuditEntry) { e.FieldPaths = []string{"f", ""} },
		"moved byte":  func(e *store.AuditEntry) { e.Actor, e.Method = "am", "" },
	} {
		e := base
		change(&e)
		h := hex.EncodeToString(store.AuditHash(prev, &e))
		if other, dup := seen[h]; dup {
			t.Errorf("changing the %s gives the hash of %s", name, other)
		}
		seen[h] = name
	}
}
