package server

import (
	"context"
	"net/mail"
	"time"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// Limits of ReviewerService fields.
const (
	maxDisplayNameChars = 200
	// maxEmailBytes is RFC 5321's limit on a forward path.
	maxEmailBytes = 254
)

// Reasons of ReviewerService errors.
const (
	reasonInvalidEmail      = "INVALID_EMAIL"
	reasonInvalidDuration   = "INVALID_DURATION"
	reasonConflictingFields = "CONFLICTING_FIELDS"
	reasonSelfLockout       = "SELF_LOCKOUT"
)

type reviewerService struct {
	factcheckv1.UnimplementedReviewerServiceServer
	st store.Access
	// auth's cache is emptied after every write here: the server owns the
	// database file, so these writes are the only ones that change what a
	// token may do.
	auth *authenticator
}

var _ factcheckv1.ReviewerServiceServer = (*reviewerService)(nil)

// --- validation ---

// reviewerName parses `reviewers/{reviewer}`.
func (v *validator) reviewerName(field, name string) string {
	if !v.required(field, name, "name the reviewer as `reviewers/{reviewer}`") {
		return ""
	}
	id, ok := parseName(name, "reviewers")
	if !ok {
		v.add(field, reasonInvalidName, "%q is not a reviewer name; write `reviewers/{reviewer}`, e.g. \"reviewers/ana\"", name)
	}
	return id
}

// tokenName parses `reviewers/{reviewer}/tokens/{token}`.
func (v *validator) tokenName(field, name string) (reviewerID, id string) {
	if !v.required(field, name, "name the token as `reviewers/{reviewer}/tokens/{token}`") {
		return "", ""
	}
	reviewerID, id, ok := parseChildName(name, "reviewers", "tokens")
	if !ok {
		v.add(field, reasonInvalidName, "%q is not a token name; write `reviewers/{reviewer}/tokens/{token}` as ListTokens returns it", name)
	}
	return reviewerID, id
}

// email checks an optional email address: a bare address, as net/mail reads
// one, without a display name around it.
func (v *validator) email(field, s string) {
	if s == "" {
		return
	}
	if len(s) > maxEmailBytes {
		v.add(field, reasonFieldTooLong, "is %d bytes long; email addresses are limited to %d bytes", len(s), maxEmailBytes)
		return
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		v.add(field, reasonInvalidEmail, "%q is not a bare email address; write it as \"ana@example.com\", without a name or angle brackets", s)
	}
}

// role checks a role that must be given.
func (v *validator) role(field string, r factcheckv1.Reviewer_Role) {
	if r == factcheckv1.Reviewer_ROLE_UNSPECIFIED {
		v.add(field, reasonFieldRequired, "is required: give one of ROLE_VIEWER, ROLE_REVIEWER, ROLE_EDITOR, ROLE_ADMIN")
		return
	}
	v.enum(field, r.Number(), r.Descriptor())
}

// reviewer checks the input fields of a reviewer that c covers.
func (v *validator) reviewer(p string, r *factcheckv1.Reviewer, c covered) {
	if c("display_name") {
		v.text(p+".display_name", r.GetDisplayName(), maxDisplayNameChars)
	}
	if c("email") {
		v.email(p+".email", r.GetEmail())
	}
	if c("role") {
		v.role(p+".role", r.GetRole())
	}
}

var reviewerMask = &maskSpec[*factcheckv1.Reviewer, *store.Reviewer]{
	mutable: map[string]func(*factcheckv1.Reviewer, *store.Reviewer){
		"display_name": func(m *factcheckv1.Reviewer, d *store.Reviewer) { d.DisplayName = m.GetDisplayName() },
		"email":        func(m *factcheckv1.Reviewer, d *store.Reviewer) { d.Email = m.GetEmail() },
		"role":         func(m *factcheckv1.Reviewer, d *store.Reviewer) { d.Role = store.Role(m.GetRole()) },
		"disabled":     func(m *factcheckv1.Reviewer, d *store.Reviewer) { d.Disabled = m.GetDisabled() },
	},
	star:       []string{"display_name", "email", "role", "disabled"},
	outputOnly: []string{"name", "create_time", "update_time", "etag"},
	populated: func(m *factcheckv1.Reviewer) []string {
		var ps []string
		add := func(set bool, p string) {
			if set {
				ps = append(ps, p)
			}
		}
		add(m.GetDisplayName() != "", "display_name")
		add(m.GetEmail() != "", "email")
		add(m.GetRole() != 0, "role")
		// Enabling again (false) needs the mask: an unset bool reads as
		// false too.
		add(m.GetDisabled(), "disabled")
		return ps
	},
}

// selfLockout refuses a change that would leave the calling admin unable
// to undo it: the server must always keep an enabled admin, and the one
// acting is the one sure to exist.
func selfLockout(c *caller, id, what string) error {
	return &store.Error{
		Kind:     store.ErrFailedPrecondition,
		Reason:   reasonSelfLockout,
		Resource: store.ReviewerName(id),
		Message:  "an admin may not " + what + " itself: the server would risk having no admin left to undo it; ask another admin to do it",
		Preconditions: []store.Precondition{{
			Type: reasonSelfLockout, Subject: store.ReviewerName(id),
			Description: "the caller, " + c.name() + ", is the reviewer being changed",
		}},
	}
}

// --- conversions ---

func reviewerToProto(r *store.Reviewer) *factcheckv1.Reviewer {
	return &factcheckv1.Reviewer{
		Name:        r.Name(),
		DisplayName: r.DisplayName,
		Email:       r.Email,
		Role:        factcheckv1.Reviewer_Role(r.Role),
		Disabled:    r.Disabled,
		CreateTime:  timeToProto(r.CreateTime),
		UpdateTime:  timeToProto(r.UpdateTime),
		Etag:        r.Etag,
	}
}

// tokenToProto never copies the secret's hash: it is not the secret, but
// nobody needs it, and one less copy is one less leak.
func tokenToProto(t *store.Token) *factcheckv1.Token {
	return &factcheckv1.Token{
		Name:        t.Name(),
		DisplayName: t.DisplayName,
		CreateTime:  timeToProto(t.CreateTime),
		ExpireTime:  timeToProto(t.ExpireTime),
		RevokeTime:  timeToProto(t.RevokeTime),
	}
}

// --- RPCs ---

func (s *reviewerService) CreateReviewer(ctx context.Context, req *factcheckv1.CreateReviewerRequest) (*factcheckv1.CreateReviewerResponse, error) {
	var v validator
	v.id("reviewer_id", req.GetReviewerId())
	msg := req.GetReviewer()
	if msg == nil {
		v.add("reviewer", reasonFieldRequired, "is required: send the reviewer to create, with at least its role")
	} else {
		v.reviewer("reviewer", msg, all)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	r := &store.Reviewer{
		ID:          req.GetReviewerId(),
		DisplayName: msg.GetDisplayName(),
		Email:       msg.GetEmail(),
		Role:        store.Role(msg.GetRole()),
		Disabled:    msg.GetDisabled(),
	}
	out, err := s.st.CreateReviewer(ctx, r)
	s.auth.invalidate()
	if err != nil {
		return nil, inField("reviewer", err)
	}
	return &factcheckv1.CreateReviewerResponse{Reviewer: reviewerToProto(out)}, nil
}

func (s *reviewerService) GetReviewer(ctx context.Context, req *factcheckv1.GetReviewerRequest) (*factcheckv1.GetReviewerResponse, error) {
	var v validator
	id := v.reviewerName("name", req.GetName())
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := s.st.GetReviewer(ctx, id)
	if err != nil {
		return nil, err
	}
	return &factcheckv1.GetReviewerResponse{Reviewer: reviewerToProto(r)}, nil
}

func (s *reviewerService) ListReviewers(ctx context.Context, req *factcheckv1.ListReviewersRequest) (*factcheckv1.ListReviewersResponse, error) {
	var v validator
	size := v.pageSize("page_size", req.GetPageSize())
	expr := v.filter("filter", req.GetFilter(), store.ReviewerFilterSchema,
		"`role = ROLE_EDITOR AND disabled = false`")
	fp := pageQuery{method: "ListReviewers", filter: req.GetFilter()}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	rs, next, err := s.st.ListReviewers(ctx, store.ListQuery{Filter: expr, PageSize: size, PageToken: token})
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListReviewersResponse{NextPageToken: encodePageToken(fp, next)}
	for _, r := range rs {
		resp.Reviewers = append(resp.Reviewers, reviewerToProto(r))
	}
	return resp, nil
}

func (s *reviewerService) UpdateReviewer(ctx context.Context, req *factcheckv1.UpdateReviewerRequest) (*factcheckv1.UpdateReviewerResponse, error) {
	var v validator
	msg := req.GetReviewer()
	if msg == nil {
		v.add("reviewer", reasonFieldRequired, "is required: send the reviewer with its name and the fields to change")
		return nil, v.err()
	}
	id := v.reviewerName("reviewer.name", msg.GetName())
	v.etag("reviewer.etag", msg.GetEtag())
	paths := reviewerMask.resolve(&v, req.GetUpdateMask(), msg)
	c := coveredBy(paths)
	v.reviewer("reviewer", msg, c)
	if err := v.err(); err != nil {
		return nil, err
	}
	if me := callerFrom(ctx); me != nil && me.reviewer.ID == id {
		switch {
		case c("role") && store.Role(msg.GetRole()) < store.RoleAdmin:
			return nil, selfLockout(me, id, "demote")
		case c("disabled") && msg.GetDisabled():
			return nil, selfLockout(me, id, "disable")
		}
	}
	out, err := s.st.UpdateReviewer(ctx, id, msg.GetEtag(), func(r *store.Reviewer) error {
		reviewerMask.apply(paths, msg, r)
		return nil
	})
	s.auth.invalidate()
	if err != nil {
		return nil, inField("reviewer", err)
	}
	return &factcheckv1.UpdateReviewerResponse{Reviewer: reviewerToProto(out)}, nil
}

func (s *reviewerService) DisableReviewer(ctx context.Context, req *factcheckv1.DisableReviewerRequest) (*factcheckv1.DisableReviewerResponse, error) {
	var v validator
	id := v.reviewerName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	if me := callerFrom(ctx); me != nil && me.reviewer.ID == id {
		return nil, selfLockout(me, id, "disable")
	}
	out, err := s.st.UpdateReviewer(ctx, id, req.GetEtag(), func(r *store.Reviewer) error {
		r.Disabled = true
		return nil
	})
	s.auth.invalidate()
	if err != nil {
		return nil, err
	}
	return &factcheckv1.DisableReviewerResponse{Reviewer: reviewerToProto(out)}, nil
}

func (s *reviewerService) GetCurrentReviewer(ctx context.Context, _ *factcheckv1.GetCurrentReviewerRequest) (*factcheckv1.GetCurrentReviewerResponse, error) {
	c := callerFrom(ctx)
	if c == nil {
		// The auth stage lets no call through without a caller; this is a
		// bug if it is ever seen.
		return nil, unauthenticated(reasonTokenMissing, "the call carries no caller", nil)
	}
	return &factcheckv1.GetCurrentReviewerResponse{
		Reviewer: reviewerToProto(c.reviewer),
		Token:    tokenToProto(c.token),
	}, nil
}

func (s *reviewerService) CreateToken(ctx context.Context, req *factcheckv1.CreateTokenRequest) (*factcheckv1.CreateTokenResponse, error) {
	var v validator
	reviewerID := v.reviewerName("parent", req.GetParent())
	tok := req.GetToken()
	v.text("token.display_name", tok.GetDisplayName(), maxDisplayNameChars)
	now := s.auth.now()
	var expire time.Time
	switch ttl, at := req.GetTtl(), tok.GetExpireTime(); {
	case ttl != nil && at != nil:
		v.add("ttl", reasonConflictingFields, "and token.expire_time are both set; give how long the token works (ttl) or when it stops (token.expire_time), not both")
	case ttl != nil:
		if err := ttl.CheckValid(); err != nil {
			v.add("ttl", reasonInvalidDuration, "is not a valid duration (%v)", err)
		} else if d := ttl.AsDuration(); d <= 0 {
			v.add("ttl", reasonInvalidDuration, "is %s; give a positive duration, e.g. \"2592000s\" for 30 days, or leave it unset for a token that does not expire", d)
		} else {
			expire = now.Add(d)
		}
	case at != nil:
		v.timestamp("token.expire_time", at)
		if at.CheckValid() == nil {
			if expire = at.AsTime(); !expire.After(now) {
				v.add("token.expire_time", reasonInvalidTimestamp, "is %s, which has passed; give a time in the future, or leave it unset for a token that does not expire", expire.UTC().Format(time.RFC3339))
			}
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	secret, err := NewTokenSecret()
	if err != nil {
		return nil, err
	}
	out, err := s.st.CreateToken(ctx, &store.Token{
		ReviewerID:  reviewerID,
		DisplayName: tok.GetDisplayName(),
		SecretHash:  HashSecret(secret),
		ExpireTime:  expire,
	})
	s.auth.invalidate()
	if err != nil {
		return nil, inField("token", err)
	}
	return &factcheckv1.CreateTokenResponse{Token: tokenToProto(out), Secret: secret}, nil
}

func (s *reviewerService) ListTokens(ctx context.Context, req *factcheckv1.ListTokensRequest) (*factcheckv1.ListTokensResponse, error) {
	var v validator
	reviewerID := v.reviewerName("parent", req.GetParent())
	size := v.pageSize("page_size", req.GetPageSize())
	fp := pageQuery{method: "ListTokens", parent: req.GetParent()}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	toks, next, err := s.st.ListTokens(ctx, reviewerID, store.ListQuery{PageSize: size, PageToken: token})
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListTokensResponse{NextPageToken: encodePageToken(fp, next)}
	for _, t := range toks {
		resp.Tokens = append(resp.Tokens, tokenToProto(t))
	}
	return resp, nil
}

func (s *reviewerService) RevokeToken(ctx context.Context, req *factcheckv1.RevokeTokenRequest) (*factcheckv1.RevokeTokenResponse, error) {
	var v validator
	reviewerID, id := v.tokenName("name", req.GetName())
	if err := v.err(); err != nil {
		return nil, err
	}
	out, err := s.st.RevokeToken(ctx, reviewerID, id)
	s.auth.invalidate()
	if err != nil {
		return nil, err
	}
	return &factcheckv1.RevokeTokenResponse{Token: tokenToProto(out)}, nil
}
