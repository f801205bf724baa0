package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// serverTLS returns the TLS configuration --tls-cert, --tls-key and
// --tls-client-ca ask for, nil for plaintext. The files are read once, at
// start: a renewed certificate takes a restart.
func (cfg config) serverTLS() (*tls.Config, error) {
	if cfg.tlsCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s / --tls-key %s: %w", cfg.tlsCert, cfg.tlsKey, err)
	}
	// TLS 1.2 is the oldest version without known practical attacks and
	// what gRPC clients everywhere speak; HTTP/2 forbids older ones anyway.
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.tlsClientCA != "" {
		pem, err := os.ReadFile(cfg.tlsClientCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-client-ca: no PEM certificate in %s", cfg.tlsClientCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// tlsMode names the transport security for the log line that says where
// the server listens.
func tlsMode(tc *tls.Config) string {
	switch {
	case tc == nil:
		return "off"
	case tc.ClientAuth == tls.RequireAndVerifyClientCert:
		return "mutual"
	default:
		return "on"
	}
}
