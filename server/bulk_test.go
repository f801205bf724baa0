package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/interchange"
	"github.com/factcheck/factcheck/server"
)

// importRun is what an Import stream answered.
type importRun struct {
	results  []*factcheckv1.ImportResult
	progress []*factcheckv1.ImportProgress
	summary  *factcheckv1.ImportSummary
	// order records the kind of each response: 'r', 'p', 's', or 'b' for
	// ImportResults.
	order string
	// batches holds the number of results of each ImportResults.
	batches []int
}

// outcomes lists the results as "OUTCOME name-or-reason".
func (r *importRun) outcomes() []string {
	var out []string
	for _, res := range r.results {
		s := res.GetOutcome().String()
		switch {
		case res.GetOutcome() == factcheckv1.ImportResult_OUTCOME_FAILED:
			s += " " + reasonOf(res)
		case res.GetName() != "":
			s += " " + res.GetName()
		}
		out = append(out, s)
	}
	return out
}

// reasonOf returns the ErrorInfo reason of a result's status.
func reasonOf(r *factcheckv1.ImportResult) string {
	for _, d := range status.FromProto(r.GetStatus()).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// runImport sends msgs (each one ImportRequest's records; opts go with the
// first) and reads every answer.
func (e *env) runImport(t *testing.T, opts *factcheckv1.ImportOptions, msgs ...[]*factcheckv1.ImportRecord) (*importRun, error) {
	t.Helper()
	stream, err := factcheckv1.NewBulkServiceClient(e.conn).Import(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	sendErr := make(chan error, 1)
	go func() {
		for i, m := range msgs {
			req := &factcheckv1.ImportRequest{Records: m}
			if i == 0 {
				req.Options = opts
			}
			if err := stream.Send(req); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- stream.CloseSend()
	}()
	run, err := readImport(stream)
	if serr := <-sendErr; err == nil && serr != nil && !errors.Is(serr, io.EOF) {
		err = serr
	}
	return run, err
}

func readImport(stream factcheckv1.BulkService_ImportClient) (*importRun, error) {
	run := &importRun{}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return run, nil
		}
		if err != nil {
			return run, err
		}
		switch r := resp.GetResponse().(type) {
		case *factcheckv1.ImportResponse_Result:
			run.results = append(run.results, r.Result)
			run.order += "r"
		case *factcheckv1.ImportResponse_Results:
			run.results = append(run.results, r.Results.GetResults()...)
			run.batches = append(run.batches, len(r.Results.GetResults()))
			run.order += "b"
		case *factcheckv1.ImportResponse_Progress:
			run.progress = append(run.progress, r.Progress)
			run.order += "p"
		case *factcheckv1.ImportResponse_Summary:
			run.summary = r.Summary
			run.order += "s"
		}
	}
}

func (e *env) mustImport(t *testing.T, opts *factcheckv1.ImportOptions, msgs ...[]*factcheckv1.ImportRecord) *importRun {
	t.Helper()
	run, err := e.runImport(t, opts, msgs...)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	if len(run.results) != n || run.summary == nil || !strings.HasSuffix(run.order, "s") {
		t.Fatalf("Import answered %d results for %d records, summary %v, order %q", len(run.results), n, run.summary, run.order)
	}
	for i, r := range run.results {
		if r.GetIndex() != int64(i) {
			t.Fatalf("result %d has index %d: results must come in record order", i, r.GetIndex())
		}
	}
	if run.summary.GetReceived() != int64(n) {
		t.Errorf("summary.received = %d, want %d", run.summary.GetReceived(), n)
	}
	return run
}

// Record builders.

func artRec(name, url, text string) *factcheckv1.ImportRecord {
	return &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Article{Article: &factcheckv1.Article{
		Name: name, Url: url, Title: "Article " + url, Publisher: "Example News", Language: "en", Text: text,
		Labels: map[string]string{"desk": "world"},
	}}}
}

func srcRec(name, url string) *factcheckv1.ImportRecord {
	return &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Source{Source: &factcheckv1.Source{
		Name: name, Url: url, Title: "Source " + url, Publisher: "Evidence Weekly", Kind: factcheckv1.Source_KIND_NEWS_REPORT,
	}}}
}

func annImport(parent, exact string, sources ...string) *factcheckv1.ImportRecord {
	a := &factcheckv1.Annotation{
		Anchor:  &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: exact}},
		Claim:   &factcheckv1.Claim{Text: "claim: " + exact, Claimant: &factcheckv1.Claimant{Name: "A. Minister", Kind: factcheckv1.Claimant_KIND_PERSON}},
		Verdict: &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_FALSE, Label: "Wrong", Rationale: "Because."},
		State:   factcheckv1.Annotation_STATE_PUBLISHED,
		Labels:  map[string]string{"topic": "economy"},
	}
	for _, s := range sources {
		a.Citations = append(a.Citations, &factcheckv1.Citation{Source: s, Quote: "evidence", Stance: factcheckv1.Stance_STANCE_REFUTES})
	}
	return &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Annotation{Annotation: &factcheckv1.AnnotationImport{Parent: parent, Annotation: a}}}
}

