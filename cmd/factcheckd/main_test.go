package main

import (
	"errors"
	"flag"
	"io"
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
	for _, args := range [][]string{{"--no-such-flag"}, {"stray"}, {"--log-format", "xml"}, {"--public-url", "factcheck.example"}, {"--public-url", "ftp://x/"}, {"--retention", "0s"}, {"--retention", "a month"}} {
		_, err := parseFlags(args, getenv, io.Discard)
		var usage usageError
		if !errors.As(err, &usage) {
			t.Errorf("parseFlags(%q) = %v, want a usage error", args, err)
		}
	}
	if _, err := parseFlags([]string{"--help"}, getenv, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v, want flag.ErrHelp", err)
	}
	var usage usageError
	if _, err := parseFlags(nil, func(k string) string { return map[string]string{"FACTCHECK_RETENTION": "30 days"}[k] }, io.Discard); !errors.As(err, &usage) {
		t.Errorf("FACTCHECK_RETENTION=30 days: %v, want a usage error", err)
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
