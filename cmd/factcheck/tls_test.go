package main

import (
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
)

// certPair is a certificate and key, as PEM files and as a tls.Certificate.
type certPair struct {
	certFile, keyFile string
	cert              *x509.Certificate
	tls               tls.Certificate
}

// newCert makes a certificate for 127.0.0.1 signed by parent (self-signed
// when parent is nil, and then a CA).
func newCert(t *testing.T, dir, name string, parent *certPair) *certPair {
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
	p := &certPair{certFile: filepath.Join(dir, name+".pem"), keyFile: filepath.Join(dir, name+".key")}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(p.certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if p.tls, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	if p.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTLS runs the CLI against the real server over TLS: --tls-ca verifies
// the server, the token goes over the encrypted connection and names the
// caller, and plaintext or an unknown CA fail readably.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCert(t, dir, "ca", nil)
	srvCert := newCert(t, dir, "server", ca)
	srv := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{srvCert.tls}, MinVersion: tls.VersionTLS12})
	env := srv.env()

	r := runCLI(t, env, `{"url": "https://s.example/tls"}`, "--tls-ca", ca.certFile, "create", "source", "--id", "tls", "-f", "-")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "sources/tls"`) {
		t.Errorf("over TLS with the admin token: %+v", r)
	}
	noToken := map[string]string{envServer: srv.addr}
	if r := runCLI(t, noToken, "", "--tls-ca", ca.certFile, "get", "sources/tls"); r.code != exitFailure || !strings.Contains(r.stderr, "[TOKEN_MISSING]") {
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
	ca := newCert(t, dir, "ca", nil)
	srvCert := newCert(t, dir, "server", ca)
	cliCert := newCert(t, dir, "client", ca)
	stranger := newCert(t, dir, "stranger", nil)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv := startTLSServer(t, &tls.Config{
		Certificates: []tls.Certificate{srvCert.tls},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	env := srv.env()

	r := runCLI(t, env, `{"url": "https://s.example/mtls"}`,
		"--tls-ca", ca.certFile, "--tls-cert", cliCert.certFile, "--tls-key", cliCert.keyFile, "create", "source", "--id", "mtls", "-f", "-")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "sources/mtls"`) {
		t.Errorf("mutual TLS with the admin token: %+v", r)
	}
	// The certificate lets the connection in; the call still needs a token.
	r = runCLI(t, map[string]string{envServer: srv.addr}, "", "--tls-ca", ca.certFile, "--tls-cert", cliCert.certFile, "--tls-key", cliCert.keyFile, "get", "sources/mtls")
	if r.code != exitFailure || !strings.Contains(r.stderr, "[TOKEN_MISSING]") {
		t.Errorf("mutual TLS without a token: %+v", r)
	}
	if r := runCLI(t, env, "", "--tls-ca", ca.certFile, "get", "sources/mtls"); r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") {
		t.Errorf("no client certificate: %+v", r)
	}
	r = runCLI(t, env, "", "--tls-ca", ca.certFile, "--tls-cert", stranger.certFile, "--tls-key", stranger.keyFile, "get", "sources/mtls")
	if r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") {
		t.Errorf("a client certificate of another CA: %+v", r)
	}
}
