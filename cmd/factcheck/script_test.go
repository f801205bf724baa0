package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"google.golang.org/protobuf/encoding/protojson"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/client"
	"github.com/factcheck/factcheck/internal/testdaemon"
	"github.com/factcheck/factcheck/store/boltstore"
)

// TestMain makes the test binary double as the factcheck command, so that
// scripts run the real main in a process of its own (exit statuses,
// signals and all) without a separate build.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"factcheck": func() { os.Exit(mainExit()) },
	})
}

var updateScripts = flag.Bool("update-scripts", false, "rewrite cmp golden files in the scripts")

// TestScripts runs testdata/script/*.txtar against the real factcheckd.
// Scripts run as the admin: every factcheckd they start bootstraps it with
// scriptToken, which FACTCHECK_TOKEN holds. Besides the standard commands,
// scripts have:
//
//	factcheckd-start NAME      start factcheckd on $WORK/NAME.db (again, after a stop
//	                           or kill; without a rate limit) and point FACTCHECK_SERVER
//	                           (and SERVER_NAME) at it
//	factcheckd-stop NAME       stop it with SIGTERM and expect a clean exit
//	factcheckd-kill NAME [URL [LASTEXT]]
//	                           kill -9 it; with URL, first wait until the article with
//	                           that url exists, and fail if the annotation with external
//	                           id LASTEXT exists already (the import would be over)
//	factcheckd-await NAME URL [LASTEXT]
//	                           wait as factcheckd-kill does, without the kill
//	exits N CMD ARGS...        run CMD and expect exit status N
//	grab VAR FILE [REGEXP]     set VAR to FILE's content without surrounding space, or
//	                           to REGEXP's first group in it: what $(...) would capture
//	gen-records FILE ARTICLES ANNOTATIONS-PER-ARTICLE SOURCES [-prefix P] [-unreadable L,...] [-invalid L,...]
//	                           write a JSONL import file (see genRecords)
//	lines N [FILE]             expect N non-empty lines in FILE (default stdout)
//	cmpjsonl A B               expect the same JSON lines in A and B, in any order,
//	                           ignoring the fields a server assigns
//	consistent                 expect every annotation on $FACTCHECK_SERVER to have its
//	                           article and cited sources there; print the counts
//	dbcheck FILE               open FILE as a stopped database and run the store's
//	                           own consistency check (pages, indexes, revisions)
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end scripts build and run factcheckd; skipped with -short")
	}
	bin := buildDaemon(t)
	testdata, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *updateScripts,
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", testdata)
			if os.Getenv("GORACE") == "" {
				// Under -race every factcheck run would sleep a second
				// on exit, waiting for race reports that still come
				// without it.
				env.Setenv("GORACE", "atexit_sleep_ms=10")
			}
			// Until a script starts a server, nothing listens here.
			env.Setenv(envServer, "127.0.0.1:1")
			env.Setenv(envToken, scriptToken)
			st := &scriptState{bin: bin, daemons: map[string]*daemon{}}
			env.Values[stateKey{}] = st
			env.Defer(st.killAll)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"factcheckd-start": cmdDaemonStart,
			"factcheckd-stop":  cmdDaemonStop,
			"factcheckd-kill":  cmdDaemonKill,
			"factcheckd-await": cmdDaemonAwait,
			"consistent":       cmdConsistent,
			"dbcheck":          cmdDBCheck,
			"exits":            cmdExits,
			"grab":             cmdGrab,
			"gen-records":      cmdGenRecords,
			"lines":            cmdLines,
			"cmpjsonl":         cmdCmpJSONL,
		},
	})
}

// buildDaemon builds factcheckd once for all scripts.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "factcheckd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/factcheckd")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/factcheckd: %v\n%s", err, out)
	}
	return bin
}

// scriptToken is the admin token of the scripts' servers. Every server a
// script starts bootstraps its admin with it (FACTCHECK_BOOTSTRAP_TOKEN);
// a server on a backup has that admin already.
const scriptToken = "fct_script-admin-token-0123456789"

type stateKey struct{}

// scriptState is what one script's custom commands share.
type scriptState struct {
	bin     string
	mu      sync.Mutex
	daemons map[string]*daemon
}

func (s *scriptState) killAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.daemons {
		d.kill()
	}
}

func state(ts *testscript.TestScript) *scriptState {
	return ts.Value(stateKey{}).(*scriptState)
}

