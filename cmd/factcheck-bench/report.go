package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// report turns the JSON lines bench/run.sh collects into the markdown
// tables of BENCHMARKS.md: medians over the repetitions, with the range,
// and ratios computed within each repetition (a baseline measured in the
// same run, next to the thing it is compared with) before taking their
// median.

// record is one line of the results file: one run of one tool.
type record struct {
	Section string          `json:"section"`
	Tool    string          `json:"tool"`
	Mode    string          `json:"mode"`
	Variant string          `json:"variant"`
	C       int             `json:"c"`
	Conns   int             `json:"conns"`
	Size    int             `json:"size"`
	Rep     int             `json:"rep"`
	Data    json.RawMessage `json:"data"`

	// Parsed from Data.
	rps, p50, p90, p99, cpu float64 // latencies in µs
	other                   float64 // cores used by other processes during the run
	errs                    int64
	cutoff                  int64 // ghz: calls it cut off itself when its run ended
	load                    *loadResult
	raw                     *rawResult
	extra                   map[string]any

	// clientCPU is the load generator's own CPU time per call, in µs. The
	// has* flags tell a measured figure from one an older run never
	// recorded (cpu is the server's, per call).
	clientCPU            float64
	hasCPU, hasClientCPU bool
}

// ghzReport is the part of ghz's --format json output the report reads.
type ghzReport struct {
	Count    int64            `json:"count"`
	RPS      float64          `json:"rps"`
	Errors   map[string]int64 `json:"errorDistribution"`
	Statuses map[string]int64 `json:"statusCodeDistribution"`
	Lat      []struct {
		Percentage int     `json:"percentage"`
		Latency    float64 `json:"latency"` // ns
	} `json:"latencyDistribution"`
}

