package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/interchange"
)

// maxBatchBytes bounds one ImportRequest whatever --batch says: articles
// carry texts of up to 1 MiB and the server refuses messages over 16 MiB.
const maxBatchBytes = 4 << 20

// reportSuffix names the failure report written beside the input.
const reportSuffix = ".failures.jsonl"

// maxPrintedFailures bounds the failures printed; the report has them all.
const maxPrintedFailures = 50

type importFlags struct {
	format       string
	anchor       string
	atomic       bool
	validateOnly bool
	batch        int
	progress     string
	report       string
}

func (a *app) importCommand() *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import articles, sources and annotations from a file",
		Long: `Import the records of FILE (- for stdin): JSON Lines of ImportRecords (what
'factcheck export' writes), W3C Web Annotations, a Hypothesis export or
ClaimReview, told apart by the file's name and first bytes or by --format.

Records are streamed to the server as they are read. Progress goes to
stderr: a bar on a terminal, otherwise a line every 2 seconds (or 10% of the
file). The summary and the failures go to stdout. Each failed record is printed with its input
line and why it failed, and all of them are written beside the input as
FILE` + reportSuffix + ` (one JSON object per line: line, code, message, reason,
violations), or to --report. A run without failures removes that file.

Importing the same file again is safe: records already there (same URL,
external ID or request ID) are counted as existing, not created twice.

Exit status 1 when any record failed.`,
		Example: `  factcheck import newsroom.jsonl
  factcheck import hypothesis-export.json --format hypothesis --validate-only
  factcheck import claims.jsonl --atomic`,
		Args: exactArgs(1, "one input file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runImport(cmd.Context(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", formatAuto, "input format: auto, "+strings.ReplaceAll(interchange.FormatNames, "|", ", "))
	fl.StringVar(&f.anchor, "anchor", "as-given", "what to keep of foreign anchors: as-given, quote-context (drop positions, which count into a web page) or quote (the server finds the quote and its context)")
	fl.BoolVar(&f.atomic, "atomic", false, "create all records or none (at most 10,000)")
	fl.BoolVar(&f.validateOnly, "validate-only", false, "check every record and report, but write nothing")
	fl.IntVar(&f.batch, "batch", 100, "records per message sent to the server")
	fl.StringVar(&f.progress, "progress", "auto", "progress display: "+progressModes+" (auto: a bar on a terminal, lines otherwise)")
	fl.StringVar(&f.report, "report", "", "failure report file (default FILE"+reportSuffix+"; none for stdin)")
	return cmd
}

// failure is one failed record of an import, as printed and as written to
// the report.
type failure struct {
	Line int `json:"line"`
	// Index is the record's index in the stream; absent for lines that
	// could not be read and were not sent.
	Index *int64 `json:"index,omitempty"`
	problem
}

// lineMap remembers the input line of every record sent, by stream index,
// so that results (which carry only the index) can name lines. It keeps
// one int per record, not the records.
type lineMap struct {
	mu    sync.Mutex
	lines []int
}

func (m *lineMap) add(line int) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, line)
	return int64(len(m.lines) - 1)
}

// line returns the input line of record index, or 0 if no such record was
// sent (a server bug, but not one to crash on).
func (m *lineMap) line(index int64) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if index < 0 || index >= int64(len(m.lines)) {
		return 0
	}
	return m.lines[index]
}

// counts are an import's running totals, read by the progress display while
// the import updates them.
type counts struct {
	bytesRead  atomic.Int64
	sent       atomic.Int64
	unreadable atomic.Int64
	skipped    atomic.Int64
	created    atomic.Int64
	existing   atomic.Int64
	failed     atomic.Int64
	rolledBack atomic.Int64
}

func (c *counts) done() int64 {
	return c.created.Load() + c.existing.Load() + c.failed.Load() + c.rolledBack.Load()
}

// countingReader counts the bytes read through it, for the progress
// display.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// errStopDecoding stops the decoder once the stream is gone.
var errStopDecoding = errors.New("stop decoding")

