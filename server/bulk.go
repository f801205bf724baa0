package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// Import commits in chunks: one store.Import (one transaction, one fsync)
// per chunk, as soon as the stream has no record waiting, or when the chunk
// reaches chunkRecords records or chunkBytes bytes of records. Waiting for
// nothing is group commit: while a chunk commits the next one queues up, so
// chunks grow with the load and a slow client still gets its results at once.
//
// BenchmarkImportChunkSize (bulk_bench_test.go) chose the record limit by
// what a chunk costs per record, which unlike wall time hardly depends on what
// else the machine runs (2 cores, ext4; wall time varied ±50% with other
// jobs):
//
//	limit   bytes written/record   CPU µs/record   fsyncs/record
//	  100          3,901                53            1/100
//	  250          2,028                41            1/250
//	  500          1,660                38            1/500
//	1,000          1,388                40            1/1,000
//	2,000          1,241                40            1/2,000
//	5,000          1,158                38            1/5,000
//
// Past 1,000 a chunk saves little (11% fewer bytes at 2,000) but holds the
// write lock, which every other writer waits for, twice as long (20 ms of CPU
// per 1,000 annotations, plus the fsync). The byte limit keeps a chunk of
// articles (texts up to 1 MiB each) from building a transaction of a
// gigabyte.
const (
	chunkRecords = 1000
	chunkBytes   = 4 << 20
)

// The chunk limits in force; tests and benchmarks change them.
var (
	importChunkRecords = chunkRecords
	importChunkBytes   = chunkBytes
)

// queueBytes bounds the records read from the stream but not yet answered,
// so an import holds a bounded part of its stream whatever its length; a
// client sending faster than records commit is slowed by flow control.
const queueBytes = 16 << 20

// An atomic import is one transaction at the end of the stream, so it holds
// every record in memory: at most maxAtomicRecords (the API's limit) and
// maxAtomicBytes of records.
const (
	maxAtomicRecords = 10000
	maxAtomicBytes   = 128 << 20
)

// A validate_only import is rolled back chunk by chunk; its chunks are as
// large as an atomic import's, and it waits dryRunLinger for more records
// before checking a partial chunk, because every chunk repeats the articles
// and sources earlier ones would have created (see dryRunCarry).
const (
	dryRunLinger = 20 * time.Millisecond
	// dryRunCarryBytes bounds what is repeated: past it, a record that
	// refers to an article or source created far earlier in a validate_only
	// stream is reported as not found.
	dryRunCarryBytes = 64 << 20
)

// maxRequestIDBytes is the limit of ImportRecord.request_id.
const maxRequestIDBytes = 256

// Reasons of the bulk service.
const (
	reasonTooManyRecords = "TOO_MANY_RECORDS"
	reasonRolledBack     = "ATOMIC_IMPORT_ROLLED_BACK"
	reasonParentMismatch = "PARENT_MISMATCH"
)

type bulkService struct {
	factcheckv1.UnimplementedBulkServiceServer
	st        store.Store
	logger    *slog.Logger
	publicURL string
	newsroom  string
	// imported counts committed import records by outcome; nil without
	// Config.Metrics.
	imported *prometheus.CounterVec
}

var _ factcheckv1.BulkServiceServer = (*bulkService)(nil)

// pending is one record read from the stream, validated and converted.
type pending struct {
	index int64
	rec   store.ImportRecord
	// prefix places the store's field paths (relative to the resource)
	// in the ImportRecord: "article", "source", "annotation.annotation".
	prefix string
	// invalid is the validation failure; such a record never reaches the
	// store.
	invalid *spb.Status
	size    int
}

// batch is the records of one ImportRequest.
type batch struct {
	recs  []pending
	bytes int
}

