// Command factcheck is the command-line client of a factcheck server: the
// tool a newsroom's data person uses to import files of articles, sources and
// claim annotations (JSON Lines, W3C Web Annotations, Hypothesis exports,
// ClaimReview), to export them again, to get, list, create and delete
// single resources from scripts, to move annotations through the editorial
// workflow (submit, return, publish, retract), to manage reviewers and their
// tokens (create token --output secret prints the secret alone, for a script
// to capture), to read and verify the audit log (verify-audit exits 1 when
// its hash chain is broken), and to back up the server's database while it
// serves (factcheck backup FILE; factcheckd --db FILE starts on the copy).
//
// Every command talks to one server, chosen by --server or FACTCHECK_SERVER
// (default 127.0.0.1:50051), over plaintext unless a TLS option is given; a
// bearer token comes from --token or FACTCHECK_TOKEN. A flag wins over its
// environment variable, which wins over the default.
//
// Exit status: 0 on success, 1 when the server refused something or an
// import had failed records, 2 for a bad command line.
//
// Import writes a failure report beside its input, FILE.failures.jsonl: one
// JSON object per failed record naming its input line, the gRPC code, the
// reason and the field violations. A clean run removes a stale report, so its
// presence always means the last import of FILE failed somewhere.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	os.Exit(mainExit())
}

// mainExit is main without os.Exit, so that the deferred signal stop runs and
// the tests can register it as an in-process command.
func mainExit() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{
		stdin:       os.Stdin,
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		getenv:      os.Getenv,
		stderrIsTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	return a.run(ctx, os.Args[1:])
}
