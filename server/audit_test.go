package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
)

// listAudit returns every entry matching filter in order, page by page.
func (e *env) listAudit(t *testing.T, filter, order string, size int32) []*factcheckv1.AuditEntry {
	t.Helper()
	var out []*factcheckv1.AuditEntry
	token := ""
	for {
		resp, err := e.audit.ListAuditEntries(ctxT(t), &factcheckv1.ListAuditEntriesRequest{Filter: filter, OrderBy: order, PageSize: size, PageToken: token})
		if err != nil {
			t.Fatalf("ListAuditEntries(%q, %q): %v", filter, order, err)
		}
		if len(resp.GetAuditEntries()) > int(size) {
			t.Fatalf("page of %d entries for page_size %d", len(resp.GetAuditEntries()), size)
		}
		out = append(out, resp.GetAuditEntries()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// withRequestID is ctxT with an x-request-id.
func withRequestID(t *testing.T, id string) context.Context {
	return metadata.AppendToOutgoingContext(ctxT(t), server.RequestIDHeader, id)
}

// TestAuditLog: a series of writes through the API leaves a hash chain
// that VerifyAuditLog accepts and that a client can check by itself from
// the entries, each naming the caller, the method and the request id.
func TestAuditLog(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	ana := e.as(t, "ana", store.RoleEditor)
	art := shafaqArticle(t)
	art.Name = "articles/shafaq-talks"
	art.Text += " Updated."
	if _, err := ana.articles.UpdateArticle(withRequestID(t, "req-ana-1"), &factcheckv1.UpdateArticleRequest{
		Article: art, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"text"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reviewers.CreateReviewer(withRequestID(t, "req-admin-1"), &factcheckv1.CreateReviewerRequest{
		ReviewerId: "omar", Reviewer: &factcheckv1.Reviewer{Role: factcheckv1.Reviewer_ROLE_EDITOR},
	}); err != nil {
		t.Fatal(err)
	}
	tok, err := e.reviewers.CreateToken(withRequestID(t, "req-admin-2"), &factcheckv1.CreateTokenRequest{Parent: "reviewers/omar"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.reviewers.RevokeToken(withRequestID(t, "req-admin-3"), &factcheckv1.RevokeTokenRequest{Name: tok.GetToken().GetName()}); err != nil {
		t.Fatal(err)
	}
	// A refused write leaves no entry.
	if _, err := ana.reviewers.CreateReviewer(withRequestID(t, "req-ana-denied"), &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Role: 1}}); code(err) != codes.PermissionDenied {
		t.Fatalf("an editor creating a reviewer: %v", err)
	}

	all := e.listAudit(t, "", "", 3)
	if len(all) < 8 {
		t.Fatalf("only %d audit entries after the writes", len(all))
	}
	prev := strings.Repeat("0", 64)
	for i, en := range all {
		if en.GetSequence() != int64(i+1) || en.GetName() != store.AuditEntryName(int64(i+1)) {
			t.Errorf("entry %d is %s (sequence %d)", i, en.GetName(), en.GetSequence())
		}
		if en.GetPreviousHash() != prev {
			t.Errorf("%s: previous_hash %s, want %s", en.GetName(), en.GetPreviousHash(), prev)
		}
		// The API gives everything needed to check the chain without the
		// server.
		ph, err1 := hex.DecodeString(en.GetPreviousHash())
		h, err2 := hex.DecodeString(en.GetHash())
		if err1 != nil || err2 != nil || len(h) != 32 {
			t.Fatalf("%s: hashes are not hex SHA-256: %q %q", en.GetName(), en.GetPreviousHash(), en.GetHash())
		}
		want := store.AuditHash(ph, &store.AuditEntry{
			Sequence: en.GetSequence(), Time: en.GetCreateTime().AsTime(), Actor: en.GetActor(), Method: en.GetMethod(),
			Resource: en.GetResource(), FieldPaths: en.GetFieldPaths(), RequestID: en.GetRequestId(), Note: en.GetNote(),
		})
		if !bytes.Equal(h, want) {
			t.Errorf("%s: hash %x, recomputed %x", en.GetName(), h, want)
		}
		prev = en.GetHash()
		if en.GetRequestId() == "req-ana-denied" {
			t.Errorf("a refused call left %v", en)
		}
	}
	if all[0].GetActor() != "system/bootstrap" || all[0].GetResource() != "reviewers/admin" {
		t.Errorf("first entry %v, want the bootstrap of reviewers/admin", all[0])
	}

	v, err := e.audit.VerifyAuditLog(ctxT(t), &factcheckv1.VerifyAuditLogRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.GetValid() || v.GetEntriesChecked() != int64(len(all)) || v.GetHeadHash() != all[len(all)-1].GetHash() ||
		v.GetFirstBrokenEntry() != "" || v.GetProblem() != "" {
		t.Errorf("VerifyAuditLog = %v, want valid over %d entries with head %s", v, len(all), all[len(all)-1].GetHash())
	}

	for _, tc := range []struct {
		requestID, actor, method, resource string
		paths                              []string
	}{
		{"req-ana-1", "reviewers/ana", "/factcheck.v1.ArticleService/UpdateArticle", "articles/shafaq-talks", []string{"text"}},
		{"req-admin-1", "reviewers/admin", "/factcheck.v1.ReviewerService/CreateReviewer", "reviewers/omar", []string{"role"}},
		{"req-admin-2", "reviewers/admin", "/factcheck.v1.ReviewerService/CreateToken", tok.GetToken().GetName(), nil},
		{"req-admin-3", "reviewers/admin", "/factcheck.v1.ReviewerService/RevokeToken", tok.GetToken().GetName(), []string{"revoke_time"}},
	} {
		got := e.listAudit(t, `request_id = "`+tc.requestID+`"`, "", 50)
		var mine *factcheckv1.AuditEntry
		for _, en := range got {
			if en.GetRequestId() != tc.requestID {
				t.Errorf("filter request_id = %q returned %v", tc.requestID, en)
			}
			if en.GetResource() == tc.resource {
				mine = en
			}
		}
		if mine == nil {
			t.Errorf("no entry of %s for request %s in %v", tc.resource, tc.requestID, got)
			continue
		}
		if mine.GetActor() != tc.actor || mine.GetMethod() != tc.method {
			t.Errorf("%s: %v, want actor %s, method %s", tc.requestID, mine, tc.actor, tc.method)
		}
		for _, p := range tc.paths {
			if !slices.Contains(mine.GetFieldPaths(), p) {
				t.Errorf("%s: field_paths %v lack %s", tc.requestID, mine.GetFieldPaths(), p)
			}
		}
	}

	// Newest first is the same log backwards, in pages of its own.
	desc := e.listAudit(t, "", "sequence desc", 4)
	if len(desc) != len(all) {
		t.Fatalf("%d entries newest first, %d oldest first", len(desc), len(all))
	}
	for i := range desc {
		if desc[i].GetSequence() != all[len(all)-1-i].GetSequence() {
			t.Fatalf("newest first: %s at %d", desc[i].GetName(), i)
		}
	}
	if got := e.listAudit(t, `actor = "reviewers/ana"`, "sequence asc", 10); len(got) == 0 || slices.ContainsFunc(got, func(en *factcheckv1.AuditEntry) bool { return en.GetActor() != "reviewers/ana" }) {
		t.Errorf("actor filter returned %v", got)
	}

	page, err := e.audit.ListAuditEntries(ctxT(t), &factcheckv1.ListAuditEntriesRequest{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  *factcheckv1.ListAuditEntriesRequest
		want wantErr
	}{
		{"order by time", &factcheckv1.ListAuditEntriesRequest{OrderBy: "create_time"},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_ORDER_BY", fields: []string{"order_by"}, says: []string{"sequence desc"}}},
		{"unknown field", &factcheckv1.ListAuditEntriesRequest{Filter: `hash = "00"`},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_FILTER", fields: []string{"filter"}}},
		{"token of another order", &factcheckv1.ListAuditEntriesRequest{OrderBy: "sequence desc", PageToken: page.GetNextPageToken()},
			wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.audit.ListAuditEntries(ctxT(t), tc.req)
			checkErr(t, err, tc.want)
		})
	}
	// "sequence asc" is "sequence": they share page tokens.
	if _, err := e.audit.ListAuditEntries(ctxT(t), &factcheckv1.ListAuditEntriesRequest{OrderBy: "sequence asc", PageToken: page.GetNextPageToken()}); err != nil {
		t.Errorf("sequence asc with a token of sequence: %v", err)
	}
}

// TestVerifyAuditLogFindsTampering: an entry changed in the database file
// behind the server's back is reported by name.
func TestVerifyAuditLogFindsTampering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "factcheck.db")
	var victim int64
	t.Run("write", func(t *testing.T) {
		e := startEnv(t, server.Config{}, envOptions{path: path})
		e.seed(t)
		ana := e.as(t, "ana", store.RoleEditor)
		if _, err := ana.sources.UpdateSource(ctxT(t), &factcheckv1.UpdateSourceRequest{
			Source: &factcheckv1.Source{Name: "sources/wapo-talks", Notes: "checked"},
		}); err != nil {
			t.Fatal(err)
		}
		got := e.listAudit(t, `actor = "reviewers/ana"`, "", 10)
		if len(got) != 1 {
			t.Fatalf("ana's entries: %v", got)
		}
		victim = got[0].GetSequence()
	})
	// Make it look as if the admin had done it.
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		key := binary.BigEndian.AppendUint64(nil, uint64(victim))
		val := b.Get(key)
		if !bytes.Contains(val, []byte("reviewers/ana")) {
			t.Fatalf("entry %d does not name reviewers/ana", victim)
		}
		return b.Put(key, bytes.Replace(bytes.Clone(val), []byte("reviewers/ana"), []byte("reviewers/bob"), 1))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Run("verify", func(t *testing.T) {
		e := startEnv(t, server.Config{}, envOptions{path: path, noCheck: true})
		v, err := e.audit.VerifyAuditLog(ctxT(t), &factcheckv1.VerifyAuditLogRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if v.GetValid() || v.GetFirstBrokenEntry() != store.AuditEntryName(victim) || v.GetProblem() == "" {
			t.Errorf("VerifyAuditLog = %v, want invalid at %s", v, store.AuditEntryName(victim))
		}
	})
}
