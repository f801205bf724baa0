package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// dataset describes a generated database; gen writes it beside the file as
// FILE.json, and load reads it to name stored records.
type dataset struct {
	Annotations int `json:"annotations"`
	Articles    int `json:"articles"`
	PerArticle  int `json:"per_article"`
	Sources     int `json:"sources"`
	// Filled in by gen, for the record.
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

func readDataset(path string) (dataset, error) {
	var d dataset
	b, err := os.ReadFile(path)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("%s: %w", path, err)
	}
	if d.Articles <= 0 || d.PerArticle <= 0 {
		return d, fmt.Errorf("%s: no articles or annotations", path)
	}
	return d, nil
}

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "database file to create (must not exist); FILE.json describes it afterwards")
	n := fs.Int("annotations", 10000, "number of annotations")
	articles := fs.Int("articles", 0, "number of articles (default annotations/20)")
	chunk := fs.Int("chunk", 1000, "annotations per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" || fs.NArg() > 0 {
		return errors.New("usage: factcheck-bench gen --db FILE --annotations N [--articles M]")
	}
	if *n <= 0 {
		return errors.New("--annotations must be positive")
	}
	if *articles <= 0 {
		*articles = max(1, *n/20)
	}
	if *n%*articles != 0 {
		return fmt.Errorf("--annotations (%d) must be a multiple of --articles (%d), so every article has as many", *n, *articles)
	}
	if _, err := os.Stat(*db); err == nil {
		return fmt.Errorf("%s exists; gen only builds new databases", *db)
	}
	ds := dataset{Annotations: *n, Articles: *articles, PerArticle: *n / *articles, Sources: sourcesFor(*n)}
	start := time.Now()
	tmp := *db + ".partial"
	_ = os.Remove(tmp)
	if err := generate(tmp, ds, *chunk, stderr); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	// Durable before it is renamed into place: a cached database is always
	// a complete one.
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, *db); err != nil {
		return err
	}
	if err := syncFile(filepath.Dir(*db)); err != nil {
		return err
	}
	ds.Seconds = time.Since(start).Seconds()
	if fi, err := os.Stat(*db); err == nil {
		ds.Bytes = fi.Size()
	}
	b, _ := json.MarshalIndent(ds, "", "  ")
	if err := os.WriteFile(*db+".json", append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generated %s: %d annotations on %d articles citing %d sources, %.1f MB in %.1fs (%.0f annotations/s)\n",
		*db, ds.Annotations, ds.Articles, ds.Sources, float64(ds.Bytes)/1e6, ds.Seconds, float64(ds.Annotations)/ds.Seconds)
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// generate fills a new database through the store, in transactions of about
// chunk annotations, without fsync (the file is synced once at the end).
func generate(path string, ds dataset, chunk int, progress io.Writer) (err error) {
	st, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}()
	ctx := context.Background()
	for i := range ds.Sources {
		if _, err := st.CreateSource(ctx, makeSource(i)); err != nil {
			return fmt.Errorf("source %d: %w", i, err)
		}
	}
	r := rand.New(rand.NewPCG(42, 42))
	var batch []*store.Annotation
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := st.CreateAnnotations(ctx, batch); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	last := time.Now()
	seq := int64(0)
	for i := range ds.Articles {
		a := makeArticle(i, ds.PerArticle)
		if _, err := st.CreateArticle(ctx, a.article); err != nil {
			return fmt.Errorf("article %d: %w", i, err)
		}
		for j := range ds.PerArticle {
			ann := makeAnnotation(a, j, ds.Sources, r, seq)
			ann.ID = annotationID(j)
			batch = append(batch, ann)
			seq++
		}
		if len(batch) >= chunk {
			if err := flush(); err != nil {
				return err
			}
		}
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			fmt.Fprintf(progress, "gen: %d/%d annotations\n", seq, ds.Annotations)
		}
	}
	return flush()
}