// claimsText is an article text in which every "Claim NN" occurs once.
var claimsText = func() string {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "Claim %02d. ", i)
	}
	return b.String()
}()

const (
	newsURL1 = "https://news.example/1"
	newsURL2 = "https://news.example/2"
	evURL1   = "https://evidence.example/1"
	evURL2   = "https://evidence.example/2"
)

// newsroomFile is a small import file: records refer to earlier ones by
// name and by URL.
func newsroomFile() [][]*factcheckv1.ImportRecord {
	return [][]*factcheckv1.ImportRecord{
		{artRec("articles/first", newsURL1, claimsText), artRec("", newsURL2, claimsText), srcRec("sources/ev-1", evURL1), srcRec("", evURL2)},
		{annImport("articles/first", "Claim 01", "sources/ev-1"), annImport(newsURL2, "Claim 02", evURL2, "sources/ev-1")},
		{},
		{annImport(newsURL1, "Claim 03", evURL1)},
	}
}

func resultStatus(r *factcheckv1.ImportResult) error { return status.FromProto(r.GetStatus()).Err() }

func TestImportStream(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	run := e.mustImport(t, nil, newsroomFile()...)
	for i, r := range run.results {
		if r.GetOutcome() != factcheckv1.ImportResult_OUTCOME_CREATED || r.GetName() == "" || r.GetStatus() != nil {
			t.Errorf("record %d: %v", i, r)
		}
	}
	if got := run.results[0].GetName(); got != "articles/first" {
		t.Errorf("article created as %q, want its given name", got)
	}
	s := run.summary
	if s.GetCreated() != 7 || s.GetExisting() != 0 || s.GetFailed() != 0 || !s.GetCommitted() {
		t.Errorf("summary = %v", s)
	}
	if len(run.progress) == 0 || run.order[len(run.order)-2] != 'p' {
		t.Errorf("responses %q: want progress after each commit, the last before the summary", run.order)
	}
	last := run.progress[len(run.progress)-1]
	if last.GetCommitted() != 7 || last.GetReceived() != 7 || last.GetFailed() != 0 {
		t.Errorf("last progress = %v", last)
	}

	ann, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: run.results[5].GetName()})
	if err != nil {
		t.Fatal(err)
	}
	a := ann.GetAnnotation()
	if !strings.HasPrefix(a.GetName(), run.results[1].GetName()+"/annotations/") {
		t.Errorf("annotation of %s (by URL) is %s", newsURL2, a.GetName())
	}
	if got := []string{a.GetCitations()[0].GetSource(), a.GetCitations()[1].GetSource()}; got[0] != run.results[3].GetName() || got[1] != "sources/ev-1" {
		t.Errorf("citations resolved to %q", got)
	}
	if a.GetAnchor().GetPosition().GetStart() != 20 || a.GetState() != factcheckv1.Annotation_STATE_PUBLISHED || a.GetVerdict().GetRating() != factcheckv1.Rating_RATING_FALSE {
		t.Errorf("imported annotation = %v", a)
	}
}

func TestImportBrokenRecords(t *testing.T) {
	e := newEnv(t)
	noClaim := annImport("articles/first", "Claim 01")
	noClaim.GetAnnotation().GetAnnotation().Claim = nil
	badURL := annImport("articles/first", "Claim 02", "not a url")
	wrongName := annImport("articles/first", "Claim 05")
	wrongName.GetAnnotation().GetAnnotation().Name = "articles/other/annotations/x"
	longReq := srcRec("", "https://evidence.example/long")
	longReq.RequestId = strings.Repeat("r", 300)
	run := e.mustImport(t, nil,
		[]*factcheckv1.ImportRecord{artRec("articles/first", newsURL1, claimsText), noClaim, badURL},
		[]*factcheckv1.ImportRecord{
			annImport("articles/first", "Nowhere said"),
			annImport("articles/first", "Claim 03", "https://evidence.example/missing"),
			annImport("articles/nope", "Claim 04"),
			annImport("ftp://x", "Claim 04"),
			{},
			longReq,
			wrongName,
			annImport(newsURL1, "Claim 06"),
		})
	type want struct {
		outcome factcheckv1.ImportResult_Outcome
		err     wantErr
	}
	failed := func(c codes.Code, reason string, fields ...string) want {
		return want{factcheckv1.ImportResult_OUTCOME_FAILED, wantErr{code: c, reason: reason, fields: fields}}
	}
	created := want{outcome: factcheckv1.ImportResult_OUTCOME_CREATED}
	for i, w := range []want{
		created,
		failed(codes.InvalidArgument, "FIELD_REQUIRED", "annotation.annotation.claim.text"),
		failed(codes.InvalidArgument, "INVALID_URL", "annotation.annotation.citations[0].source"),
		failed(codes.InvalidArgument, "QUOTE_NOT_FOUND", "annotation.annotation.anchor.quote.exact"),
		failed(codes.InvalidArgument, "SOURCE_NOT_FOUND", "annotation.annotation.citations[0].source"),
		failed(codes.NotFound, "ARTICLE_NOT_FOUND"),
		failed(codes.InvalidArgument, "INVALID_URL", "annotation.parent"),
		failed(codes.InvalidArgument, "FIELD_REQUIRED", "record"),
		failed(codes.InvalidArgument, "FIELD_TOO_LONG", "request_id"),
		failed(codes.InvalidArgument, "PARENT_MISMATCH", "annotation.annotation.name"),
		created,
	} {
		r := run.results[i]
		if r.GetOutcome() != w.outcome {
			t.Errorf("record %d: outcome %v, want %v (%v)", i, r.GetOutcome(), w.outcome, r.GetStatus())
			continue
		}
		if w.outcome == factcheckv1.ImportResult_OUTCOME_FAILED {
			t.Run(strconv.Itoa(i), func(t *testing.T) { checkErr(t, resultStatus(r), w.err) })
			if r.GetName() != "" {
				t.Errorf("failed record %d has a name %q", i, r.GetName())
			}
		}
	}
	if s := run.summary; s.GetCreated() != 2 || s.GetFailed() != 9 || !s.GetCommitted() {
		t.Errorf("summary = %v", s)
	}
	// The failed records left nothing: the article has the two good ones.
	list, err := e.annotations.ListAnnotations(ctxT(t), &factcheckv1.ListAnnotationsRequest{Parent: "articles/-"})
	if err != nil || len(list.GetAnnotations()) != 1 {
		t.Errorf("ListAnnotations = %d, %v; want the one good annotation", len(list.GetAnnotations()), err)
	}
}

