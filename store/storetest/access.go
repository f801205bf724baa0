package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/factcheck/factcheck/store"
)

// accessTests pin store.Access (reviewers, tokens, the audit log) and the
// WriteInfo every write records; Run runs them with the rest.
var accessTests = []conformanceTest{
	{"ReviewerCRUD", testReviewerCRUD},
	{"ReviewerUniqueEmail", testReviewerUniqueEmail},
	{"ReviewerEtags", testReviewerEtags},
	{"ReviewerListFilterAndPages", testReviewerList},
	{"BootstrapOnlyOnce", testBootstrapOnce},
	{"BootstrapConcurrent", testBootstrapConcurrent},
	{"Tokens", testTokens},
	{"TokenRevokeAndLookup", testTokenRevokeAndLookup},
	{"WriteInfoAuthorAndRevisions", testWriteInfoRecorded},
	{"WriteInfoReanchorAndPurge", testWriteInfoReanchorPurge},
	{"WriteInfoConcurrentCallers", testWriteInfoConcurrent},
	{"AuditOnePerChange", testAuditPerChange},
	{"AuditAccessWrites", testAuditAccessWrites},
	{"AuditFailedWritesAppendNone", testAuditFailedWrites},
	{"AuditListFiltersAndPages", testAuditList},
}

// as returns a context whose writes are attributed to actor.
func as(actor, method, note string) context.Context {
	return store.WithWriteInfo(ctx, store.WriteInfo{Actor: actor, Method: method, RequestID: "req-" + actor, Note: note})
}

func secretHash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func (h harness) createReviewer(r *store.Reviewer) *store.Reviewer {
	h.t.Helper()
	out, err := h.s.CreateReviewer(ctx, r)
	check(h.t, err)
	return out
}

func (h harness) createToken(tok *store.Token) *store.Token {
	h.t.Helper()
	out, err := h.s.CreateToken(ctx, tok)
	check(h.t, err)
	return out
}

var ignoreReviewerOutput = cmpopts.IgnoreFields(store.Reviewer{}, "ID", "CreateTime", "UpdateTime", "Etag")

func testReviewerCRUD(t *testing.T, s store.Store) {
	h := harness{t, s}
	in := &store.Reviewer{ID: "alice", DisplayName: "Alice", Email: "alice@news.example", Role: store.RoleEditor,
		CreateTime: time.Unix(1, 0), Etag: "mine"}
	a := h.createReviewer(in)
	if a.ID != "alice" || a.CreateTime.IsZero() || !a.UpdateTime.Equal(a.CreateTime) || a.Etag == "" || a.Etag == "mine" {
		t.Errorf("created %+v: want the chosen ID and output fields set by the store", a)
	}
	if d := diff(in, a, ignoreReviewerOutput); d != "" {
		t.Errorf("created reviewer differs from the input (-want +got):\n%s", d)
	}
	if got, err := s.GetReviewer(ctx, "alice"); err != nil || diff(a, got) != "" {
		t.Errorf("GetReviewer: %v\n%s", err, diff(a, got))
	}
	_, err := s.CreateReviewer(ctx, &store.Reviewer{ID: "alice", DisplayName: "Another"})
	wantErr(t, err, store.ErrAlreadyExists, "REVIEWER_ALREADY_EXISTS")
	_, err = s.GetReviewer(ctx, "nobody")
	se := wantErr(t, err, store.ErrNotFound, "REVIEWER_NOT_FOUND")
	if se.Resource != "reviewers/nobody" {
		t.Errorf("Resource = %q, want reviewers/nobody", se.Resource)
	}

	// Generated IDs start with a letter and sort by creation.
	g1 := h.createReviewer(&store.Reviewer{DisplayName: "G1", Role: store.RoleViewer})
	g2 := h.createReviewer(&store.Reviewer{DisplayName: "G2", Role: store.RoleViewer})
	if g1.ID == "" || g1.ID[0] < 'a' || g1.ID[0] > 'z' || g2.ID <= g1.ID {
		t.Errorf("generated IDs %q then %q: want IDs starting with a letter, increasing", g1.ID, g2.ID)
	}
	if a.Name() != "reviewers/alice" {
		t.Errorf("Name() = %q", a.Name())
	}

	up, err := s.UpdateReviewer(ctx, "alice", "", func(r *store.Reviewer) error {
		r.Role, r.Disabled, r.DisplayName = store.RoleAdmin, true, "Alice A."
		r.CreateTime = time.Unix(2, 0) // output only: ignored
		return nil
	})
	check(t, err)
	if up.Role != store.RoleAdmin || !up.Disabled || up.DisplayName != "Alice A." || !up.CreateTime.Equal(a.CreateTime) ||
		up.Etag == a.Etag || up.UpdateTime.Before(a.UpdateTime) {
		t.Errorf("updated %+v from %+v", up, a)
	}
	if got, err := s.GetReviewer(ctx, "alice"); err != nil || diff(up, got) != "" {
		t.Errorf("GetReviewer after update: %v\n%s", err, diff(up, got))
	}
	_, err = s.UpdateReviewer(ctx, "nobody", "", func(*store.Reviewer) error { return nil })
	wantErr(t, err, store.ErrNotFound, "REVIEWER_NOT_FOUND")
	stop := errors.New("changed my mind")
	if _, err := s.UpdateReviewer(ctx, "alice", "", func(*store.Reviewer) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("UpdateReviewer with a failing closure: err = %v, want the closure's", err)
	}
	if got, _ := s.GetReviewer(ctx, "alice"); got.Etag != up.Etag {
		t.Error("a failed update changed the reviewer")
	}
}

