package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

var printedToken = regexp.MustCompile(`bootstrap token \(shown once\): (\S+)`)

// whoAmI returns "reviewers/x ROLE_Y token-display-name" for the caller
// with token.
func whoAmI(t *testing.T, d *daemon, token string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := factcheckv1.NewReviewerServiceClient(dial(t, d.addr, token)).GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
	if err != nil {
		return "", err
	}
	r := resp.GetReviewer()
	return r.GetName() + " " + r.GetRole().String() + " " + resp.GetToken().GetDisplayName(), nil
}

// TestBootstrapTokenFile: a first start without FACTCHECK_BOOTSTRAP_TOKEN
// creates reviewers/admin with a generated token, prints it once and writes
// it, readable by its owner only, beside the database (replacing a stale
// file); the token works, calls without one are refused, and the audit log
// names the bootstrap. Later starts print nothing new, leave the file alone
// and ignore FACTCHECK_BOOTSTRAP_TOKEN.
func TestBootstrapTokenFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "factcheck.db")
	file := db + ".bootstrap-token"
	// Left over from an older database of the same name.
	if err := os.WriteFile(file, []byte("fct_stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemonEnv(t, db, []string{"FACTCHECK_BOOTSTRAP_TOKEN="})
	m := printedToken.FindStringSubmatch(d.stderr.String())
	if m == nil {
		t.Fatalf("the first start printed no bootstrap token:\n%s", d.stderr.String())
	}
	secret := m[1]
	// Once, on its own line: the log records name the file, not the secret.
	if n := strings.Count(d.stderr.String(), secret); n != 1 {
		t.Errorf("the secret appears %d times on stderr, want once:\n%s", n, d.stderr.String())
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", file, fi.Mode().Perm())
	}
	if got := readTokenFile(t, file); got != secret {
		t.Errorf("the file holds %q, the printed token is %q", got, secret)
	}
	if !strings.HasPrefix(secret, "fct_") || len(secret) < 40 {
		t.Errorf("generated token %q is not a server token secret", secret)
	}
	if !strings.Contains(d.stderr.String(), "token_file="+file) {
		t.Errorf("no log record says where the token file is:\n%s", d.stderr.String())
	}

	who, err := whoAmI(t, d, secret)
	if err != nil || who != "reviewers/admin ROLE_ADMIN bootstrap" {
		t.Errorf("GetCurrentReviewer with the printed token: %q, %v; want reviewers/admin ROLE_ADMIN bootstrap", who, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	anonymous := dial(t, d.addr, "")
	if _, err := factcheckv1.NewArticleServiceClient(anonymous).ListArticles(ctx, &factcheckv1.ListArticlesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("ListArticles without a token: %v, want UNAUTHENTICATED", err)
	}
	if resp, err := healthpb.NewHealthClient(anonymous).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health check without a token: %v, %v", resp, err)
	}
	entries, err := factcheckv1.NewAuditServiceClient(dial(t, d.addr, secret)).ListAuditEntries(ctx, &factcheckv1.ListAuditEntriesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries.GetAuditEntries()) == 0 {
		t.Fatal("the audit log is empty after the bootstrap")
	}
	for _, e := range entries.GetAuditEntries() {
		if e.GetActor() != "system/bootstrap" {
			t.Errorf("audit entry %s of %s by %q, want system/bootstrap", e.GetName(), e.GetResource(), e.GetActor())
		}
	}
	d.stop(t)

	// A restart: reviewers exist, so nothing is generated or printed.
	d = startDaemonEnv(t, db, []string{"FACTCHECK_BOOTSTRAP_TOKEN="})
	if m := printedToken.FindStringSubmatch(d.stderr.String()); m != nil {
		t.Errorf("a restart printed a bootstrap token again:\n%s", d.stderr.String())
	}
	if got := readTokenFile(t, file); got != secret {
		t.Errorf("a restart changed the token file to %q", got)
	}
	if who, err := whoAmI(t, d, secret); err != nil {
		t.Errorf("the bootstrap token after a restart: %q, %v", who, err)
	}
	d.stop(t)

	// FACTCHECK_BOOTSTRAP_TOKEN cannot take over a server that has reviewers.
	const other = "fct_somebody-else-trying-to-get-in"
	d = startDaemonEnv(t, db, []string{"FACTCHECK_BOOTSTRAP_TOKEN=" + other})
	if !strings.Contains(d.stderr.String(), "FACTCHECK_BOOTSTRAP_TOKEN ignored") {
		t.Errorf("factcheckd did not say it ignored FACTCHECK_BOOTSTRAP_TOKEN:\n%s", d.stderr.String())
	}
	if _, err := whoAmI(t, d, other); status.Code(err) != codes.Unauthenticated {
		t.Errorf("FACTCHECK_BOOTSTRAP_TOKEN given after the bootstrap: %v, want UNAUTHENTICATED", err)
	}
	d.stop(t)
}

// TestBootstrapTokenFromEnv: FACTCHECK_BOOTSTRAP_TOKEN becomes the first
// admin's token, nothing is written or printed, and a token too short to
// be safe, or one no header can carry, stops the server before it starts.
func TestBootstrapTokenFromEnv(t *testing.T) {
	db := filepath.Join(t.TempDir(), "factcheck.db")
	d := startDaemon(t, db)
	if who, err := whoAmI(t, d, e2eToken); err != nil || who != "reviewers/admin ROLE_ADMIN bootstrap" {
		t.Errorf("GetCurrentReviewer with FACTCHECK_BOOTSTRAP_TOKEN: %q, %v", who, err)
	}
	if strings.Contains(d.stderr.String(), e2eToken) || printedToken.MatchString(d.stderr.String()) {
		t.Errorf("factcheckd printed a token it was given:\n%s", d.stderr.String())
	}
	if _, err := os.Stat(db + ".bootstrap-token"); !os.IsNotExist(err) {
		t.Errorf("a token file was written for a token from the environment: %v", err)
	}
	d.stop(t)

	for _, tt := range []struct{ token, want string }{
		{"fct_short", "at least 22"},
		{"twenty-one-characters", "at least 22"},
		{"a token with spaces in it, long enough", "printable ASCII"},
	} {
		cmd := execDaemon(t, filepath.Join(t.TempDir(), "x.db"))
		cmd.Env = append(cmd.Env, "FACTCHECK_BOOTSTRAP_TOKEN="+tt.token)
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), tt.want) {
			t.Errorf("FACTCHECK_BOOTSTRAP_TOKEN=%q: exit %d (%v), want 2 with %q:\n%s", tt.token, code, err, tt.want, out)
		}
		if strings.Contains(string(out), "serving") {
			t.Errorf("FACTCHECK_BOOTSTRAP_TOKEN=%q: the server started:\n%s", tt.token, out)
		}
	}
}
