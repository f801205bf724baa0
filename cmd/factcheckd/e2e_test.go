package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/internal/testdaemon"
)

// The end-to-end tests build the real factcheckd and the pinned grpcurl once,
// start the binary on a temporary bbolt file and talk to it over loopback.

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// binaries builds factcheckd, factcheck and grpcurl (at the version pinned in
// tools/go.mod) into one directory shared by every test.
func binaries(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test builds binaries; skipped with -short")
	}
	root := repoRoot(t)
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "factcheck-e2e-")
		if binErr != nil {
			return
		}
		builds := [][]string{
			{"go", "build", "-o", filepath.Join(binDir, "factcheckd"), "./cmd/factcheckd"},
			{"go", "build", "-o", filepath.Join(binDir, "factcheck"), "./cmd/factcheck"},
			{"go", "build", "-modfile=tools/go.mod", "-o", filepath.Join(binDir, "grpcurl"), "github.com/fullstorydev/grpcurl/cmd/grpcurl"},
		}
		for _, args := range builds {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				binErr = fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binDir
}

// e2eToken is the secret of the admin token the tests' daemons start with
// (FACTCHECK_BOOTSTRAP_TOKEN). A restart on the same file ignores the
// variable but keeps the admin, so the token goes on working.
const e2eToken = "fct_e2e-admin-token-for-tests-only"

// daemon is a running factcheckd.
type daemon struct {
	cmd    *exec.Cmd
	addr   string
	stderr *testdaemon.Buffer
	done   chan error
	// token is the admin secret dial sends.
	token string
}

// startDaemon starts factcheckd on db (with extraArgs), listening on a free loopback port, with
// e2eToken as its bootstrap token, and waits until it logs the address it serves on.
func startDaemon(t *testing.T, db string, extraArgs ...string) *daemon {
	t.Helper()
	d := startDaemonEnv(t, db, []string{"FACTCHECK_BOOTSTRAP_TOKEN=" + e2eToken}, extraArgs...)
	d.token = e2eToken
	return d
}

// startDaemonEnv is startDaemon with env ("KEY=value") added to the test's
// environment instead of the bootstrap token; "FACTCHECK_BOOTSTRAP_TOKEN="
// unsets it. The daemon's token is the caller's to set.
func startDaemonEnv(t *testing.T, db string, env []string, extraArgs ...string) *daemon {
	t.Helper()
	dd, err := testdaemon.Start(filepath.Join(binaries(t), "factcheckd"),
		append([]string{"--listen", "127.0.0.1:0", "--db", db}, extraArgs...), env)
	if dd != nil {
		t.Cleanup(func() {
			if dd.Cmd.ProcessState == nil {
				dd.Cmd.Process.Kill()
				<-dd.Done
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return &daemon{cmd: dd.Cmd, addr: dd.Addr, stderr: dd.Stderr, done: dd.Done}
}

// execDaemon is the command that runs factcheckd on db with args, for a
// test that expects it to refuse to start.
func execDaemon(t *testing.T, db string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(binaries(t), "factcheckd"), append([]string{"--listen", "127.0.0.1:0", "--db", db}, args...)...)
	cmd.Env = append(os.Environ(), "FACTCHECK_BOOTSTRAP_TOKEN="+e2eToken)
	return cmd
}

// stop sends SIGTERM and expects a clean exit.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("factcheckd exited with %v after SIGTERM:\n%s", err, d.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("factcheckd did not stop within 30s of SIGTERM:\n%s", d.stderr.String())
	}
}

// dial connects to addr over plaintext, sending token (when not empty) with
// every call.
func dial(t *testing.T, addr, token string) *grpc.ClientConn {
	t.Helper()
	return dialWith(t, addr, token, dialPlain())
}

// dialPlain is the plaintext transport dial uses.
func dialPlain() credentials.TransportCredentials { return insecure.NewCredentials() }

// dialWith is dial over the given transport.
func dialWith(t *testing.T, addr, token string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(token)))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// dial connects to the daemon with its admin token.
func (d *daemon) dial(t *testing.T) *grpc.ClientConn {
	t.Helper()
	return dial(t, d.addr, d.token)
}

