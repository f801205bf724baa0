package main

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted: the
// smallest value with at least p% of the samples at or below it.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// latencySummary is what a report says about a set of latencies, in µs.
type latencySummary struct {
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	Max  float64 `json:"max_us"`
	Mean float64 `json:"mean_us"`
}

func summarize(lat []int64) latencySummary {
	slices.Sort(lat)
	var sum float64
	for _, v := range lat {
		sum += float64(v)
	}
	us := func(ns int64) float64 { return math.Round(float64(ns)/100) / 10 }
	s := latencySummary{P50: us(percentile(lat, 50)), P90: us(percentile(lat, 90)), P99: us(percentile(lat, 99))}
	if len(lat) > 0 {
		s.Max = us(lat[len(lat)-1])
		s.Mean = math.Round(sum/float64(len(lat))/100) / 10
	}
	return s
}

// procSampler reads a process's CPU time and resident memory from /proc
// (Linux only; on other systems it reports nothing).
type procSampler struct {
	pid     int
	clkTck  float64
	rssMax  int64 // kB
	rssLast int64 // kB
	anonMax int64 // kB: RssAnon, the heap and stacks, without the mapped file
	// With a metrics address: the Go heap as the server's /metrics reports
	// it (go_memstats_heap_alloc_bytes, go_memstats_heap_inuse_bytes).
	metricsURL   string
	heapAllocMax float64
	heapInuseMax float64
	heapSamples  int
	samples      int
	stop         chan struct{}
	done         chan struct{}
}

func newProcSampler(pid int) *procSampler {
	if pid <= 0 {
		return nil
	}
	return &procSampler{pid: pid, clkTck: 100}
}

// cpu returns the process's user+system CPU time.
func (p *procSampler) cpu() (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration((ut + st) / p.clkTck * float64(time.Second)), true
}

// status returns a field of /proc/PID/status in kB (VmRSS, VmHWM).
func procStatusKB(pid int, field string) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			fs := strings.Fields(rest)
			if len(fs) > 0 {
				n, err := strconv.ParseInt(fs[0], 10, 64)
				return n, err == nil
			}
		}
	}
	return 0, false
}

// start samples RSS every interval until stopSampling.
func (p *procSampler) start(interval time.Duration) {
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if kb, ok := procStatusKB(p.pid, "VmRSS"); ok {
				p.rssLast = kb
				p.rssMax = max(p.rssMax, kb)
				p.samples++
			}
			if kb, ok := procStatusKB(p.pid, "RssAnon"); ok {
				p.anonMax = max(p.anonMax, kb)
			}
			if p.metricsURL != "" {
				if m, err := scrapeMetrics(p.metricsURL, "go_memstats_heap_alloc_bytes", "go_memstats_heap_inuse_bytes"); err == nil {
					p.heapAllocMax = max(p.heapAllocMax, m["go_memstats_heap_alloc_bytes"])
					p.heapInuseMax = max(p.heapInuseMax, m["go_memstats_heap_inuse_bytes"])
					p.heapSamples++
				}
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (p *procSampler) stopSampling() {
	close(p.stop)
	<-p.done
}

// machineCPU is the machine-wide CPU time from the first line of /proc/stat,
// in clock ticks: busy (everything but idle and iowait) and steal (time the
// hypervisor gave to someone else).
type machineCPU struct {
	busy, steal, total float64
	ok                 bool
}

func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return machineCPU{}
	}
	var v [8]float64
	for i := range v {
		v[i], _ = strconv.ParseFloat(f[i+1], 64)
	}
	// user nice system idle iowait irq softirq steal
	m := machineCPU{steal: v[7], ok: true}
	for i, x := range v {
		m.total += x
		if i != 3 && i != 4 && i != 7 {
			m.busy += x
		}
	}
	return m
}

// selfCPU is this process's user+system CPU time.
func selfCPU() (time.Duration, bool) {
	return (&procSampler{pid: os.Getpid(), clkTck: 100}).cpu()
}

var metricsClient = &http.Client{Timeout: 2 * time.Second}

// scrapeMetrics reads the named unlabelled gauges from a Prometheus text
// exposition.
func scrapeMetrics(url string, names ...string) (map[string]float64, error) {
	resp, err := metricsClient.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || !slices.Contains(names, name) {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}
