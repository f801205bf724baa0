package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
)

// changeTests pin the change feed's promises (store.Store.ListChanges and
// ChangeNotify); Run runs them with the rest.
var changeTests = []conformanceTest{
	{"ChangesOnePerWrite", testChangesOnePerWrite},
	{"ChangesFieldPaths", testChangesFieldPaths},
	{"ChangesFailedWritesRecordNone", testChangesFailedWrites},
	{"ChangesCascade", testChangesCascade},
	{"ChangesBatchAndImport", testChangesBatchAndImport},
	{"ChangesReanchor", testChangesReanchor},
	{"ChangesPagesAndFilters", testChangesPages},
	{"ChangesNotify", testChangesNotify},
	{"ChangesConcurrentWriters", testChangesConcurrent},
}

// allChanges reads the whole feed after after, checking as it goes that
// sequences are consecutive.
func allChanges(t *testing.T, s store.Store, after int64) []*store.Change {
	t.Helper()
	var out []*store.Change
	for {
		page, err := s.ListChanges(ctx, after, nil, 7)
		check(t, err)
		for _, c := range page.Changes {
			if c.Sequence != after+1 {
				t.Fatalf("change %d follows %d: the feed has a gap or repeats", c.Sequence, after)
			}
			after = c.Sequence
			out = append(out, c)
		}
		if page.Next != after {
			t.Fatalf("unfiltered page ends at %d but Next = %d", after, page.Next)
		}
		if page.Next == page.Head {
			return out
		}
		if len(page.Changes) == 0 {
			t.Fatalf("unfiltered page after %d is empty but Head = %d", after, page.Head)
		}
	}
}

// head is the newest sequence.
func head(t *testing.T, s store.Store) int64 {
	t.Helper()
	h, _ := s.ChangeNotify()
	return h
}

// changeLine is a change in a comparable, readable form.
func changeLine(c *store.Change) string {
	s := c.Type.String() + " " + c.Resource
	if c.Parent != "" {
		s += " parent=" + c.Parent
	}
	return s
}

func changeLines(cs []*store.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = changeLine(c)
	}
	return out
}

func testChangesOnePerWrite(t *testing.T, s store.Store) {
	h := harness{t, s}
	if got := allChanges(t, s, 0); len(got) != 0 {
		t.Fatalf("a new store has changes: %v", changeLines(got))
	}
	before := time.Now().Add(-time.Second)
	a := h.createArticle(&store.Article{ID: "art", URL: "https://news.example/a", Text: claimText})
	src := h.createSource(&store.Source{ID: "src", URL: "https://evidence.example/s"})
	ann := newAnnotation(a.ID, 3)
	ann.ID = "ann"
	ann.Citations = []store.Citation{{SourceID: src.ID}}
	h.createAnnotation(ann)
	h.updateArticle(a.ID, func(a *store.Article) { a.Title = "New title" })
	h.updateSource(src.ID, func(s *store.Source) { s.Notes = "checked" })
	h.updateAnnotation(a.ID, "ann", func(x *store.Annotation) { x.Citations = nil })
	check(t, s.DeleteAnnotation(ctx, a.ID, "ann", ""))
	check(t, s.DeleteSource(ctx, src.ID, ""))
	check(t, s.DeleteArticle(ctx, a.ID, "", false))

	got := allChanges(t, s, 0)
	want := []string{
		"TYPE_CREATED articles/art",
		"TYPE_CREATED sources/src",
		"TYPE_CREATED articles/art/annotations/ann parent=articles/art",
		"TYPE_UPDATED articles/art",
		"TYPE_UPDATED sources/src",
		"TYPE_UPDATED articles/art/annotations/ann parent=articles/art",
		"TYPE_DELETED articles/art/annotations/ann parent=articles/art",
		"TYPE_DELETED sources/src",
		"TYPE_DELETED articles/art",
	}
	if d := diff(want, changeLines(got)); d != "" {
		t.Fatalf("changes (-want +got):\n%s", d)
	}
	for i, c := range got {
		if c.Sequence != int64(i+1) {
			t.Errorf("change %d has sequence %d, want %d", i, c.Sequence, i+1)
		}
		if c.Time.Location() != time.UTC || c.Time.Before(before) || c.Time.After(time.Now().Add(time.Second)) {
			t.Errorf("change %d time = %v, want about now, UTC", c.Sequence, c.Time)
		}
	}
	if !got[0].Time.Equal(a.CreateTime) {
		t.Errorf("creation time = %v, want the article's create_time %v", got[0].Time, a.CreateTime)
	}
	if n := head(t, s); n != int64(len(want)) {
		t.Errorf("head = %d, want %d", n, len(want))
	}
	// Reading from the middle returns the rest.
	if d := diff(want[4:], changeLines(allChanges(t, s, 4))); d != "" {
		t.Errorf("changes after 4 (-want +got):\n%s", d)
	}
	// Past the head: nothing, and Next stays where the caller is.
	page, err := s.ListChanges(ctx, 100, nil, 10)
	check(t, err)
	if len(page.Changes) != 0 || page.Head != int64(len(want)) {
		t.Errorf("after 100: %d changes, head %d", len(page.Changes), page.Head)
	}
}

