package server_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

func TestCreateReviewer(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	resp, err := e.reviewers.CreateReviewer(ctx, &factcheckv1.CreateReviewerRequest{
		ReviewerId: "rana",
		Reviewer: &factcheckv1.Reviewer{
			DisplayName: "Rana Haddad", Email: "rana@newsroom.example", Role: factcheckv1.Reviewer_ROLE_REVIEWER,
			// Output-only fields are ignored.
			Name: "reviewers/someone-else", Etag: "made-up",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetReviewer()
	if r.GetName() != "reviewers/rana" || r.GetDisplayName() != "Rana Haddad" || r.GetEmail() != "rana@newsroom.example" ||
		r.GetRole() != factcheckv1.Reviewer_ROLE_REVIEWER || r.GetDisabled() || r.GetEtag() == "" || r.GetEtag() == "made-up" ||
		r.GetCreateTime() == nil || r.GetUpdateTime() == nil {
		t.Errorf("created %v", r)
	}
	got, err := e.reviewers.GetReviewer(ctx, &factcheckv1.GetReviewerRequest{Name: "reviewers/rana"})
	if err != nil || got.GetReviewer().GetEtag() != r.GetEtag() {
		t.Errorf("GetReviewer: %v %v", got, err)
	}

	// Without an ID the server makes one.
	gen, err := e.reviewers.CreateReviewer(ctx, &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Role: factcheckv1.Reviewer_ROLE_VIEWER}})
	if err != nil {
		t.Fatal(err)
	}
	if name := gen.GetReviewer().GetName(); !strings.HasPrefix(name, "reviewers/") || len(name) <= len("reviewers/") {
		t.Errorf("generated name %q", name)
	}

	for _, tc := range []struct {
		name string
		req  *factcheckv1.CreateReviewerRequest
		want wantErr
	}{
		{"no reviewer", &factcheckv1.CreateReviewerRequest{ReviewerId: "x"},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"reviewer"}}},
		{"no role", &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{DisplayName: "X"}},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"reviewer.role"}, says: []string{"ROLE_EDITOR"}}},
		{"unknown role", &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Role: 42}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_ENUM_VALUE", fields: []string{"reviewer.role"}}},
		{"bad id", &factcheckv1.CreateReviewerRequest{ReviewerId: "Rana!", Reviewer: &factcheckv1.Reviewer{Role: 1}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_ID", fields: []string{"reviewer_id"}}},
		{"email with a name", &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Role: 1, Email: "Rana <rana@newsroom.example>"}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_EMAIL", fields: []string{"reviewer.email"}}},
		{"not an email", &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Role: 1, Email: "rana"}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_EMAIL", fields: []string{"reviewer.email"}}},
		{"long email", &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Role: 1, Email: strings.Repeat("a", 250) + "@b.example"}},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_TOO_LONG", fields: []string{"reviewer.email"}}},
		{"long display name", &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Role: 1, DisplayName: strings.Repeat("ن", 201)}},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_TOO_LONG", fields: []string{"reviewer.display_name"}, says: []string{"201 characters"}}},
		{"several", &factcheckv1.CreateReviewerRequest{ReviewerId: "-", Reviewer: &factcheckv1.Reviewer{Email: "@"}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_FIELDS", fields: []string{"reviewer_id", "reviewer.email", "reviewer.role"}}},
		{"taken id", &factcheckv1.CreateReviewerRequest{ReviewerId: "rana", Reviewer: &factcheckv1.Reviewer{Role: 1}},
			wantErr{code: codes.AlreadyExists, reason: "REVIEWER_ALREADY_EXISTS"}},
		{"taken email", &factcheckv1.CreateReviewerRequest{ReviewerId: "rana2", Reviewer: &factcheckv1.Reviewer{Role: 1, Email: "rana@newsroom.example"}},
			wantErr{code: codes.AlreadyExists, reason: "EMAIL_ALREADY_EXISTS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reviewers.CreateReviewer(ctxT(t), tc.req)
			checkErr(t, err, tc.want)
		})
	}

	for _, tc := range []struct {
		name string
		want wantErr
	}{
		{"", wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"name"}}},
		{"rana", wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"name"}}},
		{"reviewers/nobody", wantErr{code: codes.NotFound, reason: "REVIEWER_NOT_FOUND", resource: "reviewers/nobody"}},
	} {
		_, err := e.reviewers.GetReviewer(ctx, &factcheckv1.GetReviewerRequest{Name: tc.name})
		checkErr(t, err, tc.want)
	}
}

