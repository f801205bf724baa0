package storetest

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/factcheck/factcheck/store"
)

// testConcurrency runs writers that create annotations and increment a
// counter on one article with read-modify-write under etags, beside readers
// that page through the annotations. Run it with -race. No increment may be
// lost (a lost one means a stale etag was accepted) and every create must
// land with its own ID.
func testConcurrency(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("busy")
	counter := h.createArticle(newArticle(1))
	const writers, each = 8, 8

	var (
		wg, readers sync.WaitGroup
		done        atomic.Bool
		conflicts   atomic.Int64
		errs        = make(chan error, writers+2)
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.CreateAnnotation(ctx, newAnnotation(art.ID, (w*each+i)%40)); err != nil {
					errs <- err
					return
				}
				for {
					cur, err := s.GetArticle(ctx, counter.ID)
					if err != nil {
						errs <- err
						return
					}
					n, _ := strconv.Atoi(cur.Labels["count"])
					_, err = s.UpdateArticle(ctx, counter.ID, cur.Etag, func(a *store.Article) error {
						a.Labels["count"] = strconv.Itoa(n + 1)
						return nil
					})
					if errors.Is(err, store.ErrConflict) {
						conflicts.Add(1)
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		})
	}
	for range 2 {
		readers.Go(func() {
			for !done.Load() {
				q := store.ListQuery{PageSize: 5}
				for {
					page, next, err := s.ListAnnotations(ctx, "", q)
					if err != nil {
						errs <- err
						return
					}
					if next != "" && len(page) != q.PageSize {
						errs <- errors.New("a page with a next token is not full")
						return
					}
					if next == "" {
						break
					}
					q.PageToken = next
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if got := h.getArticle(counter.ID).Labels["count"]; got != strconv.Itoa(writers*each) {
		t.Errorf("counter = %s after %d increments (%d etag conflicts retried): updates were lost", got, writers*each, conflicts.Load())
	}
	anns := collect(t, annotationLister(s, art.ID), store.ListQuery{PageSize: 1000})
	distinct := map[string]bool{}
	for _, a := range anns {
		distinct[a.id] = true
	}
	if len(anns) != writers*each || len(distinct) != len(anns) {
		t.Errorf("%d annotations (%d distinct IDs), want %d", len(anns), len(distinct), writers*each)
	}
}
