package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/factcheck/factcheck/server"
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
			"-d", "5s", "--n", "60", "--warmup", "0s", "--dataset", db + ".json", "--json", "--fail-on-error", "--setup-articles", "2"}
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
