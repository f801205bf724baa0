package interchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/factcheck/factcheck/anchor"
	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// got is one call of a RecordFunc.
type got struct {
	line int
	rec  *factcheckv1.ImportRecord
	err  error
}

type decodeFunc func(io.Reader, RecordFunc) error

func collect(t *testing.T, decode decodeFunc, input string) ([]got, error) {
	t.Helper()
	var out []got
	err := decode(strings.NewReader(input), func(line int, rec *factcheckv1.ImportRecord, err error) error {
		if (rec == nil) == (err == nil) {
			t.Errorf("line %d: record %v and error %v: want exactly one", line, rec, err)
		}
		out = append(out, got{line, rec, err})
		return nil
	})
	return out, err
}

func records(gs []got) []*factcheckv1.ImportRecord {
	var out []*factcheckv1.ImportRecord
	for _, g := range gs {
		if g.rec != nil {
			out = append(out, g.rec)
		}
	}
	return out
}

// errorLines lists the lines of reported errors, checking each is a
// *DecodeError that knows its line.
func errorLines(t *testing.T, gs []got) []int {
	t.Helper()
	var out []int
	for _, g := range gs {
		if g.err == nil {
			continue
		}
		var de *DecodeError
		if !errors.As(g.err, &de) || de.Line != g.line || !strings.Contains(g.err.Error(), fmt.Sprintf("line %d", g.line)) {
			t.Errorf("error %v at line %d is not a DecodeError naming the line", g.err, g.line)
		}
		out = append(out, g.line)
	}
	return out
}

func diffRecords(t *testing.T, want, got []*factcheckv1.ImportRecord) {
	t.Helper()
	if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
}

func TestDecodeJSONL(t *testing.T) {
	input := strings.Join([]string{
		`{"article": {"url": "https://news.example/a", "text": "Hello world"}}`,
		``,
		`{"source": {"url": "https://source.example/"}, "requestId": "r1"}`,
		`{"annotation": {"parent": "https://news.example/a", "annotation": {"anchor": {"quote": {"exact": "world"}}, "claim": {"text": "The world"}}, "positionUnit": "POSITION_UNIT_UTF16"}}`,
		`{"article": {"url": `,
		`{"bogus": 1}`,
		`{}`,
		"   \t",
		`{"source": {"url": "https://other.example/"}}`,
	}, "\n")
	want := []*factcheckv1.ImportRecord{
		{Record: &factcheckv1.ImportRecord_Article{Article: &factcheckv1.Article{Url: "https://news.example/a", Text: "Hello world"}}},
		{Record: &factcheckv1.ImportRecord_Source{Source: &factcheckv1.Source{Url: "https://source.example/"}}, RequestId: "r1"},
		annotationRecord("https://news.example/a", &factcheckv1.Annotation{
			Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "world"}},
			Claim:  &factcheckv1.Claim{Text: "The world"},
		}, factcheckv1.PositionUnit_POSITION_UNIT_UTF16),
		{Record: &factcheckv1.ImportRecord_Source{Source: &factcheckv1.Source{Url: "https://other.example/"}}},
	}
	for name, in := range map[string]string{"LF": input, "CRLF": strings.ReplaceAll(input, "\n", "\r\n")} {
		t.Run(name, func(t *testing.T) {
			gs, err := collect(t, DecodeJSONL, in)
			if err != nil {
				t.Fatal(err)
			}
			diffRecords(t, want, records(gs))
			if lines := errorLines(t, gs); fmt.Sprint(lines) != "[5 6 7]" {
				t.Errorf("errors at lines %v, want [5 6 7]", lines)
			}
			var recLines []int
			for _, g := range gs {
				if g.rec != nil {
					recLines = append(recLines, g.line)
				}
			}
			if fmt.Sprint(recLines) != "[1 3 4 9]" {
				t.Errorf("records at lines %v, want [1 3 4 9]", recLines)
			}
		})
	}

	// The callback's error stops decoding and comes back as it was.
	stop := errors.New("stop")
	n := 0
	err := DecodeJSONL(strings.NewReader(input), func(int, *factcheckv1.ImportRecord, error) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("stopping callback: err %v after %d calls", err, n)
	}
}

