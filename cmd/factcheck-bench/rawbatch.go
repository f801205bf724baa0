package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// rawbatch is the floor under CreateAnnotation: the same number of bytes
// and keys written straight into bbolt, durably, from as many goroutines as
// the load has clients, with no gRPC, no validation and no encoding.

type rawResult struct {
	Mode           string  `json:"mode"`
	C              int     `json:"c"`
	Records        int64   `json:"records"`
	Seconds        float64 `json:"seconds"`
	RecordsPerSec  float64 `json:"records_per_sec"`
	Commits        int64   `json:"commits"`
	RecordsPerTx   float64 `json:"records_per_commit"`
	ValueBytes     int     `json:"value_bytes"`
	IndexKeys      int     `json:"index_keys"`
	MaxBatchSize   int     `json:"max_batch_size,omitempty"`
	MaxBatchDelay  string  `json:"max_batch_delay,omitempty"`
	NoSync         bool    `json:"nosync,omitempty"`
	latencySummary         // per record, as its writer saw it
}

// corpusRecordShape returns the encoded size of a typical stored annotation
// and how many index keys the store writes with it. The store encodes its
// own private record type; the API message of the same annotation, plus
// what the server fills in (name, etag, times, spans), is within a few per
// cent of it.
func corpusRecordShape() (valueBytes, indexKeys int) {
	r := rand.New(rand.NewPCG(1, 2))
	a := makeArticle(0, 20)
	var size, keys int
	const samples = 200
	for j := range samples {
		ann := makeAnnotation(a, j, 100, r, int64(j))
		size += proto.Size(apiAnnotation(ann, func(id string) string { return "sources/" + id }))
		// by ID, article, state, rating, anchor status, claimant, update
		// time; external_id; one per cited source; one per label.
		seen := map[string]bool{}
		for _, c := range ann.Citations {
			seen[c.SourceID] = true
		}
		keys += 7 + 1 + len(seen) + len(ann.Labels)
	}
	const serverFields = 110 // name, etag, create/update time, revision, status, utf16/utf8 spans
	return size/samples + serverFields, int(math.Round(float64(keys) / samples))
}

