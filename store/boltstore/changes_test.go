package boltstore_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// TestChangesSurviveReopen: the feed and its sequence outlive the process,
// so a reader resuming after a restart neither misses nor repeats a change,
// and Compact keeps the sequence going.
func TestChangesSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "factcheck.db")
	write := func(s *boltstore.Store, n int) {
		t.Helper()
		for i := range n {
			if _, err := s.CreateSource(ctx, &store.Source{URL: fmt.Sprintf("https://evidence.example/%s/%d", path, i+int(headOf(s)))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	write(s, 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := boltstore.Compact(path, boltstore.Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	s, err = boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if h := headOf(s); h != 3 {
		t.Fatalf("head after reopen = %d, want 3", h)
	}
	write(s, 2)
	page, err := s.ListChanges(ctx, 0, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Changes) != 5 || page.Head != 5 || page.Next != 5 {
		t.Fatalf("after reopen: %d changes, head %d, next %d; want 5, 5, 5", len(page.Changes), page.Head, page.Next)
	}
	for i, c := range page.Changes {
		if c.Sequence != int64(i+1) || c.Type != store.ChangeCreated {
			t.Errorf("change %d = %d %v", i, c.Sequence, c.Type)
		}
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

func headOf(s *boltstore.Store) int64 {
	h, _ := s.ChangeNotify()
	return h
}

// TestChangeNotifyClosedByClose: watchers blocked on the channel wake when
// the store closes, and their next read fails instead of waiting forever.
func TestChangeNotifyClosedByClose(t *testing.T) {
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "factcheck.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	_, ch := s.ChangeNotify()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	<-ch
	if _, ch := s.ChangeNotify(); ch == nil {
		t.Error("nil channel after Close")
	} else {
		<-ch
	}
	if _, err := s.ListChanges(ctx, 0, nil, 10); err == nil {
		t.Error("ListChanges after Close succeeded")
	}
}

// BenchmarkListChanges reads a feed of 10,000 changes in pages of 1,000,
// as a watcher catching up does.
func BenchmarkListChanges(b *testing.B) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "factcheck.db"), boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var recs []store.ImportRecord
	for i := range 10000 {
		recs = append(recs, store.ImportRecord{Source: &store.Source{URL: fmt.Sprintf("https://evidence.example/%d", i)}})
	}
	if _, err := s.Import(ctx, recs, store.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		after := int64(0)
		for {
			page, err := s.ListChanges(ctx, after, nil, 1000)
			if err != nil {
				b.Fatal(err)
			}
			after = page.Next
			if after == page.Head {
				break
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/change")
}