func testChangesFieldPaths(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("art")
	src := h.createSource(newSource(1))
	h.createAnnotation(&store.Annotation{ID: "ann", ArticleID: a.ID, Anchor: store.Anchor{Exact: "Claim 01"},
		Claim: store.Claim{Text: "one"}})
	after := head(t, s)

	h.updateArticle(a.ID, func(a *store.Article) {
		a.Title = "T"
		a.Labels = map[string]string{"desk": "science"}
	})
	h.updateSource(src.ID, func(s *store.Source) { s.Kind = store.SourceDataset; s.Notes = "n" })
	h.updateAnnotation(a.ID, "ann", func(x *store.Annotation) {
		x.Verdict.Rating = store.RatingFalse
		x.Claim.Claimant.Name = "The Minister"
		x.State = store.StatePublished
	})
	h.updateAnnotation(a.ID, "ann", func(x *store.Annotation) {
		x.Anchor = store.Anchor{Exact: "Claim 02"}
	})
	h.updateArticle(a.ID, func(*store.Article) {})

	got := allChanges(t, s, after)
	want := [][]string{
		{"labels", "title"},
		{"kind", "notes"},
		{"claim.claimant.name", "state", "verdict.rating"},
		{"anchor.position", "anchor.quote.exact"},
		nil,
	}
	if len(got) != len(want) {
		t.Fatalf("%d changes, want %d: %v", len(got), len(want), changeLines(got))
	}
	for i, c := range got {
		paths := c.FieldPaths
		if i == 3 {
			// The context stored around the quote moves with it.
			paths = slices.DeleteFunc(slices.Clone(paths), func(p string) bool {
				return p == "anchor.quote.prefix" || p == "anchor.quote.suffix"
			})
		}
		if d := diff(want[i], paths); d != "" {
			t.Errorf("%s: field paths (-want +got):\n%s", changeLine(c), d)
		}
	}
}

func testChangesFailedWrites(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("art")
	src := h.createSource(newSource(1))
	ann := newAnnotation(a.ID, 1)
	ann.ID = "ann"
	ann.Citations = []store.Citation{{SourceID: src.ID}}
	h.createAnnotation(ann)
	n := head(t, s)
	_, ch := s.ChangeNotify()

	fail := errors.New("no thanks")
	errs := []error{
		func() error { _, err := s.CreateArticle(ctx, &store.Article{ID: "art", Text: "x"}); return err }(),
		func() error {
			_, err := s.CreateAnnotation(ctx, &store.Annotation{ArticleID: a.ID, Anchor: store.Anchor{Exact: "absent"}})
			return err
		}(),
		func() error {
			_, err := s.UpdateArticle(ctx, a.ID, "stale", func(*store.Article) error { return nil })
			return err
		}(),
		func() error {
			_, err := s.UpdateSource(ctx, src.ID, "", func(*store.Source) error { return fail })
			return err
		}(),
		func() error {
			_, err := s.UpdateAnnotation(ctx, a.ID, "ann", "", func(x *store.Annotation) error {
				x.Citations = []store.Citation{{SourceID: "missing"}}
				return nil
			})
			return err
		}(),
		s.DeleteArticle(ctx, a.ID, "", false),
		s.DeleteSource(ctx, src.ID, ""),
		s.DeleteAnnotation(ctx, a.ID, "missing", ""),
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("write %d succeeded; the test wants it to fail", i)
		}
	}
	if got := head(t, s); got != n {
		t.Errorf("failed writes moved the head from %d to %d: %v", n, got, changeLines(allChanges(t, s, n)))
	}
	select {
	case <-ch:
		t.Error("failed writes closed the ChangeNotify channel")
	default:
	}
}

