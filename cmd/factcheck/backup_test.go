package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/internal/testdaemon"
)

// restoredServer serves the database file at path, as factcheckd --db
// path would.
func restoredServer(t *testing.T, path string) *testServer {
	t.Helper()
	s := &testServer{t: t, path: path}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// TestBackup: a backup of the real server opens as a database that holds
// what the server held; an existing file is kept unless --force.
func TestBackup(t *testing.T) {
	srv := startServer(t)
	env := srv.env()
	in := writeFile(t, "in.jsonl", brokenInput)
	runCLI(t, env, "", "import", in, "--progress", "none")
	want := srv.holds()
	if want != (holdings{articles: 1, sources: 1, annotations: 1}) {
		t.Fatalf("server holds %+v before the backup", want)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "backup.db")
	r := runCLI(t, env, "", "backup", file, "--progress", "none")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("backup: %+v", r)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^backed up (\d+) bytes \([\d.]+ KiB\) to (.*)\nto restore, start the server on it: factcheckd --db (.*)\n$`).FindStringSubmatch(r.stdout)
	if m == nil || m[1] != itoa(fi.Size()) || m[2] != file || m[3] != file {
		t.Errorf("backup of %d bytes said:\n%s", fi.Size(), r.stdout)
	}
	// The whole database: it is not for everyone to read.
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("backup file mode %v, want 0600", perm)
	}
	assertNoTemp(t, dir)

	// Writes after the backup are not in it.
	later := strings.ReplaceAll(sourceLines(3), "s.example", "later.example")
	if r := runCLI(t, env, later, "import", "-", "--progress", "none"); r.code != 0 {
		t.Fatalf("import after the backup: %+v", r)
	}

	// An existing file stays unless --force.
	r = runCLI(t, env, "", "backup", file, "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stderr, "exists; use --force") || r.stdout != "" {
		t.Errorf("backup over an existing file: %+v", r)
	}
	if fi2, err := os.Stat(file); err != nil || !fi2.ModTime().Equal(fi.ModTime()) || fi2.Size() != fi.Size() {
		t.Errorf("the existing file changed: %v, %v", fi2, err)
	}
	restored := restoredServer(t, file)
	if got := restored.holds(); got != want {
		t.Errorf("the backup holds %+v, want %+v", got, want)
	}
	resp, err := restored.client().Articles().ListArticles(t.Context(), &factcheckv1.ListArticlesRequest{Filter: `url = "https://a.example/1"`, View: factcheckv1.ArticleView_ARTICLE_VIEW_FULL})
	if err != nil || len(resp.GetArticles()) != 1 || resp.GetArticles()[0].GetText() != "Some text." {
		t.Errorf("the backup's article: %v, %v", resp.GetArticles(), err)
	}
	restored.stop()

	r = runCLI(t, env, "", "backup", file, "--force", "--progress", "none")
	if r.code != 0 {
		t.Fatalf("backup --force: %+v", r)
	}
	assertNoTemp(t, dir)
	if got := restoredServer(t, file).holds(); got.sources != want.sources+3 {
		t.Errorf("the replaced backup holds %+v, want the 3 sources imported since", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestBackupFails: without a server, with a bad file name or with the
// server gone in the middle, nothing is left under the file's name or
// beside it.
func TestBackupFails(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "backup.db")

	r := runCLI(t, map[string]string{envServer: "127.0.0.1:1"}, "", "backup", file, "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") {
		t.Errorf("no server: %+v", r)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed backup left %s: %v", file, err)
	}
	assertNoTemp(t, dir)

	for _, args := range [][]string{{"backup"}, {"backup", "-"}, {"backup", file, "--progress", "dots"}} {
		if r := runCLI(t, nil, "", args...); r.code != exitUsage {
			t.Errorf("%q: %+v, want exit 2", args, r)
		}
	}
	if r := runCLI(t, nil, "", "backup", dir, "--force"); r.code != exitFailure || !strings.Contains(r.stderr, "is a directory") {
		t.Errorf("backup onto a directory: %+v", r)
	}

	// Not even --force replaces the database the server is running on.
	srv := startServer(t)
	live, err := os.ReadFile(srv.path)
	if err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, srv.env(), "", "backup", srv.path, "--force", "--progress", "none")
	if r.code != exitFailure || !strings.Contains(r.stderr, "in use by a running server") {
		t.Errorf("backup onto the live database: %+v", r)
	}
	if now, err := os.ReadFile(srv.path); err != nil || !bytes.Equal(now, live) {
		t.Errorf("the live database changed: %v", err)
	}
	assertNoTemp(t, filepath.Dir(srv.path))

	// A database of several 1 MiB chunks; the server stops once the first
	// has gone out, and with it the backup.
	c := srv.client()
	for i := range 4 {
		if _, err := c.Articles().CreateArticle(t.Context(), &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
			Url: "https://a.example/" + itoa(int64(i)), Text: strings.Repeat("word ", 200_000),
		}}); err != nil {
			t.Fatal(err)
		}
	}
	px := holdAfter(t, srv.addr, 3<<19)
	done := make(chan result, 1)
	go func() {
		done <- runCLI(t, map[string]string{envServer: px.addr, envToken: testToken}, "", "backup", file, "--progress", "none")
	}()
	select {
	case <-px.held:
	case r := <-done:
		t.Fatalf("the backup ended before 1.5 MiB went through: %+v", r)
	}
	// The first chunk is on disk by now, under a temporary name.
	waitFor(t, func() bool {
		left, _ := filepath.Glob(filepath.Join(dir, ".*tmp"))
		if len(left) != 1 {
			return false
		}
		fi, err := os.Stat(left[0])
		return err == nil && fi.Size() >= 1<<20
	})
	srv.stop()
	px.release()
	r = <-done
	if r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") || r.stdout != "" {
		t.Errorf("server gone mid-backup: %+v", r)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an interrupted backup left %s: %v", file, err)
	}
	assertNoTemp(t, dir)
}

// proxy is a TCP relay in front of a real server that stops relaying the
// server's bytes after a given count until released, so a test can stop
// the server at a known point of a stream.
type proxy struct {
	addr     string
	held     chan struct{} // closed once the count is reached
	released chan struct{}
	once     sync.Once
}

func (p *proxy) release() { p.once.Do(func() { close(p.released) }) }

func holdAfter(t *testing.T, target string, n int64) *proxy {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: lis.Addr().String(), held: make(chan struct{}), released: make(chan struct{})}
	var (
		wg      sync.WaitGroup
		relayed atomic.Int64
		heldNow sync.Once
	)
	t.Cleanup(func() {
		p.release()
		lis.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			down, err := lis.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				down.Close()
				continue
			}
			closeBoth := func() { up.Close(); down.Close() }
			wg.Go(func() { io.Copy(up, down); closeBoth() })
			wg.Go(func() {
				defer closeBoth()
				buf := make([]byte, 32<<10)
				for {
					k, err := up.Read(buf)
					if k > 0 {
						if relayed.Add(int64(k)) >= n {
							heldNow.Do(func() { close(p.held) })
							<-p.released
						}
						if _, werr := down.Write(buf[:k]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	return p
}

func TestBackupProgress(t *testing.T) {
	for _, tc := range []struct {
		total, n int64
		want     string
	}{
		{40 << 20, 16 << 20, "backup b.db: 40% (16.0 MiB of 40.0 MiB)"},
		{0, 1536, "backup b.db: 1.5 KiB"},
	} {
		if got := backupProgressLine("b.db", tc.total, tc.n); got != tc.want {
			t.Errorf("backupProgressLine(%d, %d) = %q, want %q", tc.total, tc.n, got, tc.want)
		}
	}
	var got atomic.Int64
	var out testdaemon.Buffer
	p := &progress{quit: make(chan struct{}), done: make(chan struct{})}
	go p.lines(&out, backupMeter("b.db", 1000, &got), time.Now)
	got.Store(500)
	waitFor(t, func() bool { return strings.Contains(out.String(), "backup b.db: 50% (500 B of 1000 B)\n") })
	p.stop()

	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 5 << 30: "5.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for in, want := range map[string]string{"backup.db": "backup.db", "/var/x-1.db": "/var/x-1.db", "my backup.db": "'my backup.db'", "it's.db": `'it'\''s.db'`} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
