package interchange

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// ClaimReviewOptions says who publishes the fact checks, which factcheck's
// data does not: the article's publisher is whoever printed the claim, not
// necessarily the newsroom that checked it.
type ClaimReviewOptions struct {
	// Author is the name of the fact-checking newsroom, ClaimReview's author.
	// Empty leaves author out, which ClaimReviewProblems reports.
	Author string
	// AuthorURL is the newsroom's home page (optional).
	AuthorURL string
	// AuthorIsPerson makes the author a Person rather than an Organization.
	AuthorIsPerson bool
}

// ClaimReview exports a as a schema.org ClaimReview JSON-LD document with
// Google's required properties (claimReviewed, reviewRating.alternateName,
// url = baseURL + a's name) and the recommended ones factcheck knows (see
// the package documentation). At most one ClaimReviewOptions may be given.
//
// Failures are *ExportError values; an annotation with neither rating nor
// label fails with ErrNoVerdict.
func ClaimReview(a *factcheckv1.Annotation, article *factcheckv1.Article, sources map[string]*factcheckv1.Source, baseURL string, opts ...ClaimReviewOptions) (map[string]any, error) {
	if err := checkCommon(a, article); err != nil {
		return nil, err
	}
	if !hasVerdict(a) {
		return nil, &ExportError{Annotation: a.GetName(), Field: "verdict", Err: ErrNoVerdict}
	}
	var o ClaimReviewOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	v := a.GetVerdict()
	rating := map[string]any{
		"@type":         "Rating",
		"alternateName": verdictText(v),
	}
	if n, ok := RatingValue(v.GetRating()); ok {
		rating["ratingValue"] = n
		rating["bestRating"] = bestRating
		rating["worstRating"] = worstRating
		rating["name"] = RatingWords(v.GetRating())
	}
	doc := map[string]any{
		"@context":      "https://schema.org",
		"@type":         "ClaimReview",
		"url":           baseURL + a.GetName(),
		"claimReviewed": a.GetClaim().GetText(),
		"reviewRating":  rating,
	}
	if a.GetCreateTime() != nil {
		doc["datePublished"] = dateTime(a.GetCreateTime())
	}
	if a.GetUpdateTime() != nil {
		doc["dateModified"] = dateTime(a.GetUpdateTime())
	}
	if o.Author != "" {
		author := map[string]any{"@type": "Organization", "name": o.Author}
		if o.AuthorIsPerson {
			author["@type"] = "Person"
		}
		if o.AuthorURL != "" {
			author["url"] = o.AuthorURL
		}
		doc["author"] = author
	}
	if v.GetRationale() != "" {
		doc["reviewBody"] = v.GetRationale()
	}

	claim := map[string]any{
		"@type": "Claim",
		// Claim is a CreativeWork, and the anchored words are its text as it
		// appeared; carrying them lets DecodeClaimReview anchor the claim again.
		"text":       a.GetAnchor().GetQuote().GetExact(),
		"appearance": appearance(article),
	}
	if c := a.GetClaim().GetClaimant(); c != nil && (c.GetName() != "" || c.GetSameAs() != "") {
		claim["author"] = schemaAgent(c)
	}
	if t := a.GetClaim().GetClaimTime(); t != nil {
		claim["datePublished"] = dateTime(t)
	}
	doc["itemReviewed"] = claim

	var cites []any
	for i, c := range a.GetCitations() {
		u, err := sourceURL(a, i, c, sources)
		if err != nil {
			return nil, err
		}
		w := map[string]any{"@type": "CreativeWork", "url": u}
		if s := sources[c.GetSource()]; s != nil {
			if s.GetTitle() != "" {
				w["name"] = s.GetTitle()
			}
			if s.GetPublisher() != "" {
				w["publisher"] = map[string]any{"@type": "Organization", "name": s.GetPublisher()}
			}
			if s.GetPublishTime() != nil {
				w["datePublished"] = dateTime(s.GetPublishTime())
			}
		}
		cites = append(cites, w)
	}
	if len(cites) > 0 {
		doc["citation"] = cites
	}
	return doc, nil
}

func appearance(article *factcheckv1.Article) map[string]any {
	m := map[string]any{"@type": "NewsArticle", "url": article.GetUrl()}
	if article.GetTitle() != "" {
		m["headline"] = article.GetTitle()
	}
	if article.GetPublishTime() != nil {
		m["datePublished"] = dateTime(article.GetPublishTime())
	}
	if article.GetLanguage() != "" {
		m["inLanguage"] = article.GetLanguage()
	}
	if article.GetPublisher() != "" {
		m["publisher"] = map[string]any{"@type": "Organization", "name": article.GetPublisher()}
	}
	var authors []any
	for _, n := range article.GetAuthors() {
		authors = append(authors, map[string]any{"@type": "Person", "name": n})
	}
	if len(authors) > 0 {
		m["author"] = authors
	}
	return m
}

