package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// progressLineEvery is how often plain progress lines are printed, at the
// latest; a line is also printed at each further tenth of the work.
const progressLineEvery = 2 * time.Second

// progressModes are the values of --progress.
const progressModes = "auto, bar, lines or none"

func checkProgressMode(mode string) error {
	switch mode {
	case "auto", "bar", "lines", "none":
		return nil
	}
	return usagef("--progress must be %s, not %q", progressModes, mode)
}

// meter is what a progress display follows: work measured in bytes (the one
// measure an import knows in advance, and all a backup has), plus the words
// around it.
type meter struct {
	size     int64         // bytes in all; <= 0 when not known
	done     *atomic.Int64 // bytes so far, updated while the display reads it
	describe func() string // the bar's description
	line     func(done int64) string
}

// progress shows how far an import or a backup has come until stopped.
type progress struct {
	stopOnce sync.Once
	quit     chan struct{}
	done     chan struct{}
}

func (p *progress) stop() {
	if p == nil {
		return
	}
	p.stopOnce.Do(func() { close(p.quit) })
	<-p.done
}

// startProgress starts the display mode asks for: a bar on a terminal, plain
// lines otherwise (logs and CI keep every line of them; a bar would fill
// them with carriage returns).
func (a *app) startProgress(mode string, m meter) *progress {
	if mode == "auto" {
		mode = "lines"
		if a.stderrIsTTY {
			mode = "bar"
		}
	}
	p := &progress{quit: make(chan struct{}), done: make(chan struct{})}
	switch mode {
	case "bar":
		go p.bar(a.stderr, m)
	case "lines":
		go p.lines(a.stderr, m, time.Now)
	default:
		close(p.done)
	}
	return p
}

// bar draws a progress bar over the bytes.
func (p *progress) bar(w io.Writer, m meter) {
	defer close(p.done)
	bar := progressbar.NewOptions64(m.size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(m.describe()),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionUseANSICodes(true),
	)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		bar.Describe(m.describe())
		bar.Set64(m.done.Load())
		select {
		case <-p.quit:
			bar.Finish()
			return
		case <-tick.C:
		}
	}
}

// lines prints a progress line every progressLineEvery or every tenth of
// the work, whichever comes first.
func (p *progress) lines(w io.Writer, m meter, now func() time.Time) {
	defer close(p.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := now()
	lastTenth := int64(0)
	for {
		select {
		case <-p.quit:
			return
		case <-tick.C:
		}
		done := m.done.Load()
		tenth := int64(-1)
		if m.size > 0 {
			tenth = done * 10 / m.size
		}
		if now().Sub(last) < progressLineEvery && tenth <= lastTenth {
			continue
		}
		last, lastTenth = now(), tenth
		fmt.Fprintln(w, m.line(done))
	}
}

// importMeter follows an import by the bytes of its input read.
func importMeter(name string, size int64, c *counts) meter {
	return meter{
		size: size,
		done: &c.bytesRead,
		describe: func() string {
			return fmt.Sprintf("%s: %d sent, %d done, %d failed", name, c.sent.Load(), c.done(), c.failed.Load()+c.unreadable.Load())
		},
		line: func(read int64) string { return progressLine(name, size, read, c) },
	}
}

// progressLine is one plain progress line of an import:
//
//	import big.jsonl: 40% read, 2000 sent, 1900 done (1890 created, 5 existing, 5 failed)
func progressLine(name string, size, read int64, c *counts) string {
	where := fmt.Sprintf("%d bytes read", read)
	if size > 0 {
		where = fmt.Sprintf("%d%% read", read*100/size)
	}
	return fmt.Sprintf("import %s: %s, %d sent, %d done (%d created, %d existing, %d failed)",
		name, where, c.sent.Load(), c.done(), c.created.Load(), c.existing.Load(), c.failed.Load()+c.unreadable.Load())
}

// printSummary prints the outcome of an import and its failures:
//
//	import in.jsonl: received: 10  created: 7  existing: 1  failed: 2 (1 unreadable, not sent)
//	rate: 3000 records/s (3ms)
func (a *app) printSummary(name string, s *factcheckv1.ImportSummary, c *counts, abandoned bool, f importFlags, elapsed time.Duration, rep *reporter) {
	w := a.stdout
	rep.print(w)
	unreadable := c.unreadable.Load()
	var received int64
	if s != nil {
		received = s.GetReceived()
		fmt.Fprintf(w, "import %s: received: %d  created: %d  existing: %d  failed: %d",
			name, received, s.GetCreated(), s.GetExisting(), s.GetFailed()+unreadable)
	} else {
		// No summary: the stream broke. Say what the server confirmed and
		// how much was sent without an answer, which a rerun settles.
		received = c.done()
		fmt.Fprintf(w, "import %s: sent: %d  created: %d  existing: %d  failed: %d  unconfirmed: %d",
			name, c.sent.Load(), c.created.Load(), c.existing.Load(), c.failed.Load()+unreadable, c.sent.Load()-c.done())
	}
	if unreadable > 0 {
		fmt.Fprintf(w, " (%d unreadable, not sent)", unreadable)
	}
	if sk := c.skipped.Load(); sk > 0 {
		fmt.Fprintf(w, "  skipped: %d (replies and notes without a quote)", sk)
	}
	if rb := c.rolledBack.Load(); rb > 0 {
		fmt.Fprintf(w, "  rolled back: %d", rb)
	}
	fmt.Fprintln(w)
	rate := float64(received) / elapsed.Seconds()
	fmt.Fprintf(w, "rate: %.0f records/s (%s)\n", rate, elapsed.Round(time.Millisecond))
	switch {
	case abandoned:
		fmt.Fprintln(w, "nothing written: the atomic import was abandoned")
	case s == nil:
		fmt.Fprintln(w, "incomplete: the import ended before the server's summary")
	case f.validateOnly:
		fmt.Fprintln(w, "nothing written: --validate-only")
	case !s.GetCommitted() && f.atomic:
		fmt.Fprintln(w, "nothing written: the atomic import failed")
	}
	if n := rep.count(); n > 0 && rep.path != "" {
		fmt.Fprintf(w, "failures written to %s\n", rep.path)
	}
}
