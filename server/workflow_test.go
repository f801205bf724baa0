package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// newsroom is a server with an article, a source and one reviewer of each
// role: alice and bob are reviewers, erin and ed editors, vic a viewer,
// and admin (the env's own connection) the bootstrapped admin.
type newsroom struct {
	*env
	as map[string]*env
	n  atomic.Int64
}

func newNewsroom(t *testing.T) *newsroom {
	t.Helper()
	e := newEnv(t)
	ctx := ctxT(t)
	if _, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{ArticleId: "shafaq-talks", Article: shafaqArticle(t)}); err != nil {
		t.Fatalf("CreateArticle: %v", err)
	}
	if _, err := e.sources.CreateSource(ctx, &factcheckv1.CreateSourceRequest{SourceId: "wapo-talks", Source: &factcheckv1.Source{
		Url: wapoURL, Title: "U.S. and Iraq discuss the future of American troops", Kind: factcheckv1.Source_KIND_NEWS_REPORT,
	}}); err != nil {
		t.Fatalf("CreateSource: %v", err)
	}
	n := &newsroom{env: e, as: map[string]*env{"admin": e}}
	for id, role := range map[string]store.Role{
		"alice": store.RoleReviewer, "bob": store.RoleReviewer,
		"erin": store.RoleEditor, "ed": store.RoleEditor,
		"vic": store.RoleViewer,
	} {
		n.as[id] = e.as(t, id, role)
	}
	return n
}

// spec describes an annotation for newsroom.make.
type spec struct {
	// author is the reviewer who creates it; "" makes one with no author
	// through the store, as written before authentication existed.
	author string
	state  factcheckv1.Annotation_State
	// incomplete leaves out the verdict and the citations publishing needs.
	incomplete bool
}

// make creates an annotation as s.author and takes it through the
// workflow to s.state as the admin (an editor who is not its author unless
// s.author is "admin", which then stops at STATE_IN_REVIEW).
func (n *newsroom) make(t *testing.T, s spec) *factcheckv1.Annotation {
	t.Helper()
	ctx := ctxT(t)
	id := fmt.Sprintf("ann-%d", n.n.Add(1))
	name := "articles/shafaq-talks/annotations/" + id
	msg := &factcheckv1.Annotation{
		Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: wapoQuote}},
		Claim:  &factcheckv1.Claim{Text: "Talks began before October 7, 2023."},
	}
	if !s.incomplete {
		msg.Verdict = &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_UNPROVEN, Rationale: "Only one report says so."}
		msg.Citations = []*factcheckv1.Citation{{Source: "sources/wapo-talks", Stance: factcheckv1.Stance_STANCE_SUPPORTS}}
	}
	if s.author == "" {
		a := &store.Annotation{ArticleID: "shafaq-talks", ID: id,
			Anchor: store.Anchor{Exact: wapoQuote}, Claim: store.Claim{Text: msg.GetClaim().GetText()}}
		if !s.incomplete {
			a.Verdict = store.Verdict{Rating: store.RatingUnproven, Rationale: "Only one report says so."}
			a.Citations = []store.Citation{{SourceID: "wapo-talks"}}
		}
		if _, err := n.st.CreateAnnotation(ctx, a); err != nil {
			t.Fatalf("store.CreateAnnotation: %v", err)
		}
	} else if _, err := n.as[s.author].annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
		Parent: "articles/shafaq-talks", AnnotationId: id, Annotation: msg,
	}); err != nil {
		t.Fatalf("CreateAnnotation as %s: %v", s.author, err)
	}
	admin := n.annotations
	steps := []func() error{
		func() error {
			_, err := admin.SubmitAnnotation(ctx, &factcheckv1.SubmitAnnotationRequest{Name: name})
			return err
		},
		func() error {
			_, err := admin.PublishAnnotation(ctx, &factcheckv1.PublishAnnotationRequest{Name: name})
			return err
		},
		func() error {
			_, err := admin.RetractAnnotation(ctx, &factcheckv1.RetractAnnotationRequest{Name: name, Reason: "The report was withdrawn."})
			return err
		},
	}
	for _, step := range steps[:int(s.state)-1] {
		if err := step(); err != nil {
			t.Fatalf("taking %s to %v: %v", name, s.state, err)
		}
	}
	return n.get(t, name)
}

// get reads an annotation as the admin, who sees every one.
func (n *newsroom) get(t *testing.T, name string) *factcheckv1.Annotation {
	t.Helper()
	got, err := n.annotations.GetAnnotation(ctxT(t), &factcheckv1.GetAnnotationRequest{Name: name})
	if err != nil {
		t.Fatalf("GetAnnotation(%s): %v", name, err)
	}
	return got.GetAnnotation()
}

// latestRevision is the newest revision of an annotation, read as the admin.
func (n *newsroom) latestRevision(t *testing.T, name string) *factcheckv1.AnnotationRevision {
	t.Helper()
	resp, err := n.annotations.ListAnnotationRevisions(ctxT(t), &factcheckv1.ListAnnotationRevisionsRequest{Parent: name, PageSize: 1})
	if err != nil {
		t.Fatalf("ListAnnotationRevisions(%s): %v", name, err)
	}
	if len(resp.GetRevisions()) != 1 {
		t.Fatalf("%s has no revision", name)
	}
	return resp.GetRevisions()[0]
}

// preconditionTypes lists the types of an error's PreconditionFailure.
func preconditionTypes(err error) []string {
	var types []string
	for _, d := range status.Convert(err).Details() {
		if pf, ok := d.(*errdetails.PreconditionFailure); ok {
			for _, v := range pf.GetViolations() {
				types = append(types, v.GetType())
			}
		}
	}
	return types
}