func testChangesCascade(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("art")
	for i := range 3 {
		x := newAnnotation(a.ID, i)
		x.ID = fmt.Sprintf("n%d", i)
		h.createAnnotation(x)
	}
	after := head(t, s)
	check(t, s.DeleteArticle(ctx, a.ID, "", true))
	got := changeLines(allChanges(t, s, after))
	want := []string{
		"TYPE_DELETED articles/art/annotations/n0 parent=articles/art",
		"TYPE_DELETED articles/art/annotations/n1 parent=articles/art",
		"TYPE_DELETED articles/art/annotations/n2 parent=articles/art",
		"TYPE_DELETED articles/art",
	}
	// The annotations may go in any order, but before their article.
	slices.Sort(got[:len(got)-1])
	if d := diff(want, got); d != "" {
		t.Errorf("forced delete (-want +got):\n%s", d)
	}
}

func testChangesBatchAndImport(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("art")
	after := head(t, s)
	batch := []*store.Annotation{newAnnotation(a.ID, 1), newAnnotation(a.ID, 2)}
	batch[0].ID, batch[1].ID = "b1", "b2"
	_, err := s.CreateAnnotations(ctx, batch)
	check(t, err)
	// A batch with a failing item writes nothing.
	bad := []*store.Annotation{newAnnotation(a.ID, 3), {ArticleID: a.ID, Anchor: store.Anchor{Exact: "absent"}}}
	if _, err := s.CreateAnnotations(ctx, bad); err == nil {
		t.Fatal("a batch with an unanchorable annotation succeeded")
	}
	want := []string{
		"TYPE_CREATED articles/art/annotations/b1 parent=articles/art",
		"TYPE_CREATED articles/art/annotations/b2 parent=articles/art",
	}
	if d := diff(want, changeLines(allChanges(t, s, after))); d != "" {
		t.Fatalf("CreateAnnotations (-want +got):\n%s", d)
	}

	// An import: created records each record one change, in record order;
	// failed and existing ones none.
	after = head(t, s)
	res := h.imp(store.ImportOptions{},
		articleRec("imp", "https://news.example/imp", claimText),
		sourceRec("isrc", "https://evidence.example/isrc"),
		annRec("imp", "i1", "Claim 05", "isrc"),
		annRec("imp", "i2", "not in the text"),
		articleRec("again", a.URL, claimText), // a's URL: exists
	)
	diffOutcomes(t, "import", res, "OUTCOME_CREATED articles/imp", "OUTCOME_CREATED sources/isrc",
		"OUTCOME_CREATED articles/imp/annotations/i1", "OUTCOME_FAILED QUOTE_NOT_FOUND", "OUTCOME_EXISTING articles/art")
	want = []string{
		"TYPE_CREATED articles/imp",
		"TYPE_CREATED sources/isrc",
		"TYPE_CREATED articles/imp/annotations/i1 parent=articles/imp",
	}
	if d := diff(want, changeLines(allChanges(t, s, after))); d != "" {
		t.Fatalf("Import (-want +got):\n%s", d)
	}

	// Dry runs and failed all-or-nothing imports record nothing.
	after = head(t, s)
	h.imp(store.ImportOptions{DryRun: true}, articleRec("dry", "https://news.example/dry", claimText))
	h.imp(store.ImportOptions{AllOrNothing: true},
		articleRec("aon", "https://news.example/aon", claimText),
		annRec("aon", "x", "not in the text"))
	if got := allChanges(t, s, after); len(got) != 0 {
		t.Errorf("dry run and rolled-back import recorded %v", changeLines(got))
	}
}

