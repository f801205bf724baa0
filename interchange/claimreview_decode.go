package interchange

import (
	"errors"
	"fmt"
	"io"
	"strings"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

var claimReviewContainers = containers{arrays: map[string]bool{"claims": true, "@graph": true}}

// DecodeClaimReview reads schema.org ClaimReview JSON-LD: one ClaimReview, an
// array, a JSON-LD @graph, JSON Lines, or a Google Fact Check Tools
// claims:search response ({"claims": [...]}). ClaimReview carries no article
// text, so it yields annotation records only, for articles that must already
// exist (or come earlier in the same import):
//
//   - parent: itemReviewed.appearance's URL (else firstAppearance's);
//   - anchor: the quote is itemReviewed.text when present (the claim's words
//     as they appeared, which ClaimReview exports carry), else claimReviewed.
//     A claimReviewed is usually the fact-checker's summary, not words printed
//     in the article, so the server will often answer QUOTE_NOT_FOUND for
//     that record: the newsroom then sees exactly which reviews need a
//     human to find the claim in the text, rather than getting anchors on
//     words the article never printed;
//   - claim: text from claimReviewed (shortened to 2,000 characters),
//     claimant from itemReviewed.author (Person or Organization, name,
//     sameAs, description), claim_time from itemReviewed.datePublished (an
//     unreadable date is left out);
//   - verdict: rating from reviewRating's name or alternateName words (see
//     ParseRating), else from ratingValue between worstRating (default 1) and
//     bestRating (default 5) mapped onto five points; label alternateName
//     unless it is just the rating's words; rationale from reviewBody or
//     ratingExplanation;
//   - citations: citation URLs;
//   - external_id: the ClaimReview's url; labels: claimreview.author, the
//     reviewing organization's name.
//
// A Fact Check Tools claim has no appearance URL: each of its claimReview
// entries becomes a record whose parent is the review's url (the fact-check
// article, which usually quotes the claim), with text as quote and claim,
// claimant, claimDate, textualRating and publisher.name.
//
// Other nodes of a @graph (WebPage, Organization, …) are reported with an
// error wrapping ErrSkipped.
func DecodeClaimReview(r io.Reader, fn RecordFunc, opts ...DecodeOptions) error {
	return decodeItems(r, claimReviewContainers, claimReviewRecords, fn, options(opts))
}

func claimReviewRecords(v any, o DecodeOptions) ([]*factcheckv1.ImportRecord, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	if reviews, ok := m["claimReview"]; ok && !hasType(m, "ClaimReview") {
		return factCheckToolsRecords(m, values(reviews), o)
	}
	if (m["@type"] != nil || m["type"] != nil) && !hasType(m, "ClaimReview") {
		return nil, fmt.Errorf("%w: %s is not a ClaimReview", ErrSkipped, typeNames(m))
	}
	claimText := strings.TrimSpace(str(m, "claimReviewed"))
	if claimText == "" {
		return nil, errors.New("no claimReviewed")
	}
	item := obj(m, "itemReviewed")
	parent := ""
	for _, k := range []string{"appearance", "firstAppearance"} {
		if parent = iri(item[k]); parent != "" {
			break
		}
	}
	if parent == "" {
		return nil, errors.New("itemReviewed has no appearance URL: factcheck needs the article the claim appeared in")
	}
	quote := strings.TrimSpace(str(item, "text"))
	if quote == "" {
		quote = claimText
	}
	a := &factcheckv1.Annotation{
		Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: quote}},
		Claim:      &factcheckv1.Claim{Text: claimFromQuote(claimText)},
		ExternalId: str(m, "url"),
	}
	if au := obj(item, "author"); au != nil {
		a.Claim.Claimant = claimantFrom(au)
	} else if name := str(item, "author"); name != "" {
		a.Claim.Claimant = &factcheckv1.Claimant{Name: name}
	}
	if t, ok := timestamp(str(item, "datePublished")); ok {
		a.Claim.ClaimTime = t
	}
	rr := obj(m, "reviewRating")
	verdict := &factcheckv1.Verdict{Rationale: strings.TrimSpace(str(m, "reviewBody"))}
	if verdict.Rationale == "" {
		verdict.Rationale = strings.TrimSpace(str(rr, "ratingExplanation"))
	}
	// name first: factcheck's exports put the rating's own words there while
	// alternateName may be a label that reads like another rating.
	alt := strings.TrimSpace(str(rr, "alternateName"))
	r, ok := ParseRating(str(rr, "name"))
	if !ok {
		r, ok = ParseRating(alt)
	}
	if !ok && rr != nil {
		value, hv := number(rr["ratingValue"])
		worst, hw := number(rr["worstRating"])
		best, hb := number(rr["bestRating"])
		if !hw {
			worst = worstRating
		}
		if !hb {
			best = bestRating
		}
		if hv {
			r, _ = ratingFromValue(value, worst, best)
		}
	}
	verdict.Rating, verdict.Label = r, labelFor(alt, r)
	if verdict.Rating != 0 || verdict.Label != "" || verdict.Rationale != "" {
		a.Verdict = verdict
	}
	for _, c := range values(m["citation"]) {
		if u := iri(c); isAbsURI(u) {
			a.Citations = append(a.Citations, &factcheckv1.Citation{Source: u})
		}
	}
	if name := str(obj(m, "author"), "name"); name != "" {
		addLabel(a, "claimreview.author", truncateBytes(name, maxLabelValue))
	}
	applyAnchorMode(a.Anchor, o.Anchor)
	return []*factcheckv1.ImportRecord{annotationRecord(parent, a, factcheckv1.PositionUnit_POSITION_UNIT_UNSPECIFIED)}, nil
}

