package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readRun is one reads run as bench/run.sh records it. A negative CPU
// figure leaves its key out, as in a results file from before the key.
type readRun struct {
	tool, mode     string
	c, rep         int
	rps            float64
	client, server float64
}

func (r readRun) line() string {
	var data string
	switch r.tool {
	case "go":
		data = fmt.Sprintf(`{"mode":%q,"c":%d,"conns":4,"seconds":5,"ops":1000,"rps":%g,"p50_us":500,"p90_us":900,"p99_us":2000,"errors":{},"error_total":0,"loader_cores":0.9,"other_cores":0.1`, r.mode, r.c, r.rps)
		if r.client >= 0 {
			data += fmt.Sprintf(`,"loader_cpu_us_per_op":%g`, r.client)
		}
	case "ghz":
		data = fmt.Sprintf(`{"count":1000,"rps":%g,"latencyDistribution":[{"percentage":50,"latency":1000000},{"percentage":90,"latency":2000000},{"percentage":99,"latency":3000000}],"statusCodeDistribution":{"OK":1000},"errorDistribution":{}`, r.rps)
		if r.client >= 0 {
			data += fmt.Sprintf(`,"client_cpu_us_per_op":%g,"cpu_run":{"client_cpu_us":%g}`, r.client, r.client*1000)
		}
	}
	if r.server >= 0 {
		data += fmt.Sprintf(`,"server_cpu_us_per_op":%g`, r.server)
	}
	return fmt.Sprintf(`{"section":"reads","tool":%q,"mode":%q,"variant":"","c":%d,"conns":4,"size":100000,"rep":%d,"data":%s}}`,
		r.tool, r.mode, r.c, r.rep, data)
}

// TestReportClientCPU checks the CPU columns of the reads tables and the
// ceiling the load generators' own CPU puts on the Get÷Health ratio, on
// the figures measured on the 2-vCPU benchmark machine, and that results
// from before those figures were recorded still render without them.
func TestReportClientCPU(t *testing.T) {
	const (
		goCeiling  = "- Highest Get÷Health ratio this client allows at c=16, even with a Get that cost the server no more than a health check: 0.71 (measured ratio 0.53; server CPU per call Get 51 µs vs Health 23 µs)"
		ghzCeiling = "- Highest Get÷Health ratio this client allows at c=16, even with a Get that cost the server no more than a health check: 0.66 (measured ratio 0.55; server CPU per call Get 60 µs vs Health 30 µs)"
	)
	for _, tc := range []struct {
		name          string
		runs          []readRun
		want, notWant []string
	}{{
		name: "measured",
		runs: []readRun{
			// (26+23)/(46+23) = 0.710; 17,800/33,600 = 0.530.
			{"go", "health", 16, 1, 33600, 26, 23}, {"go", "get", 16, 1, 17800, 46, 51},
			// (78+30)/(134+30) = 0.659; 4,400/8,000 = 0.55.
			{"ghz", "health", 16, 1, 8000, 78, 30}, {"ghz", "get", 16, 1, 4400, 134, 60},
		},
		want: []string{
			"| call | c | conns | calls/s | p50 | p90 | p99 | ratio to Health/Check | server CPU µs/call | client CPU µs/call | other load (cores) | errors |",
			"| Health/Check (no-op baseline) | 16 | 4 | 33,600 | 0.50 | 0.90 | 2.00 | 1.00× | 23 | 26 | 0.10 | 0 |",
			"| GetAnnotation | 16 | 4 | 17,800 | 0.50 | 0.90 | 2.00 | 0.53× | 51 | 46 | 0.10 | 0 |",
			"| call | c | conns | calls/s | p50 | p90 | p99 | ratio to Health/Check | server CPU µs/call | client CPU µs/call | errors | calls ghz cut off at its end |",
			"| Health/Check (no-op baseline) | 16 | 4 | 8,000 | 1.00 | 2.00 | 3.00 | 1.00× | 30 | 78 | 0 | 0 |",
			"| GetAnnotation | 16 | 4 | 4,400 | 1.00 | 2.00 | 3.00 | 0.55× | 60 | 134 | 0 | 0 |",
			// Each ceiling under its own tool's table, before the next.
			"| 0.53× | 51 | 46 | 0.10 | 0 |\n\n" + goCeiling + "\n\n**ghz",
			"| 0.55× | 60 | 134 | 0 | 0 |\n\n" + ghzCeiling + "\n",
			"Goal GetAnnotation ≥ 0.7× Health/Check throughput (Go load generator): c=16: 0.53× (**not met**).",
			"The lines under each table give that ceiling",
		},
		notWant: []string{"did not record the load generators' CPU"},
	}, {
		name: "before the CPU keys",
		runs: []readRun{
			{"go", "health", 16, 1, 33600, -1, 23}, {"go", "get", 16, 1, 17800, -1, 51},
			{"ghz", "health", 16, 1, 8000, -1, -1}, {"ghz", "get", 16, 1, 4400, -1, -1},
		},
		want: []string{
			"| Health/Check (no-op baseline) | 16 | 4 | 33,600 | 0.50 | 0.90 | 2.00 | 1.00× | 23 | — | 0.10 | 0 |",
			"| GetAnnotation | 16 | 4 | 4,400 | 1.00 | 2.00 | 3.00 | 0.55× | — | — | 0 | 0 |",
			"c=16: 0.53× (**not met**)",
			"This run did not record the load generators' CPU.",
		},
		notWant: []string{"Highest Get÷Health", "give that ceiling"},
	}, {
		name: "health without its server figure",
		runs: []readRun{
			{"go", "health", 16, 1, 33600, 26, -1}, {"go", "get", 16, 1, 17800, 46, 51},
		},
		want:    []string{"| 1.00× | — | 26 | 0.10 | 0 |"},
		notWant: []string{"Highest Get÷Health"},
	}, {
		name: "repetitions and concurrencies",
		runs: []readRun{
			// c=16 ceilings per repetition: 49/69 = 0.710, 40/60 = 0.667, 60/75 = 0.80.
			{"go", "health", 16, 1, 30000, 26, 23}, {"go", "get", 16, 1, 15000, 46, 51},
			{"go", "health", 16, 2, 30000, 20, 20}, {"go", "get", 16, 2, 18000, 40, 50},
			{"go", "health", 16, 3, 30000, 30, 30}, {"go", "get", 16, 3, 12000, 45, 52},
			// c=1: (50+50)/(150+50) = 0.5, one repetition; the others lack the loader's figure.
			{"go", "health", 1, 1, 1000, 50, 50}, {"go", "get", 1, 1, 800, 150, 60},
			{"go", "health", 1, 2, 1000, -1, 50}, {"go", "get", 1, 2, 800, 150, 60},
		},
		want: []string{
			"| GetAnnotation | 16 | 4 | **15,000** (12,000–18,000) | 0.50 | 0.90 | 2.00 | **0.50×** (0.40–0.60) | 51 | 45 | 0.10 | 0 |",
			"- Highest Get÷Health ratio this client allows at c=1, even with a Get that cost the server no more than a health check: 0.50 (measured ratio 0.80, range 0.80–0.80; server CPU per call Get 60 µs vs Health 50 µs)\n" +
				"- Highest Get÷Health ratio this client allows at c=16, even with a Get that cost the server no more than a health check: 0.71 (range 0.67–0.80 over 3 repetitions; measured ratio 0.50, range 0.40–0.60; server CPU per call Get 51 µs vs Health 23 µs)\n",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			for _, r := range tc.runs {
				lines = append(lines, r.line())
			}
			out := renderReport(t, lines)
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("report lacks %q:\n%s", want, out)
				}
			}
			for _, bad := range tc.notWant {
				if strings.Contains(out, bad) {
					t.Errorf("report has %q:\n%s", bad, out)
				}
			}
		})
	}
}

