package server_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// visibilityNewsroom holds one annotation of each kind a role's view
// distinguishes, by key.
type visibilityNewsroom struct {
	*newsroom
	names map[string]string // key → annotation name
	keys  []string          // in creation order
}

func newVisibilityNewsroom(t *testing.T) *visibilityNewsroom {
	t.Helper()
	v := &visibilityNewsroom{newsroom: newNewsroom(t), names: map[string]string{}}
	for _, c := range []struct {
		key string
		ann spec
	}{
		{"alice-draft", spec{author: "alice", state: draft}},
		{"bob-draft", spec{author: "bob", state: draft}},
		{"legacy-draft", spec{state: draft}},
		{"ed-draft", spec{author: "ed", state: draft}},
		{"alice-review", spec{author: "alice", state: inReview}},
		{"bob-review", spec{author: "bob", state: inReview}},
		{"alice-published", spec{author: "alice", state: published}},
		{"bob-retracted", spec{author: "bob", state: retracted}},
	} {
		v.names[c.key] = v.make(t, c.ann).GetName()
		v.keys = append(v.keys, c.key)
	}
	return v
}

// sees is what each caller sees, in creation order.
var sees = map[string][]string{
	"vic":   {"alice-published", "bob-retracted"},
	"alice": {"alice-draft", "alice-review", "bob-review", "alice-published", "bob-retracted"},
	"bob":   {"bob-draft", "alice-review", "bob-review", "alice-published", "bob-retracted"},
	"erin":  {"alice-draft", "bob-draft", "legacy-draft", "ed-draft", "alice-review", "bob-review", "alice-published", "bob-retracted"},
	"admin": {"alice-draft", "bob-draft", "legacy-draft", "ed-draft", "alice-review", "bob-review", "alice-published", "bob-retracted"},
}

// keysOf maps annotation names back to their keys.
func (v *visibilityNewsroom) keysOf(names []string) []string {
	var out []string
	for _, name := range names {
		found := "?" + name
		for k, n := range v.names {
			if n == name {
				found = k
			}
		}
		out = append(out, found)
	}
	return out
}

// statusJSON renders an error's whole status, details included, with the
// annotation name replaced, so two errors can be compared byte for byte.
func statusJSON(t *testing.T, err error, name string) string {
	t.Helper()
	b, merr := protojson.Marshal(status.Convert(err).Proto())
	if merr != nil {
		t.Fatal(merr)
	}
	return strings.ReplaceAll(string(b), name, "NAME")
}

// TestVisibilityGet: each role reads what it may see, and the rest is not
// found exactly as a missing annotation is not found.
func TestVisibilityGet(t *testing.T) {
	v := newVisibilityNewsroom(t)
	const missing = "articles/shafaq-talks/annotations/nope"
	for who, visible := range sees {
		t.Run(who, func(t *testing.T) {
			ctx := ctxT(t)
			c := v.as[who].annotations
			_, missingErr := c.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: missing})
			checkErr(t, missingErr, wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND", resource: missing})
			for _, key := range v.keys {
				name := v.names[key]
				got, err := c.GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: name})
				if slices.Contains(visible, key) {
					if err != nil || got.GetAnnotation().GetName() != name {
						t.Errorf("%s: %v", key, err)
					}
					continue
				}
				if code(err) != codes.NotFound {
					t.Errorf("%s: got %v, want NotFound", key, err)
					continue
				}
				if got, want := statusJSON(t, err, name), statusJSON(t, missingErr, missing); got != want {
					t.Errorf("%s is not found otherwise than a missing annotation:\n got %s\nwant %s", key, got, want)
				}
			}
		})
	}
}

