package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsPrecedence(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantListen string
		wantDB     string
	}{
		{"defaults", nil, nil, "127.0.0.1:50051", "./factcheck.db"},
		{"environment", nil, map[string]string{"FACTCHECK_LISTEN": "127.0.0.1:7000", "FACTCHECK_DB": "/tmp/x.db"}, "127.0.0.1:7000", "/tmp/x.db"},
		{"flags beat environment", []string{"--listen", ":9000", "--db", "a.db"}, map[string]string{"FACTCHECK_LISTEN": "127.0.0.1:7000", "FACTCHECK_DB": "/tmp/x.db"}, ":9000", "a.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.listen != tt.wantListen || cfg.db != tt.wantDB {
				t.Errorf("listen, db = %q, %q; want %q, %q", cfg.listen, cfg.db, tt.wantListen, tt.wantDB)
			}
		})
	}
}

func TestParseFlagsErrors(t *testing.T) {
	getenv := func(string) string { return "" }
	for _, tt := range []struct {
		args []string
		want string // in the message
	}{
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"stray"}, "stray"},
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--public-url", "factcheck.example"}, "--public-url"},
		{[]string{"--public-url", "ftp://x/"}, "--public-url"},
		{[]string{"--retention", "0s"}, "--retention"},
		{[]string{"--retention", "a month"}, "retention"},
		{[]string{"--tls-cert", "server.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-key", "server.key"}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-client-ca", "ca.pem"}, "needs --tls-cert and --tls-key"},
		{[]string{"--tls-client-ca", "ca.pem", "--tls-cert", "server.pem"}, "go together"},
		{[]string{"--rate-limit", "-1"}, "--rate-limit"},
		{[]string{"--rate-limit", "NaN"}, "--rate-limit"},
		{[]string{"--rate-limit", "+Inf"}, "--rate-limit"},
		{[]string{"--rate-limit", "fast"}, "rate-limit"},
		{[]string{"--rate-limit", "10", "--rate-burst", "0"}, "--rate-burst"},
	} {
		_, err := parseFlags(tt.args, getenv, io.Discard)
		var usage usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseFlags(%q) = %v, want a usage error saying %q", tt.args, err, tt.want)
		}
	}
	if _, err := parseFlags([]string{"--help"}, getenv, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v, want flag.ErrHelp", err)
	}
	for _, tt := range []struct{ key, value, want string }{
		{"FACTCHECK_RETENTION", "30 days", "FACTCHECK_RETENTION"},
		{"FACTCHECK_RATE_LIMIT", "fast", "FACTCHECK_RATE_LIMIT"},
		{"FACTCHECK_RATE_BURST", "1.5", "FACTCHECK_RATE_BURST"},
		{"FACTCHECK_TLS_CLIENT_CA", "ca.pem", "--tls-client-ca"},
		{"FACTCHECK_BOOTSTRAP_TOKEN", "fct_short", "at least 22"},
		{"FACTCHECK_BOOTSTRAP_TOKEN", "a token with spaces in it, long enough", "printable ASCII"},
		{"FACTCHECK_BOOTSTRAP_TOKEN", "fct_a-long-token-with-a-tab\there", "printable ASCII"},
	} {
		_, err := parseFlags(nil, func(k string) string { return map[string]string{tt.key: tt.value}[k] }, io.Discard)
		var usage usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: %v, want a usage error saying %q", tt.key, tt.value, err, tt.want)
		}
	}
}

// TestParseFlagsAccess: the TLS and rate-limit flags, their environment
// variables and defaults, and the bootstrap token from the environment.
func TestParseFlagsAccess(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"defaults", nil, nil, config{rateLimit: 50, rateBurst: 100}},
		{"flags", []string{"--tls-cert", "s.pem", "--tls-key", "s.key", "--tls-client-ca", "ca.pem", "--rate-limit", "2.5", "--rate-burst", "5"}, nil,
			config{tlsCert: "s.pem", tlsKey: "s.key", tlsClientCA: "ca.pem", rateLimit: 2.5, rateBurst: 5}},
		{"environment", nil, map[string]string{
			"FACTCHECK_TLS_CERT": "s.pem", "FACTCHECK_TLS_KEY": "s.key", "FACTCHECK_TLS_CLIENT_CA": "ca.pem",
			"FACTCHECK_RATE_LIMIT": "0", "FACTCHECK_RATE_BURST": "7", "FACTCHECK_BOOTSTRAP_TOKEN": "fct_0123456789abcdefghijkl",
		}, config{tlsCert: "s.pem", tlsKey: "s.key", tlsClientCA: "ca.pem", rateLimit: 0, rateBurst: 7, bootstrapToken: "fct_0123456789abcdefghijkl"}},
		{"flags beat environment", []string{"--rate-limit", "9", "--tls-cert", "f.pem", "--tls-key", "f.key"},
			map[string]string{"FACTCHECK_RATE_LIMIT": "1", "FACTCHECK_TLS_CERT": "s.pem", "FACTCHECK_TLS_KEY": "s.key"},
			config{tlsCert: "f.pem", tlsKey: "f.key", rateLimit: 9, rateBurst: 100}},
		// No limit, no burst to check.
		{"rate limit off", []string{"--rate-limit", "0", "--rate-burst", "0"}, nil, config{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			got := config{tlsCert: cfg.tlsCert, tlsKey: cfg.tlsKey, tlsClientCA: cfg.tlsClientCA,
				rateLimit: cfg.rateLimit, rateBurst: cfg.rateBurst, bootstrapToken: cfg.bootstrapToken}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestHelpListsEnvironment: every flag's environment variable, and the
// bootstrap token's, are in --help.
func TestHelpListsEnvironment(t *testing.T) {
	var out strings.Builder
	if _, err := parseFlags([]string{"--help"}, func(string) string { return "" }, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, v := range []string{"FACTCHECK_LISTEN", "FACTCHECK_DB", "FACTCHECK_TLS_CERT", "FACTCHECK_TLS_KEY", "FACTCHECK_TLS_CLIENT_CA",
		"FACTCHECK_RATE_LIMIT", "FACTCHECK_RATE_BURST", "FACTCHECK_BOOTSTRAP_TOKEN", "FACTCHECK_RETENTION"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("--help does not mention %s", v)
		}
	}
}

func TestParseFlagsRetention(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  string
		want time.Duration
	}{
		{nil, "", 720 * time.Hour},
		{nil, "48h", 48 * time.Hour},
		{[]string{"--retention", "1h"}, "48h", time.Hour},
	} {
		cfg, err := parseFlags(tt.args, func(k string) string {
			if k == "FACTCHECK_RETENTION" {
				return tt.env
			}
			return ""
		}, io.Discard)
		if err != nil || cfg.retention != tt.want {
			t.Errorf("parseFlags(%q) with FACTCHECK_RETENTION=%q: retention %v, %v; want %v", tt.args, tt.env, cfg.retention, err, tt.want)
		}
	}
}