func runRawBatch(args []string, stdout, stderr io.Writer) error {
	valueDef, keysDef := corpusRecordShape()
	fs := flag.NewFlagSet("rawbatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "bbolt file to create (must not exist); removed afterwards unless --keep")
	keep := fs.Bool("keep", false, "keep the file")
	mode := fs.String("mode", "batch", "batch: db.Batch per record (bbolt's group commit); update: one db.Update per record")
	c := fs.Int("c", 64, "concurrent writers")
	n := fs.Int64("n", 20000, "records to write")
	d := fs.Duration("d", time.Minute, "stop after this long even if -n is not reached")
	value := fs.Int("value", valueDef, "bytes of each record (default: a typical generated annotation)")
	keys := fs.Int("index-keys", keysDef, "index keys written with each record (default: as the store writes for a typical annotation)")
	maxBatch := fs.Int("max-batch", 0, "db.MaxBatchSize (0: bbolt's default, 1000)")
	delay := fs.Duration("batch-delay", 0, "db.MaxBatchDelay (0: bbolt's default, 10ms)")
	nosync := fs.Bool("nosync", false, "UNSAFE: no fsync (to see what the disk costs)")
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" || fs.NArg() > 0 {
		return errors.New("usage: factcheck-bench rawbatch --db FILE [-c 64] [-n 20000] [--mode batch|update]")
	}
	if *mode != "batch" && *mode != "update" {
		return fmt.Errorf("--mode %q: batch or update", *mode)
	}
	if *c < 1 || *n < 1 || *value < 1 || *keys < 0 {
		return errors.New("-c, -n and --value must be positive, --index-keys not negative")
	}
	if _, err := os.Stat(*db); err == nil {
		return fmt.Errorf("%s exists", *db)
	}
	bdb, err := bbolt.Open(*db, 0o600, &bbolt.Options{Timeout: time.Second, NoFreelistSync: true,
		FreelistType: bbolt.FreelistMapType, NoSync: *nosync})
	if err != nil {
		return err
	}
	defer func() {
		bdb.Close()
		if !*keep {
			os.Remove(*db)
		}
	}()
	if *maxBatch > 0 {
		bdb.MaxBatchSize = *maxBatch
	}
	if *delay > 0 {
		bdb.MaxBatchDelay = *delay
	}
	res := rawResult{Mode: *mode, C: *c, ValueBytes: *value, IndexKeys: *keys, MaxBatchSize: bdb.MaxBatchSize,
		MaxBatchDelay: bdb.MaxBatchDelay.String(), NoSync: *nosync}
	idx := make([][]byte, *keys)
	if err := bdb.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucket([]byte("records")); err != nil {
			return err
		}
		for i := range idx {
			idx[i] = fmt.Appendf(nil, "index-%02d", i)
			if _, err := tx.CreateBucket(idx[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}

	var (
		issued  atomic.Int64
		commits atomic.Int64
		lastTx  sync.Map // tx ID → struct{}: distinct commits
		wg      sync.WaitGroup
		lat     = make([][]int64, *c)
		errOnce sync.Once
		firstEr error
	)
	deadline := time.Now().Add(*d)
	start := time.Now()
	for w := range *c {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 99))
			val := make([]byte, *value)
			for i := range val {
				val[i] = byte(r.Uint32())
			}
			for issued.Add(1) <= *n && time.Now().Before(deadline) {
				// The bytes vary per record so that nothing downstream can
				// deduplicate them.
				binary.BigEndian.PutUint64(val, r.Uint64())
				put := func(tx *bbolt.Tx) error {
					if _, loaded := lastTx.LoadOrStore(tx.ID(), struct{}{}); !loaded {
						commits.Add(1)
					}
					b := tx.Bucket([]byte("records"))
					b.FillPercent = 0.9
					seq, err := b.NextSequence()
					if err != nil {
						return err
					}
					key := binary.BigEndian.AppendUint64(nil, seq)
					if err := b.Put(key, val); err != nil {
						return err
					}
					for i, name := range idx {
						// An enum- or name-like prefix, then the record key,
						// as the store's secondary indexes are built.
						ik := binary.BigEndian.AppendUint64(fmt.Appendf(nil, "%08d", (seq*uint64(i+7))%97), seq)
						if err := tx.Bucket(name).Put(ik, key[:0:0]); err != nil {
							return err
						}
					}
					return nil
				}
				t0 := time.Now()
				var err error
				if *mode == "batch" {
					err = bdb.Batch(put)
				} else {
					err = bdb.Update(put)
				}
				if err != nil {
					errOnce.Do(func() { firstEr = err })
					return
				}
				lat[w] = append(lat[w], int64(time.Since(t0)))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstEr != nil {
		return firstEr
	}
	var all []int64
	for _, l := range lat {
		all = append(all, l...)
	}
	res.Records = int64(len(all))
	res.Seconds = math.Round(elapsed.Seconds()*1000) / 1000
	res.RecordsPerSec = math.Round(float64(res.Records) / elapsed.Seconds())
	res.Commits = commits.Load()
	if res.Commits > 0 {
		res.RecordsPerTx = math.Round(float64(res.Records)/float64(res.Commits)*10) / 10
	}
	res.latencySummary = summarize(all)
	if *jsonOut {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "rawbatch mode=%s c=%d records=%d seconds=%.2f records/s=%.0f commits=%d records/commit=%.1f value=%dB index_keys=%d max_batch=%d delay=%s nosync=%v p50=%.0fµs p99=%.0fµs\n",
		res.Mode, res.C, res.Records, res.Seconds, res.RecordsPerSec, res.Commits, res.RecordsPerTx, res.ValueBytes,
		res.IndexKeys, res.MaxBatchSize, res.MaxBatchDelay, res.NoSync, res.P50, res.P99)
	return nil
}
