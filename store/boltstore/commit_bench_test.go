package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
)

// BenchmarkCreateAnnotationConcurrent measures durable CreateAnnotation
// calls (real file, fsync on) from 1 and 64 goroutines: with group commit,
// with a transaction per call as before it (soloWrites), and, for a ceiling,
// raw bbolt db.Batch (MaxBatchSize 64) putting the same encoded record bytes
// without indexes, revision or change:
//
//	go test ./store/boltstore -run '^$' -bench 'CreateAnnotationConcurrent' -benchtime 3s -count 3
func BenchmarkCreateAnnotationConcurrent(b *testing.B) {
	for _, writers := range []int{1, 64} {
		for _, mode := range []string{"group", "solo", "group-nosync", "solo-nosync"} {
			nosync := strings.HasSuffix(mode, "-nosync")
			if nosync && writers > 1 {
				continue
			}
			// Without fsync, one writer shows what the hand-off to the
			// committer costs, apart from the disk's noise.
			b.Run(fmt.Sprintf("%s/writers=%d", mode, writers), func(b *testing.B) {
				s, err := Open(filepath.Join(b.TempDir(), "bench.db"),
					Options{soloWrites: strings.HasPrefix(mode, "solo"), NoSync: nosync})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				ctx := context.Background()
				art, err := s.CreateArticle(ctx, &store.Article{Text: benchText})
				if err != nil {
					b.Fatal(err)
				}
				run(b, writers, func(i int) error {
					_, err := s.CreateAnnotation(ctx, benchAnnotation(art.ID, i))
					return err
				})
				if s.commits != nil {
					b.ReportMetric(float64(s.commits.committed.Load())/float64(s.commits.commits.Load()), "writes/commit")
				}
			})
		}
	}
	b.Run("rawbatch/writers=64", func(b *testing.B) {
		val := encodedAnnotation(b)
		db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{
			NoFreelistSync: true, FreelistType: bbolt.FreelistMapType,
		})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.MaxBatchSize = 64
		if err := db.Update(func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucket(bucketAnnotations)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		run(b, 64, func(int) error {
			return db.Batch(func(tx *bbolt.Tx) error {
				bk := tx.Bucket(bucketAnnotations)
				bk.FillPercent = 0.9
				n, err := bk.NextSequence()
				if err != nil {
					return err
				}
				return bk.Put(u64(n), val)
			})
		})
	})
}

const benchText = "The minister said taxes fell by ten percent last year, and that unemployment was the lowest in a decade."

func benchAnnotation(articleID string, i int) *store.Annotation {
	return &store.Annotation{
		ArticleID: articleID,
		Anchor:    store.Anchor{Exact: "taxes fell by ten percent"},
		Claim:     store.Claim{Text: fmt.Sprintf("Taxes fell by ten percent (%d).", i), Claimant: store.Claimant{Name: "The minister"}},
		Verdict:   store.Verdict{Rating: store.RatingFalse, Rationale: "Tax receipts rose 3% (budget office)."},
	}
}

// encodedAnnotation returns the stored bytes of one bench annotation.
func encodedAnnotation(b *testing.B) []byte {
	s, err := Open(filepath.Join(b.TempDir(), "one.db"), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	art, err := s.CreateArticle(ctx, &store.Article{Text: benchText})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateAnnotation(ctx, benchAnnotation(art.ID, 0)); err != nil {
		b.Fatal(err)
	}
	var val []byte
	_ = s.db.View(func(tx *bbolt.Tx) error {
		_, v := tx.Bucket(bucketAnnotations).Cursor().First()
		val = clone(v)
		return nil
	})
	return val
}

// run calls op b.N times from the given number of goroutines and reports
// the rate.
func run(b *testing.B, writers int, op func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				if err := op(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