// carried is what an import of a's Web Annotation export must give back:
// everything the format carries.
func carried(sm sample) *factcheckv1.ImportRecord {
	a := sm.ann
	want := &factcheckv1.Annotation{
		Anchor: &factcheckv1.Anchor{
			Quote:    proto.Clone(a.Anchor.Quote).(*factcheckv1.TextQuoteSelector),
			Position: a.Anchor.Position,
		},
		Claim:      &factcheckv1.Claim{Text: a.Claim.Text, Claimant: a.Claim.Claimant},
		ExternalId: baseURL + a.Name,
	}
	if a.Claim.ClaimTime != nil {
		want.Claim.ClaimTime = timestamppb.New(a.Claim.ClaimTime.AsTime().Truncate(time.Second))
	}
	if hasVerdict(a) || a.Verdict.GetRationale() != "" {
		want.Verdict = &factcheckv1.Verdict{
			Rating:    a.Verdict.Rating,
			Label:     labelFor(verdictText(a.Verdict), a.Verdict.Rating),
			Rationale: a.Verdict.Rationale,
		}
	}
	for _, c := range a.Citations {
		u := c.Source
		if s := sm.sources[c.Source]; s != nil {
			u = s.Url
		}
		want.Citations = append(want.Citations, &factcheckv1.Citation{Source: u, Quote: c.Quote, Stance: c.Stance, Note: c.Note})
	}
	if len(a.Labels) > 0 {
		want.Labels = a.Labels
	}
	return annotationRecord(sm.article.Url, want, factcheckv1.PositionUnit_POSITION_UNIT_UNSPECIFIED)
}

