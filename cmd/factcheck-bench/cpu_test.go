package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCPU runs real commands under cpu, with a real process burning CPU as
// the server, and checks what it passes through and what it measures.
func TestCPU(t *testing.T) {
	// The "server": a shell spinning until the test ends.
	server := exec.Command("sh", "-c", "while :; do :; done")
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = server.Process.Kill()
		_ = server.Wait()
	})
	// A process that has exited and been reaped: its /proc entry is gone.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	// A fixed amount of work rather than a duration, so the child's CPU
	// time is what it is however busy the machine is.
	const burn = `i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; `

	for _, tc := range []struct {
		name       string
		flags      []string // before --
		cmd        []string
		toStderr   bool // no --out: the JSON goes to standard error
		wantErr    string
		wantStdout string
		wantExit   int
		wantServer bool
		wantNoJSON bool
	}{
		{name: "server", flags: []string{"--pid", strconv.Itoa(server.Process.Pid)},
			cmd: []string{"sh", "-c", burn + "echo passed through"}, wantStdout: "passed through\n", wantServer: true},
		{name: "no pid, JSON on stderr", cmd: []string{"sh", "-c", burn + "printf 'a\\nb\\n'"}, toStderr: true, wantStdout: "a\nb\n"},
		{name: "failing command", cmd: []string{"sh", "-c", burn + "echo before; exit 3"},
			wantErr: "exit status 3", wantStdout: "before\n", wantExit: 3},
		{name: "no such command", cmd: []string{filepath.Join(t.TempDir(), "missing")}, wantErr: "no such file", wantNoJSON: true},
		{name: "no such server", flags: []string{"--pid", strconv.Itoa(gone.Process.Pid)}, cmd: []string{"true"},
			wantErr: "cannot read the CPU time", wantNoJSON: true},
		{name: "no command", wantErr: "no command", wantNoJSON: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outFile := filepath.Join(t.TempDir(), "cpu.json")
			args := append([]string{"cpu"}, tc.flags...)
			if !tc.toStderr {
				args = append(args, "--out", outFile)
			}
			if len(tc.cmd) > 0 {
				args = append(append(args, "--"), tc.cmd...)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, &stdout, &stderr)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("err = %v; stderr: %s", err, stderr.String())
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if got := stdout.String(); got != tc.wantStdout {
				t.Errorf("stdout = %q, want %q", got, tc.wantStdout)
			}
			b, err := os.ReadFile(outFile)
			if tc.toStderr {
				b, err = stderr.Bytes(), nil
			}
			if tc.wantNoJSON {
				if err == nil && !tc.toStderr {
					t.Errorf("a result was written: %s", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var res cpuResult
			if err := json.Unmarshal(b, &res); err != nil {
				t.Fatalf("%v: %q", err, b)
			}
			if res.ClientCPUUS <= 0 || res.ClientCPUUS != res.ClientUsrUS+res.ClientSysUS || res.Seconds <= 0 {
				t.Errorf("child CPU not measured: %+v", res)
			}
			if res.ExitCode != tc.wantExit || res.Command != tc.cmd[0] {
				t.Errorf("exit code %d of %q, want %d of %q", res.ExitCode, res.Command, tc.wantExit, tc.cmd[0])
			}
			switch {
			case tc.wantServer && (res.ServerCPUUS == nil || *res.ServerCPUUS <= 0):
				t.Errorf("server CPU not measured: %s", b)
			case !tc.wantServer && res.ServerCPUUS != nil:
				t.Errorf("server CPU without --pid: %s", b)
			}
		})
	}
}