// importRun is the state of one Import call.
type importRun struct {
	s      *bulkService
	stream factcheckv1.BulkService_ImportServer
	ctx    context.Context
	opts   store.ImportOptions
	atomic bool
	// batch answers a chunk's results in ImportResults messages.
	batch bool
	// caller is who imports: the states its annotation records may have
	// depend on its role.
	caller *caller

	received atomic.Int64
	queue    *budget
	// readErr is why reading stopped early; read once batches is closed.
	readErr error
	// out carries each chunk's answers to the goroutine that sends them,
	// so that the next chunk commits while they go out.
	out chan []*factcheckv1.ImportResponse

	committed, created, existing, failed int64
	wrote                                bool

	// carry holds, in a validate_only import, the articles and sources
	// earlier chunks would have created, repeated at the start of every
	// chunk so that records can refer to them.
	carry      []store.ImportRecord
	carryBytes int
}

// Import implements factcheckv1.BulkServiceServer. One goroutine reads and
// validates the stream, this one commits chunks, and a third sends the
// answers, so that reading, writing and answering overlap.
func (s *bulkService) Import(stream factcheckv1.BulkService_ImportServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return stream.Send(summaryResponse(&factcheckv1.ImportSummary{}))
	}
	if err != nil {
		return err
	}
	var v validator
	opts := first.GetOptions()
	v.enum("options.mode", protoreflect.EnumNumber(opts.GetMode()), factcheckv1.ImportOptions_MODE_UNSPECIFIED.Descriptor())
	if err := v.err(); err != nil {
		return err
	}
	run := &importRun{
		s: s, stream: stream, ctx: ctx, caller: callerFrom(ctx),
		atomic: opts.GetMode() == factcheckv1.ImportOptions_MODE_ATOMIC,
		batch:  opts.GetBatchResults(),
		opts:   store.ImportOptions{AllOrNothing: opts.GetMode() == factcheckv1.ImportOptions_MODE_ATOMIC, DryRun: opts.GetValidateOnly()},
		queue:  newBudget(queueBytes),
	}
	if !run.caller.has(PermAnnotationsReadDrafts) {
		run.opts.CheckExisting = refuseHidden(run.caller)
	}
	defer s.countImported(run)
	batches := make(chan batch, 64)
	var readDone sync.WaitGroup
	readDone.Add(1)
	go func() {
		defer readDone.Done()
		// run.readErr is set before the close that tells the committer.
		defer close(batches)
		run.readErr = run.read(first, batches)
	}()
	run.out = make(chan []*factcheckv1.ImportResponse, 2)
	sent := make(chan error, 1)
	go func() { sent <- run.send() }()
	if run.atomic {
		err = run.atomicImport(batches)
	} else {
		err = run.chunkedImport(batches)
	}
	// The answers queued so far go out before the error or the summary.
	close(run.out)
	if serr := <-sent; err == nil {
		err = serr
	}
	if err != nil {
		// The reader stops at its next send or receive.
		cancel()
		return err
	}
	readDone.Wait()
	return stream.Send(summaryResponse(&factcheckv1.ImportSummary{
		Received:  run.received.Load(),
		Created:   run.created,
		Existing:  run.existing,
		Failed:    run.failed,
		Committed: run.wrote && !run.opts.DryRun,
	}))
}