// workflowCall calls one workflow method on the annotation named.
type workflowCall func(ctx context.Context, c factcheckv1.AnnotationServiceClient, name, etag string) (*factcheckv1.Annotation, error)

func submit() workflowCall {
	return func(ctx context.Context, c factcheckv1.AnnotationServiceClient, name, etag string) (*factcheckv1.Annotation, error) {
		r, err := c.SubmitAnnotation(ctx, &factcheckv1.SubmitAnnotationRequest{Name: name, Etag: etag})
		return r.GetAnnotation(), err
	}
}

func returnWith(note string) workflowCall {
	return func(ctx context.Context, c factcheckv1.AnnotationServiceClient, name, etag string) (*factcheckv1.Annotation, error) {
		r, err := c.ReturnAnnotation(ctx, &factcheckv1.ReturnAnnotationRequest{Name: name, Etag: etag, Note: note})
		return r.GetAnnotation(), err
	}
}

func publish() workflowCall {
	return func(ctx context.Context, c factcheckv1.AnnotationServiceClient, name, etag string) (*factcheckv1.Annotation, error) {
		r, err := c.PublishAnnotation(ctx, &factcheckv1.PublishAnnotationRequest{Name: name, Etag: etag})
		return r.GetAnnotation(), err
	}
}

func retractWith(reason string) workflowCall {
	return func(ctx context.Context, c factcheckv1.AnnotationServiceClient, name, etag string) (*factcheckv1.Annotation, error) {
		r, err := c.RetractAnnotation(ctx, &factcheckv1.RetractAnnotationRequest{Name: name, Etag: etag, Reason: reason})
		return r.GetAnnotation(), err
	}
}

const (
	draft     = factcheckv1.Annotation_STATE_DRAFT
	inReview  = factcheckv1.Annotation_STATE_IN_REVIEW
	published = factcheckv1.Annotation_STATE_PUBLISHED
	retracted = factcheckv1.Annotation_STATE_RETRACTED
)