// TestImportBatchResults: batch_results answers exactly what one message per
// result does, in ImportResults messages, in every mode.
func TestImportBatchResults(t *testing.T) {
	records := func() [][]*factcheckv1.ImportRecord {
		noClaim := annImport("articles/first", "Claim 01")
		noClaim.GetAnnotation().GetAnnotation().Claim = nil
		var good []*factcheckv1.ImportRecord
		for i := range 6 {
			a := annImport("articles/first", fmt.Sprintf("Claim %02d", i+2))
			a.GetAnnotation().GetAnnotation().Name = fmt.Sprintf("articles/first/annotations/a-%d", i)
			good = append(good, a)
		}
		return [][]*factcheckv1.ImportRecord{
			{artRec("articles/first", newsURL1, claimsText), srcRec("sources/ev-1", evURL1), noClaim},
			append(good, annImport("articles/first", "Nowhere said"), annImport("articles/nope", "Claim 04")),
		}
	}
	for _, tc := range []struct {
		name string
		opts *factcheckv1.ImportOptions
	}{
		{"partial", &factcheckv1.ImportOptions{}},
		{"atomic", &factcheckv1.ImportOptions{Mode: factcheckv1.ImportOptions_MODE_ATOMIC}},
		{"validate only", &factcheckv1.ImportOptions{ValidateOnly: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer server.SetImportChunk(4, 4<<20)()
			one := newEnv(t).mustImport(t, tc.opts, records()...)
			batched := proto.CloneOf(tc.opts)
			batched.BatchResults = true
			got := newEnv(t).mustImport(t, batched, records()...)
			if strings.ContainsRune(got.order, 'r') || !strings.ContainsRune(got.order, 'b') || !strings.HasSuffix(got.order, "ps") {
				t.Errorf("batched answers came as %q, want ImportResults, each chunk's before its progress", got.order)
			}
			if d := cmp.Diff(one.results, got.results, protocmp.Transform()); d != "" {
				t.Errorf("batched results differ from one per message (-one +batched):\n%s", d)
			}
			// How many chunks (and progress messages) there are depends on
			// how the stream's messages arrive; the totals do not.
			if last := func(r *importRun) *factcheckv1.ImportProgress { return r.progress[len(r.progress)-1] }; !proto.Equal(one.summary, got.summary) || !proto.Equal(last(one), last(got)) {
				t.Errorf("summary %v and last progress %v, want %v and %v", got.summary, last(got), one.summary, last(one))
			}
		})
	}

	// A chunk's results beyond the size limit go out in several messages.
	defer server.SetMaxResultsBytes(600)()
	var broken []*factcheckv1.ImportRecord
	for i := range 20 {
		broken = append(broken, annImport("articles/nope", fmt.Sprintf("Claim %02d", i)))
	}
	run := newEnv(t).mustImport(t, &factcheckv1.ImportOptions{BatchResults: true}, broken)
	if len(run.batches) < 3 || run.order != strings.Repeat("b", len(run.batches))+"ps" {
		t.Errorf("20 failures under a 600-byte limit came as %q (batches of %v), want several ImportResults, then the progress", run.order, run.batches)
	}
	for i, r := range run.results {
		if reasonOf(r) != "ARTICLE_NOT_FOUND" {
			t.Errorf("result %d: %v", i, r)
		}
	}
}