// TestReportImportGoal: the import goal is judged against raw puts of the
// same bytes the import wrote; a results file from before that baseline
// was measured is judged against the input records'.
func TestReportImportGoal(t *testing.T) {
	line := func(rep int, ratio, ratioAll float64) string {
		all := ""
		if ratioAll >= 0 {
			all = fmt.Sprintf(`,"ratio-all":%g,"rawall-records/s":%g`, ratioAll, 40000/ratioAll)
		}
		return fmt.Sprintf(`{"section":"import","tool":"gotest","mode":"import","variant":"","c":0,"conns":0,"size":100000,"rep":%d,"data":{"ratio":%g,"raw-records/s":%g,"records/chunk":1000,"records/s":40000%s}}`,
			rep, ratio, 40000/ratio, all)
	}
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"same bytes, met", []string{line(1, 0.07, 0.45), line(2, 0.08, 0.52), line(3, 0.09, 0.6)},
			"Goal import ≥ 0.5× raw chunked puts of the same bytes: 0.52× (met). Against puts of the input records alone, which leave out the indexes, history and logs every import must write, 0.08×."},
		{"same bytes, not met", []string{line(1, 0.07, 0.45), line(2, 0.08, 0.49), line(3, 0.09, 0.6)},
			"Goal import ≥ 0.5× raw chunked puts of the same bytes: 0.49× (**not met**)."},
		{"older file", []string{line(1, 0.07, -1), line(2, 0.08, -1), line(3, 0.09, -1)},
			"Goal import ≥ 0.5× raw chunked puts of the encoded records: 0.08× (**not met**).\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out := renderReport(t, tc.lines); !strings.Contains(out, tc.want) {
				t.Errorf("report lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// renderReport runs `factcheck-bench report` on the given results lines.
func renderReport(t *testing.T, lines []string) string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "results.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"report", "--in", in}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