// daemon is a running factcheckd.
type daemon struct {
	cmd    *exec.Cmd
	addr   string
	stderr *testdaemon.Buffer
	done   chan error
}

func (d *daemon) kill() {
	select {
	case <-d.done:
	default:
		d.cmd.Process.Kill()
		<-d.done
	}
}

func cmdDaemonStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: factcheckd-start NAME")
	}
	name := args[0]
	st := state(ts)
	st.mu.Lock()
	defer st.mu.Unlock()
	if d := st.daemons[name]; d != nil {
		select {
		case <-d.done:
		default:
			ts.Fatalf("factcheckd %s is running already", name)
		}
	}
	// Logs at the default level: the line saying where it serves is info.
	// The scripts poll as fast as they can while imports run: no limit.
	dd, err := testdaemon.Start(st.bin,
		[]string{"--listen", "127.0.0.1:0", "--db", filepath.Join(ts.Getenv("WORK"), name+".db"), "--rate-limit", "0"},
		[]string{"FACTCHECK_BOOTSTRAP_TOKEN=" + scriptToken})
	if dd != nil {
		st.daemons[name] = &daemon{cmd: dd.Cmd, addr: dd.Addr, stderr: dd.Stderr, done: dd.Done}
	}
	if err != nil {
		ts.Fatalf("factcheckd %s: %v", name, err)
	}
	d := st.daemons[name]
	ts.Setenv(envServer, d.addr)
	ts.Setenv("SERVER_"+name, d.addr)
	ts.Logf("factcheckd %s serving on %s", name, d.addr)
}

func runningDaemon(ts *testscript.TestScript, name string) *daemon {
	st := state(ts)
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.daemons[name]
	if d == nil {
		ts.Fatalf("no factcheckd %s started", name)
	}
	return d
}

func cmdDaemonStop(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: factcheckd-stop NAME")
	}
	d := runningDaemon(ts, args[0])
	ts.Check(d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-d.done:
		d.done <- err
		if err != nil {
			ts.Fatalf("factcheckd %s exited with %v after SIGTERM:\n%s", args[0], err, d.stderr.String())
		}
	case <-time.After(30 * time.Second):
		ts.Fatalf("factcheckd %s did not stop within 30s of SIGTERM", args[0])
	}
}

func cmdDaemonKill(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 3 {
		ts.Fatalf("usage: factcheckd-kill NAME [URL [LASTEXT]]")
	}
	d := runningDaemon(ts, args[0])
	if len(args) >= 2 {
		waitMidImport(ts, d.addr, args[1], args[2:])
	}
	ts.Check(d.cmd.Process.Kill())
	err := <-d.done
	d.done <- err
	ts.Logf("factcheckd %s killed: %v", args[0], err)
}

func cmdDaemonAwait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: factcheckd-await NAME URL [LASTEXT]")
	}
	waitMidImport(ts, runningDaemon(ts, args[0]).addr, args[1], args[2:])
}

// waitMidImport waits until the article with url exists and checks that
// the annotation with external id last does not, so that the kill that
// follows lands in the middle of the import.
func waitMidImport(ts *testscript.TestScript, addr, url string, last []string) {
	c, err := client.New(context.Background(), addr, client.WithToken(scriptToken))
	ts.Check(err)
	defer c.Close()
	articles := c.Articles()
	annotations := c.Annotations()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{Filter: fmt.Sprintf("url = %q", url)})
		cancel()
		ts.Check(err)
		if len(resp.GetArticles()) > 0 {
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no article %s within 60s", url)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if len(last) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", Filter: fmt.Sprintf("external_id = %q", last[0])})
	ts.Check(err)
	if len(resp.GetAnnotations()) > 0 {
		ts.Fatalf("the import was over before the kill: generate a bigger file or kill earlier")
	}
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N CMD ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

func cmdGrab(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: grab VAR FILE [REGEXP]")
	}
	text := ts.ReadFile(args[1])
	val := strings.TrimSpace(text)
	if len(args) == 3 {
		re, err := regexp.Compile(args[2])
		ts.Check(err)
		m := re.FindStringSubmatch(text)
		if len(m) < 2 {
			ts.Fatalf("%s: no match for %s with a group", args[1], args[2])
		}
		val = m[1]
	}
	if val == "" {
		ts.Fatalf("grab %s: nothing in %s", args[0], args[1])
	}
	ts.Setenv(args[0], val)
}