// TestWorkflowTransitions drives every workflow method from the states and
// by the callers that matter: authors and others, each role, four eyes, the
// publish requirements, the notes, and the etag.
func TestWorkflowTransitions(t *testing.T) {
	n := newNewsroom(t)
	methodDenied := func(p string) *wantErr {
		return &wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"permission": p}}
	}
	notFound := &wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND"}
	badState := func(state, method, need string) *wantErr {
		return &wantErr{code: codes.FailedPrecondition, reason: "INVALID_STATE_TRANSITION",
			precondition: "annotation is " + state + "; " + method + " needs " + need}
	}
	stale := &wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH"}
	tests := []struct {
		name   string
		ann    spec
		caller string
		call   workflowCall
		// etag: "current" sends the annotation's etag, "stale" an old one.
		etag string
		// want is the state after a successful call, with note recorded in
		// the new revision.
		want factcheckv1.Annotation_State
		note string
		err  *wantErr
		// preconditions are the PreconditionFailure types err must carry.
		preconditions []string
	}{
		// SubmitAnnotation: the author, or an editor.
		{name: "author submits own draft", ann: spec{author: "alice", state: draft}, caller: "alice", call: submit(), want: inReview},
		{name: "author submits with the current etag", ann: spec{author: "alice", state: draft}, caller: "alice", call: submit(), etag: "current", want: inReview},
		{name: "author submits with a stale etag", ann: spec{author: "alice", state: draft}, caller: "alice", call: submit(), etag: "stale", err: stale},
		{name: "editor submits a reviewer's draft", ann: spec{author: "alice", state: draft}, caller: "erin", call: submit(), want: inReview},
		{name: "editor submits a draft with no author", ann: spec{state: draft}, caller: "erin", call: submit(), want: inReview},
		{name: "another reviewer cannot see the draft", ann: spec{author: "alice", state: draft}, caller: "bob", call: submit(), err: notFound},
		{name: "another reviewer's stale etag still finds nothing", ann: spec{author: "alice", state: draft}, caller: "bob", call: submit(), etag: "stale", err: notFound},
		{name: "a reviewer cannot see a draft with no author", ann: spec{state: draft}, caller: "alice", call: submit(), err: notFound},
		{name: "another reviewer may not submit", ann: spec{author: "alice", state: inReview}, caller: "bob", call: submit(),
			err: &wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"permission": "annotations.edit_any", "caller": "reviewers/bob"}}},
		{name: "submit in review", ann: spec{author: "alice", state: inReview}, caller: "alice", call: submit(),
			err: badState("STATE_IN_REVIEW", "SubmitAnnotation", "STATE_DRAFT")},
		{name: "submit published", ann: spec{author: "alice", state: published}, caller: "alice", call: submit(),
			err: badState("STATE_PUBLISHED", "SubmitAnnotation", "STATE_DRAFT")},
		{name: "submit retracted", ann: spec{author: "alice", state: retracted}, caller: "erin", call: submit(),
			err: badState("STATE_RETRACTED", "SubmitAnnotation", "STATE_DRAFT")},
		{name: "viewer may not submit", ann: spec{author: "alice", state: published}, caller: "vic", call: submit(), err: methodDenied("annotations.edit")},

		// ReturnAnnotation: an editor, with a note.
		{name: "editor returns with a note", ann: spec{author: "alice", state: inReview}, caller: "erin", call: returnWith("Cite the Pentagon's denial."),
			want: draft, note: "Cite the Pentagon's denial."},
		{name: "editor returns own annotation", ann: spec{author: "ed", state: inReview}, caller: "ed", call: returnWith("Needs a second source."), want: draft, note: "Needs a second source."},
		{name: "return without a note", ann: spec{author: "alice", state: inReview}, caller: "erin", call: returnWith(""),
			err: &wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"note"}}},
		{name: "return with a blank note", ann: spec{author: "alice", state: inReview}, caller: "erin", call: returnWith(" \n\t"),
			err: &wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"note"}}},
		{name: "return with a note too long", ann: spec{author: "alice", state: inReview}, caller: "erin", call: returnWith(strings.Repeat("é", 2001)),
			err: &wantErr{code: codes.InvalidArgument, reason: "FIELD_TOO_LONG", fields: []string{"note"}}},
		{name: "return with the longest note", ann: spec{author: "alice", state: inReview}, caller: "erin", call: returnWith(strings.Repeat("é", 2000)),
			want: draft, note: strings.Repeat("é", 2000)},
		{name: "reviewer may not return", ann: spec{author: "alice", state: inReview}, caller: "alice", call: returnWith("no"), err: methodDenied("annotations.review")},
		{name: "return a draft", ann: spec{author: "alice", state: draft}, caller: "erin", call: returnWith("why"),
			err: badState("STATE_DRAFT", "ReturnAnnotation", "STATE_IN_REVIEW")},
		{name: "return published", ann: spec{author: "alice", state: published}, caller: "erin", call: returnWith("why"),
			err: badState("STATE_PUBLISHED", "ReturnAnnotation", "STATE_IN_REVIEW")},

		// PublishAnnotation: an editor who is not the author, and a
		// complete annotation.
		{name: "editor publishes a reviewer's work", ann: spec{author: "alice", state: inReview}, caller: "erin", call: publish(), want: published},
		{name: "editor publishes another editor's work", ann: spec{author: "ed", state: inReview}, caller: "erin", call: publish(), want: published},
		{name: "editor publishes with the current etag", ann: spec{author: "alice", state: inReview}, caller: "erin", call: publish(), etag: "current", want: published},
		{name: "editor publishes with a stale etag", ann: spec{author: "alice", state: inReview}, caller: "erin", call: publish(), etag: "stale", err: stale},
		{name: "an annotation with no author is anyone's to publish", ann: spec{state: inReview}, caller: "ed", call: publish(), want: published},
		{name: "four eyes: an editor may not publish own work", ann: spec{author: "ed", state: inReview}, caller: "ed", call: publish(),
			err: &wantErr{code: codes.PermissionDenied, reason: "FOUR_EYES_REQUIRED", says: []string{"four eyes"},
				meta: map[string]string{"permission": "annotations.review", "author": "reviewers/ed"}}},
		{name: "four eyes: nor may an admin", ann: spec{author: "admin", state: inReview}, caller: "admin", call: publish(),
			err: &wantErr{code: codes.PermissionDenied, reason: "FOUR_EYES_REQUIRED", meta: map[string]string{"author": "reviewers/admin"}}},
		{name: "reviewer may not publish own work", ann: spec{author: "alice", state: inReview}, caller: "alice", call: publish(), err: methodDenied("annotations.review")},
		{name: "reviewer may not publish others' work", ann: spec{author: "alice", state: inReview}, caller: "bob", call: publish(), err: methodDenied("annotations.review")},
		{name: "publish needs a verdict and evidence", ann: spec{author: "alice", state: inReview, incomplete: true}, caller: "erin", call: publish(),
			err:           &wantErr{code: codes.FailedPrecondition, reason: "PUBLISH_REQUIREMENTS_NOT_MET", says: []string{"verdict.rating", "verdict.rationale", "citations"}},
			preconditions: []string{"RATING_REQUIRED", "RATIONALE_REQUIRED", "CITATION_REQUIRED"}},
		{name: "publish a draft", ann: spec{author: "alice", state: draft}, caller: "erin", call: publish(),
			err: badState("STATE_DRAFT", "PublishAnnotation", "STATE_IN_REVIEW")},
		{name: "publish again", ann: spec{author: "alice", state: published}, caller: "erin", call: publish(),
			err: badState("STATE_PUBLISHED", "PublishAnnotation", "STATE_IN_REVIEW")},
		{name: "publish retracted", ann: spec{author: "alice", state: retracted}, caller: "erin", call: publish(),
			err: badState("STATE_RETRACTED", "PublishAnnotation", "STATE_IN_REVIEW")},

		// RetractAnnotation: an editor, with a reason.
		{name: "editor retracts with a reason", ann: spec{author: "alice", state: published}, caller: "erin", call: retractWith("The Post corrected its report."),
			want: retracted, note: "The Post corrected its report."},
		{name: "editor retracts own work", ann: spec{author: "ed", state: published}, caller: "ed", call: retractWith("Wrong claimant."), want: retracted, note: "Wrong claimant."},
		{name: "retract without a reason", ann: spec{author: "alice", state: published}, caller: "erin", call: retractWith(""),
			err: &wantErr{code: codes.InvalidArgument, reason: "FIELD_REQUIRED", fields: []string{"reason"}}},
		{name: "retract with a stale etag", ann: spec{author: "alice", state: published}, caller: "erin", call: retractWith("why"), etag: "stale", err: stale},
		{name: "reviewer may not retract", ann: spec{author: "alice", state: published}, caller: "alice", call: retractWith("mine"), err: methodDenied("annotations.review")},
		{name: "retract in review", ann: spec{author: "alice", state: inReview}, caller: "erin", call: retractWith("why"),
			err: badState("STATE_IN_REVIEW", "RetractAnnotation", "STATE_PUBLISHED")},
		{name: "retract a draft", ann: spec{author: "alice", state: draft}, caller: "erin", call: retractWith("why"),
			err: badState("STATE_DRAFT", "RetractAnnotation", "STATE_PUBLISHED")},
		{name: "retract again", ann: spec{author: "alice", state: retracted}, caller: "erin", call: retractWith("why"),
			err: badState("STATE_RETRACTED", "RetractAnnotation", "STATE_PUBLISHED")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := n.make(t, tc.ann)
			etag := ""
			switch tc.etag {
			case "current":
				etag = before.GetEtag()
			case "stale":
				// An etag the annotation had before its latest write.
				if _, err := n.annotations.UpdateAnnotation(ctxT(t), &factcheckv1.UpdateAnnotationRequest{
					Annotation:     &factcheckv1.Annotation{Name: before.GetName(), Labels: map[string]string{"desk": "iraq"}},
					CorrectionNote: "Filed under the Iraq desk.",
				}); err != nil {
					t.Fatal(err)
				}
				etag = before.GetEtag()
				before = n.get(t, before.GetName())
			}
			got, err := tc.call(ctxT(t), n.as[tc.caller].annotations, before.GetName(), etag)
			after := n.get(t, before.GetName())
			if tc.err != nil {
				checkErr(t, err, *tc.err)
				if tc.preconditions != nil && !slices.Equal(preconditionTypes(err), tc.preconditions) {
					t.Errorf("precondition types = %v, want %v", preconditionTypes(err), tc.preconditions)
				}
				if after.GetEtag() != before.GetEtag() || after.GetState() != before.GetState() {
					t.Errorf("a refused call wrote: %v (etag %s) became %v (etag %s)", before.GetState(), before.GetEtag(), after.GetState(), after.GetEtag())
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want state %v", err, tc.want)
			}
			if got.GetState() != tc.want || after.GetState() != tc.want {
				t.Errorf("state = %v (stored %v), want %v", got.GetState(), after.GetState(), tc.want)
			}
			if got.GetEtag() != after.GetEtag() || got.GetEtag() == before.GetEtag() {
				t.Errorf("etag %s → %s, stored %s", before.GetEtag(), got.GetEtag(), after.GetEtag())
			}
			if got.GetAuthor() != before.GetAuthor() {
				t.Errorf("author %q became %q", before.GetAuthor(), got.GetAuthor())
			}
			rev := n.latestRevision(t, before.GetName())
			if rev.GetRevisionId() != got.GetRevisionId() || rev.GetNote() != tc.note ||
				rev.GetActor() != "reviewers/"+tc.caller || !slices.Equal(rev.GetFieldPaths(), []string{"state"}) {
				t.Errorf("revision %s: note %.40q, actor %q, field_paths %v; want revision %s, note %.40q, actor reviewers/%s, field_paths [state]",
					rev.GetRevisionId(), rev.GetNote(), rev.GetActor(), rev.GetFieldPaths(), got.GetRevisionId(), tc.note, tc.caller)
			}
		})
	}
}