func TestWebAnnotationRoundTrip(t *testing.T) {
	samples := allSamples(t)
	var docs []any
	var want []*factcheckv1.ImportRecord
	for _, sm := range samples {
		doc, err := WebAnnotation(sm.ann, sm.article, sm.sources, baseURL)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, wire(t, doc))
		want = append(want, carried(sm))
	}
	marshal := func(v any, indent bool) string {
		var b []byte
		var err error
		if indent {
			b, err = json.MarshalIndent(v, "", "  ")
		} else {
			b, err = json.Marshal(v)
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var jsonl, concatenated strings.Builder
	for _, d := range docs {
		jsonl.WriteString(marshal(d, false) + "\n")
		concatenated.WriteString(marshal(d, true) + "\n")
	}
	page := map[string]any{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationPage", "items": docs}
	collection := map[string]any{
		"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationCollection", "total": len(docs),
		"first": map[string]any{"type": "AnnotationPage", "items": docs},
	}
	for name, in := range map[string]string{
		"array":              marshal(docs, true),
		"JSON Lines":         jsonl.String(),
		"page":               marshal(page, true),
		"collection":         marshal(collection, false),
		"concatenated":       concatenated.String(),
		"single-line array":  marshal(docs, false),
		"collection, pretty": marshal(collection, true),
	} {
		t.Run(name, func(t *testing.T) {
			gs, err := collect(t, decodeFunc(func(r io.Reader, fn RecordFunc) error { return DecodeWebAnnotations(r, fn) }), in)
			if err != nil {
				t.Fatal(err)
			}
			errorLines(t, gs)
			diffRecords(t, want, records(gs))
		})
	}

	// Items of a pretty-printed array are reported at the line they start on.
	in := marshal(docs[:5], true)
	var starts []int
	for i, l := range strings.Split(in, "\n") {
		if l == "  {" {
			starts = append(starts, i+1)
		}
	}
	gs, err := collect(t, func(r io.Reader, fn RecordFunc) error { return DecodeWebAnnotations(r, fn) }, in)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, g := range gs {
		lines = append(lines, g.line)
	}
	if fmt.Sprint(lines) != fmt.Sprint(starts) {
		t.Errorf("item lines %v, want %v", lines, starts)
	}
}

func decodeW3C(r io.Reader, fn RecordFunc) error { return DecodeWebAnnotations(r, fn) }

func TestDecodeWebAnnotationsErrors(t *testing.T) {
	good := `{"@context": "http://www.w3.org/ns/anno.jsonld", "id": "https://x.example/1", "type": "Annotation", "body": {"type": "TextualBody", "value": "A comment"}, "target": {"source": "https://news.example/a", "selector": {"type": "TextQuoteSelector", "exact": "Hello"}}}`
	wantGood := annotationRecord("https://news.example/a", &factcheckv1.Annotation{
		Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "Hello"}},
		Claim:      &factcheckv1.Claim{Text: "Hello"},
		Verdict:    &factcheckv1.Verdict{Rationale: "A comment"},
		ExternalId: "https://x.example/1",
	}, 0)

	t.Run("JSON Lines", func(t *testing.T) {
		in := strings.Join([]string{
			good,
			`{"type": "Annotation", "target": {"source": `,
			``,
			good,
			`"just a string"`,
			`{"type": "Annotation", "target": "https://news.example/a"}`,
			`{"type": "Annotation", "target": {"source": "https://news.example/a", "selector": {"type": "TextPositionSelector", "start": 1, "end": 3}}}`,
			`{"type": "Annotation", "target": {"source": "https://news.example/a", "selector": [{"type": "TextQuoteSelector", "exact": "Hello"}, {"type": "TextPositionSelector", "start": -1, "end": 3}]}}`,
			`{"type": "AnnotationCollection", "first": "https://x.example/page1"}`,
			`{"type": "Person", "name": "Ana"}`,
			good,
		}, "\n")
		gs, err := collect(t, decodeW3C, in)
		if err != nil {
			t.Fatal(err)
		}
		diffRecords(t, []*factcheckv1.ImportRecord{wantGood, wantGood, wantGood}, records(gs))
		if lines := errorLines(t, gs); fmt.Sprint(lines) != "[2 5 6 7 8 9 10]" {
			t.Errorf("errors at lines %v", lines)
		}
		for _, g := range gs {
			if g.err != nil {
				t.Logf("line %d: %v", g.line, g.err)
			}
		}
	})

	t.Run("broken document", func(t *testing.T) {
		in := "[\n" + good + ",\n" + good + ",\n{\"type\": \"Annotation\",\n \"target\": }\n]\n"
		gs, err := collect(t, decodeW3C, in)
		var de *DecodeError
		if !errors.As(err, &de) || de.Line != 5 || de.Item != 3 {
			t.Fatalf("err %v, want a DecodeError at line 5, item 3", err)
		}
		if len(records(gs)) != 2 {
			t.Errorf("%d records before the break, want 2", len(records(gs)))
		}
	})

	t.Run("empty", func(t *testing.T) {
		for _, in := range []string{"", "\n\n  \n", "[]", `{"type": "AnnotationPage", "items": []}`} {
			gs, err := collect(t, decodeW3C, in)
			if err != nil || len(gs) != 0 {
				t.Errorf("%q: %v, %v", in, gs, err)
			}
		}
	})
}