func testReviewerUniqueEmail(t *testing.T, s store.Store) {
	h := harness{t, s}
	h.createReviewer(&store.Reviewer{ID: "a", Email: "a@news.example", Role: store.RoleReviewer})
	b := h.createReviewer(&store.Reviewer{ID: "b", Email: "b@news.example", Role: store.RoleReviewer})
	// Empty emails are not unique values.
	h.createReviewer(&store.Reviewer{ID: "c", Role: store.RoleReviewer})
	h.createReviewer(&store.Reviewer{ID: "d", Role: store.RoleReviewer})

	_, err := s.CreateReviewer(ctx, &store.Reviewer{ID: "e", Email: "a@news.example"})
	se := wantErr(t, err, store.ErrAlreadyExists, "EMAIL_ALREADY_EXISTS")
	if !strings.Contains(se.Message, "reviewers/a") {
		t.Errorf("message %q does not name the holder", se.Message)
	}
	if _, err := s.GetReviewer(ctx, "e"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused create left reviewer e: %v", err)
	}
	_, err = s.UpdateReviewer(ctx, "b", "", func(r *store.Reviewer) error { r.Email = "a@news.example"; return nil })
	wantErr(t, err, store.ErrAlreadyExists, "EMAIL_ALREADY_EXISTS")
	if got := h.getReviewer("b"); got.Email != b.Email || got.Etag != b.Etag {
		t.Errorf("a refused update changed b: %+v", got)
	}
	// An email given up is free again.
	if _, err := s.UpdateReviewer(ctx, "b", "", func(r *store.Reviewer) error { r.Email = "b2@news.example"; return nil }); err != nil {
		t.Fatal(err)
	}
	h.createReviewer(&store.Reviewer{ID: "f", Email: "b@news.example"})
	// Keeping one's own email is no conflict.
	if _, err := s.UpdateReviewer(ctx, "f", "", func(r *store.Reviewer) error { r.DisplayName = "F"; return nil }); err != nil {
		t.Errorf("updating a reviewer that keeps its email: %v", err)
	}
}

func (h harness) getReviewer(id string) *store.Reviewer {
	h.t.Helper()
	out, err := h.s.GetReviewer(ctx, id)
	check(h.t, err)
	return out
}

func testReviewerEtags(t *testing.T, s store.Store) {
	h := harness{t, s}
	r := h.createReviewer(&store.Reviewer{ID: "r", Role: store.RoleViewer})
	up, err := s.UpdateReviewer(ctx, "r", r.Etag, func(r *store.Reviewer) error { r.Role = store.RoleReviewer; return nil })
	check(t, err)
	if up.Etag == r.Etag {
		t.Error("an update kept the etag")
	}
	_, err = s.UpdateReviewer(ctx, "r", r.Etag, func(r *store.Reviewer) error { r.Role = store.RoleAdmin; return nil })
	wantErr(t, err, store.ErrConflict, "ETAG_MISMATCH")
	if got := h.getReviewer("r"); got.Role != store.RoleReviewer {
		t.Errorf("a stale update took effect: role %v", got.Role)
	}
	// The closure may run more than once: it sees the stored reviewer each time.
	calls := 0
	_, err = s.UpdateReviewer(ctx, "r", up.Etag, func(r *store.Reviewer) error {
		calls++
		if r.Role != store.RoleReviewer {
			return fmt.Errorf("closure saw role %v", r.Role)
		}
		r.Role = store.RoleEditor
		return nil
	})
	if err != nil || calls < 1 {
		t.Fatalf("conditional update: %v after %d calls", err, calls)
	}
}

func testReviewerList(t *testing.T, s store.Store) {
	h := harness{t, s}
	roles := []store.Role{store.RoleViewer, store.RoleReviewer, store.RoleEditor, store.RoleAdmin, store.RoleReviewer, store.RoleEditor, store.RoleReviewer}
	var ids []string
	var created []*store.Reviewer
	for i, role := range roles {
		r := h.createReviewer(&store.Reviewer{ID: fmt.Sprintf("r%d", i), DisplayName: fmt.Sprintf("Reviewer %d", i),
			Email: fmt.Sprintf("r%d@news.example", i), Role: role, Disabled: i%3 == 0})
		ids = append(ids, r.ID)
		created = append(created, r)
	}
	// Pages of 3, in creation order, without gaps or repeats.
	var got []string
	tok := ""
	for page := 0; ; page++ {
		rs, next, err := s.ListReviewers(ctx, store.ListQuery{PageSize: 3, PageToken: tok,
			OrderBy: store.OrderBy{Field: store.OrderByUpdateTime, Desc: true}}) // ignored
		check(t, err)
		if next != "" && len(rs) != 3 {
			t.Fatalf("page %d has %d reviewers and a next token", page, len(rs))
		}
		for _, r := range rs {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		tok = next
	}
	if !slices.Equal(got, ids) {
		t.Errorf("paged reviewers %q, want %q", got, ids)
	}
	_, _, err := s.ListReviewers(ctx, store.ListQuery{PageSize: 3, PageToken: "garbage"})
	wantErr(t, err, store.ErrInvalidArgument, "INVALID_PAGE_TOKEN")

	listIDs := func(f string, size int) []string {
		t.Helper()
		var out []string
		tok := ""
		for {
			rs, next, err := s.ListReviewers(ctx, store.ListQuery{Filter: parse(t, f, store.ReviewerFilterSchema), PageSize: size, PageToken: tok})
			check(t, err)
			for _, r := range rs {
				out = append(out, r.ID)
			}
			if next == "" {
				return out
			}
			tok = next
		}
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`role = ROLE_REVIEWER`, []string{"r1", "r4", "r6"}},
		{`role = ROLE_EDITOR OR role = ROLE_ADMIN`, []string{"r2", "r3", "r5"}},
		{`disabled = true`, []string{"r0", "r3", "r6"}},
		{`disabled = false AND role = ROLE_REVIEWER`, []string{"r1", "r4"}},
		{`email = "r5@news.example"`, []string{"r5"}},
		{`email = "nobody@news.example"`, nil},
		{`display_name = "Reviewer 2"`, []string{"r2"}},
		{`create_time >= ` + rfc3339(created[5].CreateTime), []string{"r5", "r6"}},
	} {
		for _, size := range []int{1, 2, 10} {
			if got := listIDs(tc.filter, size); !slices.Equal(got, tc.want) {
				t.Errorf("filter %s, page size %d: got %q, want %q", tc.filter, size, got, tc.want)
			}
		}
	}
}

