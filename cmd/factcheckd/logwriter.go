package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushInterval bounds how long an INFO line waits in a logWriter.
const logFlushInterval = 100 * time.Millisecond

// logBufferBytes is how much a logWriter holds before it writes at once.
const logBufferBytes = 64 << 10

// logWriter gathers log lines and writes them together, at most
// logFlushInterval after the first one waiting, instead of one write(2)
// per line: every call logs a line, and under load that system call was
// about 4% of a GetAnnotation's server CPU (pprof under factcheck-bench
// load). flushingHandler writes WARN and ERROR lines, and everything before
// them, at once; a SIGKILL loses at most the last interval's INFO lines,
// which the audit log (for writes) does not depend on.
type logWriter struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	pending bool // a flush is scheduled
	err     error
}

func newLogWriter(w io.Writer) *logWriter { return &logWriter{w: w} }

// Write keeps a copy of p; slog's handlers call it once per line, under
// their own lock.
func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	switch {
	case len(l.buf) >= logBufferBytes:
		l.flushLocked()
	case !l.pending:
		l.pending = true
		time.AfterFunc(logFlushInterval, l.scheduled)
	}
	return len(p), nil
}

func (l *logWriter) scheduled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = false
	l.flushLocked()
}

// Flush writes what is waiting and reports the first write error so far.
func (l *logWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	return l.err
}

func (l *logWriter) flushLocked() {
	if len(l.buf) == 0 {
		return
	}
	if _, err := l.w.Write(l.buf); err != nil && l.err == nil {
		l.err = err
	}
	// A burst's large buffer is not kept for the quiet that follows.
	if cap(l.buf) > 4*logBufferBytes {
		l.buf = nil
	}
	l.buf = l.buf[:0]
}

// flushingHandler flushes its logWriter after every line at WARN or above:
// the lines an operator is watching for appear at once.
type flushingHandler struct {
	slog.Handler
	w *logWriter
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		_ = h.w.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(as), h.w}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.w}
}
