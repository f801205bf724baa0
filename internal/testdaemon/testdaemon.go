// Package testdaemon runs the real factcheckd for the tests and benchmarks
// that need it: start the binary, read from its log where it serves, and
// hand back the process and its output. Building the binary, and stopping
// it the way a test expects, stay with the caller.
package testdaemon

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"time"
)

// Buffer is a bytes.Buffer safe for one writer and concurrent readers: a
// process's output, or a server's log, read while it is written.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Daemon is a factcheckd that Start started.
type Daemon struct {
	Cmd    *exec.Cmd
	Addr   string
	Stderr *Buffer
	// Done receives the process's exit once (cmd.Wait's error).
	Done chan error
}

// servingAddr matches the line factcheckd logs once it serves.
var servingAddr = regexp.MustCompile(`msg="factcheckd serving" addr=(\S+)`)

// StartTimeout is how long Start waits for the serving line.
const StartTimeout = 30 * time.Second

// Start runs bin with args and with env ("KEY=value") added to this
// process's environment, and waits for it to log the address it serves on.
// If it exits first, or does not serve within StartTimeout (it is then
// killed), Start returns the Daemon, whose Done holds the exit, and an error
// with its output.
func Start(bin string, args, env []string) (*Daemon, error) {
	d := &Daemon{Cmd: exec.Command(bin, args...), Stderr: &Buffer{}, Done: make(chan error, 1)}
	d.Cmd.Env = append(os.Environ(), env...)
	d.Cmd.Stderr = d.Stderr
	if err := d.Cmd.Start(); err != nil {
		return nil, err
	}
	go func() { d.Done <- d.Cmd.Wait() }()
	deadline := time.After(StartTimeout)
	for {
		if m := servingAddr.FindStringSubmatch(d.Stderr.String()); m != nil {
			d.Addr = m[1]
			return d, nil
		}
		select {
		case err := <-d.Done:
			d.Done <- err
			return d, fmt.Errorf("factcheckd exited before serving: %v\n%s", err, d.Stderr.String())
		case <-deadline:
			_ = d.Cmd.Process.Kill()
			d.Done <- <-d.Done
			return d, fmt.Errorf("factcheckd did not start within %s:\n%s", StartTimeout, d.Stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