// factCheckToolsRecords maps one claim of a claims:search response.
func factCheckToolsRecords(m map[string]any, reviews []any, o DecodeOptions) ([]*factcheckv1.ImportRecord, error) {
	text := strings.TrimSpace(str(m, "text"))
	if text == "" {
		return nil, errors.New("claim without text")
	}
	var recs []*factcheckv1.ImportRecord
	for i, rv := range reviews {
		rev, ok := rv.(map[string]any)
		if !ok || str(rev, "url") == "" {
			return nil, fmt.Errorf("claimReview[%d] has no url", i)
		}
		a := &factcheckv1.Annotation{
			Anchor:     &factcheckv1.Anchor{Quote: &factcheckv1.TextQuoteSelector{Exact: text}},
			Claim:      &factcheckv1.Claim{Text: claimFromQuote(text)},
			ExternalId: str(rev, "url"),
		}
		if c := str(m, "claimant"); c != "" {
			a.Claim.Claimant = &factcheckv1.Claimant{Name: c}
		}
		if t, ok := timestamp(str(m, "claimDate")); ok {
			a.Claim.ClaimTime = t
		}
		if tr := strings.TrimSpace(str(rev, "textualRating")); tr != "" {
			r, _ := ParseRating(tr)
			a.Verdict = &factcheckv1.Verdict{Rating: r, Label: labelFor(tr, r)}
		}
		if name := str(obj(rev, "publisher"), "name"); name != "" {
			addLabel(a, "claimreview.author", truncateBytes(name, maxLabelValue))
		}
		applyAnchorMode(a.Anchor, o.Anchor)
		recs = append(recs, annotationRecord(str(rev, "url"), a, factcheckv1.PositionUnit_POSITION_UNIT_UNSPECIFIED))
	}
	return recs, nil
}

func claimantFrom(au map[string]any) *factcheckv1.Claimant {
	c := &factcheckv1.Claimant{Name: str(au, "name"), SameAs: str(au, "sameAs"), Description: str(au, "description")}
	// schema.org has many kinds of organization (NewsMediaOrganization,
	// GovernmentOrganization, …) and all of them are organizations here.
	for _, t := range values(au["@type"]) {
		switch t, _ := t.(string); {
		case t == "Person" || strings.HasSuffix(t, "/Person"):
			c.Kind = factcheckv1.Claimant_KIND_PERSON
		case strings.HasSuffix(t, "Organization"):
			c.Kind = factcheckv1.Claimant_KIND_ORGANIZATION
		}
	}
	return c
}

func applyAnchorMode(a *factcheckv1.Anchor, mode AnchorMode) {
	if mode != AnchorAsGiven {
		a.Position = nil
	}
	if mode == AnchorQuote {
		a.Quote.Prefix, a.Quote.Suffix = "", ""
	}
}
