package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/internal/testdaemon"
)

// brokenInput has good records, lines that cannot be read (3 and 8), and
// records the server refuses (5: an article without url, 6: a quote the
// article does not have). Line 4 is empty.
const brokenInput = `{"source": {"url": "https://s.example/1"}}
{"article": {"url": "https://a.example/1", "text": "Some text."}}
{"article": {"url": "https://a.example/2", "text": "unterminated
` + `
{"article": {"title": "no url", "text": "Some other text."}}
{"annotation": {"parent": "https://a.example/1", "annotation": {"externalId": "x0", "anchor": {"quote": {"exact": "words it lacks"}}, "claim": {"text": "c"}}}}
{"annotation": {"parent": "https://a.example/1", "annotation": {"externalId": "x1", "anchor": {"quote": {"exact": "text"}}, "claim": {"text": "c"}}}}
not json at all
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readReport returns the report's lines as decoded failures.
func readReport(t *testing.T, path string) []failure {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []failure
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var fl failure
		if err := json.Unmarshal(sc.Bytes(), &fl); err != nil {
			t.Fatalf("report line %q: %v", sc.Text(), err)
		}
		out = append(out, fl)
	}
	return out
}

func reportLines(fs []failure) []int {
	var lines []int
	for _, f := range fs {
		lines = append(lines, f.Line)
	}
	return lines
}

// sourceLines is n source records, one per line, with urls numbered from 0.
func sourceLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"source\": {\"url\": \"https://s.example/%d\"}}\n", i)
	}
	return b.String()
}

func TestImportReportsFailedLines(t *testing.T) {
	srv := startServer(t)
	env := srv.env()
	in := writeFile(t, "in.jsonl", brokenInput)
	report := in + reportSuffix

	// Two records per message, so that indexes cross messages.
	r := runCLI(t, env, "", "import", in, "--batch", "2", "--progress", "none")
	if r.code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		`(?m)^line 3: INVALID_ARGUMENT: .*\[UNREADABLE_RECORD\]$`,
		`(?m)^line 5: INVALID_ARGUMENT: article\.url: is required.*\[FIELD_REQUIRED\]$`,
		`(?m)^line 6: INVALID_ARGUMENT: .*"words it lacks".*\[QUOTE_NOT_FOUND\]$`,
		`(?m)^line 8: INVALID_ARGUMENT: .*\[UNREADABLE_RECORD\]$`,
		`received: 5  created: 3  existing: 0  failed: 4 \(2 unreadable, not sent\)`,
		"failures written to " + regexp.QuoteMeta(report),
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("stdout does not match %s:\n%s", want, r.stdout)
		}
	}
	got := readReport(t, report)
	if fmt.Sprint(reportLines(got)) != "[3 5 6 8]" {
		t.Fatalf("report lines %v, want [3 5 6 8]", reportLines(got))
	}
	if f := got[1]; f.Index == nil || *f.Index != 2 || f.Code != "INVALID_ARGUMENT" || f.Reason != "FIELD_REQUIRED" ||
		len(f.Violations) != 1 || f.Violations[0].Field != "article.url" {
		t.Errorf("report of line 5: %+v", f)
	}
	if f := got[2]; f.Index == nil || *f.Index != 3 || f.Reason != "QUOTE_NOT_FOUND" {
		t.Errorf("report of line 6: %+v", f)
	}
	if got[0].Index != nil || got[3].Index != nil {
		t.Errorf("an unreadable line has an index: %+v, %+v", got[0], got[3])
	}
	if h := srv.holds(); h != (holdings{articles: 1, sources: 1, annotations: 1}) {
		t.Errorf("server holds %+v after the import, want one of each", h)
	}

	// Rerun: nothing created twice, the same failures.
	r = runCLI(t, env, "", "import", in, "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stdout, "created: 0  existing: 3  failed: 4") {
		t.Errorf("rerun: %+v", r)
	}
	if h := srv.holds(); h != (holdings{articles: 1, sources: 1, annotations: 1}) {
		t.Errorf("server holds %+v after the rerun, want one of each", h)
	}

	// Fixed input: exit 0 and the stale report is gone.
	var good []string
	for i, l := range strings.Split(brokenInput, "\n") {
		if n := i + 1; n != 3 && n != 5 && n != 6 && n != 8 {
			good = append(good, l)
		}
	}
	if err := os.WriteFile(in, []byte(strings.Join(good, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, env, "", "import", in, "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "created: 0  existing: 3  failed: 0") {
		t.Errorf("clean rerun: %+v", r)
	}
	if _, err := os.Stat(report); !os.IsNotExist(err) {
		t.Errorf("stale report still there: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(in), ".*tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestImportStdinAndReportFlag(t *testing.T) {
	env := startServer(t).env()
	dir := t.TempDir()
	r := runCLI(t, env, brokenInput, "import", "-", "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stdout, "line 5:") || strings.Contains(r.stdout, "failures written") {
		t.Errorf("stdin: %+v", r)
	}
	if left, _ := filepath.Glob("*" + reportSuffix); len(left) > 0 {
		t.Errorf("stdin left a report: %v", left)
	}
	rep := filepath.Join(dir, "r.jsonl")
	r = runCLI(t, env, brokenInput, "import", "-", "--progress", "none", "--report", rep)
	if r.code != exitFailure || fmt.Sprint(reportLines(readReport(t, rep))) != "[3 5 6 8]" {
		t.Errorf("stdin with --report: %+v", r)
	}
}

func TestImportAtomic(t *testing.T) {
	srv := startServer(t)
	env := srv.env()
	nothing := holdings{}

	// A line that cannot be read abandons the stream, though the record
	// before it was sent already: nothing is written.
	in := writeFile(t, "in.jsonl", "{\"source\": {\"url\": \"https://s.example/1\"}}\nnope\n{\"source\": {\"url\": \"https://s.example/2\"}}\n")
	r := runCLI(t, env, "", "import", in, "--atomic", "--progress", "none", "--batch", "1")
	if r.code != exitFailure || !strings.Contains(r.stderr, "atomic import abandoned") || !strings.Contains(r.stdout, "line 2:") {
		t.Errorf("atomic with unreadable line: %+v", r)
	}
	if h := srv.holds(); h != nothing {
		t.Errorf("an abandoned atomic import wrote %+v", h)
	}
	// A record the server refuses rolls the others back.
	in = writeFile(t, "in2.jsonl", "{\"source\": {\"url\": \"https://s.example/1\"}}\n{\"article\": {}}\n")
	r = runCLI(t, env, "", "import", in, "--atomic", "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stdout, "rolled back: 1") || !strings.Contains(r.stdout, "nothing written: the atomic import failed") {
		t.Errorf("atomic with refused record: %+v", r)
	}
	if h := srv.holds(); h != nothing {
		t.Errorf("a failed atomic import wrote %+v", h)
	}
	// --validate-only writes nothing either, and succeeds on good input.
	in = writeFile(t, "in3.jsonl", sourceLines(2))
	r = runCLI(t, env, "", "import", in, "--validate-only", "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "created: 2") || !strings.Contains(r.stdout, "nothing written: --validate-only") {
		t.Errorf("validate-only: %+v", r)
	}
	if h := srv.holds(); h != nothing {
		t.Errorf("--validate-only wrote %+v", h)
	}
	// The same input, atomic and not validate-only, is all written.
	r = runCLI(t, env, "", "import", in, "--atomic", "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "created: 2") || strings.Contains(r.stdout, "nothing written") {
		t.Errorf("good atomic import: %+v", r)
	}
	if h := srv.holds(); h != (holdings{sources: 2}) {
		t.Errorf("a good atomic import left %+v, want 2 sources", h)
	}
}

func TestImportEmptyFile(t *testing.T) {
	env := startServer(t).env()
	r := runCLI(t, env, "", "import", writeFile(t, "empty.jsonl", ""), "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "received: 0  created: 0") {
		t.Errorf("empty file: %+v", r)
	}
}

// TestImportServerGoesAway stops the real server while an import waits for
// more input, after it has committed the first records: the import says
// what was confirmed and to run it again, and a rerun against the server
// restarted on the same file finishes the rest without duplicates.
func TestImportServerGoesAway(t *testing.T) {
	srv := startServer(t)
	const total, committed = 12, 10
	input := sourceLines(total)

	// A pipe holds the stream open: with batches of 5, the first 10 records
	// go out and the last 2 wait for a batch that never fills.
	pr, pw := io.Pipe()
	done := make(chan result, 1)
	env := srv.env()
	go func() {
		done <- runCLIFrom(t, env, pr, "import", "-", "--format", "jsonl", "--progress", "none", "--batch", "5")
	}()
	if _, err := io.WriteString(pw, input); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return srv.holds().sources == committed })
	srv.stop()
	pw.Close()
	r := <-done

	if r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") || !strings.Contains(r.stderr, "run it again") ||
		!strings.Contains(r.stdout, "incomplete: the import ended before the server's summary") {
		t.Errorf("interrupted import: %+v", r)
	}
	m := regexp.MustCompile(`sent: (\d+)  created: (\d+)  existing: 0  failed: 0  unconfirmed: (\d+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no sent/created/unconfirmed in:\n%s", r.stdout)
	}
	sent, _ := strconv.Atoi(m[1])
	created, _ := strconv.Atoi(m[2])
	unconfirmed, _ := strconv.Atoi(m[3])
	// The server may have gone before its answers arrived; whatever was
	// not confirmed is counted as such.
	if sent < committed || sent > total || created > committed || created+unconfirmed != sent {
		t.Errorf("sent %d, created %d, unconfirmed %d: want %d..%d sent, at most %d created, the rest unconfirmed",
			sent, created, unconfirmed, committed, total, committed)
	}

	srv.start()
	r = runCLI(t, srv.env(), "", "import", writeFile(t, "in.jsonl", input), "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("received: %d  created: %d  existing: %d  failed: 0", total, total-committed, committed)) {
		t.Errorf("rerun after the restart: %+v", r)
	}
	if h := srv.holds(); h.sources != total {
		t.Errorf("server holds %d sources, want %d", h.sources, total)
	}
}

