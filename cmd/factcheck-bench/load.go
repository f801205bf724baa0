package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// loadConfig is the command line of load.
type loadConfig struct {
	addr       string
	mode       string
	c          int
	conns      int
	d          time.Duration
	n          int64
	warmup     time.Duration
	dataset    string
	ds         dataset
	filter     string
	parent     string
	pageSize   int
	mix        string
	pid        int
	metrics    string
	timeout    time.Duration
	jsonOut    bool
	failOnErr  bool
	setupArts  int
	seed       uint64
	weightsGet int
	weightsLst int
	weightsCre int
	// token is sent as "authorization: Bearer <token>" with every call.
	token string
}

// loadResult is what one run measured.
type loadResult struct {
	Mode     string  `json:"mode"`
	Addr     string  `json:"addr"`
	C        int     `json:"c"`
	Conns    int     `json:"conns"`
	Seconds  float64 `json:"seconds"`
	Ops      int64   `json:"ops"`
	RPS      float64 `json:"rps"`
	Filter   string  `json:"filter,omitempty"`
	PageSize int     `json:"page_size,omitempty"`
	latencySummary
	// ByOp is set in mixed mode: the same figures per operation.
	ByOp         map[string]opSummary `json:"by_op,omitempty"`
	Errors       map[string]int64     `json:"errors"`
	ErrorTotal   int64                `json:"error_total"`
	WarmupErrors int64                `json:"warmup_errors"`
	FirstError   string               `json:"first_error,omitempty"`
	// Server figures, with --pid: CPU time per measured operation
	// (user+system, from /proc/PID/stat) and resident memory sampled every
	// 250 ms during the measured window.
	ServerCPUPerOpUS float64 `json:"server_cpu_us_per_op,omitempty"`
	ServerRSSMaxMB   float64 `json:"server_rss_max_mb,omitempty"`
	ServerRSSEndMB   float64 `json:"server_rss_end_mb,omitempty"`
	ServerAnonMaxMB  float64 `json:"server_rss_anon_max_mb,omitempty"`
	ServerHWMMB      float64 `json:"server_hwm_mb,omitempty"`
	// With --metrics-addr: the largest Go heap /metrics reported during the
	// measured window.
	ServerHeapAllocMaxMB float64 `json:"server_heap_alloc_max_mb,omitempty"`
	ServerHeapInuseMaxMB float64 `json:"server_heap_inuse_max_mb,omitempty"`
	// What else ran on the machine during the measured window, in cores
	// (from /proc/stat): MachineBusy is every process's CPU, Other is what
	// is left after the server (with --pid) and this load generator, and
	// Steal is time the hypervisor took away. On a shared 2-core machine
	// Other is the first thing to look at when a run looks odd.
	LoaderCores      float64 `json:"loader_cores"`
	ServerCores      float64 `json:"server_cores,omitempty"`
	MachineBusyCores float64 `json:"machine_busy_cores"`
	OtherCores       float64 `json:"other_cores"`
	StealPct         float64 `json:"steal_pct"`
	// LoaderCPUPerOpUS is this load generator's own CPU time per measured
	// call, the figure bench/run.sh also records for ghz: on shared cores
	// it bounds the ratio of a costly call to a cheap one.
	LoaderCPUPerOpUS float64 `json:"loader_cpu_us_per_op,omitempty"`
}

type opSummary struct {
	Ops int64 `json:"ops"`
	latencySummary
}

const (
	opGet = iota
	opList
	opCreate
	opHealth
	numOps
)