func TestListReviewers(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	for _, r := range []struct {
		id   string
		role factcheckv1.Reviewer_Role
	}{{"b-editor", factcheckv1.Reviewer_ROLE_EDITOR}, {"c-viewer", factcheckv1.Reviewer_ROLE_VIEWER}, {"d-editor", factcheckv1.Reviewer_ROLE_EDITOR}, {"e-reviewer", factcheckv1.Reviewer_ROLE_REVIEWER}} {
		if _, err := e.reviewers.CreateReviewer(ctx, &factcheckv1.CreateReviewerRequest{ReviewerId: r.id, Reviewer: &factcheckv1.Reviewer{Role: r.role}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.reviewers.DisableReviewer(ctx, &factcheckv1.DisableReviewerRequest{Name: "reviewers/d-editor"}); err != nil {
		t.Fatal(err)
	}
	list := func(filter string, size int32) []string {
		t.Helper()
		var names []string
		token := ""
		for pages := 0; ; pages++ {
			resp, err := e.reviewers.ListReviewers(ctx, &factcheckv1.ListReviewersRequest{Filter: filter, PageSize: size, PageToken: token})
			if err != nil {
				t.Fatalf("ListReviewers(%q): %v", filter, err)
			}
			if len(resp.GetReviewers()) > int(size) || pages > 10 {
				t.Fatalf("page of %d for page_size %d", len(resp.GetReviewers()), size)
			}
			for _, r := range resp.GetReviewers() {
				names = append(names, strings.TrimPrefix(r.GetName(), "reviewers/"))
			}
			if token = resp.GetNextPageToken(); token == "" {
				return names
			}
		}
	}
	for _, tc := range []struct {
		filter string
		want   string
	}{
		{"", "admin b-editor c-viewer d-editor e-reviewer"},
		{"role = ROLE_EDITOR", "b-editor d-editor"},
		{"role = ROLE_EDITOR AND disabled = false", "b-editor"},
		{"disabled = true", "d-editor"},
		{"role = ROLE_ADMIN OR role = ROLE_EDITOR", "admin b-editor d-editor"},
	} {
		if got := strings.Join(list(tc.filter, 2), " "); got != tc.want {
			t.Errorf("ListReviewers(%q) = %s, want %s", tc.filter, got, tc.want)
		}
	}

	first, err := e.reviewers.ListReviewers(ctx, &factcheckv1.ListReviewersRequest{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  *factcheckv1.ListReviewersRequest
		want wantErr
	}{
		{"bad filter", &factcheckv1.ListReviewersRequest{Filter: "rank = 3"},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_FILTER", fields: []string{"filter"}}},
		{"negative size", &factcheckv1.ListReviewersRequest{PageSize: -1},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_PAGE_SIZE", fields: []string{"page_size"}}},
		{"other query", &factcheckv1.ListReviewersRequest{Filter: "disabled = true", PageToken: first.GetNextPageToken()},
			wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}}},
		{"edited token", &factcheckv1.ListReviewersRequest{PageToken: first.GetNextPageToken() + "x"},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_PAGE_TOKEN", fields: []string{"page_token"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reviewers.ListReviewers(ctxT(t), tc.req)
			checkErr(t, err, tc.want)
		})
	}
}

func TestUpdateReviewer(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	created, err := e.reviewers.CreateReviewer(ctx, &factcheckv1.CreateReviewerRequest{ReviewerId: "omar", Reviewer: &factcheckv1.Reviewer{
		DisplayName: "Omar", Email: "omar@newsroom.example", Role: factcheckv1.Reviewer_ROLE_EDITOR}})
	if err != nil {
		t.Fatal(err)
	}
	old := created.GetReviewer()

	// Without a mask, the fields set: the email is kept.
	resp, err := e.reviewers.UpdateReviewer(ctx, &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{
		Name: "reviewers/omar", DisplayName: "Omar Saleh", Etag: old.GetEtag()}})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.GetReviewer(); r.GetDisplayName() != "Omar Saleh" || r.GetEmail() != "omar@newsroom.example" ||
		r.GetRole() != factcheckv1.Reviewer_ROLE_EDITOR || r.GetEtag() == old.GetEtag() {
		t.Errorf("after update: %v", r)
	}
	// With a mask, an empty email clears it.
	resp, err = e.reviewers.UpdateReviewer(ctx, &factcheckv1.UpdateReviewerRequest{
		Reviewer:   &factcheckv1.Reviewer{Name: "reviewers/omar", Role: factcheckv1.Reviewer_ROLE_ADMIN},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email", "role"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.GetReviewer(); r.GetEmail() != "" || r.GetRole() != factcheckv1.Reviewer_ROLE_ADMIN || r.GetDisplayName() != "Omar Saleh" {
		t.Errorf("after masked update: %v", r)
	}

	for _, tc := range []struct {
		name string
		req  *factcheckv1.UpdateReviewerRequest
		want wantErr
	}{
		{"no reviewer", &factcheckv1.UpdateReviewerRequest{},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"reviewer"}}},
		{"no name", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{DisplayName: "x"}},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"reviewer.name"}}},
		{"stale etag", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/omar", DisplayName: "x", Etag: old.GetEtag()}},
			wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH", precondition: "reviewers/omar"}},
		{"unknown path", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/omar"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"password"}}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_UPDATE_MASK", fields: []string{"update_mask.paths[0]"}, says: []string{"`role`"}}},
		{"output only", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/omar"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"create_time"}}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_UPDATE_MASK", says: []string{"output only"}}},
		{"role cleared", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/omar"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"role"}}},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"reviewer.role"}}},
		{"bad email", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/omar", Email: "omar at newsroom"}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_EMAIL", fields: []string{"reviewer.email"}}},
		{"missing", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/nobody", DisplayName: "x"}},
			wantErr{code: codes.NotFound, reason: "REVIEWER_NOT_FOUND"}},
		{"demote self", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/admin", Role: factcheckv1.Reviewer_ROLE_EDITOR}},
			wantErr{code: codes.FailedPrecondition, reason: "SELF_LOCKOUT", precondition: "reviewers/admin", says: []string{"demote"}}},
		{"disable self", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/admin", Disabled: true}},
			wantErr{code: codes.FailedPrecondition, reason: "SELF_LOCKOUT", says: []string{"disable"}}},
		{"disable self with star", &factcheckv1.UpdateReviewerRequest{Reviewer: &factcheckv1.Reviewer{Name: "reviewers/admin", Role: factcheckv1.Reviewer_ROLE_ADMIN, Disabled: true}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}},
			wantErr{code: codes.FailedPrecondition, reason: "SELF_LOCKOUT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reviewers.UpdateReviewer(ctxT(t), tc.req)
			checkErr(t, err, tc.want)
		})
	}

	// "*" with disabled false and the admin role is no lockout: it keeps
	// the admin an enabled admin.
	if _, err := e.reviewers.UpdateReviewer(ctx, &factcheckv1.UpdateReviewerRequest{
		Reviewer:   &factcheckv1.Reviewer{Name: "reviewers/admin", DisplayName: "Chief", Role: factcheckv1.Reviewer_ROLE_ADMIN},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
	}); err != nil {
		t.Errorf("admin updating itself: %v", err)
	}
	// Another admin may demote and disable this one.
	omar := e.with(t, "omar", e.newToken(t, "omar", store.Token{}))
	if _, err := omar.reviewers.UpdateReviewer(ctx, &factcheckv1.UpdateReviewerRequest{
		Reviewer: &factcheckv1.Reviewer{Name: "reviewers/admin", Role: factcheckv1.Reviewer_ROLE_EDITOR},
	}); err != nil {
		t.Errorf("another admin demoting: %v", err)
	}
	_, err = e.reviewers.ListReviewers(ctx, &factcheckv1.ListReviewersRequest{})
	checkErr(t, err, wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"permission": "reviewers.manage", "role": "ROLE_EDITOR"}})
	if _, err := omar.reviewers.DisableReviewer(ctx, &factcheckv1.DisableReviewerRequest{Name: "reviewers/admin"}); err != nil {
		t.Errorf("another admin disabling: %v", err)
	}
}