// bearer sends a token as the server wants it. The tests talk to loopback,
// so it goes over plaintext too.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

// readmeBlock is one shell block of the README's walk-through, with what an
// HTML comment just before it (`<!-- exit 67 -->`, `<!-- background, prints
// TEXT -->`) says about it.
type readmeBlock struct {
	line     int
	script   string
	wantExit int
	// background blocks (a watch a reader runs in a second terminal) run
	// beside the blocks after them and are stopped at the end.
	background bool
	// prints is text the block's output must contain.
	prints string
}

var blockMarker = regexp.MustCompile(`^<!-- (.+) -->$`)

// tutorialSections are the README sections whose ```sh blocks a newcomer
// runs in order, and so the test runs too.
var tutorialSections = []string{"## Walk-through", "## Batch work with the factcheck CLI"}

// walkthrough returns the ```sh blocks of the README's tutorial sections.
func walkthrough(t *testing.T, readme string) []readmeBlock {
	t.Helper()
	var (
		blocks  []readmeBlock
		inSect  bool
		inBlock bool
		marks   readmeBlock
		cur     readmeBlock
		body    strings.Builder
	)
	sc := bufio.NewScanner(strings.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case inBlock && line == "```":
			inBlock = false
			cur.script = body.String()
			blocks = append(blocks, cur)
			marks = readmeBlock{}
		case inBlock:
			body.WriteString(line + "\n")
		case strings.HasPrefix(line, "## "):
			inSect = slices.Contains(tutorialSections, line)
		case !inSect:
		case blockMarker.MatchString(line):
			for _, d := range strings.Split(blockMarker.FindStringSubmatch(line)[1], ",") {
				d = strings.TrimSpace(d)
				switch {
				case d == "background":
					marks.background = true
				case strings.HasPrefix(d, "exit "):
					marks.wantExit, _ = strconv.Atoi(strings.TrimPrefix(d, "exit "))
				case strings.HasPrefix(d, "prints "):
					marks.prints = strings.TrimPrefix(d, "prints ")
				default:
					t.Fatalf("README.md:%d: unknown directive %q", n, d)
				}
			}
		case line == "```sh":
			inBlock = true
			body.Reset()
			cur = marks
			cur.line = n + 1
		}
	}
	if len(blocks) == 0 {
		t.Fatalf("README.md has no ```sh blocks under the headings %q", tutorialSections)
	}
	return blocks
}