var opNames = [numOps]string{"get", "list", "create", "health"}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg loadConfig
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "", "server address; must be loopback (127.0.0.1:PORT, [::1]:PORT or localhost:PORT)")
	fs.StringVar(&cfg.mode, "mode", "get", "health, get, list, create or mixed")
	fs.IntVar(&cfg.c, "c", 16, "concurrent workers (closed loop: each waits for its call before the next)")
	fs.IntVar(&cfg.conns, "conns", 0, "gRPC connections; worker i uses connection i mod conns (default min(c, 4))")
	fs.DurationVar(&cfg.d, "d", 10*time.Second, "measured duration (at most 10m)")
	fs.Int64Var(&cfg.n, "n", 0, "stop after this many measured calls (0: only the duration bounds the run)")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured warm-up before the measured window")
	fs.StringVar(&cfg.dataset, "dataset", "", "FILE.json written by gen, naming what get, list and mixed read")
	fs.StringVar(&cfg.filter, "filter", "verdict.rating = RATING_FALSE", "list: the filter (an indexed one by default)")
	fs.StringVar(&cfg.parent, "parent", "-", "list: `-` for articles/- or `random` for a random article of the dataset")
	fs.IntVar(&cfg.pageSize, "page-size", 50, "list: page size")
	fs.StringVar(&cfg.mix, "mix", "get=70,list=20,create=10", "mixed: percentages of get, list and create")
	fs.IntVar(&cfg.pid, "pid", 0, "server process id: report its CPU per call and its RSS (from /proc)")
	fs.StringVar(&cfg.metrics, "metrics-addr", "", "with --pid: the server's --metrics-listen address (loopback), to sample its Go heap from /metrics")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "deadline of each call")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the result as JSON")
	fs.BoolVar(&cfg.failOnErr, "fail-on-error", false, "exit with status 1 if any call failed, warm-up included")
	fs.IntVar(&cfg.setupArts, "setup-articles", 16, "create, mixed: articles (and sources) created before the run for the new annotations")
	fs.Uint64Var(&cfg.seed, "seed", 0, "random seed (0: random)")
	fs.StringVar(&cfg.token, "token", "", "access token sent with every call, as factcheckd wants (env FACTCHECK_TOKEN); an admin's, so every annotation is readable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.token == "" {
		cfg.token = os.Getenv("FACTCHECK_TOKEN")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := checkLoopback(cfg.addr); err != nil {
		return err
	}
	if cfg.metrics != "" {
		if err := checkLoopback(cfg.metrics); err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		if cfg.pid <= 0 {
			return errors.New("--metrics-addr needs --pid")
		}
	}
	if cfg.c < 1 || cfg.c > 4096 {
		return errors.New("-c must be between 1 and 4096")
	}
	if cfg.conns <= 0 {
		cfg.conns = min(cfg.c, 4)
	}
	cfg.conns = min(cfg.conns, cfg.c)
	if cfg.d <= 0 || cfg.d > 10*time.Minute {
		return errors.New("-d must be positive and at most 10m")
	}
	if cfg.seed == 0 {
		cfg.seed = mrand.Uint64()
	}
	switch cfg.mode {
	case "health", "create":
	case "get", "list", "mixed":
		if cfg.dataset == "" {
			return fmt.Errorf("--mode %s needs --dataset FILE.json (written by gen)", cfg.mode)
		}
		var err error
		if cfg.ds, err = readDataset(cfg.dataset); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown --mode %q (health, get, list, create or mixed)", cfg.mode)
	}
	if cfg.mode == "mixed" {
		if err := parseMix(&cfg); err != nil {
			return err
		}
	}
	res, err := load(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.jsonOut {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	} else {
		printResult(stdout, res)
	}
	if cfg.failOnErr && res.ErrorTotal+res.WarmupErrors > 0 {
		return fmt.Errorf("%d calls failed (%d in the warm-up): %s", res.ErrorTotal+res.WarmupErrors, res.WarmupErrors, res.FirstError)
	}
	return nil
}

func parseMix(cfg *loadConfig) error {
	total := 0
	for part := range strings.SplitSeq(cfg.mix, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return fmt.Errorf("--mix: %q is not op=percent", part)
		}
		switch k {
		case "get":
			cfg.weightsGet = n
		case "list":
			cfg.weightsLst = n
		case "create":
			cfg.weightsCre = n
		default:
			return fmt.Errorf("--mix: unknown op %q (get, list, create)", k)
		}
		total += n
	}
	if total <= 0 {
		return errors.New("--mix: the percentages add up to nothing")
	}
	return nil
}

