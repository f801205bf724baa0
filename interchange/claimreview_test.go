package interchange

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

var crOpts = ClaimReviewOptions{Author: "Example Fact Check", AuthorURL: "https://factcheck.example/"}

// problemKeys reduces problem sentences to "path: kind" so tests do not pin
// their wording.
func problemKeys(ps []string) []string {
	var out []string
	for _, p := range ps {
		path, rest, _ := strings.Cut(p, ": ")
		kind := "invalid"
		switch {
		case strings.HasPrefix(rest, "missing required"):
			kind = "required"
		case strings.HasPrefix(rest, "missing recommended"):
			kind = "recommended"
		}
		out = append(out, path+": "+kind)
	}
	slices.Sort(out)
	return out
}

// expectedProblems are the gaps an export must report for what the
// annotation does not know.
func expectedProblems(a *factcheckv1.Annotation) []string {
	var want []string
	c := a.GetClaim().GetClaimant()
	if c.GetName() == "" && c.GetSameAs() == "" {
		want = append(want, "itemReviewed.author: recommended")
	} else {
		if c.GetName() == "" {
			want = append(want, "itemReviewed.author.name: required")
		}
		if c.GetKind() == factcheckv1.Claimant_KIND_UNSPECIFIED {
			want = append(want, "itemReviewed.author.@type: recommended")
		}
		if c.GetSameAs() == "" {
			want = append(want, "itemReviewed.author.sameAs: recommended")
		}
	}
	if a.GetClaim().GetClaimTime() == nil {
		want = append(want, "itemReviewed.datePublished: recommended")
	}
	if a.GetVerdict().GetRating() == factcheckv1.Rating_RATING_UNSPECIFIED {
		want = append(want, "reviewRating.bestRating: recommended", "reviewRating.ratingValue: recommended", "reviewRating.worstRating: recommended")
	}
	slices.Sort(want)
	return want
}

