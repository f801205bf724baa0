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
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
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

	conn *grpc.ClientConn
	cl   *client.Client
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
	if a.conn != nil {
		a.conn.Close()
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
sources and claim annotations in bulk, and gets, lists, creates and deletes
single resources for scripts.

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
	pf.DurationVar(&a.global.timeout, "timeout", 30*time.Second, "deadline of each single call (not of import and export streams)")

	root.AddCommand(
		a.getCommand(),
		a.listCommand(),
		a.createCommand(),
		a.deleteCommand(),
		a.importCommand(),
		a.exportCommand(),
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

// transportCredentials returns plaintext credentials unless a TLS option was
// given.
func (g globalFlags) transportCredentials() (credentials.TransportCredentials, error) {
	if !g.useTLS() {
		return insecure.NewCredentials(), nil
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
	return credentials.NewTLS(cfg), nil
}

// dialOptions are the options of the connection: the same ones client.New
// uses, so that the BulkService stubs (which package client does not wrap)
// share one connection with the typed clients.
func (g globalFlags) dialOptions() ([]grpc.DialOption, error) {
	creds, err := g.transportCredentials()
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(client.DefaultMaxRecvMsgBytes)),
		grpc.WithUserAgent("factcheck-cli"),
	}
	if g.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearerToken(g.token)))
	}
	return opts, nil
}

// bearerToken sends the token with every call. It does not require
// transport security, so a token works with a local plaintext server too.
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

func (bearerToken) RequireTransportSecurity() bool { return false }

// connect opens the connection once.
func (a *app) connect() error {
	if a.conn != nil {
		return nil
	}
	opts, err := a.global.dialOptions()
	if err != nil {
		return usageError{err}
	}
	conn, err := grpc.NewClient(a.global.server, opts...)
	if err != nil {
		return usagef("--server %q: %v", a.global.server, err)
	}
	a.conn = conn
	a.cl = client.NewFromConn(conn)
	return nil
}

// client returns the typed clients, connecting first.
func (a *app) client() (*client.Client, error) {
	if err := a.connect(); err != nil {
		return nil, err
	}
	return a.cl, nil
}

// bulk returns the BulkService client on the same connection.
func (a *app) bulk() (factcheckv1.BulkServiceClient, error) {
	if err := a.connect(); err != nil {
		return nil, err
	}
	return factcheckv1.NewBulkServiceClient(a.conn), nil
}

// callContext bounds one unary call by --timeout.
func (a *app) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.global.timeout)
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
