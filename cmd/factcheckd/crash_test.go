package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store/boltstore"
)

// TestCrashSafety runs the real factcheckd, has several clients create
// articles, sources and annotations as fast as it serves them while another
// streams an import of more, SIGKILLs the server at a random moment, and
// then checks the file it left behind:
//
//   - bbolt's page-level consistency check passes and every index holds
//     exactly what the records imply (boltstore's Check, on the file as the
//     killed process left it, before anything else opens it);
//   - after a restart, every write the server acknowledged is there and
//     equal to what was sent;
//   - nothing is half-written: every record listed is one a client sent
//     (acknowledged, or in flight when the server died) and equal to it,
//     lists agree with gets, every annotation's article exists and every
//     cited source exists.
//
// A SIGKILL loses the process but not the kernel's page cache, so this
// tests atomicity and ordering of commits, not fsync against power loss.
//
// FACTCHECK_CRASH_ROUNDS sets the number of kills (default 3, so that the
// test stays fast under -race in CI); bench/run.sh runs it with 20 or more.
// FACTCHECK_CRASH_SEED replays a run.
func TestCrashSafety(t *testing.T) {
	rounds := 3
	if s := os.Getenv("FACTCHECK_CRASH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("FACTCHECK_CRASH_ROUNDS=%q: want a positive number", s)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FACTCHECK_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FACTCHECK_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("%d rounds; replay with FACTCHECK_CRASH_SEED=%d", rounds, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	db := filepath.Join(t.TempDir(), "crash.db")
	l := &ledger{want: map[string]string{}, maybe: map[string]string{}}
	// The writers go as fast as the server takes them: no rate limit.
	d := startDaemon(t, db, "--rate-limit", "0")
	for round := 1; round <= rounds; round++ {
		acked := l.run(t, d, rng, round)
		if err := d.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-d.done
		l.stop()
		checkFile(t, db, fmt.Sprintf("round %d, after SIGKILL", round))
		checked := time.Now()
		d = startDaemon(t, db, "--rate-limit", "0")
		found := l.verify(t, d, fmt.Sprintf("round %d", round))
		n, imported := l.records()
		t.Logf("round %d: killed after %d acknowledged writes; of %d sent but not acknowledged, %d were committed; %d records (%d imported) checked in %v",
			round, acked, found.inFlight, found.committed, n, imported, time.Since(checked).Round(time.Millisecond))
		if t.Failed() {
			return
		}
	}
	d.stop(t)
	checkFile(t, db, "after the last round")
}

// checkFile opens the database as a server would and runs boltstore's full
// check: bbolt consistency, and every index against the records.
func checkFile(t *testing.T, path, when string) {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatalf("%s: open: %v", when, err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
}

// ledger records what the writers sent: by resource name (and for
// annotations with server-chosen IDs, by "external_id:" + id), the digest of
// the fields a client chose.
type ledger struct {
	mu    sync.Mutex
	want  map[string]string // acknowledged
	fresh map[string]bool   // acknowledged since the last verify
	maybe map[string]string // sent, not acknowledged: in flight at the kill
	// Resources new writes may refer to: acknowledged ones only.
	articles []string
	sources  []string

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (l *ledger) sent(key, digest string) {
	l.mu.Lock()
	l.maybe[key] = digest
	l.mu.Unlock()
}

func (l *ledger) acked(keys []string, digest string, f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fresh == nil {
		l.fresh = map[string]bool{}
	}
	for _, k := range keys {
		delete(l.maybe, k)
		l.want[k] = digest
		l.fresh[k] = true
	}
	if f != nil {
		f()
	}
}

const crashWriters = 6

// run starts the writers and returns, after a random while, how many writes
// were acknowledged in it; the caller kills the server while they write.
func (l *ledger) run(t *testing.T, d *daemon, rng *rand.Rand, round int) int {
	t.Helper()
	conn := d.dial(t)
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	var mu sync.Mutex
	acks := 0
	for w := range crashWriters {
		wr := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
		l.wg.Go(func() {
			for seq := 0; ctx.Err() == nil; seq++ {
				err := l.write(ctx, conn, wr, fmt.Sprintf("r%d-w%d-%d", round, w, seq))
				if err != nil {
					// The server is gone (or going): this writer is done
					// for the round. Any other failure is a bug.
					if c := status.Code(err); c != codes.Unavailable && c != codes.Canceled {
						t.Errorf("round %d: writer %d: %v", round, w, err)
					}
					return
				}
				mu.Lock()
				acks++
				mu.Unlock()
			}
		})
	}
	// And one client streams an import beside them.
	ir := rand.New(rand.NewPCG(rng.Uint64(), 99))
	l.wg.Go(func() {
		err := l.importStream(ctx, conn, ir, round, func() {
			mu.Lock()
			acks++
			mu.Unlock()
		})
		if c := status.Code(err); err != nil && !errors.Is(err, context.Canceled) && c != codes.Unavailable && c != codes.Canceled {
			t.Errorf("round %d: import: %v", round, err)
		}
	})
	// Let the writers get going, then pick the moment of the kill.
	time.Sleep(time.Duration(150+rng.IntN(650)) * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	return acks
}

// records counts the writes the server must hold, and how many of them
// came through the import stream.
func (l *ledger) records() (n, imported int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for key := range l.want {
		if !isAnnotationName(key) {
			n++
			if strings.Contains(key, "imp-") || strings.Contains(key, "-i") && strings.HasPrefix(key, "external_id:") {
				imported++
			}
		}
	}
	return n, imported
}

func (l *ledger) stop() {
	l.cancel()
	l.wg.Wait()
}

// write sends one create; nil means it was acknowledged.
func (l *ledger) write(ctx context.Context, conn *grpc.ClientConn, r *rand.Rand, tag string) error {
	l.mu.Lock()
	nArt, nSrc := len(l.articles), len(l.sources)
	var artName, srcName string
	if nArt > 0 {
		artName = l.articles[r.IntN(nArt)]
	}
	if nSrc > 0 {
		srcName = l.sources[r.IntN(nSrc)]
	}
	l.mu.Unlock()
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch n := r.IntN(10); {
	case n < 2 || nArt == 0:
		id := "art-" + tag
		a := crashArticle(id)
		digest := articleDigest(a)
		l.sent("articles/"+id, digest)
		if _, err := factcheckv1.NewArticleServiceClient(conn).CreateArticle(callCtx,
			&factcheckv1.CreateArticleRequest{Article: a, ArticleId: id}); err != nil {
			return err
		}
		l.acked([]string{"articles/" + id}, digest, func() { l.articles = append(l.articles, "articles/"+id) })
	case n < 3 || nSrc == 0:
		id := "src-" + tag
		s := &factcheckv1.Source{Url: "https://evidence.example/" + id, Title: "Report " + tag, Publisher: "Statistics Office",
			Kind: factcheckv1.Source_KIND_DATASET, Notes: strings.Repeat("n", r.IntN(300))}
		digest := sourceDigest(s)
		l.sent("sources/"+id, digest)
		if _, err := factcheckv1.NewSourceServiceClient(conn).CreateSource(callCtx,
			&factcheckv1.CreateSourceRequest{Source: s, SourceId: id}); err != nil {
			return err
		}
		l.acked([]string{"sources/" + id}, digest, func() { l.sources = append(l.sources, "sources/"+id) })
	default:
		// Half the annotations get an ID from the client, half from the
		// server; those are found again by their external_id.
		id := ""
		if r.IntN(2) == 0 {
			id = "ann-" + tag
		}
		a := &factcheckv1.Annotation{
			Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: fmt.Sprintf("Sentence %d of", r.IntN(crashSentences))}},
			Claim:      &factcheckv1.Claim{Text: "Taxes fell " + tag, Claimant: &factcheckv1.Claimant{Name: fmt.Sprintf("Claimant %d", r.IntN(50))}},
			Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating(1 + r.IntN(7)), Rationale: strings.Repeat("Because. ", r.IntN(60))},
			State:      factcheckv1.Annotation_State(1 + r.IntN(4)),
			Labels:     map[string]string{"desk": fmt.Sprintf("desk-%d", r.IntN(5))},
			ExternalId: "ext-" + tag,
			Citations:  []*factcheckv1.Citation{{Source: srcName, Quote: "table 3", Stance: factcheckv1.Stance_STANCE_REFUTES}},
		}
		digest := annotationDigest(artName, a)
		keys := []string{"external_id:" + a.ExternalId}
		if id != "" {
			keys = append(keys, artName+"/annotations/"+id)
		}
		for _, k := range keys {
			l.sent(k, digest)
		}
		resp, err := factcheckv1.NewAnnotationServiceClient(conn).CreateAnnotation(callCtx,
			&factcheckv1.CreateAnnotationRequest{Parent: artName, Annotation: a, AnnotationId: id})
		if err != nil {
			return err
		}
		l.acked(append(keys, resp.GetAnnotation().GetName()), digest, nil)
	}
	return nil
}

const crashSentences = 30

// pendingImport is a record sent on the import stream, by its index.
type pendingImport struct {
	keys   []string
	digest string
	kind   string // article, source, annotation
}

// importStream streams records (articles, sources, and annotations of
// those articles citing those sources, as a file from another system would
// hold them) through BulkService.Import in MODE_PARTIAL until the stream
// breaks, and acknowledges each record when its result says CREATED: the
// server answers a chunk only after it committed. Odd rounds ask for the
// results batched, as the CLI does, even rounds one message each.
func (l *ledger) importStream(ctx context.Context, conn *grpc.ClientConn, r *rand.Rand, round int, ack func()) error {
	stream, err := factcheckv1.NewBulkServiceClient(conn).Import(ctx)
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		pending = map[int64]pendingImport{}
	)
	take := func(res *factcheckv1.ImportResult) error {
		mu.Lock()
		p, ok := pending[res.GetIndex()]
		delete(pending, res.GetIndex())
		mu.Unlock()
		if !ok {
			return fmt.Errorf("result for record %d, which was not sent", res.GetIndex())
		}
		if res.GetOutcome() != factcheckv1.ImportResult_OUTCOME_CREATED {
			return fmt.Errorf("record %d (%s): %v: %v", res.GetIndex(), p.keys[0], res.GetOutcome(), res.GetStatus())
		}
		name := res.GetName()
		l.acked(append(p.keys, name), p.digest, func() {
			switch p.kind {
			case "article":
				l.articles = append(l.articles, name)
			case "source":
				l.sources = append(l.sources, name)
			}
		})
		ack()
		return nil
	}
	recvErr := make(chan error, 1)
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			results := resp.GetResults().GetResults()
			if res := resp.GetResult(); res != nil {
				results = append(results, res)
			}
			for _, res := range results {
				if err := take(res); err != nil {
					recvErr <- err
					return
				}
			}
		}
	}()

	var (
		index  int64
		arts   []string // articles created earlier in this stream
		srcs   []string
		first  = true
		sendTo = func(recs []*factcheckv1.ImportRecord, meta []pendingImport) error {
			mu.Lock()
			for i, m := range meta {
				pending[index+int64(i)] = m
			}
			mu.Unlock()
			for _, m := range meta {
				for _, k := range m.keys {
					l.sent(k, m.digest)
				}
			}
			req := &factcheckv1.ImportRequest{Records: recs}
			if first {
				req.Options = &factcheckv1.ImportOptions{Mode: factcheckv1.ImportOptions_MODE_PARTIAL, BatchResults: round%2 == 1}
				first = false
			}
			index += int64(len(recs))
			return stream.Send(req)
		}
	)
	for seq := 0; ; seq++ {
		select {
		case err := <-recvErr:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(5+r.IntN(10)) * time.Millisecond):
		}
		var recs []*factcheckv1.ImportRecord
		var meta []pendingImport
		for k := range 1 + r.IntN(8) {
			tag := fmt.Sprintf("r%d-i%d-%d", round, seq, k)
			switch n := r.IntN(10); {
			case n < 1 || len(arts) == 0:
				id := "imp-" + tag
				a := crashArticle(id)
				a.Name = "articles/" + id
				recs = append(recs, &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Article{Article: a}})
				meta = append(meta, pendingImport{keys: []string{a.Name}, digest: articleDigest(a), kind: "article"})
				arts = append(arts, a.Name)
			case n < 2 || len(srcs) == 0:
				id := "imp-" + tag
				src := &factcheckv1.Source{Name: "sources/" + id, Url: "https://evidence.example/" + id, Title: "Imported " + tag,
					Publisher: "Archive", Kind: factcheckv1.Source_KIND_PRIMARY_DOCUMENT}
				recs = append(recs, &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Source{Source: src}})
				meta = append(meta, pendingImport{keys: []string{src.Name}, digest: sourceDigest(src), kind: "source"})
				srcs = append(srcs, src.Name)
			default:
				parent := arts[r.IntN(len(arts))]
				a := &factcheckv1.Annotation{
					Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: fmt.Sprintf("Sentence %d of", r.IntN(crashSentences))}},
					Claim:      &factcheckv1.Claim{Text: "Imported claim " + tag},
					Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating(1 + r.IntN(7))},
					State:      factcheckv1.Annotation_STATE_PUBLISHED,
					ExternalId: "ext-" + tag,
					Citations:  []*factcheckv1.Citation{{Source: srcs[r.IntN(len(srcs))], Stance: factcheckv1.Stance_STANCE_SUPPORTS}},
				}
				keys := []string{"external_id:" + a.ExternalId}
				if r.IntN(2) == 0 {
					a.Name = parent + "/annotations/imp-" + tag
					keys = append(keys, a.Name)
				}
				digest := annotationDigest(parent, a)
				recs = append(recs, &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Annotation{
					Annotation: &factcheckv1.AnnotationImport{Parent: parent, Annotation: a}}})
				meta = append(meta, pendingImport{keys: keys, digest: digest, kind: "annotation"})
			}
		}
		if err := sendTo(recs, meta); err != nil {
			// The real cause comes from Recv.
			select {
			case err := <-recvErr:
				return err
			case <-time.After(10 * time.Second):
				return err
			}
		}
	}
}

