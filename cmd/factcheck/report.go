package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// reporter collects an import's failures: it writes every one to the report
// file as it comes and keeps the first few to print. Failures come from two
// goroutines, the reader (lines that cannot be decoded) and the receiver
// (records the server refused); both find them in line order, and the
// reporter merges the two so the report is in line order too.
type reporter struct {
	path string // "" when no report file is written

	mu      sync.Mutex
	tmp     *os.File
	w       *bufio.Writer
	werr    error
	queued  []failure // unreadable lines not yet merged
	n       int
	printed []failure
	out     io.Writer
}

// newReporter starts a report to be written at path ("" for none). The
// report goes to a temporary file in the same directory first, so that a
// crash never leaves half a report under the real name and an old report
// stays until the new one is complete.
func newReporter(path string, out io.Writer) (*reporter, error) {
	r := &reporter{path: path, out: out}
	if path == "" {
		return r, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cannot write the failure report beside the input (use --report): %w", err)
	}
	r.tmp = tmp
	r.w = bufio.NewWriter(tmp)
	return r, nil
}

// local records a line that could not be read. It is held back until the
// server's results reach that line.
func (r *reporter) local(f failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queued = append(r.queued, f)
}

// remote records a record the server refused, after the unreadable lines
// before it.
func (r *reporter) remote(f failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := 0
	for ; i < len(r.queued) && r.queued[i].Line < f.Line; i++ {
		r.add(r.queued[i])
	}
	r.queued = r.queued[i:]
	r.add(f)
}

// flushLocal records the unreadable lines after the last refused record.
func (r *reporter) flushLocal() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.queued {
		r.add(f)
	}
	r.queued = nil
}

func (r *reporter) add(f failure) {
	r.n++
	if len(r.printed) < maxPrintedFailures {
		r.printed = append(r.printed, f)
	}
	if r.w == nil || r.werr != nil {
		return
	}
	b, err := json.Marshal(f)
	if err != nil {
		r.werr = err
		return
	}
	b = append(b, '\n')
	_, r.werr = r.w.Write(b)
}

// count returns the number of failures so far.
func (r *reporter) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n + len(r.queued)
}

// finish puts the report in place, or removes the stale report of an
// earlier run when there were no failures: the file exists exactly when the
// last import of its input had failures.
func (r *reporter) finish() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tmp == nil {
		return nil
	}
	tmp := r.tmp
	r.tmp = nil
	err := r.werr
	if err == nil {
		err = r.w.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil || r.n == 0 {
		os.Remove(tmp.Name())
		if err != nil {
			return err
		}
		if rerr := os.Remove(r.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return rerr
		}
		return nil
	}
	return os.Rename(tmp.Name(), r.path)
}

// abandon removes the temporary file of a report never finished.
func (r *reporter) abandon() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tmp != nil {
		r.tmp.Close()
		os.Remove(r.tmp.Name())
		r.tmp = nil
	}
}

// print writes the failures kept for printing, as
//
//	line 7: INVALID_ARGUMENT: message [REASON]
//	  field annotation.anchor.quote.exact: description
func (r *reporter) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.printed {
		fmt.Fprintf(w, "line %d: ", f.Line)
		f.problem.write(w, "")
	}
	if more := r.n - len(r.printed); more > 0 {
		fmt.Fprintf(w, "... and %d more failures", more)
		if r.path != "" {
			fmt.Fprintf(w, " (all of them in %s)", r.path)
		}
		fmt.Fprintln(w)
	}
}
