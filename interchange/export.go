package interchange

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ErrNoVerdict is wrapped by the ExportError of ClaimReview for an annotation
// that has neither a rating nor a label: ClaimReview requires a rating, and
// inventing one would publish a verdict the newsroom never gave. Servers
// report such annotations per record and go on.
var ErrNoVerdict = errors.New("the annotation has no verdict (neither rating nor label), and ClaimReview requires one")

// ErrUnknownSource is wrapped by the ExportError of a citation whose source is
// missing from the sources map and is not itself an absolute URL.
var ErrUnknownSource = errors.New("cited source not given")

// ErrIncomplete is wrapped by the ExportError of an annotation or article
// that lacks a field every export needs (article URL, anchor quote, claim
// text).
var ErrIncomplete = errors.New("required field missing")

// ExportError says why one annotation could not be exported. It wraps
// ErrNoVerdict, ErrUnknownSource or ErrIncomplete.
type ExportError struct {
	// Annotation is the annotation's resource name.
	Annotation string
	// Field is the offending field of the annotation or article, e.g.
	// "verdict" or "citations[2].source".
	Field string
	Err   error
}

func (e *ExportError) Error() string {
	name := e.Annotation
	if name == "" {
		name = "annotation"
	}
	return fmt.Sprintf("%s: %s: %v", name, e.Field, e.Err)
}

func (e *ExportError) Unwrap() error { return e.Err }

// annoContext is the @context of every exported Web Annotation. A fresh value
// each time, because callers may change the documents they get.
func annoContext() []any {
	return []any{"http://www.w3.org/ns/anno.jsonld", map[string]any{"factcheck": Namespace}}
}

