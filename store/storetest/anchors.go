package storetest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/factcheck/factcheck/anchor"
	"github.com/factcheck/factcheck/store"
)

// minister is a text in which "said" and "the minister" occur more than once.
const minister = "The minister said taxes fell. The opposition said taxes rose. Later the minister said nothing."

// ministerArticle creates an article with the text minister.
func (h harness) ministerArticle() *store.Article {
	h.t.Helper()
	a := newArticle(1)
	a.Text = minister
	return h.createArticle(a)
}

func testAnchorQuoteOnly(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.ministerArticle()
	got := h.createAnnotation(&store.Annotation{ArticleID: art.ID, Anchor: store.Anchor{Exact: "taxes rose"}, Claim: store.Claim{Text: "t"}})
	i := strings.Index(minister, "taxes rose")
	checkAnchored(t, got.Anchor, minister, store.Span{Start: i, End: i + len("taxes rose")}, 1)
}

func testAnchorWithPosition(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.ministerArticle()
	// "said" is ambiguous as a quote, but a position picks one occurrence.
	i := strings.LastIndex(minister, "said")
	got := h.createAnnotation(&store.Annotation{ArticleID: art.ID, Claim: store.Claim{Text: "t"},
		Anchor: store.Anchor{Exact: "said", HasPosition: true, Start: i, End: i + 4}})
	checkAnchored(t, got.Anchor, minister, store.Span{Start: i, End: i + 4}, 1)
}

func testAnchorErrors(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.ministerArticle()
	create := func(a store.Anchor) error {
		_, err := s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID, Anchor: a, Claim: store.Claim{Text: "t"}})
		return err
	}
	tests := []struct {
		name   string
		anchor store.Anchor
		reason string
		field  string
	}{
		{"empty quote", store.Anchor{}, anchor.ReasonQuoteEmpty, "anchor.quote.exact"},
		{"not found", store.Anchor{Exact: "taxes vanished"}, anchor.ReasonQuoteNotFound, "anchor.quote.exact"},
		{"ambiguous", store.Anchor{Exact: "said"}, anchor.ReasonQuoteAmbiguous, "anchor.quote.exact"},
		{"mismatch", store.Anchor{Exact: "taxes", HasPosition: true, Start: 0, End: 5}, anchor.ReasonPositionMismatch, "anchor.position"},
		{"out of range", store.Anchor{Exact: "taxes", HasPosition: true, Start: 500, End: 505}, anchor.ReasonPositionRange, "anchor.position.start"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			se := wantErr(t, create(tc.anchor), store.ErrInvalidArgument, tc.reason)
			wantViolation(t, se, tc.field)
		})
	}
	anns, _, err := s.ListAnnotations(ctx, art.ID, store.ListQuery{PageSize: 10})
	if err != nil || len(anns) != 0 {
		t.Errorf("refused creates stored %v (%v)", names(anns), err)
	}
}

func testAnchorNarrowing(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.ministerArticle()
	create := func(a store.Anchor) (*store.Annotation, error) {
		return s.CreateAnnotation(ctx, &store.Annotation{ArticleID: art.ID, Anchor: a, Claim: store.Claim{Text: "t"}})
	}
	opposition := strings.Index(minister, "opposition said") + len("opposition ")
	got, err := create(store.Anchor{Exact: "said", Prefix: "opposition "})
	check(t, err)
	if got.Anchor.Start != opposition || got.Anchor.Prefix != "opposition " {
		t.Errorf("with a prefix: Start %d, Prefix %q; want %d, the caller's prefix", got.Anchor.Start, got.Anchor.Prefix, opposition)
	}
	last := strings.LastIndex(minister, "said")
	got, err = create(store.Anchor{Exact: "said", Suffix: " nothing"})
	check(t, err)
	if got.Anchor.Start != last {
		t.Errorf("with a suffix: Start %d, want %d", got.Anchor.Start, last)
	}
	// "the minister said" (lower case) occurs once; "minister said" twice.
	_, err = create(store.Anchor{Exact: "said", Prefix: "minister "})
	wantErr(t, err, store.ErrInvalidArgument, anchor.ReasonQuoteAmbiguous)
	got, err = create(store.Anchor{Exact: "said", Prefix: "the minister "})
	check(t, err)
	if got.Anchor.Start != last {
		t.Errorf("with a narrowing prefix: Start %d, want %d", got.Anchor.Start, last)
	}
	_, err = create(store.Anchor{Exact: "said", Prefix: "nobody "})
	wantErr(t, err, store.ErrInvalidArgument, anchor.ReasonQuoteNotFound)
}

// multilingual is testdata/multilingual.article.json.
type multilingual struct {
	URL, Title, Publisher, Language, Text string
	Quotes                                []struct {
		Exact      string
		CodePoints [2]int `json:"code_points"`
		UTF16      [2]int `json:"utf16"`
		UTF8       [2]int `json:"utf8_bytes"`
	}
}

// testdataFile finds name in the repository's testdata directory by walking
// up from the working directory (a backend's package directory), so the
// suite works from wherever a backend lives.
func testdataFile(t *testing.T, name string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	check(t, err)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "testdata", name))
		if err == nil {
			return b
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testdata/%s not found in any directory above the working directory", name)
		}
		dir = parent
	}
}

func testAnchorMultilingual(t *testing.T, s store.Store) {
	h := harness{t, s}
	var m multilingual
	check(t, json.Unmarshal(testdataFile(t, "multilingual.article.json"), &m))
	art := h.createArticle(&store.Article{URL: m.URL, Title: m.Title, Publisher: m.Publisher, Language: m.Language, Text: m.Text})
	if len(m.Quotes) == 0 {
		t.Fatal("no quotes in multilingual.article.json")
	}
	for _, q := range m.Quotes {
		want := store.Anchor{Exact: q.Exact, HasPosition: true, Start: q.CodePoints[0], End: q.CodePoints[1],
			Status: store.StatusAnchored, ArticleRevision: 1,
			UTF16: store.Span{Start: q.UTF16[0], End: q.UTF16[1]}, UTF8: store.Span{Start: q.UTF8[0], End: q.UTF8[1]}}
		for _, in := range []store.Anchor{
			{Exact: q.Exact},
			{Exact: q.Exact, HasPosition: true, Start: q.CodePoints[0], End: q.CodePoints[1]},
		} {
			got := h.createAnnotation(&store.Annotation{ArticleID: art.ID, Anchor: in, Claim: store.Claim{Text: "t"}})
			got = h.getAnnotation(art.ID, got.ID)
			got.Anchor.Prefix, got.Anchor.Suffix = "", ""
			if d := diff(want, got.Anchor); d != "" {
				t.Errorf("quote %q (position given: %v) (-want +got):\n%s", q.Exact, in.HasPosition, d)
			}
		}
	}
}