func crashArticle(id string) *factcheckv1.Article {
	var text strings.Builder
	for i := range crashSentences {
		fmt.Fprintf(&text, "Sentence %d of %s says that taxes fell by %d percent. ", i, id, i)
	}
	return &factcheckv1.Article{Url: "https://news.example/" + id, Title: "Article " + id, Publisher: "The Daily Ledger",
		Language: "en", Text: text.String(), Labels: map[string]string{"desk": "economy"}}
}

// The digests cover the fields a client chooses and the server keeps as
// given.

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func labels(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

func articleDigest(a *factcheckv1.Article) string {
	return digest(a.GetUrl(), a.GetTitle(), a.GetPublisher(), a.GetLanguage(), a.GetText(), labels(a.GetLabels()))
}

func sourceDigest(s *factcheckv1.Source) string {
	return digest(s.GetUrl(), s.GetTitle(), s.GetPublisher(), s.GetKind().String(), s.GetNotes())
}

func annotationDigest(parent string, a *factcheckv1.Annotation) string {
	parts := []string{parent, a.GetAnchor().GetQuote().GetExact(), a.GetClaim().GetText(), a.GetClaim().GetClaimant().GetName(),
		a.GetVerdict().GetRating().String(), a.GetVerdict().GetRationale(), a.GetState().String(), labels(a.GetLabels()), a.GetExternalId()}
	for _, c := range a.GetCitations() {
		parts = append(parts, c.GetSource(), c.GetQuote(), c.GetStance().String())
	}
	return digest(parts...)
}

func annotationParent(name string) string {
	i := strings.Index(name, "/annotations/")
	if i < 0 {
		return ""
	}
	return name[:i]
}

// verifyCounts counts writes (an annotation with a client-chosen ID is in
// the ledger under its name and its external_id; it counts once).
type verifyCounts struct{ inFlight, committed int }

func isAnnotationName(key string) bool { return annotationParent(key) != "" }

// verify compares what the server holds with the ledger, and moves writes
// that were in flight and turn out committed into the acknowledged set
// (they must survive every later crash too).
func (l *ledger) verify(t *testing.T, d *daemon, when string) verifyCounts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn := d.dial(t)
	arts := factcheckv1.NewArticleServiceClient(conn)
	srcs := factcheckv1.NewSourceServiceClient(conn)
	anns := factcheckv1.NewAnnotationServiceClient(conn)
	l.mu.Lock()
	defer l.mu.Unlock()
	var counts verifyCounts
	for key := range l.maybe {
		if !isAnnotationName(key) {
			counts.inFlight++
		}
	}

	// Everything the server holds, through the lists.
	var listedArts []*factcheckv1.Article
	for tok := ""; ; {
		resp, err := arts.ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 1000, PageToken: tok, View: factcheckv1.ArticleView_ARTICLE_VIEW_FULL})
		if err != nil {
			t.Fatalf("%s: ListArticles: %v", when, err)
		}
		listedArts = append(listedArts, resp.GetArticles()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	var listedSrcs []*factcheckv1.Source
	for tok := ""; ; {
		resp, err := srcs.ListSources(ctx, &factcheckv1.ListSourcesRequest{PageSize: 1000, PageToken: tok})
		if err != nil {
			t.Fatalf("%s: ListSources: %v", when, err)
		}
		listedSrcs = append(listedSrcs, resp.GetSources()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	var listedAnns []*factcheckv1.Annotation
	for tok := ""; ; {
		resp, err := anns.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", PageSize: 1000, PageToken: tok})
		if err != nil {
			t.Fatalf("%s: ListAnnotations: %v", when, err)
		}
		listedAnns = append(listedAnns, resp.GetAnnotations()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}

	// Lists are compared with gets for every record written in the last
	// round (acknowledged or in flight) and for every 10th older one, so
	// that a run of many rounds stays fast.
	getCheck := func(i int, keys ...string) bool {
		for _, k := range keys {
			if _, ok := l.maybe[k]; ok || l.fresh[k] {
				return true
			}
		}
		return i%10 == 0
	}
	present := map[string]bool{}
	// check matches a listed record with the ledger under key: it must be
	// one a client sent, with the same content; one that was in flight is
	// acknowledged from now on.
	check := func(key, got string) {
		if want, ok := l.want[key]; ok {
			if got != want {
				t.Errorf("%s: %s differs from what was acknowledged", when, key)
			}
			return
		}
		if want, ok := l.maybe[key]; ok {
			if got != want {
				t.Errorf("%s: %s (in flight at the kill) is half-written or wrong", when, key)
			}
			return
		}
		t.Errorf("%s: %s is stored but no client sent it", when, key)
	}
	for i, a := range listedArts {
		present[a.GetName()] = true
		check(a.GetName(), articleDigest(a))
		if !getCheck(i, a.GetName()) {
			continue
		}
		got, err := arts.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: a.GetName()})
		if err != nil || !proto.Equal(got.GetArticle(), a) {
			t.Errorf("%s: GetArticle(%s) disagrees with the list: %v", when, a.GetName(), err)
		}
	}
	for i, s := range listedSrcs {
		present[s.GetName()] = true
		check(s.GetName(), sourceDigest(s))
		if !getCheck(i, s.GetName()) {
			continue
		}
		got, err := srcs.GetSource(ctx, &factcheckv1.GetSourceRequest{Name: s.GetName()})
		if err != nil || !proto.Equal(got.GetSource(), s) {
			t.Errorf("%s: GetSource(%s) disagrees with the list: %v", when, s.GetName(), err)
		}
	}
	for i, a := range listedAnns {
		parent := annotationParent(a.GetName())
		if !present[parent] {
			t.Errorf("%s: %s belongs to an article that does not exist", when, a.GetName())
		}
		for _, c := range a.GetCitations() {
			if !present[c.GetSource()] {
				t.Errorf("%s: %s cites %s, which does not exist", when, a.GetName(), c.GetSource())
			}
		}
		d := annotationDigest(parent, a)
		ext := "external_id:" + a.GetExternalId()
		check(ext, d)
		if _, ok := l.want[a.GetName()]; ok {
			check(a.GetName(), d)
		} else if _, ok := l.maybe[a.GetName()]; ok {
			check(a.GetName(), d)
		}
		present[a.GetName()] = true
		present[ext] = true
		if !getCheck(i, a.GetName(), ext) {
			continue
		}
		got, err := anns.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: a.GetName()})
		if err != nil || !proto.Equal(got.GetAnnotation(), a) {
			t.Errorf("%s: GetAnnotation(%s) disagrees with the list: %v", when, a.GetName(), err)
		}
	}

	// Every acknowledged write survived, and Get finds it too.
	for key := range l.want {
		if !present[key] {
			t.Errorf("%s: %s was acknowledged but is gone", when, key)
		}
	}
	for _, a := range listedArts {
		if _, ok := l.maybe[a.GetName()]; ok {
			l.articles = append(l.articles, a.GetName())
		}
	}
	for _, s := range listedSrcs {
		if _, ok := l.maybe[s.GetName()]; ok {
			l.sources = append(l.sources, s.GetName())
		}
	}
	// In-flight writes that were committed are acknowledged from now on;
	// the others are gone for good (their server is dead) and their names
	// are never reused.
	for key, dg := range l.maybe {
		if present[key] {
			l.want[key] = dg
			if !isAnnotationName(key) {
				counts.committed++
			}
		}
	}
	clear(l.maybe)
	clear(l.fresh)
	if len(listedArts)+len(listedSrcs)+len(listedAnns) == 0 {
		t.Errorf("%s: the server holds nothing", when)
	}
	return counts
}
