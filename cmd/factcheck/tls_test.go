package main

import (
	"crypto/tls"
	"crypto/x509"
	"github.com/factcheck/factcheck/internal/testpki"
	"strings"
	"testing"
)

// TestTLS runs the CLI against the real server over TLS: --tls-ca verifies
// the server, the token goes over the encrypted connection and names the
// caller, and plaintext or an unknown CA fail readably.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.New(t, dir, "ca", nil)
	srvCert := testpki.New(t, dir, "server", ca)
	srv := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{srvCert.TLS}, MinVersion: tls.VersionTLS12})
	env := srv.env()

	r := runCLI(t, env, `{"url": "https://s.example/tls"}`, "--tls-ca", ca.CertFile, "create", "source", "--id", "tls", "-f", "-")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "sources/tls"`) {
		t.Errorf("over TLS with the admin token: %+v", r)
	}
	noToken := map[string]string{envServer: srv.addr}
	if r := runCLI(t, noToken, "", "--tls-ca", ca.CertFile, "get", "sources/tls"); r.code != exitFailure || !strings.Contains(r.stderr, "[TOKEN_MISSING]") {
		t.Errorf("over TLS without a token: %+v", r)
	}
	// The system roots do not know this CA.
	if r := runCLI(t, env, "", "--tls", "get", "sources/tls"); r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") {
		t.Errorf("--tls with an unknown CA: %+v", r)
	}
	if r := runCLI(t, env, "", "get", "sources/tls"); r.code != exitFailure || !strings.Contains(r.stderr, "does it expect TLS?") {
		t.Errorf("plaintext to a TLS server: %+v", r)
	}
}

// TestMutualTLS: against the real server asking for client certificates
// (factcheckd --tls-client-ca), --tls-cert and --tls-key present one its
// CA signed; without one, or with one of another CA, the handshake fails
// before any call, whatever the token.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.New(t, dir, "ca", nil)
	srvCert := testpki.New(t, dir, "server", ca)
	cliCert := testpki.New(t, dir, "client", ca)
	stranger := testpki.New(t, dir, "stranger", nil)
	pool := x509.NewCertPool()
	pool.AddCert(ca.X509)
	srv := startTLSServer(t, &tls.Config{
		Certificates: []tls.Certificate{srvCert.TLS},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	env := srv.env()

	r := runCLI(t, env, `{"url": "https://s.example/mtls"}`,
		"--tls-ca", ca.CertFile, "--tls-cert", cliCert.CertFile, "--tls-key", cliCert.KeyFile, "create", "source", "--id", "mtls", "-f", "-")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "sources/mtls"`) {
		t.Errorf("mutual TLS with the admin token: %+v", r)
	}
	// The certificate lets the connection in; the call still needs a token.
	r = runCLI(t, map[string]string{envServer: srv.addr}, "", "--tls-ca", ca.CertFile, "--tls-cert", cliCert.CertFile, "--tls-key", cliCert.KeyFile, "get", "sources/mtls")
	if r.code != exitFailure || !strings.Contains(r.stderr, "[TOKEN_MISSING]") {
		t.Errorf("mutual TLS without a token: %+v", r)
	}
	if r := runCLI(t, env, "", "--tls-ca", ca.CertFile, "get", "sources/mtls"); r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") {
		t.Errorf("no client certificate: %+v", r)
	}
	r = runCLI(t, env, "", "--tls-ca", ca.CertFile, "--tls-cert", stranger.CertFile, "--tls-key", stranger.KeyFile, "get", "sources/mtls")
	if r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") {
		t.Errorf("a client certificate of another CA: %+v", r)
	}
}