// schemaAgent is the claimant as a schema.org Person or Organization. A
// claimant of unstated kind gets no @type rather than a guessed one;
// ClaimReviewProblems points the gap out.
func schemaAgent(c *factcheckv1.Claimant) map[string]any {
	m := map[string]any{}
	switch c.GetKind() {
	case factcheckv1.Claimant_KIND_PERSON:
		m["@type"] = "Person"
	case factcheckv1.Claimant_KIND_ORGANIZATION:
		m["@type"] = "Organization"
	}
	if c.GetName() != "" {
		m["name"] = c.GetName()
	}
	if c.GetSameAs() != "" {
		m["sameAs"] = c.GetSameAs()
	}
	if c.GetDescription() != "" {
		m["description"] = c.GetDescription()
	}
	return m
}

// ClaimReviewProblems checks a ClaimReview document against Google's
// fact-check guide and returns one sentence per problem, or nil. Each
// sentence starts with the property's path and says "missing required
// property", "missing recommended property" or what is wrong with the value:
//
//   - required: @context schema.org, @type ClaimReview, claimReviewed,
//     reviewRating with alternateName, url (an absolute http(s) URL);
//   - recommended: author with a name; itemReviewed, a Claim with an author
//     (name required, @type Person or Organization, sameAs recommended),
//     datePublished and appearance or firstAppearance; reviewRating's
//     ratingValue, bestRating and worstRating;
//   - values: bestRating above worstRating, worstRating at least 1,
//     ratingValue between them, dates in ISO 8601.
//
// Google's advice to keep claimReviewed under about 75 characters is a matter
// of display, not a problem, so it is not checked.
func ClaimReviewProblems(doc map[string]any) []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	missing := func(path, kind, why string) {
		if why != "" {
			add("%s: missing %s property (%s)", path, kind, why)
		} else {
			add("%s: missing %s property", path, kind)
		}
	}

	if !hasString(doc["@context"], func(s string) bool {
		s = strings.TrimSuffix(s, "/")
		return s == "https://schema.org" || s == "http://schema.org"
	}) {
		add(`@context: must be "https://schema.org"`)
	}
	if !hasString(doc["@type"], func(s string) bool { return s == "ClaimReview" }) {
		add(`@type: must be "ClaimReview"`)
	}
	if s, ok := doc["claimReviewed"].(string); !ok || strings.TrimSpace(s) == "" {
		missing("claimReviewed", "required", "the claim, in short")
	}
	switch u, ok := doc["url"].(string); {
	case !ok || u == "":
		missing("url", "required", "the fact check's page")
	case !isHTTPURL(u):
		add("url: must be an absolute http(s) URL, got %q", u)
	}

	switch rr := first(doc["reviewRating"]).(type) {
	case nil:
		missing("reviewRating", "required", "a Rating with alternateName")
	case map[string]any:
		if t, ok := rr["@type"]; ok && !hasString(t, func(s string) bool { return s == "Rating" }) {
			add(`reviewRating.@type: must be "Rating"`)
		}
		if s, ok := rr["alternateName"].(string); !ok || strings.TrimSpace(s) == "" {
			missing("reviewRating.alternateName", "required", "the verdict in words")
		}
		p = append(p, ratingProblems(rr)...)
	default:
		add("reviewRating: must be a Rating object")
	}

	switch a := first(doc["author"]).(type) {
	case nil:
		missing("author", "recommended", "the fact-checking organization")
	case map[string]any:
		p = append(p, agentProblems("author", a, false)...)
	default:
		add("author: must be a Person or Organization object")
	}
	checkDate(&p, doc, "datePublished", "datePublished")

	switch c := first(doc["itemReviewed"]).(type) {
	case nil:
		missing("itemReviewed", "recommended", "the Claim: who made it, when and where")
	case map[string]any:
		if !hasString(c["@type"], func(s string) bool { return s == "Claim" }) {
			add(`itemReviewed.@type: must be "Claim"`)
		}
		switch a := first(c["author"]).(type) {
		case nil:
			missing("itemReviewed.author", "recommended", "who made the claim")
		case map[string]any:
			p = append(p, agentProblems("itemReviewed.author", a, true)...)
		default:
			add("itemReviewed.author: must be a Person or Organization object")
		}
		if _, ok := c["datePublished"]; !ok {
			missing("itemReviewed.datePublished", "recommended", "when the claim was made")
		}
		checkDate(&p, c, "datePublished", "itemReviewed.datePublished")
		app, fa := c["appearance"], c["firstAppearance"]
		if app == nil && fa == nil {
			missing("itemReviewed.appearance", "recommended", "where the claim appeared")
		}
		for _, name := range []string{"appearance", "firstAppearance"} {
			if v := c[name]; v != nil && !isWorkOrURL(v) {
				add("itemReviewed.%s: must be a URL or a CreativeWork with a url", name)
			}
		}
	default:
		add("itemReviewed: must be a Claim object")
	}
	return p
}