func testChangesReanchor(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("art")
	for i := range 2 {
		x := newAnnotation(a.ID, i+1)
		x.ID = fmt.Sprintf("n%d", i+1)
		h.createAnnotation(x)
	}
	after := head(t, s)
	// Claim 01 moves; Claim 02 keeps its words at a new place too.
	h.updateArticle(a.ID, func(a *store.Article) { a.Text = "Preface. " + a.Text })
	got := allChanges(t, s, after)
	if len(got) != 3 {
		t.Fatalf("text change recorded %v, want the article and each annotation", changeLines(got))
	}
	if got[0].Resource != "articles/art" || got[0].Type != store.ChangeUpdated || !slices.Contains(got[0].FieldPaths, "text") {
		t.Errorf("first change = %s %v, want TYPE_UPDATED articles/art with text", changeLine(got[0]), got[0].FieldPaths)
	}
	var names []string
	for _, c := range got[1:] {
		names = append(names, c.Resource)
		if c.Parent != "articles/art" {
			t.Errorf("%s: parent %q", changeLine(c), c.Parent)
		}
		switch c.Type {
		case store.ChangeReanchored, store.ChangeClaimTextChanged, store.ChangeUpdated:
		default:
			t.Errorf("%s: re-anchoring recorded type %v", c.Resource, c.Type)
		}
		if !slices.Contains(c.FieldPaths, "anchor.position") {
			t.Errorf("%s: field paths %v lack anchor.position", c.Resource, c.FieldPaths)
		}
	}
	slices.Sort(names)
	if d := diff([]string{"articles/art/annotations/n1", "articles/art/annotations/n2"}, names); d != "" {
		t.Errorf("re-anchored (-want +got):\n%s", d)
	}
}