// dateTime formats t as the xsd:dateTime in UTC with "Z" that the Web
// Annotation model requires (§4.3.1). Fractions of a second are dropped:
// whole seconds are what every consumer parses.
func dateTime(t *timestamppb.Timestamp) string {
	return t.AsTime().UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// WebAnnotation exports a as a W3C Web Annotation JSON-LD document (see the
// package documentation for its shape). article is a's article; sources maps
// source names (`sources/{source}`) to the sources a's citations name;
// baseURL, ending in "/", prefixes a's name to make the annotation's id.
//
// Failures are *ExportError values.
func WebAnnotation(a *factcheckv1.Annotation, article *factcheckv1.Article, sources map[string]*factcheckv1.Source, baseURL string) (map[string]any, error) {
	if err := checkCommon(a, article); err != nil {
		return nil, err
	}
	doc := map[string]any{
		"@context": annoContext(),
		"id":       baseURL + a.GetName(),
		"type":     "Annotation",
	}
	motivation := "describing"
	if hasVerdict(a) {
		motivation = "assessing"
	}
	doc["motivation"] = motivation
	if a.GetCreateTime() != nil {
		doc["created"] = dateTime(a.GetCreateTime())
	}
	if a.GetUpdateTime() != nil {
		doc["modified"] = dateTime(a.GetUpdateTime())
	}
	if a.GetAuthor() != "" {
		if isAbsURI(a.GetAuthor()) {
			doc["creator"] = map[string]any{"id": a.GetAuthor()}
		} else {
			doc["creator"] = map[string]any{"name": a.GetAuthor()}
		}
	}

	var body []any
	claim := map[string]any{
		"type":    "TextualBody",
		"purpose": "describing",
		"value":   a.GetClaim().GetText(),
		"format":  "text/plain",
	}
	if c := a.GetClaim().GetClaimant(); c != nil {
		if m := claimantAgent(c); len(m) > 0 {
			claim["factcheck:claimant"] = m
		}
	}
	if t := a.GetClaim().GetClaimTime(); t != nil {
		claim["factcheck:claimTime"] = dateTime(t)
	}
	body = append(body, claim)
	if v := a.GetVerdict(); hasVerdict(a) {
		b := map[string]any{
			"type":    "TextualBody",
			"purpose": "assessing",
			"value":   verdictText(v),
			"format":  "text/plain",
		}
		if v.GetRating() != factcheckv1.Rating_RATING_UNSPECIFIED {
			b["factcheck:rating"] = v.GetRating().String()
		}
		body = append(body, b)
	}
	if r := a.GetVerdict().GetRationale(); r != "" {
		body = append(body, map[string]any{
			"type":    "TextualBody",
			"purpose": "commenting",
			"value":   r,
			"format":  "text/markdown",
		})
	}
	for i, c := range a.GetCitations() {
		u, err := sourceURL(a, i, c, sources)
		if err != nil {
			return nil, err
		}
		b := map[string]any{
			"type":    "SpecificResource",
			"purpose": "linking",
			"source":  u,
		}
		if c.GetQuote() != "" {
			b["selector"] = map[string]any{"type": "TextQuoteSelector", "exact": c.GetQuote()}
		}
		if s := stanceWord(c.GetStance()); s != "" {
			b["factcheck:stance"] = s
		}
		if c.GetNote() != "" {
			b["factcheck:note"] = c.GetNote()
		}
		body = append(body, b)
	}
	for _, k := range sortedKeys(a.GetLabels()) {
		body = append(body, map[string]any{
			"type":    "TextualBody",
			"purpose": "tagging",
			"value":   labelTag(k, a.GetLabels()[k]),
		})
	}
	doc["body"] = body

	quote := a.GetAnchor().GetQuote()
	tq := map[string]any{"type": "TextQuoteSelector", "exact": quote.GetExact()}
	if quote.GetPrefix() != "" {
		tq["prefix"] = quote.GetPrefix()
	}
	if quote.GetSuffix() != "" {
		tq["suffix"] = quote.GetSuffix()
	}
	selectors := []any{tq}
	if p := a.GetAnchor().GetPosition(); p != nil {
		selectors = append(selectors, map[string]any{
			"type":  "TextPositionSelector",
			"start": int(p.GetStart()),
			"end":   int(p.GetEnd()),
		})
	}
	target := map[string]any{
		"type":     "SpecificResource",
		"source":   article.GetUrl(),
		"selector": selectors,
	}
	if st := timeState(a, article); st != nil {
		target["state"] = st
	}
	doc["target"] = target
	return doc, nil
}

// timeState is the TimeState of the article revision a's anchor counts into,
// or nil when no moment is known at which the article had that text.
func timeState(a *factcheckv1.Annotation, article *factcheckv1.Article) map[string]any {
	rev := a.GetAnchor().GetArticleRevision()
	if article.GetUpdateTime() == nil || (rev != 0 && rev != article.GetRevision()) {
		return nil
	}
	st := map[string]any{"type": "TimeState", "sourceDate": dateTime(article.GetUpdateTime())}
	if article.GetRevision() != 0 {
		st["factcheck:revision"] = int(article.GetRevision())
	}
	if article.GetTextSha256() != "" {
		st["factcheck:textSha256"] = article.GetTextSha256()
	}
	return st
}

func hasVerdict(a *factcheckv1.Annotation) bool {
	return a.GetVerdict().GetRating() != factcheckv1.Rating_RATING_UNSPECIFIED || a.GetVerdict().GetLabel() != ""
}

// checkCommon checks what every export needs.
func checkCommon(a *factcheckv1.Annotation, article *factcheckv1.Article) error {
	fail := func(field string) error {
		return &ExportError{Annotation: a.GetName(), Field: field, Err: ErrIncomplete}
	}
	switch {
	case a == nil:
		return fail("annotation")
	case article == nil:
		return fail("article")
	case !isAbsURI(article.GetUrl()):
		return fail("article.url")
	case a.GetAnchor().GetQuote().GetExact() == "":
		return fail("anchor.quote.exact")
	case a.GetClaim().GetText() == "":
		return fail("claim.text")
	}
	return nil
}

// sourceURL is the URL of a's i-th citation. A citation may name its source
// by URL already (as import records do), which needs no lookup.
func sourceURL(a *factcheckv1.Annotation, i int, c *factcheckv1.Citation, sources map[string]*factcheckv1.Source) (string, error) {
	if s, ok := sources[c.GetSource()]; ok && isAbsURI(s.GetUrl()) {
		return s.GetUrl(), nil
	}
	if isAbsURI(c.GetSource()) && !strings.HasPrefix(c.GetSource(), "sources/") {
		return c.GetSource(), nil
	}
	return "", &ExportError{Annotation: a.GetName(), Field: fmt.Sprintf("citations[%d].source", i),
		Err: fmt.Errorf("%w: %q", ErrUnknownSource, c.GetSource())}
}

// claimantAgent is the claimant as a Web Annotation Agent, so that the
// anno.jsonld context gives id, type and name their usual meaning.
func claimantAgent(c *factcheckv1.Claimant) map[string]any {
	m := map[string]any{}
	switch c.GetKind() {
	case factcheckv1.Claimant_KIND_PERSON:
		m["type"] = "Person"
	case factcheckv1.Claimant_KIND_ORGANIZATION:
		m["type"] = "Organization"
	}
	if c.GetName() != "" {
		m["name"] = c.GetName()
	}
	if c.GetSameAs() != "" {
		m["id"] = c.GetSameAs()
	}
	if c.GetDescription() != "" {
		m["factcheck:description"] = c.GetDescription()
	}
	return m
}

var stanceWords = map[factcheckv1.Stance]string{
	factcheckv1.Stance_STANCE_SUPPORTS: "supports",
	factcheckv1.Stance_STANCE_REFUTES:  "refutes",
	factcheckv1.Stance_STANCE_CONTEXT:  "context",
}

func stanceWord(s factcheckv1.Stance) string { return stanceWords[s] }

func parseStance(s string) factcheckv1.Stance {
	for k, v := range stanceWords {
		if strings.EqualFold(v, s) || s == k.String() {
			return k
		}
	}
	return factcheckv1.Stance_STANCE_UNSPECIFIED
}

// isAbsURI reports whether s is an absolute URI, which JSON Schema's "uri"
// format (and so the Web Annotation tests) demand of ids and sources.
func isAbsURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\n")
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