func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: lines N [FILE]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	file := "stdout"
	if len(args) == 2 {
		file = args[1]
	}
	got := 0
	for _, l := range strings.Split(ts.ReadFile(file), "\n") {
		if strings.TrimSpace(l) != "" {
			got++
		}
	}
	if got != want {
		ts.Fatalf("%s has %d lines, want %d", file, got, want)
	}
}

// serverAssigned are the JSON fields a server fills in, which differ
// between two servers holding the same records.
var serverAssigned = map[string]bool{"createTime": true, "updateTime": true, "etag": true}

func cmdCmpJSONL(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmpjsonl A B")
	}
	read := func(file string) []string {
		var out []string
		for _, l := range strings.Split(ts.ReadFile(file), "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			var v any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				ts.Fatalf("%s: %v", file, err)
			}
			b, _ := json.Marshal(dropAssigned(v))
			out = append(out, string(b))
		}
		slices.Sort(out)
		return out
	}
	a, b := read(args[0]), read(args[1])
	same := reflect.DeepEqual(a, b)
	if same && neg {
		ts.Fatalf("%s and %s hold the same records", args[0], args[1])
	}
	if !same && !neg {
		for i := range max(len(a), len(b)) {
			var x, y string
			if i < len(a) {
				x = a[i]
			}
			if i < len(b) {
				y = b[i]
			}
			if x != y {
				ts.Fatalf("%s and %s differ (%d and %d records); first difference:\n%s\n%s", args[0], args[1], len(a), len(b), x, y)
			}
		}
	}
}

func dropAssigned(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if serverAssigned[k] {
				delete(v, k)
			} else {
				v[k] = dropAssigned(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = dropAssigned(x)
		}
	}
	return v
}

// cmdGenRecords writes an import file: SOURCES sources first, then each
// article followed by its annotations. Every record has a natural key (url
// or external id), so a rerun finds them all existing. Article i has url
// https://PREFIX.example/articles/i; annotation j of article i has external
// id PREFIX-i-j and cites source (i+j) mod SOURCES by url. PREFIX is gen
// unless -prefix says otherwise.
//
// -unreadable lines are replaced with broken JSON, -invalid lines with an
// annotation whose quote is not in the text (QUOTE_NOT_FOUND). Both must be
// annotation lines, so that no other record depends on them. The command
// prints the number of records of each kind that should exist after the
// import, for the script to check against.
func cmdGenRecords(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("gen-records", flag.ContinueOnError)
	unreadable := fs.String("unreadable", "", "comma-separated line numbers")
	invalid := fs.String("invalid", "", "comma-separated line numbers")
	prefix := fs.String("prefix", "gen", "host name and external id prefix, to tell files apart")
	if neg || len(args) < 4 {
		ts.Fatalf("usage: gen-records FILE ARTICLES ANNOTATIONS-PER-ARTICLE SOURCES [-prefix P] [-unreadable L,...] [-invalid L,...]")
	}
	ts.Check(fs.Parse(args[4:]))
	nums := make([]int, 3)
	for i, s := range args[1:4] {
		n, err := strconv.Atoi(s)
		ts.Check(err)
		nums[i] = n
	}
	lineSet := func(s string) map[int]bool {
		m := map[int]bool{}
		for _, f := range strings.Split(s, ",") {
			if f == "" {
				continue
			}
			n, err := strconv.Atoi(f)
			ts.Check(err)
			m[n] = true
		}
		return m
	}
	broken, bad := lineSet(*unreadable), lineSet(*invalid)
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	w := bufio.NewWriter(f)
	var want struct{ articles, sources, annotations int }
	line := 0
	write := func(rec *factcheckv1.ImportRecord, isAnnotation bool) {
		line++
		switch {
		case broken[line] || bad[line]:
			if !isAnnotation {
				ts.Fatalf("gen-records: line %d is not an annotation", line)
			}
			if broken[line] {
				fmt.Fprintf(w, "{\"annotation\": {\"parent\": \"broken on line %d\n", line)
				return
			}
			rec.GetAnnotation().GetAnnotation().GetAnchor().GetQuote().Exact = "words that are not in the text"
		case isAnnotation:
			want.annotations++
		}
		b, err := protojson.Marshal(rec)
		ts.Check(err)
		w.Write(b)
		w.WriteByte('\n')
	}
	articles, perArticle, sources := nums[0], nums[1], nums[2]
	for s := range sources {
		write(&factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Source{Source: &factcheckv1.Source{
			Url:   fmt.Sprintf("https://sources.example/%d", s),
			Title: fmt.Sprintf("Source %d", s),
			Kind:  factcheckv1.Source_KIND_NEWS_REPORT,
		}}}, false)
		want.sources++
	}
	for i := range articles {
		url := fmt.Sprintf("https://%s.example/articles/%d", *prefix, i)
		var text strings.Builder
		fmt.Fprintf(&text, "Generated article %d. ", i)
		for j := range perArticle {
			fmt.Fprintf(&text, "Claim %d of article %d says the budget grew by %d percent. ", j, i, i*7+j)
		}
		// Filler, so that a few thousand records make an import that lasts
		// long enough to be interrupted.
		text.WriteString(strings.Repeat("The council met again on Tuesday and nothing else happened. ", 20))
		write(&factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Article{Article: &factcheckv1.Article{
			Url:      url,
			Title:    fmt.Sprintf("Generated article %d", i),
			Language: "en",
			Text:     text.String(),
		}}}, false)
		want.articles++
		for j := range perArticle {
			ann := &factcheckv1.Annotation{
				ExternalId: fmt.Sprintf("%s-%d-%d", *prefix, i, j),
				Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{
					Exact: fmt.Sprintf("Claim %d of article %d says the budget grew by %d percent.", j, i, i*7+j),
				}},
				Claim:   &factcheckv1.Claim{Text: fmt.Sprintf("The budget grew by %d percent.", i*7+j)},
				Verdict: &factcheckv1.Verdict{Rating: factcheckv1.Rating(1 + (i+j)%7), Rationale: "Generated."},
				State:   factcheckv1.Annotation_STATE_PUBLISHED,
			}
			if sources > 0 {
				ann.Citations = []*factcheckv1.Citation{{
					Source: fmt.Sprintf("https://sources.example/%d", (i+j)%sources),
					Stance: factcheckv1.Stance_STANCE_SUPPORTS,
				}}
			}
			write(&factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Annotation{Annotation: &factcheckv1.AnnotationImport{
				Parent:     url,
				Annotation: ann,
			}}}, true)
		}
	}
	ts.Check(w.Flush())
	ts.Check(f.Close())
	fmt.Fprintf(ts.Stdout(), "lines: %d\narticles: %d\nsources: %d\nannotations: %d\n", line, want.articles, want.sources, want.annotations)
}

