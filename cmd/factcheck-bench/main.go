// Command factcheck-bench generates benchmark databases and load for
// factcheckd. It is the Go half of bench/run.sh; BENCHMARKS.md explains what
// is measured and how.
//
//	factcheck-bench gen --db FILE --annotations N [--articles M]
//	factcheck-bench load --addr 127.0.0.1:PORT --mode get|list|health|create|mixed -c C --conns K -d DURATION [--n N] [--dataset FILE.json] [--token T] [--json]
//	factcheck-bench rawbatch --db FILE [-c 64] [-n 20000] [--mode batch|update]
//	factcheck-bench names --dataset FILE.json [-n 1000]
//	factcheck-bench check --db FILE
//	factcheck-bench freeport
//	factcheck-bench wait --addr 127.0.0.1:PORT [--timeout 30s]
//	factcheck-bench report --in results.jsonl [--header machine.md]
//	factcheck-bench cpu [--pid PID] [--out FILE] -- COMMAND [ARGS...]
//
// gen builds a realistic database (see corpus.go: ~3-4 KB articles, ~1 KB
// annotations with citations, labels and a skewed mix of ratings and
// states) through the store, in chunks of 1,000 annotations per
// transaction, without fsync while it runs and with one fsync at the end.
// It never runs against a database a server uses: the file must not exist.
// It writes FILE.json, which load and names read to name stored records.
//
// load is a closed-loop load generator: C workers over K gRPC connections,
// each calling back to back, for a warm-up and then a measured window
// bounded by -d (and by -n calls when given). It prints calls/s, p50, p90,
// p99 and max latency, and errors by status code, as text or JSON; with
// --pid it adds the server's CPU time per call and its resident memory.
// Every call carries --token (or $FACTCHECK_TOKEN) as its bearer token; the
// health checks need none.
// It ONLY targets loopback addresses (127.0.0.0/8, ::1, localhost) and
// refuses any other: it is for measuring a server on this machine, never
// for loading someone else's.
//
// rawbatch writes the same number of bytes and keys as CreateAnnotation
// straight into a new bbolt file, durably, through db.Batch (or one
// db.Update per record), from C goroutines: the storage floor the server's
// create path is compared with.
//
// names prints a JSON array of GetAnnotation requests for stored
// annotations, for ghz's --data-file.
//
// check runs boltstore's Check on a database no server has open: bbolt's
// consistency check and every index against the records.
//
// freeport prints a loopback port free at the moment; wait polls a
// server's health check until it answers SERVING. Both are for scripts.
//
// report turns the JSON lines bench/run.sh collects into markdown tables.
//
// cpu runs a command (bench/run.sh: ghz), its output passed through, and
// writes as JSON the CPU time the command itself spent and, with --pid, the
// CPU time that process (the server) spent meanwhile: what a load generator
// that shares the server's cores costs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/factcheck/factcheck/store/boltstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "factcheck-bench:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage:
  factcheck-bench gen --db FILE --annotations N [--articles M]
  factcheck-bench load --addr 127.0.0.1:PORT --mode get|list|health|create|mixed -c C --conns K -d DURATION [--n N] [--dataset FILE.json] [--token T] [--json]
  factcheck-bench rawbatch --db FILE [-c 64] [-n 20000] [--mode batch|update] [--json]
  factcheck-bench names --dataset FILE.json [-n 1000]
  factcheck-bench check --db FILE
  factcheck-bench report --in results.jsonl [--header machine.md]
  factcheck-bench cpu [--pid PID] [--out FILE] -- COMMAND [ARGS...]
Run a subcommand with -h for its flags.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no subcommand")
	}
	switch args[0] {
	case "gen":
		return runGen(args[1:], stdout, stderr)
	case "load":
		return runLoad(ctx, args[1:], stdout, stderr)
	case "rawbatch":
		return runRawBatch(args[1:], stdout, stderr)
	case "names":
		return runNames(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "freeport":
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer lis.Close()
		_, err = fmt.Fprintln(stdout, lis.Addr().(*net.TCPAddr).Port)
		return err
	case "wait":
		return runWait(ctx, args[1:], stderr)
	case "report":
		return runReport(args[1:], stdout, stderr)
	case "cpu":
		return runCPU(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func runNames(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("names", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsPath := fs.String("dataset", "", "FILE.json written by gen")
	n := fs.Int("n", 1000, "how many requests")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ds, err := readDataset(*dsPath)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, 0))
	reqs := make([]map[string]string, *n)
	for i := range reqs {
		reqs[i] = map[string]string{"name": annotationName(r.IntN(ds.Articles), r.IntN(ds.PerArticle))}
	}
	b, err := json.Marshal(reqs)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "database file (no server may have it open)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return errors.New("usage: factcheck-bench check --db FILE")
	}
	if _, err := os.Stat(*db); err != nil {
		return err
	}
	st, err := boltstore.Open(*db, boltstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s: bbolt consistency and indexes ok\n", *db)
	return err
}

func runWait(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "server address (loopback)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	h := healthpb.NewHealthClient(conn)
	for {
		resp, err := h.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not serving after %v: %v", *addr, *timeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