// TestDecodeWebAnnotationsForeign reads annotations shaped as other tools
// write them.
func TestDecodeWebAnnotationsForeign(t *testing.T) {
	in := `{
  "@context": "http://www.w3.org/ns/anno.jsonld",
  "id": "http://example.org/anno23",
  "type": "Annotation",
  "motivation": "commenting",
  "body": [
    "http://example.org/evidence1",
    {"type": "TextualBody", "value": "Needs a source", "purpose": ["commenting"]},
    {"type": "TextualBody", "value": "Mostly True", "purpose": "assessing"},
    {"type": "TextualBody", "value": "Needs review", "purpose": "tagging"},
    {"id": "http://example.org/evidence2", "type": "Text"}
  ],
  "target": [
    "http://example.org/page1",
    {"source": {"id": "http://example.org/page1", "type": "Text"},
     "selector": {"type": "TextQuoteSelector", "exact": "anotation", "prefix": "this is an ", "suffix": " that has some"}}
  ]
}`
	gs, err := collect(t, decodeW3C, in)
	if err != nil {
		t.Fatal(err)
	}
	diffRecords(t, []*factcheckv1.ImportRecord{annotationRecord("http://example.org/page1", &factcheckv1.Annotation{
		Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "anotation", Prefix: "this is an ", Suffix: " that has some"}},
		Claim:      &factcheckv1.Claim{Text: "anotation"},
		Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_MOSTLY_TRUE, Rationale: "Needs a source"},
		Citations:  []*factcheckv1.Citation{{Source: "http://example.org/evidence1"}, {Source: "http://example.org/evidence2"}},
		Labels:     map[string]string{"tag.needs-review": "Needs review"},
		ExternalId: "http://example.org/anno23",
	}, 0)}, records(gs))
}