// TestREADMEWalkthrough runs every command of the README's walk-through, as
// written, with the real grpcurl and factcheck against the real server (only
// the address is swapped for the test server's: in grpcurl's arguments, and
// through FACTCHECK_SERVER for factcheck), then restarts the server and finds
// everything again.
func TestREADMEWalkthrough(t *testing.T) {
	root := repoRoot(t)
	bin := binaries(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}

	// The README tells newcomers which grpcurl to install; it must be the
	// version the tests run.
	toolsMod, err := os.ReadFile(filepath.Join(root, "tools", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`github.com/fullstorydev/grpcurl (v\S+)`).FindSubmatch(toolsMod)
	if pinned == nil {
		t.Fatal("tools/go.mod does not pin grpcurl")
	}
	if want := "github.com/fullstorydev/grpcurl/cmd/grpcurl@" + string(pinned[1]); !bytes.Contains(readme, []byte(want)) {
		t.Errorf("README.md should install %s, the version tools/go.mod pins", want)
	}

	// The commands run where a newcomer runs them, beside testdata/, but in
	// a scratch directory so the files they write stay out of the checkout.
	// The database is there too, as ./factcheck.db is in a clone: the first
	// start writes the admin's token beside it, where the README reads it.
	work := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "testdata"), filepath.Join(work, "testdata")); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(work, "factcheck.db")
	d := startDaemonEnv(t, db, []string{"FACTCHECK_BOOTSTRAP_TOKEN="})
	d.token = readTokenFile(t, db+".bootstrap-token")
	type running struct {
		b   readmeBlock
		cmd *exec.Cmd
		out *testdaemon.Buffer
	}
	var background []running
	// The blocks run as in one terminal: what one exports (the tokens), the
	// ones after it see. Each block leaves its environment in envFile.
	// FACTCHECK_TOKEN starts empty, so only the README's own export can
	// make the calls work.
	envFile := filepath.Join(t.TempDir(), "env")
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FACTCHECK_SERVER="+d.addr, "FACTCHECK_TOKEN=", "E2E_ENV_FILE="+envFile)
	for _, b := range walkthrough(t, string(readme)) {
		script := "trap 'env -0 >\"$E2E_ENV_FILE\"' EXIT\n" + strings.ReplaceAll(b.script, "127.0.0.1:50051", d.addr)
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Dir = work
		cmd.Env = env
		if b.background {
			out := &testdaemon.Buffer{}
			cmd.Stdout, cmd.Stderr = out, out
			// Its own process group, so stopping it stops grpcurl too.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			background = append(background, running{b, cmd, out})
			t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
			continue
		}
		os.Remove(envFile)
		out, err := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		env = readEnv(t, envFile, env)
		if code != b.wantExit {
			t.Fatalf("README.md:%d exited %d (%v), want %d\n--- script\n%s--- output\n%s", b.line, code, err, b.wantExit, b.script, out)
		}
		if !strings.Contains(string(out), b.prints) {
			t.Fatalf("README.md:%d should print %q; it printed:\n%s", b.line, b.prints, out)
		}
		t.Logf("README.md:%d ok (exit %d)", b.line, code)
	}
	for _, r := range background {
		// A background block is a reader's second terminal: what it shows
		// may arrive a little after the command that caused it.
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(r.out.String(), r.b.prints) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(r.out.String(), r.b.prints) {
			t.Errorf("README.md:%d (in the background) should print %q; it printed:\n%s", r.b.line, r.b.prints, r.out.String())
		}
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	}
	checkExports(t, work)

	checkWalkthroughState := func(addr string) {
		t.Helper()
		conn := dial(t, addr, d.token)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		art, err := factcheckv1.NewArticleServiceClient(conn).GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: "articles/shafaq-talks"})
		if err != nil {
			t.Fatal(err)
		}
		// The README's correction dropped the year from the quoted claim:
		// the annotation was re-anchored as FUZZY onto the corrected words,
		// keeping where it was and what it quoted.
		const (
			quote     = "talks between Baghdad and Washington on the issue of US military presence have been ongoing even before the attack launched by Hamas on Israel on October 7, 2023"
			corrected = "talks between Baghdad and Washington on the issue of US military presence have been ongoing even before the attack launched by Hamas on Israel on October 7"
		)
		text := art.GetArticle().GetText()
		if art.GetArticle().GetRevision() != 2 || strings.Contains(text, quote) || !strings.Contains(text, corrected) {
			t.Fatalf("article revision %d does not hold the README's correction", art.GetArticle().GetRevision())
		}
		i := strings.Index(text, corrected)
		wantStart := int32(utf8.RuneCountInString(text[:i]))
		resp, err := factcheckv1.NewAnnotationServiceClient(conn).ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{
			Parent: "articles/shafaq-talks", Filter: `citations.source = "sources/wapo-talks" AND anchor.status = STATUS_FUZZY`,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetAnnotations()) != 1 {
			t.Fatalf("want 1 fuzzy annotation citing sources/wapo-talks, got %d", len(resp.GetAnnotations()))
		}
		anc := resp.GetAnnotations()[0].GetAnchor()
		pos := anc.GetPosition()
		if pos.GetStart() != wantStart || anc.GetFoundText() != corrected || anc.GetQuote().GetExact() != quote {
			t.Errorf("anchor = [%d,%d) found %q quote %q; want [%d,…) found the corrected words, quote as annotated",
				pos.GetStart(), pos.GetEnd(), anc.GetFoundText(), anc.GetQuote().GetExact(), wantStart)
		}
		if prev := anc.GetPreviousPosition(); prev.GetEnd()-prev.GetStart() != int32(utf8.RuneCountInString(quote)) {
			t.Errorf("previous position %v does not span the original quote", prev)
		}
		if _, err := factcheckv1.NewSourceServiceClient(conn).GetSource(ctx, &factcheckv1.GetSourceRequest{Name: "sources/wapo-talks"}); err != nil {
			t.Fatal(err)
		}
		// The review: Rana wrote it, Omar published it, and the audit log
		// that recorded them is whole.
		ann, err := factcheckv1.NewAnnotationServiceClient(conn).GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: "articles/shafaq-talks/annotations/not-about-withdrawal"})
		if err != nil {
			t.Fatal(err)
		}
		if got := ann.GetAnnotation(); got.GetState() != factcheckv1.Annotation_STATE_PUBLISHED || got.GetAuthor() != "reviewers/rana" {
			t.Errorf("the reviewed annotation is %v by %q, want STATE_PUBLISHED by reviewers/rana", got.GetState(), got.GetAuthor())
		}
		audit := factcheckv1.NewAuditServiceClient(conn)
		entries, err := audit.ListAuditEntries(ctx, &factcheckv1.ListAuditEntriesRequest{Filter: `resource = "articles/shafaq-talks/annotations/not-about-withdrawal"`})
		if err != nil {
			t.Fatal(err)
		}
		var actors []string
		for _, e := range entries.GetAuditEntries() {
			actors = append(actors, e.GetActor()+" "+e.GetMethod())
		}
		if want := []string{
			"reviewers/rana /factcheck.v1.AnnotationService/CreateAnnotation",
			"reviewers/rana /factcheck.v1.AnnotationService/SubmitAnnotation",
			"reviewers/omar /factcheck.v1.AnnotationService/PublishAnnotation",
		}; !slices.Equal(actors, want) {
			t.Errorf("audit entries of the reviewed annotation:\n%s\nwant\n%s", strings.Join(actors, "\n"), strings.Join(want, "\n"))
		}
		v, err := audit.VerifyAuditLog(ctx, &factcheckv1.VerifyAuditLogRequest{})
		if err != nil || !v.GetValid() {
			t.Errorf("VerifyAuditLog: %v, %v", v, err)
		}
	}
	checkWalkthroughState(d.addr)

	// Everything survives a restart on the same file, and the token with it.
	d.stop(t)
	d2 := startDaemonEnv(t, db, []string{"FACTCHECK_BOOTSTRAP_TOKEN="})
	checkWalkthroughState(d2.addr)
	d2.stop(t)
}

