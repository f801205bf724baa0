package boltstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

func countArticles(t *testing.T, s *boltstore.Store) int {
	t.Helper()
	n, token := 0, ""
	for {
		page, next, err := s.ListArticles(ctx, store.ListQuery{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page)
		if next == "" {
			return n
		}
		token = next
	}
}

// TestBackupWhileWriting takes a backup while a writer keeps creating
// articles: the copy opens, passes the consistency check, and holds a prefix
// of the writes (those committed before the backup began, at least).
func TestBackupWhileWriting(t *testing.T) {
	s := open(t, boltstore.Options{})
	for i := range 50 {
		if _, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/before/%d", i), Text: "text"}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		written atomic.Int64
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if _, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/during/%d", i), Text: "text"}); err != nil {
				t.Error(err)
				return
			}
			written.Add(1)
		}
	}()
	var buf bytes.Buffer
	var size int64
	n, err := s.Backup(ctx, &buf, func(total int64) { size = total })
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if n != size || int64(buf.Len()) != n {
		t.Fatalf("Backup wrote %d bytes, announced %d, buffer holds %d", n, size, buf.Len())
	}

	path := filepath.Join(t.TempDir(), "restored.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	restored := openFile(t, path)
	if err := restored.Check(); err != nil {
		t.Fatalf("restored backup fails the consistency check: %v", err)
	}
	got := countArticles(t, restored)
	if got < 50 || got > 50+int(written.Load()) {
		t.Errorf("restored backup holds %d articles; want between 50 and %d", got, 50+written.Load())
	}
	// The copy is a live database, not a read-only artefact.
	if _, err := restored.CreateArticle(ctx, &store.Article{URL: "https://news.example/after-restore", Text: "text"}); err != nil {
		t.Fatal(err)
	}
}

func TestBackupCancelled(t *testing.T) {
	s := open(t, boltstore.Options{})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Backup(cctx, &bytes.Buffer{}, nil); err == nil {
		t.Fatal("Backup with a cancelled context succeeded")
	}
}

// TestCompact deletes most of a database, compacts it, and finds the file
// smaller, consistent, with the survivors intact and new IDs not colliding
// with old ones.
func TestCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "factcheck.db")
	s, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	text := string(bytes.Repeat([]byte("The minister said taxes fell. "), 2000))
	var keep, drop []string
	for i := range 200 {
		a, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/%d", i), Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			keep = append(keep, a.ID)
		} else {
			drop = append(drop, a.ID)
		}
	}
	// Deleting only after every create leaves the file at its full size with
	// most pages free, which is what compaction is for.
	for _, id := range drop {
		if err := s.DeleteArticle(ctx, id, "", false); err != nil {
			t.Fatal(err)
		}
	}
	// Deletes are soft: the purge after the retention frees the pages.
	if n, err := s.Purge(ctx, time.Now().Add(boltstore.DefaultRetention+time.Hour)); err != nil || n != len(drop) {
		t.Fatalf("Purge = %d, %v; want %d", n, err, len(drop))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	before, after, err := boltstore.Compact(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after >= before {
		t.Errorf("compaction did not shrink the file: %d → %d bytes", before, after)
	}
	c := openFile(t, path)
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	for _, id := range keep {
		a, err := c.GetArticle(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Text != text {
			t.Fatalf("article %s lost its text", id)
		}
	}
	if got := countArticles(t, c); got != len(keep) {
		t.Errorf("%d articles after compaction, want %d", got, len(keep))
	}
	// Sequences survive compaction, so new records never reuse old keys.
	fresh, err := c.CreateArticle(ctx, &store.Article{URL: "https://news.example/new", Text: "new"})
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := c.ListArticles(ctx, store.ListQuery{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if last := page[len(page)-1]; last.ID != fresh.ID {
		t.Errorf("newest article lists as %s, want %s last in creation order", last.ID, fresh.ID)
	}
}

func TestCompactRefusesFileInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "factcheck.db")
	_ = openFile(t, path)
	if _, _, err := boltstore.Compact(path, boltstore.Options{}); err == nil {
		t.Fatal("Compact of a file another handle holds succeeded")
	}
}

// openFile opens an existing file and closes it when the test ends.
func openFile(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
