package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/client"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// result is the outcome of one in-process run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command in-process with the given environment.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	return runCLIFrom(t, env, strings.NewReader(stdin), args...)
}

// runCLIFrom is runCLI with any reader as stdin: a pipe the test feeds, or
// one that fails.
func runCLIFrom(t *testing.T, env map[string]string, stdin io.Reader, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{
		stdin:  stdin,
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return env[k] },
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	code := a.run(ctx, args)
	return result{code, stdout.String(), stderr.String()}
}

// testToken is the secret of the admin token every test server starts
// with, as factcheckd does with FACTCHECK_BOOTSTRAP_TOKEN. A server started
// again on the same file, or on a backup of it, keeps that admin, so the
// token goes on working.
const testToken = "fct_cli-test-admin-token-0123456789"

// testServer is the real server over a real bbolt file, which a test may
// stop in the middle of a call and start again on the same file.
type testServer struct {
	t    *testing.T
	path string
	// tls, when set, is the server's TLS configuration.
	tls *tls.Config

	st   *boltstore.Store
	srv  *grpc.Server
	addr string
	done chan struct{}

	cl     *client.Client
	clAddr string
}

// startServer starts the real server over a fresh file in t.TempDir();
// it stops when the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	s := &testServer{t: t, path: filepath.Join(t.TempDir(), "factcheck.db")}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// startTLSServer is startServer serving TLS with cfg.
func startTLSServer(t *testing.T, cfg *tls.Config) *testServer {
	t.Helper()
	s := &testServer{t: t, path: filepath.Join(t.TempDir(), "factcheck.db"), tls: cfg}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start (re)opens the file and serves it on a new port.
func (s *testServer) start() {
	s.t.Helper()
	st, err := boltstore.Open(s.path, boltstore.Options{NoSync: true})
	if err != nil {
		s.t.Fatal(err)
	}
	ctx := store.WithWriteInfo(s.t.Context(), store.WriteInfo{Actor: "system/bootstrap"})
	if _, err := st.BootstrapReviewer(ctx, &store.Reviewer{ID: "admin", Role: store.RoleAdmin},
		&store.Token{ReviewerID: "admin", DisplayName: "bootstrap", SecretHash: server.HashSecret(testToken)}); err != nil {
		st.Close()
		s.t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		s.t.Fatal(err)
	}
	s.st, s.addr, s.done = st, lis.Addr().String(), make(chan struct{})
	s.srv = server.New(st, server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TLS: s.tls})
	go func(srv *grpc.Server, done chan struct{}) { defer close(done); _ = srv.Serve(lis) }(s.srv, s.done)
}

// stop drops every connection and call at once, as a crashing or killed
// server does to its clients, then closes the file.
func (s *testServer) stop() {
	if s.srv == nil {
		return
	}
	s.srv.Stop()
	<-s.done
	if err := s.st.Close(); err != nil {
		s.t.Error(err)
	}
	s.srv, s.st = nil, nil
}

// env is the environment of a CLI run against the server, as its admin.
func (s *testServer) env() map[string]string {
	return map[string]string{envServer: s.addr, envToken: testToken}
}

// client is a client of the server, for a test to look at what it holds;
// one per address, as a test polling holds would otherwise pile up
// connections.
func (s *testServer) client() *client.Client {
	s.t.Helper()
	if s.cl != nil && s.clAddr == s.addr {
		return s.cl
	}
	c, err := client.New(s.t.Context(), s.addr, client.WithToken(testToken))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	s.cl, s.clAddr = c, s.addr
	return c
}

// holdings are the records a server holds, by kind.
type holdings struct{ articles, sources, annotations int }

