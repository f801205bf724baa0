package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:50051", "127.1.2.3:1", "[::1]:9000", "localhost:80"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("checkLoopback(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "10.0.0.1:50051", "0.0.0.0:50051", "example.com:443", "[2001:db8::1]:80", "127.0.0.1", ":50051", "127.0.0.1:port"} {
		if err := checkLoopback(bad); err == nil {
			t.Errorf("checkLoopback(%q) = nil, want an error", bad)
		}
	}
}

func TestPercentile(t *testing.T) {
	s := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		p    float64
		want int64
	}{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}} {
		if got := percentile(s, tc.p); got != tc.want {
			t.Errorf("percentile(1..10, %v) = %d, want %d", tc.p, got, tc.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing should be 0")
	}
}

// TestGenAndLoad generates a small database, checks it, serves it in
// process and runs every load mode against it for a moment.
func TestGenAndLoad(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "small.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"gen", "--db", db, "--annotations", "400", "--articles", "20"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(db, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	// The load runs as an admin, as bench/run.sh's does.
	const token = "fct_bench-test-admin-token-0123456789"
	if _, err := st.BootstrapReviewer(context.Background(), &store.Reviewer{ID: "admin", Role: store.RoleAdmin},
		&store.Token{ReviewerID: "admin", SecretHash: server.HashSecret(token)}); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, server.Config{Logger: slog.New(slog.DiscardHandler)})
	go srv.Serve(lis)
	defer srv.Stop()

	for _, mode := range []string{"health", "get", "list", "create", "mixed"} {
		out.Reset()
		args := []string{"load", "--addr", lis.Addr().String(), "--mode", mode, "-c", "4", "--conns", "2",
			"-d", "5s", "--n", "60", "--warmup", "0s", "--dataset", db + ".json", "--json", "--fail-on-error", "--setup-articles", "2", "--token", token}
		if err := run(context.Background(), args, &out, io.Discard); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		var res loadResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, out.String())
		}
		if res.Ops != 60 || res.ErrorTotal != 0 || res.RPS <= 0 || res.P50 <= 0 {
			t.Errorf("%s: %+v", mode, res)
		}
	}
	// The loader's CPU per call: enough calls for /proc's 10 ms ticks to
	// see (the server runs in this process too, so each call costs both).
	out.Reset()
	if err := run(context.Background(), []string{"load", "--addr", lis.Addr().String(), "--mode", "health", "-c", "4",
		"-d", "1m", "--n", "3000", "--warmup", "0s", "--json"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var res loadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Ops != 3000 || res.LoaderCPUPerOpUS <= 0 || !strings.Contains(out.String(), `"loader_cpu_us_per_op":`) {
		t.Errorf("loader CPU per call not measured: %s", out.String())
	}
	if err := run(context.Background(), []string{"names", "--dataset", db + ".json", "-n", "3"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"rawbatch", "--db", filepath.Join(dir, "raw.db"), "-c", "4", "-n", "40", "--nosync"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "records=40 ") {
		t.Errorf("rawbatch: %s", out.String())
	}
	srv.Stop()
	if err := st.Check(); err != nil {
		t.Fatalf("after the load: %v", err)
	}
}

// TestReport feeds the report one record of every section bench/run.sh
// writes and checks that each table comes out.
func TestReport(t *testing.T) {
	load := func(rps float64) string {
		return fmt.Sprintf(`{"mode":"x","c":16,"conns":4,"seconds":5,"ops":100,"rps":%g,"p50_us":500,"p90_us":900,"p99_us":2000,"errors":{},"error_total":0,"server_cpu_us_per_op":40,"other_cores":0.1,"server_rss_max_mb":100,"server_rss_anon_max_mb":20,"server_heap_inuse_max_mb":9,"by_op":{"get":{"ops":70,"p50_us":400,"p99_us":900}},"rss_idle_mb":90,"db_mb":2000,"heap_live_mb_max":8,"heap_goal_mb_max":16,"check_ok":true}`, rps)
	}
	ghz := `{"count":100,"rps":5000,"latencyDistribution":[{"percentage":50,"latency":1000000},{"percentage":90,"latency":2000000},{"percentage":99,"latency":3000000}],"statusCodeDistribution":{"OK":99,"Unavailable":1},"errorDistribution":{"rpc error: code = Unavailable desc = error reading from server: read tcp: use of closed network connection":1}}`
	raw := `{"mode":"batch","c":64,"records":1000,"seconds":1,"records_per_sec":4000,"commits":16,"records_per_commit":62.5,"value_bytes":920,"index_keys":12,"p50_us":9000,"p99_us":20000}`
	lines := []string{
		`{"section":"gen","tool":"go","mode":"gen","variant":"new","c":0,"conns":0,"size":10000,"rep":0,"data":{"annotations":10000,"articles":500,"per_article":20,"sources":50,"bytes":34000000,"seconds":1.5}}`,
		`{"section":"reads","tool":"go","mode":"health","c":16,"conns":4,"size":100000,"rep":1,"data":` + load(20000) + `}`,
		`{"section":"reads","tool":"go","mode":"get","c":16,"conns":4,"size":100000,"rep":1,"data":` + load(15000) + `}`,
		`{"section":"reads","tool":"ghz","mode":"health","c":16,"conns":4,"size":100000,"rep":1,"data":` + ghz + `}`,
		`{"section":"logcost","tool":"go","mode":"get","variant":"log-warn","c":16,"conns":4,"size":100000,"rep":1,"data":` + load(16000) + `}`,
		`{"section":"scale","tool":"go","mode":"get","c":1,"conns":1,"size":10000,"rep":1,"data":` + load(3000) + `}`,
		`{"section":"scale","tool":"go","mode":"get","c":1,"conns":1,"size":1000000,"rep":1,"data":` + load(2900) + `}`,
		`{"section":"memory","tool":"go","mode":"mixed","variant":"get 80% / list 20%","c":64,"conns":4,"size":1000000,"rep":1,"data":` + load(9000) + `}`,
		`{"section":"create","tool":"go","mode":"create","c":64,"conns":4,"size":10000,"rep":1,"data":` + load(800) + `}`,
		`{"section":"create","tool":"raw","mode":"rawbatch","variant":"batch-default","c":64,"conns":0,"size":0,"rep":1,"data":` + raw + `}`,
		`{"section":"import","tool":"gotest","mode":"import","c":0,"conns":0,"size":100000,"rep":1,"data":{"ns/op":1e10,"records/s":20000,"raw-records/s":50000,"ratio":0.4,"records/chunk":700}}`,
		`{"section":"soak","tool":"go","mode":"mixed","variant":"get 70% / list 20% / create 10%","c":64,"conns":4,"size":100000,"rep":1,"data":` + load(3000) + `}`,
		`{"section":"crash","tool":"test","mode":"crash","c":0,"conns":0,"size":0,"rep":1,"data":{"rounds":20,"passed":true,"seconds":40}}`,
		`{"section":"etcd","tool":"go","mode":"get","variant":"v3.6.16","c":16,"conns":4,"size":10000,"rep":1,"data":` + load(11000) + `}`,
	}
	out := renderReport(t, lines)
	for _, want := range []string{
		"### Unary reads on 100,000 annotations", "| GetAnnotation | 16 | 4 | 15,000 |", "0.75×", "(Go load generator): c=16: 0.75× (met)",
		"| Health/Check (no-op baseline) | 16 | 4 | 5,000 |", "| 0 | 1 |",
		"### What the per-call log line costs", "### Scale", "| 1,000,000 | 2,900 |", "### Memory under load", "| 9 |",
		"### Durable writes", "0.20×", "### Import", "**not met**", "### Soak", "| pass |", "### Crash safety", "### Generated databases",
		"### Peer: a single-node etcd", "| 1.36× |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