func TestImportNoServer(t *testing.T) {
	in := writeFile(t, "in.jsonl", "{\"source\": {\"url\": \"https://s.example/1\"}}\n")
	r := runCLI(t, map[string]string{envServer: "127.0.0.1:1"}, "", "import", in, "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") {
		t.Errorf("no server: %+v", r)
	}
}

func TestReporterMergesInLineOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	rep, err := newReporter(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx := int64(0)
	// The reader runs ahead of the results: lines 2 and 9 are found
	// unreadable before the server's verdicts on lines 1, 4 and 10 arrive.
	rep.local(failure{Line: 2})
	rep.local(failure{Line: 9})
	rep.remote(failure{Line: 1, Index: &idx})
	rep.remote(failure{Line: 4, Index: &idx})
	rep.local(failure{Line: 12})
	rep.remote(failure{Line: 10, Index: &idx})
	rep.flushLocal()
	if err := rep.finish(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(reportLines(readReport(t, path))); got != "[1 2 4 9 10 12]" {
		t.Errorf("report lines %s", got)
	}
	var out strings.Builder
	rep.print(&out)
	if strings.Count(out.String(), "line ") != 6 {
		t.Errorf("printed:\n%s", out.String())
	}
}

func TestReporterCapsPrinting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	rep, _ := newReporter(path, nil)
	for i := range maxPrintedFailures + 7 {
		rep.local(failure{Line: i + 1, problem: problem{Code: "INVALID_ARGUMENT", Message: "bad"}})
	}
	rep.flushLocal()
	rep.finish()
	var out strings.Builder
	rep.print(&out)
	if !strings.Contains(out.String(), "... and 7 more failures (all of them in "+path+")") {
		t.Errorf("printed:\n%s", out.String())
	}
	if n := len(readReport(t, path)); n != maxPrintedFailures+7 {
		t.Errorf("report has %d failures", n)
	}
}

