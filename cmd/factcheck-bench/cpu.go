package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// cpuResult is what cpu measured: the child's own CPU time, from the
// rusage wait returns (so it is exact and covers the child's whole life),
// and with --pid another process's CPU time over the same span, from
// /proc/PID/stat (in clock ticks, 10 ms).
type cpuResult struct {
	Command     string  `json:"command"`
	Seconds     float64 `json:"seconds"`
	ClientCPUUS int64   `json:"client_cpu_us"`
	ClientUsrUS int64   `json:"client_user_us"`
	ClientSysUS int64   `json:"client_sys_us"`
	ServerCPUUS *int64  `json:"server_cpu_us,omitempty"`
	ExitCode    int     `json:"exit_code"`
}

// runCPU runs a command (bench/run.sh: ghz) and reports the CPU time it
// and the server spent. A load generator shares the machine's cores with
// the server it loads, so its own cost per call bounds what any ratio
// between two calls can show; ghz reports none of it itself.
func runCPU(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cpu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pid := fs.Int("pid", 0, "also report this process's CPU time (user+system, from /proc) over the command's run")
	out := fs.String("out", "", "write the JSON result to this file (default: standard error)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: factcheck-bench cpu [--pid PID] [--out FILE] -- COMMAND [ARGS...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("cpu: no command")
	}
	cmd := exec.CommandContext(ctx, fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// Interrupted, the command gets the chance to stop as it would without
	// this wrapper, rather than SIGKILL.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second

	var server *procSampler
	var serverStart time.Duration
	if *pid > 0 {
		server = newProcSampler(*pid)
		var ok bool
		if serverStart, ok = server.cpu(); !ok {
			return fmt.Errorf("cpu: cannot read the CPU time of process %d", *pid)
		}
	}
	start := time.Now()
	runErr := cmd.Run()
	if cmd.ProcessState == nil { // never started
		return fmt.Errorf("cpu: %w", runErr)
	}
	res := cpuResult{
		Command:     fs.Arg(0),
		Seconds:     math.Round(time.Since(start).Seconds()*1000) / 1000,
		ClientUsrUS: cmd.ProcessState.UserTime().Microseconds(),
		ClientSysUS: cmd.ProcessState.SystemTime().Microseconds(),
		ExitCode:    cmd.ProcessState.ExitCode(),
	}
	res.ClientCPUUS = res.ClientUsrUS + res.ClientSysUS
	if server != nil {
		// A server that died meanwhile has no figure; the command's own
		// still stands.
		if end, ok := server.cpu(); ok {
			us := (end - serverStart).Microseconds()
			res.ServerCPUUS = &us
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *out != "" {
		err = os.WriteFile(*out, b, 0o644)
	} else {
		_, err = stderr.Write(b)
	}
	if runErr != nil {
		return fmt.Errorf("cpu: %s: %w", fs.Arg(0), runErr)
	}
	return err
}