// TestVisibilityList: lists hold what the caller sees, page by page, with
// the user's filter on top; page tokens are bound to the caller's view.
func TestVisibilityList(t *testing.T) {
	v := newVisibilityNewsroom(t)
	// A second viewer sees what vic sees.
	v.as["val"] = v.env.as(t, "val", store.RoleViewer)
	list := func(t *testing.T, who string, req *factcheckv1.ListAnnotationsRequest) []string {
		t.Helper()
		var names []string
		req.PageSize = 2
		for {
			resp, err := v.as[who].annotations.ListAnnotations(ctxT(t), req)
			if err != nil {
				t.Fatalf("ListAnnotations as %s: %v", who, err)
			}
			if len(resp.GetAnnotations()) != 2 && resp.GetNextPageToken() != "" {
				t.Errorf("a short page (%d) before the end", len(resp.GetAnnotations()))
			}
			for _, a := range resp.GetAnnotations() {
				names = append(names, a.GetName())
			}
			if resp.GetNextPageToken() == "" {
				return v.keysOf(names)
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
	filtered := func(keys []string, keep func(string) bool) []string {
		var out []string
		for _, k := range keys {
			if keep(k) {
				out = append(out, k)
			}
		}
		return out
	}
	for who, visible := range sees {
		t.Run(who, func(t *testing.T) {
			for _, tc := range []struct {
				parent, filter, orderBy string
				want                    []string
			}{
				{"articles/-", "", "", visible},
				{"articles/shafaq-talks", "", "", visible},
				{"articles/-", "", "update_time desc", nil}, // order checked separately
				{"articles/-", "state = STATE_DRAFT", "", filtered(visible, func(k string) bool { return strings.HasSuffix(k, "-draft") })},
				{"articles/shafaq-talks", "state = STATE_PUBLISHED OR state = STATE_IN_REVIEW", "", filtered(visible, func(k string) bool {
					return strings.HasSuffix(k, "-published") || strings.HasSuffix(k, "-review")
				})},
				{"articles/-", `author = "reviewers/bob"`, "", filtered(visible, func(k string) bool { return strings.HasPrefix(k, "bob-") })},
				{"articles/-", `NOT author = "reviewers/alice"`, "", filtered(visible, func(k string) bool { return !strings.HasPrefix(k, "alice-") })},
			} {
				got := list(t, who, &factcheckv1.ListAnnotationsRequest{Parent: tc.parent, Filter: tc.filter, OrderBy: tc.orderBy})
				want := tc.want
				if tc.orderBy != "" {
					// Most recently updated first; compare as sets.
					slices.Sort(got)
					want = slices.Sorted(slices.Values(visible))
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s %q %q:\n got %v\nwant %v", tc.parent, tc.filter, tc.orderBy, got, want)
				}
			}
		})
	}

	t.Run("page tokens", func(t *testing.T) {
		ctx := ctxT(t)
		first := func(who string) string {
			resp, err := v.as[who].annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", PageSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetNextPageToken()
		}
		for _, tc := range []struct {
			issued, replayed string
			ok               bool
		}{
			{"vic", "val", true},
			{"alice", "alice", true},
			{"vic", "erin", false},
			{"erin", "vic", false},
			{"alice", "bob", false},
			{"alice", "erin", false},
			{"erin", "admin", true},
		} {
			_, err := v.as[tc.replayed].annotations.ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{Parent: "articles/-", PageSize: 1, PageToken: first(tc.issued)})
			if tc.ok {
				if err != nil {
					t.Errorf("%s's token used by %s: %v", tc.issued, tc.replayed, err)
				}
				continue
			}
			checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}})
		}
	})
}