// TestWorkflowRace: two editors publish the same annotation at once, and two
// more retract it and return it; the state checks run inside the write
// transaction, so exactly one publish succeeds and the other finds the
// state the first left.
func TestWorkflowRace(t *testing.T) {
	n := newNewsroom(t)
	for round := range 5 {
		a := n.make(t, spec{author: "alice", state: inReview})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, who := range []string{"erin", "ed"} {
			wg.Go(func() {
				_, errs[i] = n.as[who].annotations.PublishAnnotation(ctxT(t), &factcheckv1.PublishAnnotationRequest{Name: a.GetName()})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "INVALID_STATE_TRANSITION", precondition: "annotation is STATE_PUBLISHED"})
		}
		if ok != 1 {
			t.Fatalf("round %d: %d publishes succeeded, want exactly 1 (%v)", round, ok, errs)
		}
		// Return and publish race from the same state: one wins, and the
		// annotation is in the state the winner made.
		b := n.make(t, spec{author: "alice", state: inReview})
		var retErr, pubErr error
		wg.Go(func() {
			_, retErr = n.as["erin"].annotations.ReturnAnnotation(ctxT(t), &factcheckv1.ReturnAnnotationRequest{Name: b.GetName(), Note: "Wait."})
		})
		wg.Go(func() {
			_, pubErr = n.as["ed"].annotations.PublishAnnotation(ctxT(t), &factcheckv1.PublishAnnotationRequest{Name: b.GetName()})
		})
		wg.Wait()
		got := n.get(t, b.GetName()).GetState()
		switch {
		case retErr == nil && pubErr != nil && got == draft:
		case pubErr == nil && retErr != nil && got == published:
		default:
			t.Fatalf("round %d: return %v, publish %v, state %v: want exactly one to win", round, retErr, pubErr, got)
		}
	}
}

