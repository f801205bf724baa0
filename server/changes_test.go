package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// changeEnv is a server with its store at hand, for tests that write
// behind the API's back (fast bulk writes) or restart the server.
type changeEnv struct {
	path    string
	st      *boltstore.Store
	srv     *grpc.Server
	served  chan struct{}
	conn    *grpc.ClientConn
	changes factcheckv1.ChangeServiceClient
	sources factcheckv1.SourceServiceClient
	stopped bool
	// storeClosed: the test closed the store itself.
	storeClosed bool
}

func newChangeEnv(t *testing.T, path string, cfg server.Config, dial ...grpc.DialOption) *changeEnv {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "factcheck.db")
	}
	st, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv := server.New(st, cfg)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &changeEnv{path: path, st: st, srv: srv, served: make(chan struct{})}
	go func() {
		defer close(e.served)
		_ = srv.Serve(lis)
	}()
	e.conn, err = grpc.NewClient(lis.Addr().String(), append(dial,
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(bearer(adminSecret(t, st))))...)
	if err != nil {
		t.Fatal(err)
	}
	e.changes = factcheckv1.NewChangeServiceClient(e.conn)
	e.sources = factcheckv1.NewSourceServiceClient(e.conn)
	t.Cleanup(func() { e.stop(t) })
	return e
}

func (e *changeEnv) stop(t *testing.T) {
	if e.stopped {
		return
	}
	e.stopped = true
	_ = e.conn.Close()
	e.srv.Stop()
	<-e.served
	if e.storeClosed {
		return
	}
	if err := e.st.Check(); err != nil {
		t.Errorf("bbolt consistency check: %v", err)
	}
	if err := e.st.Close(); err != nil {
		t.Error(err)
	}
}

// writeSources creates n sources through the store.
func (e *changeEnv) writeSources(t *testing.T, prefix string, n int) {
	t.Helper()
	for i := range n {
		if _, err := e.st.CreateSource(context.Background(), &store.Source{URL: fmt.Sprintf("https://evidence.example/%s/%d", prefix, i)}); err != nil {
			t.Error(err)
			return
		}
	}
}

func (e *changeEnv) head() int64 {
	h, _ := e.st.ChangeNotify()
	return h
}

func TestListChanges(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	ctx := ctxT(t)
	if _, err := e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
		Article: &factcheckv1.Article{Name: "articles/shafaq-talks", Title: "Talks"},
	}); err != nil {
		t.Fatal(err)
	}
	changes := factcheckv1.NewChangeServiceClient(e.conn)

	// Every page of two, then the end: no token, and last_sequence the head.
	var got []string
	req := &factcheckv1.ListChangesRequest{PageSize: 2}
	for pages := 0; ; pages++ {
		resp, err := changes.ListChanges(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.GetChanges() {
			got = append(got, fmt.Sprintf("%d %s %s %v", c.GetSequence(), c.GetType(), c.GetResource(), c.GetFieldPaths()))
			if c.GetChangeTime() == nil {
				t.Errorf("change %d has no change_time", c.GetSequence())
			}
		}
		if resp.GetNextPageToken() == "" {
			if resp.GetLastSequence() != 4 {
				t.Errorf("last_sequence = %d at the end, want 4", resp.GetLastSequence())
			}
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	want := []string{
		"1 TYPE_CREATED articles/shafaq-talks []",
		"2 TYPE_CREATED sources/wapo-talks []",
		"3 TYPE_CREATED articles/shafaq-talks/annotations/talks-before-oct-7 []",
		"4 TYPE_UPDATED articles/shafaq-talks [title]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}

	// Filters: an article's own changes and its annotations'.
	resp, err := changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{Filter: `article = "articles/shafaq-talks" AND type != TYPE_CREATED`})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetChanges()) != 1 || resp.GetChanges()[0].GetSequence() != 4 || resp.GetNextPageToken() != "" {
		t.Errorf("filtered: %v", resp)
	}
	resp, err = changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{Filter: "resource_type = annotation", AfterSequence: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetChanges()) != 1 || resp.GetChanges()[0].GetParent() != "articles/shafaq-talks" {
		t.Errorf("annotations: %v", resp)
	}

	// A token works only with the query it was issued for.
	first, err := changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{PageSize: 1, PageToken: first.GetNextPageToken(), Filter: "type = TYPE_CREATED"})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}})

	_, err = changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{AfterSequence: -1})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_SEQUENCE", fields: []string{"after_sequence"}})
	_, err = changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{Filter: "type = CREATED"})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_FILTER", fields: []string{"filter"}})
	_, err = changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{AfterSequence: 99})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "SEQUENCE_AHEAD", precondition: "after_sequence",
		meta: map[string]string{"head_sequence": "4"}})
}

// recvChanges reads a watch until it has seen sequence until, checking that
// sequences follow each other from after on, and returns the last one.
func recvChanges(t *testing.T, stream grpc.ServerStreamingClient[factcheckv1.WatchChangesResponse], after, until int64) ([]*factcheckv1.Change, error) {
	t.Helper()
	var out []*factcheckv1.Change
	for after < until {
		resp, err := stream.Recv()
		if err != nil {
			return out, err
		}
		for _, c := range resp.GetChanges() {
			if c.GetSequence() != after+1 {
				t.Fatalf("watch sent %d after %d", c.GetSequence(), after)
			}
			after = c.GetSequence()
			out = append(out, c)
		}
	}
	return out, nil
}

