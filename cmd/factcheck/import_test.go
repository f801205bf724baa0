package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// brokenInput has good records, lines that cannot be read (3 and 8), and
// records the fake server refuses (5 and 6: articles without url).
const brokenInput = `{"source": {"url": "https://s.example/1"}}
{"article": {"url": "https://a.example/1", "text": "Some text."}}
{"article": {"url": "https://a.example/2", "text": "unterminated
` + `
{"article": {"title": "no url"}}
{"article": {"title": "no url either"}}
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

func TestImportReportsFailedLines(t *testing.T) {
	fake := newFakeBulk()
	env := map[string]string{envServer: fakeBulkServer(t, fake)}
	in := writeFile(t, "in.jsonl", brokenInput)
	report := in + reportSuffix

	// Two records per message, so that indexes cross messages.
	r := runCLI(t, env, "", "import", in, "--batch", "2", "--progress", "none")
	if r.code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"line 3: INVALID_ARGUMENT: ",
		"[UNREADABLE_RECORD]",
		"line 5: INVALID_ARGUMENT: article.url: required [FIELD_REQUIRED]",
		"line 6: INVALID_ARGUMENT: article.url: required [FIELD_REQUIRED]",
		"line 8: INVALID_ARGUMENT: ",
		"received: 5  created: 3  existing: 0  failed: 4 (2 unreadable, not sent)",
		"failures written to " + report,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	got := readReport(t, report)
	if fmt.Sprint(reportLines(got)) != "[3 5 6 8]" {
		t.Errorf("report lines %v, want [3 5 6 8]", reportLines(got))
	}
	if f := got[1]; f.Index == nil || *f.Index != 2 || f.Code != "INVALID_ARGUMENT" || f.Reason != "FIELD_REQUIRED" ||
		len(f.Violations) != 1 || f.Violations[0].Field != "article.url" {
		t.Errorf("report of line 5: %+v", f)
	}
	if got[0].Index != nil {
		t.Errorf("an unreadable line has an index: %+v", got[0])
	}

	// Rerun: nothing created twice, the same failures.
	r = runCLI(t, env, "", "import", in, "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stdout, "created: 0  existing: 3  failed: 4") {
		t.Errorf("rerun: %+v", r)
	}
	if fake.names() != 3 {
		t.Errorf("server has %d records, want 3", fake.names())
	}

	// Fixed input: exit 0 and the stale report is gone.
	var good []string
	for i, l := range strings.Split(brokenInput, "\n") {
		if n := i + 1; n != 3 && n != 5 && n != 6 && n != 8 {
			good = append(good, l)
		}
	}
	os.WriteFile(in, []byte(strings.Join(good, "\n")), 0o644)
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
	env := map[string]string{envServer: fakeBulkServer(t, newFakeBulk())}
	dir := t.TempDir()
	r := runCLI(t, env, brokenInput, "import", "-", "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stdout, "line 5:") || strings.Contains(r.stdout, "failures written") {
		t.Errorf("stdin: %+v", r)
	}
	rep := filepath.Join(dir, "r.jsonl")
	r = runCLI(t, env, brokenInput, "import", "-", "--progress", "none", "--report", rep)
	if r.code != exitFailure || len(readReport(t, rep)) != 4 {
		t.Errorf("stdin with --report: %+v", r)
	}
}

func TestImportAtomic(t *testing.T) {
	fake := newFakeBulk()
	env := map[string]string{envServer: fakeBulkServer(t, fake)}

	// A line that cannot be read abandons the stream: nothing is written.
	in := writeFile(t, "in.jsonl", "{\"source\": {\"url\": \"https://s.example/1\"}}\nnope\n{\"source\": {\"url\": \"https://s.example/2\"}}\n")
	r := runCLI(t, env, "", "import", in, "--atomic", "--progress", "none", "--batch", "1")
	if r.code != exitFailure || !strings.Contains(r.stderr, "atomic import abandoned") || !strings.Contains(r.stdout, "line 2:") {
		t.Errorf("atomic with unreadable line: %+v", r)
	}
	// A record the server refuses rolls the others back.
	in = writeFile(t, "in2.jsonl", "{\"source\": {\"url\": \"https://s.example/1\"}}\n{\"article\": {}}\n")
	r = runCLI(t, env, "", "import", in, "--atomic", "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stdout, "rolled back: 1") || !strings.Contains(r.stdout, "nothing written") {
		t.Errorf("atomic with refused record: %+v", r)
	}
	if fake.names() != 0 {
		t.Errorf("atomic imports wrote %d records", fake.names())
	}
	// --validate-only writes nothing either, and succeeds on good input.
	in = writeFile(t, "in3.jsonl", "{\"source\": {\"url\": \"https://s.example/1\"}}\n")
	r = runCLI(t, env, "", "import", in, "--validate-only", "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "--validate-only") || fake.names() != 0 {
		t.Errorf("validate-only: %+v", r)
	}
}

func TestImportEmptyFile(t *testing.T) {
	env := map[string]string{envServer: fakeBulkServer(t, newFakeBulk())}
	r := runCLI(t, env, "", "import", writeFile(t, "empty.jsonl", ""), "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "received: 0") {
		t.Errorf("empty file: %+v", r)
	}
}

func TestImportServerGoesAway(t *testing.T) {
	fake := newFakeBulk()
	fake.failAfter = 10
	env := map[string]string{envServer: fakeBulkServer(t, fake)}
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "{\"source\": {\"url\": \"https://s.example/%d\"}}\n", i)
	}
	in := writeFile(t, "in.jsonl", b.String())
	r := runCLI(t, env, "", "import", in, "--progress", "none", "--batch", "5")
	if r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") || !strings.Contains(r.stderr, "run it again") ||
		!strings.Contains(r.stdout, "incomplete") || !regexp.MustCompile(`sent: \d+  created: 10  existing: 0  failed: 0  unconfirmed: [1-9]\d*`).MatchString(r.stdout) {
		t.Errorf("interrupted import: %+v", r)
	}
	fake.failAfter = 0
	r = runCLI(t, env, "", "import", in, "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "created: 90  existing: 10") {
		t.Errorf("rerun: %+v", r)
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
	var out syncWriter
	p := &progress{quit: make(chan struct{}), done: make(chan struct{})}
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	go p.lines(&out, "in.jsonl", 1000, &c, now)
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

func TestExport(t *testing.T) {
	fake := newFakeBulk()
	doc, _ := structpb.NewStruct(map[string]any{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "body": "multi\nline"})
	fake.exported = []*factcheckv1.ExportResponse{
		{Item: &factcheckv1.ExportResponse_Record{Record: &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Source{Source: &factcheckv1.Source{Url: "https://s.example/"}}}}},
		{Item: &factcheckv1.ExportResponse_Document{Document: doc}},
	}
	env := map[string]string{envServer: fakeBulkServer(t, fake)}
	r := runCLI(t, env, "", "export", "--format", "webannotation")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || len(lines) != 2 {
		t.Fatalf("export to stdout: %+v", r)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("not a JSON line: %q", l)
		}
	}

	out := filepath.Join(t.TempDir(), "out.jsonl")
	r = runCLI(t, env, "", "export", "-o", out)
	if b, _ := os.ReadFile(out); r.code != 0 || string(b) != r.stdout+strings.Join(lines, "\n")+"\n" {
		t.Errorf("export -o: %+v\n%s", r, b)
	}
	// A failed export leaves the previous file as it was.
	r = runCLI(t, env, "", "export", "-o", out, "--filter", "fail")
	if b, _ := os.ReadFile(out); r.code != exitFailure || string(b) != strings.Join(lines, "\n")+"\n" {
		t.Errorf("failed export -o: %+v\n%s", r, b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// syncWriter is a strings.Builder safe for a writer and a reader.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
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
	out := &syncWriter{}
	a := &app{stderr: out, stderrIsTTY: true}
	c.bytesRead.Store(500)
	c.sent.Store(3)
	c.failed.Store(1)
	p := a.startProgress("auto", "in.jsonl", 1000, &c)
	waitFor(t, func() bool { return strings.Contains(out.String(), "in.jsonl: 3 sent, 1 done, 1 failed  50%") })
	p.stop()
	if !strings.Contains(out.String(), "\r") {
		t.Errorf("bar output %q", out.String())
	}
	// Not a terminal: lines, never a carriage return.
	out = &syncWriter{}
	a.stderr, a.stderrIsTTY = out, false
	p = a.startProgress("auto", "in.jsonl", 1000, &c)
	waitFor(t, func() bool { return strings.Contains(out.String(), "\n") })
	p.stop()
	if strings.Contains(out.String(), "\r") {
		t.Errorf("progress lines with a carriage return: %q", out.String())
	}
}

// TestImportDetectsForeignFormats: a Hypothesis search response is told
// apart by its content, its reply is skipped (not a failure), and its
// annotation goes to the server as an annotation record.
func TestImportDetectsForeignFormats(t *testing.T) {
	fake := newFakeBulk()
	env := map[string]string{envServer: fakeBulkServer(t, fake)}
	in := writeFile(t, "export.json", `{"total": 2, "rows": [
  {"id": "abc", "uri": "https://a.example/1", "user": "acct:someone@hypothes.is", "text": "Not so.", "tags": ["false"],
   "target": [{"source": "https://a.example/1", "selector": [{"type": "TextQuoteSelector", "exact": "text"}]}]},
  {"id": "def", "uri": "https://a.example/1", "user": "acct:other@hypothes.is", "text": "A reply.", "references": ["abc"],
   "target": [{"source": "https://a.example/1"}]}
]}
`)
	r := runCLI(t, env, "", "import", in, "--progress", "none")
	if r.code != 0 || !strings.Contains(r.stdout, "received: 1  created: 1") || !strings.Contains(r.stdout, "skipped: 1") {
		t.Errorf("hypothesis import: %+v", r)
	}
	if _, ok := fake.seen["ext:hypothesis:abc"]; !ok {
		t.Errorf("server got %v", fake.seen)
	}
	r = runCLI(t, env, "", "import", writeFile(t, "notes.txt", "hello\n"), "--progress", "none")
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
	fake := newFakeBulk()
	addr := fakeBulkServer(t, fake)
	run := func(args ...string) result {
		var stdout, stderr bytes.Buffer
		a := &app{
			stdin:  failingReader{strings.NewReader("{\"source\": {\"url\": \"https://s.example/1\"}}\n{\"source\": {\"url\": \"https://s.example/2\"}}\n")},
			stdout: &stdout,
			stderr: &stderr,
			getenv: func(k string) string { return map[string]string{envServer: addr}[k] },
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		code := a.run(ctx, append([]string{"import", "-", "--format", "jsonl", "--progress", "none"}, args...))
		return result{code, stdout.String(), stderr.String()}
	}
	// Atomic: half a file is not the file; nothing is written.
	r := run("--atomic")
	if r.code != exitFailure || !strings.Contains(r.stderr, "disk on fire") || !strings.Contains(r.stderr, "nothing was written") || fake.names() != 0 {
		t.Errorf("atomic: %+v; server has %d", r, fake.names())
	}
	// Partial: what was read is imported and summed up.
	r = run()
	if r.code != exitFailure || !strings.Contains(r.stderr, "disk on fire") || !strings.Contains(r.stdout, "received: 2  created: 2") || fake.names() != 2 {
		t.Errorf("partial: %+v; server has %d", r, fake.names())
	}
}