// read turns ImportRequests into batches until the client closes its side.
// Atomic imports bypass the queue budget: their limits bound them instead.
func (run *importRun) read(msg *factcheckv1.ImportRequest, out chan<- batch) error {
	var total int64
	var totalBytes int
	for {
		b := batch{recs: make([]pending, 0, len(msg.GetRecords()))}
		for _, rec := range msg.GetRecords() {
			p := convertRecord(total, rec, run.caller)
			total++
			b.recs = append(b.recs, p)
			b.bytes += p.size
		}
		totalBytes += b.bytes
		if run.atomic && (total > maxAtomicRecords || totalBytes > maxAtomicBytes) {
			return newStatus(codes.InvalidArgument, reasonTooManyRecords,
				map[string]string{"max_records": strconv.Itoa(maxAtomicRecords), "max_bytes": strconv.Itoa(maxAtomicBytes)},
				fmt.Sprintf("an atomic import holds at most %d records and %d MiB of them, and this one sent more: import it with MODE_PARTIAL (a re-run creates nothing twice), or split it into atomic imports of at most %d records",
					maxAtomicRecords, maxAtomicBytes>>20, maxAtomicRecords)).Err()
		}
		run.received.Store(total)
		if len(b.recs) > 0 {
			if !run.atomic {
				if err := run.queue.acquire(run.ctx, b.bytes); err != nil {
					return err
				}
			}
			select {
			case out <- b:
			case <-run.ctx.Done():
				return run.ctx.Err()
			}
		}
		var err error
		msg, err = run.stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// send sends the answers queued on out until it is closed. After a failed
// Send it only drains the queue: the stream is gone.
func (run *importRun) send() error {
	var err error
	for msgs := range run.out {
		for _, m := range msgs {
			if err != nil {
				break
			}
			err = run.stream.Send(m)
		}
	}
	return err
}

// answer queues msgs for send.
func (run *importRun) answer(msgs []*factcheckv1.ImportResponse) error {
	select {
	case run.out <- msgs:
		return nil
	case <-run.ctx.Done():
		return run.ctx.Err()
	}
}

// maxResultsBytes bounds one ImportResults message, well under the 4 MiB a
// gRPC client accepts by default: a chunk of failures, each with its
// details, can be larger.
var maxResultsBytes = 1 << 20

// answerResults queues rs, then the progress: one message per result, or
// with batch_results as few ImportResults messages as maxResultsBytes
// allows.
func (run *importRun) answerResults(rs []*factcheckv1.ImportResult) error {
	if !run.batch {
		msgs := make([]*factcheckv1.ImportResponse, 0, len(rs)+1)
		for _, r := range rs {
			msgs = append(msgs, &factcheckv1.ImportResponse{Response: &factcheckv1.ImportResponse_Result{Result: r}})
		}
		return run.answer(append(msgs, run.progressResponse()))
	}
	var msgs []*factcheckv1.ImportResponse
	for len(rs) > 0 {
		// A result without a status is its index, outcome and name: no
		// need to ask proto for those sizes.
		n, size := 0, 0
		for ; n < len(rs); n++ {
			r := 24 + len(rs[n].GetName())
			if st := rs[n].GetStatus(); st != nil {
				r += proto.Size(st)
			}
			if n > 0 && size+r > maxResultsBytes {
				break
			}
			size += r
		}
		msgs = append(msgs, &factcheckv1.ImportResponse{Response: &factcheckv1.ImportResponse_Results{
			Results: &factcheckv1.ImportResults{Results: rs[:n:n]}}})
		rs = rs[n:]
	}
	return run.answer(append(msgs, run.progressResponse()))
}

func (run *importRun) progressResponse() *factcheckv1.ImportResponse {
	return &factcheckv1.ImportResponse{Response: &factcheckv1.ImportResponse_Progress{Progress: &factcheckv1.ImportProgress{
		Received:  run.received.Load(),
		Committed: run.committed,
		Failed:    run.failed,
	}}}
}

// chunkedImport commits PARTIAL imports (and checks validate_only ones) chunk
// by chunk.
func (run *importRun) chunkedImport(batches <-chan batch) error {
	var (
		chunk      []pending
		chunkSize  int
		maxRecords = importChunkRecords
		maxBytes   = importChunkBytes
		linger     time.Duration
	)
	if run.opts.DryRun {
		maxRecords, maxBytes, linger = maxAtomicRecords, queueBytes/2, dryRunLinger
	}
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := run.commit(chunk)
		run.queue.release(chunkSize)
		chunk, chunkSize = chunk[:0], 0
		return err
	}
	var timer *time.Timer
	for {
		var (
			b  batch
			ok bool
		)
		switch {
		case len(chunk) == 0:
			select {
			case b, ok = <-batches:
			case <-run.ctx.Done():
				return run.ctx.Err()
			}
		case linger == 0:
			select {
			case b, ok = <-batches:
			default:
				if err := flush(); err != nil {
					return err
				}
				continue
			}
		default:
			if timer == nil {
				timer = time.NewTimer(linger)
			} else {
				timer.Reset(linger)
			}
			select {
			case b, ok = <-batches:
			case <-timer.C:
				if err := flush(); err != nil {
					return err
				}
				continue
			case <-run.ctx.Done():
				return run.ctx.Err()
			}
		}
		if !ok {
			// Records of a stream that broke are not committed: the
			// client may not know they were sent.
			if run.readErr != nil {
				return run.readErr
			}
			return flush()
		}
		chunk = append(chunk, b.recs...)
		chunkSize += b.bytes
		if len(chunk) >= maxRecords || chunkSize >= maxBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// commit runs one chunk through the store and answers for every record.
func (run *importRun) commit(chunk []pending) error {
	recs := make([]store.ImportRecord, 0, len(run.carry)+len(chunk))
	recs = append(recs, run.carry...)
	for _, p := range chunk {
		if p.invalid == nil {
			recs = append(recs, p.rec)
		}
	}
	var results []store.ImportResult
	if len(recs) > 0 {
		var err error
		if results, err = run.s.st.Import(run.ctx, recs, run.opts); err != nil {
			return err
		}
		results = results[len(run.carry):]
	}
	var committed int64
	j := 0
	out := make([]*factcheckv1.ImportResult, 0, len(chunk))
	for _, p := range chunk {
		res := run.result(p, results, &j)
		switch res.GetOutcome() {
		case factcheckv1.ImportResult_OUTCOME_CREATED, factcheckv1.ImportResult_OUTCOME_EXISTING:
			committed++
		}
		out = append(out, res)
		if run.opts.DryRun && res.GetOutcome() == factcheckv1.ImportResult_OUTCOME_CREATED && p.rec.Annotation == nil &&
			run.carryBytes+p.size <= dryRunCarryBytes {
			run.carry = append(run.carry, p.rec)
			run.carryBytes += p.size
		}
	}
	if !run.opts.DryRun {
		run.committed += committed
	}
	return run.answerResults(out)
}

// result makes the answer for p: its validation failure, or the store's
// result results[*j] (advancing j).
func (run *importRun) result(p pending, results []store.ImportResult, j *int) *factcheckv1.ImportResult {
	out := &factcheckv1.ImportResult{Index: p.index}
	if p.invalid != nil {
		out.Outcome, out.Status = factcheckv1.ImportResult_OUTCOME_FAILED, p.invalid
		run.failed++
		return out
	}
	r := results[*j]
	*j++
	out.Name = r.Name
	out.Outcome = factcheckv1.ImportResult_Outcome(r.Outcome)
	switch r.Outcome {
	case store.OutcomeCreated:
		run.created++
		run.wrote = true
	case store.OutcomeExisting:
		run.existing++
	case store.OutcomeFailed:
		run.failed++
		out.Status = recordStatus(r.Err, p.prefix)
	}
	return out
}

// atomicImport reads the whole stream, then imports it in one transaction.
func (run *importRun) atomicImport(batches <-chan batch) error {
	var all []pending
	for {
		select {
		case b, ok := <-batches:
			if !ok {
				if run.readErr != nil {
					return run.readErr
				}
				return run.commitAtomic(all)
			}
			all = append(all, b.recs...)
		case <-run.ctx.Done():
			return run.ctx.Err()
		}
	}
}

func (run *importRun) commitAtomic(all []pending) error {
	opts := run.opts
	var recs []store.ImportRecord
	for _, p := range all {
		if p.invalid != nil {
			// Nothing will be written, but the store still reports
			// what else would fail, so that one run lists every problem.
			opts.DryRun = true
			continue
		}
		recs = append(recs, p.rec)
	}
	var results []store.ImportResult
	if len(recs) > 0 {
		var err error
		if results, err = run.s.st.Import(run.ctx, recs, opts); err != nil {
			return err
		}
	}
	out := make([]*factcheckv1.ImportResult, len(all))
	firstFailed := int64(-1)
	j := 0
	for i, p := range all {
		out[i] = run.result(p, results, &j)
		if out[i].GetOutcome() == factcheckv1.ImportResult_OUTCOME_FAILED && firstFailed < 0 {
			firstFailed = p.index
		}
	}
	if firstFailed >= 0 {
		// A dry run reported created records that the failure undoes, and
		// the store's own AllOrNothing already did the same otherwise.
		for _, r := range out {
			if r.GetOutcome() == factcheckv1.ImportResult_OUTCOME_CREATED || r.GetOutcome() == factcheckv1.ImportResult_OUTCOME_ROLLED_BACK {
				if r.GetOutcome() == factcheckv1.ImportResult_OUTCOME_CREATED {
					run.created--
				}
				r.Outcome, r.Name = factcheckv1.ImportResult_OUTCOME_ROLLED_BACK, ""
				r.Status = newStatus(codes.Aborted, reasonRolledBack, map[string]string{"failed_index": strconv.FormatInt(firstFailed, 10)},
					fmt.Sprintf("not written: record %d failed, and an atomic import writes all of its records or none; fix the failed records and import again", firstFailed)).Proto()
			}
		}
		run.wrote = false
	}
	if run.wrote && !opts.DryRun {
		run.committed = run.created + run.existing
	}
	return run.answerResults(out)
}

func summaryResponse(s *factcheckv1.ImportSummary) *factcheckv1.ImportResponse {
	return &factcheckv1.ImportResponse{Response: &factcheckv1.ImportResponse_Summary{Summary: s}}
}

// recordStatus is the status of a record the store refused, with field paths
// relative to the ImportRecord.
func recordStatus(e *store.Error, prefix string) *spb.Status {
	if e == nil {
		return newStatus(codes.Internal, reasonInternal, nil, "the store reported a failure without saying why").Proto()
	}
	st := storeErrorStatus(e, prefix)
	if st == nil {
		return newStatus(codes.Internal, reasonInternal, nil, e.Error()).Proto()
	}
	return st.Proto()
}

// convertRecord validates rec with the validators of the single-resource
// methods and converts it for the store. Field paths are relative to the
// ImportRecord: "article.url", "annotation.parent",
// "annotation.annotation.claim.text", "request_id". An annotation record in
// a state c may not create (see mayCreateIn) fails with PERMISSION_DENIED,
// as CreateAnnotation would.
func convertRecord(index int64, rec *factcheckv1.ImportRecord, c *caller) pending {
	p := pending{index: index, size: proto.Size(rec)}
	var v validator
	v.bytes("request_id", rec.GetRequestId(), maxRequestIDBytes)
	p.rec.RequestID = rec.GetRequestId()
	switch r := rec.GetRecord().(type) {
	case *factcheckv1.ImportRecord_Article:
		p.prefix = "article"
		if r.Article == nil {
			v.add("article", reasonFieldRequired, "is empty: send the article, with at least url and text")
			break
		}
		v.article("article", r.Article, all)
		a := articleFromProto(r.Article)
		if r.Article.GetName() != "" {
			a.ID = v.articleName("article.name", r.Article.GetName())
		}
		p.rec.Article = a
	case *factcheckv1.ImportRecord_Source:
		p.prefix = "source"
		if r.Source == nil {
			v.add("source", reasonFieldRequired, "is empty: send the source, with at least its url")
			break
		}
		v.source("source", r.Source, all)
		src := sourceFromProto(r.Source)
		if r.Source.GetName() != "" {
			src.ID = v.sourceName("source.name", r.Source.GetName())
		}
		p.rec.Source = src
	case *factcheckv1.ImportRecord_Annotation:
		p.prefix = "annotation.annotation"
		p.rec.Annotation = convertAnnotation(&v, r.Annotation)
	default:
		v.add("record", reasonFieldRequired, "is required: set one of article, source or annotation")
	}
	err := v.err()
	if err == nil && p.rec.Annotation != nil {
		err = mayCreateIn(c, rec.GetAnnotation().GetAnnotation().GetState())
	}
	if err != nil {
		var se *store.Error
		errors.As(err, &se)
		p.invalid = storeErrorStatus(se, "").Proto()
		p.rec = store.ImportRecord{}
	}
	return p
}

// convertAnnotation validates an annotation record, whose parent and cited
// sources may be URLs.
func convertAnnotation(v *validator, ai *factcheckv1.AnnotationImport) *store.AnnotationImport {
	out := &store.AnnotationImport{PositionUnit: store.PositionUnit(ai.GetPositionUnit())}
	v.enum("annotation.position_unit", protoreflect.EnumNumber(ai.GetPositionUnit()), factcheckv1.PositionUnit_POSITION_UNIT_UNSPECIFIED.Descriptor())
	var parentID string
	parent := ai.GetParent()
	switch {
	case parent == "":
		v.add("annotation.parent", reasonFieldRequired, "is required: name the annotated article as `articles/{article}` or by its url")
	case strings.HasPrefix(parent, "articles/"):
		parentID = v.articleName("annotation.parent", parent)
	default:
		if isURL(v, "annotation.parent", parent, "the annotated article as `articles/{article}` or by its url") {
			out.ArticleURL = parent
		}
	}
	a := ai.GetAnnotation()
	if a == nil {
		v.add("annotation.annotation", reasonFieldRequired, "is required: send the annotation, with at least anchor.quote.exact and claim.text")
		return out
	}
	// The shared validator wants citations by name; those by URL are
	// checked here and shown to it as a name that passes.
	var urls []string
	for i, c := range a.GetCitations() {
		if src := c.GetSource(); src != "" && !strings.HasPrefix(src, "sources/") {
			if urls == nil {
				urls = make([]string, len(a.GetCitations()))
			}
			urls[i] = src
			isURL(v, fmt.Sprintf("annotation.annotation.citations[%d].source", i), src, "the source as `sources/{source}` or by its url")
			c.Source = "sources/by-url"
		}
	}
	v.annotation("annotation.annotation", a, all)
	out.Annotation = annotationFromProto(a)
	for i, u := range urls {
		if u != "" {
			a.Citations[i].Source = u
			out.Annotation.Citations[i].SourceID = ""
		}
	}
	out.SourceURLs = urls
	if name := a.GetName(); name != "" {
		artID, id := v.annotationName("annotation.annotation.name", name)
		if parentID != "" && artID != "" && artID != parentID {
			v.add("annotation.annotation.name", reasonParentMismatch, "%q is not an annotation of the parent %q: name it under its parent, or leave the name out", name, parent)
		}
		out.Annotation.ArticleID, out.Annotation.ID = artID, id
	}
	if parentID != "" {
		out.Annotation.ArticleID = parentID
	}
	return out
}

// isURL checks that ref, which is not a resource name, is an absolute http
// or https URL.
func isURL(v *validator, field, ref, what string) bool {
	n := len(v.vs)
	v.url(field, ref)
	if len(v.vs) == n {
		return true
	}
	if v.vs[n].reason == reasonInvalidURL {
		v.vs[n].description = fmt.Sprintf("%q is neither a resource name nor an absolute http or https URL: name %s", ref, what)
	}
	return false
}

// budget bounds the bytes of records between the stream reader and the
// committer. One goroutine acquires, another releases.
type budget struct {
	mu    sync.Mutex
	used  int
	max   int
	freed chan struct{}
}

func newBudget(max int) *budget { return &budget{max: max, freed: make(chan struct{}, 1)} }

// acquire waits until n more bytes fit; a single item larger than the whole
// budget is let through when nothing else is queued.
func (b *budget) acquire(ctx context.Context, n int) error {
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return nil
		}
		b.mu.Unlock()
		select {
		case <-b.freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *budget) release(n int) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	select {
	case b.freed <- struct{}{}:
	default:
	}
}

// countImported adds a finished import's committed records to the metrics,
// whether the stream ended well or not: chunks committed before an error
// stay committed. Dry runs write nothing and count nothing.
func (s *bulkService) countImported(run *importRun) {
	if s.imported == nil || run.opts.DryRun {
		return
	}
	s.imported.WithLabelValues("created").Add(float64(run.created))
	s.imported.WithLabelValues("existing").Add(float64(run.existing))
	s.imported.WithLabelValues("failed").Add(float64(run.failed))
}