// holds counts what the server holds, through the API.
func (s *testServer) holds() holdings {
	s.t.Helper()
	c := s.client()
	ctx := s.t.Context()
	var h holdings
	for token := ""; ; {
		resp, err := c.Articles().ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			s.t.Fatal(err)
		}
		h.articles += len(resp.GetArticles())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	for token := ""; ; {
		resp, err := c.Sources().ListSources(ctx, &factcheckv1.ListSourcesRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			s.t.Fatal(err)
		}
		h.sources += len(resp.GetSources())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	for token := ""; ; {
		resp, err := c.Annotations().ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", PageSize: 1000, PageToken: token})
		if err != nil {
			s.t.Fatal(err)
		}
		h.annotations += len(resp.GetAnnotations())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	return h
}

func TestGlobalFlagPrecedence(t *testing.T) {
	tests := []struct {
		name                string
		env                 map[string]string
		args                []string
		wantServer, wantTok string
	}{
		{"defaults", nil, nil, defaultServer, ""},
		{"env", map[string]string{envServer: "env:1", envToken: "envtok"}, nil, "env:1", "envtok"},
		{"flag beats env", map[string]string{envServer: "env:1", envToken: "envtok"},
			[]string{"--server", "flag:1", "--token", "flagtok"}, "flag:1", "flagtok"},
		{"flag alone", nil, []string{"--server=flag:1"}, "flag:1", ""},
		{"empty env is unset", map[string]string{envServer: "", envToken: ""}, nil, defaultServer, ""},
		// An explicitly empty --token turns off the environment's token.
		{"empty flag beats env", map[string]string{envToken: "envtok"}, []string{"--token="}, defaultServer, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &app{getenv: func(k string) string { return tt.env[k] }}
			root := a.rootCommand()
			if err := root.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := a.resolveGlobals(root); err != nil {
				t.Fatal(err)
			}
			if a.global.server != tt.wantServer || a.global.token != tt.wantTok {
				t.Errorf("server, token = %q, %q; want %q, %q", a.global.server, a.global.token, tt.wantServer, tt.wantTok)
			}
		})
	}
}

func TestTLSOptions(t *testing.T) {
	if (globalFlags{}).useTLS() {
		t.Error("TLS without any TLS option")
	}
	for _, g := range []globalFlags{{tls: true}, {tlsCA: "ca.pem"}, {tlsCert: "c.pem", tlsKey: "k.pem"}} {
		if !g.useTLS() {
			t.Errorf("%+v: not TLS", g)
		}
	}
	if cfg, err := (globalFlags{}).tlsConfig(); cfg != nil || err != nil {
		t.Errorf("no TLS option: %v, %v", cfg, err)
	}
	cfg, err := (globalFlags{tls: true}).tlsConfig()
	if err != nil || cfg == nil || cfg.RootCAs != nil || cfg.MinVersion < tls.VersionTLS12 {
		t.Errorf("--tls: %v, %v", cfg, err)
	}
	if _, err := (globalFlags{tlsCA: filepath.Join(t.TempDir(), "missing.pem")}).tlsConfig(); err == nil {
		t.Error("missing --tls-ca file accepted")
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not pem"), 0o600)
	if _, err := (globalFlags{tlsCA: empty}).tlsConfig(); err == nil {
		t.Error("--tls-ca without certificates accepted")
	}
	r := runCLI(t, nil, "", "--tls-cert", "c.pem", "get", "articles/x")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--tls-key") {
		t.Errorf("--tls-cert without --tls-key: %+v", r)
	}
}

// addReviewer gives the server a reviewer with role and a token, straight
// through its store, and returns the token's secret.
func (s *testServer) addReviewer(id string, role store.Role) string {
	s.t.Helper()
	ctx := s.t.Context()
	if _, err := s.st.CreateReviewer(ctx, &store.Reviewer{ID: id, Role: role}); err != nil {
		s.t.Fatal(err)
	}
	secret, err := server.NewTokenSecret()
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.st.CreateToken(ctx, &store.Token{ReviewerID: id, SecretHash: server.HashSecret(secret)}); err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// TestTokenIsSentAsBearer: the real server knows the caller by the token
// the CLI sends — --token, else $FACTCHECK_TOKEN — and the CLI says in one
// line what to do when it has none, a wrong one, or one whose role may not
// do what was asked. Two tokens of different roles tell which one went out.
func TestTokenIsSentAsBearer(t *testing.T) {
	srv := startServer(t)
	viewer := srv.addReviewer("vera", store.RoleViewer)
	create := func(id string) []string { return []string{"create", "source", "--id", id, "-f", "-"} }
	source := func(id string) string { return `{"url": "https://s.example/` + id + `"}` }
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		// wantErr is what stderr says (nothing: the call works).
		wantErr []string
	}{
		{"admin from the environment", map[string]string{envServer: srv.addr, envToken: testToken}, create("a"), nil},
		{"admin from the flag", map[string]string{envServer: srv.addr}, append([]string{"--token", testToken}, create("b")...), nil},
		{"the flag beats the environment", map[string]string{envServer: srv.addr, envToken: testToken}, append([]string{"--token", viewer}, create("c")...),
			[]string{"PERMISSION_DENIED", "reviewers/vera (ROLE_VIEWER)", "sources.create", "ask an admin for a role", "[PERMISSION_DENIED]"}},
		{"viewer from the environment", map[string]string{envServer: srv.addr, envToken: viewer}, create("d"),
			[]string{"PERMISSION_DENIED", "sources.create"}},
		{"no token", map[string]string{envServer: srv.addr}, create("e"),
			[]string{"UNAUTHENTICATED: no token sent: set --token or $FACTCHECK_TOKEN", "[TOKEN_MISSING]"}},
		{"an empty flag turns off the environment's", map[string]string{envServer: srv.addr, envToken: testToken}, append([]string{"--token="}, create("f")...),
			[]string{"[TOKEN_MISSING]"}},
		{"an unknown token", map[string]string{envServer: srv.addr}, append([]string{"--token", "fct_nobody-has-this-token-at-all"}, create("g")...),
			[]string{"UNAUTHENTICATED", "--token or $FACTCHECK_TOKEN", "[TOKEN_UNKNOWN]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.args[len(tt.args)-3]
			r := runCLI(t, tt.env, source(id), tt.args...)
			if tt.wantErr == nil {
				if r.code != 0 || !strings.Contains(r.stdout, `"name": "sources/`+id+`"`) {
					t.Fatalf("%+v", r)
				}
				return
			}
			if r.code != exitFailure || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want exit 1 and one line on stderr: %+v", r)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
	// What worked was written, and only that.
	r := runCLI(t, srv.env(), "", "list", "sources", "--output", "jsonl")
	if strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, "sources/a") || !strings.Contains(r.stdout, "sources/b") {
		t.Errorf("sources after the calls: %+v", r)
	}
	// A viewer reads.
	if r := runCLI(t, map[string]string{envServer: srv.addr, envToken: viewer}, "", "get", "sources/a"); r.code != 0 {
		t.Errorf("viewer get: %+v", r)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	env := map[string]string{envServer: "127.0.0.1:1"} // never dialled
	for _, args := range [][]string{
		{"bogus"},
		{"get"},
		{"get", "a", "b"},
		{"get", "--nope", "articles/a"},
		{"get", "notaname"},
		{"get", "sources/a", "--view", "full"},
		{"get", "articles/a", "--output", "yaml"},
		{"list", "things"},
		{"list", "sources", "--parent", "articles/a"},
		{"create", "article"},
		{"create", "source", "-f", "-", "--parent", "articles/a"},
		{"delete", "sources/a", "--force"},
		{"import"},
		{"import", "x.jsonl", "--batch", "0"},
		{"import", "x.jsonl", "--format", "xml"},
		{"export", "--format", "hypothesis"},
		{"--timeout", "0s", "get", "articles/a"},
	} {
		r := runCLI(t, env, "", args...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d, want %d; stderr:\n%s", args, r.code, exitUsage, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%q: stdout %q, want nothing", args, r.stdout)
		}
	}
}

func TestResourceRoundTrip(t *testing.T) {
	env := startServer(t).env()
	r := runCLI(t, env, "", "create", "article", "-f", "../../testdata/shafaq-create-article.json")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "articles/shafaq-talks"`) {
		t.Fatalf("create article: %+v", r)
	}
	r = runCLI(t, env, `{"url": "https://www.washingtonpost.com/x", "kind": "KIND_NEWS_REPORT"}`,
		"create", "source", "--id", "wapo", "-f", "-", "--output", "jsonl")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("create source: %+v", r)
	}
	ann := `{"anchor": {"quote": {"exact": "ongoing even before the attack"}}, "claim": {"text": "Talks began before October 7."}, "citations": [{"source": "sources/wapo"}]}`
	r = runCLI(t, env, ann, "create", "annotation", "--parent", "articles/shafaq-talks", "--id", "a1", "-f", "-")
	if r.code != 0 {
		t.Fatalf("create annotation: %+v", r)
	}
	var got factcheckv1.Annotation
	if err := unmarshalResourceOrRequest([]byte(r.stdout), &got, &factcheckv1.CreateAnnotationRequest{}, "stdout"); err != nil {
		t.Fatal(err)
	}
	if got.GetAnchor().GetPosition().GetStart() == 0 || got.GetName() != "articles/shafaq-talks/annotations/a1" {
		t.Errorf("created annotation %v", &got)
	}

	// A refused call: exit 1, code, reason and the violation on stderr.
	r = runCLI(t, env, `{"anchor": {"quote": {"exact": "talks began in 2022"}}, "claim": {"text": "x"}}`,
		"create", "annotation", "--parent", "articles/shafaq-talks", "-f", "-")
	if r.code != exitFailure || !strings.Contains(r.stderr, "INVALID_ARGUMENT") || !strings.Contains(r.stderr, "[QUOTE_NOT_FOUND]") {
		t.Errorf("bad quote: %+v", r)
	}

	r = runCLI(t, env, "", "list", "annotations", "--all", "--page-size", "1")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("list annotations: %+v", r)
	}
	r = runCLI(t, env, "", "list", "articles", "--output", "json")
	var arr []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &arr); err != nil || len(arr) != 1 {
		t.Errorf("list --output json is not an array of 1: %v\n%s", err, r.stdout)
	}
	r = runCLI(t, env, "", "list", "sources", "--output", "json", "--filter", `url = "https://nowhere.example/"`)
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty list as json: %q", r.stdout)
	}
	r = runCLI(t, env, "", "get", "articles/shafaq-talks/annotations/a1", "--output", "table")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "NAME") || !strings.Contains(r.stdout, "ANCHORED") {
		t.Errorf("get --output table: %+v", r)
	}

	// A cited source cannot go: the precondition names the citing annotation.
	r = runCLI(t, env, "", "delete", "sources/wapo")
	if r.code != exitFailure || !strings.Contains(r.stderr, "FAILED_PRECONDITION") || !strings.Contains(r.stderr, "articles/shafaq-talks/annotations/a1") {
		t.Errorf("delete cited source: %+v", r)
	}
	r = runCLI(t, env, "", "delete", "articles/shafaq-talks", "--etag", "stale", "--force")
	if r.code != exitFailure || !strings.Contains(r.stderr, "ABORTED") {
		t.Errorf("delete with stale etag: %+v", r)
	}
	r = runCLI(t, env, "", "delete", "articles/shafaq-talks", "--force")
	if r.code != 0 {
		t.Errorf("delete --force: %+v", r)
	}
	// Deletes are soft: get shows the article with its deleteTime, and
	// undelete brings it back.
	r = runCLI(t, env, "", "get", "articles/shafaq-talks")
	if r.code != 0 || !strings.Contains(r.stdout, `"deleteTime"`) {
		t.Errorf("get deleted: %+v", r)
	}
	r = runCLI(t, env, "", "undelete", "articles/shafaq-talks")
	if r.code != 0 || strings.Contains(r.stdout, `"deleteTime"`) || !strings.Contains(r.stdout, `"name": "articles/shafaq-talks"`) {
		t.Errorf("undelete: %+v", r)
	}
	r = runCLI(t, env, "", "undelete", "articles/shafaq-talks")
	if r.code != exitFailure || !strings.Contains(r.stderr, "NOT_DELETED") {
		t.Errorf("undelete of a live article: %+v", r)
	}
}

func TestListPageToken(t *testing.T) {
	env := startServer(t).env()
	for _, u := range []string{"a", "b", "c"} {
		if r := runCLI(t, env, `{"url": "https://s.example/`+u+`"}`, "create", "source", "-f", "-"); r.code != 0 {
			t.Fatal(r)
		}
	}
	r := runCLI(t, env, "", "list", "sources", "--page-size", "2")
	if strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stderr, "--page-token") {
		t.Fatalf("first page: %+v", r)
	}
	token := strings.TrimSpace(strings.TrimPrefix(r.stderr, "more results: --page-token"))
	r = runCLI(t, env, "", "list", "sources", "--page-size", "2", "--page-token", token)
	if strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
		t.Errorf("second page: %+v", r)
	}
	r = runCLI(t, env, "", "list", "sources", "--page-size", "2", "--all", "--output", "table")
	if strings.Count(r.stdout, "\n") != 4 {
		t.Errorf("--all as a table: %+v", r)
	}
}