// TestVisibilityExport: an export holds the annotations the caller sees;
// an export of everything still holds every article and source.
func TestVisibilityExport(t *testing.T) {
	v := newVisibilityNewsroom(t)
	for who, visible := range sees {
		t.Run(who, func(t *testing.T) {
			for _, req := range []*factcheckv1.ExportRequest{
				{},
				{Parent: "articles/shafaq-talks"},
				{Filter: "verdict.rating = RATING_UNPROVEN"},
			} {
				items, _ := v.as[who].exportAll(t, req)
				var names []string
				var others []string
				for _, it := range items {
					switch r := it.GetRecord().GetRecord().(type) {
					case *factcheckv1.ImportRecord_Annotation:
						names = append(names, r.Annotation.GetAnnotation().GetName())
					case *factcheckv1.ImportRecord_Article:
						others = append(others, r.Article.GetName())
					case *factcheckv1.ImportRecord_Source:
						others = append(others, r.Source.GetName())
					}
				}
				if got := v.keysOf(names); !slices.Equal(got, visible) {
					t.Errorf("export %v:\n got %v\nwant %v", req, got, visible)
				}
				if !slices.Equal(others, []string{"articles/shafaq-talks", "sources/wapo-talks"}) {
					t.Errorf("export %v: articles and sources %v", req, others)
				}
			}
			// JSON-LD documents follow the same rule.
			items, _ := v.as[who].exportAll(t, &factcheckv1.ExportRequest{Format: factcheckv1.Format_FORMAT_WEB_ANNOTATION})
			if len(items) != len(visible) {
				t.Errorf("Web Annotation export: %d documents, want %d", len(items), len(visible))
			}
		})
	}
}