// TestPublishNeedsAnchoredQuote: an annotation whose quote left the
// article's text is not published until it is anchored again.
func TestPublishNeedsAnchoredQuote(t *testing.T) {
	n := newNewsroom(t)
	ctx := ctxT(t)
	a := n.make(t, spec{author: "alice", state: inReview})
	art, err := n.articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: "articles/shafaq-talks", View: factcheckv1.ArticleView_ARTICLE_VIEW_FULL})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(art.GetArticle().GetText(), wapoQuote, "were not discussed", 1)
	if _, err := n.articles.UpdateArticle(ctx, &factcheckv1.UpdateArticleRequest{
		Article: &factcheckv1.Article{Name: art.GetArticle().GetName(), Text: text}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"text"}},
	}); err != nil {
		t.Fatal(err)
	}
	if st := n.get(t, a.GetName()).GetAnchor().GetStatus(); st != factcheckv1.Anchor_STATUS_ORPHANED {
		t.Fatalf("anchor status = %v after the quote was removed, want STATUS_ORPHANED", st)
	}
	_, err = n.as["erin"].annotations.PublishAnnotation(ctx, &factcheckv1.PublishAnnotationRequest{Name: a.GetName()})
	checkErr(t, err, wantErr{code: codes.FailedPrecondition, reason: "PUBLISH_REQUIREMENTS_NOT_MET", precondition: "STATUS_ORPHANED"})
	if got := preconditionTypes(err); !slices.Equal(got, []string{"ANCHOR_ORPHANED"}) {
		t.Errorf("precondition types = %v, want [ANCHOR_ORPHANED]", got)
	}
	// Anchored again (an editor may edit work in review), it publishes.
	if _, err := n.as["erin"].annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: a.GetName(), Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "were not discussed"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.as["erin"].annotations.PublishAnnotation(ctx, &factcheckv1.PublishAnnotationRequest{Name: a.GetName()}); err != nil {
		t.Fatalf("publish after anchoring again: %v", err)
	}
}