func testChangesPages(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("a")
	b := h.claimArticle("b")
	h.createSource(&store.Source{ID: "s", URL: "https://evidence.example/s"})
	for i := range 5 {
		for _, art := range []*store.Article{a, b} {
			x := newAnnotation(art.ID, i)
			x.ID = fmt.Sprintf("n%d", i)
			h.createAnnotation(x)
		}
	}
	h.updateAnnotation("a", "n1", func(x *store.Annotation) { x.Verdict.Rating = store.RatingTrue })
	check(t, s.DeleteAnnotation(ctx, "b", "n2", ""))
	all := allChanges(t, s, 0)

	for _, tc := range []struct {
		filter string
		want   func(c *store.Change) bool
	}{
		{"", func(*store.Change) bool { return true }},
		{"resource_type = annotation", func(c *store.Change) bool { return strings.Contains(c.Resource, "/annotations/") }},
		{"resource_type = source", func(c *store.Change) bool { return c.Resource == "sources/s" }},
		{`article = "articles/a"`, func(c *store.Change) bool { return strings.HasPrefix(c.Resource, "articles/a") }},
		{`parent = "articles/b"`, func(c *store.Change) bool { return c.Parent == "articles/b" }},
		{"type = TYPE_DELETED OR type = TYPE_UPDATED", func(c *store.Change) bool { return c.Type != store.ChangeCreated }},
		{`field_paths = "verdict.rating"`, func(c *store.Change) bool {
			return c.Resource == "articles/a/annotations/n1" && c.Type == store.ChangeUpdated
		}},
		{`resource = "articles/b/annotations/n2"`, func(c *store.Change) bool { return c.Resource == "articles/b/annotations/n2" }},
		{`change_time > "2000-01-01T00:00:00Z" AND NOT resource_type = article`, func(c *store.Change) bool { return c.Resource != "articles/a" && c.Resource != "articles/b" }},
		{"type = TYPE_PURGED", func(*store.Change) bool { return false }},
	} {
		f := parse(t, tc.filter, store.ChangeFilterSchema)
		var want []int64
		for _, c := range all {
			if tc.want(c) {
				want = append(want, c.Sequence)
			}
		}
		for _, limit := range []int{1, 2, 3, 100} {
			var got []int64
			after := int64(0)
			for calls := 0; ; calls++ {
				if calls > len(all)+2 {
					t.Fatalf("%q limit %d: no end after %d calls", tc.filter, limit, calls)
				}
				page, err := s.ListChanges(ctx, after, f, limit)
				check(t, err)
				if len(page.Changes) > limit {
					t.Fatalf("%q: %d changes for limit %d", tc.filter, len(page.Changes), limit)
				}
				for _, c := range page.Changes {
					if c.Sequence <= after {
						t.Fatalf("%q: change %d is not after %d", tc.filter, c.Sequence, after)
					}
					after = c.Sequence
					got = append(got, c.Sequence)
				}
				if page.Next < after || page.Next > page.Head {
					t.Fatalf("%q: Next %d outside [%d, %d]", tc.filter, page.Next, after, page.Head)
				}
				after = page.Next
				if page.Next == page.Head {
					break
				}
				if len(page.Changes) < limit {
					t.Fatalf("%q limit %d: a short page (%d) before the end in a small feed", tc.filter, limit, len(page.Changes))
				}
			}
			if d := diff(want, got); d != "" {
				t.Errorf("%q limit %d (-want +got):\n%s", tc.filter, limit, d)
			}
			// A page holding the last match ends the read: no empty page
			// follows.
			if n := len(want); n > 0 && n <= limit {
				page, err := s.ListChanges(ctx, 0, f, limit)
				check(t, err)
				if page.Next != page.Head {
					t.Errorf("%q limit %d: the page with every match has Next %d, Head %d", tc.filter, limit, page.Next, page.Head)
				}
			}
		}
	}
}

func testChangesNotify(t *testing.T, s store.Store) {
	h := harness{t, s}
	n0, ch0 := s.ChangeNotify()
	n1, ch1 := s.ChangeNotify()
	if n0 != 0 || n1 != 0 || ch0 != ch1 {
		t.Errorf("an idle store gave heads %d, %d and different channels", n0, n1)
	}
	select {
	case <-ch0:
		t.Fatal("the channel is closed before any change")
	default:
	}
	h.createArticle(newArticle(1))
	// Closed by the time the write returns.
	select {
	case <-ch0:
	default:
		t.Fatal("the channel is still open after a committed write")
	}
	n2, ch2 := s.ChangeNotify()
	if n2 != 1 {
		t.Errorf("head = %d after one write, want 1", n2)
	}
	select {
	case <-ch2:
		t.Fatal("the new channel is closed already")
	default:
	}
	h.imp(store.ImportOptions{}, articleRec("x", "https://news.example/x", "x"), articleRec("y", "https://news.example/y", "y"))
	if n3, _ := s.ChangeNotify(); n3 != 3 {
		t.Errorf("head = %d after an import of two, want 3", n3)
	}
	select {
	case <-ch2:
	default:
		t.Fatal("an import did not close the channel")
	}
}

func testChangesConcurrent(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("art")
	start := head(t, s)
	const writers, each = 6, 10
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		made = map[string]bool{}
		errs = make(chan error, writers)
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				x := newAnnotation(a.ID, (w*each+i)%40)
				x.ID = fmt.Sprintf("w%d-%d", w, i)
				if _, err := s.CreateAnnotation(ctx, x); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				made[store.AnnotationName(a.ID, x.ID)] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := allChanges(t, s, start)
	if len(got) != writers*each {
		t.Fatalf("%d changes for %d writes", len(got), writers*each)
	}
	for _, c := range got {
		if !made[c.Resource] || c.Type != store.ChangeCreated {
			t.Errorf("unexpected change %s", changeLine(c))
		}
		delete(made, c.Resource)
	}
}