// cmdConsistent reads everything the server holds through the API and
// checks the references between records: a backup that copied some pages
// from before a commit and some from after would break them.
func cmdConsistent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: consistent")
	}
	c, err := client.New(context.Background(), ts.Getenv(envServer), client.WithToken(ts.Getenv(envToken)))
	ts.Check(err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	articles, sources := map[string]bool{}, map[string]bool{}
	for token := ""; ; {
		resp, err := c.Articles().ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 1000, PageToken: token})
		ts.Check(err)
		for _, a := range resp.GetArticles() {
			articles[a.GetName()] = true
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	for token := ""; ; {
		resp, err := c.Sources().ListSources(ctx, &factcheckv1.ListSourcesRequest{PageSize: 1000, PageToken: token})
		ts.Check(err)
		for _, s := range resp.GetSources() {
			sources[s.GetName()] = true
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	annotations := 0
	for token := ""; ; {
		resp, err := c.Annotations().ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", PageSize: 1000, PageToken: token})
		ts.Check(err)
		for _, a := range resp.GetAnnotations() {
			annotations++
			parent, _, ok := strings.Cut(a.GetName(), "/annotations/")
			if !ok || !articles[parent] {
				ts.Fatalf("annotation %s: its article %s is missing", a.GetName(), parent)
			}
			for _, cit := range a.GetCitations() {
				if !sources[cit.GetSource()] {
					ts.Fatalf("annotation %s cites %s, which is missing", a.GetName(), cit.GetSource())
				}
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	fmt.Fprintf(ts.Stdout(), "articles: %d\nsources: %d\nannotations: %d\n", len(articles), len(sources), annotations)
}

func cmdDBCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: dbcheck FILE")
	}
	st, err := boltstore.Open(ts.MkAbs(args[0]), boltstore.Options{})
	ts.Check(err)
	defer st.Close()
	ts.Check(st.Check())
}
