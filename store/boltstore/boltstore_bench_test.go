package boltstore_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
	"github.com/factcheck/factcheck/store/filter"
)

// The benchmarks share one store of benchArticles × benchPerArticle
// annotations, built once per test binary in chunks of one article's
// annotations (a few seconds on 2 cores):
//
//	go test ./store/boltstore -run '^$' -bench . -benchtime 2s
//
// Of the annotations 1% are RATING_FALSE, 0.05% RATING_UNPROVEN, 10%
// STATE_PUBLISHED, spread evenly in creation order.
const (
	benchArticles   = 1000
	benchPerArticle = 100
)

var bench struct {
	once     sync.Once
	dir      string
	s        *boltstore.Store
	articles []string
	anns     [][]string // by article
	err      error
	took     time.Duration
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.s != nil {
		_ = bench.s.Close()
	}
	if bench.dir != "" {
		_ = os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func benchStore(b *testing.B) *boltstore.Store {
	b.Helper()
	bench.once.Do(func() {
		start := time.Now()
		bench.err = buildBenchStore()
		bench.took = time.Since(start)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	b.Logf("store of %d annotations built in %v", benchArticles*benchPerArticle, bench.took.Round(time.Millisecond))
	return bench.s
}

func buildBenchStore() error {
	dir, err := os.MkdirTemp("", "boltstore-bench-")
	if err != nil {
		return err
	}
	bench.dir = dir
	// NoSync: the data set is rebuilt from scratch if anything goes wrong.
	s, err := boltstore.Open(filepath.Join(dir, "bench.db"), boltstore.Options{NoSync: true})
	if err != nil {
		return err
	}
	bench.s = s
	var text strings.Builder
	for i := range benchPerArticle {
		fmt.Fprintf(&text, "Claim %03d. ", i)
	}
	src, err := s.CreateSource(ctx, &store.Source{URL: "https://evidence.example/bench"})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 7))
	n := 0
	for i := range benchArticles {
		art, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/%d", i), Text: text.String()})
		if err != nil {
			return err
		}
		bench.articles = append(bench.articles, art.ID)
		var chunk []*store.Annotation
		for j := range benchPerArticle {
			a := &store.Annotation{
				ArticleID: art.ID,
				Anchor:    store.Anchor{Exact: fmt.Sprintf("Claim %03d", j), HasPosition: true, Start: 11 * j, End: 11*j + 9},
				Claim:     store.Claim{Text: "a claim", Claimant: store.Claimant{Name: fmt.Sprintf("Claimant %d", rng.IntN(500))}},
				Verdict:   store.Verdict{Rating: store.Rating(1 + rng.IntN(4)), Rationale: strings.Repeat("Because. ", 20)},
				Labels:    map[string]string{"desk": "world"},
				Citations: []store.Citation{{SourceID: src.ID, Quote: "evidence"}},
			}
			switch {
			case n%100 == 37:
				a.Verdict.Rating = store.RatingFalse
			case n%2000 == 1234:
				a.Verdict.Rating = store.RatingUnproven
			}
			if rng.IntN(10) == 0 {
				a.State = store.StatePublished
			}
			chunk = append(chunk, a)
			n++
		}
		created, err := s.CreateAnnotations(ctx, chunk)
		if err != nil {
			return err
		}
		var ids []string
		for _, a := range created {
			ids = append(ids, a.ID)
		}
		bench.anns = append(bench.anns, ids)
	}
	return nil
}

func BenchmarkListAnnotations(b *testing.B) {
	s := benchStore(b)
	for _, bc := range []struct{ name, filter string }{
		{"indexed/rating=FALSE", "verdict.rating = RATING_FALSE"},
		{"scan/rating=FALSE", "NOT verdict.rating != RATING_FALSE"},
		{"indexed/rating=UNPROVEN", "verdict.rating = RATING_UNPROVEN"},
		{"scan/rating=UNPROVEN", "NOT verdict.rating != RATING_UNPROVEN"},
		{"indexed/state=PUBLISHED", "state = STATE_PUBLISHED"},
		{"scan/state=PUBLISHED", "NOT state != STATE_PUBLISHED"},
		{"indexed/rating=FALSE+state=PUBLISHED", "verdict.rating = RATING_FALSE AND state = STATE_PUBLISHED"},
		{"scan/rating=FALSE+state=PUBLISHED", "NOT (verdict.rating != RATING_FALSE OR state != STATE_PUBLISHED)"},
		{"unfiltered", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var f filter.Expr
			if bc.filter != "" {
				var err error
				if f, err = filter.Parse(bc.filter, store.AnnotationFilterSchema); err != nil {
					b.Fatal(err)
				}
			}
			q := store.ListQuery{Filter: f, PageSize: 50}
			before := s.Examined()
			for b.Loop() {
				page, _, err := s.ListAnnotations(ctx, "", q)
				if err != nil || len(page) == 0 {
					b.Fatalf("%d results, %v", len(page), err)
				}
			}
			b.ReportMetric(float64(s.Examined()-before)/float64(b.N), "records/op")
		})
	}
}

func BenchmarkGetAnnotation(b *testing.B) {
	s := benchStore(b)
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		i := rng.IntN(len(bench.articles))
		if _, err := s.GetAnnotation(ctx, bench.articles[i], bench.anns[i][rng.IntN(benchPerArticle)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateAnnotation measures durable (fsynced) single creates on a
// small store of its own.
func BenchmarkCreateAnnotation(b *testing.B) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "create.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	art, err := s.CreateArticle(ctx, &store.Article{URL: "u", Text: "The minister said taxes fell."})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "taxes fell"},
			Claim: store.Claim{Text: "taxes fell"}, Verdict: store.Verdict{Rating: store.RatingFalse}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateAnnotations measures durable chunked creates, to choose the
// chunk size of bulk imports; ns/annotation is the figure to compare.
func BenchmarkCreateAnnotations(b *testing.B) {
	for _, chunk := range []int{1, 10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			s, err := boltstore.Open(filepath.Join(b.TempDir(), "bulk.db"), boltstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			art, err := s.CreateArticle(ctx, &store.Article{URL: "u", Text: "The minister said taxes fell."})
			if err != nil {
				b.Fatal(err)
			}
			batch := make([]*store.Annotation, chunk)
			for i := range batch {
				batch[i] = &store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "taxes fell", HasPosition: true, Start: 18, End: 28},
					Claim: store.Claim{Text: "taxes fell"}, Verdict: store.Verdict{Rating: store.RatingFalse}, Labels: map[string]string{"desk": "world"}}
			}
			for b.Loop() {
				if _, err := s.CreateAnnotations(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunk), "ns/annotation")
		})
	}
}

// BenchmarkImport measures Store.Import alone, durable, with the records of
// server's BenchmarkImport (100,000 annotations of 1,000 articles citing 10
// sources, parent and sources by URL, positions given) in chunks of 1,000:
// the store's share of an import's cost, without gRPC and validation.
//
//	go test ./store/boltstore -run '^$' -bench 'BenchmarkImport$' -benchtime 1x
func BenchmarkImport(b *testing.B) {
	if testing.Short() {
		b.Skip("imports 100,000 annotations")
	}
	const (
		articles   = 1000
		perArticle = 100
		sources    = 10
		chunk      = 1000
	)
	var text strings.Builder
	for i := range perArticle {
		fmt.Fprintf(&text, "Claim %02d. ", i)
	}
	var recs []store.ImportRecord
	for i := range sources {
		recs = append(recs, store.ImportRecord{Source: &store.Source{URL: fmt.Sprintf("https://evidence.example/bench/%d", i), Title: "Source"}})
	}
	rationale := strings.Repeat("The report says otherwise. ", 8)
	for i := range articles {
		url := fmt.Sprintf("https://news.example/bench/%d", i)
		recs = append(recs, store.ImportRecord{Article: &store.Article{URL: url, Title: "Article", Publisher: "Example News", Language: "en",
			Text: text.String(), Labels: map[string]string{"desk": "world"}}})
		for j := range perArticle {
			recs = append(recs, store.ImportRecord{Annotation: &store.AnnotationImport{
				ArticleURL: url,
				SourceURLs: []string{fmt.Sprintf("https://evidence.example/bench/%d", (i+j)%sources)},
				Annotation: &store.Annotation{
					Anchor:     store.Anchor{Exact: fmt.Sprintf("Claim %02d", j), HasPosition: true, Start: 10 * j, End: 10*j + 8},
					Claim:      store.Claim{Text: "claim", Claimant: store.Claimant{Name: "A. Minister", Kind: store.ClaimantPerson}},
					Verdict:    store.Verdict{Rating: store.RatingFalse, Label: "Wrong", Rationale: rationale},
					Citations:  []store.Citation{{Quote: "evidence", Stance: store.StanceRefutes}},
					State:      store.StatePublished,
					Labels:     map[string]string{"topic": "economy"},
					ExternalID: fmt.Sprintf("bench-%d-%d", i, j),
				},
			}})
		}
	}
	var (
		took, cpu time.Duration
		written   int64
	)
	for b.Loop() {
		s, err := boltstore.Open(filepath.Join(b.TempDir(), "import.db"), boltstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start, startCPU, startWritten := time.Now(), cpuTime(), bytesWritten()
		for rest := recs; len(rest) > 0; {
			n := min(chunk, len(rest))
			res, err := s.Import(ctx, rest[:n], store.ImportOptions{})
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Outcome != store.OutcomeCreated {
					b.Fatalf("%v: %v", r.Outcome, r.Err)
				}
			}
			rest = rest[n:]
		}
		took += time.Since(start)
		cpu += cpuTime() - startCPU
		written += bytesWritten() - startWritten
		_ = s.Close()
	}
	n := float64(len(recs) * b.N)
	b.ReportMetric(n/took.Seconds(), "records/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/record")
	b.ReportMetric(float64(written)/n, "written-B/record")
}

// bytesWritten is what the process has written to storage so far, from
// /proc/self/io (0 where there is none).
func bytesWritten() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