// checkLoopback refuses any address that is not on this machine's loopback
// interface: this tool generates load, and must never be pointed at someone
// else's server.
func checkLoopback(addr string) error {
	if addr == "" {
		return errors.New("--addr is required (127.0.0.1:PORT)")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("--addr %q: bad port", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q: refusing a non-loopback address; factcheck-bench only loads servers on 127.0.0.1 or ::1", addr)
	}
	return nil
}

// target is what the workers call, on one of the connections.
type target struct {
	cfg     loadConfig
	health  []healthpb.HealthClient
	anns    []factcheckv1.AnnotationServiceClient
	arts    []corpusArticle   // create: the articles set up for this run
	sources map[string]string // create: corpus source ID → name of the source set up for this run
	tag     string
	seq     atomic.Int64
	weights [numOps]int
	wtotal  int
}

func load(ctx context.Context, cfg loadConfig) (*loadResult, error) {
	t := &target{cfg: cfg}
	if cfg.token != "" {
		// In the context every call derives from, rather than per-call
		// credentials: the generator should spend nothing per call on it.
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+cfg.token)
	}
	var conns []*grpc.ClientConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range cfg.conns {
		// Each connection its own: grpc.NewClient shares nothing between
		// them, so calls spread over cfg.conns HTTP/2 connections.
		conn, err := grpc.NewClient(cfg.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
		if err != nil {
			return nil, err
		}
		conns = append(conns, conn)
		t.health = append(t.health, healthpb.NewHealthClient(conn))
		t.anns = append(t.anns, factcheckv1.NewAnnotationServiceClient(conn))
	}
	for i, h := range t.health {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := h.Check(cctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("connection %d to %s: health check: %w", i, cfg.addr, err)
		}
	}
	switch cfg.mode {
	case "health":
		t.weights[opHealth] = 1
	case "get":
		t.weights[opGet] = 1
	case "list":
		t.weights[opList] = 1
	case "create":
		t.weights[opCreate] = 1
	case "mixed":
		t.weights[opGet], t.weights[opList], t.weights[opCreate] = cfg.weightsGet, cfg.weightsLst, cfg.weightsCre
	}
	for _, w := range t.weights {
		t.wtotal += w
	}
	if t.weights[opCreate] > 0 {
		if err := t.setup(ctx, conns[0]); err != nil {
			return nil, fmt.Errorf("setting up articles for creates: %w", err)
		}
	}
	return t.run(ctx)
}

// setup creates the articles and sources that the run's new annotations
// belong to and cite, with IDs of their own so runs never collide.
func (t *target) setup(ctx context.Context, conn *grpc.ClientConn) error {
	var b [4]byte
	_, _ = rand.Read(b[:])
	t.tag = "load-" + hex.EncodeToString(b[:])
	arts := factcheckv1.NewArticleServiceClient(conn)
	srcs := factcheckv1.NewSourceServiceClient(conn)
	t.sources = map[string]string{}
	for k := range max(1, t.cfg.setupArts) {
		s := apiSource(makeSource(k))
		s.Url += "?" + t.tag
		resp, err := srcs.CreateSource(ctx, &factcheckv1.CreateSourceRequest{Source: s, SourceId: fmt.Sprintf("%s-s%d", t.tag, k)})
		if err != nil {
			return err
		}
		t.sources[sourceID(k)] = resp.GetSource().GetName()
		a := makeArticle(1_000_000_000+k, 20)
		api := apiArticle(a.article)
		api.Url += "?" + t.tag
		if _, err := arts.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: api, ArticleId: fmt.Sprintf("%s-a%d", t.tag, k)}); err != nil {
			return err
		}
		a.article.ID = fmt.Sprintf("%s-a%d", t.tag, k)
		t.arts = append(t.arts, a)
	}
	return nil
}

type workerStats struct {
	lat      [numOps][]int64
	errs     map[string]int64
	warmErrs int64
	firstErr error
	lastDone time.Time
	measured int64
}