// ratingProblems checks the numeric part of a Rating.
func ratingProblems(rr map[string]any) []string {
	var p []string
	nums := map[string]float64{}
	for _, k := range []string{"ratingValue", "bestRating", "worstRating"} {
		v, ok := rr[k]
		if !ok {
			p = append(p, fmt.Sprintf("reviewRating.%s: missing recommended property", k))
			continue
		}
		f, ok := number(v)
		if !ok {
			p = append(p, fmt.Sprintf("reviewRating.%s: must be a number, got %v", k, v))
			continue
		}
		nums[k] = f
	}
	best, hb := nums["bestRating"]
	worst, hw := nums["worstRating"]
	value, hv := nums["ratingValue"]
	if hw && worst < 1 {
		p = append(p, fmt.Sprintf("reviewRating.worstRating: must be at least 1, got %v", worst))
	}
	if hb && hw && best <= worst {
		p = append(p, fmt.Sprintf("reviewRating.bestRating: must be greater than worstRating (%v <= %v)", best, worst))
	}
	if hv && hb && hw && best > worst && (value < worst || value > best) {
		p = append(p, fmt.Sprintf("reviewRating.ratingValue: must be between worstRating and bestRating (%v not in %v..%v)", value, worst, best))
	}
	return p
}

// agentProblems checks an author. Within a Claim Google requires the name
// and recommends sameAs.
func agentProblems(path string, a map[string]any, claim bool) []string {
	var p []string
	if s, ok := a["name"].(string); !ok || strings.TrimSpace(s) == "" {
		kind := "recommended"
		if claim {
			kind = "required"
		}
		p = append(p, fmt.Sprintf("%s.name: missing %s property", path, kind))
	}
	switch t, ok := a["@type"]; {
	case !ok:
		p = append(p, fmt.Sprintf("%s.@type: missing recommended property (Person or Organization)", path))
	case !hasString(t, func(s string) bool { return s == "Person" || s == "Organization" }):
		p = append(p, fmt.Sprintf("%s.@type: must be Person or Organization, got %v", path, t))
	}
	if claim {
		if _, ok := a["sameAs"]; !ok {
			p = append(p, fmt.Sprintf("%s.sameAs: missing recommended property (a URL that identifies them)", path))
		}
	}
	return p
}

func checkDate(p *[]string, m map[string]any, key, path string) {
	v, ok := m[key]
	if !ok {
		return
	}
	if s, ok := v.(string); !ok || !isISODate(s) {
		*p = append(*p, fmt.Sprintf("%s: must be an ISO 8601 date or date-time, got %v", path, v))
	}
}

func isISODate(s string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

func isWorkOrURL(v any) bool {
	switch v := first(v).(type) {
	case string:
		return isHTTPURL(v)
	case map[string]any:
		u, ok := v["url"].(string)
		return ok && isHTTPURL(u)
	}
	return false
}

// first is v, or its first element when v is a JSON-LD array of values.
func first(v any) any {
	if a, ok := v.([]any); ok {
		if len(a) == 0 {
			return nil
		}
		return a[0]
	}
	return v
}

// hasString reports whether v, a string or an array of values, holds a
// string that ok accepts.
func hasString(v any, ok func(string) bool) bool {
	switch v := v.(type) {
	case string:
		return ok(v)
	case []any:
		for _, e := range v {
			if s, isStr := e.(string); isStr && ok(s) {
				return true
			}
		}
	}
	return false
}

// number reads a JSON number, from any of the Go types JSON decoders and
// structpb produce, or from a numeric string as some publishers write.
func number(v any) (float64, bool) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int32:
		f = float64(v)
	case int64:
		f = float64(v)
	case interface{ Float64() (float64, error) }:
		x, err := v.Float64()
		if err != nil {
			return 0, false
		}
		f = x
	case string:
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, false
		}
		f = x
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}
