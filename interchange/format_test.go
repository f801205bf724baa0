package interchange

import (
	"strings"
	"testing"
)

func TestDetectFormat(t *testing.T) {
	longText := strings.Repeat("word ", DetectLen)
	cut := func(s string) []byte {
		if len(s) > DetectLen {
			s = s[:DetectLen]
		}
		return []byte(s)
	}
	w3c := `{"@context": "http://www.w3.org/ns/anno.jsonld", "id": "https://x.example/1", "type": "Annotation", "target": {"source": "https://a.example/"}}`
	hyp := `{"id": "abc", "created": "2024-01-01", "uri": "https://a.example/", "text": "", "target": [{"source": "https://a.example/"}]}`
	for _, tc := range []struct {
		name, file, content string
		want                Format
	}{
		{"factcheck JSONL", "export.jsonl", `{"article": {"url": "https://a.example/", "text": "` + longText + `"}}`, FormatJSONL},
		{"factcheck JSONL, request id first", "x.ndjson", `{"requestId": "r1", "source": {"url": "https://s.example/"}}`, FormatJSONL},
		{"factcheck records in .json", "records.json", `{"annotation": {"parent": "articles/a"}}`, FormatJSONL},
		{"empty .jsonl", "empty.jsonl", ``, FormatJSONL},
		{"W3C in .jsonl", "annos.jsonl", w3c + "\n" + w3c, FormatWebAnnotation},
		{"W3C", "anno.jsonld", w3c, FormatWebAnnotation},
		{"W3C array, context array", "annos.json", `[{"@context": ["http://www.w3.org/ns/anno.jsonld", {"factcheck": "` + Namespace + `"}], "type": "Annotation"}]`, FormatWebAnnotation},
		{"W3C collection", "c.json", `{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationCollection", "first": {`, FormatWebAnnotation},
		{"W3C without context", "a.json", `{"type": ["Annotation"], "body": {"value": "` + longText + `"}}`, FormatWebAnnotation},
		{"W3C, no type or context", "a.json", `{"body": "https://x.example/", "target": "https://a.example/"}`, FormatWebAnnotation},
		{"Hypothesis annotation", "h.json", hyp, FormatHypothesis},
		{"Hypothesis search response", "search.json", `{"total": 2, "rows": [` + hyp, FormatHypothesis},
		{"Hypothesis JSON Lines", "h.jsonl", hyp + "\n" + hyp, FormatHypothesis},
		{"Hypothesis user first", "h.json", `{"user": "acct:ana@hypothes.is", "text": "` + longText, FormatHypothesis},
		{"ClaimReview", "review.jsonld", googleExample, FormatClaimReview},
		{"ClaimReview, type later", "review.json", `{"url": "https://fc.example/", "@type": "ClaimReview"}`, FormatClaimReview},
		{"schema.org graph", "page.json", `{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}]}`, FormatClaimReview},
		{"Fact Check Tools", "search.json", `{"claims": [{"text": "x", "claimReview": []}], "nextPageToken": "a"}`, FormatClaimReview},
		{"ClaimReview array", "reviews.json", `[` + googleExample + `]`, FormatClaimReview},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DetectFormat(tc.file, cut(tc.content))
			if err != nil || got != tc.want {
				t.Errorf("DetectFormat(%q) = %v, %v; want %v", tc.file, got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ file, content string }{
		{"data.json", `{"foo": 1}`},
		{"data.json", ``},
		{"notes.txt", `hello`},
		{"x.jsonld", `[1, 2, 3]`},
		{"x.json", `{"article": 1, "other": 2}`},
	} {
		got, err := DetectFormat(tc.file, []byte(tc.content))
		if err == nil || got != FormatUnknown || !strings.Contains(err.Error(), "--format") || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("DetectFormat(%q, %q) = %v, %v; want an error asking for --format", tc.file, tc.content, got, err)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
	}{
		{"jsonl", FormatJSONL},
		{"NDJSON", FormatJSONL},
		{"webannotation", FormatWebAnnotation},
		{"web-annotation", FormatWebAnnotation},
		{"W3C", FormatWebAnnotation},
		{"hypothesis", FormatHypothesis},
		{"claimreview", FormatClaimReview},
		{"claim_review", FormatClaimReview},
	} {
		got, err := ParseFormat(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, err := ParseFormat(got.String()); err != nil || back != got {
			t.Errorf("ParseFormat(%v.String()) = %v, %v", got, back, err)
		}
	}
	if _, err := ParseFormat("csv"); err == nil || !strings.Contains(err.Error(), FormatNames) {
		t.Errorf("ParseFormat(csv): %v", err)
	}
	if FormatUnknown.String() != "unknown" || Format(9).String() != "Format(9)" {
		t.Errorf("String: %v %v", FormatUnknown, Format(9))
	}
}