func (t *target) run(ctx context.Context) (*loadResult, error) {
	cfg := t.cfg
	var sampler *procSampler
	if cfg.pid > 0 {
		sampler = newProcSampler(cfg.pid)
		if cfg.metrics != "" {
			sampler.metricsURL = "http://" + cfg.metrics + "/metrics"
		}
	}
	measureStart := time.Now().Add(cfg.warmup)
	end := measureStart.Add(cfg.d)
	var issued atomic.Int64
	var cpuStart, selfStart time.Duration
	var cpuOK, selfOK bool
	var machStart machineCPU
	var wallStart time.Time
	startSampler := sync.OnceFunc(func() {
		wallStart = time.Now()
		machStart = readMachineCPU()
		selfStart, selfOK = selfCPU()
		if sampler != nil {
			cpuStart, cpuOK = sampler.cpu()
			sampler.start(250 * time.Millisecond)
		}
	})
	timer := time.AfterFunc(cfg.warmup, startSampler)
	defer timer.Stop()

	stats := make([]*workerStats, cfg.c)
	var wg sync.WaitGroup
	for w := range cfg.c {
		ws := &workerStats{errs: map[string]int64{}}
		stats[w] = ws
		wg.Go(func() {
			r := mrand.New(mrand.NewPCG(cfg.seed, uint64(w)))
			conn := w % cfg.conns
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				measuring := !t0.Before(measureStart)
				if measuring && cfg.n > 0 && issued.Add(1) > cfg.n {
					return
				}
				op := t.pick(r)
				err := t.call(ctx, op, conn, r, w)
				t1 := time.Now()
				if !measuring {
					if err != nil {
						ws.warmErrs++
						if ws.firstErr == nil {
							ws.firstErr = err
						}
					}
					continue
				}
				if t1.After(end) && cfg.n == 0 {
					return
				}
				ws.lastDone = t1
				ws.measured++
				if err != nil {
					ws.errs[errCode(err)]++
					if ws.firstErr == nil {
						ws.firstErr = err
					}
					continue
				}
				ws.lat[op] = append(ws.lat[op], int64(t1.Sub(t0)))
			}
		})
	}
	wg.Wait()
	startSampler() // a run shorter than its warm-up still has a window
	wall := time.Since(wallStart).Seconds()
	machEnd := readMachineCPU()
	selfEnd, selfEndOK := selfCPU()
	res := &loadResult{Mode: cfg.mode, Addr: cfg.addr, C: cfg.c, Conns: cfg.conns, Errors: map[string]int64{}}
	if cfg.mode == "list" || cfg.mode == "mixed" {
		res.Filter, res.PageSize = cfg.filter, cfg.pageSize
	}
	var all []int64
	var perOp [numOps][]int64
	last := measureStart
	for _, ws := range stats {
		for op := range numOps {
			perOp[op] = append(perOp[op], ws.lat[op]...)
			all = append(all, ws.lat[op]...)
		}
		for k, v := range ws.errs {
			res.Errors[k] += v
			res.ErrorTotal += v
		}
		res.WarmupErrors += ws.warmErrs
		res.Ops += ws.measured
		if ws.lastDone.After(last) {
			last = ws.lastDone
		}
		if res.FirstError == "" && ws.firstErr != nil {
			res.FirstError = ws.firstErr.Error()
		}
	}
	if cfg.n == 0 {
		last = end
	}
	round2 := func(x float64) float64 { return math.Round(x*100) / 100 }
	if selfOK && selfEndOK && wall > 0 {
		res.LoaderCores = round2((selfEnd - selfStart).Seconds() / wall)
		if res.Ops > 0 {
			res.LoaderCPUPerOpUS = math.Round(float64((selfEnd-selfStart).Microseconds())/float64(res.Ops)*10) / 10
		}
	}
	if machStart.ok && machEnd.ok && wall > 0 && machEnd.total > machStart.total {
		const ticks = 100 // USER_HZ
		res.MachineBusyCores = round2((machEnd.busy - machStart.busy) / ticks / wall)
		res.StealPct = math.Round((machEnd.steal-machStart.steal)/(machEnd.total-machStart.total)*1000) / 10
	}
	if sampler != nil {
		if cpuEnd, ok := sampler.cpu(); ok && cpuOK && res.Ops > 0 {
			res.ServerCPUPerOpUS = math.Round(float64((cpuEnd-cpuStart).Microseconds())/float64(res.Ops)*10) / 10
			if wall > 0 {
				res.ServerCores = round2((cpuEnd - cpuStart).Seconds() / wall)
			}
		}
		sampler.stopSampling()
		res.ServerRSSMaxMB = math.Round(float64(sampler.rssMax)/1024*10) / 10
		res.ServerRSSEndMB = math.Round(float64(sampler.rssLast)/1024*10) / 10
		res.ServerAnonMaxMB = math.Round(float64(sampler.anonMax)/1024*10) / 10
		if sampler.heapSamples > 0 {
			res.ServerHeapAllocMaxMB = math.Round(sampler.heapAllocMax/(1<<20)*10) / 10
			res.ServerHeapInuseMaxMB = math.Round(sampler.heapInuseMax/(1<<20)*10) / 10
		}
		if kb, ok := procStatusKB(cfg.pid, "VmHWM"); ok {
			res.ServerHWMMB = math.Round(float64(kb)/1024*10) / 10
		}
	}
	if res.MachineBusyCores > 0 {
		res.OtherCores = round2(max(0, res.MachineBusyCores-res.LoaderCores-res.ServerCores))
	}
	res.Seconds = math.Round(last.Sub(measureStart).Seconds()*1000) / 1000
	if res.Seconds > 0 {
		res.RPS = math.Round(float64(res.Ops-res.ErrorTotal) / res.Seconds)
	}
	res.latencySummary = summarize(all)
	if cfg.mode == "mixed" {
		res.ByOp = map[string]opSummary{}
		for op := range numOps {
			if len(perOp[op]) > 0 {
				res.ByOp[opNames[op]] = opSummary{Ops: int64(len(perOp[op])), latencySummary: summarize(perOp[op])}
			}
		}
	}
	return res, ctx.Err()
}