// TestUpdateAnnotationEditRules: reviewers edit their own drafts, editors
// anything, published work only with a correction note, and the state not
// at all.
func TestUpdateAnnotationEditRules(t *testing.T) {
	n := newNewsroom(t)
	label := func(name string) *factcheckv1.UpdateAnnotationRequest {
		return &factcheckv1.UpdateAnnotationRequest{Annotation: &factcheckv1.Annotation{Name: name, Verdict: &factcheckv1.Verdict{Label: "Disputed"}}}
	}
	denied := &wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"permission": "annotations.edit_any"}}
	tests := []struct {
		name   string
		ann    spec
		caller string
		// req makes the request for the annotation named.
		req  func(name string) *factcheckv1.UpdateAnnotationRequest
		err  *wantErr
		note string // the note the new revision must carry
	}{
		{name: "author edits own draft", ann: spec{author: "alice", state: draft}, caller: "alice", req: label},
		{name: "author may not edit own work in review", ann: spec{author: "alice", state: inReview}, caller: "alice", req: label, err: denied},
		{name: "author may not edit own published work", ann: spec{author: "alice", state: published}, caller: "alice", req: func(name string) *factcheckv1.UpdateAnnotationRequest {
			r := label(name)
			r.CorrectionNote = "typo"
			return r
		}, err: denied},
		{name: "another reviewer cannot see the draft", ann: spec{author: "alice", state: draft}, caller: "bob", req: label,
			err: &wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND"}},
		{name: "another reviewer may not edit work in review", ann: spec{author: "alice", state: inReview}, caller: "bob", req: label, err: denied},
		{name: "another reviewer may not edit a draft with no author", ann: spec{state: draft}, caller: "bob", req: label,
			err: &wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND"}},
		{name: "viewer may not edit", ann: spec{author: "alice", state: published}, caller: "vic", req: label,
			err: &wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"permission": "annotations.edit"}}},
		{name: "editor edits a reviewer's draft", ann: spec{author: "alice", state: draft}, caller: "erin", req: label},
		{name: "editor edits work in review without a note", ann: spec{author: "alice", state: inReview}, caller: "erin", req: label},
		{name: "published work needs a correction note", ann: spec{author: "alice", state: published}, caller: "erin", req: label,
			err: &wantErr{code: codes.InvalidArgument, reason: "CORRECTION_NOTE_REQUIRED", fields: []string{"correction_note"}}},
		{name: "a blank correction note is none", ann: spec{author: "alice", state: published}, caller: "erin", req: func(name string) *factcheckv1.UpdateAnnotationRequest {
			r := label(name)
			r.CorrectionNote = "  "
			return r
		}, err: &wantErr{code: codes.InvalidArgument, reason: "CORRECTION_NOTE_REQUIRED", fields: []string{"correction_note"}}},
		{name: "retracted work needs a correction note", ann: spec{author: "alice", state: retracted}, caller: "erin", req: label,
			err: &wantErr{code: codes.InvalidArgument, reason: "CORRECTION_NOTE_REQUIRED", fields: []string{"correction_note"}}},
		{name: "editor corrects published work", ann: spec{author: "alice", state: published}, caller: "erin", req: func(name string) *factcheckv1.UpdateAnnotationRequest {
			r := label(name)
			r.CorrectionNote = "The Pentagon disputes the report."
			return r
		}, note: "The Pentagon disputes the report."},
		{name: "editor corrects retracted work", ann: spec{author: "alice", state: retracted}, caller: "ed", req: func(name string) *factcheckv1.UpdateAnnotationRequest {
			r := label(name)
			r.CorrectionNote = "Label fixed."
			return r
		}, note: "Label fixed."},
		{name: "correction note too long", ann: spec{author: "alice", state: published}, caller: "erin", req: func(name string) *factcheckv1.UpdateAnnotationRequest {
			r := label(name)
			r.CorrectionNote = strings.Repeat("x", 2001)
			return r
		}, err: &wantErr{code: codes.InvalidArgument, reason: "FIELD_TOO_LONG", fields: []string{"correction_note"}}},
		{name: "state through update_mask", ann: spec{author: "alice", state: draft}, caller: "erin", req: func(name string) *factcheckv1.UpdateAnnotationRequest {
			return &factcheckv1.UpdateAnnotationRequest{
				Annotation: &factcheckv1.Annotation{Name: name, State: published},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}},
			}
		}, err: &wantErr{code: codes.InvalidArgument, reason: "STATE_CHANGE_NOT_ALLOWED", fields: []string{"annotation.state"},
			says: []string{"SubmitAnnotation", "PublishAnnotation"}}},
		{name: "state set without a mask", ann: spec{author: "alice", state: draft}, caller: "alice", req: func(name string) *factcheckv1.UpdateAnnotationRequest {
			return &factcheckv1.UpdateAnnotationRequest{Annotation: &factcheckv1.Annotation{Name: name, State: inReview}}
		}, err: &wantErr{code: codes.InvalidArgument, reason: "STATE_CHANGE_NOT_ALLOWED", fields: []string{"annotation.state"}}},
		{name: "the current state may be sent back", ann: spec{author: "alice", state: draft}, caller: "alice", req: func(name string) *factcheckv1.UpdateAnnotationRequest {
			return &factcheckv1.UpdateAnnotationRequest{
				Annotation: &factcheckv1.Annotation{Name: name, State: draft, Verdict: &factcheckv1.Verdict{Label: "Disputed"}},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state", "verdict.label"}},
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := n.make(t, tc.ann)
			_, err := n.as[tc.caller].annotations.UpdateAnnotation(ctxT(t), tc.req(before.GetName()))
			after := n.get(t, before.GetName())
			if tc.err != nil {
				checkErr(t, err, *tc.err)
				if after.GetEtag() != before.GetEtag() {
					t.Errorf("a refused update wrote")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if after.GetVerdict().GetLabel() != "Disputed" || after.GetState() != before.GetState() {
				t.Errorf("after the update: label %q, state %v (was %v)", after.GetVerdict().GetLabel(), after.GetState(), before.GetState())
			}
			rev := n.latestRevision(t, before.GetName())
			if rev.GetNote() != tc.note || rev.GetActor() != "reviewers/"+tc.caller || !slices.Equal(rev.GetFieldPaths(), []string{"verdict.label"}) {
				t.Errorf("revision: note %q, actor %q, field_paths %v; want note %q, actor reviewers/%s, [verdict.label]",
					rev.GetNote(), rev.GetActor(), rev.GetFieldPaths(), tc.note, tc.caller)
			}
		})
	}

	// `*` with the annotation as read (state included) and a correction
	// note rewrites published work without touching its state.
	t.Run("star mask on published work", func(t *testing.T) {
		a := n.make(t, spec{author: "alice", state: published})
		a.Verdict.Label = "Disputed"
		got, err := n.as["erin"].annotations.UpdateAnnotation(ctxT(t), &factcheckv1.UpdateAnnotationRequest{
			Annotation: a, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, CorrectionNote: "Relabelled.",
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetAnnotation().GetState() != published || got.GetAnnotation().GetVerdict().GetLabel() != "Disputed" {
			t.Errorf("got %v", got.GetAnnotation())
		}
	})
}

// TestDeleteAndRollbackRules: the edit rule for deletes and rollbacks, and
// rollbacks keep the state.
func TestDeleteAndRollbackRules(t *testing.T) {
	n := newNewsroom(t)
	ctx := ctxT(t)
	del := func(who, name string) error {
		_, err := n.as[who].annotations.DeleteAnnotation(ctx, &factcheckv1.DeleteAnnotationRequest{Name: name})
		return err
	}
	deleteTests := []struct {
		name   string
		ann    spec
		caller string
		err    *wantErr
	}{
		{name: "author deletes own draft", ann: spec{author: "alice", state: draft}, caller: "alice"},
		{name: "author may not delete own work in review", ann: spec{author: "alice", state: inReview}, caller: "alice",
			err: &wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"permission": "annotations.edit_any"}}},
		{name: "another reviewer cannot see the draft", ann: spec{author: "alice", state: draft}, caller: "bob",
			err: &wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND"}},
		{name: "another reviewer may not delete published work", ann: spec{author: "alice", state: published}, caller: "bob",
			err: &wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"permission": "annotations.edit_any"}}},
		{name: "editor deletes published work", ann: spec{author: "alice", state: published}, caller: "erin"},
	}
	for _, tc := range deleteTests {
		t.Run("delete/"+tc.name, func(t *testing.T) {
			a := n.make(t, tc.ann)
			err := del(tc.caller, a.GetName())
			deleted := n.get(t, a.GetName()).GetDeleteTime() != nil
			if tc.err != nil {
				checkErr(t, err, *tc.err)
				if deleted {
					t.Error("a refused delete deleted")
				}
				return
			}
			if err != nil || !deleted {
				t.Fatalf("delete: %v, deleted %v", err, deleted)
			}
		})
	}

	// A deleted draft stays its author's: others do not find it, rather
	// than learn that it is deleted.
	gone := n.make(t, spec{author: "alice", state: draft})
	if err := del("alice", gone.GetName()); err != nil {
		t.Fatal(err)
	}
	for who, want := range map[string]wantErr{
		"bob":   {code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND"},
		"alice": {code: codes.FailedPrecondition, reason: "ANNOTATION_DELETED"},
		"erin":  {code: codes.FailedPrecondition, reason: "ANNOTATION_DELETED"},
	} {
		_, err := n.as[who].annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
			Annotation: &factcheckv1.Annotation{Name: gone.GetName(), Verdict: &factcheckv1.Verdict{Label: "x"}},
		})
		checkErr(t, err, want)
		_, err = n.as[who].annotations.SubmitAnnotation(ctx, &factcheckv1.SubmitAnnotationRequest{Name: gone.GetName()})
		checkErr(t, err, want)
	}

	// History of one draft: 1 created, 2 edited, 3 submitted, 4 returned.
	a := n.make(t, spec{author: "alice", state: draft})
	alice := n.as["alice"].annotations
	if _, err := alice.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{Annotation: &factcheckv1.Annotation{Name: a.GetName(), Verdict: &factcheckv1.Verdict{Label: "v2"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SubmitAnnotation(ctx, &factcheckv1.SubmitAnnotationRequest{Name: a.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.as["erin"].annotations.ReturnAnnotation(ctx, &factcheckv1.ReturnAnnotationRequest{Name: a.GetName(), Note: "Label?"}); err != nil {
		t.Fatal(err)
	}
	rollbackNote := func(who, rev, etag, note string) error {
		_, err := n.as[who].annotations.RollbackAnnotation(ctx, &factcheckv1.RollbackAnnotationRequest{
			Name: a.GetName(), RevisionId: rev, Etag: etag, CorrectionNote: note})
		return err
	}
	rollback := func(who, rev, etag string) error { return rollbackNote(who, rev, etag, "") }
	checkErr(t, rollback("alice", "3", ""), wantErr{code: codes.FailedPrecondition, reason: "ROLLBACK_CHANGES_STATE",
		precondition: "revision 3 is STATE_IN_REVIEW", meta: map[string]string{"revision_state": "STATE_IN_REVIEW"}})
	checkErr(t, rollback("bob", "1", ""), wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND"})
	checkErr(t, rollback("alice", "1", "stale"), wantErr{code: codes.Aborted, reason: "ETAG_MISMATCH"})
	if err := rollback("alice", "1", ""); err != nil {
		t.Fatalf("author rolls back own draft to a draft revision: %v", err)
	}
	// Published, the annotation rolls back only to published revisions,
	// and only by an editor.
	if _, err := alice.SubmitAnnotation(ctx, &factcheckv1.SubmitAnnotationRequest{Name: a.GetName()}); err != nil {
		t.Fatal(err)
	}
	pub, err := n.as["erin"].annotations.PublishAnnotation(ctx, &factcheckv1.PublishAnnotationRequest{Name: a.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.as["erin"].annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
		Annotation: &factcheckv1.Annotation{Name: a.GetName(), Verdict: &factcheckv1.Verdict{Label: "v3"}}, CorrectionNote: "Relabelled.",
	}); err != nil {
		t.Fatal(err)
	}
	checkErr(t, rollback("alice", pub.GetAnnotation().GetRevisionId(), ""), wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED"})
	checkErr(t, rollback("erin", "1", ""), wantErr{code: codes.FailedPrecondition, reason: "ROLLBACK_CHANGES_STATE"})
	// Like an edit, rolling back published work says why.
	for _, note := range []string{"", "  "} {
		checkErr(t, rollbackNote("erin", pub.GetAnnotation().GetRevisionId(), "", note),
			wantErr{code: codes.InvalidArgument, reason: "CORRECTION_NOTE_REQUIRED", fields: []string{"correction_note"}})
	}
	checkErr(t, rollbackNote("erin", pub.GetAnnotation().GetRevisionId(), "", strings.Repeat("x", 2001)),
		wantErr{code: codes.InvalidArgument, reason: "FIELD_TOO_LONG", fields: []string{"correction_note"}})
	const why = "The relabelling was wrong: back to the published text."
	if err := rollbackNote("erin", pub.GetAnnotation().GetRevisionId(), "", why); err != nil {
		t.Fatalf("editor rolls back published work to its published revision: %v", err)
	}
	revs, err := n.as["erin"].annotations.ListAnnotationRevisions(ctx, &factcheckv1.ListAnnotationRevisionsRequest{Parent: a.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if last := revs.GetRevisions()[0]; last.GetNote() != why || last.GetRestoredRevisionId() != pub.GetAnnotation().GetRevisionId() {
		t.Errorf("the rollback's revision: note %q, restored %q; want %q, %q", last.GetNote(), last.GetRestoredRevisionId(), why, pub.GetAnnotation().GetRevisionId())
	}
	// Revision 1's label (none), which the rollback to 1 restored before
	// the annotation was published.
	if got := n.get(t, a.GetName()); got.GetState() != published || got.GetVerdict().GetLabel() != "" {
		t.Errorf("after the rollback: %v %q", got.GetState(), got.GetVerdict().GetLabel())
	}
}

// TestCreateStateRule: reviewers create drafts; only editors record work
// in another state, in CreateAnnotation, BatchCreateAnnotations and Import
// alike.
func TestCreateStateRule(t *testing.T) {
	n := newNewsroom(t)
	ctx := ctxT(t)
	ann := func(state factcheckv1.Annotation_State) *factcheckv1.Annotation {
		return &factcheckv1.Annotation{
			Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: wapoQuote}},
			Claim:  &factcheckv1.Claim{Text: "Talks began before October 7, 2023."},
			State:  state,
		}
	}
	for _, tc := range []struct {
		caller string
		state  factcheckv1.Annotation_State
		ok     bool
	}{
		{"alice", factcheckv1.Annotation_STATE_UNSPECIFIED, true},
		{"alice", draft, true},
		{"alice", inReview, false},
		{"alice", published, false},
		{"alice", retracted, false},
		{"erin", published, true},
		{"erin", retracted, true},
		{"admin", inReview, true},
	} {
		t.Run(fmt.Sprintf("%s creates %v", tc.caller, tc.state), func(t *testing.T) {
			got, err := n.as[tc.caller].annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{Parent: "articles/shafaq-talks", Annotation: ann(tc.state)})
			if !tc.ok {
				checkErr(t, err, wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED",
					meta: map[string]string{"permission": "annotations.edit_any"}, says: []string{tc.state.String()}})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.state
			if want == factcheckv1.Annotation_STATE_UNSPECIFIED {
				want = draft
			}
			if got.GetAnnotation().GetState() != want || got.GetAnnotation().GetAuthor() != "reviewers/"+tc.caller {
				t.Errorf("created %v by %q", got.GetAnnotation().GetState(), got.GetAnnotation().GetAuthor())
			}
		})
	}

	t.Run("batch", func(t *testing.T) {
		count := func() int {
			resp, err := n.annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/shafaq-talks", PageSize: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(resp.GetAnnotations())
		}
		before := count()
		req := &factcheckv1.BatchCreateAnnotationsRequest{Parent: "articles/shafaq-talks", Requests: []*factcheckv1.CreateAnnotationRequest{
			{Annotation: ann(draft)}, {Annotation: ann(published)}, {Annotation: ann(draft)},
		}}
		_, err := n.as["alice"].annotations.BatchCreateAnnotations(ctx, req)
		checkErr(t, err, wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED", says: []string{"requests[1]"},
			meta: map[string]string{"request_index": "1", "permission": "annotations.edit_any"}})
		if got := count(); got != before {
			t.Errorf("a refused batch created %d annotations", got-before)
		}
		resp, err := n.as["erin"].annotations.BatchCreateAnnotations(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if s := resp.GetAnnotations()[1].GetState(); s != published {
			t.Errorf("editor's batch: requests[1] is %v", s)
		}
	})

	t.Run("import", func(t *testing.T) {
		rec := func(state factcheckv1.Annotation_State) *factcheckv1.ImportRecord {
			return &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Annotation{Annotation: &factcheckv1.AnnotationImport{
				Parent: "articles/shafaq-talks", Annotation: ann(state),
			}}}
		}
		recs := []*factcheckv1.ImportRecord{rec(draft), rec(published), rec(factcheckv1.Annotation_STATE_UNSPECIFIED)}
		outcomes := func(run *importRun) []string {
			var out []string
			for _, r := range run.results {
				out = append(out, r.GetOutcome().String())
			}
			return out
		}
		run := n.as["alice"].mustImport(t, nil, recs)
		if got := outcomes(run); !slices.Equal(got, []string{"OUTCOME_CREATED", "OUTCOME_FAILED", "OUTCOME_CREATED"}) {
			t.Fatalf("reviewer's import: %v", got)
		}
		checkErr(t, resultStatus(run.results[1]), wantErr{code: codes.PermissionDenied, reason: "PERMISSION_DENIED",
			meta: map[string]string{"permission": "annotations.edit_any"}})
		run = n.as["erin"].mustImport(t, nil, recs)
		if got := outcomes(run); !slices.Equal(got, []string{"OUTCOME_CREATED", "OUTCOME_CREATED", "OUTCOME_CREATED"}) {
			t.Fatalf("editor's import: %v", got)
		}
	})
}

// TestWorkflowChanges: each transition is an update of the state in the
// change feed, by whoever made it.
func TestWorkflowChanges(t *testing.T) {
	n := newNewsroom(t)
	ctx := ctxT(t)
	a := n.make(t, spec{author: "alice", state: draft})
	name := a.GetName()
	steps := []struct {
		who  string
		call workflowCall
	}{
		{"alice", submit()},
		{"erin", returnWith("Add the denial.")},
		{"alice", submit()},
		{"ed", publish()},
		{"erin", retractWith("Withdrawn by the Post.")},
	}
	for _, s := range steps {
		if _, err := s.call(ctx, n.as[s.who].annotations, name, ""); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := n.changes.ListChanges(ctx, &factcheckv1.ListChangesRequest{Filter: fmt.Sprintf("resource = %q AND type = TYPE_UPDATED", name)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range resp.GetChanges() {
		got = append(got, fmt.Sprintf("%s %v", c.GetActor(), c.GetFieldPaths()))
	}
	want := []string{"reviewers/alice [state]", "reviewers/erin [state]", "reviewers/alice [state]", "reviewers/ed [state]", "reviewers/erin [state]"}
	if !slices.Equal(got, want) {
		t.Errorf("changes of %s:\n got %q\nwant %q", name, got, want)
	}
	// The history has the same writes, with the notes.
	revs, err := n.annotations.ListAnnotationRevisions(ctx, &factcheckv1.ListAnnotationRevisionsRequest{Parent: name, OrderBy: "revision_id"})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, r := range revs.GetRevisions()[1:] {
		got = append(got, fmt.Sprintf("%s %v %q", r.GetAnnotation().GetState(), r.GetCause(), r.GetNote()))
	}
	want = []string{
		`STATE_IN_REVIEW CAUSE_UPDATE ""`,
		`STATE_DRAFT CAUSE_UPDATE "Add the denial."`,
		`STATE_IN_REVIEW CAUSE_UPDATE ""`,
		`STATE_PUBLISHED CAUSE_UPDATE ""`,
		`STATE_RETRACTED CAUSE_UPDATE "Withdrawn by the Post."`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("revisions of %s:\n got %q\nwant %q", name, got, want)
	}
}