func TestDecodeOptionsAnchor(t *testing.T) {
	sm := shafaqSample(t)
	doc, err := WebAnnotation(sm.ann, sm.article, sm.sources, baseURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	for _, tc := range []struct {
		mode                   AnchorMode
		position, prefixSuffix bool
	}{
		{AnchorAsGiven, true, true},
		{AnchorQuoteContext, false, true},
		{AnchorQuote, false, false},
	} {
		var rec *factcheckv1.ImportRecord
		err := DecodeWebAnnotations(bytes.NewReader(b), func(_ int, r *factcheckv1.ImportRecord, err error) error {
			rec = r
			return err
		}, DecodeOptions{Anchor: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		an := rec.GetAnnotation().GetAnnotation().GetAnchor()
		if (an.GetPosition() != nil) != tc.position || (an.GetQuote().GetPrefix() != "") != tc.prefixSuffix || an.GetQuote().GetExact() != wapoQuote {
			t.Errorf("mode %d: anchor %v", tc.mode, an)
		}
	}
}

func multilingualText(t *testing.T) string {
	return readArticle(t, "multilingual.article.json", "multi").Text
}

func TestDecodeHypothesis(t *testing.T) {
	text := multilingualText(t)
	// "المقاومة الإسلامية في العراق" is at code points [22, 50) and UTF-16
	// units [24, 52): the flag emoji before it takes four units, two points.
	const exact = "المقاومة الإسلامية في العراق"
	prefix, suffix := "Shafaq News / 🇮🇶 رفضت ", " يوم الجمعة"
	row := func(id, extra string) string {
		return `{"id": "` + id + `", "created": "2024-10-07T12:00:00.000000+00:00", "user": "acct:ana@hypothes.is",
 "uri": "https://shafaq.example/ar/multilingual-test", "group": "__world__",
 "text": "The statement is **unsupported**.", "tags": ["False", "climate", "Needs review"],
 "target": [{"source": "https://shafaq.example/ar/multilingual-test", "selector": [
   {"type": "RangeSelector", "startContainer": "/div[1]/p[1]", "startOffset": 21, "endContainer": "/div[1]/p[1]", "endOffset": 49},
   {"type": "TextPositionSelector", "start": 24, "end": 52},
   {"type": "TextQuoteSelector", "exact": "` + exact + `", "prefix": "` + prefix + `", "suffix": "` + suffix + `"}]}],
 "document": {"title": ["Multilingual anchoring test"]}, "links": {"html": "https://hypothes.is/a/` + id + `"}` + extra + `}`
	}
	wantRec := func(id string) *factcheckv1.ImportRecord {
		return annotationRecord("https://shafaq.example/ar/multilingual-test", &factcheckv1.Annotation{
			Anchor: &factcheckv1.Anchor{
				Quote:    &factcheckv1.TextQuoteSelector{Exact: exact, Prefix: prefix, Suffix: suffix},
				Position: &factcheckv1.TextPositionSelector{Start: 24, End: 52},
			},
			Claim:      &factcheckv1.Claim{Text: exact},
			Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_FALSE, Rationale: "The statement is **unsupported**."},
			Labels:     map[string]string{"climate": "", "tag.needs-review": "Needs review", "hypothesis.user": "acct:ana@hypothes.is"},
			ExternalId: "hypothesis:" + id,
		}, factcheckv1.PositionUnit_POSITION_UNIT_UTF16)
	}
	reply := `{"id": "r1", "uri": "https://shafaq.example/ar/multilingual-test", "text": "Agreed", "references": ["a1"], "target": [{"source": "https://shafaq.example/ar/multilingual-test"}]}`
	note := `{"id": "n1", "uri": "https://shafaq.example/ar/multilingual-test", "text": "Page note", "target": [{"source": "https://shafaq.example/ar/multilingual-test"}]}`
	decode := func(r io.Reader, fn RecordFunc) error { return DecodeHypothesis(r, fn) }

	for name, in := range map[string]string{
		"single": row("a1", ""),
		"search": `{"total": 3, "rows": [` + row("a1", "") + `, ` + reply + `, ` + note + `]}`,
		"array":  "[\n" + row("a1", "") + ",\n" + reply + "\n]",
		"JSON Lines": strings.ReplaceAll(row("a1", ""), "\n", "") + "\n" + reply + "\n" +
			strings.ReplaceAll(note, "\n", ""),
	} {
		t.Run(name, func(t *testing.T) {
			gs, err := collect(t, decode, in)
			if err != nil {
				t.Fatal(err)
			}
			diffRecords(t, []*factcheckv1.ImportRecord{wantRec("a1")}, records(gs))
			for _, g := range gs {
				if g.err != nil && !errors.Is(g.err, ErrSkipped) {
					t.Errorf("line %d: %v, want ErrSkipped", g.line, g.err)
				}
			}
		})
	}

	// The UTF-16 span is the code point span the sample lists, as the server
	// will compute it.
	if sp, ok := anchor.UTF16ToCodePoints(text, 24, 52); !ok || sp != (anchor.Span{Start: 22, End: 50}) {
		t.Errorf("UTF-16 [24, 52) is code points %v %v, want [22, 50)", sp, ok)
	}

	t.Run("claim line and verdict tags", func(t *testing.T) {
		in := `{"id": "c1", "uri": "https://news.example/a", "text": "Claim: Talks began in 2022\n\nThe article says otherwise.",
 "tags": ["rating: Missing context", "verdict: Four Pinocchios", "desk=politics"],
 "target": [{"source": "https://news.example/a", "selector": [{"type": "TextQuoteSelector", "exact": "talks began"}]}]}`
		gs, err := collect(t, decode, in)
		if err != nil {
			t.Fatal(err)
		}
		diffRecords(t, []*factcheckv1.ImportRecord{annotationRecord("https://news.example/a", &factcheckv1.Annotation{
			Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "talks began"}},
			Claim:      &factcheckv1.Claim{Text: "Talks began in 2022"},
			Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_MISLEADING, Label: "Missing context", Rationale: "The article says otherwise."},
			Labels:     map[string]string{"tag.verdict-four-pinocchios": "verdict: Four Pinocchios", "desk": "politics"},
			ExternalId: "hypothesis:c1",
		}, 0)}, records(gs))
	})

	t.Run("quote only", func(t *testing.T) {
		var rec *factcheckv1.ImportRecord
		err := DecodeHypothesis(strings.NewReader(row("a1", "")), func(_ int, r *factcheckv1.ImportRecord, err error) error {
			rec = r
			return err
		}, DecodeOptions{Anchor: AnchorQuoteContext})
		if err != nil {
			t.Fatal(err)
		}
		ai := rec.GetAnnotation()
		if ai.GetPositionUnit() != factcheckv1.PositionUnit_POSITION_UNIT_UNSPECIFIED || ai.GetAnnotation().GetAnchor().GetPosition() != nil {
			t.Errorf("AnchorQuoteContext kept the position: %v", ai)
		}
	})
}