func parseRecord(line []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(line, &r); err != nil {
		return nil, err
	}
	_ = json.Unmarshal(r.Data, &r.extra)
	switch r.Tool {
	case "go":
		var l loadResult
		if err := json.Unmarshal(r.Data, &l); err != nil {
			return nil, err
		}
		r.load = &l
		r.rps, r.p50, r.p90, r.p99, r.cpu, r.errs = l.RPS, l.P50, l.P90, l.P99, l.ServerCPUPerOpUS, l.ErrorTotal
		r.other = l.OtherCores
	case "ghz":
		var g ghzReport
		if err := json.Unmarshal(r.Data, &g); err != nil {
			return nil, err
		}
		r.rps = g.RPS
		for _, l := range g.Lat {
			switch l.Percentage {
			case 50:
				r.p50 = l.Latency / 1e3
			case 90:
				r.p90 = l.Latency / 1e3
			case 99:
				r.p99 = l.Latency / 1e3
			}
		}
		// ghz closes its connections at the end of a -z run with calls in
		// flight and counts those as Unavailable ("use of closed network
		// connection", on its own side); every other error counts.
		for msg, v := range g.Errors {
			if strings.Contains(msg, "use of closed network connection") {
				r.cutoff += v
			} else {
				r.errs += v
			}
		}
	case "raw":
		var rr rawResult
		if err := json.Unmarshal(r.Data, &rr); err != nil {
			return nil, err
		}
		r.raw = &rr
		r.rps, r.p50, r.p90, r.p99 = rr.RecordsPerSec, rr.P50, rr.P90, rr.P99
	}
	switch r.Tool {
	case "go":
		_, r.hasCPU = num(r.extra, "server_cpu_us_per_op")
		r.clientCPU, r.hasClientCPU = num(r.extra, "loader_cpu_us_per_op")
	case "ghz": // added to ghz's own JSON by bench/run.sh, from factcheck-bench cpu
		r.cpu, r.hasCPU = num(r.extra, "server_cpu_us_per_op")
		r.clientCPU, r.hasClientCPU = num(r.extra, "client_cpu_us_per_op")
	}
	return &r, nil
}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "results file (JSON lines written by bench/run.sh)")
	header := fs.String("header", "", "markdown file to print first (the machine and the run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("usage: factcheck-bench report --in results.jsonl [--header machine.md]")
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	var recs []*record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		r, err := parseRecord(sc.Bytes())
		if err != nil {
			return fmt.Errorf("%s:%d: %w", *in, n, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	w := &mdWriter{w: stdout}
	if *header != "" {
		b, err := os.ReadFile(*header)
		if err != nil {
			return err
		}
		w.printf("%s\n", strings.TrimRight(string(b), "\n"))
	}
	writeReport(w, recs)
	return w.err
}

type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// stat is the median of a set of measurements with their range.
type stat struct {
	med, lo, hi float64
	n           int
}

func statOf(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{med: med, lo: s[0], hi: s[len(s)-1], n: len(s)}
}

func (s stat) rate() string {
	if s.n == 0 {
		return "—"
	}
	if s.n == 1 {
		return commas(s.med)
	}
	return fmt.Sprintf("**%s** (%s–%s)", commas(s.med), commas(s.lo), commas(s.hi))
}

func (s stat) ms() string {
	if s.n == 0 {
		return "—"
	}
	return msStr(s.med)
}

// us is a median CPU time in µs, or a dash when no run measured it.
func (s stat) us() string {
	if s.n == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", s.med)
}

func (s stat) ratio() string {
	if s.n == 0 {
		return "—"
	}
	if s.n == 1 {
		return fmt.Sprintf("%.2f×", s.med)
	}
	return fmt.Sprintf("**%.2f×** (%.2f–%.2f)", s.med, s.lo, s.hi)
}

func msStr(us float64) string {
	ms := us / 1000
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.0f", ms)
}

func commas(v float64) string {
	n := int64(math.Round(v))
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func filter(recs []*record, keep func(*record) bool) []*record {
	var out []*record
	for _, r := range recs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func field(rs []*record, f func(*record) float64) stat {
	var xs []float64
	for _, r := range rs {
		xs = append(xs, f(r))
	}
	return statOf(xs)
}

func sortedUnique[T int | string](rs []*record, f func(*record) T) []T {
	var out []T
	for _, r := range rs {
		if !slices.Contains(out, f(r)) {
			out = append(out, f(r))
		}
	}
	slices.Sort(out)
	return out
}

// ratios pairs each record of rs with the baseline of the same repetition
// (found by base) and returns the median of rs.rps / base.rps.
func ratios(rs []*record, base func(*record) *record, f func(r, b *record) float64) stat {
	var xs []float64
	for _, r := range rs {
		if b := base(r); b != nil && f(r, b) > 0 && !math.IsInf(f(r, b), 0) {
			xs = append(xs, f(r, b))
		}
	}
	return statOf(xs)
}

// measured is the stat of f over the records that have the figure, so an
// older run that lacks it shows as unmeasured rather than as zero.
func measured(rs []*record, f func(*record) (float64, bool)) stat {
	var xs []float64
	for _, r := range rs {
		if v, ok := f(r); ok {
			xs = append(xs, v)
		}
	}
	return statOf(xs)
}

func serverCPU(r *record) (float64, bool) { return r.cpu, r.hasCPU }
func clientCPU(r *record) (float64, bool) { return r.clientCPU, r.hasClientCPU }

// clientCeiling is, per repetition at concurrency c, the highest
// Get÷Health throughput ratio that the load generator's own CPU leaves
// possible on cores it shares with the server: were a Get to cost the
// server no more than a health check, a Get would still cost
// client_get + server_health against client_health + server_health for a
// health check. rs holds one tool's runs.
func clientCeiling(rs []*record, c int) stat {
	var xs []float64
	for _, g := range filter(rs, func(r *record) bool { return r.C == c && r.Mode == "get" }) {
		h := find(rs, func(b *record) bool { return b.C == c && b.Rep == g.Rep && b.Mode == "health" })
		if h == nil || !g.hasClientCPU || !h.hasClientCPU || !h.hasCPU {
			continue
		}
		if d := g.clientCPU + h.cpu; d > 0 {
			xs = append(xs, (h.clientCPU+h.cpu)/d)
		}
	}
	return statOf(xs)
}

func find(recs []*record, keep func(*record) bool) *record {
	for _, r := range recs {
		if keep(r) {
			return r
		}
	}
	return nil
}

func errsOf(rs []*record) int64 {
	var n int64
	for _, r := range rs {
		n += r.errs
	}
	return n
}

func num(m map[string]any, k string) (float64, bool) {
	v, ok := m[k].(float64)
	return v, ok
}

var modeTitle = map[string]string{
	"health": "Health/Check (no-op baseline)",
	"get":    "GetAnnotation",
	"list":   "ListAnnotations (page 50, `verdict.rating = RATING_FALSE`)",
	"create": "CreateAnnotation",
	"mixed":  "mixed",
}

func writeReport(w *mdWriter, recs []*record) {
	reads := filter(recs, func(r *record) bool { return r.Section == "reads" })
	if len(reads) > 0 {
		size := reads[0].Size
		w.printf("\n### Unary reads on %s annotations, against Health/Check on the same server\n\n", commas(float64(size)))
		w.printf("Medians over %s (min–max in brackets); a ratio is taken against the Health/Check run of the same repetition, tool and concurrency, then the median of those is shown. Latencies in ms.\n", plural(len(sortedUnique(reads, func(r *record) int { return r.Rep })), "repetition"))
		w.printf("\nServer CPU is factcheckd's user + system time per call (from /proc); client CPU is the load generator's own: the Go generator's over its measured window, ghz's over its whole measured process (its start-up and reflection included).")
		if find(reads, func(r *record) bool { return r.hasClientCPU }) != nil {
			w.printf(" Both run on the same cores, so once those are busy a call costs the sum, and the Get÷Health ratio cannot exceed (client CPU per Health + server CPU per Health) ÷ (client CPU per Get + server CPU per Health) even if a Get cost the server no more than a health check. The lines under each table give that ceiling, per repetition then the median. It assumes the cores are the bottleneck and equally free in both runs (other load near 0), as with many calls in flight (c=16, 64); at c=1 calls also wait on wake-ups that cost neither process, which leaves more room than it shows.")
		} else {
			w.printf(" This run did not record the load generators' CPU.")
		}
		w.printf("\n")
		for _, tool := range []string{"go", "ghz"} {
			rs := filter(reads, func(r *record) bool { return r.Tool == tool })
			if len(rs) == 0 {
				continue
			}
			if tool == "go" {
				w.printf("\n**factcheck-bench load** (closed loop, Go):\n\n| call | c | conns | calls/s | p50 | p90 | p99 | ratio to Health/Check | server CPU µs/call | client CPU µs/call | other load (cores) | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
			} else {
				w.printf("\n**ghz v0.120.0** (limits itself on 2 cores: compare ratios, not absolute rates):\n\n| call | c | conns | calls/s | p50 | p90 | p99 | ratio to Health/Check | server CPU µs/call | client CPU µs/call | errors | calls ghz cut off at its end |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
			}
			for _, c := range sortedUnique(rs, func(r *record) int { return r.C }) {
				for _, mode := range []string{"health", "get", "list"} {
					g := filter(rs, func(r *record) bool { return r.C == c && r.Mode == mode })
					if len(g) == 0 {
						continue
					}
					ratio := ratios(g, func(r *record) *record {
						return find(rs, func(b *record) bool { return b.C == r.C && b.Rep == r.Rep && b.Mode == "health" })
					}, func(r, b *record) float64 { return r.rps / b.rps })
					line := fmt.Sprintf("| %s | %d | %d | %s | %s | %s | %s | %s |", modeTitle[mode], c, g[0].Conns,
						field(g, func(r *record) float64 { return r.rps }).rate(),
						field(g, func(r *record) float64 { return r.p50 }).ms(),
						field(g, func(r *record) float64 { return r.p90 }).ms(),
						field(g, func(r *record) float64 { return r.p99 }).ms(), ratio.ratio())
					line += fmt.Sprintf(" %s | %s |", measured(g, serverCPU).us(), measured(g, clientCPU).us())
					if tool == "go" {
						line += fmt.Sprintf(" %.2f |", field(g, func(r *record) float64 { return r.other }).med)
					}
					line += fmt.Sprintf(" %d |", errsOf(g))
					if tool == "ghz" {
						var cut int64
						for _, r := range g {
							cut += r.cutoff
						}
						line += fmt.Sprintf(" %d |", cut)
					}
					w.printf("%s\n", line)
				}
			}
			var ceilings []string
			for _, c := range sortedUnique(rs, func(r *record) int { return r.C }) {
				ceil := clientCeiling(rs, c)
				if ceil.n == 0 {
					continue
				}
				get := filter(rs, func(r *record) bool { return r.C == c && r.Mode == "get" })
				health := filter(rs, func(r *record) bool { return r.C == c && r.Mode == "health" })
				ratio := ratios(get, func(r *record) *record {
					return find(health, func(b *record) bool { return b.Rep == r.Rep })
				}, func(r, b *record) float64 { return r.rps / b.rps })
				var notes []string
				if ceil.n > 1 {
					notes = append(notes, fmt.Sprintf("range %.2f–%.2f over %s", ceil.lo, ceil.hi, plural(ceil.n, "repetition")))
				}
				switch {
				case ratio.n == 0:
					notes = append(notes, "measured ratio —")
				case ratio.n == 1:
					notes = append(notes, fmt.Sprintf("measured ratio %.2f", ratio.med))
				default:
					notes = append(notes, fmt.Sprintf("measured ratio %.2f, range %.2f–%.2f", ratio.med, ratio.lo, ratio.hi))
				}
				notes = append(notes, fmt.Sprintf("server CPU per call Get %s µs vs Health %s µs", measured(get, serverCPU).us(), measured(health, serverCPU).us()))
				ceilings = append(ceilings, fmt.Sprintf("- Highest Get÷Health ratio this client allows at c=%d, even with a Get that cost the server no more than a health check: %.2f (%s)",
					c, ceil.med, strings.Join(notes, "; ")))
			}
			if len(ceilings) > 0 {
				w.printf("\n%s\n", strings.Join(ceilings, "\n"))
			}
		}
		var verdicts []string
		for _, c := range sortedUnique(reads, func(r *record) int { return r.C }) {
			g := filter(reads, func(r *record) bool { return r.Tool == "go" && r.C == c && r.Mode == "get" })
			ratio := ratios(g, func(r *record) *record {
				return find(reads, func(b *record) bool { return b.Tool == "go" && b.C == r.C && b.Rep == r.Rep && b.Mode == "health" })
			}, func(r, b *record) float64 { return r.rps / b.rps })
			if ratio.n > 0 {
				verdict := "met"
				if ratio.med < 0.7 {
					verdict = "**not met**"
				}
				verdicts = append(verdicts, fmt.Sprintf("c=%d: %.2f× (%s)", c, ratio.med, verdict))
			}
		}
		if len(verdicts) > 0 {
			w.printf("\nGoal GetAnnotation ≥ 0.7× Health/Check throughput (Go load generator): %s.\n", strings.Join(verdicts, "; "))
		}
	}

	if lc := filter(recs, func(r *record) bool { return r.Section == "logcost" }); len(lc) > 0 {
		w.printf("\n### What the per-call log line costs\n\nThe same server and database restarted with `--log-level warn` (no line per call), c=%d, Go load generator:\n\n| call | calls/s | p50 | p99 | ratio to Health/Check | server CPU µs/call |\n|---|---|---|---|---|---|\n", lc[0].C)
		for _, mode := range []string{"health", "get", "list"} {
			g := filter(lc, func(r *record) bool { return r.Mode == mode })
			if len(g) == 0 {
				continue
			}
			ratio := ratios(g, func(r *record) *record {
				return find(lc, func(b *record) bool { return b.Rep == r.Rep && b.Mode == "health" })
			}, func(r, b *record) float64 { return r.rps / b.rps })
			w.printf("| %s | %s | %s | %s | %s | %.0f |\n", modeTitle[mode], field(g, func(r *record) float64 { return r.rps }).rate(),
				field(g, func(r *record) float64 { return r.p50 }).ms(), field(g, func(r *record) float64 { return r.p99 }).ms(),
				ratio.ratio(), field(g, func(r *record) float64 { return r.cpu }).med)
		}
	}

	if sc := filter(recs, func(r *record) bool { return r.Section == "scale" }); len(sc) > 0 {
		sizes := sortedUnique(sc, func(r *record) int { return r.Size })
		w.printf("\n### Scale: the same calls on databases of %s annotations\n\n", joinSizes(sizes))
		w.printf("Go load generator, warm page cache. The ratio columns divide the median latency at this size by the median at %s.\n\n", commas(float64(sizes[0])))
		w.printf("| call | c | annotations | calls/s | p50 | p99 | p50 ÷ smallest | p99 ÷ smallest | other load (cores) | errors |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, mode := range []string{"get", "list"} {
			for _, c := range sortedUnique(sc, func(r *record) int { return r.C }) {
				var base stat
				var base99 stat
				for i, size := range sizes {
					g := filter(sc, func(r *record) bool { return r.Mode == mode && r.C == c && r.Size == size })
					if len(g) == 0 {
						continue
					}
					p50 := field(g, func(r *record) float64 { return r.p50 })
					p99 := field(g, func(r *record) float64 { return r.p99 })
					if i == 0 {
						base, base99 = p50, p99
					}
					w.printf("| %s | %d | %s | %s | %s | %s | %.2f× | %.2f× | %.2f | %d |\n", modeTitle[mode], c, commas(float64(size)),
						field(g, func(r *record) float64 { return r.rps }).rate(), p50.ms(), p99.ms(),
						p50.med/base.med, p99.med/base99.med, field(g, func(r *record) float64 { return r.other }).med, errsOf(g))
				}
			}
		}
	}

	if mem := filter(recs, func(r *record) bool { return r.Section == "memory" }); len(mem) > 0 {
		w.printf("\n### Memory under load\n\n")
		w.printf("RSS counts the pages of the memory-mapped database the process has touched (bbolt reads through its map, and opening a file without a synced freelist walks it), so it follows the file; those pages are the kernel's page cache, shared and reclaimable. The anonymous part is the process's own memory. The Go heap is read from the server itself: the live heap after each GC cycle from its GC trace, and the heap in use from its /metrics endpoint, sampled every 250 ms.\n\n")
		w.printf("All figures in MiB.\n\n| annotations | database file | load | RSS idle | RSS max under load | anonymous RSS max | Go heap live after GC (max) | heap goal (max) | Go heap in use (max, /metrics) |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range mem {
			dbMB, ok := num(r.extra, "db_mib")
			if !ok { // older runs recorded 10^6-byte megabytes
				dbMB, _ = num(r.extra, "db_mb")
				dbMB = dbMB * 1e6 / (1 << 20)
			}
			idle, _ := num(r.extra, "rss_idle_mb")
			live, okLive := num(r.extra, "heap_live_mb_max")
			goal, _ := num(r.extra, "heap_goal_mb_max")
			heap, goalS, inuse := "not measured", "—", "not measured"
			if okLive {
				heap, goalS = fmt.Sprintf("%.0f", live), fmt.Sprintf("%.0f", goal)
			}
			if r.load.ServerHeapInuseMaxMB > 0 {
				inuse = fmt.Sprintf("%.0f", r.load.ServerHeapInuseMaxMB)
			}
			w.printf("| %s | %s | %s c=%d, %s calls/s | %s | %s | %s | %s | %s | %s |\n", commas(float64(r.Size)), commas(dbMB),
				r.Variant, r.C, commas(r.rps), commas(idle), commas(r.load.ServerRSSMaxMB), commas(r.load.ServerAnonMaxMB), heap, goalS, inuse)
		}
	}

	cr := filter(recs, func(r *record) bool { return r.Section == "create" })
	if len(cr) > 0 {
		w.printf("\n### Durable writes: CreateAnnotation against raw bbolt\n\n")
		w.printf("Every row fsyncs before it answers. Raw rows write the same bytes per record (value of a typical annotation, plus its index keys) straight into a new bbolt file from as many goroutines, with no gRPC, validation or encoding. Ratios per repetition, then the median.\n\n")
		w.printf("| writer | c | records/s | p50 | p99 | records per commit | CreateAnnotation ÷ this |\n|---|---|---|---|---|---|---|\n")
		creates := filter(cr, func(r *record) bool { return r.Tool == "go" })
		w.printf("| CreateAnnotation over gRPC (factcheckd at the measured commit) | %d | %s | %s | %s | not visible from outside | — |\n",
			creates[0].C, field(creates, func(r *record) float64 { return r.rps }).rate(),
			field(creates, func(r *record) float64 { return r.p50 }).ms(), field(creates, func(r *record) float64 { return r.p99 }).ms())
		for _, v := range []struct{ variant, title string }{
			{"batch-default", "raw bbolt `db.Batch`, defaults (MaxBatchSize 1000, MaxBatchDelay 10 ms)"},
			{"batch-max64", "raw bbolt `db.Batch`, MaxBatchSize 64"},
			{"update", "raw bbolt, one `db.Update` per record"},
		} {
			g := filter(cr, func(r *record) bool { return r.Tool == "raw" && r.Variant == v.variant })
			if len(g) == 0 {
				continue
			}
			ratio := ratios(g, func(r *record) *record {
				return find(creates, func(b *record) bool { return b.Rep == r.Rep })
			}, func(r, b *record) float64 { return b.rps / r.rps })
			w.printf("| %s | %d | %s | %s | %s | %.1f | %s |\n", v.title, g[0].C, field(g, func(r *record) float64 { return r.rps }).rate(),
				field(g, func(r *record) float64 { return r.p50 }).ms(), field(g, func(r *record) float64 { return r.p99 }).ms(),
				field(g, func(r *record) float64 { return r.raw.RecordsPerTx }).med, ratio.ratio())
		}
		if g := filter(cr, func(r *record) bool { return r.Tool == "raw" }); len(g) > 0 {
			w.printf("\nRaw records: %d-byte values and %d index keys each.", g[0].raw.ValueBytes, g[0].raw.IndexKeys)
		}
		w.printf(" CreateAnnotation: server CPU %.0f µs per call (user + system, so it includes the kernel's share of the fsyncs); other load %.2f cores; errors %d.\n",
			field(creates, func(r *record) float64 { return r.cpu }).med, field(creates, func(r *record) float64 { return r.other }).med, errsOf(creates))
	}

	if imp := filter(recs, func(r *record) bool { return r.Section == "import" }); len(imp) > 0 {
		get := func(k string) func(*record) float64 {
			return func(r *record) float64 { v, _ := num(r.extra, k); return v }
		}
		ratio := field(imp, get("ratio"))
		w.printf("\n### Import: 100,000 annotations through BulkService.Import against raw chunked bbolt puts\n\n")
		w.printf("`go test ./server -run '^$' -bench '^BenchmarkImport$' -benchtime 1x -count %d` (server/bulk_bench_test.go): a real Import stream over loopback to factcheckd, in its own process, into a durable file; in the same run, raw bbolt puts of the same encoded records in chunks of 1,000, and of every key and value the import left in its file in as many transactions as it committed; the ratios are taken per run.\n\n", len(imp))
		opt := func(k string) string {
			if _, ok := num(imp[0].extra, k); !ok {
				return "—"
			}
			return commas(field(imp, get(k)).med)
		}
		cpu := "—"
		if _, ok := num(imp[0].extra, "cpu-µs/record"); ok {
			cpu = fmt.Sprintf("%.0f", field(imp, get("cpu-µs/record")).med)
		}
		w.printf("| writer | records/s | import ÷ this | records per commit | bytes written per record | CPU µs per record |\n|---|---|---|---|---|---|\n")
		w.printf("| Import over gRPC (CPU: the client's process and factcheckd's) | %s | — | %.0f | %s | %s |\n",
			field(imp, get("records/s")).rate(), field(imp, get("records/chunk")).med, opt("written-B/record"), cpu)
		w.printf("| raw bbolt puts of the encoded records alone (the import's input), chunks of 1,000 | %s | %s | 1,000 | %s | %s |\n",
			field(imp, get("raw-records/s")).rate(), ratio.ratio(), opt("raw-written-B/record"), opt("raw-cpu-µs/record"))
		if _, ok := num(imp[0].extra, "ratio-all"); ok {
			w.printf("| raw bbolt puts of every key and value the import wrote (records, indexes, revisions, changes, audit entries), as many transactions: the same bytes, the goal's baseline | %s | %s | %.0f | %s | %s |\n",
				field(imp, get("rawall-records/s")).rate(), field(imp, get("ratio-all")).ratio(), field(imp, get("records/chunk")).med, opt("rawall-written-B/record"), opt("rawall-cpu-µs/record"))
		}
		// The goal compares with raw puts of the same bytes: what the import
		// has to write. Runs from before the all-bytes baseline have only
		// the input records'.
		goal, of := ratio, "the encoded records"
		if _, ok := num(imp[0].extra, "ratio-all"); ok {
			goal, of = field(imp, get("ratio-all")), "the same bytes"
		}
		verdict := "met"
		if goal.med < 0.5 {
			verdict = "**not met**"
		}
		w.printf("\nGoal import ≥ 0.5× raw chunked puts of %s: %.2f× (%s).", of, goal.med, verdict)
		if of == "the same bytes" {
			w.printf(" Against puts of the input records alone, which leave out the indexes, history and logs every import must write, %.2f×.", ratio.med)
		}
		w.printf("\n")
	}

	if soak := filter(recs, func(r *record) bool { return r.Section == "soak" }); len(soak) > 0 {
		w.printf("\n### Soak: mixed load, zero errors required\n\n| duration | c | mix | calls | calls/s | errors | get p50 / p99 | list p50 / p99 | create p50 / p99 | result |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range soak {
			by := func(op string) string {
				s, ok := r.load.ByOp[op]
				if !ok {
					return "—"
				}
				return msStr(s.P50) + " / " + msStr(s.P99)
			}
			result := "pass"
			if r.load.ErrorTotal+r.load.WarmupErrors > 0 {
				result = "**FAIL**"
			}
			if ok, has := r.extra["check_ok"].(bool); has && !ok {
				result = "**FAIL** (database check)"
			}
			w.printf("| %.0f s | %d | %s | %s | %s | %d | %s | %s | %s | %s |\n", r.load.Seconds, r.C, r.Variant, commas(float64(r.load.Ops)),
				commas(r.rps), r.load.ErrorTotal+r.load.WarmupErrors, by("get"), by("list"), by("create"), result)
		}
	}

	if crash := filter(recs, func(r *record) bool { return r.Section == "crash" }); len(crash) > 0 {
		w.printf("\n### Crash safety (SIGKILL)\n\n| kills | clients | checks | seconds | result |\n|---|---|---|---|---|\n")
		for _, r := range crash {
			rounds, _ := num(r.extra, "rounds")
			secs, _ := num(r.extra, "seconds")
			result := "pass"
			if ok, _ := r.extra["passed"].(bool); !ok {
				result = "**FAIL**"
			}
			w.printf("| %.0f | %d creating articles, sources and annotations one call at a time, 1 streaming an import (MODE_PARTIAL) | after each kill: bbolt check + indexes vs records on the file as left; every acknowledged write present and equal; nothing half-written; lists agree with gets | %.0f | %s |\n",
				rounds, crashWritersDoc, secs, result)
		}
	}

	if gen := filter(recs, func(r *record) bool { return r.Section == "gen" }); len(gen) > 0 {
		w.printf("\n### Generated databases\n\n| annotations | articles | sources | file | generation time | annotations/s |\n|---|---|---|---|---|---|\n")
		for _, r := range gen {
			var d dataset
			_ = json.Unmarshal(r.Data, &d)
			cached := ""
			if r.Variant == "cached" {
				cached = " (cached from an earlier run)"
			}
			w.printf("| %s | %s | %s | %.0f MB | %.1f s%s | %s |\n", commas(float64(d.Annotations)), commas(float64(d.Articles)),
				commas(float64(d.Sources)), float64(d.Bytes)/1e6, d.Seconds, cached, commas(float64(d.Annotations)/d.Seconds))
		}
	}

	if etcd := filter(recs, func(r *record) bool { return r.Section == "etcd" }); len(etcd) > 0 {
		w.printf("\n### Peer: a single-node etcd on the same machine, same run\n\n")
		w.printf("etcd %s built from the Go module proxy into the scratch folder, default durability (WAL fdatasync before every answer), driven by a closed-loop Go client shaped like factcheck-bench load. Values are as large as a stored annotation; factcheckd's column repeats its median from the sections above (same run, minutes apart, not interleaved).\n\n", etcd[0].Variant)
		w.printf("| etcd operation | c | conns | etcd ops/s | p50 | p99 | errors | factcheckd counterpart | factcheckd calls/s | factcheckd ÷ etcd |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, v := range []struct{ op, title, fcSection, fcMode, fcTitle string }{
			{"put", "Put (overwrite a random key of 10,000)", "create", "create", "CreateAnnotation"},
			{"get", "Get (linearizable, random key of 10,000)", "reads", "get", "GetAnnotation"},
			{"range", "Range of 50 keys", "reads", "list", "ListAnnotations, page 50"},
		} {
			for _, c := range sortedUnique(etcd, func(r *record) int { return r.C }) {
				g := filter(etcd, func(r *record) bool { return r.Mode == v.op && r.C == c })
				if len(g) == 0 {
					continue
				}
				er := field(g, func(r *record) float64 { return r.rps })
				fc := filter(recs, func(r *record) bool {
					return r.Section == v.fcSection && r.Tool == "go" && r.Mode == v.fcMode && r.C == c
				})
				fcS, ratio := "—", "—"
				if len(fc) > 0 {
					f := field(fc, func(r *record) float64 { return r.rps })
					fcS = f.rate()
					if er.med > 0 {
						ratio = fmt.Sprintf("%.2f×", f.med/er.med)
					}
				}
				w.printf("| %s | %d | %d | %s | %s | %s | %d | %s | %s | %s |\n", v.title, c, g[0].Conns, er.rate(),
					field(g, func(r *record) float64 { return r.p50 }).ms(), field(g, func(r *record) float64 { return r.p99 }).ms(),
					errsOf(g), v.fcTitle, fcS, ratio)
			}
		}
	}
}

// crashWritersDoc is the number of writers TestCrashSafety runs (kept in
// step with cmd/factcheckd/crash_test.go by hand).
const crashWritersDoc = 6

func joinSizes(sizes []int) string {
	var s []string
	for _, n := range sizes {
		s = append(s, commas(float64(n)))
	}
	return strings.Join(s, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
