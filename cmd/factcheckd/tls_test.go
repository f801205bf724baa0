package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/internal/testpki"
)

// TestTLSFlags: with --tls-cert and --tls-key the binary serves TLS, and
// with --tls-client-ca too it wants a client certificate its CA signed;
// the token is needed on top.
func TestTLSFlags(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.New(t, dir, "ca", nil)
	srv := testpki.New(t, dir, "server", ca)
	client := testpki.New(t, dir, "client", ca)
	stranger := testpki.New(t, dir, "stranger", nil) // signed by nobody the server trusts
	roots := x509.NewCertPool()
	roots.AddCert(ca.X509)
	tlsCreds := func(certs ...tls.Certificate) credentials.TransportCredentials {
		return credentials.NewTLS(&tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12})
	}
	health := func(t *testing.T, d *daemon, creds credentials.TransportCredentials) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := healthpb.NewHealthClient(dialWith(t, d.addr, "", creds)).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	whoAmIWith := func(t *testing.T, d *daemon, token string, creds credentials.TransportCredentials) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := factcheckv1.NewReviewerServiceClient(dialWith(t, d.addr, token, creds)).GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
		return err
	}

	t.Run("server TLS", func(t *testing.T) {
		d := startDaemon(t, filepath.Join(t.TempDir(), "factcheck.db"), "--tls-cert", srv.CertFile, "--tls-key", srv.KeyFile)
		if !strings.Contains(d.stderr.String(), "tls=on") {
			t.Errorf("the serving log line does not say tls=on:\n%s", d.stderr.String())
		}
		if err := whoAmIWith(t, d, e2eToken, tlsCreds()); err != nil {
			t.Errorf("over TLS with the token: %v", err)
		}
		if err := whoAmIWith(t, d, "", tlsCreds()); status.Code(err) != codes.Unauthenticated {
			t.Errorf("over TLS without a token: %v, want UNAUTHENTICATED", err)
		}
		if err := health(t, d, dialPlain()); status.Code(err) != codes.Unavailable {
			t.Errorf("plaintext to a TLS server: %v, want UNAVAILABLE", err)
		}
		d.stop(t)
	})

	t.Run("mutual TLS", func(t *testing.T) {
		d := startDaemon(t, filepath.Join(t.TempDir(), "factcheck.db"),
			"--tls-cert", srv.CertFile, "--tls-key", srv.KeyFile, "--tls-client-ca", ca.CertFile)
		if !strings.Contains(d.stderr.String(), "tls=mutual") {
			t.Errorf("the serving log line does not say tls=mutual:\n%s", d.stderr.String())
		}
		if err := whoAmIWith(t, d, e2eToken, tlsCreds(client.TLS)); err != nil {
			t.Errorf("with a client certificate and the token: %v", err)
		}
		if err := whoAmIWith(t, d, "", tlsCreds(client.TLS)); status.Code(err) != codes.Unauthenticated {
			t.Errorf("with a client certificate, without a token: %v, want UNAUTHENTICATED", err)
		}
		// Not even health checks pass without a certificate the CA signed:
		// the handshake fails.
		if err := health(t, d, tlsCreds()); status.Code(err) != codes.Unavailable {
			t.Errorf("without a client certificate: %v, want UNAVAILABLE", err)
		}
		if err := health(t, d, tlsCreds(stranger.TLS)); status.Code(err) != codes.Unavailable {
			t.Errorf("with a client certificate of another CA: %v, want UNAVAILABLE", err)
		}
		d.stop(t)
	})

	t.Run("files that are not there", func(t *testing.T) {
		for _, args := range [][]string{
			{"--tls-cert", filepath.Join(dir, "missing.pem"), "--tls-key", srv.KeyFile},
			{"--tls-cert", srv.CertFile, "--tls-key", client.KeyFile},
			{"--tls-cert", srv.CertFile, "--tls-key", srv.KeyFile, "--tls-client-ca", srv.KeyFile},
		} {
			cmd := execDaemon(t, filepath.Join(t.TempDir(), "x.db"), args...)
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "--tls-") {
				t.Errorf("%q: exit %d, want 1 naming the flag:\n%s", args, code, out)
			}
		}
	})
}

// TestRateLimitFlags: --rate-limit and --rate-burst reach the server: a
// token gets its burst, then RESOURCE_EXHAUSTED with when to retry, while
// health checks go on. The rate is one call in 1,000 s, so no token comes
// back while the test runs, however slow the machine.
func TestRateLimitFlags(t *testing.T) {
	d := startDaemon(t, filepath.Join(t.TempDir(), "factcheck.db"), "--rate-limit", "0.001", "--rate-burst", "3")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := d.dial(t)
	articles := factcheckv1.NewArticleServiceClient(conn)
	for i := range 3 {
		if _, err := articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{}); err != nil {
			t.Fatalf("call %d of a burst of 3: %v", i+1, err)
		}
	}
	_, err := articles.ListArticles(ctx, &factcheckv1.ListArticlesRequest{})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("call 4 of a burst of 3: %v, want RESOURCE_EXHAUSTED", err)
	}
	var retry *errdetails.RetryInfo
	for _, det := range status.Convert(err).Details() {
		if r, ok := det.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("RESOURCE_EXHAUSTED without a RetryInfo delay: %v", status.Convert(err).Details())
	}
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health check after the limit: %v", err)
	}
	d.stop(t)
}
