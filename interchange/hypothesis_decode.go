package interchange

import (
	"errors"
	"fmt"
	"io"
	"strings"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

var hypothesisContainers = containers{arrays: map[string]bool{"rows": true}}

// DecodeHypothesis reads Hypothesis API annotations: one annotation, an
// array of them, a search response ({"rows": [...]}), or JSON Lines of
// either. Each annotation of a text span becomes an annotation record:
//
//   - parent: uri (else the target's source), the annotated page's URL;
//   - anchor: the first target's TextQuoteSelector and TextPositionSelector,
//     with position_unit POSITION_UNIT_UTF16 because the Hypothesis client
//     counts UTF-16 code units. Those positions count into the whole page the
//     annotator saw, which is seldom the article text factcheck stores; pass
//     DecodeOptions{Anchor: AnchorQuoteContext} to anchor by the quote alone;
//   - claim: the quote (shortened to 2,000 characters if need be), because a
//     Hypothesis annotation highlights the claim's words. When the comment's
//     first line reads "Claim: …", that line is the claim text instead;
//   - verdict: the comment (text, Markdown) is the rationale. A tag that names
//     a rating (see ParseRating), optionally written "rating: …" or
//     "verdict: …", gives the verdict's rating and, when its words differ from
//     the rating's, its label; "rating: Missing context" with unknown words
//     is a label alone;
//   - labels: the other tags (see the package documentation), and
//     hypothesis.user = user;
//   - external_id: "hypothesis:" + id, so a second import finds the first.
//
// Replies and page notes (no quoted text) are reported with an error
// wrapping ErrSkipped.
func DecodeHypothesis(r io.Reader, fn RecordFunc, opts ...DecodeOptions) error {
	return decodeItems(r, hypothesisContainers, hypothesisRecords, fn, options(opts))
}

func hypothesisRecords(v any, o DecodeOptions) ([]*factcheckv1.ImportRecord, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	if len(values(m["references"])) > 0 {
		return nil, fmt.Errorf("%w: reply %s", ErrSkipped, str(m, "id"))
	}
	target := obj(m, "target")
	q, pos := textSelectors(target)
	if q == nil {
		return nil, fmt.Errorf("%w: page note %s has no quoted text", ErrSkipped, str(m, "id"))
	}
	parent := str(m, "uri")
	if parent == "" {
		parent = iri(target["source"])
	}
	if parent == "" {
		return nil, errors.New("no uri: the annotated page is unknown")
	}
	anchor, hasPos, err := anchorFrom(q, pos, o.Anchor)
	if err != nil {
		return nil, err
	}
	unit := factcheckv1.PositionUnit_POSITION_UNIT_UNSPECIFIED
	if hasPos {
		unit = factcheckv1.PositionUnit_POSITION_UNIT_UTF16
	}
	a := &factcheckv1.Annotation{Anchor: anchor, Claim: &factcheckv1.Claim{Text: claimFromQuote(anchor.Quote.Exact)}}
	if id := str(m, "id"); id != "" {
		a.ExternalId = "hypothesis:" + id
	}

	text := strings.TrimSpace(str(m, "text"))
	if firstLine, rest, _ := strings.Cut(text, "\n"); len(firstLine) > len("claim:") && strings.EqualFold(firstLine[:len("claim:")], "claim:") {
		if c := strings.TrimSpace(firstLine[len("claim:"):]); c != "" {
			a.Claim.Text = claimFromQuote(c)
			text = strings.TrimSpace(rest)
		}
	}
	verdict := &factcheckv1.Verdict{Rationale: text}
	for _, t := range values(m["tags"]) {
		tag, ok := t.(string)
		if !ok || strings.TrimSpace(tag) == "" {
			continue
		}
		if verdict.Rating == 0 && verdict.Label == "" {
			words, explicit := ratingTag(tag)
			if r, ok := ParseRating(words); ok {
				verdict.Rating, verdict.Label = r, labelFor(words, r)
				continue
			}
			if explicit && words != "" {
				verdict.Label = words
				continue
			}
		}
		k, v := tagLabel(tag)
		addLabel(a, k, v)
	}
	if verdict.Rating != 0 || verdict.Label != "" || verdict.Rationale != "" {
		a.Verdict = verdict
	}
	if u := str(m, "user"); u != "" {
		addLabel(a, "hypothesis.user", truncateBytes(u, maxLabelValue))
	}
	return []*factcheckv1.ImportRecord{annotationRecord(parent, a, unit)}, nil
}

// ratingTag strips a "rating:" or "verdict:" prefix from a tag, reporting
// whether there was one (the tag is then a verdict whatever its words).
func ratingTag(tag string) (words string, explicit bool) {
	tag = strings.TrimSpace(tag)
	for _, p := range []string{"rating:", "verdict:"} {
		if len(tag) >= len(p) && strings.EqualFold(tag[:len(p)], p) {
			return strings.TrimSpace(tag[len(p):]), true
		}
	}
	return tag, false
}
