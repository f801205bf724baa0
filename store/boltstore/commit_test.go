package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/factcheck/factcheck/store"
)

// openGroup opens a durable store in a fresh file; the path is for reopening.
func openGroup(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "factcheck.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

// hold occupies the committer with a write that waits for the returned
// release, so that the writes asked for meanwhile form one group.
func hold(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.update(context.Background(), func(*bbolt.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("holding write: %v", err)
		}
	}
}

// waitQueued waits until n writes wait in the queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.commits.mu.Lock()
		got := len(s.commits.queue)
		s.commits.mu.Unlock()
		if got >= n {
			return
		}
	}
	t.Fatalf("fewer than %d writes queued after 10s", n)
}

// reopen closes s, checks the file and opens it again.
func reopen(t *testing.T, s *Store, path string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	return s
}

func changeCount(t *testing.T, s *Store) int {
	t.Helper()
	page, err := s.ListChanges(context.Background(), 0, nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Changes)
}

// Many writers at once, a third of them losing a race for a URL: every
// winner is durable with the result it was given, every loser left nothing.
func TestGroupCommitConcurrentWriters(t *testing.T) {
	s, path := openGroup(t)
	ctx := context.Background()
	art, err := s.CreateArticle(ctx, &store.Article{Text: "The minister said taxes fell by ten percent."})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 64, 12
	type result struct {
		url  string
		a    *store.Article
		ann  *store.Annotation
		err  error
		bad  bool // the annotation's anchor is not in the text
		anns error
	}
	results := make([][]result, writers)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				// Writers g and g^1 ask for the same URLs every third time.
				url := fmt.Sprintf("https://news.example/%d/%d", g, i)
				if i%3 == 0 {
					url = fmt.Sprintf("https://news.example/shared/%d/%d", g/2, i)
				}
				a, err := s.CreateArticle(ctx, &store.Article{URL: url, Text: "Text " + url})
				bad := i%4 == 1
				exact := "taxes fell"
				if bad {
					exact = "taxes rose"
				}
				ann, annErr := s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID,
					Anchor: store.Anchor{Exact: exact}, Claim: store.Claim{Text: url}})
				results[g] = append(results[g], result{url: url, a: a, err: err, ann: ann, bad: bad, anns: annErr})
			}
		})
	}
	wg.Wait()

	won := map[string]*store.Article{}
	var anns []*store.Annotation
	for g := range writers {
		for _, r := range results[g] {
			switch {
			case r.err == nil:
				if r.a.URL != r.url {
					t.Errorf("asked for %s, got article %+v", r.url, r.a)
				}
				if won[r.url] != nil {
					t.Errorf("%s created twice", r.url)
				}
				won[r.url] = r.a
			case errors.Is(r.err, store.ErrAlreadyExists):
			default:
				t.Errorf("create %s: %v", r.url, r.err)
			}
			switch {
			case r.bad && !errors.Is(r.anns, store.ErrInvalidArgument):
				t.Errorf("annotation quoting missing words: got %v, want ErrInvalidArgument", r.anns)
			case !r.bad && r.anns != nil:
				t.Errorf("annotation: %v", r.anns)
			case !r.bad:
				anns = append(anns, r.ann)
			}
		}
	}
	if want := writers * each * 5 / 6; len(won) != want {
		t.Errorf("%d URLs created, want %d", len(won), want)
	}

	s = reopen(t, s, path)
	for url, a := range won {
		got, err := s.GetArticle(ctx, a.ID)
		if err != nil || got.URL != url || got.Etag != a.Etag {
			t.Fatalf("after reopen, %s: %+v, %v; want %+v", url, got, err, a)
		}
	}
	for _, a := range anns {
		got, err := s.GetAnnotation(ctx, a.ArticleID, a.ID)
		if err != nil || got.Etag != a.Etag {
			t.Fatalf("after reopen, annotation %s: %+v, %v", a.ID, got, err)
		}
	}
	if got, want := changeCount(t, s), 1+len(won)+len(anns); got != want {
		t.Errorf("%d changes in the feed, want %d (one per write that succeeded)", got, want)
	}
}