// readTokenFile returns the secret in a bootstrap token file.
func readTokenFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// readEnv reads the environment a walk-through block left in file (as env
// -0 prints it), without what bash sets for itself; when the block left
// none, it returns prev.
func readEnv(t *testing.T, file string, prev []string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return prev
	}
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for kv := range strings.SplitSeq(strings.TrimSuffix(string(b), "\x00"), "\x00") {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "_", "SHLVL", "PWD", "OLDPWD":
		default:
			env = append(env, kv)
		}
	}
	return env
}

// TestSecondServerOnSameFile: a second factcheckd on a file in use exits at
// once, saying why, instead of hanging on the lock.
func TestSecondServerOnSameFile(t *testing.T) {
	bin := binaries(t)
	db := filepath.Join(t.TempDir(), "factcheck.db")
	first := startDaemon(t, db)

	cmd := exec.Command(filepath.Join(bin, "factcheckd"), "--listen", "127.0.0.1:0", "--db", db)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	if cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("second factcheckd: %v, want exit status 1\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "in use") {
		t.Errorf("second factcheckd should say the file is in use; it said:\n%s", stderr.String())
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("second factcheckd took %v to give up", took)
	}

	// The first one is unharmed.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(first.dial(t)).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first server health: %v, %v", resp, err)
	}
	first.stop(t)
}