// crCarried is what an import of a's ClaimReview export must give back.
func crCarried(sm sample) *factcheckv1.ImportRecord {
	a := sm.ann
	want := &factcheckv1.Annotation{
		Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: a.Anchor.Quote.Exact}},
		Claim:      &factcheckv1.Claim{Text: a.Claim.Text},
		ExternalId: baseURL + a.Name,
		Verdict: &factcheckv1.Verdict{
			Rating:    a.Verdict.Rating,
			Label:     labelFor(verdictText(a.Verdict), a.Verdict.Rating),
			Rationale: a.Verdict.Rationale,
		},
		Labels: map[string]string{"claimreview.author": crOpts.Author},
	}
	if c := a.Claim.Claimant; c.GetName() != "" || c.GetSameAs() != "" {
		want.Claim.Claimant = c
	}
	if a.Claim.ClaimTime != nil {
		want.Claim.ClaimTime = timestamppb.New(a.Claim.ClaimTime.AsTime().Truncate(time.Second))
	}
	for _, c := range a.Citations {
		u := c.Source
		if s := sm.sources[c.Source]; s != nil {
			u = s.Url
		}
		want.Citations = append(want.Citations, &factcheckv1.Citation{Source: u})
	}
	return annotationRecord(sm.article.Url, want, 0)
}

func decodeCR(r io.Reader, fn RecordFunc) error { return DecodeClaimReview(r, fn) }

func TestClaimReviewRoundTrip(t *testing.T) {
	var docs []any
	var want []*factcheckv1.ImportRecord
	for _, sm := range allSamples(t) {
		if !hasVerdict(sm.ann) {
			continue
		}
		doc, err := ClaimReview(sm.ann, sm.article, sm.sources, baseURL, crOpts)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, wire(t, doc))
		want = append(want, crCarried(sm))
	}
	b, _ := json.MarshalIndent(map[string]any{"@context": "https://schema.org", "@graph": docs}, "", " ")
	gs, err := collect(t, decodeCR, string(b))
	if err != nil {
		t.Fatal(err)
	}
	errorLines(t, gs)
	diffRecords(t, want, records(gs))
}