func (t *target) pick(r *mrand.Rand) int {
	if t.wtotal == 0 {
		return opHealth
	}
	n := r.IntN(t.wtotal)
	for op, w := range t.weights {
		if n < w {
			return op
		}
		n -= w
	}
	return opHealth
}

// errMismatch marks a call that succeeded with the wrong answer.
var errMismatch = errors.New("wrong answer")

func errCode(err error) string {
	if errors.Is(err, errMismatch) {
		return "WrongAnswer"
	}
	return status.Code(err).String()
}

func (t *target) call(ctx context.Context, op, conn int, r *mrand.Rand, worker int) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.timeout)
	defer cancel()
	switch op {
	case opHealth:
		resp, err := t.health[conn].Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("%w: health %v", errMismatch, resp.GetStatus())
		}
		return err
	case opGet:
		name := annotationName(r.IntN(t.cfg.ds.Articles), r.IntN(t.cfg.ds.PerArticle))
		resp, err := t.anns[conn].GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: name})
		if err == nil && resp.GetAnnotation().GetName() != name {
			return fmt.Errorf("%w: asked for %s, got %s", errMismatch, name, resp.GetAnnotation().GetName())
		}
		return err
	case opList:
		parent := "articles/-"
		if t.cfg.parent == "random" {
			parent = articleName(r.IntN(t.cfg.ds.Articles))
		}
		resp, err := t.anns[conn].ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{
			Parent: parent, Filter: t.cfg.filter, PageSize: int32(t.cfg.pageSize)})
		if err == nil && len(resp.GetAnnotations()) == 0 && t.cfg.parent != "random" {
			return fmt.Errorf("%w: empty page for %q", errMismatch, t.cfg.filter)
		}
		return err
	case opCreate:
		k := r.IntN(len(t.arts))
		ann := makeAnnotation(t.arts[k], r.IntN(len(t.arts[k].sentences)), len(t.sources), r, -1)
		ann.ExternalID = fmt.Sprintf("%s-w%d-%d", t.tag, worker, t.seq.Add(1))
		in := apiAnnotation(ann, func(id string) string { return t.sources[id] })
		resp, err := t.anns[conn].CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
			Parent: "articles/" + t.arts[k].article.ID, Annotation: in})
		if err == nil && resp.GetAnnotation().GetExternalId() != ann.ExternalID {
			return fmt.Errorf("%w: created annotation has external_id %q", errMismatch, resp.GetAnnotation().GetExternalId())
		}
		return err
	}
	return fmt.Errorf("op %d", op)
}

func printResult(w io.Writer, r *loadResult) {
	fmt.Fprintf(w, "mode=%s c=%d conns=%d seconds=%.2f ops=%d rps=%.0f p50=%.0fµs p90=%.0fµs p99=%.0fµs max=%.0fµs errors=%d warmup_errors=%d\n",
		r.Mode, r.C, r.Conns, r.Seconds, r.Ops, r.RPS, r.P50, r.P90, r.P99, r.Max, r.ErrorTotal, r.WarmupErrors)
	if len(r.Errors) > 0 {
		var codes []string
		for k, v := range r.Errors {
			codes = append(codes, fmt.Sprintf("%s=%d", k, v))
		}
		sort.Strings(codes)
		fmt.Fprintf(w, "  errors by code: %s\n  first: %s\n", strings.Join(codes, " "), r.FirstError)
	}
	for _, name := range opNames {
		if s, ok := r.ByOp[name]; ok {
			fmt.Fprintf(w, "  %s: ops=%d p50=%.0fµs p90=%.0fµs p99=%.0fµs\n", name, s.Ops, s.P50, s.P90, s.P99)
		}
	}
	fmt.Fprintf(w, "  machine: busy %.2f cores (server %.2f, this loader %.2f, other %.2f), steal %.1f%%\n",
		r.MachineBusyCores, r.ServerCores, r.LoaderCores, r.OtherCores, r.StealPct)
	if r.ServerRSSMaxMB > 0 {
		fmt.Fprintf(w, "  server: cpu=%.0fµs/op rss_max=%.0fMB (anonymous %.0fMB) rss_end=%.0fMB hwm=%.0fMB\n",
			r.ServerCPUPerOpUS, r.ServerRSSMaxMB, r.ServerAnonMaxMB, r.ServerRSSEndMB, r.ServerHWMMB)
	}
	if r.ServerHeapInuseMaxMB > 0 {
		fmt.Fprintf(w, "  server Go heap (from /metrics): in use max %.0fMB, allocated max %.0fMB\n", r.ServerHeapInuseMaxMB, r.ServerHeapAllocMaxMB)
	}
}
