package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/internal/testdaemon"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store/boltstore"
)

// The import benchmarks stream benchAnnotations annotations (with their
// benchArticles articles and benchSources sources, referred to by URL, as a
// file from another system would) through a real Import stream over loopback
// into a durable bbolt file, in messages of benchMessage records as the CLI
// sends them. Each takes about 10 s:
//
//	go test ./server -run '^$' -bench Import -benchtime 1x
const (
	benchAnnotations = 100000
	benchArticles    = 1000
	benchSources     = 10
	benchMessage     = 100
)

var benchData struct {
	once sync.Once
	msgs [][]*factcheckv1.ImportRecord
	// encoded is every record as the wire carries it, for the raw baseline.
	encoded [][]byte
}

func benchFile() ([][]*factcheckv1.ImportRecord, [][]byte) {
	benchData.once.Do(func() {
		var recs []*factcheckv1.ImportRecord
		for i := range benchSources {
			recs = append(recs, srcRec("", fmt.Sprintf("https://evidence.example/bench/%d", i)))
		}
		perArticle := benchAnnotations / benchArticles
		rationale := strings.Repeat("The report says otherwise. ", 8)
		for i := range benchArticles {
			url := fmt.Sprintf("https://news.example/bench/%d", i)
			recs = append(recs, artRec("", url, claimsText))
			for j := range perArticle {
				exact := fmt.Sprintf("Claim %02d", j)
				rec := annImport(url, exact, fmt.Sprintf("https://evidence.example/bench/%d", (i+j)%benchSources))
				a := rec.GetAnnotation().GetAnnotation()
				a.Anchor.Position = &factcheckv1.TextPositionSelector{Start: int32(10 * j), End: int32(10*j + 8)}
				a.Verdict.Rationale = rationale
				a.ExternalId = fmt.Sprintf("bench-%d-%d", i, j)
				recs = append(recs, rec)
			}
		}
		for len(recs) > 0 {
			n := min(benchMessage, len(recs))
			benchData.msgs = append(benchData.msgs, recs[:n])
			recs = recs[n:]
		}
		for _, m := range benchData.msgs {
			for _, r := range m {
				b, err := proto.Marshal(r)
				if err != nil {
					panic(err)
				}
				benchData.encoded = append(benchData.encoded, b)
			}
		}
	})
	return benchData.msgs, benchData.encoded
}

// serveBench serves st on loopback with a logger that writes nothing, and
// returns the server's address and what stops it and closes st.
func serveBench(b *testing.B, st *boltstore.Store) (addr string, stop func()) {
	srv := server.New(st, server.Config{Logger: slog.New(slog.DiscardHandler)})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	return lis.Addr().String(), func() {
		srv.Stop()
		<-done
		_ = st.Close()
	}
}

// dialBench connects to a serveBench server with the token secret.
func dialBench(b *testing.B, addr, secret string) *grpc.ClientConn {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(secret)))
	if err != nil {
		b.Fatal(err)
	}
	return conn
}

