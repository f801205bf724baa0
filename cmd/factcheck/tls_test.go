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

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
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
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
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
	os.WriteFile(p.certFile, certPEM, 0o600)
	os.WriteFile(p.keyFile, keyPEM, 0o600)
	if p.tls, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	p.cert, _ = x509.ParseCertificate(der)
	return p
}

// TestTLS: --tls-ca verifies the server, --tls-cert/--tls-key present a
// client certificate, and plaintext against a TLS server fails readably.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCert(t, dir, "ca", nil)
	srvCert := newCert(t, dir, "server", ca)
	cliCert := newCert(t, dir, "client", ca)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{srvCert.tls},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})))
	factcheckv1.RegisterArticleServiceServer(srv, &tokenRecorder{})
	env := map[string]string{envServer: serveGRPC(t, srv)}

	r := runCLI(t, env, "", "--tls-ca", ca.certFile, "--tls-cert", cliCert.certFile, "--tls-key", cliCert.keyFile, "get", "articles/a")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "articles/a"`) {
		t.Errorf("mutual TLS: %+v", r)
	}
	// Without a client certificate the server refuses the handshake.
	if r := runCLI(t, env, "", "--tls-ca", ca.certFile, "get", "articles/a"); r.code != exitFailure {
		t.Errorf("no client certificate: %+v", r)
	}
	// The system roots do not know this CA.
	if r := runCLI(t, env, "", "--tls", "get", "articles/a"); r.code != exitFailure || !strings.Contains(r.stderr, "UNAVAILABLE") {
		t.Errorf("--tls with an unknown CA: %+v", r)
	}
	if r := runCLI(t, env, "", "get", "articles/a"); r.code != exitFailure || !strings.Contains(r.stderr, "does it expect TLS?") {
		t.Errorf("plaintext to a TLS server: %+v", r)
	}
}