func TestImportBadOptions(t *testing.T) {
	e := newEnv(t)
	_, err := e.runImport(t, &factcheckv1.ImportOptions{Mode: 9}, []*factcheckv1.ImportRecord{srcRec("", evURL1)})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ENUM_VALUE", fields: []string{"options.mode"}})
	// An empty stream gets an empty summary.
	run := e.mustImport(t, nil)
	if run.order != "s" || run.summary.GetCommitted() {
		t.Errorf("empty stream answered %q, %v", run.order, run.summary)
	}
}

func TestImportAtomic(t *testing.T) {
	e := newEnv(t)
	atomic := &factcheckv1.ImportOptions{Mode: factcheckv1.ImportOptions_MODE_ATOMIC}
	file := newsroomFile()
	noClaim := annImport(newsURL1, "Claim 07")
	noClaim.GetAnnotation().GetAnnotation().Claim = nil
	broken := append(file, []*factcheckv1.ImportRecord{annImport(newsURL1, "Nowhere said"), noClaim})
	run := e.mustImport(t, atomic, broken...)
	for i, r := range run.results[:7] {
		if r.GetOutcome() != factcheckv1.ImportResult_OUTCOME_ROLLED_BACK || r.GetName() != "" {
			t.Errorf("record %d: %v, want rolled back without a name", i, r)
			continue
		}
		checkErr(t, resultStatus(r), wantErr{code: codes.Aborted, reason: "ATOMIC_IMPORT_ROLLED_BACK", meta: map[string]string{"failed_index": "7"}, says: []string{"record 7 failed"}})
	}
	checkErr(t, resultStatus(run.results[7]), wantErr{code: codes.InvalidArgument, reason: "QUOTE_NOT_FOUND"})
	checkErr(t, resultStatus(run.results[8]), wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"annotation.annotation.claim.text"}})
	if s := run.summary; s.GetCommitted() || s.GetCreated() != 0 || s.GetFailed() != 2 {
		t.Errorf("summary of a failed atomic import = %v", s)
	}
	e.wantCounts(t, 0, 0, 0)

	run = e.mustImport(t, atomic, file...)
	if s := run.summary; !s.GetCommitted() || s.GetCreated() != 7 {
		t.Errorf("summary of an atomic import = %v", s)
	}
	e.wantCounts(t, 2, 2, 3)

	// Over the limit: refused, nothing written.
	var many []*factcheckv1.ImportRecord
	for i := range 10001 {
		many = append(many, srcRec("", fmt.Sprintf("https://evidence.example/many/%d", i)))
	}
	_, err := e.runImport(t, atomic, many[:5000], many[5000:])
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "TOO_MANY_RECORDS", says: []string{"at most 10000 records", "MODE_PARTIAL"}})
	e.wantCounts(t, 2, 2, 3)
}

// wantCounts checks how many articles, sources and annotations the server
// holds.
func (e *env) wantCounts(t *testing.T, articles, sources, annotations int) {
	t.Helper()
	ctx := ctxT(t)
	a, err := e.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := [3]int{len(a.GetArticles()), len(s.GetSources()), len(n.GetAnnotations())}
	if want := [3]int{articles, sources, annotations}; got != want {
		t.Errorf("server holds %v articles, sources, annotations; want %v", got, want)
	}
}

func TestImportValidateOnly(t *testing.T) {
	e := newEnv(t)
	file := newsroomFile()
	file = append(file, []*factcheckv1.ImportRecord{annImport(newsURL1, "Nowhere said")})
	for _, mode := range []factcheckv1.ImportOptions_Mode{factcheckv1.ImportOptions_MODE_PARTIAL, factcheckv1.ImportOptions_MODE_ATOMIC} {
		run := e.mustImport(t, &factcheckv1.ImportOptions{Mode: mode, ValidateOnly: true}, file...)
		want := factcheckv1.ImportResult_OUTCOME_CREATED
		if mode == factcheckv1.ImportOptions_MODE_ATOMIC {
			want = factcheckv1.ImportResult_OUTCOME_ROLLED_BACK
		}
		for i, r := range run.results[:7] {
			if r.GetOutcome() != want {
				t.Errorf("%v: record %d is %v, want %v", mode, i, r.GetOutcome(), want)
			}
		}
		checkErr(t, resultStatus(run.results[7]), wantErr{code: codes.InvalidArgument, reason: "QUOTE_NOT_FOUND"})
		if s := run.summary; s.GetCommitted() || s.GetFailed() != 1 {
			t.Errorf("%v: summary = %v", mode, s)
		}
		e.wantCounts(t, 0, 0, 0)
	}
}

