package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

func TestParseNameAndKind(t *testing.T) {
	for _, tt := range []struct {
		name string
		want kind // 0: not a name
	}{
		{"articles/a", kindArticle},
		{"articles/a/annotations/b", kindAnnotation},
		{"sources/s", kindSource},
		{"reviewers/rana", kindReviewer},
		{"reviewers/rana/tokens/t1", kindToken},
		{"reviewers/", 0},
		{"reviewers/rana/tokens", 0},
		{"reviewers/rana/tokens/", 0},
		{"reviewers/rana/keys/t1", 0},
		{"auditEntries/1", 0},
		{"rana", 0},
	} {
		got, err := parseName(tt.name)
		if got != tt.want || (err == nil) != (tt.want != 0) {
			t.Errorf("parseName(%q) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		arg  string
		want kind
	}{
		{"reviewer", kindReviewer},
		{"Reviewers", kindReviewer},
		{"token", kindToken},
		{"tokens", kindToken},
		{"audit-entries", kindAuditEntry},
		{"audit-entry", kindAuditEntry},
		{"audit", 0},
		{"auditEntries", 0},
	} {
		got, err := parseKind(tt.arg)
		if got != tt.want || (err == nil) != (tt.want != 0) {
			t.Errorf("parseKind(%q) = %v, %v; want %v", tt.arg, got, err, tt.want)
		}
	}
	if got := parentOf("reviewers/rana/tokens/t1"); got != "reviewers/rana" {
		t.Errorf("parentOf = %q", got)
	}
}

// TestAccessUsageErrors: a command line the new verbs cannot work with is
// exit status 2 with a message naming the flag or argument, before any
// call (the server address is never dialled).
func TestAccessUsageErrors(t *testing.T) {
	env := map[string]string{envServer: "127.0.0.1:1"}
	const ann = "articles/a/annotations/b"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"submit"}, "one annotation name"},
		{[]string{"submit", "articles/a"}, "submit applies to annotations only"},
		{[]string{"submit", ann, "--note", "x"}, "unknown flag: --note"},
		{[]string{"publish", "sources/s"}, "publish applies to annotations only"},
		{[]string{"publish", ann, "--output", "yaml"}, "--output must be"},
		{[]string{"return", ann}, "return needs --note TEXT"},
		{[]string{"return", ann, "--note", "  "}, "return needs --note TEXT"},
		{[]string{"return", ann, "--reason", "x"}, "unknown flag: --reason"},
		{[]string{"retract", ann}, "retract needs --reason TEXT"},
		{[]string{"retract", ann, "--note", "x"}, "unknown flag: --note"},
		{[]string{"whoami", "reviewers/rana"}, "no arguments"},
		{[]string{"verify-audit", "--output", "secret"}, "--output must be"},
		{[]string{"revoke", "reviewers/rana"}, "revoke takes reviewers/ID/tokens/ID"},
		{[]string{"disable", "reviewers/rana/tokens/t"}, "disable takes reviewers/ID"},
		{[]string{"delete", "reviewers/rana"}, "use factcheck disable reviewers/rana"},
		{[]string{"delete", "reviewers/rana/tokens/t"}, "use factcheck revoke reviewers/rana/tokens/t"},
		{[]string{"undelete", "reviewers/rana"}, "undelete applies to articles, annotations and sources"},
		{[]string{"get", "reviewers/rana/tokens/t"}, "list tokens --parent reviewers/rana"},
		{[]string{"get", "reviewers/rana", "--view", "basic"}, "--view applies to articles only"},
		{[]string{"list", "tokens"}, "list tokens needs --parent reviewers/ID"},
		{[]string{"list", "tokens", "--parent", "reviewers/r", "--filter", "x"}, "--filter does not apply to tokens"},
		{[]string{"list", "reviewers", "--order-by", "create_time"}, "--order-by does not apply to reviewers"},
		{[]string{"list", "reviewers", "--parent", "reviewers/r"}, "--parent does not apply to reviewers"},
		{[]string{"list", "audit-entries", "--show-deleted"}, "--show-deleted does not apply to audit-entries"},
		{[]string{"list", "audit-entries", "--view", "full"}, "--view applies to articles only"},
		{[]string{"create", "token"}, "a token needs --parent reviewers/ID"},
		{[]string{"create", "token", "--parent", "reviewers/r", "-f", "t.json"}, "a token is made from flags, not a file"},
		{[]string{"create", "token", "--parent", "reviewers/r", "--id", "t"}, "--id does not apply to tokens"},
		{[]string{"create", "token", "--parent", "reviewers/r", "--ttl", "-1h"}, "--ttl must not be negative"},
		{[]string{"create", "token", "--parent", "reviewers/r", "--ttl", "a month"}, "invalid argument"},
		{[]string{"create", "token", "--parent", "reviewers/r", "--output", "yaml"}, "--output must be"},
		{[]string{"create", "reviewer", "-f", "r.json", "--ttl", "1h"}, "--ttl applies to tokens only"},
		{[]string{"create", "reviewer", "-f", "r.json", "--display-name", "x"}, "--display-name applies to tokens only"},
		{[]string{"create", "reviewer", "-f", "r.json", "--output", "secret"}, "--output secret applies to tokens only"},
		{[]string{"create", "reviewer", "-f", "r.json", "--parent", "reviewers/r"}, "--parent applies to annotations and tokens only"},
		{[]string{"create", "reviewer"}, "-f FILE is required"},
		{[]string{"create", "audit-entry", "-f", "e.json"}, "audit entries are written by the server"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, env, "", tt.args...)
			if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", r.code, r.stdout, r.stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestCreateTokenOutputs: every output format of create token carries the
// secret, which works at once; --output secret carries nothing else.
func TestCreateTokenOutputs(t *testing.T) {
	srv := startServer(t)
	env := srv.env()
	if r := runCLI(t, env, `{"role": "ROLE_VIEWER", "displayName": "Vera"}`, "create", "reviewer", "--id", "vera", "-f", "-"); r.code != 0 {
		t.Fatalf("create reviewer: %+v", r)
	}
	for _, tt := range []struct {
		output string
		// secret reads the secret and the token's name out of stdout.
		secret func(t *testing.T, stdout string) (secret, name string)
	}{
		{outputSecret, func(t *testing.T, stdout string) (string, string) {
			if strings.Count(stdout, "\n") != 1 || strings.ContainsAny(strings.TrimSuffix(stdout, "\n"), " \t\r") {
				t.Errorf("stdout is not one bare secret: %q", stdout)
			}
			return strings.TrimSuffix(stdout, "\n"), ""
		}},
		{outputJSON, func(t *testing.T, stdout string) (string, string) {
			var resp factcheckv1.CreateTokenResponse
			if err := protojson.Unmarshal([]byte(stdout), &resp); err != nil {
				t.Fatal(err)
			}
			return resp.GetSecret(), resp.GetToken().GetName()
		}},
		{outputJSONL, func(t *testing.T, stdout string) (string, string) {
			var v struct {
				Secret string
				Token  struct{ Name string }
			}
			if err := json.Unmarshal([]byte(stdout), &v); err != nil || strings.Count(stdout, "\n") != 1 {
				t.Fatalf("not one JSON line: %v\n%s", err, stdout)
			}
			return v.Secret, v.Token.Name
		}},
		{outputTable, func(t *testing.T, stdout string) (string, string) {
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "NAME EXPIRES SECRET" {
				t.Fatalf("table:\n%s", stdout)
			}
			f := strings.Fields(lines[1])
			return f[len(f)-1], f[0]
		}},
	} {
		t.Run(tt.output, func(t *testing.T) {
			r := runCLI(t, env, "", "create", "token", "--parent", "reviewers/vera", "--display-name", tt.output, "--ttl", "1h", "--output", tt.output)
			if r.code != 0 {
				t.Fatalf("%+v", r)
			}
			secret, name := tt.secret(t, r.stdout)
			if !strings.HasPrefix(secret, "fct_") {
				t.Errorf("secret %q", secret)
			}
			created, _, _ := strings.Cut(strings.TrimPrefix(r.stderr, "created "), " ")
			if !strings.HasPrefix(created, "reviewers/vera/tokens/") || (name != "" && name != created) || !strings.Contains(r.stderr, "not show its secret again") {
				t.Errorf("stderr %q; token %q", r.stderr, name)
			}
			who := runCLI(t, map[string]string{envServer: srv.addr, envToken: secret}, "", "whoami", "--output", "jsonl")
			var resp factcheckv1.GetCurrentReviewerResponse
			if err := protojson.Unmarshal([]byte(who.stdout), &resp); err != nil {
				t.Fatalf("whoami: %v: %+v", err, who)
			}
			if resp.GetReviewer().GetName() != "reviewers/vera" || resp.GetToken().GetName() != created || resp.GetToken().GetDisplayName() != tt.output {
				t.Errorf("whoami with the new secret: %v", &resp)
			}
		})
	}
	r := runCLI(t, env, "", "list", "tokens", "--parent", "reviewers/vera", "--all")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 4 || strings.Contains(r.stdout, "fct_") || !strings.Contains(r.stdout, `"expireTime"`) {
		t.Errorf("list tokens: %+v", r)
	}
}

// TestVerifyAuditFindsTampering: an audit entry changed in the database
// file behind the server's back makes verify-audit exit 1, naming the entry
// and the problem; the chain as the server wrote it verifies.
func TestVerifyAuditFindsTampering(t *testing.T) {
	srv := startServer(t)
	env := srv.env()
	if r := runCLI(t, env, `{"url": "https://s.example/a"}`, "create", "source", "--id", "a", "-f", "-"); r.code != 0 {
		t.Fatal(r)
	}
	r := runCLI(t, env, "", "verify-audit", "--output", "jsonl")
	var v factcheckv1.VerifyAuditLogResponse
	if err := protojson.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 0 || !v.GetValid() || v.GetEntriesChecked() < 2 || r.stderr != "" {
		t.Fatalf("verify-audit of an untouched log: %v: %+v", err, r)
	}
	r = runCLI(t, env, "", "list", "audit-entries", "--filter", `resource = "sources/a"`)
	var e factcheckv1.AuditEntry
	if err := protojson.Unmarshal([]byte(r.stdout), &e); err != nil || e.GetActor() != "reviewers/admin" {
		t.Fatalf("the source's entry: %v: %+v", err, r)
	}

	// Make it look as if someone else had done it.
	srv.stop()
	db, err := bbolt.Open(srv.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		key := binary.BigEndian.AppendUint64(nil, uint64(e.GetSequence()))
		val := b.Get(key)
		if !bytes.Contains(val, []byte("reviewers/admin")) {
			t.Fatalf("entry %d does not name reviewers/admin", e.GetSequence())
		}
		return b.Put(key, bytes.Replace(bytes.Clone(val), []byte("reviewers/admin"), []byte("reviewers/mole!"), 1))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	srv.start()
	env = srv.env() // a new port

	for _, output := range []string{outputJSON, outputTable} {
		r = runCLI(t, env, "", "verify-audit", "--output", output)
		want := "factcheck: the audit log is broken at " + store.AuditEntryName(e.GetSequence()) + ": "
		if r.code != exitFailure || !strings.HasPrefix(r.stderr, want) || len(r.stderr) == len(want)+1 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("--output %s: exit %d, stderr %q; want exit 1 and %q and the problem", output, r.code, r.stderr, want)
		}
		if !regexp.MustCompile(`(?m)^ *("valid": )?false\b`).MatchString(r.stdout) || !strings.Contains(r.stdout, store.AuditEntryName(e.GetSequence())) {
			t.Errorf("--output %s: stdout %q does not show the broken entry", output, r.stdout)
		}
	}
}

func TestAccessTableRows(t *testing.T) {
	at := timestamppb.New(time.Date(2026, 11, 1, 10, 20, 30, 500_000_000, time.FixedZone("AST", 3*3600)))
	for _, tt := range []struct {
		name string
		m    proto.Message
		want []string
	}{
		{"enabled reviewer", &factcheckv1.Reviewer{Name: "reviewers/rana", Role: factcheckv1.Reviewer_ROLE_REVIEWER, DisplayName: "Rana\nHaddad"},
			[]string{"reviewers/rana", "REVIEWER", "enabled", "", "Rana Haddad"}},
		{"disabled reviewer", &factcheckv1.Reviewer{Name: "reviewers/omar", Role: factcheckv1.Reviewer_ROLE_EDITOR, Disabled: true, Email: "o@x.example"},
			[]string{"reviewers/omar", "EDITOR", "disabled", "o@x.example", ""}},
		{"token forever", &factcheckv1.Token{Name: "reviewers/r/tokens/t", CreateTime: at},
			[]string{"reviewers/r/tokens/t", "2026-11-01T07:20:30Z", "never", "-", ""}},
		{"token revoked", &factcheckv1.Token{Name: "reviewers/r/tokens/t", CreateTime: at, ExpireTime: at, RevokeTime: at, DisplayName: "CMS"},
			[]string{"reviewers/r/tokens/t", "2026-11-01T07:20:30Z", "2026-11-01T07:20:30Z", "2026-11-01T07:20:30Z", "CMS"}},
		{"audit entry", &factcheckv1.AuditEntry{Sequence: 7, CreateTime: at, Actor: "system/purge", Method: "/factcheck.v1.ArticleService/DeleteArticle", Resource: "articles/a"},
			[]string{"7", "2026-11-01T07:20:30Z", "system/purge", "ArticleService/DeleteArticle", "articles/a", "-"}},
		{"whoami", &factcheckv1.GetCurrentReviewerResponse{
			Reviewer: &factcheckv1.Reviewer{Name: "reviewers/admin", Role: factcheckv1.Reviewer_ROLE_ADMIN},
			Token:    &factcheckv1.Token{Name: "reviewers/admin/tokens/b"}},
			[]string{"reviewers/admin", "ADMIN", "reviewers/admin/tokens/b", ""}},
		{"broken log", &factcheckv1.VerifyAuditLogResponse{EntriesChecked: 9, FirstBrokenEntry: "auditEntries/3", Problem: "entry 3: hash mismatch"},
			[]string{"false", "9", "", "auditEntries/3", "entry 3: hash mismatch"}},
		{"valid log", &factcheckv1.VerifyAuditLogResponse{Valid: true, EntriesChecked: 9, HeadHash: "ab"},
			[]string{"true", "9", "ab", "-", "-"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tableRow(tt.m)
			if !slices.Equal(got, tt.want) {
				t.Errorf("tableRow = %q, want %q", got, tt.want)
			}
			if h := tableHeader(tt.m); len(h) != len(got) {
				t.Errorf("%d header cells %q for %d row cells", len(h), h, len(got))
			}
		})
	}
}
