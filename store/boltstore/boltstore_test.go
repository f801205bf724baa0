package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
	"github.com/factcheck/factcheck/store/storetest"
)

// open opens a store in a fresh file that is checked (pages and indexes)
// and closed when the test ends.
func open(t *testing.T, opts boltstore.Options) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "factcheck.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Error(err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, boltstore.Options{}) })
}

var ctx = context.Background()

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "factcheck.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.DB().NoSync {
		t.Fatal("NoSync is on by default: acknowledged writes would not be durable")
	}
	art, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/1", Text: "The minister said taxes fell."})
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.CreateSource(ctx, &store.Source{URL: "https://evidence.example/1"})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "taxes fell"},
		Claim: store.Claim{Text: "taxes fell"}, Citations: []store.Citation{{SourceID: src.ID}}, ExternalID: "x-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetArticle(ctx, art.ID); err == nil {
		t.Error("GetArticle after Close succeeded")
	}

	s, err = boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if got, err := s.GetArticle(ctx, art.ID); err != nil || !cmp.Equal(got, art) {
		t.Errorf("article after reopen: %v\n%s", err, cmp.Diff(art, got))
	}
	if got, err := s.GetSource(ctx, src.ID); err != nil || !cmp.Equal(got, src) {
		t.Errorf("source after reopen: %v\n%s", err, cmp.Diff(src, got))
	}
	if got, err := s.GetAnnotation(ctx, art.ID, ann.ID); err != nil || !cmp.Equal(got, ann) {
		t.Errorf("annotation after reopen: %v\n%s", err, cmp.Diff(ann, got))
	}
	// Uniqueness and references survive too.
	_, err = s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "minister"}, ExternalID: "x-1"})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("duplicate external ID after reopen: %v", err)
	}
	if err := s.DeleteSource(ctx, src.ID, ""); !errors.Is(err, store.ErrFailedPrecondition) {
		t.Errorf("deleting a cited source after reopen: %v", err)
	}
	next, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/2"})
	if err != nil {
		t.Fatal(err)
	}
	if next.ID <= art.ID {
		t.Errorf("ID generated after reopen %q sorts before the earlier %q", next.ID, art.ID)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	first := open2(t, path)
	_, err := boltstore.Open(path, boltstore.Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
	want := fmt.Sprintf("database file %q is in use by another process (is another factcheckd running?)", path)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not say %q", err, want)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := open2(t, path)
	_ = again.Close()
}

// open2 opens path without the cleanup of open, for tests that close
// stores themselves.
func open2(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClockAndGeneratedIDs(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("UTC+2", 7200))
	clock := now
	s := open(t, boltstore.Options{NoSync: true, Clock: func() time.Time { return clock }})
	var last string
	for i := range 20 {
		if i == 10 {
			clock = now.Add(-time.Hour) // a clock stepping back
		}
		a, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if !a.CreateTime.Equal(clock) || a.CreateTime.Location() != time.UTC {
			t.Errorf("CreateTime = %v, want the clock's %v in UTC", a.CreateTime, clock)
		}
		if len(a.ID) != 21 || a.ID[0] != 'a' || a.ID <= last {
			t.Errorf("ID %q after %q: want 21 characters starting with a, increasing", a.ID, last)
		}
		last = a.ID
	}
}

func TestAmbiguousQuoteCandidates(t *testing.T) {
	s := open(t, boltstore.Options{NoSync: true})
	art, err := s.CreateArticle(ctx, &store.Article{URL: "u", Text: "said it, and said it again: said"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "said"}})
	var se *store.Error
	if !errors.As(err, &se) || se.Reason != "QUOTE_AMBIGUOUS" {
		t.Fatalf("err = %v, want QUOTE_AMBIGUOUS", err)
	}
	if got, want := se.Metadata["candidates"], "[[0,4],[13,17],[28,32]]"; got != want {
		t.Errorf("Metadata[candidates] = %q, want %q", got, want)
	}
}

func TestCreateAnnotationsAllOrNothing(t *testing.T) {
	s := open(t, boltstore.Options{NoSync: true})
	art, err := s.CreateArticle(ctx, &store.Article{URL: "u", Text: "one two three"})
	if err != nil {
		t.Fatal(err)
	}
	ann := func(exact, ext string) *store.Annotation {
		return &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: exact}, ExternalID: ext}
	}
	for _, tc := range []struct {
		name   string
		batch  []*store.Annotation
		reason string
		prefix string
	}{
		{"a quote not found", []*store.Annotation{ann("one", ""), ann("four", ""), ann("three", "")}, "QUOTE_NOT_FOUND", "annotations[1]: "},
		{"a duplicate within the batch", []*store.Annotation{ann("one", "x"), ann("two", ""), ann("three", "x")}, "EXTERNAL_ID_ALREADY_EXISTS", "annotations[2]: "},
	} {
		_, err := s.CreateAnnotations(ctx, tc.batch)
		var se *store.Error
		if !errors.As(err, &se) || se.Reason != tc.reason || !strings.HasPrefix(err.Error(), tc.prefix) {
			t.Errorf("%s: err = %v, want %s prefixed %q", tc.name, err, tc.reason, tc.prefix)
		}
	}
	if got, _, err := s.ListAnnotations(ctx, art.ID, store.ListQuery{PageSize: 10}); err != nil || len(got) != 0 {
		t.Fatalf("failed batches stored %d annotations (%v)", len(got), err)
	}
	created, err := s.CreateAnnotations(ctx, []*store.Annotation{ann("one", "x"), ann("two", ""), ann("three", "y")})
	if err != nil {
		t.Fatal(err)
	}
	listed, _, err := s.ListAnnotations(ctx, art.ID, store.ListQuery{PageSize: 10})
	if err != nil || !cmp.Equal(listed, created) {
		t.Errorf("listed %v, want the created batch in order:\n%s", err, cmp.Diff(created, listed))
	}
}