// TestImportValidateOnlyAcrossChunks: a client that waits for each result
// before sending the next record still gets answers, and later records may
// refer to what earlier chunks would have created.
func TestImportValidateOnlyAcrossChunks(t *testing.T) {
	e := newEnv(t)
	stream, err := factcheckv1.NewBulkServiceClient(e.conn).Import(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	recs := []*factcheckv1.ImportRecord{
		artRec("", newsURL1, claimsText),
		srcRec("sources/ev", evURL1),
		annImport(newsURL1, "Claim 01", "sources/ev"),
	}
	for i, rec := range recs {
		req := &factcheckv1.ImportRequest{Records: []*factcheckv1.ImportRecord{rec}}
		if i == 0 {
			req.Options = &factcheckv1.ImportOptions{ValidateOnly: true}
		}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r := resp.GetResult(); r.GetIndex() != int64(i) || r.GetOutcome() != factcheckv1.ImportResult_OUTCOME_CREATED {
			t.Fatalf("record %d: %v", i, resp)
		}
		if _, err := stream.Recv(); err != nil { // progress
			t.Fatal(err)
		}
	}
	_ = stream.CloseSend()
	if _, err := readImport(stream); err != nil {
		t.Fatal(err)
	}
	e.wantCounts(t, 0, 0, 0)
}

func TestImportRerun(t *testing.T) {
	e := newEnv(t)
	file := newsroomFile()
	// Identified by request ID alone, and by external ID.
	noURL := annImport(newsURL1, "Claim 10")
	noURL.RequestId = "req-10"
	ext := annImport(newsURL1, "Claim 11")
	ext.GetAnnotation().GetAnnotation().ExternalId = "ext-11"
	file = append(file, []*factcheckv1.ImportRecord{noURL, ext})
	// annImport without a name or an external ID is identified by nothing:
	// give the others request IDs as a client re-running a file would.
	for i, rec := range file[1] {
		rec.RequestId = "req-" + strconv.Itoa(i)
	}
	file[3][0].RequestId = "req-3"

	first := e.mustImport(t, nil, file...)
	second := e.mustImport(t, nil, file...)
	for i := range first.results {
		f, s := first.results[i], second.results[i]
		if f.GetOutcome() != factcheckv1.ImportResult_OUTCOME_CREATED || s.GetOutcome() != factcheckv1.ImportResult_OUTCOME_EXISTING || f.GetName() != s.GetName() {
			t.Errorf("record %d: first %v %s, then %v %s; want created, then existing under the same name", i, f.GetOutcome(), f.GetName(), s.GetOutcome(), s.GetName())
		}
	}
	if s := second.summary; s.GetExisting() != 9 || s.GetCreated() != 0 || s.GetCommitted() {
		t.Errorf("summary of the re-run = %v", s)
	}
	e.wantCounts(t, 2, 2, 5)
}

func TestImportPositionUnits(t *testing.T) {
	e := newEnv(t)
	var sample struct {
		URL    string `json:"url"`
		Text   string `json:"text"`
		Quotes []struct {
			Exact      string   `json:"exact"`
			CodePoints [2]int32 `json:"code_points"`
			UTF16      [2]int32 `json:"utf16"`
			UTF8       [2]int32 `json:"utf8_bytes"`
		} `json:"quotes"`
	}
	readPlainJSON(t, "multilingual.article.json", &sample)
	recs := []*factcheckv1.ImportRecord{artRec("articles/multi", sample.URL, sample.Text)}
	for _, q := range sample.Quotes {
		for _, u := range []struct {
			unit factcheckv1.PositionUnit
			span [2]int32
		}{
			{factcheckv1.PositionUnit_POSITION_UNIT_UTF16, q.UTF16},
			{factcheckv1.PositionUnit_POSITION_UNIT_UTF8, q.UTF8},
			{factcheckv1.PositionUnit_POSITION_UNIT_CODE_POINT, q.CodePoints},
		} {
			rec := annImport("articles/multi", q.Exact)
			rec.GetAnnotation().PositionUnit = u.unit
			rec.GetAnnotation().GetAnnotation().GetAnchor().Position = &factcheckv1.TextPositionSelector{Start: u.span[0], End: u.span[1]}
			recs = append(recs, rec)
		}
	}
	// Half of 💬's surrogate pair.
	half := annImport("articles/multi", "💬")
	half.GetAnnotation().PositionUnit = factcheckv1.PositionUnit_POSITION_UNIT_UTF16
	half.GetAnnotation().GetAnnotation().GetAnchor().Position = &factcheckv1.TextPositionSelector{Start: 176, End: 177}
	recs = append(recs, half)

	run := e.mustImport(t, nil, recs)
	ctx := ctxT(t)
	for i, r := range run.results[1 : len(run.results)-1] {
		q := sample.Quotes[i/3]
		if r.GetOutcome() != factcheckv1.ImportResult_OUTCOME_CREATED {
			t.Errorf("quote %q in %v: %v", q.Exact, recs[i+1].GetAnnotation().GetPositionUnit(), r.GetStatus())
			continue
		}
		got, err := e.annotations.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: r.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		an := got.GetAnnotation().GetAnchor()
		if p, u := an.GetPosition(), an.GetUtf16(); p.GetStart() != q.CodePoints[0] || p.GetEnd() != q.CodePoints[1] || u.GetStart() != q.UTF16[0] || u.GetEnd() != q.UTF16[1] {
			t.Errorf("quote %q given in %v: position %v, utf16 %v; want code points %v, UTF-16 %v", q.Exact, recs[i+1].GetAnnotation().GetPositionUnit(), p, u, q.CodePoints, q.UTF16)
		}
	}
	checkErr(t, resultStatus(run.results[len(run.results)-1]), wantErr{code: codes.InvalidArgument, reason: "INVALID_POSITION",
		fields: []string{"annotation.annotation.anchor.position"}, says: []string{"surrogate pair"}})
}

// TestImportCancel cancels a stream after some chunks committed: what was
// committed stays, the rest is not half-written, and running the whole file
// again creates nothing twice.
func TestImportCancel(t *testing.T) {
	e := newEnv(t)
	const n = 3000
	var msgs [][]*factcheckv1.ImportRecord
	msgs = append(msgs, []*factcheckv1.ImportRecord{artRec("articles/big", newsURL1, claimsText)})
	for i := 0; i < n; i += 100 {
		var m []*factcheckv1.ImportRecord
		for j := i; j < i+100; j++ {
			rec := annImport("articles/big", fmt.Sprintf("Claim %02d", j%100))
			rec.RequestId = fmt.Sprintf("ann-%d", j)
			m = append(m, rec)
		}
		msgs = append(msgs, m)
	}

	ctx, cancel := context.WithCancel(ctxT(t))
	stream, err := factcheckv1.NewBulkServiceClient(e.conn).Import(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Half the file, then wait for some results, then give up.
	for _, m := range msgs[:len(msgs)/2] {
		if err := stream.Send(&factcheckv1.ImportRequest{Records: m}); err != nil {
			t.Fatal(err)
		}
	}
	seen := 0
	for seen < 200 {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetResult() != nil {
			seen++
		}
	}
	cancel()
	for {
		if _, err := stream.Recv(); err != nil {
			if code(err) != codes.Canceled {
				t.Errorf("after cancel: %v", err)
			}
			break
		}
	}

	run := e.mustImport(t, nil, msgs...)
	s := run.summary
	if s.GetCreated()+s.GetExisting() != n+1 || s.GetFailed() != 0 || s.GetExisting() < int64(seen) {
		t.Errorf("re-run after cancel: %v; want %d created or existing, at least %d existing", s, n+1, seen)
	}
	// Exactly one annotation per request ID.
	var all int
	token := ""
	for {
		list, err := e.annotations.ListAnnotations(ctxT(t), &factcheckv1.ListAnnotationsRequest{Parent: "articles/big", PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all += len(list.GetAnnotations())
		if token = list.GetNextPageToken(); token == "" {
			break
		}
	}
	if all != n {
		t.Errorf("%d annotations after an interrupted import and its re-run, want %d", all, n)
	}
}

// exportAll runs an export and returns its items and trailer.
func (e *env) exportAll(t *testing.T, req *factcheckv1.ExportRequest) ([]*factcheckv1.ExportResponse, map[string][]string) {
	t.Helper()
	stream, err := factcheckv1.NewBulkServiceClient(e.conn).Export(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	var out []*factcheckv1.ExportResponse
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, stream.Trailer()
		}
		if err != nil {
			t.Fatalf("Export: %v", err)
		}
		out = append(out, resp)
	}
}

// richFile is a newsroom with every field filled in somewhere, and a source
// no annotation cites.
func richFile(t *testing.T) [][]*factcheckv1.ImportRecord {
	file := newsroomFile()
	shafaq := shafaqArticle(t)
	shafaq.Name = "articles/shafaq-talks"
	wapo := srcRec("sources/wapo-talks", wapoURL)
	wapo.GetSource().ArchiveUrl = "https://archive.example/wapo"
	wapo.GetSource().Notes = "paywalled"
	wapo.GetSource().Authors = []string{"A. Reporter"}
	ann := annImport("articles/shafaq-talks", wapoQuote, "sources/wapo-talks")
	a := ann.GetAnnotation().GetAnnotation()
	a.Name = "articles/shafaq-talks/annotations/talks-before-oct-7"
	a.ExternalId = "import-1"
	a.State = factcheckv1.Annotation_STATE_DRAFT
	a.Verdict = &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_UNPROVEN, Label: "Single source"}
	a.Claim.Claimant = &factcheckv1.Claimant{Name: "The Washington Post", Kind: factcheckv1.Claimant_KIND_ORGANIZATION, SameAs: "https://www.washingtonpost.com/"}
	noVerdict := annImport("articles/shafaq-talks", "Shafaq News")
	noVerdict.GetAnnotation().GetAnnotation().Verdict = nil
	return append(file,
		[]*factcheckv1.ImportRecord{{Record: &factcheckv1.ImportRecord_Article{Article: shafaq}}, wapo, srcRec("", "https://evidence.example/uncited")},
		[]*factcheckv1.ImportRecord{ann, noVerdict},
	)
}

// TestExportJSONLRoundTrip exports everything as JSONL, imports the records
// into an empty server, and finds the same names and content there.
func TestExportJSONLRoundTrip(t *testing.T) {
	src := newEnv(t)
	src.mustImport(t, nil, richFile(t)...)
	items, _ := src.exportAll(t, &factcheckv1.ExportRequest{})
	var recs []*factcheckv1.ImportRecord
	kinds := ""
	for _, it := range items {
		rec := it.GetRecord()
		if rec == nil {
			t.Fatalf("JSONL export item %v is not a record", it)
		}
		switch rec.GetRecord().(type) {
		case *factcheckv1.ImportRecord_Article:
			kinds += "a"
		case *factcheckv1.ImportRecord_Source:
			kinds += "s"
		case *factcheckv1.ImportRecord_Annotation:
			kinds += "n"
		}
		recs = append(recs, rec)
	}
	if kinds != "aaassssnnnnn" {
		t.Errorf("export record kinds %q, want every article, then every source, then the annotations", kinds)
	}

	dst := newEnv(t)
	run := dst.mustImport(t, nil, recs)
	if s := run.summary; s.GetCreated() != int64(len(recs)) {
		t.Fatalf("re-import: %v\n%q", s, run.outcomes())
	}
	ctx := ctxT(t)
	ignore := protocmp.IgnoreFields(&factcheckv1.Article{}, "create_time", "update_time", "etag")
	ignoreSrc := protocmp.IgnoreFields(&factcheckv1.Source{}, "create_time", "update_time", "etag")
	ignoreAnn := protocmp.IgnoreFields(&factcheckv1.Annotation{}, "create_time", "update_time", "etag")
	full := factcheckv1.ArticleView_ARTICLE_VIEW_FULL
	a1, _ := src.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{View: full})
	a2, _ := dst.articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{View: full})
	if d := cmp.Diff(a1.GetArticles(), a2.GetArticles(), protocmp.Transform(), ignore); d != "" || len(a1.GetArticles()) != 3 {
		t.Errorf("articles after the round trip (-exported +imported):\n%s", d)
	}
	s1, _ := src.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{})
	s2, _ := dst.sources.ListSources(ctx, &factcheckv1.ListSourcesRequest{})
	if d := cmp.Diff(s1.GetSources(), s2.GetSources(), protocmp.Transform(), ignoreSrc); d != "" || len(s1.GetSources()) != 4 {
		t.Errorf("sources after the round trip (-exported +imported):\n%s", d)
	}
	n1, _ := src.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-"})
	n2, _ := dst.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-"})
	if d := cmp.Diff(n1.GetAnnotations(), n2.GetAnnotations(), protocmp.Transform(), ignoreAnn); d != "" || len(n1.GetAnnotations()) != 5 {
		t.Errorf("annotations after the round trip (-exported +imported):\n%s", d)
	}

	// Importing the export again into either server creates nothing.
	for _, e := range []*env{src, dst} {
		if s := e.mustImport(t, nil, recs).summary; s.GetExisting() != int64(len(recs)) {
			t.Errorf("re-import of an export: %v", s)
		}
	}
}

