package interchange

import (
	"errors"
	"fmt"
	"io"
	"strings"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

var webAnnotationContainers = containers{
	arrays:  map[string]bool{"items": true},
	objects: map[string]bool{"first": true},
}

// DecodeWebAnnotations reads W3C Web Annotations: one annotation, an array of
// them, an AnnotationCollection or AnnotationPage with embedded items, or
// JSON Lines of annotations. Each annotation becomes an annotation record:
//
//   - parent: the target's source (the article URL);
//   - anchor: the target's TextQuoteSelector, and its TextPositionSelector in
//     code points (the model's unit), as DecodeOptions.Anchor allows; a target
//     without a TextQuoteSelector is an error, since factcheck anchors by
//     words; of several targets the first with one is used;
//   - claim: the describing TextualBody (with factcheck:claimant and
//     factcheck:claimTime), or else the quote itself;
//   - verdict: the assessing body (rating from factcheck:rating or from its
//     words, see ParseRating; the words are the label unless they are just
//     the rating), the commenting bodies and bodyValue as rationale (several
//     joined by blank lines; TextualBodies of other purposes count as
//     comments too);
//   - citations: SpecificResource bodies (source URL, TextQuoteSelector as
//     quote, factcheck:stance, factcheck:note) and bare IRI bodies;
//   - labels: tagging bodies (see the package documentation);
//   - external_id: the annotation's id.
//
// What WebAnnotation exports comes back unchanged apart from the fields the
// format does not carry (name, state, etag, times, author, external_id, which
// becomes the exported id). A collection whose pages are links rather than
// embedded is reported: fetching them is the caller's business.
func DecodeWebAnnotations(r io.Reader, fn RecordFunc, opts ...DecodeOptions) error {
	return decodeItems(r, webAnnotationContainers, webAnnotationRecords, fn, options(opts))
}

func webAnnotationRecords(v any, o DecodeOptions) ([]*factcheckv1.ImportRecord, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	switch {
	case hasType(m, "AnnotationCollection") || hasType(m, "AnnotationPage"):
		return nil, fmt.Errorf("%s without embedded items (first: %v): download its pages and import them", typeNames(m), m["first"])
	case (m["type"] != nil || m["@type"] != nil) && !hasType(m, "Annotation"):
		return nil, fmt.Errorf("type %q is not an Annotation", typeNames(m))
	}

	var target map[string]any
	for _, t := range values(m["target"]) {
		if t, ok := t.(map[string]any); ok {
			if q, _ := textSelectors(t); q != nil {
				target = t
				break
			}
		}
	}
	if target == nil {
		if m["target"] == nil {
			return nil, errors.New("no target")
		}
		return nil, errNoQuote
	}
	parent := iri(target["source"])
	if parent == "" {
		return nil, errors.New("the target has no source: factcheck needs the annotated article's URL")
	}
	q, pos := textSelectors(target)
	anchor, _, err := anchorFrom(q, pos, o.Anchor)
	if err != nil {
		return nil, err
	}
	a := &factcheckv1.Annotation{Anchor: anchor, ExternalId: str(m, "id")}

	var comments []string
	verdictSeen := false
	for _, b := range values(m["body"]) {
		switch b := b.(type) {
		case string:
			a.Citations = append(a.Citations, &factcheckv1.Citation{Source: b})
		case map[string]any:
			purpose := str(b, "purpose")
			switch {
			case b["source"] != nil && purpose == "tagging":
				k, v := tagLabel(iri(b["source"]))
				addLabel(a, k, v)
			case b["source"] != nil:
				a.Citations = append(a.Citations, citationFrom(b))
			case b["value"] == nil && iri(b) != "":
				a.Citations = append(a.Citations, &factcheckv1.Citation{Source: iri(b)})
			case purpose == "describing" && a.Claim == nil:
				a.Claim = claimFrom(b)
			case purpose == "assessing" && !verdictSeen:
				verdictSeen = true
				if a.Verdict == nil {
					a.Verdict = &factcheckv1.Verdict{}
				}
				text := str(b, "value")
				r, ok := ParseRating(extStr(b, "rating"))
				if !ok {
					r, _ = ParseRating(text)
				}
				a.Verdict.Rating, a.Verdict.Label = r, labelFor(text, r)
			case purpose == "tagging" || purpose == "classifying":
				k, v := tagLabel(str(b, "value"))
				addLabel(a, k, v)
			case str(b, "value") != "":
				comments = append(comments, str(b, "value"))
			}
		}
	}
	if s := str(m, "bodyValue"); s != "" {
		comments = append(comments, s)
	}
	if len(comments) > 0 {
		if a.Verdict == nil {
			a.Verdict = &factcheckv1.Verdict{}
		}
		a.Verdict.Rationale = strings.Join(comments, "\n\n")
	}
	if a.Claim == nil || a.Claim.Text == "" {
		if a.Claim == nil {
			a.Claim = &factcheckv1.Claim{}
		}
		a.Claim.Text = claimFromQuote(anchor.Quote.Exact)
	}
	return []*factcheckv1.ImportRecord{annotationRecord(parent, a, factcheckv1.PositionUnit_POSITION_UNIT_UNSPECIFIED)}, nil
}

func citationFrom(b map[string]any) *factcheckv1.Citation {
	c := &factcheckv1.Citation{Source: iri(b["source"])}
	if q, _ := textSelectors(b); q != nil {
		c.Quote = str(q, "exact")
	}
	c.Stance = parseStance(extStr(b, "stance"))
	c.Note = extStr(b, "note")
	return c
}

func claimFrom(b map[string]any) *factcheckv1.Claim {
	c := &factcheckv1.Claim{Text: str(b, "value")}
	if ag, ok := ext(b, "claimant").(map[string]any); ok {
		cl := &factcheckv1.Claimant{Name: str(ag, "name"), SameAs: iri(map[string]any{"id": ag["id"], "@id": ag["@id"]}), Description: extStr(ag, "description")}
		switch {
		case hasType(ag, "Person"):
			cl.Kind = factcheckv1.Claimant_KIND_PERSON
		case hasType(ag, "Organization"):
			cl.Kind = factcheckv1.Claimant_KIND_ORGANIZATION
		}
		c.Claimant = cl
	}
	if t, ok := timestamp(extStr(b, "claimTime")); ok {
		c.ClaimTime = t
	}
	return c
}
