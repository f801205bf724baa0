package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is what a logWriter writes to: its timer writes from
// another goroutine.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogWriter(t *testing.T) {
	t.Run("info waits and comes out in order", func(t *testing.T) {
		out := &lockedBuffer{}
		lw := newLogWriter(out)
		logger := slog.New(flushingHandler{slog.NewTextHandler(lw, nil), lw})
		for i := range 3 {
			logger.Info("line", "i", i)
		}
		// The scheduled flush writes all three at once.
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(out.String(), "\n") < 3 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		got := out.String()
		if strings.Count(got, "\n") != 3 || !(strings.Index(got, "i=0") < strings.Index(got, "i=1") && strings.Index(got, "i=1") < strings.Index(got, "i=2")) {
			t.Fatalf("got %q, want the three lines in order", got)
		}
		out.mu.Lock()
		writes := out.writes
		out.mu.Unlock()
		if writes != 1 {
			t.Errorf("%d writes for three lines, want 1", writes)
		}
	})
	t.Run("warn flushes what waits before it", func(t *testing.T) {
		out := &lockedBuffer{}
		lw := newLogWriter(out)
		logger := slog.New(flushingHandler{slog.NewTextHandler(lw, nil), lw}).With("server", "a")
		logger.Info("first")
		logger.WithGroup("g").Warn("second", "k", "v")
		got := out.String()
		if !strings.Contains(got, "msg=first") || !strings.Contains(got, "msg=second") || !strings.Contains(got, "g.k=v") {
			t.Fatalf("after a WARN line the writer holds %q, want both lines", got)
		}
	})
	t.Run("a full buffer is written without waiting", func(t *testing.T) {
		out := &lockedBuffer{}
		lw := newLogWriter(out)
		line := strings.Repeat("x", 1023) + "\n"
		for range logBufferBytes / len(line) {
			fmt.Fprint(lw, line)
		}
		if got := len(out.String()); got != logBufferBytes {
			t.Fatalf("%d bytes written once the buffer filled, want %d", got, logBufferBytes)
		}
	})
	t.Run("concurrent lines stay whole", func(t *testing.T) {
		out := &lockedBuffer{}
		lw := newLogWriter(out)
		logger := slog.New(flushingHandler{slog.NewTextHandler(lw, nil), lw})
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 500 {
					logger.Info("line", "g", g, "i", i)
				}
			})
		}
		wg.Wait()
		if err := lw.Flush(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != 8*500 {
			t.Fatalf("%d lines, want %d", len(lines), 8*500)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "time=") || !strings.Contains(l, " msg=line g=") {
				t.Fatalf("broken line %q", l)
			}
		}
	})
}