func TestExportFiltered(t *testing.T) {
	e := newEnv(t)
	e.mustImport(t, nil, richFile(t)...)
	items, _ := e.exportAll(t, &factcheckv1.ExportRequest{Parent: "articles/shafaq-talks", Filter: "verdict.rating = RATING_UNPROVEN", Format: factcheckv1.Format_FORMAT_JSONL})
	var got []string
	for _, it := range items {
		r := it.GetRecord()
		switch {
		case r.GetArticle() != nil:
			got = append(got, r.GetArticle().GetName())
		case r.GetSource() != nil:
			got = append(got, r.GetSource().GetName())
		default:
			got = append(got, r.GetAnnotation().GetParent()+" "+r.GetAnnotation().GetAnnotation().GetName())
		}
	}
	want := []string{"articles/shafaq-talks", "sources/wapo-talks", "articles/shafaq-talks articles/shafaq-talks/annotations/talks-before-oct-7"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("filtered export (-want +got):\n%s", d)
	}

	_, err := func() (any, error) {
		stream, err := factcheckv1.NewBulkServiceClient(e.conn).Export(ctxT(t), &factcheckv1.ExportRequest{Filter: "nonsense ===", BaseUrl: "nope"})
		if err != nil {
			return nil, err
		}
		return stream.Recv()
	}()
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_FIELDS", fields: []string{"filter", "base_url"}})
}