// benchServer starts a server over a durable store in dir.
func benchServer(b *testing.B, dir string) (factcheckv1.BulkServiceClient, func()) {
	st, err := boltstore.Open(filepath.Join(dir, "factcheck.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	addr, stop := serveBench(b, st)
	conn := dialBench(b, addr, adminSecret(b, st))
	return factcheckv1.NewBulkServiceClient(conn), func() {
		_ = conn.Close()
		stop()
	}
}

// usage is what the process and its finished children (factcheckd, once
// stopped) have used so far: CPU time (user and system, the client's share
// included) and bytes written to storage (Linux adds a reaped child's I/O to
// its parent's /proc/self/io). Unlike wall time they hardly depend on what
// else the machine runs.
type usage struct {
	cpu     time.Duration
	written int64
}

func currentUsage() usage {
	var u usage
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		_ = syscall.Getrusage(who, &ru)
		u.cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if b, err := os.ReadFile("/proc/self/io"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
				u.written, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return u
}

func (u usage) since(start usage) usage {
	return usage{cpu: u.cpu - start.cpu, written: u.written - start.written}
}

// report adds the usage per record to b's metrics.
func (u usage) report(b *testing.B, records float64) {
	b.ReportMetric(float64(u.cpu.Microseconds())/records, "cpu-µs/record")
	b.ReportMetric(float64(u.written)/records, "written-B/record")
}

// benchBootstrapToken is the admin secret the benchmarks' factcheckd
// starts with.
const benchBootstrapToken = "bench-bootstrap-token-0123456789"

var daemonBuild struct {
	once      sync.Once
	dir, path string
	err       error
}

// daemonBinary builds cmd/factcheckd once per run of the test binary.
func daemonBinary(b *testing.B) string {
	daemonBuild.once.Do(func() {
		daemonBuild.dir, daemonBuild.err = os.MkdirTemp("", "factcheckd-bench-")
		if daemonBuild.err != nil {
			return
		}
		daemonBuild.path = filepath.Join(daemonBuild.dir, "factcheckd")
		out, err := exec.Command("go", "build", "-o", daemonBuild.path, "../cmd/factcheckd").CombinedOutput()
		if err != nil {
			daemonBuild.err = fmt.Errorf("go build ./cmd/factcheckd: %v\n%s", err, out)
		}
	})
	if daemonBuild.err != nil {
		b.Fatal(daemonBuild.err)
	}
	return daemonBuild.path
}

// startDaemon runs factcheckd, as users run it, on a new database in dir
// and returns its address and what stops it (SIGTERM, then waiting for it
// to close the file).
func startDaemon(b *testing.B, dir string) (addr string, stop func()) {
	d, err := testdaemon.Start(daemonBinary(b),
		[]string{"--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "factcheck.db"), "--rate-limit", "0"},
		[]string{"FACTCHECK_BOOTSTRAP_TOKEN=" + benchBootstrapToken})
	if err != nil {
		b.Fatal(err)
	}
	return d.Addr, func() {
		_ = d.Cmd.Process.Signal(syscall.SIGTERM)
		if err := <-d.Done; err != nil {
			b.Errorf("factcheckd: %v\n%s", err, d.Stderr.String())
		}
	}
}

// importOnce streams msgs into a fresh server in dir and returns how long
// the import took, from the first message to the summary, and the number of
// chunks (progress messages). With daemon, the server is factcheckd in its
// own process, with its own heap and GC setting, as users run it; without,
// it is served from this process (so that a benchmark can change its
// chunk limits).
func importOnce(b *testing.B, dir string, msgs [][]*factcheckv1.ImportRecord, daemon bool) (time.Duration, int) {
	var client factcheckv1.BulkServiceClient
	if daemon {
		addr, stop := startDaemon(b, dir)
		defer stop()
		conn := dialBench(b, addr, benchBootstrapToken)
		defer conn.Close()
		client = factcheckv1.NewBulkServiceClient(conn)
	} else {
		c, stop := benchServer(b, dir)
		defer stop()
		client = c
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	stream, err := client.Import(ctx)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for i, m := range msgs {
			req := &factcheckv1.ImportRequest{Records: m}
			if i == 0 {
				// As the CLI imports.
				req.Options = &factcheckv1.ImportOptions{BatchResults: true}
			}
			if err := stream.Send(req); err != nil {
				return
			}
		}
		_ = stream.CloseSend()
	}()
	var created, chunks int
	var summary *factcheckv1.ImportSummary
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		switch r := resp.GetResponse().(type) {
		case *factcheckv1.ImportResponse_Results:
			for _, res := range r.Results.GetResults() {
				if res.GetOutcome() == factcheckv1.ImportResult_OUTCOME_CREATED {
					created++
				} else if res.GetOutcome() == factcheckv1.ImportResult_OUTCOME_FAILED {
					b.Fatalf("record %d failed: %v", res.GetIndex(), res.GetStatus())
				}
			}
		case *factcheckv1.ImportResponse_Progress:
			chunks++
		case *factcheckv1.ImportResponse_Summary:
			summary = r.Summary
		}
	}
	took := time.Since(start)
	if summary == nil || int(summary.GetCreated()) != created || created != benchAnnotations+benchArticles+benchSources {
		b.Fatalf("created %d, summary %v", created, summary)
	}
	return took, chunks
}

// rawPuts writes encoded into a bare bbolt bucket, chunk records per
// durable transaction, under sequential keys with the FillPercent the store
// gives its records buckets: bbolt's ceiling for the same bytes.
func rawPuts(b *testing.B, dir string, encoded [][]byte, chunk int) time.Duration {
	db, err := bbolt.Open(filepath.Join(dir, "raw.db"), 0o600, &bbolt.Options{NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	var seq uint64
	for len(encoded) > 0 {
		n := min(chunk, len(encoded))
		err := db.Update(func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("records"))
			if err != nil {
				return err
			}
			bk.FillPercent = 0.9
			for _, v := range encoded[:n] {
				seq++
				if err := bk.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		encoded = encoded[n:]
	}
	return time.Since(start)
}

// kv is one key and value of a bucket.
type kv struct{ key, value []byte }

// fileContents reads every key and value of every top-level bucket of the
// bbolt file at path, each bucket's entries in the order the import wrote
// them: by the record key they belong to (the key itself for records,
// revisions and changes; the value for ID and unique buckets, which map to a
// record key; the trailing record key for secondary indexes, whose values
// are empty), then by key.
func fileContents(b *testing.B, path string) map[string][]kv {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	out := map[string][]kv{}
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bbolt.Bucket) error {
			var es []kv
			err := bk.ForEach(func(k, v []byte) error {
				es = append(es, kv{key: bytes.Clone(k), value: bytes.Clone(v)})
				return nil
			})
			order := func(e kv) []byte {
				switch {
				case len(e.value) == 0 && len(e.key) >= 8:
					return e.key[len(e.key)-8:]
				case len(e.value) == 8:
					return e.value
				}
				return e.key
			}
			slices.SortStableFunc(es, func(x, y kv) int {
				if c := bytes.Compare(order(x), order(y)); c != 0 {
					return c
				}
				return bytes.Compare(x.key, y.key)
			})
			out[string(name)] = es
			return err
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// rawFill is the FillPercent the store's import gives each bucket: 1 where
// keys only ever append (the change feed, a new annotation's revision 1),
// bbolt's default where it sets none, 0.9 for the records and indexes
// (insert's choice) and any bucket not listed.
var rawFill = map[string]float64{
	"annotation_revisions": 1, "changes": 1,
	"article_revisions": bbolt.DefaultFillPercent, "import_request_ids": bbolt.DefaultFillPercent,
	"meta": bbolt.DefaultFillPercent,
}

// rawAllPuts writes contents into a bare bbolt file in txs durable
// transactions, each putting the next 1/txs of every bucket's entries, as
// each import chunk appends to every bucket: bbolt's ceiling for every key
// and value an import writes (records, indexes, revisions, changes), with
// none of the store's work of deriving them.
func rawAllPuts(b *testing.B, dir string, contents map[string][]kv, txs int) time.Duration {
	db, err := bbolt.Open(filepath.Join(dir, "rawall.db"), 0o600, &bbolt.Options{NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	names := slices.Sorted(maps.Keys(contents))
	start := time.Now()
	for i := range txs {
		err := db.Update(func(tx *bbolt.Tx) error {
			for _, name := range names {
				bk, err := tx.CreateBucketIfNotExists([]byte(name))
				if err != nil {
					return err
				}
				bk.FillPercent = 0.9
				if f, ok := rawFill[name]; ok {
					bk.FillPercent = f
				}
				es := contents[name]
				for _, e := range es[i*len(es)/txs : (i+1)*len(es)/txs] {
					if err := bk.Put(e.key, e.value); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkImport reports import records/s next to two raw bbolt baselines
// run on the same file system in the same run, and the ratios. The import
// goes to factcheckd, built from this tree and started as users start it, in
// a process of its own: served from the benchmark's process it was 5–10%
// slower, its garbage collector marking the client's 100,000 records and
// running at Go's default rather than factcheckd's GOGC. The baselines:
//
//   - raw: puts of the same encoded records (the wire's bytes) under
//     sequential keys in chunks of 1,000 (ratio): the baseline;
//   - rawall: puts of every key and value the import left in its file
//     (records, indexes, revisions, changes, idempotency keys) in as many
//     transactions as the import committed (ratio-all): what bbolt alone
//     costs for the import's writes, so that 1/ratio-all is the share of the
//     import's time that is the store's and the server's own work.
//
// Bytes written and CPU are reported per record for all three.
func BenchmarkImport(b *testing.B) {
	if testing.Short() {
		b.Skip("imports 100,000 annotations")
	}
	msgs, encoded := benchFile()
	daemonBinary(b) // built before anything is measured: go build is a child too
	records := float64(len(encoded))
	var imp, raw time.Duration
	var chunks int
	var used usage
	var rawUsed, allUsed usage
	var rawAll time.Duration
	for b.Loop() {
		dir := b.TempDir()
		start := currentUsage()
		took, n := importOnce(b, dir, msgs, true)
		u := currentUsage().since(start)
		used.cpu, used.written = used.cpu+u.cpu, used.written+u.written
		imp += took
		chunks += n
		start = currentUsage()
		raw += rawPuts(b, b.TempDir(), encoded, 1000)
		u = currentUsage().since(start)
		rawUsed.cpu, rawUsed.written = rawUsed.cpu+u.cpu, rawUsed.written+u.written

		contents := fileContents(b, filepath.Join(dir, "factcheck.db"))
		logContents(b, contents)
		start = currentUsage()
		rawAll += rawAllPuts(b, b.TempDir(), contents, n)
		u = currentUsage().since(start)
		allUsed.cpu, allUsed.written = allUsed.cpu+u.cpu, allUsed.written+u.written
	}
	n := records * float64(b.N)
	used.report(b, n)
	b.ReportMetric(float64(rawUsed.cpu.Microseconds())/n, "raw-cpu-µs/record")
	b.ReportMetric(float64(rawUsed.written)/n, "raw-written-B/record")
	b.ReportMetric(float64(allUsed.cpu.Microseconds())/n, "rawall-cpu-µs/record")
	b.ReportMetric(float64(allUsed.written)/n, "rawall-written-B/record")
	importRate := n / imp.Seconds()
	rawRate := n / raw.Seconds()
	rawAllRate := n / rawAll.Seconds()
	b.ReportMetric(importRate, "records/s")
	b.ReportMetric(rawRate, "raw-records/s")
	b.ReportMetric(rawAllRate, "rawall-records/s")
	b.ReportMetric(importRate/rawRate, "ratio")
	b.ReportMetric(importRate/rawAllRate, "ratio-all")
	b.ReportMetric(records*float64(b.N)/float64(chunks), "records/chunk")
}

// logContents logs, with -v, the entries and bytes of keys and values of
// every bucket of an imported file, largest first: where the bytes an import
// writes go.
func logContents(b *testing.B, contents map[string][]kv) {
	type size struct {
		name         string
		n, key, vals int
	}
	var sizes []size
	total := 0
	for name, es := range contents {
		s := size{name: name, n: len(es)}
		for _, e := range es {
			s.key += len(e.key)
			s.vals += len(e.value)
		}
		total += s.key + s.vals
		sizes = append(sizes, s)
	}
	slices.SortFunc(sizes, func(x, y size) int { return (y.key + y.vals) - (x.key + x.vals) })
	var sb strings.Builder
	fmt.Fprintf(&sb, "import file: %d bytes of keys and values\n", total)
	for _, s := range sizes {
		fmt.Fprintf(&sb, "  %-26s %7d entries %10d B keys %10d B values\n", s.name, s.n, s.key, s.vals)
	}
	b.Log(sb.String())
}

// BenchmarkImportChunkSize imports the same file with several chunk limits,
// to choose chunkRecords.
func BenchmarkImportChunkSize(b *testing.B) {
	if testing.Short() {
		b.Skip("imports 100,000 annotations per chunk size")
	}
	msgs, encoded := benchFile()
	for _, limit := range []int{100, 250, 500, 1000, 2000, 5000} {
		b.Run(fmt.Sprintf("records=%d", limit), func(b *testing.B) {
			defer server.SetImportChunk(limit, 4<<20)()
			var imp time.Duration
			var chunks int
			start := currentUsage()
			for b.Loop() {
				took, n := importOnce(b, b.TempDir(), msgs, false)
				imp += took
				chunks += n
			}
			currentUsage().since(start).report(b, float64(len(encoded)*b.N))
			b.ReportMetric(float64(len(encoded))*float64(b.N)/imp.Seconds(), "records/s")
			b.ReportMetric(float64(len(encoded))*float64(b.N)/float64(chunks), "records/chunk")
		})
	}
}