func TestLineMap(t *testing.T) {
	var m lineMap
	for _, l := range []int{1, 2, 5, 9} {
		m.add(l)
	}
	for idx, want := range map[int64]int{0: 1, 2: 5, 3: 9, 4: 0, -1: 0} {
		if got := m.line(idx); got != want {
			t.Errorf("line(%d) = %d, want %d", idx, got, want)
		}
	}
}

func TestProgressLines(t *testing.T) {
	var c counts
	var out testdaemon.Buffer
	p := &progress{quit: make(chan struct{}), done: make(chan struct{})}
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	go p.lines(&out, importMeter("in.jsonl", 1000, &c), now)
	// A tenth of the file read: a line, though no time has passed.
	c.bytesRead.Store(150)
	c.sent.Store(3)
	waitFor(t, func() bool { return strings.Count(out.String(), "\n") == 1 })
	// Nothing new and no time passed: no line.
	time.Sleep(300 * time.Millisecond)
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Fatalf("%d lines without progress", n)
	}
	// Two seconds pass: a line.
	clock.Add(int64(progressLineEvery))
	waitFor(t, func() bool { return strings.Count(out.String(), "\n") == 2 })
	p.stop()
	if ok, _ := regexp.MatchString(`^import in.jsonl: 15% read, 3 sent, 0 done \(0 created, 0 existing, 0 failed\)\n`, out.String()); !ok {
		t.Errorf("progress lines:\n%s", out.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProgressBar(t *testing.T) {
	var c counts
	out := &testdaemon.Buffer{}
	a := &app{stderr: out, stderrIsTTY: true}
	c.bytesRead.Store(500)
	c.sent.Store(3)
	c.failed.Store(1)
	p := a.startProgress("auto", importMeter("in.jsonl", 1000, &c))
	waitFor(t, func() bool { return strings.Contains(out.String(), "in.jsonl: 3 sent, 1 done, 1 failed  50%") })
	p.stop()
	if !strings.Contains(out.String(), "\r") {
		t.Errorf("bar output %q", out.String())
	}
	// Not a terminal: lines, never a carriage return.
	out = &testdaemon.Buffer{}
	a.stderr, a.stderrIsTTY = out, false
	p = a.startProgress("auto", importMeter("in.jsonl", 1000, &c))
	waitFor(t, func() bool { return strings.Contains(out.String(), "\n") })
	p.stop()
	if strings.Contains(out.String(), "\r") {
		t.Errorf("progress lines with a carriage return: %q", out.String())
	}
}

// TestImportDetectsForeignFormats: a Hypothesis search response is told
// apart by its content, its reply is skipped (not a failure), and its
// annotation lands on the server's article as an annotation.
func TestImportDetectsForeignFormats(t *testing.T) {
	srv := startServer(t)
	c := srv.client()
	art, err := c.Articles().CreateArticle(t.Context(), &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
		Url: "https://a.example/1", Text: "Some text.",
	}})
	if err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, "export.json", `{"total": 2, "rows": [
  {"id": "abc", "uri": "https://a.example/1", "user": "acct:someone@hypothes.is", "text": "Not so.", "tags": ["false"],
   "target": [{"source": "https://a.example/1", "selector": [{"type": "TextQuoteSelector", "exact": "text"}]}]},
  {"id": "def", "uri": "https://a.example/1", "user": "acct:other@hypothes.is", "text": "A reply.", "references": ["abc"],
   "target": [{"source": "https://a.example/1"}]}
]}
`)
	r := runCLI(t, srv.env(), "", "import", in, "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "received: 1  created: 1") || !strings.Contains(r.stdout, "skipped: 1") {
		t.Errorf("hypothesis import: %+v", r)
	}
	resp, err := c.Annotations().ListAnnotations(t.Context(), &factcheckv1.ListAnnotationsRequest{
		Parent: "articles/-", Filter: `external_id = "hypothesis:abc"`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if anns := resp.GetAnnotations(); len(anns) != 1 || !strings.HasPrefix(anns[0].GetName(), art.GetArticle().GetName()+"/") ||
		anns[0].GetAnchor().GetQuote().GetExact() != "text" {
		t.Errorf("annotations with external id hypothesis:abc: %v", anns)
	}
	if h := srv.holds(); h.annotations != 1 {
		t.Errorf("server holds %d annotations, want 1 (the reply is not one)", h.annotations)
	}
	r = runCLI(t, srv.env(), "", "import", writeFile(t, "notes.txt", "hello\n"), "--progress", "none")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--format") {
		t.Errorf("undetectable format: %+v", r)
	}
}