func TestExportDocuments(t *testing.T) {
	e := newEnv(t)
	e.mustImport(t, nil, richFile(t)...)
	items, trailer := e.exportAll(t, &factcheckv1.ExportRequest{Format: factcheckv1.Format_FORMAT_WEB_ANNOTATION, BaseUrl: "https://checks.example/a"})
	if len(items) != 5 || len(trailer[strings.ToLower("factcheck-export-skipped")]) != 0 {
		t.Fatalf("%d Web Annotations, trailer %v; want 5 and nothing skipped", len(items), trailer)
	}
	doc := items[3].GetDocument().AsMap()
	if doc["type"] != "Annotation" || doc["id"] != "https://checks.example/a/articles/shafaq-talks/annotations/talks-before-oct-7" {
		t.Errorf("Web Annotation = %v", doc)
	}

	items, trailer = e.exportAll(t, &factcheckv1.ExportRequest{Format: factcheckv1.Format_FORMAT_CLAIM_REVIEW})
	if len(items) != 4 {
		t.Errorf("%d ClaimReviews, want 4 (one annotation has no verdict)", len(items))
	}
	if got := trailer["factcheck-export-skipped"]; len(got) != 1 || got[0] != "1" {
		t.Errorf("trailer %v does not count the skipped annotation", trailer)
	}
	if got := trailer["factcheck-export-skipped-annotation"]; len(got) != 1 || !strings.Contains(got[0], "verdict") {
		t.Errorf("trailer %v does not name the skipped annotation", trailer)
	}
	for _, it := range items {
		doc := it.GetDocument().AsMap()
		if doc["@type"] != "ClaimReview" || !strings.HasPrefix(doc["url"].(string), "https://factcheck.invalid/articles/") {
			t.Errorf("ClaimReview = %v", doc)
		}
		if doc["author"] != nil {
			t.Errorf("ClaimReview of a server without Config.Newsroom names an author: %v", doc["author"])
		}
	}
}

