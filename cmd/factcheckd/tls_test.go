package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
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
)

// testCert is a certificate and key as PEM files and as a tls.Certificate.
type testCert struct {
	certFile, keyFile string
	cert              *x509.Certificate
	tls               tls.Certificate
}

// newTestCert makes a certificate for 127.0.0.1 signed by parent
// (self-signed, and a CA, when parent is nil).
func newTestCert(t *testing.T, dir, name string, parent *testCert) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	signer, signerKey := tmpl, any(key)
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	} else {
		signer, signerKey = parent.cert, parent.tls.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCert{certFile: filepath.Join(dir, name+".pem"), keyFile: filepath.Join(dir, name+".key")}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(c.certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if c.tls, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	if c.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTLSFlags: with --tls-cert and --tls-key the binary serves TLS, and
// with --tls-client-ca too it wants a client certificate its CA signed;
// the token is needed on top.
func TestTLSFlags(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCert(t, dir, "ca", nil)
	srv := newTestCert(t, dir, "server", ca)
	client := newTestCert(t, dir, "client", ca)
	stranger := newTestCert(t, dir, "stranger", nil) // signed by nobody the server trusts
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
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
		d := startDaemon(t, filepath.Join(t.TempDir(), "factcheck.db"), "--tls-cert", srv.certFile, "--tls-key", srv.keyFile)
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
			"--tls-cert", srv.certFile, "--tls-key", srv.keyFile, "--tls-client-ca", ca.certFile)
		if !strings.Contains(d.stderr.String(), "tls=mutual") {
			t.Errorf("the serving log line does not say tls=mutual:\n%s", d.stderr.String())
		}
		if err := whoAmIWith(t, d, e2eToken, tlsCreds(client.tls)); err != nil {
			t.Errorf("with a client certificate and the token: %v", err)
		}
		if err := whoAmIWith(t, d, "", tlsCreds(client.tls)); status.Code(err) != codes.Unauthenticated {
			t.Errorf("with a client certificate, without a token: %v, want UNAUTHENTICATED", err)
		}
		// Not even health checks pass without a certificate the CA signed:
		// the handshake fails.
		if err := health(t, d, tlsCreds()); status.Code(err) != codes.Unavailable {
			t.Errorf("without a client certificate: %v, want UNAVAILABLE", err)
		}
		if err := health(t, d, tlsCreds(stranger.tls)); status.Code(err) != codes.Unavailable {
			t.Errorf("with a client certificate of another CA: %v, want UNAVAILABLE", err)
		}
		d.stop(t)
	})

	t.Run("files that are not there", func(t *testing.T) {
		for _, args := range [][]string{
			{"--tls-cert", filepath.Join(dir, "missing.pem"), "--tls-key", srv.keyFile},
			{"--tls-cert", srv.certFile, "--tls-key", client.keyFile},
			{"--tls-cert", srv.certFile, "--tls-key", srv.keyFile, "--tls-client-ca", srv.keyFile},
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