func TestClaimReviewExport(t *testing.T) {
	complete := 0
	for _, sm := range allSamples(t) {
		t.Run(sm.name, func(t *testing.T) {
			doc, err := ClaimReview(sm.ann, sm.article, sm.sources, baseURL, crOpts)
			if !hasVerdict(sm.ann) {
				var ee *ExportError
				if !errors.Is(err, ErrNoVerdict) || !errors.As(err, &ee) || ee.Field != "verdict" || ee.Annotation != sm.ann.Name {
					t.Fatalf("ClaimReview without verdict: err %v, want an ExportError wrapping ErrNoVerdict", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := problemKeys(ClaimReviewProblems(wire(t, doc)))
			want := expectedProblems(sm.ann)
			if !slices.Equal(got, want) {
				b, _ := json.MarshalIndent(doc, "", "  ")
				t.Errorf("problems %q, want %q; all: %q\n%s", got, want, ClaimReviewProblems(doc), b)
			}
			if len(want) == 0 {
				complete++
			}
			// The document as returned, before the wire, passes too.
			if got := problemKeys(ClaimReviewProblems(doc)); !slices.Equal(got, want) {
				t.Errorf("problems before structpb %q, want %q", got, want)
			}
			if doc["url"] != baseURL+sm.ann.Name || doc["claimReviewed"] != sm.ann.Claim.Text {
				t.Errorf("url %v, claimReviewed %v", doc["url"], doc["claimReviewed"])
			}
			rr := doc["reviewRating"].(map[string]any)
			if rr["alternateName"] != verdictText(sm.ann.Verdict) {
				t.Errorf("alternateName %v, want %q", rr["alternateName"], verdictText(sm.ann.Verdict))
			}
		})
	}
	if complete < 6 {
		t.Errorf("only %d exports were complete; the Shafaq and multilingual samples should be", complete)
	}
}

func TestClaimReviewShafaqHasNoProblems(t *testing.T) {
	sm := shafaqSample(t)
	doc, err := ClaimReview(sm.ann, sm.article, sm.sources, baseURL, crOpts)
	if err != nil {
		t.Fatal(err)
	}
	if p := ClaimReviewProblems(wire(t, doc)); len(p) != 0 {
		t.Errorf("problems: %q", p)
	}
	rr := doc["reviewRating"].(map[string]any)
	if rr["alternateName"] != "Single source" || rr["name"] != "Unproven" || rr["ratingValue"] != 3 {
		t.Errorf("reviewRating %v", rr)
	}
	// Without the newsroom, author is missing, and said so.
	doc, _ = ClaimReview(sm.ann, sm.article, sm.sources, baseURL)
	if got := problemKeys(ClaimReviewProblems(doc)); !slices.Equal(got, []string{"author: recommended"}) {
		t.Errorf("problems without options: %q", got)
	}
}

func TestRatingValue(t *testing.T) {
	for _, tc := range []struct {
		r     factcheckv1.Rating
		value int
		ok    bool
		words string
	}{
		{factcheckv1.Rating_RATING_UNSPECIFIED, 0, false, ""},
		{factcheckv1.Rating_RATING_TRUE, 5, true, "True"},
		{factcheckv1.Rating_RATING_MOSTLY_TRUE, 4, true, "Mostly true"},
		{factcheckv1.Rating_RATING_MIXED, 3, true, "Mixed"},
		{factcheckv1.Rating_RATING_MOSTLY_FALSE, 2, true, "Mostly false"},
		{factcheckv1.Rating_RATING_FALSE, 1, true, "False"},
		{factcheckv1.Rating_RATING_MISLEADING, 2, true, "Misleading"},
		{factcheckv1.Rating_RATING_UNPROVEN, 3, true, "Unproven"},
	} {
		v, ok := RatingValue(tc.r)
		if v != tc.value || ok != tc.ok || RatingWords(tc.r) != tc.words {
			t.Errorf("%v: RatingValue %d %v, words %q; want %d %v %q", tc.r, v, ok, RatingWords(tc.r), tc.value, tc.ok, tc.words)
		}
		if !tc.ok {
			continue
		}
		// Every rating's words read back as the rating.
		if got, ok := ParseRating(tc.words); !ok || got != tc.r {
			t.Errorf("ParseRating(%q) = %v %v", tc.words, got, ok)
		}
		if got, ok := ParseRating(tc.r.String()); !ok || got != tc.r {
			t.Errorf("ParseRating(%q) = %v %v", tc.r.String(), got, ok)
		}
		// Every value is on the published scale.
		if v < worstRating || v > bestRating {
			t.Errorf("%v: value %d off the scale", tc.r, v)
		}
	}
}

func TestParseRating(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want factcheckv1.Rating
		ok   bool
	}{
		{"False", factcheckv1.Rating_RATING_FALSE, true},
		{"  FALSE ", factcheckv1.Rating_RATING_FALSE, true},
		{"Pants on Fire!", factcheckv1.Rating_RATING_FALSE, true},
		{"mostly-true", factcheckv1.Rating_RATING_MOSTLY_TRUE, true},
		{"Mostly True", factcheckv1.Rating_RATING_MOSTLY_TRUE, true},
		{"MOSTLY_FALSE", factcheckv1.Rating_RATING_MOSTLY_FALSE, true},
		{"Half true", factcheckv1.Rating_RATING_MIXED, true},
		{"Missing context", factcheckv1.Rating_RATING_MISLEADING, true},
		{"Unverified", factcheckv1.Rating_RATING_UNPROVEN, true},
		{"RATING_UNSPECIFIED", 0, false},
		{"Single source", 0, false},
		{"Four Pinocchios", 0, false},
		{"", 0, false},
	} {
		got, ok := ParseRating(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRating(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRatingFromValue(t *testing.T) {
	for _, tc := range []struct {
		value, worst, best float64
		want               factcheckv1.Rating
		ok                 bool
	}{
		{1, 1, 5, factcheckv1.Rating_RATING_FALSE, true},
		{2, 1, 5, factcheckv1.Rating_RATING_MOSTLY_FALSE, true},
		{3, 1, 5, factcheckv1.Rating_RATING_MIXED, true},
		{4, 1, 5, factcheckv1.Rating_RATING_MOSTLY_TRUE, true},
		{5, 1, 5, factcheckv1.Rating_RATING_TRUE, true},
		{8, 0, 10, factcheckv1.Rating_RATING_MOSTLY_TRUE, true},
		{1, 1, 6, factcheckv1.Rating_RATING_FALSE, true},
		{6, 1, 6, factcheckv1.Rating_RATING_TRUE, true},
		{-1, -1, -1, 0, false}, // The Washington Post's "no scale" rating.
		{7, 1, 5, 0, false},
	} {
		got, ok := ratingFromValue(tc.value, tc.worst, tc.best)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ratingFromValue(%v, %v, %v) = %v %v, want %v %v", tc.value, tc.worst, tc.best, got, ok, tc.want, tc.ok)
		}
	}
}

// googleExample is Google's current ClaimReview example (research §5.3).
const googleExample = `{
  "@context": "https://schema.org",
  "@type": "ClaimReview",
  "url": "https://example.com/news/science/worldisflat.html",
  "claimReviewed": "The world is flat",
  "itemReviewed": {
    "@type": "Claim",
    "author": {"@type": "Organization", "name": "Square World Society",
               "sameAs": "https://example.flatworlders.com/we-know-that-the-world-is-flat"},
    "datePublished": "2024-06-20",
    "appearance": {
      "@type": "OpinionNewsArticle",
      "url": "https://example.com/news/a122121",
      "headline": "Square Earth - Flat earthers for the Internet age",
      "datePublished": "2024-06-22",
      "author": {"@type": "Person", "name": "T. Tellar"},
      "image": "https://example.com/photos/1x1/photo.jpg",
      "publisher": {"@type": "Organization", "name": "Skeptical News",
                    "logo": {"@type": "ImageObject", "url": "https://example.com/logo.jpg"}}
    }
  },
  "author": {"@type": "Organization", "name": "Example.com science watch"},
  "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1,
                   "alternateName": "False"}
}`

func decodeJSONMap(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestClaimReviewProblems(t *testing.T) {
	if p := ClaimReviewProblems(decodeJSONMap(t, googleExample)); len(p) != 0 {
		t.Errorf("Google's example: %q", p)
	}
	for _, tc := range []struct {
		name   string
		change func(m map[string]any)
		want   []string
	}{
		{"no claimReviewed", func(m map[string]any) { delete(m, "claimReviewed") }, []string{"claimReviewed: required"}},
		{"blank claimReviewed", func(m map[string]any) { m["claimReviewed"] = " " }, []string{"claimReviewed: required"}},
		{"no url", func(m map[string]any) { delete(m, "url") }, []string{"url: required"}},
		{"relative url", func(m map[string]any) { m["url"] = "/news/x" }, []string{"url: invalid"}},
		{"no reviewRating", func(m map[string]any) { delete(m, "reviewRating") }, []string{"reviewRating: required"}},
		{"no alternateName", func(m map[string]any) { delete(rating(m), "alternateName") }, []string{"reviewRating.alternateName: required"}},
		{"wrong @type", func(m map[string]any) { m["@type"] = "Review" }, []string{"@type: invalid"}},
		{"wrong @context", func(m map[string]any) { m["@context"] = "http://www.w3.org/ns/anno.jsonld" }, []string{"@context: invalid"}},
		{"no author", func(m map[string]any) { delete(m, "author") }, []string{"author: recommended"}},
		{"no itemReviewed", func(m map[string]any) { delete(m, "itemReviewed") }, []string{"itemReviewed: recommended"}},
		{"claim author without name", func(m map[string]any) { delete(item(m)["author"].(map[string]any), "name") }, []string{"itemReviewed.author.name: required"}},
		{"claim without appearance", func(m map[string]any) { delete(item(m), "appearance") }, []string{"itemReviewed.appearance: recommended"}},
		{"firstAppearance URL instead", func(m map[string]any) {
			delete(item(m), "appearance")
			item(m)["firstAppearance"] = "https://example.com/first"
		}, nil},
		{"claim date unreadable", func(m map[string]any) { item(m)["datePublished"] = "last June" }, []string{"itemReviewed.datePublished: invalid"}},
		{"no numbers", func(m map[string]any) {
			for _, k := range []string{"ratingValue", "bestRating", "worstRating"} {
				delete(rating(m), k)
			}
		}, []string{"reviewRating.bestRating: recommended", "reviewRating.ratingValue: recommended", "reviewRating.worstRating: recommended"}},
		{"numeric strings", func(m map[string]any) { rating(m)["ratingValue"] = "1" }, nil},
		{"best not above worst", func(m map[string]any) { rating(m)["bestRating"] = 1.0 }, []string{"reviewRating.bestRating: invalid"}},
		{"worst below 1", func(m map[string]any) { rating(m)["worstRating"] = 0.0; rating(m)["ratingValue"] = 0.0 }, []string{"reviewRating.worstRating: invalid"}},
		{"value off scale", func(m map[string]any) { rating(m)["ratingValue"] = 6.0 }, []string{"reviewRating.ratingValue: invalid"}},
		{"value not a number", func(m map[string]any) { rating(m)["ratingValue"] = "false" }, []string{"reviewRating.ratingValue: invalid"}},
		{"Washington Post's -1 scale", func(m map[string]any) {
			rating(m)["ratingValue"], rating(m)["worstRating"], rating(m)["bestRating"] = -1.0, -1.0, -1.0
		}, []string{"reviewRating.bestRating: invalid", "reviewRating.worstRating: invalid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := decodeJSONMap(t, googleExample)
			tc.change(m)
			got := problemKeys(ClaimReviewProblems(m))
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems %q, want %q (%q)", got, tc.want, ClaimReviewProblems(m))
			}
		})
	}
}

func rating(m map[string]any) map[string]any { return m["reviewRating"].(map[string]any) }
func item(m map[string]any) map[string]any   { return m["itemReviewed"].(map[string]any) }

func TestExportErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(a *factcheckv1.Annotation, art *factcheckv1.Article)
		field  string
		is     error
	}{
		{"unknown source", func(a *factcheckv1.Annotation, _ *factcheckv1.Article) {
			a.Citations = append(a.Citations, &factcheckv1.Citation{Source: "sources/gone"})
		}, "citations[1].source", ErrUnknownSource},
		{"no article URL", func(_ *factcheckv1.Annotation, art *factcheckv1.Article) { art.Url = "" }, "article.url", ErrIncomplete},
		{"no quote", func(a *factcheckv1.Annotation, _ *factcheckv1.Article) { a.Anchor = nil }, "anchor.quote.exact", ErrIncomplete},
		{"no claim", func(a *factcheckv1.Annotation, _ *factcheckv1.Article) { a.Claim.Text = "" }, "claim.text", ErrIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm := shafaqSample(t)
			tc.change(sm.ann, sm.article)
			for fname, export := range map[string]func() (map[string]any, error){
				"WebAnnotation": func() (map[string]any, error) { return WebAnnotation(sm.ann, sm.article, sm.sources, baseURL) },
				"ClaimReview":   func() (map[string]any, error) { return ClaimReview(sm.ann, sm.article, sm.sources, baseURL) },
			} {
				_, err := export()
				var ee *ExportError
				if !errors.Is(err, tc.is) || !errors.As(err, &ee) || ee.Field != tc.field {
					t.Errorf("%s: err %v, want field %s wrapping %v", fname, err, tc.field, tc.is)
				}
			}
		})
	}
}
