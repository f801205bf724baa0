package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/factcheck/factcheck/client"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the server refused something, or records failed
	exitUsage   = 2 // bad command line, as flag and most Unix tools do
)

// Environment variables standing in for the global flags.
const (
	envServer = "FACTCHECK_SERVER"
	envToken  = "FACTCHECK_TOKEN"
)

const defaultServer = "127.0.0.1:50051"

// app is one invocation of the command: its streams, environment and the
// connection it opens lazily (help and usage errors never dial).
type app struct {
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	getenv      func(string) string
	stderrIsTTY bool

	global globalFlags

	cl *client.Client
}

// globalFlags are the flags every command takes.
type globalFlags struct {
	server  string
	token   string
	tls     bool
	tlsCA   string
	tlsCert string
	tlsKey  string
	timeout time.Duration
}

// usageError marks a bad command line (exit status 2) apart from a failure
// to do what it asked (exit status 1).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitError ends the command with a given status after the command itself
// has said why (an import with failed records has printed its report).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes the command line args and returns the exit status.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)

	// Cobra reports unknown commands, bad flags and wrong argument counts
	// as plain errors before any hook runs; reaching PersistentPreRunE is
	// what tells a usage error from a failed call.
	parsed := false
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		parsed = true
		return a.resolveGlobals(cmd)
	}
	err := root.ExecuteContext(ctx)
	if a.cl != nil {
		a.cl.Close()
	}
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if !parsed || errors.As(err, &ue) {
		fmt.Fprintf(a.stderr, "factcheck: %v\nRun 'factcheck --help' for usage.\n", err)
		return exitUsage
	}
	printError(a.stderr, err)
	return exitFailure
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "factcheck",
		Short: "Command-line client of a factcheck server",
		Long: `factcheck talks to a factcheck server: it imports and exports articles,
sources and claim annotations in bulk, gets, lists, creates and deletes
single resources for scripts, moves annotations through the editorial
workflow (submit, return, publish, retract), manages reviewers and their
tokens, reads and verifies the audit log, and backs up the server's database.

The server is --server or $` + envServer + ` (default ` + defaultServer + `), reached over
plaintext unless --tls, --tls-ca or --tls-cert is given. A token from --token
or $` + envToken + ` is sent as "authorization: Bearer <token>".

Exit status: 0 on success, 1 on a failed call or failed import records,
2 on a bad command line.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.global.server, "server", defaultServer, "server address, host:port (env "+envServer+")")
	pf.StringVar(&a.global.token, "token", "", "bearer token sent with every call (env "+envToken+")")
	pf.BoolVar(&a.global.tls, "tls", false, "connect over TLS, verifying the server against the system roots")
	pf.StringVar(&a.global.tlsCA, "tls-ca", "", "PEM file of CA certificates to verify the server with (implies --tls)")
	pf.StringVar(&a.global.tlsCert, "tls-cert", "", "PEM client certificate, with --tls-key (implies --tls)")
	pf.StringVar(&a.global.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	pf.DurationVar(&a.global.timeout, "timeout", 30*time.Second, "deadline of each single call (not of import, export and backup streams)")

	root.AddCommand(
		a.getCommand(),
		a.listCommand(),
		a.createCommand(),
		a.deleteCommand(),
		a.undeleteCommand(),
	)
	root.AddCommand(a.transitionCommands()...)
	root.AddCommand(
		a.whoamiCommand(),
		a.revokeCommand(),
		a.disableCommand(),
		a.verifyAuditCommand(),
		a.importCommand(),
		a.exportCommand(),
		a.backupCommand(),
	)
	return root
}

// resolveGlobals fills the global flags not given on the command line from
// the environment. Reading the environment after parsing, rather than using
// it as the flag default, keeps a token out of --help.
func (a *app) resolveGlobals(cmd *cobra.Command) error {
	fs := cmd.Flags()
	if !fs.Changed("server") {
		if v := a.getenv(envServer); v != "" {
			a.global.server = v
		}
	}
	if !fs.Changed("token") {
		if v := a.getenv(envToken); v != "" {
			a.global.token = v
		}
	}
	if a.global.server == "" {
		return usagef("--server must not be empty")
	}
	if (a.global.tlsCert == "") != (a.global.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if a.global.timeout <= 0 {
		return usagef("--timeout must be positive, not %v", a.global.timeout)
	}
	return nil
}

// useTLS reports whether any TLS option was given.
func (g globalFlags) useTLS() bool {
	return g.tls || g.tlsCA != "" || g.tlsCert != ""
}

// tlsConfig returns the TLS configuration the flags ask for, nil for
// plaintext.
func (g globalFlags) tlsConfig() (*tls.Config, error) {
	if !g.useTLS() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if g.tlsCA != "" {
		pem, err := os.ReadFile(g.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca: no PEM certificates in %s", g.tlsCA)
		}
		cfg.RootCAs = pool
	}
	if g.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(g.tlsCert, g.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// clientOptions are the options of the connection the global flags
// describe.
func (g globalFlags) clientOptions() ([]client.Option, error) {
	opts := []client.Option{client.WithUserAgent("factcheck-cli")}
	cfg, err := g.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		opts = append(opts, client.WithTLS(cfg))
	}
	if g.token != "" {
		opts = append(opts, client.WithToken(g.token))
	}
	return opts, nil
}

// client returns the client, connecting on first use. The connection is
// lazy: a server that is not there shows as UNAVAILABLE on the first call,
// which says more than a failed wait would.
func (a *app) client() (*client.Client, error) {
	if a.cl != nil {
		return a.cl, nil
	}
	opts, err := a.global.clientOptions()
	if err != nil {
		return nil, usageError{err}
	}
	// The context bounds only a readiness wait, which is not asked for.
	cl, err := client.New(context.Background(), a.global.server, opts...)
	if err != nil {
		return nil, usagef("--server %q: %v", a.global.server, err)
	}
	a.cl = cl
	return cl, nil
}

// callContext bounds one unary call by --timeout.
func (a *app) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.global.timeout)
}

// printCall makes one call with the client, bounded by --timeout, and prints
// the resource it returns in format.
func (a *app) printCall(ctx context.Context, format string, call func(context.Context, *client.Client) (proto.Message, error)) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	ctx, cancel := a.callContext(ctx)
	defer cancel()
	m, err := call(ctx, c)
	if err != nil {
		return err
	}
	return a.printOne(m, format)
}

// exactArgs is cobra.ExactArgs with the error marked as a usage error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("expected %s, got %d arguments", what, len(args))
		}
		return nil
	}
}