func TestDecodeClaimReview(t *testing.T) {
	gs, err := collect(t, decodeCR, googleExample)
	if err != nil {
		t.Fatal(err)
	}
	diffRecords(t, []*factcheckv1.ImportRecord{annotationRecord("https://example.com/news/a122121", &factcheckv1.Annotation{
		Anchor: &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "The world is flat"}},
		Claim: &factcheckv1.Claim{
			Text: "The world is flat",
			Claimant: &factcheckv1.Claimant{Name: "Square World Society", Kind: factcheckv1.Claimant_KIND_ORGANIZATION,
				SameAs: "https://example.flatworlders.com/we-know-that-the-world-is-flat"},
			ClaimTime: ts("2024-06-20T00:00:00Z"),
		},
		Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_FALSE},
		ExternalId: "https://example.com/news/science/worldisflat.html",
		Labels:     map[string]string{"claimreview.author": "Example.com science watch"},
	}, 0)}, records(gs))

	t.Run("numbers only, JSON Lines, graph nodes", func(t *testing.T) {
		in := strings.Join([]string{
			`{"@type": "ClaimReview", "url": "https://fc.example/1", "claimReviewed": "Unemployment doubled", "itemReviewed": {"@type": "Claim", "appearance": "https://news.example/jobs", "author": {"@type": "GovernmentOrganization", "name": "Ministry"}}, "reviewRating": {"@type": "Rating", "ratingValue": 8, "worstRating": 0, "bestRating": 10}}`,
			`{"@type": "WebPage", "url": "https://fc.example/"}`,
			`{"@type": "ClaimReview", "claimReviewed": "No appearance", "reviewRating": {"alternateName": "False"}}`,
			`{"@type": "ClaimReview", "url": "https://fc.example/2", "claimReviewed": "Taxes fell", "itemReviewed": {"firstAppearance": {"@type": "CreativeWork", "url": "https://news.example/tax"}, "author": "A. Politician"}, "reviewRating": {"alternateName": "Four Pinocchios", "ratingValue": -1, "worstRating": -1, "bestRating": -1}}`,
		}, "\n")
		gs, err := collect(t, decodeCR, in)
		if err != nil {
			t.Fatal(err)
		}
		diffRecords(t, []*factcheckv1.ImportRecord{
			annotationRecord("https://news.example/jobs", &factcheckv1.Annotation{
				Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "Unemployment doubled"}},
				Claim:      &factcheckv1.Claim{Text: "Unemployment doubled", Claimant: &factcheckv1.Claimant{Name: "Ministry", Kind: factcheckv1.Claimant_KIND_ORGANIZATION}},
				Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_MOSTLY_TRUE},
				ExternalId: "https://fc.example/1",
			}, 0),
			annotationRecord("https://news.example/tax", &factcheckv1.Annotation{
				Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "Taxes fell"}},
				Claim:      &factcheckv1.Claim{Text: "Taxes fell", Claimant: &factcheckv1.Claimant{Name: "A. Politician"}},
				Verdict:    &factcheckv1.Verdict{Label: "Four Pinocchios"},
				ExternalId: "https://fc.example/2",
			}, 0),
		}, records(gs))
		if lines := errorLines(t, gs); fmt.Sprint(lines) != "[2 3]" {
			t.Errorf("errors at lines %v, want [2 3]", lines)
		}
		if !errors.Is(gs[1].err, ErrSkipped) || errors.Is(gs[2].err, ErrSkipped) {
			t.Errorf("WebPage node: %v; no appearance: %v", gs[1].err, gs[2].err)
		}
	})

	t.Run("Fact Check Tools", func(t *testing.T) {
		in := `{"claims": [{"text": "The moon is made of cheese", "claimant": "A blogger", "claimDate": "2024-01-02T03:04:05Z",
  "claimReview": [
    {"publisher": {"name": "PolitiFact", "site": "politifact.com"}, "url": "https://www.politifact.com/moon", "title": "No", "reviewDate": "2024-01-05T00:00:00Z", "textualRating": "Pants on Fire", "languageCode": "en"},
    {"publisher": {"name": "The Washington Post"}, "url": "https://www.washingtonpost.com/moon", "textualRating": "Four Pinocchios"}]}],
 "nextPageToken": "abc"}`
		gs, err := collect(t, decodeCR, in)
		if err != nil {
			t.Fatal(err)
		}
		claim := &factcheckv1.Claim{Text: "The moon is made of cheese", Claimant: &factcheckv1.Claimant{Name: "A blogger"}, ClaimTime: ts("2024-01-02T03:04:05Z")}
		quote := &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: "The moon is made of cheese"}}
		diffRecords(t, []*factcheckv1.ImportRecord{
			annotationRecord("https://www.politifact.com/moon", &factcheckv1.Annotation{
				Anchor: quote, Claim: claim, ExternalId: "https://www.politifact.com/moon",
				Verdict: &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_FALSE, Label: "Pants on Fire"},
				Labels:  map[string]string{"claimreview.author": "PolitiFact"},
			}, 0),
			annotationRecord("https://www.washingtonpost.com/moon", &factcheckv1.Annotation{
				Anchor: quote, Claim: claim, ExternalId: "https://www.washingtonpost.com/moon",
				Verdict: &factcheckv1.Verdict{Label: "Four Pinocchios"},
				Labels:  map[string]string{"claimreview.author": "The Washington Post"},
			}, 0),
		}, records(gs))
	})
}