func (a *app) runImport(ctx context.Context, file string, f importFlags) error {
	if f.batch < 1 {
		return usagef("--batch must be at least 1")
	}
	format, err := parseImportFormat(f.format)
	if err != nil {
		return err
	}
	anchor, err := parseAnchorMode(f.anchor)
	if err != nil {
		return err
	}
	if err := checkProgressMode(f.progress); err != nil {
		return err
	}

	var (
		in   io.Reader
		size int64 = -1
		name       = file
	)
	if file == "-" {
		in, name = a.stdin, "stdin"
	} else {
		fh, err := os.Open(file)
		if err != nil {
			return err
		}
		defer fh.Close()
		if fi, err := fh.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		in = fh
	}
	reportPath := f.report
	if reportPath == "" && file != "-" {
		reportPath = file + reportSuffix
	}

	var c counts
	br := bufio.NewReaderSize(countingReader{in, &c.bytesRead}, interchange.DetectLen)
	if format == interchange.FormatUnknown {
		// Peek returns what there is when the file is shorter.
		first, _ := br.Peek(interchange.DetectLen)
		if format, err = interchange.DetectFormat(name, first); err != nil {
			return usageError{err}
		}
	}
	decode := func(r io.Reader, fn interchange.RecordFunc) error {
		return interchange.Decode(format, r, fn, interchange.DecodeOptions{Anchor: anchor})
	}
	cl, err := a.client()
	if err != nil {
		return err
	}

	rep, err := newReporter(reportPath, a.stdout)
	if err != nil {
		return err
	}
	defer rep.abandon()

	streamCtx, cancelStream := context.WithCancel(ctx)
	defer cancelStream()
	stream, err := cl.Bulk().Import(streamCtx)
	if err != nil {
		return err
	}

	mode := factcheckv1.ImportOptions_MODE_PARTIAL
	if f.atomic {
		mode = factcheckv1.ImportOptions_MODE_ATOMIC
	}
	// The CLI wants every result but not a message for each.
	opts := &factcheckv1.ImportOptions{Mode: mode, ValidateOnly: f.validateOnly, BatchResults: true}

	start := time.Now()
	prog := a.startProgress(f.progress, importMeter(name, size, &c))

	var lines lineMap
	s := &sender{
		stream: stream,
		opts:   opts,
		batch:  f.batch,
		atomic: f.atomic,
		lines:  &lines,
		counts: &c,
		rep:    rep,
		cancel: cancelStream,
	}
	sendDone := make(chan error, 1)
	go func() { sendDone <- s.run(br, decode) }()

	summary, recvErr := receive(stream, &lines, &c, rep)
	var sendErr error
	if recvErr == nil {
		sendErr = <-sendDone
	} else {
		// The stream is gone: stop reading the input too. A read that
		// blocks (stdin) cannot be interrupted, so do not wait for it long.
		cancelStream()
		select {
		case sendErr = <-sendDone:
		case <-time.After(2 * time.Second):
		}
	}
	prog.stop()

	elapsed := time.Since(start)
	rep.flushLocal()
	if err := rep.finish(); err != nil {
		fmt.Fprintf(a.stderr, "factcheck: writing the failure report: %v\n", err)
	}
	abandoned := s.abandoned.Load()
	a.printSummary(name, summary, &c, abandoned, f, elapsed, rep)

	readErr := sendErr
	if errors.Is(readErr, errStopDecoding) {
		readErr = nil
	}
	switch {
	case readErr != nil:
		fmt.Fprintf(a.stderr, "factcheck: reading %s: %v\n", name, readErr)
		if abandoned {
			fmt.Fprintln(a.stderr, "factcheck: atomic import abandoned; nothing was written")
		} else {
			fmt.Fprintln(a.stderr, "factcheck: the records before the error were imported; fix the input and run the import again")
		}
		return exitError{exitFailure}
	case abandoned:
		fmt.Fprintf(a.stderr, "factcheck: atomic import abandoned because %d line(s) could not be read; nothing was written\n", c.unreadable.Load())
		return exitError{exitFailure}
	case recvErr != nil:
		printError(a.stderr, recvErr)
		if retryable(recvErr) {
			fmt.Fprintf(a.stderr, "factcheck: the import stopped after %d of %d records sent were confirmed; run it again to finish: records already imported are counted as existing, not created twice\n", c.done(), c.sent.Load())
		}
		return exitError{exitFailure}
	case summary == nil:
		fmt.Fprintln(a.stderr, "factcheck: the server ended the import without a summary")
		return exitError{exitFailure}
	case rep.count() > 0 || c.rolledBack.Load() > 0:
		return exitError{exitFailure}
	}
	return nil
}

// retryable reports whether an import that ended with err is worth
// running again as it is: the server went away or the import was cut
// short, rather than the server refusing the request.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled, codes.DeadlineExceeded, codes.Aborted,
		codes.Internal, codes.Unknown, codes.ResourceExhausted:
		return true
	}
	return false
}