func testBootstrapOnce(t *testing.T, s store.Store) {
	admin := &store.Reviewer{DisplayName: "First admin", Role: store.RoleAdmin}
	tok := &store.Token{DisplayName: "bootstrap", SecretHash: secretHash("s1")}
	ok, err := s.BootstrapReviewer(ctx, admin, &store.Token{SecretHash: []byte("short")})
	if ok {
		t.Error("BootstrapReviewer with a bad hash reports it created")
	}
	wantErr(t, err, store.ErrInvalidArgument, "INVALID_SECRET_HASH")
	if rs, _, err := s.ListReviewers(ctx, store.ListQuery{PageSize: 10}); err != nil || len(rs) != 0 {
		t.Fatalf("a refused bootstrap left reviewers %+v (%v)", rs, err)
	}
	ok, err = s.BootstrapReviewer(as("system/bootstrap", "", ""), admin, tok)
	if err != nil || !ok {
		t.Fatalf("first BootstrapReviewer = %v, %v; want true", ok, err)
	}
	gotTok, gotRev, err := s.LookupToken(ctx, secretHash("s1"))
	check(t, err)
	if gotRev.Role != store.RoleAdmin || gotRev.DisplayName != "First admin" || gotRev.ID == "" ||
		gotTok.ReviewerID != gotRev.ID || gotTok.DisplayName != "bootstrap" || gotTok.ID == "" {
		t.Errorf("bootstrapped %+v with %+v", gotRev, gotTok)
	}
	ok, err = s.BootstrapReviewer(ctx, &store.Reviewer{DisplayName: "Second", Role: store.RoleAdmin},
		&store.Token{SecretHash: secretHash("s2")})
	if err != nil || ok {
		t.Fatalf("second BootstrapReviewer = %v, %v; want false", ok, err)
	}
	if _, _, err := s.LookupToken(ctx, secretHash("s2")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused bootstrap stored its token: %v", err)
	}
	rs, _, err := s.ListReviewers(ctx, store.ListQuery{PageSize: 10})
	if err != nil || len(rs) != 1 {
		t.Fatalf("reviewers after two bootstraps: %d, %v; want 1", len(rs), err)
	}

	entries := allAudit(t, s)
	if len(entries) != 2 || entries[0].Resource != gotRev.Name() || entries[1].Resource != gotTok.Name() ||
		entries[0].Actor != "system/bootstrap" {
		t.Errorf("bootstrap audit entries: %v", auditLines(entries))
	}
}