func TestLabelsAndTags(t *testing.T) {
	for _, tc := range []struct{ tag, key, value string }{
		{"politics", "politics", ""},
		{"desk=politics", "desk", "politics"},
		{"batch.id=", "batch.id", ""},
		{"Needs review", "tag.needs-review", "Needs review"},
		{"Desk=Politics", "tag.desk-politics", "Desk=Politics"},
		{"الانتخابات", "tag.", "الانتخابات"},
		{"الانتخابات 2024", "tag.2024-", "الانتخابات 2024"},
	} {
		k, v := tagLabel(tc.tag)
		if !strings.HasPrefix(k, tc.key) || v != tc.value || !labelKeyRE.MatchString(k) {
			t.Errorf("tagLabel(%q) = %q, %q; want key %q…, value %q", tc.tag, k, v, tc.key, tc.value)
		}
		if tc.key == "tag." && len(k) == len("tag.") {
			t.Errorf("tagLabel(%q): empty slug", tc.tag)
		}
	}
	k, _ := tagLabel(strings.Repeat("very long tag ", 20))
	if !labelKeyRE.MatchString(k) {
		t.Errorf("long tag key %q", k)
	}
	if a, b := slug("الانتخابات"), slug("الاقتصاد"); a == b {
		t.Errorf("different Arabic tags share the slug %q", a)
	}
	long := strings.Repeat("ب", 2500)
	if c := claimFromQuote(long); len([]rune(c)) != maxClaimText || !strings.HasSuffix(c, "…") {
		t.Errorf("claimFromQuote: %d characters", len([]rune(c)))
	}
}

// TestStreaming decodes 100,000 Hypothesis rows from a pipe, the way a large
// file arrives, and checks the line counter keeps only what it has not
// counted.
func TestStreaming(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 5_000
	}
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, `{"total": `+fmt.Sprint(n)+`, "rows": [`)
		for i := range n {
			if i > 0 {
				io.WriteString(pw, ",\n")
			}
			fmt.Fprintf(pw, `{"id": "id%d", "uri": "https://news.example/%d", "text": "", "tags": [], "target": [{"source": "https://news.example/%d", "selector": [{"type": "TextQuoteSelector", "exact": "word %d"}]}]}`, i, i%100, i%100, i)
		}
		io.WriteString(pw, "]}\n")
		pw.Close()
	}()
	count, lastLine := 0, 0
	err := DecodeHypothesis(pr, func(line int, rec *factcheckv1.ImportRecord, err error) error {
		if err != nil {
			return err
		}
		count++
		lastLine = line
		return nil
	})
	if err != nil || count != n || lastLine != n {
		t.Errorf("decoded %d records, last at line %d, err %v; want %d", count, lastLine, err, n)
	}

	lc := &lineCounter{r: strings.NewReader(strings.Repeat("x\n", 1000)), line: 1}
	buf := make([]byte, 100)
	var off int64
	for {
		k, err := lc.Read(buf)
		off += int64(k)
		if got := lc.lineAt(off, false); got != int(off/2)+1 || len(lc.buf) != 0 {
			t.Fatalf("lineAt(%d) = %d, %d bytes kept", off, got, len(lc.buf))
		}
		if err != nil {
			break
		}
	}
}

func TestByteOrderMark(t *testing.T) {
	gs, err := collect(t, DecodeJSONL, "\ufeff"+`{"source": {"url": "https://s.example/"}}`+"\n")
	if err != nil || len(records(gs)) != 1 {
		t.Errorf("JSONL with BOM: %v, %v", gs, err)
	}
	gs, err = collect(t, decodeCR, "\ufeff"+googleExample)
	if err != nil || len(records(gs)) != 1 {
		t.Errorf("ClaimReview with BOM: %v, %v", gs, err)
	}
}