func TestWatchChangesBacklogThenLive(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	ctx := ctxT(t)
	changes := factcheckv1.NewChangeServiceClient(e.conn)
	all, err := changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	onlyArticle, err := changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{Filter: "resource_type = article", AfterSequence: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := recvChanges(t, all, 0, 3); err != nil || got[2].GetResource() != "articles/shafaq-talks/annotations/talks-before-oct-7" {
		t.Fatalf("backlog: %v, %v", got, err)
	}

	// Edit the article, as the README's walk-through does in a second
	// terminal: the watches see it as it commits.
	if _, err := e.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
		Article: &factcheckv1.Article{Name: "articles/shafaq-talks", Title: "Talks on US troops"},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := recvChanges(t, all, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if c := got[0]; c.GetType() != factcheckv1.Change_TYPE_UPDATED || fmt.Sprint(c.GetFieldPaths()) != "[title]" {
		t.Errorf("live change = %v", c)
	}
	resp, err := onlyArticle.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetChanges()) != 1 || resp.GetChanges()[0].GetSequence() != 4 || resp.GetLastSequence() != 4 {
		t.Errorf("filtered watch got %v, want only change 4", resp)
	}
}

// TestWatchResumeAcrossRestart: a client that resumes after the last
// sequence it saw, on a restarted server, gets every later change once.
func TestWatchResumeAcrossRestart(t *testing.T) {
	e := newChangeEnv(t, "", server.Config{})
	ctx := ctxT(t)
	e.writeSources(t, "before", 5)
	stream, err := e.changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvChanges(t, stream, 0, 3); err != nil {
		t.Fatal(err)
	}
	e.stop(t)
	// The last message may have carried more than 3; resume after 3 as a
	// client that saw exactly 3 would.
	e2 := newChangeEnv(t, e.path, server.Config{})
	e2.writeSources(t, "after", 4)
	stream, err = e2.changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{AfterSequence: 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := recvChanges(t, stream, 3, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Errorf("resumed watch got %d changes, want 6", len(got))
	}
}

// TestWatchChangesConcurrent: writers run while watchers disconnect and
// resume at random; each watcher sees every sequence once and in order.
func TestWatchChangesConcurrent(t *testing.T) {
	e := newChangeEnv(t, "", server.Config{})
	ctx := ctxT(t)
	const writers, each, watchers = 4, 100, 6
	var (
		wg      sync.WaitGroup
		writing atomic.Int32
	)
	writing.Store(writers)
	for w := range writers {
		wg.Go(func() {
			defer writing.Add(-1)
			for i := range each {
				var err error
				if w%2 == 0 {
					_, err = e.sources.CreateSource(ctx, &factcheckv1.CreateSourceRequest{Source: &factcheckv1.Source{
						Url: fmt.Sprintf("https://evidence.example/w%d/%d", w, i)}})
				} else {
					_, err = e.st.Import(ctx, []store.ImportRecord{
						{Source: &store.Source{URL: fmt.Sprintf("https://evidence.example/w%d/%d/a", w, i)}},
						{Source: &store.Source{URL: fmt.Sprintf("https://evidence.example/w%d/%d/b", w, i)}},
					}, store.ImportOptions{})
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var reconnects atomic.Int64
	for range watchers {
		wg.Go(func() {
			last := int64(0)
			for {
				done := writing.Load() == 0
				final := e.head()
				if done && last >= final {
					return
				}
				// Hang up after a few messages or a few milliseconds,
				// whichever comes first.
				wctx, cancel := context.WithTimeout(ctx, time.Duration(1+rand.IntN(20))*time.Millisecond)
				reconnects.Add(1)
				stream, err := e.changes.WatchChanges(wctx, &factcheckv1.WatchChangesRequest{AfterSequence: last})
				for n := rand.IntN(8); err == nil && n >= 0; n-- {
					var resp *factcheckv1.WatchChangesResponse
					if resp, err = stream.Recv(); err != nil {
						break
					}
					for _, c := range resp.GetChanges() {
						if c.GetSequence() != last+1 {
							cancel()
							t.Errorf("watcher got %d after %d", c.GetSequence(), last)
							return
						}
						last = c.GetSequence()
					}
				}
				cancel()
				if err != nil && code(err) != codes.DeadlineExceeded && code(err) != codes.Canceled {
					t.Errorf("watch after %d: %v", last, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if want := int64(writers / 2 * each * 3); e.head() != want {
		t.Errorf("head = %d, want %d", e.head(), want)
	}
	t.Logf("%d watches opened", reconnects.Load())
}

// TestWatchTooSlow: a watcher that stops reading while writes go on is
// ended with WATCH_TOO_SLOW and where to resume; the writers never wait for
// it, and the resumed watch misses nothing.
func TestWatchTooSlow(t *testing.T) {
	// Small flow-control windows (no dynamic growth): the server's sends
	// block soon after the client stops reading.
	e := newChangeEnv(t, "", server.Config{WatchBuffer: 16},
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	ctx := ctxT(t)
	e.writeSources(t, "first", 1)
	stream, err := e.changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvChanges(t, stream, 0, 1); err != nil {
		t.Fatal(err)
	}
	// Not reading now. Every write returns: nothing waits for the watcher.
	// Commits of 10 changes, fewer than the buffer holds, so that only
	// the unread stream fills it.
	const writes = 3000
	for i := range writes / 10 {
		var recs []store.ImportRecord
		for j := range 10 {
			recs = append(recs, store.ImportRecord{Source: &store.Source{URL: fmt.Sprintf("https://evidence.example/unread/%d/%d", i, j)}})
		}
		if _, err := e.st.Import(ctx, recs, store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	var last int64 = 1
	var got []*factcheckv1.Change
	got, err = recvChanges(t, stream, last, writes+1)
	if len(got) > 0 {
		last = got[len(got)-1].GetSequence()
	}
	if err == nil {
		t.Fatalf("the watch kept up with %d unread writes and a buffer of 16", writes)
	}
	checkErr(t, err, wantErr{code: codes.ResourceExhausted, reason: "WATCH_TOO_SLOW",
		meta: map[string]string{"resume_after_sequence": strconv.FormatInt(last, 10)}})

	stream, err = e.changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{AfterSequence: last})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvChanges(t, stream, last, writes+1); err != nil {
		t.Fatal(err)
	}
}

// TestWatchEndsOnStopping: closing Config.Stopping ends open watches, so
// GracefulStop returns instead of waiting for watchers to leave.
func TestWatchEndsOnStopping(t *testing.T) {
	stopping := make(chan struct{})
	e := newChangeEnv(t, "", server.Config{Stopping: stopping})
	ctx := ctxT(t)
	e.writeSources(t, "x", 2)
	var streams []grpc.ServerStreamingClient[factcheckv1.WatchChangesResponse]
	for _, after := range []int64{0, 2} {
		stream, err := e.changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{AfterSequence: after})
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, stream)
	}
	if _, err := recvChanges(t, streams[0], 0, 2); err != nil {
		t.Fatal(err)
	}
	e.writeSources(t, "y", 1)
	for i, s := range streams {
		if _, err := recvChanges(t, s, []int64{2, 2}[i], 3); err != nil {
			t.Fatal(err)
		}
	}

	close(stopping)
	stopped := make(chan struct{})
	go func() {
		e.srv.GracefulStop()
		close(stopped)
	}()
	for _, s := range streams {
		_, err := s.Recv()
		checkErr(t, err, wantErr{code: codes.Unavailable, reason: "SERVER_SHUTTING_DOWN",
			meta: map[string]string{"resume_after_sequence": "3"}})
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("GracefulStop still waits 10 s after Stopping closed")
	}
}

// TestWatchEndsWhenStoreCloses: a watch does not outlive its store.
func TestWatchEndsWhenStoreCloses(t *testing.T) {
	e := newChangeEnv(t, "", server.Config{})
	ctx := ctxT(t)
	e.writeSources(t, "x", 1)
	stream, err := e.changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recvChanges(t, stream, 0, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = stream.Recv()
	if code(err) != codes.Internal {
		t.Errorf("watch after Close: %v", err)
	}
	e.storeClosed = true
}

// TestWatchProgress: a watch whose filter skips many changes still tells
// its client how far it has read, so that resuming skips them.
func TestWatchProgress(t *testing.T) {
	e := newChangeEnv(t, "", server.Config{})
	ctx := ctxT(t)
	importSources := func(prefix string, n int) {
		var recs []store.ImportRecord
		for i := range n {
			recs = append(recs, store.ImportRecord{Source: &store.Source{URL: fmt.Sprintf("https://evidence.example/%s/%d", prefix, i)}})
		}
		if _, err := e.st.Import(ctx, recs, store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	importSources("backlog", 1200)
	stream, err := e.changes.WatchChanges(ctx, &factcheckv1.WatchChangesRequest{Filter: "resource_type = article"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetChanges()) != 0 || resp.GetLastSequence() != 1200 {
		t.Fatalf("after a backlog of 1,200 unmatched changes: %d changes, last_sequence %d; want a progress message at 1200",
			len(resp.GetChanges()), resp.GetLastSequence())
	}
	// Live: fewer skipped changes send nothing; a match comes with how far
	// the watch read.
	importSources("live", 10)
	if _, err := e.st.CreateArticle(ctx, &store.Article{ID: "a", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	resp, err = stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetChanges()) != 1 || resp.GetChanges()[0].GetSequence() != 1211 || resp.GetLastSequence() != 1211 {
		t.Fatalf("live: %v", resp)
	}
	importSources("more", progressEveryForTest)
	resp, err = stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetChanges()) != 0 || resp.GetLastSequence() != 1211+progressEveryForTest {
		t.Fatalf("after %d unmatched live changes: %v", progressEveryForTest, resp)
	}
}

// progressEveryForTest is the server's progressEvery.
const progressEveryForTest = 1000