// failingReader yields its data, then an error instead of EOF, as a file
// on a failing disk or a broken pipe does.
type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestImportReadError(t *testing.T) {
	srv := startServer(t)
	run := func(args ...string) result {
		return runCLIFrom(t, srv.env(), failingReader{strings.NewReader(sourceLines(2))},
			append([]string{"import", "-", "--format", "jsonl", "--progress", "none"}, args...)...)
	}
	// Atomic: half a file is not the file; nothing is written.
	r := run("--atomic")
	if h := srv.holds(); r.code != exitFailure || !strings.Contains(r.stderr, "disk on fire") || !strings.Contains(r.stderr, "nothing was written") || h.sources != 0 {
		t.Errorf("atomic: %+v; server holds %+v", r, h)
	}
	// Partial: what was read is imported and summed up.
	r = run()
	if h := srv.holds(); r.code != exitFailure || !strings.Contains(r.stderr, "disk on fire") || !strings.Contains(r.stdout, "received: 2  created: 2") || h.sources != 2 {
		t.Errorf("partial: %+v; server holds %+v", r, h)
	}
}

// TestExport exports from the real server to stdout and to a file; a
// failed export leaves the file as it was.
func TestExport(t *testing.T) {
	srv := startServer(t)
	c := srv.client()
	ctx := t.Context()
	if _, err := c.Sources().CreateSource(ctx, &factcheckv1.CreateSourceRequest{SourceId: "s", Source: &factcheckv1.Source{Url: "https://s.example/"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Articles().CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "a", Article: &factcheckv1.Article{
		Url: "https://a.example/1", Text: "The budget grew. Taxes fell.",
	}}); err != nil {
		t.Fatal(err)
	}
	for _, claim := range []struct{ quote, text string }{{"The budget grew.", "It grew."}, {"Taxes fell.", "multi\nline"}} {
		if _, err := c.Annotations().CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{Parent: "articles/a", Annotation: &factcheckv1.Annotation{
			Anchor:    &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: claim.quote}},
			Claim:     &factcheckv1.Claim{Text: claim.text},
			Citations: []*factcheckv1.Citation{{Source: "sources/s"}},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	env := srv.env()

	r := runCLI(t, env, "", "export", "--format", "webannotation")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || len(lines) != 2 {
		t.Fatalf("webannotation export to stdout: %+v", r)
	}
	for _, l := range lines {
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc["type"] != "Annotation" {
			t.Errorf("not a Web Annotation on one line: %q (%v)", l, err)
		}
	}

	r = runCLI(t, env, "", "export")
	if n := strings.Count(r.stdout, "\n"); r.code != 0 || n != 4 {
		t.Fatalf("jsonl export to stdout: %d lines, want an article, a source and 2 annotations: %+v", n, r)
	}
	jsonl := r.stdout
	out := filepath.Join(t.TempDir(), "out.jsonl")
	r = runCLI(t, env, "", "export", "-o", out)
	if b, _ := os.ReadFile(out); r.code != 0 || string(b) != jsonl || r.stdout != "" || !strings.Contains(r.stderr, "exported 4 items to "+out) {
		t.Errorf("export -o: %+v\n%s", r, b)
	}
	// A failed export leaves the previous file as it was.
	r = runCLI(t, env, "", "export", "-o", out, "--filter", "not a ( filter")
	if b, _ := os.ReadFile(out); r.code != exitFailure || !strings.Contains(r.stderr, "INVALID_ARGUMENT") || string(b) != jsonl {
		t.Errorf("failed export -o: %+v\n%s", r, b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