func TestDisableReviewer(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	rana := e.as(t, "rana", store.RoleReviewer)
	got, err := e.reviewers.GetReviewer(ctx, &factcheckv1.GetReviewerRequest{Name: "reviewers/rana"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  *factcheckv1.DisableReviewerRequest
		want wantErr
	}{
		{"self", &factcheckv1.DisableReviewerRequest{Name: "reviewers/admin"},
			wantErr{code: codes.FailedPrecondition, reason: "SELF_LOCKOUT", says: []string{"disable"}}},
		{"bad name", &factcheckv1.DisableReviewerRequest{Name: "reviewers/"},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"name"}}},
		{"missing", &factcheckv1.DisableReviewerRequest{Name: "reviewers/nobody"},
			wantErr{code: codes.NotFound, reason: "REVIEWER_NOT_FOUND"}},
		{"stale etag", &factcheckv1.DisableReviewerRequest{Name: "reviewers/rana", Etag: `"stale"`},
			wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reviewers.DisableReviewer(ctxT(t), tc.req)
			checkErr(t, err, tc.want)
		})
	}
	resp, err := e.reviewers.DisableReviewer(ctx, &factcheckv1.DisableReviewerRequest{Name: "reviewers/rana", Etag: got.GetReviewer().GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetReviewer().GetDisabled() {
		t.Errorf("DisableReviewer returned %v", resp.GetReviewer())
	}
	_, err = rana.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
	checkErr(t, err, wantErr{code: codes.Unauthenticated, reason: "REVIEWER_DISABLED"})
	// Kept, with the record.
	if _, err := e.reviewers.GetReviewer(ctx, &factcheckv1.GetReviewerRequest{Name: "reviewers/rana"}); err != nil {
		t.Error(err)
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	if _, err := e.reviewers.CreateReviewer(ctx, &factcheckv1.CreateReviewerRequest{ReviewerId: "rana", Reviewer: &factcheckv1.Reviewer{Role: factcheckv1.Reviewer_ROLE_REVIEWER}}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	made, err := e.reviewers.CreateToken(ctx, &factcheckv1.CreateTokenRequest{
		Parent: "reviewers/rana", Token: &factcheckv1.Token{DisplayName: "CMS plugin"}, Ttl: durationpb.New(30 * 24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	tok := made.GetToken()
	if !strings.HasPrefix(tok.GetName(), "reviewers/rana/tokens/") || tok.GetDisplayName() != "CMS plugin" || tok.GetCreateTime() == nil || tok.GetRevokeTime() != nil {
		t.Errorf("token %v", tok)
	}
	if exp := tok.GetExpireTime().AsTime(); exp.Before(before.Add(30*24*time.Hour).Truncate(time.Microsecond)) || exp.After(after.Add(30*24*time.Hour)) {
		t.Errorf("expire_time %v is not 30 days after the call", exp)
	}
	if !strings.HasPrefix(made.GetSecret(), "fct_") {
		t.Errorf("secret %q", made.GetSecret())
	}

	// The secret works, as rana, and names the token.
	rana := e.withSecret(t, made.GetSecret())
	me, err := rana.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if me.GetReviewer().GetName() != "reviewers/rana" || me.GetToken().GetName() != tok.GetName() || me.GetReviewer().GetRole() != factcheckv1.Reviewer_ROLE_REVIEWER {
		t.Errorf("GetCurrentReviewer = %v", me)
	}

	// More tokens: one that never expires, one with an expire_time.
	forever, err := e.reviewers.CreateToken(ctx, &factcheckv1.CreateTokenRequest{Parent: "reviewers/rana"})
	if err != nil {
		t.Fatal(err)
	}
	if forever.GetToken().GetExpireTime() != nil {
		t.Errorf("token without ttl expires: %v", forever.GetToken())
	}
	at := timestamppb.New(time.Now().Add(time.Hour).Truncate(time.Second))
	dated, err := e.reviewers.CreateToken(ctx, &factcheckv1.CreateTokenRequest{Parent: "reviewers/rana", Token: &factcheckv1.Token{ExpireTime: at}})
	if err != nil {
		t.Fatal(err)
	}
	if !dated.GetToken().GetExpireTime().AsTime().Equal(at.AsTime()) {
		t.Errorf("expire_time %v, want %v", dated.GetToken().GetExpireTime(), at)
	}

	for _, tc := range []struct {
		name string
		req  *factcheckv1.CreateTokenRequest
		want wantErr
	}{
		{"no parent", &factcheckv1.CreateTokenRequest{},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"parent"}}},
		{"missing reviewer", &factcheckv1.CreateTokenRequest{Parent: "reviewers/nobody"},
			wantErr{code: codes.NotFound, reason: "REVIEWER_NOT_FOUND"}},
		{"both", &factcheckv1.CreateTokenRequest{Parent: "reviewers/rana", Ttl: durationpb.New(time.Hour), Token: &factcheckv1.Token{ExpireTime: at}},
			wantErr{code: codes.InvalidArgument, reason: "CONFLICTING_FIELDS", fields: []string{"ttl"}}},
		{"negative ttl", &factcheckv1.CreateTokenRequest{Parent: "reviewers/rana", Ttl: durationpb.New(-time.Hour)},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_DURATION", fields: []string{"ttl"}}},
		{"past", &factcheckv1.CreateTokenRequest{Parent: "reviewers/rana", Token: &factcheckv1.Token{ExpireTime: timestamppb.New(time.Now().Add(-time.Minute))}},
			wantErr{code: codes.InvalidArgument, reason: "INVALID_TIMESTAMP", fields: []string{"token.expire_time"}, says: []string{"passed"}}},
		{"long name", &factcheckv1.CreateTokenRequest{Parent: "reviewers/rana", Token: &factcheckv1.Token{DisplayName: strings.Repeat("x", 201)}},
			wantErr{code: codes.InvalidArgument, reason: "FIELD_TOO_LONG", fields: []string{"token.display_name"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reviewers.CreateToken(ctxT(t), tc.req)
			checkErr(t, err, tc.want)
		})
	}

	// ListTokens pages through them oldest first.
	var names []string
	token := ""
	for {
		resp, err := e.reviewers.ListTokens(ctx, &factcheckv1.ListTokensRequest{Parent: "reviewers/rana", PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range resp.GetTokens() {
			names = append(names, tk.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if want := []string{tok.GetName(), forever.GetToken().GetName(), dated.GetToken().GetName()}; strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("ListTokens = %v, want %v", names, want)
	}

	// Revoke: the token stays listed, with revoke_time, and stops working.
	rev, err := e.reviewers.RevokeToken(ctx, &factcheckv1.RevokeTokenRequest{Name: tok.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if rev.GetToken().GetRevokeTime() == nil {
		t.Errorf("revoked token %v", rev.GetToken())
	}
	_, err = rana.reviewers.GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
	checkErr(t, err, wantErr{code: codes.Unauthenticated, reason: "TOKEN_REVOKED"})
	list, err := e.reviewers.ListTokens(ctx, &factcheckv1.ListTokensRequest{Parent: "reviewers/rana"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetTokens()) != 3 || list.GetTokens()[0].GetRevokeTime() == nil {
		t.Errorf("after revoking: %v", list.GetTokens())
	}

	for _, tc := range []struct {
		name, token string
		want        wantErr
	}{
		{"again", tok.GetName(), wantErr{code: codes.FailedPrecondition, reason: "TOKEN_REVOKED"}},
		{"missing", "reviewers/rana/tokens/nope", wantErr{code: codes.NotFound, reason: "TOKEN_NOT_FOUND"}},
		{"bad name", "tokens/nope", wantErr{code: codes.InvalidArgument, reason: "INVALID_NAME", fields: []string{"name"}}},
	} {
		t.Run("revoke "+tc.name, func(t *testing.T) {
			_, err := e.reviewers.RevokeToken(ctxT(t), &factcheckv1.RevokeTokenRequest{Name: tc.token})
			checkErr(t, err, tc.want)
		})
	}
	for _, tc := range []struct {
		name string
		req  *factcheckv1.ListTokensRequest
		want wantErr
	}{
		{"missing reviewer", &factcheckv1.ListTokensRequest{Parent: "reviewers/nobody"}, wantErr{code: codes.NotFound, reason: "REVIEWER_NOT_FOUND"}},
		{"other parent's token", &factcheckv1.ListTokensRequest{Parent: "reviewers/admin", PageToken: func() string {
			resp, err := e.reviewers.ListTokens(ctx, &factcheckv1.ListTokensRequest{Parent: "reviewers/rana", PageSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetNextPageToken()
		}()}, wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}}},
	} {
		t.Run("list "+tc.name, func(t *testing.T) {
			_, err := e.reviewers.ListTokens(ctxT(t), tc.req)
			checkErr(t, err, tc.want)
		})
	}
}

// TestGetCurrentReviewerEveryRole: "who am I" works for every role.
func TestGetCurrentReviewerEveryRole(t *testing.T) {
	e := newEnv(t)
	for _, role := range allRoles {
		id := "who-" + strings.ToLower(strings.TrimPrefix(role.String(), "ROLE_"))
		c := e.as(t, id, role)
		resp, err := c.reviewers.GetCurrentReviewer(ctxT(t), &factcheckv1.GetCurrentReviewerRequest{})
		if err != nil {
			t.Fatalf("%v: %v", role, err)
		}
		if resp.GetReviewer().GetName() != "reviewers/"+id || resp.GetReviewer().GetRole() != factcheckv1.Reviewer_Role(role) ||
			!strings.HasPrefix(resp.GetToken().GetName(), "reviewers/"+id+"/tokens/") {
			t.Errorf("%v: %v", role, resp)
		}
	}
}