// sender reads records and streams them in batches.
type sender struct {
	stream factcheckv1.BulkService_ImportClient
	opts   *factcheckv1.ImportOptions
	batch  int
	atomic bool
	lines  *lineMap
	counts *counts
	rep    *reporter
	cancel context.CancelFunc // cancels the stream

	pending      []*factcheckv1.ImportRecord
	pendingBytes int
	sentOptions  bool
	// abandoned is set when an atomic import cannot be complete (a line
	// could not be read, or the input broke off): the rest is read for the
	// report but not sent, and the stream is cancelled.
	abandoned atomic.Bool
}

// run streams what decode reads, then ends the stream: closing it, so
// that the server finishes and sums up, or cancelling it when the import
// was abandoned. It returns errStopDecoding when the stream broke (Recv
// says why), or the error that stopped reading the input.
func (s *sender) run(r io.Reader, decode func(io.Reader, interchange.RecordFunc) error) error {
	err := decode(r, func(line int, rec *factcheckv1.ImportRecord, err error) error {
		if errors.Is(err, interchange.ErrSkipped) {
			// Replies and page notes: nothing to import, nothing wrong.
			s.counts.skipped.Add(1)
			return nil
		}
		if err != nil {
			s.counts.unreadable.Add(1)
			s.rep.local(failure{Line: line, problem: problem{
				Code:    codeName(codes.InvalidArgument),
				Reason:  "UNREADABLE_RECORD",
				Message: decodeMessage(err),
			}})
			if s.atomic {
				s.abandoned.Store(true)
				s.pending = nil
			}
			return nil
		}
		if s.abandoned.Load() {
			return nil
		}
		s.pending = append(s.pending, rec)
		s.pendingBytes += proto.Size(rec)
		s.lines.add(line)
		if len(s.pending) >= s.batch || s.pendingBytes >= maxBatchBytes {
			return s.flush()
		}
		return nil
	})
	if errors.Is(err, errStopDecoding) {
		return err
	}
	if err != nil && s.atomic {
		// Half a file must not commit as if it were all of it.
		s.abandoned.Store(true)
	}
	if s.abandoned.Load() {
		// Cancelling, unlike closing, makes the server discard the stream.
		s.cancel()
		return err
	}
	// In a partial import a read error still lets the server finish the
	// records before it, so that the summary and the report are true.
	if ferr := s.flush(); ferr != nil {
		return ferr
	}
	if !s.sentOptions {
		// An empty file still makes one message, so that the server sees
		// the options and answers with a summary.
		if serr := s.send(); serr != nil {
			return serr
		}
	}
	if cerr := s.stream.CloseSend(); cerr != nil {
		return errStopDecoding
	}
	return err
}

func (s *sender) flush() error {
	if len(s.pending) == 0 || s.abandoned.Load() {
		return nil
	}
	return s.send()
}

func (s *sender) send() error {
	req := &factcheckv1.ImportRequest{Records: s.pending}
	if !s.sentOptions {
		req.Options = s.opts
	}
	n := len(s.pending)
	s.pending, s.pendingBytes = nil, 0
	if err := s.stream.Send(req); err != nil {
		// io.EOF means the server ended the stream; why is for Recv to
		// say. Any other error is the stream's too.
		return errStopDecoding
	}
	s.sentOptions = true
	s.counts.sent.Add(int64(n))
	return nil
}

// receive reads responses until the summary and the end of the stream.
func receive(stream factcheckv1.BulkService_ImportClient, lines *lineMap, c *counts, rep *reporter) (*factcheckv1.ImportSummary, error) {
	var summary *factcheckv1.ImportSummary
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return summary, nil
		}
		if err != nil {
			return summary, err
		}
		switch r := resp.GetResponse().(type) {
		case *factcheckv1.ImportResponse_Results:
			for _, res := range r.Results.GetResults() {
				tally(res, lines, c, rep)
			}
		case *factcheckv1.ImportResponse_Result:
			tally(r.Result, lines, c, rep)
		case *factcheckv1.ImportResponse_Summary:
			summary = r.Summary
		}
	}
}

// tally counts one record's result, and reports it when it failed.
func tally(res *factcheckv1.ImportResult, lines *lineMap, c *counts, rep *reporter) {
	switch res.GetOutcome() {
	case factcheckv1.ImportResult_OUTCOME_CREATED:
		c.created.Add(1)
	case factcheckv1.ImportResult_OUTCOME_EXISTING:
		c.existing.Add(1)
	case factcheckv1.ImportResult_OUTCOME_ROLLED_BACK:
		c.rolledBack.Add(1)
	default:
		c.failed.Add(1)
		idx := res.GetIndex()
		rep.remote(failure{Line: lines.line(idx), Index: &idx, problem: problemFromProto(res.GetStatus())})
	}
}