// TestExportClaimReviewAuthor: a server told its newsroom names it as the
// author Google requires of every ClaimReview.
func TestExportClaimReviewAuthor(t *testing.T) {
	e := newEnvWith(t, server.Config{Newsroom: "Shafaq Fact Check", PublicURL: "https://checks.example/fc"})
	e.mustImport(t, nil, richFile(t)...)
	items, _ := e.exportAll(t, &factcheckv1.ExportRequest{Format: factcheckv1.Format_FORMAT_CLAIM_REVIEW})
	if len(items) == 0 {
		t.Fatal("no ClaimReview exported")
	}
	for _, it := range items {
		doc := it.GetDocument().AsMap()
		author, _ := doc["author"].(map[string]any)
		if author["name"] != "Shafaq Fact Check" {
			t.Errorf("ClaimReview author = %v, want the newsroom", doc["author"])
		}
		if !strings.HasPrefix(doc["url"].(string), "https://checks.example/fc/articles/") {
			t.Errorf("ClaimReview url = %v, want it under Config.PublicURL", doc["url"])
		}
		for _, p := range interchange.ClaimReviewProblems(doc) {
			if strings.Contains(p, "required") {
				t.Errorf("ClaimReview misses a required property: %s", p)
			}
		}
	}
}

func TestBatchCreateAnnotations(t *testing.T) {
	e := newEnv(t)
	e.mustImport(t, nil, newsroomFile()[0])
	ctx := ctxT(t)
	req := func(exact string) *factcheckv1.CreateAnnotationRequest {
		return &factcheckv1.CreateAnnotationRequest{Annotation: proto.CloneOf(annImport("", exact, "sources/ev-1").GetAnnotation().GetAnnotation())}
	}
	batch := &factcheckv1.BatchCreateAnnotationsRequest{Parent: "articles/first", Requests: []*factcheckv1.CreateAnnotationRequest{req("Claim 01"), req("Claim 02"), req("Claim 03")}}
	batch.Requests[1].Annotation.Claim.Text = ""
	_, err := e.annotations.BatchCreateAnnotations(ctx, batch)
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"requests[1].annotation.claim.text"}, says: []string{"requests[1].annotation.claim.text"}})

	batch.Requests[1] = req("Claim 02")
	batch.Requests[2] = req("Nowhere said")
	_, err = e.annotations.BatchCreateAnnotations(ctx, batch)
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "QUOTE_NOT_FOUND", fields: []string{"requests[2].annotation.anchor.quote.exact"},
		says: []string{"requests[2].annotation.anchor.quote.exact"}, meta: map[string]string{"request_index": "2"}})

	batch.Requests[2] = req("Claim 03")
	batch.Requests[0].Annotation.ExternalId, batch.Requests[2].Annotation.ExternalId = "same", "same"
	_, err = e.annotations.BatchCreateAnnotations(ctx, batch)
	checkErr(t, err, wantErr{code: codes.AlreadyExists, reason: "EXTERNAL_ID_ALREADY_EXISTS", says: []string{"requests[2]"}})
	e.wantCounts(t, 2, 2, 0)

	batch.Requests[2].Annotation.ExternalId = ""
	batch.Requests[1].AnnotationId = "second"
	batch.Requests[1].Parent = "articles/first"
	resp, err := e.annotations.BatchCreateAnnotations(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetAnnotations()) != 3 || resp.GetAnnotations()[1].GetName() != "articles/first/annotations/second" || resp.GetAnnotations()[2].GetAnchor().GetQuote().GetExact() != "Claim 03" {
		t.Errorf("BatchCreateAnnotations = %v", resp)
	}

	batch.Requests[0].Parent = "articles/other"
	_, err = e.annotations.BatchCreateAnnotations(ctx, batch)
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"requests[0].parent"}})
	_, err = e.annotations.BatchCreateAnnotations(ctx, &factcheckv1.BatchCreateAnnotationsRequest{Parent: "articles/first", Requests: make([]*factcheckv1.CreateAnnotationRequest, 1001)})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "TOO_MANY_ITEMS", fields: []string{"requests"}})
}