// TestWalkthroughRequestMatchesSample keeps the README's request file in step
// with the sample article it wraps.
func TestWalkthroughRequestMatchesSample(t *testing.T) {
	root := repoRoot(t)
	var req struct {
		ArticleID string          `json:"articleId"`
		Article   json.RawMessage `json:"article"`
	}
	readJSON(t, filepath.Join(root, "testdata", "shafaq-create-article.json"), &req)
	var got, want map[string]any
	if err := json.Unmarshal(req.Article, &got); err != nil {
		t.Fatal(err)
	}
	readJSON(t, filepath.Join(root, "testdata", "shafaq-talks.article.json"), &want)
	if !reflect.DeepEqual(got, want) {
		t.Error("testdata/shafaq-create-article.json's article differs from testdata/shafaq-talks.article.json")
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestCompactCommand: `factcheckd compact` refuses a database in use, and on
// a stopped one keeps every record.
func TestCompactCommand(t *testing.T) {
	bin := binaries(t)
	db := filepath.Join(t.TempDir(), "factcheck.db")
	// Deletes are soft: a short retention lets the next start's sweep purge
	// them, so that compaction has free pages to reclaim.
	d := startDaemon(t, db, "--retention", "1ms")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	articles := factcheckv1.NewArticleServiceClient(d.dial(t))
	for i := range 30 {
		a, err := articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
			Url: fmt.Sprintf("https://news.example/%d", i), Text: strings.Repeat("word ", 20_000)}})
		if err != nil {
			t.Fatal(err)
		}
		if i%3 != 0 {
			if _, err := articles.DeleteArticle(ctx, &factcheckv1.DeleteArticleRequest{Name: a.GetArticle().GetName()}); err != nil {
				t.Fatal(err)
			}
		}
	}

	out, err := exec.Command(filepath.Join(bin, "factcheckd"), "compact", "--db", db).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Fatalf("compact of a database in use: %v\n%s", err, out)
	}
	d.stop(t)
	time.Sleep(10 * time.Millisecond) // past the retention
	purging := startDaemon(t, db, "--retention", "1ms")
	purging.stop(t)

	out, err = exec.Command(filepath.Join(bin, "factcheckd"), "compact", "--db", db).CombinedOutput()
	if err != nil {
		t.Fatalf("compact: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`compacted .*: (\d+) → (\d+) bytes`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("compact output: %s", out)
	}
	before, _ := strconv.Atoi(m[1])
	after, _ := strconv.Atoi(m[2])
	if after >= before {
		t.Errorf("compaction of a database with 20 purged articles did not shrink it: %s", out)
	}
	d2 := startDaemon(t, db)
	resp, err := factcheckv1.NewArticleServiceClient(d2.dial(t)).ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetArticles()) != 10 {
		t.Errorf("%d articles after compaction, want 10", len(resp.GetArticles()))
	}
	d2.stop(t)
}

// checkExports looks inside the files the README's export commands wrote:
// one JSON document per line, of the kind each format promises.
func checkExports(t *testing.T, dir string) {
	t.Helper()
	for file, want := range map[string]string{
		"newsroom.jsonl":               `"annotation"`,
		"newsroom.webannotation.jsonl": `"type":"Annotation"`,
		"newsroom.claimreview.jsonl":   `"@type":"ClaimReview"`,
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Error(err)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		found := false
		for i, line := range lines {
			if !json.Valid([]byte(line)) {
				t.Errorf("%s:%d is not one JSON document", file, i+1)
			}
			found = found || strings.Contains(line, want)
		}
		if !found {
			t.Errorf("%s holds no %s", file, want)
		}
	}
}

// TestShutdownEndsWatches: SIGTERM ends open WatchChanges streams with
// UNAVAILABLE (and where to resume) instead of waiting out the shutdown
// timeout for clients that never leave.
func TestShutdownEndsWatches(t *testing.T) {
	d := startDaemon(t, filepath.Join(t.TempDir(), "factcheck.db"), "--shutdown-timeout", "60s")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn := d.dial(t)
	if _, err := factcheckv1.NewArticleServiceClient(conn).CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{Url: "https://news.example/1", Text: "text"}}); err != nil {
		t.Fatal(err)
	}
	watch, err := factcheckv1.NewChangeServiceClient(conn).WatchChanges(ctx, &factcheckv1.WatchChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Recv(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d.stop(t)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("stopping with an open watch took %v", took)
	}
	_, err = watch.Recv()
	if status.Code(err) != codes.Unavailable {
		t.Errorf("open watch ended with %v, want UNAVAILABLE", err)
	}
}
