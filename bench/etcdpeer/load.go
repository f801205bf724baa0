//go:build ignore

// This file is not part of the factcheck module: bench/run.sh copies it into
// a scratch module beside an etcd server built from the Go module proxy
// (nothing of etcd is committed), builds it there, and uses it to run the
// same closed-loop load against a single-node etcd that factcheck-bench load
// runs against factcheckd. It prints one JSON object in the shape
// factcheck-bench load --json prints, so the report reads both alike.
//
//	etcd-load --addr 127.0.0.1:PORT --op put|get|range -c C --conns K -d 5s [--value 920] [--keys 10000] [--limit 50]
//
// put overwrites a random key of --keys with --value random bytes (etcd
// fsyncs its WAL before answering, as factcheckd fsyncs bbolt); get reads a
// random key, linearizable (the default), as a single-node server reading
// its own committed state is; range reads --limit keys from a random point.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/status"
)

type result struct {
	Mode       string           `json:"mode"`
	Addr       string           `json:"addr"`
	C          int              `json:"c"`
	Conns      int              `json:"conns"`
	Seconds    float64          `json:"seconds"`
	Ops        int64            `json:"ops"`
	RPS        float64          `json:"rps"`
	P50        float64          `json:"p50_us"`
	P90        float64          `json:"p90_us"`
	P99        float64          `json:"p99_us"`
	Max        float64          `json:"max_us"`
	Errors     map[string]int64 `json:"errors"`
	ErrorTotal int64            `json:"error_total"`
	FirstError string           `json:"first_error,omitempty"`
	ValueBytes int              `json:"value_bytes"`
	Keys       int              `json:"keys"`
}

func main() {
	addr := flag.String("addr", "", "etcd client address (loopback only)")
	op := flag.String("op", "get", "put, get, range or fill")
	c := flag.Int("c", 16, "workers")
	conns := flag.Int("conns", 4, "clients (connections)")
	d := flag.Duration("d", 5*time.Second, "measured duration")
	warm := flag.Duration("warmup", time.Second, "warm-up")
	value := flag.Int("value", 920, "value bytes")
	keys := flag.Int("keys", 10000, "key space")
	limit := flag.Int64("limit", 50, "range: keys per call")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintln(os.Stderr, "etcd-load: --addr must be a loopback address")
		os.Exit(2)
	}
	*conns = max(1, min(*conns, *c))
	var clients []*clientv3.Client
	for range *conns {
		cl, err := clientv3.New(clientv3.Config{Endpoints: []string{*addr}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			fmt.Fprintln(os.Stderr, "etcd-load:", err)
			os.Exit(1)
		}
		defer cl.Close()
		clients = append(clients, cl)
	}
	key := func(i int) string { return fmt.Sprintf("annotations/k%015d", i) }
	val := make([]byte, *value)
	for i := range val {
		val[i] = byte(rand.Uint32())
	}
	ctx := context.Background()
	if *op == "fill" {
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Go(func() {
				for i := w; i < *keys; i += 16 {
					if _, err := clients[w%len(clients)].Put(ctx, key(i), string(val)); err != nil {
						fmt.Fprintln(os.Stderr, "etcd-load: fill:", err)
						os.Exit(1)
					}
				}
			})
		}
		wg.Wait()
		return
	}
	call := func(cl *clientv3.Client, r *rand.Rand) error {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		switch *op {
		case "put":
			_, err := cl.Put(cctx, key(r.IntN(*keys)), string(val))
			return err
		case "get":
			resp, err := cl.Get(cctx, key(r.IntN(*keys)))
			if err == nil && len(resp.Kvs) != 1 {
				return fmt.Errorf("get: %d keys", len(resp.Kvs))
			}
			return err
		case "range":
			start := r.IntN(max(1, *keys-int(*limit)))
			resp, err := cl.Get(cctx, key(start), clientv3.WithRange("annotations/l"), clientv3.WithLimit(*limit))
			if err == nil && int64(len(resp.Kvs)) != *limit {
				return fmt.Errorf("range: %d keys", len(resp.Kvs))
			}
			return err
		}
		return fmt.Errorf("unknown op %q", *op)
	}
	measureStart := time.Now().Add(*warm)
	end := measureStart.Add(*d)
	lat := make([][]int64, *c)
	errs := make([]map[string]int64, *c)
	first := make([]error, *c)
	var wg sync.WaitGroup
	for w := range *c {
		errs[w] = map[string]int64{}
		wg.Go(func() {
			r := rand.New(rand.NewPCG(rand.Uint64(), uint64(w)))
			cl := clients[w%len(clients)]
			for {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				err := call(cl, r)
				t1 := time.Now()
				if t0.Before(measureStart) {
					continue
				}
				if t1.After(end) {
					return
				}
				if err != nil {
					errs[w][status.Code(err).String()]++
					if first[w] == nil {
						first[w] = err
					}
					continue
				}
				lat[w] = append(lat[w], int64(t1.Sub(t0)))
			}
		})
	}
	wg.Wait()
	res := result{Mode: "etcd " + *op, Addr: *addr, C: *c, Conns: *conns, Seconds: d.Seconds(), Errors: map[string]int64{},
		ValueBytes: *value, Keys: *keys}
	var all []int64
	for w := range *c {
		all = append(all, lat[w]...)
		for k, v := range errs[w] {
			res.Errors[k] += v
			res.ErrorTotal += v
		}
		if res.FirstError == "" && first[w] != nil {
			res.FirstError = first[w].Error()
		}
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(math.Ceil(p/100*float64(len(all)))) - 1
		return math.Round(float64(all[max(0, min(i, len(all)-1))])/100) / 10
	}
	res.Ops = int64(len(all)) + res.ErrorTotal
	res.RPS = math.Round(float64(len(all)) / d.Seconds())
	res.P50, res.P90, res.P99, res.Max = pct(50), pct(90), pct(99), pct(100)
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
}