func testBootstrapConcurrent(t *testing.T, s store.Store) {
	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []int
		errs []error
	)
	for i := range n {
		wg.Go(func() {
			ok, err := s.BootstrapReviewer(ctx, &store.Reviewer{DisplayName: fmt.Sprint(i), Role: store.RoleAdmin},
				&store.Token{SecretHash: secretHash(fmt.Sprint("secret", i))})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				wins = append(wins, i)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 || len(wins) != 1 {
		t.Fatalf("%d concurrent bootstraps: winners %v, errors %v; want exactly one winner", n, wins, errs)
	}
	rs, _, err := s.ListReviewers(ctx, store.ListQuery{PageSize: 10})
	if err != nil || len(rs) != 1 || rs[0].DisplayName != fmt.Sprint(wins[0]) {
		t.Fatalf("reviewers: %+v, %v; want only the winner's", rs, err)
	}
	toks, _, err := s.ListTokens(ctx, rs[0].ID, store.ListQuery{PageSize: 10})
	if err != nil || len(toks) != 1 || !bytes.Equal(toks[0].SecretHash, secretHash(fmt.Sprint("secret", wins[0]))) {
		t.Fatalf("tokens: %+v, %v; want only the winner's", toks, err)
	}
}

func testTokens(t *testing.T, s store.Store) {
	h := harness{t, s}
	h.createReviewer(&store.Reviewer{ID: "alice", Role: store.RoleEditor})
	h.createReviewer(&store.Reviewer{ID: "bob", Role: store.RoleReviewer})
	expire := time.Date(2031, 1, 2, 3, 4, 5, 6, time.UTC)
	in := &store.Token{ReviewerID: "alice", DisplayName: "laptop", SecretHash: secretHash("a1"), ExpireTime: expire,
		CreateTime: time.Unix(1, 0), RevokeTime: time.Unix(2, 0)}
	t1 := h.createToken(in)
	if t1.ID == "" || t1.ID[0] < 'a' || t1.ID[0] > 'z' || t1.ReviewerID != "alice" || t1.DisplayName != "laptop" ||
		!bytes.Equal(t1.SecretHash, in.SecretHash) || !t1.ExpireTime.Equal(expire) || t1.CreateTime.IsZero() ||
		t1.CreateTime.Equal(time.Unix(1, 0)) || !t1.RevokeTime.IsZero() {
		t.Errorf("created token %+v from %+v", t1, in)
	}
	if t1.Name() != "reviewers/alice/tokens/"+t1.ID {
		t.Errorf("Name() = %q", t1.Name())
	}
	t2 := h.createToken(&store.Token{ReviewerID: "alice", ID: "ci", SecretHash: secretHash("a2")})
	if t2.ID != "ci" {
		t.Errorf("chosen ID: got %q", t2.ID)
	}
	// Token IDs are per reviewer.
	h.createToken(&store.Token{ReviewerID: "bob", ID: "ci", SecretHash: secretHash("b1")})
	_, err := s.CreateToken(ctx, &store.Token{ReviewerID: "alice", ID: "ci", SecretHash: secretHash("a3")})
	wantErr(t, err, store.ErrAlreadyExists, "TOKEN_ALREADY_EXISTS")

	// A secret hash is unique across reviewers, and the error quotes neither it nor its holder.
	_, err = s.CreateToken(ctx, &store.Token{ReviewerID: "bob", SecretHash: secretHash("a1")})
	se := wantErr(t, err, store.ErrAlreadyExists, "TOKEN_ALREADY_EXISTS")
	if strings.Contains(se.Error(), "alice") || strings.Contains(se.Error(), fmt.Sprintf("%x", secretHash("a1"))) {
		t.Errorf("the duplicate-secret error %q gives away the holder or the hash", se.Error())
	}
	_, err = s.CreateToken(ctx, &store.Token{ReviewerID: "nobody", SecretHash: secretHash("n1")})
	wantErr(t, err, store.ErrNotFound, "REVIEWER_NOT_FOUND")
	for _, hash := range [][]byte{nil, []byte("not a sha-256"), append(secretHash("n2"), 0)} {
		_, err = s.CreateToken(ctx, &store.Token{ReviewerID: "bob", SecretHash: hash})
		wantViolation(t, wantErr(t, err, store.ErrInvalidArgument, "INVALID_SECRET_HASH"), "secret_hash")
	}
	_, err = s.BootstrapReviewer(ctx, &store.Reviewer{}, &store.Token{})
	if err != nil {
		// Reviewers exist: nothing to check, and nothing to refuse.
		t.Errorf("BootstrapReviewer with reviewers present and an empty hash: %v", err)
	}

	var got []string
	tok := ""
	for {
		ts, next, err := s.ListTokens(ctx, "alice", store.ListQuery{PageSize: 1, PageToken: tok})
		check(t, err)
		for _, x := range ts {
			got = append(got, x.ID)
		}
		if next == "" {
			break
		}
		tok = next
	}
	if want := []string{t1.ID, "ci"}; !slices.Equal(got, want) {
		t.Errorf("alice's tokens %q, want %q in creation order", got, want)
	}
	_, _, err = s.ListTokens(ctx, "nobody", store.ListQuery{PageSize: 10})
	wantErr(t, err, store.ErrNotFound, "REVIEWER_NOT_FOUND")
}

func testTokenRevokeAndLookup(t *testing.T, s store.Store) {
	h := harness{t, s}
	h.createReviewer(&store.Reviewer{ID: "alice", Role: store.RoleEditor, Email: "alice@news.example"})
	tk := h.createToken(&store.Token{ReviewerID: "alice", SecretHash: secretHash("a1")})
	// A store whose reviewers were created otherwise is not bootstrapped.
	if ok, err := s.BootstrapReviewer(ctx, &store.Reviewer{Role: store.RoleAdmin}, &store.Token{SecretHash: secretHash("boot")}); ok || err != nil {
		t.Errorf("BootstrapReviewer beside an existing reviewer = %v, %v; want false", ok, err)
	}

	gotTok, gotRev, err := s.LookupToken(ctx, secretHash("a1"))
	check(t, err)
	if diff(tk, gotTok) != "" || gotRev.ID != "alice" || gotRev.Email != "alice@news.example" {
		t.Errorf("LookupToken: %+v %+v\n%s", gotTok, gotRev, diff(tk, gotTok))
	}
	for _, hash := range [][]byte{secretHash("unknown"), nil, []byte("short")} {
		_, _, err := s.LookupToken(ctx, hash)
		wantErr(t, err, store.ErrNotFound, "TOKEN_NOT_FOUND")
	}

	rv, err := s.RevokeToken(ctx, "alice", tk.ID)
	check(t, err)
	if rv.RevokeTime.IsZero() || rv.ID != tk.ID {
		t.Errorf("revoked token %+v", rv)
	}
	_, err = s.RevokeToken(ctx, "alice", tk.ID)
	wantErr(t, err, store.ErrFailedPrecondition, "TOKEN_REVOKED")
	_, err = s.RevokeToken(ctx, "alice", "missing")
	wantErr(t, err, store.ErrNotFound, "TOKEN_NOT_FOUND")

	// Lookup returns the state as stored: the caller decides.
	if _, err := s.UpdateReviewer(ctx, "alice", "", func(r *store.Reviewer) error { r.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	gotTok, gotRev, err = s.LookupToken(ctx, secretHash("a1"))
	check(t, err)
	if !gotTok.RevokeTime.Equal(rv.RevokeTime) || !gotRev.Disabled {
		t.Errorf("LookupToken of a revoked token of a disabled reviewer: %+v %+v", gotTok, gotRev)
	}
	// A revoked token's secret stays taken.
	_, err = s.CreateToken(ctx, &store.Token{ReviewerID: "alice", SecretHash: secretHash("a1")})
	wantErr(t, err, store.ErrAlreadyExists, "TOKEN_ALREADY_EXISTS")
}

// testWriteInfoRecorded follows one annotation through writes by different
// actors: the author is whoever created it, each revision and change names
// who made it, and the note is kept.
func testWriteInfoRecorded(t *testing.T, s store.Store) {
	const create, update = "/factcheck.v1.AnnotationService/CreateAnnotation", "/factcheck.v1.AnnotationService/UpdateAnnotation"
	aliceCtx, bobCtx := as("reviewers/alice", create, ""), as("reviewers/bob", update, "fixed the rating")
	art, err := s.CreateArticle(as("reviewers/carol", "/factcheck.v1.ArticleService/CreateArticle", ""), func() *store.Article {
		a := newArticle(1)
		a.Text = claimText
		return a
	}())
	check(t, err)
	in := newAnnotation(art.ID, 1)
	in.Author = "reviewers/mallory" // output only
	ann, err := s.CreateAnnotation(aliceCtx, in)
	check(t, err)
	if ann.Author != "reviewers/alice" {
		t.Errorf("Author = %q, want the creating actor", ann.Author)
	}
	up, err := s.UpdateAnnotation(bobCtx, art.ID, ann.ID, "", func(a *store.Annotation) error {
		a.Verdict.Rating = store.RatingFalse
		a.Author = "reviewers/bob" // output only
		return nil
	})
	check(t, err)
	if up.Author != "reviewers/alice" {
		t.Errorf("Author after another's update = %q, want the creator's", up.Author)
	}
	back, err := s.RollbackAnnotation(as("reviewers/dan", "/factcheck.v1.AnnotationService/RollbackAnnotation", "undo"), art.ID, ann.ID, 1, "")
	check(t, err)
	if back.Author != "reviewers/alice" {
		t.Errorf("Author after a rollback = %q", back.Author)
	}
	revs, _, err := s.ListAnnotationRevisions(ctx, art.ID, ann.ID, store.RevisionQuery{PageSize: 10, OldestFirst: true})
	check(t, err)
	var got []string
	for _, r := range revs {
		got = append(got, fmt.Sprintf("%d %s %q", r.RevisionID, r.Actor, r.Note))
	}
	want := []string{`1 reviewers/alice ""`, `2 reviewers/bob "fixed the rating"`, `3 reviewers/dan "undo"`}
	if !slices.Equal(got, want) {
		t.Errorf("annotation revisions %q, want %q", got, want)
	}
	if r, err := s.GetAnnotationRevision(ctx, art.ID, ann.ID, 2); err != nil || r.Actor != "reviewers/bob" || r.Note != "fixed the rating" {
		t.Errorf("GetAnnotationRevision 2: %+v, %v", r, err)
	}

	// Batch creates and imports are authored too.
	batch, err := s.CreateAnnotations(as("reviewers/erin", "", ""), []*store.Annotation{newAnnotation(art.ID, 2), newAnnotation(art.ID, 3)})
	check(t, err)
	for _, a := range batch {
		if a.Author != "reviewers/erin" {
			t.Errorf("CreateAnnotations: Author = %q", a.Author)
		}
	}
	res, err := s.Import(as("reviewers/frank", "/factcheck.v1.BulkService/Import", ""), []store.ImportRecord{
		{Article: &store.Article{URL: "https://news.example/imported", Text: claimText}},
		{Annotation: &store.AnnotationImport{ArticleURL: "https://news.example/imported", Annotation: newAnnotation("", 4)}},
	}, store.ImportOptions{})
	check(t, err)
	imported, _, err := s.ListAnnotations(ctx, strings.TrimPrefix(res[0].Name, "articles/"), store.ListQuery{PageSize: 10})
	if err != nil || len(imported) != 1 || imported[0].Author != "reviewers/frank" {
		t.Errorf("imported annotations %+v, %v; want one authored by reviewers/frank", imported, err)
	}

	// Article revisions name who set each text.
	if _, err := s.UpdateArticle(as("reviewers/gina", "", ""), art.ID, "", func(a *store.Article) error {
		a.Text = "Update. " + a.Text
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	arevs, _, err := s.ListArticleRevisions(ctx, art.ID, store.RevisionQuery{PageSize: 10, OldestFirst: true, OmitText: true})
	check(t, err)
	if len(arevs) != 2 || arevs[0].Actor != "reviewers/carol" || arevs[1].Actor != "reviewers/gina" {
		t.Errorf("article revisions: %+v", arevs)
	}

	// Every change names its actor.
	for _, c := range allChanges(t, s, 0) {
		if c.Actor == "" || !strings.HasPrefix(c.Actor, "reviewers/") {
			t.Errorf("change %d (%s) has actor %q", c.Sequence, changeLine(c), c.Actor)
		}
	}
	// A write without WriteInfo is recorded with empty fields.
	anon, err := s.CreateAnnotation(ctx, newAnnotation(art.ID, 5))
	check(t, err)
	if anon.Author != "" {
		t.Errorf("Author without WriteInfo = %q, want empty", anon.Author)
	}
}

// testWriteInfoReanchorPurge: re-anchoring is done by the article update
// that caused it, and a purge by whoever runs it.
func testWriteInfoReanchorPurge(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("art")
	ann := h.createAnnotation(newAnnotation(art.ID, 7))
	before := head(t, s)
	if _, err := s.UpdateArticle(as("reviewers/editor", "/factcheck.v1.ArticleService/UpdateArticle", "moved a paragraph"), art.ID, "",
		func(a *store.Article) error { a.Text = "Preface. " + a.Text; return nil }); err != nil {
		t.Fatal(err)
	}
	changes := allChanges(t, s, before)
	if len(changes) < 2 {
		t.Fatalf("a text change recorded %v, want the update and a re-anchoring", changeLines(changes))
	}
	for _, c := range changes {
		if c.Actor != "reviewers/editor" {
			t.Errorf("%s: actor %q, want the update's", changeLine(c), c.Actor)
		}
	}
	revs, _, err := s.ListAnnotationRevisions(ctx, art.ID, ann.ID, store.RevisionQuery{PageSize: 1})
	check(t, err)
	if len(revs) != 1 || revs[0].Cause != store.CauseReanchor || revs[0].Actor != "reviewers/editor" || revs[0].Note != "moved a paragraph" {
		t.Errorf("re-anchoring revisions %+v: want the newest by the update, with its note", revs)
	}

	check(t, s.DeleteArticle(as("reviewers/editor", "", ""), art.ID, "", true))
	before = head(t, s)
	if _, err := s.Purge(as("system/purge", "", ""), farFuture); err != nil {
		t.Fatal(err)
	}
	purged := allChanges(t, s, before)
	if len(purged) != 2 {
		t.Fatalf("purge recorded %v", changeLines(purged))
	}
	for _, c := range purged {
		if c.Actor != "system/purge" {
			t.Errorf("%s: actor %q, want system/purge", changeLine(c), c.Actor)
		}
	}
	entries := allAudit(t, s)
	for _, e := range entries[len(entries)-2:] {
		if e.Actor != "system/purge" {
			t.Errorf("purge audit entry %s: actor %q", e.Resource, e.Actor)
		}
	}
}

// testWriteInfoConcurrent runs writers with different actors at once: a
// backend that shares a transaction between writes must still record each
// write's own caller.
func testWriteInfoConcurrent(t *testing.T, s store.Store) {
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			c := as(fmt.Sprintf("reviewers/w%d", w), "/m", "")
			for i := range each {
				if _, err := s.CreateArticle(c, &store.Article{ID: fmt.Sprintf("w%d-%d", w, i), URL: fmt.Sprintf("https://news.example/w%d/%d", w, i)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	owner := func(resource string) string {
		w, _, _ := strings.Cut(strings.TrimPrefix(resource, "articles/"), "-")
		return "reviewers/" + w
	}
	changes := allChanges(t, s, 0)
	if len(changes) != writers*each {
		t.Fatalf("%d changes, want %d", len(changes), writers*each)
	}
	for _, c := range changes {
		if c.Actor != owner(c.Resource) {
			t.Errorf("%s: actor %q, want %q", c.Resource, c.Actor, owner(c.Resource))
		}
	}
	entries := allAudit(t, s)
	if len(entries) != writers*each {
		t.Fatalf("%d audit entries, want %d", len(entries), writers*each)
	}
	for _, e := range entries {
		if want := owner(e.Resource); e.Actor != want || e.RequestID != "req-"+want {
			t.Errorf("audit entry %d of %s: actor %q, request %q; want %q", e.Sequence, e.Resource, e.Actor, e.RequestID, want)
		}
	}
}

// allAudit reads the whole log oldest first, checking that it is a chain:
// sequences from 1 without gaps, each PrevHash the Hash before it, each Hash
// AuditHash of the entry.
func allAudit(t *testing.T, s store.Store) []*store.AuditEntry {
	t.Helper()
	var out []*store.AuditEntry
	tok := ""
	prev := make([]byte, sha256.Size)
	for {
		es, next, err := s.ListAuditEntries(ctx, store.ListQuery{PageSize: 7, PageToken: tok})
		check(t, err)
		for _, e := range es {
			if e.Sequence != int64(len(out))+1 {
				t.Fatalf("audit entry %d follows %d", e.Sequence, len(out))
			}
			if !bytes.Equal(e.PrevHash, prev) {
				t.Fatalf("audit entry %d: PrevHash %x, want the previous Hash %x", e.Sequence, e.PrevHash, prev)
			}
			if h := store.AuditHash(e.PrevHash, e); !bytes.Equal(h, e.Hash) {
				t.Fatalf("audit entry %d: Hash %x, want AuditHash %x", e.Sequence, e.Hash, h)
			}
			if e.Name() != store.AuditEntryName(e.Sequence) || e.Time.IsZero() || e.Time.Location() != time.UTC {
				t.Fatalf("audit entry %d: name %q, time %v", e.Sequence, e.Name(), e.Time)
			}
			prev = e.Hash
			out = append(out, e)
		}
		if next == "" {
			return out
		}
		tok = next
	}
}

func auditLines(es []*store.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%d %s %s %s %v", e.Sequence, e.Actor, e.Method, e.Resource, e.FieldPaths)
	}
	return out
}

func wantVerified(t *testing.T, s store.Store, n int) {
	t.Helper()
	v, err := s.VerifyAuditLog(ctx)
	check(t, err)
	if v.FirstBroken != 0 || v.Problem != "" || v.Checked != int64(n) {
		t.Fatalf("VerifyAuditLog of an honest log of %d entries: %+v", n, v)
	}
	es := allAudit(t, s)
	switch {
	case n == 0 && v.HeadHash != nil:
		t.Errorf("HeadHash of an empty log = %x, want nil", v.HeadHash)
	case n > 0 && !bytes.Equal(v.HeadHash, es[n-1].Hash):
		t.Errorf("HeadHash %x, want the last entry's %x", v.HeadHash, es[n-1].Hash)
	}
}

// testAuditPerChange makes writes of every kind and checks that the log
// has one entry per change, in the same order, with its resource, time
// and field paths and the write's WriteInfo.
func testAuditPerChange(t *testing.T, s store.Store) {
	wantVerified(t, s, 0)
	ed := func(method, note string) context.Context { return as("reviewers/ed", method, note) }
	art, err := s.CreateArticle(ed("CreateArticle", ""), func() *store.Article { a := newArticle(1); a.Text = claimText; return a }())
	check(t, err)
	src, err := s.CreateSource(ed("CreateSource", ""), newSource(1))
	check(t, err)
	a := newAnnotation(art.ID, 3)
	a.Citations = []store.Citation{{SourceID: src.ID}}
	ann, err := s.CreateAnnotation(ed("CreateAnnotation", ""), a)
	check(t, err)
	_, err = s.UpdateAnnotation(ed("UpdateAnnotation", "typo"), art.ID, ann.ID, "", func(a *store.Annotation) error {
		a.Claim.Text, a.Verdict.Rating = "fixed", store.RatingTrue
		return nil
	})
	check(t, err)
	_, err = s.UpdateSource(ed("UpdateSource", ""), src.ID, "", func(s *store.Source) error { s.Title = "New"; return nil })
	check(t, err)
	_, err = s.UpdateArticle(ed("UpdateArticle", "correction"), art.ID, "", func(a *store.Article) error {
		a.Text = "Intro. " + a.Text
		a.Title = "Retitled"
		return nil
	})
	check(t, err)
	_, err = s.CreateAnnotations(ed("BatchCreate", ""), []*store.Annotation{newAnnotation(art.ID, 4), newAnnotation(art.ID, 5)})
	check(t, err)
	_, err = s.RollbackAnnotation(ed("Rollback", ""), art.ID, ann.ID, 1, "")
	check(t, err)
	check(t, s.DeleteAnnotation(ed("DeleteAnnotation", ""), art.ID, ann.ID, ""))
	_, err = s.UndeleteAnnotation(ed("UndeleteAnnotation", ""), art.ID, ann.ID, "")
	check(t, err)
	_, err = s.Import(ed("Import", ""), []store.ImportRecord{{Source: newSource(2)}, {Article: newArticle(2)}}, store.ImportOptions{})
	check(t, err)
	check(t, s.DeleteArticle(ed("DeleteArticle", ""), art.ID, "", true))
	_, err = s.Purge(as("system/purge", "", ""), farFuture)
	check(t, err)

	changes := allChanges(t, s, 0)
	entries := allAudit(t, s)
	if len(entries) != len(changes) {
		t.Fatalf("%d changes but %d audit entries:\n%s\n%s", len(changes), len(entries), strings.Join(changeLines(changes), "\n"), strings.Join(auditLines(entries), "\n"))
	}
	methodOf := map[string]string{}
	for i, c := range changes {
		e := entries[i]
		if e.Resource != c.Resource || !e.Time.Equal(c.Time) || !slices.Equal(e.FieldPaths, c.FieldPaths) || e.Actor != c.Actor {
			t.Errorf("entry %d is %s at %v %v by %s; change %d is %s at %v %v by %s", e.Sequence, e.Resource, e.Time, e.FieldPaths, e.Actor,
				c.Sequence, c.Resource, c.Time, c.FieldPaths, c.Actor)
		}
		if e.RequestID != "req-"+e.Actor {
			t.Errorf("entry %d: RequestID %q", e.Sequence, e.RequestID)
		}
		methodOf[fmt.Sprint(c.Type, " ", c.Resource)] += e.Method + "|" + e.Note + ";"
	}
	// Spot checks of who did what, and why.
	for key, want := range map[string]string{
		"TYPE_UPDATED " + ann.Name():                             "UpdateAnnotation|typo;Rollback|;",
		"TYPE_UPDATED " + art.Name():                             "UpdateArticle|correction;",
		"TYPE_PURGED " + art.Name():                              "|;",
		"TYPE_REANCHORED " + ann.Name():                          "UpdateArticle|correction;",
		"TYPE_CREATED " + store.SourceName(src.ID):               "CreateSource|;",
		"TYPE_UNDELETED " + store.AnnotationName(art.ID, ann.ID): "UndeleteAnnotation|;",
	} {
		if got := methodOf[key]; got != want {
			t.Errorf("%s: method|note %q, want %q", key, got, want)
		}
	}
	wantVerified(t, s, len(entries))
}

func testAuditAccessWrites(t *testing.T, s store.Store) {
	adm := as("reviewers/root", "/factcheck.v1.ReviewerService/CreateReviewer", "")
	r, err := s.CreateReviewer(adm, &store.Reviewer{ID: "alice", DisplayName: "Alice", Role: store.RoleEditor, Email: "a@news.example"})
	check(t, err)
	_, err = s.UpdateReviewer(as("reviewers/root", "/factcheck.v1.ReviewerService/UpdateReviewer", "promoted"), r.ID, "",
		func(r *store.Reviewer) error { r.Role = store.RoleAdmin; return nil })
	check(t, err)
	tk, err := s.CreateToken(adm, &store.Token{ReviewerID: r.ID, DisplayName: "laptop", SecretHash: secretHash("x")})
	check(t, err)
	_, err = s.RevokeToken(adm, r.ID, tk.ID)
	check(t, err)
	es := allAudit(t, s)
	got := make([]string, len(es))
	for i, e := range es {
		got[i] = fmt.Sprintf("%s %v %s %q", e.Resource, e.FieldPaths, e.Actor, e.Note)
	}
	want := []string{
		`reviewers/alice [display_name email role] reviewers/root ""`,
		`reviewers/alice [role] reviewers/root "promoted"`,
		fmt.Sprintf(`%s [display_name] reviewers/root ""`, tk.Name()),
		fmt.Sprintf(`%s [revoke_time] reviewers/root ""`, tk.Name()),
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit entries of access writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Access writes record no changes: the feed is about content.
	if c := allChanges(t, s, 0); len(c) != 0 {
		t.Errorf("access writes recorded changes %v", changeLines(c))
	}
	hash := fmt.Sprintf("%x", secretHash("x"))
	for _, e := range es {
		if strings.Contains(fmt.Sprint(*e), hash) || slices.Contains(e.FieldPaths, "secret_hash") {
			t.Errorf("entry %d mentions the token's secret hash: %+v", e.Sequence, e)
		}
	}
	wantVerified(t, s, 4)
}

// errRolledBack stands for the failure of an import that rolls back by
// design.
var errRolledBack = errors.New("rolled back")

// testAuditFailedWrites: a write that fails, partly or wholly, or a dry
// run, appends nothing.
func testAuditFailedWrites(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("art")
	h.createReviewer(&store.Reviewer{ID: "alice", Email: "a@news.example"})
	n := len(allAudit(t, s))
	fails := []struct {
		name string
		fn   func() error
	}{
		{"duplicate article", func() error { _, err := s.CreateArticle(ctx, &store.Article{ID: "art"}); return err }},
		{"stale etag", func() error {
			_, err := s.UpdateArticle(ctx, "art", "stale", func(*store.Article) error { return nil })
			return err
		}},
		{"batch failing at its second item", func() error {
			_, err := s.CreateAnnotations(ctx, []*store.Annotation{newAnnotation(art.ID, 1), {ArticleID: art.ID, Anchor: store.Anchor{Exact: "not in the text"}}})
			return err
		}},
		{"duplicate email", func() error {
			_, err := s.CreateReviewer(ctx, &store.Reviewer{Email: "a@news.example"})
			return err
		}},
		{"token of a missing reviewer", func() error {
			_, err := s.CreateToken(ctx, &store.Token{ReviewerID: "nobody", SecretHash: secretHash("s")})
			return err
		}},
		{"all-or-nothing import", func() error {
			res, err := s.Import(ctx, []store.ImportRecord{{Article: newArticle(5)}, {Source: newSource(5)}, {Annotation: &store.AnnotationImport{
				Annotation: &store.Annotation{ArticleID: "missing"}}}}, store.ImportOptions{AllOrNothing: true})
			if err != nil || res[0].Outcome != store.OutcomeRolledBack || res[1].Outcome != store.OutcomeRolledBack {
				t.Errorf("all-or-nothing import: %+v, %v; want the first two rolled back", res, err)
			}
			return errRolledBack
		}},
		{"dry-run import", func() error {
			res, err := s.Import(ctx, []store.ImportRecord{{Article: newArticle(6)}}, store.ImportOptions{DryRun: true})
			if err != nil || res[0].Outcome != store.OutcomeCreated {
				t.Errorf("dry-run import: %+v, %v", res, err)
			}
			return errRolledBack
		}},
	}
	for _, f := range fails {
		if err := f.fn(); err == nil {
			t.Errorf("%s succeeded", f.name)
		}
		if got := len(allAudit(t, s)); got != n {
			t.Errorf("%s: the log grew from %d to %d entries", f.name, n, got)
			n = got
		}
	}
	wantVerified(t, s, n)
}

func testAuditList(t *testing.T, s store.Store) {
	var times []time.Time
	for i := range 6 {
		actor := "reviewers/odd"
		if i%2 == 0 {
			actor = "reviewers/even"
		}
		a, err := s.CreateArticle(as(actor, "/factcheck.v1.ArticleService/CreateArticle", ""), &store.Article{ID: fmt.Sprintf("a%d", i)})
		check(t, err)
		times = append(times, a.CreateTime)
	}
	seqs := func(f string, desc bool, size int) []int64 {
		t.Helper()
		var out []int64
		tok := ""
		for {
			es, next, err := s.ListAuditEntries(ctx, store.ListQuery{Filter: parse(t, f, store.AuditFilterSchema),
				OrderBy: store.OrderBy{Desc: desc}, PageSize: size, PageToken: tok})
			check(t, err)
			if next != "" && len(es) != size {
				t.Fatalf("filter %q: a page of %d with a next token", f, len(es))
			}
			for _, e := range es {
				out = append(out, e.Sequence)
			}
			if next == "" {
				return out
			}
			tok = next
		}
	}
	for _, tc := range []struct {
		filter string
		desc   bool
		want   []int64
	}{
		{"", false, []int64{1, 2, 3, 4, 5, 6}},
		{"", true, []int64{6, 5, 4, 3, 2, 1}},
		{`actor = "reviewers/even"`, false, []int64{1, 3, 5}},
		{`actor = "reviewers/odd"`, true, []int64{6, 4, 2}},
		{`resource = "articles/a3"`, false, []int64{4}},
		{`method = "/factcheck.v1.ArticleService/CreateArticle" AND request_id = "req-reviewers/odd"`, false, []int64{2, 4, 6}},
		{`create_time >= ` + rfc3339(times[4]), false, []int64{5, 6}},
		{`create_time < ` + rfc3339(times[2]) + ` AND actor = "reviewers/odd"`, false, []int64{2}},
		{`actor = "nobody"`, false, nil},
	} {
		for _, size := range []int{1, 2, 10} {
			if got := seqs(tc.filter, tc.desc, size); !slices.Equal(got, tc.want) {
				t.Errorf("filter %q desc=%v size %d: %v, want %v", tc.filter, tc.desc, size, got, tc.want)
			}
		}
	}
	_, _, err := s.ListAuditEntries(ctx, store.ListQuery{PageSize: 2, PageToken: "garbage"})
	wantErr(t, err, store.ErrInvalidArgument, "INVALID_PAGE_TOKEN")
	// A token of one direction does not serve the other.
	_, next, err := s.ListAuditEntries(ctx, store.ListQuery{PageSize: 2})
	check(t, err)
	_, _, err = s.ListAuditEntries(ctx, store.ListQuery{PageSize: 2, PageToken: next, OrderBy: store.OrderBy{Desc: true}})
	wantErr(t, err, store.ErrInvalidArgument, "INVALID_PAGE_TOKEN")
	wantVerified(t, s, 6)
}