// A write that fails after writing part of its change must take nothing
// with it, nor anything of the others in its group.
func TestGroupCommitFailureAfterWriting(t *testing.T) {
	for _, how := range []string{"error", "panic"} {
		t.Run(how, func(t *testing.T) {
			s, path := openGroup(t)
			ctx := context.Background()
			release := hold(t, s)

			type outcome struct {
				a   *store.Article
				err error
			}
			create := func(url string) chan outcome {
				ch := make(chan outcome, 1)
				go func() {
					a, err := s.CreateArticle(ctx, &store.Article{URL: url, Text: url})
					ch <- outcome{a, err}
				}()
				return ch
			}
			first := create("https://one.example/")
			waitQueued(t, s, 1)
			broken := make(chan any, 2)
			go func() {
				defer func() { broken <- recover() }()
				err := s.update(ctx, func(tx *bbolt.Tx) error {
					// An index entry without its record: Check would
					// fail if it were committed.
					if err := tx.Bucket(bucketArticleIDs).Put([]byte("half-written"), u64(999)); err != nil {
						return err
					}
					if how == "panic" {
						panic("bug")
					}
					return errors.New("disk on fire")
				})
				broken <- err
			}()
			waitQueued(t, s, 2)
			second := create("https://two.example/")
			waitQueued(t, s, 3)
			again := create("https://one.example/")
			waitQueued(t, s, 4)
			release()

			one, two, dup := <-first, <-second, <-again
			if one.err != nil || two.err != nil {
				t.Fatalf("writes beside the failed one: %v, %v", one.err, two.err)
			}
			if !errors.Is(dup.err, store.ErrAlreadyExists) {
				t.Errorf("second article with the first's URL: %v, want ErrAlreadyExists", dup.err)
			}
			got := <-broken
			switch how {
			case "error":
				if err, _ := got.(error); err == nil || err.Error() != "disk on fire" {
					t.Errorf("failed write returned %v", got)
				}
			case "panic":
				p, ok := got.(*writePanic)
				if !ok || p.value != "bug" {
					t.Errorf("failed write's caller recovered %#v, want the panic", got)
				}
			}

			s = reopen(t, s, path)
			for _, a := range []*store.Article{one.a, two.a} {
				if got, err := s.GetArticle(ctx, a.ID); err != nil || got.Etag != a.Etag {
					t.Errorf("after reopen %s: %+v, %v", a.URL, got, err)
				}
			}
			if got := changeCount(t, s); got != 2 {
				t.Errorf("%d changes in the feed, want 2", got)
			}
		})
	}
}

// A batch that fails at its second item has written its first: the shared
// transaction must not keep it.
func TestGroupCommitBatchFailure(t *testing.T) {
	s, path := openGroup(t)
	ctx := context.Background()
	art, err := s.CreateArticle(ctx, &store.Article{Text: "Taxes fell."})
	if err != nil {
		t.Fatal(err)
	}
	release := hold(t, s)
	batch := make(chan error, 1)
	go func() {
		_, err := s.CreateAnnotations(ctx, []*store.Annotation{
			{ArticleID: art.ID, Anchor: store.Anchor{Exact: "Taxes fell"}},
			{ArticleID: art.ID, Anchor: store.Anchor{Exact: "Taxes rose"}},
		})
		batch <- err
	}()
	waitQueued(t, s, 1)
	single := make(chan error, 1)
	go func() {
		_, err := s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "fell"}})
		single <- err
	}()
	waitQueued(t, s, 2)
	release()
	var ie *store.ItemError
	if err := <-batch; !errors.As(err, &ie) || ie.Index != 1 {
		t.Errorf("batch: %v, want an ItemError at index 1", err)
	}
	if err := <-single; err != nil {
		t.Errorf("single create beside the batch: %v", err)
	}
	s = reopen(t, s, path)
	anns, _, err := s.ListAnnotations(ctx, art.ID, store.ListQuery{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(anns) != 1 || anns[0].Anchor.Exact != "fell" {
		t.Errorf("annotations after reopen: %+v, want only the single one", anns)
	}
}

// A caller that gives up while its write is queued gets ctx.Err at once,
// and the write never happens.
func TestGroupCommitCancelledInQueue(t *testing.T) {
	s, path := openGroup(t)
	release := hold(t, s)
	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.CreateArticle(cctx, &store.Article{URL: "https://never.example/", Text: "x"})
		done <- err
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v, want context.Canceled", err)
	}
	release()
	s = reopen(t, s, path)
	if arts, _, err := s.ListArticles(context.Background(), store.ListQuery{PageSize: 10}); err != nil || len(arts) != 0 {
		t.Errorf("articles after a cancelled create: %+v, %v", arts, err)
	}
}

// Close commits what was asked for before it and refuses what comes after.
func TestGroupCommitCloseDrains(t *testing.T) {
	s, path := openGroup(t)
	ctx := context.Background()
	release := hold(t, s)
	queued := make(chan error, 1)
	go func() {
		_, err := s.CreateArticle(ctx, &store.Article{URL: "https://queued.example/", Text: "x"})
		queued <- err
	}()
	waitQueued(t, s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for {
		s.commits.mu.Lock()
		c := s.commits.closed
		s.commits.mu.Unlock()
		if c {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := s.CreateArticle(ctx, &store.Article{Text: "late"}); !errors.Is(err, berrors.ErrDatabaseNotOpen) {
		t.Errorf("write after Close began: %v, want ErrDatabaseNotOpen", err)
	}
	release()
	if err := <-queued; err != nil {
		t.Errorf("write queued before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if arts, _, err := s.ListArticles(ctx, store.ListQuery{PageSize: 10}); err != nil || len(arts) != 1 {
		t.Errorf("articles after reopen: %+v, %v; want the queued one", arts, err)
	}
}