// TestVisibilityRevisions: the history of an annotation the caller cannot
// see is not found; viewers see the revisions that were public when
// written, and nothing of the drafts before them.
func TestVisibilityRevisions(t *testing.T) {
	v := newVisibilityNewsroom(t)
	ctx := ctxT(t)
	// A long draft history before publication, then corrections:
	// revisions 1-6 drafts, 7 in review, 8 published, 9-10 corrections.
	a := v.make(t, spec{author: "alice", state: draft})
	name := a.GetName()
	for i := range 5 {
		if _, err := v.as["alice"].annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
			Annotation: &factcheckv1.Annotation{Name: name, Verdict: &factcheckv1.Verdict{Label: strings.Repeat("draft ", i+1)}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"verdict.label"}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.as["alice"].annotations.SubmitAnnotation(ctx, &factcheckv1.SubmitAnnotationRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.as["erin"].annotations.PublishAnnotation(ctx, &factcheckv1.PublishAnnotationRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"Disputed", "Unproven"} {
		if _, err := v.as["erin"].annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
			Annotation:     &factcheckv1.Annotation{Name: name, Verdict: &factcheckv1.Verdict{Label: label}},
			UpdateMask:     &fieldmaskpb.FieldMask{Paths: []string{"verdict.label"}},
			CorrectionNote: "Relabelled " + label,
		}); err != nil {
			t.Fatal(err)
		}
	}
	listAll := func(t *testing.T, who, parent, order string) []string {
		t.Helper()
		var ids []string
		req := &factcheckv1.ListAnnotationRevisionsRequest{Parent: parent, PageSize: 2, OrderBy: order}
		for {
			resp, err := v.as[who].annotations.ListAnnotationRevisions(ctx, req)
			if err != nil {
				t.Fatalf("ListAnnotationRevisions as %s: %v", who, err)
			}
			for _, r := range resp.GetRevisions() {
				ids = append(ids, r.GetRevisionId())
			}
			if resp.GetNextPageToken() == "" {
				return ids
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
	all := []string{"10", "9", "8", "7", "6", "5", "4", "3", "2", "1"}
	oldestFirst := slices.Clone(all)
	slices.Reverse(oldestFirst)
	for _, tc := range []struct {
		who, order string
		want       []string
	}{
		{"vic", "", []string{"10", "9", "8"}},
		{"vic", "revision_id", []string{"8", "9", "10"}},
		{"alice", "", all},
		{"bob", "", all},
		{"erin", "revision_id asc", oldestFirst},
	} {
		if got := listAll(t, tc.who, name, tc.order); !slices.Equal(got, tc.want) {
			t.Errorf("%s's revisions (%q): got %v, want %v", tc.who, tc.order, got, tc.want)
		}
	}
	// The correction notes show to everyone who sees the revisions.
	rev, err := v.as["vic"].annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: name + "/revisions/10"})
	if err != nil || rev.GetRevision().GetNote() != "Relabelled Unproven" {
		t.Errorf("viewer reads revision 10: %v, note %q", err, rev.GetRevision().GetNote())
	}
	// A hidden revision is not found, as one that does not exist, without
	// saying how many there are.
	for _, id := range []string{"6", "99"} {
		_, err := v.as["vic"].annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: name + "/revisions/" + id})
		checkErr(t, err, wantErr{code: codes.NotFound, reason: "REVISION_NOT_FOUND", resource: name + "/revisions/" + id})
		if strings.Contains(status.Convert(err).Message(), "exist)") {
			t.Errorf("revision %s: message %q counts the revisions", id, status.Convert(err).Message())
		}
	}
	if _, err := v.as["alice"].annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: name + "/revisions/6"}); err != nil {
		t.Errorf("a reviewer reads a draft revision of work now published: %v", err)
	}

	// The history of an annotation the caller cannot see does not exist.
	for _, tc := range []struct{ who, key string }{
		{"vic", "alice-draft"}, {"vic", "alice-review"}, {"bob", "alice-draft"}, {"alice", "legacy-draft"},
	} {
		parent := v.names[tc.key]
		_, err := v.as[tc.who].annotations.ListAnnotationRevisions(ctx, &factcheckv1.ListAnnotationRevisionsRequest{Parent: parent})
		checkErr(t, err, wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND", resource: parent})
		_, err = v.as[tc.who].annotations.GetAnnotationRevision(ctx, &factcheckv1.GetAnnotationRevisionRequest{Name: parent + "/revisions/1"})
		checkErr(t, err, wantErr{code: codes.NotFound, reason: "ANNOTATION_NOT_FOUND", resource: parent})
	}
	// Page tokens of a viewer's history do not serve a reviewer.
	resp, err := v.as["vic"].annotations.ListAnnotationRevisions(ctx, &factcheckv1.ListAnnotationRevisionsRequest{Parent: name, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.as["alice"].annotations.ListAnnotationRevisions(ctx, &factcheckv1.ListAnnotationRevisionsRequest{Parent: name, PageSize: 1, PageToken: resp.GetNextPageToken()})
	checkErr(t, err, wantErr{code: codes.InvalidArgument, reason: "PAGE_TOKEN_MISMATCH", fields: []string{"page_token"}})
}

// TestUniqueValuesNameNoHiddenAnnotation: a unique value (external_id, an
// annotation's ID, an import's request_id) held by an annotation the caller
// may not see is still refused, but the refusal does not name that
// annotation, and an import does not report it as existing.
func TestUniqueValuesNameNoHiddenAnnotation(t *testing.T) {
	n := newNewsroom(t)
	ctx := ctxT(t)
	draftRec := func(ext string) *factcheckv1.ImportRecord {
		r := annImport("articles/shafaq-talks", wapoQuote)
		a := r.GetAnnotation().GetAnnotation()
		a.State, a.ExternalId = factcheckv1.Annotation_STATE_UNSPECIFIED, ext
		return r
	}
	// alice's draft, created by import under a request_id.
	first := draftRec("ext-alice")
	first.RequestId = "req-alice"
	run := n.as["alice"].mustImport(t, nil, []*factcheckv1.ImportRecord{first})
	hidden := run.results[0].GetName()
	if run.results[0].GetOutcome() != factcheckv1.ImportResult_OUTCOME_CREATED {
		t.Fatalf("alice's import: %v", run.results[0])
	}
	_, hiddenID, _ := strings.Cut(hidden, "/annotations/")
	noName := func(t *testing.T, err error, reason string) {
		t.Helper()
		checkErr(t, err, wantErr{code: codes.AlreadyExists, reason: reason, says: []string{"an annotation you cannot see"}})
		if strings.Contains(statusJSON(t, err, hidden), "NAME") {
			t.Errorf("the refusal names %s: %s", hidden, statusJSON(t, err, hidden))
		}
	}

	t.Run("CreateAnnotation", func(t *testing.T) {
		_, err := n.as["bob"].annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
			Parent: "articles/shafaq-talks", Annotation: draftRec("ext-alice").GetAnnotation().GetAnnotation()})
		noName(t, err, "EXTERNAL_ID_ALREADY_EXISTS")
		_, err = n.as["bob"].annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
			Parent: "articles/shafaq-talks", AnnotationId: hiddenID, Annotation: draftRec("").GetAnnotation().GetAnnotation()})
		noName(t, err, "ANNOTATION_ALREADY_EXISTS")
	})
	t.Run("BatchCreateAnnotations", func(t *testing.T) {
		_, err := n.as["bob"].annotations.BatchCreateAnnotations(ctx, &factcheckv1.BatchCreateAnnotationsRequest{
			Parent: "articles/shafaq-talks", Requests: []*factcheckv1.CreateAnnotationRequest{
				{Annotation: draftRec("ext-bob-1").GetAnnotation().GetAnnotation()},
				{Annotation: draftRec("ext-alice").GetAnnotation().GetAnnotation()},
			}})
		noName(t, err, "EXTERNAL_ID_ALREADY_EXISTS")
	})
	t.Run("UpdateAnnotation", func(t *testing.T) {
		own, err := n.as["bob"].annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
			Parent: "articles/shafaq-talks", Annotation: draftRec("ext-bob-2").GetAnnotation().GetAnnotation()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = n.as["bob"].annotations.UpdateAnnotation(ctx, &factcheckv1.UpdateAnnotationRequest{
			Annotation: &factcheckv1.Annotation{Name: own.GetAnnotation().GetName(), ExternalId: "ext-alice"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"external_id"}}})
		noName(t, err, "EXTERNAL_ID_ALREADY_EXISTS")
	})
	t.Run("Import", func(t *testing.T) {
		byName := draftRec("")
		byName.GetAnnotation().GetAnnotation().Name = hidden
		byRequest := draftRec("")
		byRequest.RequestId = "req-alice"
		for _, mode := range []factcheckv1.ImportOptions_Mode{factcheckv1.ImportOptions_MODE_PARTIAL, factcheckv1.ImportOptions_MODE_ATOMIC} {
			run := n.as["bob"].mustImport(t, &factcheckv1.ImportOptions{Mode: mode},
				[]*factcheckv1.ImportRecord{draftRec("ext-alice"), byName, byRequest})
			for i, reason := range []string{"EXTERNAL_ID_ALREADY_EXISTS", "ANNOTATION_ALREADY_EXISTS", "REQUEST_ID_ALREADY_USED"} {
				r := run.results[i]
				if r.GetOutcome() != factcheckv1.ImportResult_OUTCOME_FAILED || r.GetName() != "" {
					t.Errorf("%v record %d: %v, want failed without a name", mode, i, r)
					continue
				}
				noName(t, resultStatus(r), reason)
			}
		}
	})
	t.Run("those who see it", func(t *testing.T) {
		for _, who := range []string{"alice", "erin"} {
			run := n.as[who].mustImport(t, nil, []*factcheckv1.ImportRecord{draftRec("ext-alice")})
			if r := run.results[0]; r.GetOutcome() != factcheckv1.ImportResult_OUTCOME_EXISTING || r.GetName() != hidden {
				t.Errorf("%s: %v, want %s existing", who, r, hidden)
			}
		}
		_, err := n.as["erin"].annotations.CreateAnnotation(ctx, &factcheckv1.CreateAnnotationRequest{
			Parent: "articles/shafaq-talks", Annotation: draftRec("ext-alice").GetAnnotation().GetAnnotation()})
		checkErr(t, err, wantErr{code: codes.AlreadyExists, reason: "EXTERNAL_ID_ALREADY_EXISTS", says: []string{hidden}})
		// In review, the annotation is the whole newsroom's to see.
		if _, err := n.as["alice"].annotations.SubmitAnnotation(ctx, &factcheckv1.SubmitAnnotationRequest{Name: hidden}); err != nil {
			t.Fatal(err)
		}
		run := n.as["bob"].mustImport(t, nil, []*factcheckv1.ImportRecord{draftRec("ext-alice")})
		if r := run.results[0]; r.GetOutcome() != factcheckv1.ImportResult_OUTCOME_EXISTING || r.GetName() != hidden {
			t.Errorf("bob, once it is in review: %v, want %s existing", r, hidden)
		}
	})
}
