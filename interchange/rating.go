package interchange

import (
	"math"
	"strings"
	"unicode"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

var ratingWords = map[factcheckv1.Rating]string{
	factcheckv1.Rating_RATING_TRUE:         "True",
	factcheckv1.Rating_RATING_MOSTLY_TRUE:  "Mostly true",
	factcheckv1.Rating_RATING_MIXED:        "Mixed",
	factcheckv1.Rating_RATING_MOSTLY_FALSE: "Mostly false",
	factcheckv1.Rating_RATING_FALSE:        "False",
	factcheckv1.Rating_RATING_MISLEADING:   "Misleading",
	factcheckv1.Rating_RATING_UNPROVEN:     "Unproven",
}

// RatingWords returns the rating in words, as exports show it when a verdict
// has no label: "True", "Mostly true", "Mixed", "Mostly false", "False",
// "Misleading" or "Unproven"; "" for RATING_UNSPECIFIED.
func RatingWords(r factcheckv1.Rating) string { return ratingWords[r] }

// ratingSynonyms are the words fact-checkers commonly use for the shared
// scale, normalized by normWords. Anything else stays a label without a
// rating: guessing would put words in a newsroom's mouth.
var ratingSynonyms = map[string]factcheckv1.Rating{
	"true":              factcheckv1.Rating_RATING_TRUE,
	"accurate":          factcheckv1.Rating_RATING_TRUE,
	"correct":           factcheckv1.Rating_RATING_TRUE,
	"mostly true":       factcheckv1.Rating_RATING_MOSTLY_TRUE,
	"mostly accurate":   factcheckv1.Rating_RATING_MOSTLY_TRUE,
	"mostly correct":    factcheckv1.Rating_RATING_MOSTLY_TRUE,
	"mixed":             factcheckv1.Rating_RATING_MIXED,
	"mixture":           factcheckv1.Rating_RATING_MIXED,
	"half true":         factcheckv1.Rating_RATING_MIXED,
	"partly true":       factcheckv1.Rating_RATING_MIXED,
	"partly false":      factcheckv1.Rating_RATING_MIXED,
	"partially true":    factcheckv1.Rating_RATING_MIXED,
	"partially false":   factcheckv1.Rating_RATING_MIXED,
	"mostly false":      factcheckv1.Rating_RATING_MOSTLY_FALSE,
	"mostly inaccurate": factcheckv1.Rating_RATING_MOSTLY_FALSE,
	"false":             factcheckv1.Rating_RATING_FALSE,
	"inaccurate":        factcheckv1.Rating_RATING_FALSE,
	"incorrect":         factcheckv1.Rating_RATING_FALSE,
	"fake":              factcheckv1.Rating_RATING_FALSE,
	"pants on fire":     factcheckv1.Rating_RATING_FALSE,
	"misleading":        factcheckv1.Rating_RATING_MISLEADING,
	"missing context":   factcheckv1.Rating_RATING_MISLEADING,
	"out of context":    factcheckv1.Rating_RATING_MISLEADING,
	"unproven":          factcheckv1.Rating_RATING_UNPROVEN,
	"unverified":        factcheckv1.Rating_RATING_UNPROVEN,
	"unsupported":       factcheckv1.Rating_RATING_UNPROVEN,
	"unsubstantiated":   factcheckv1.Rating_RATING_UNPROVEN,
	"no evidence":       factcheckv1.Rating_RATING_UNPROVEN,
}

// ParseRating reads a rating from words ("False", "mostly-true", "Half
// true", "Pants on Fire!") or from an enum name ("RATING_FALSE", "FALSE").
// Case, punctuation and spacing are ignored. It reports false for words that
// are not a commonly used name of a point on the shared scale.
func ParseRating(s string) (factcheckv1.Rating, bool) {
	if v, ok := factcheckv1.Rating_value[strings.TrimSpace(s)]; ok && v != 0 {
		return factcheckv1.Rating(v), true
	}
	w := normWords(s)
	if v, ok := factcheckv1.Rating_value["RATING_"+strings.ToUpper(strings.ReplaceAll(w, " ", "_"))]; ok && v != 0 {
		return factcheckv1.Rating(v), true
	}
	r, ok := ratingSynonyms[w]
	return r, ok
}

// normWords lower-cases s and turns every run of characters other than
// letters and digits into one space.
func normWords(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return b.String()
}

// The ClaimReview scale: worstRating 1 (false) to bestRating 5 (true), the
// shape of Google's own example.
const (
	worstRating = 1
	bestRating  = 5
)

// RatingValue places a rating on ClaimReview's 1–5 scale, 5 the most true:
// TRUE 5, MOSTLY_TRUE 4, MIXED 3, MOSTLY_FALSE 2, FALSE 1. MISLEADING is 2:
// accurate words that leave a false impression mislead as much as a mostly
// false claim. UNPROVEN is 3, the middle, because the evidence points neither
// way; the number only orders verdicts for machines, and alternateName and
// name still say "Unproven". It reports false for RATING_UNSPECIFIED.
func RatingValue(r factcheckv1.Rating) (int, bool) {
	switch r {
	case factcheckv1.Rating_RATING_TRUE:
		return 5, true
	case factcheckv1.Rating_RATING_MOSTLY_TRUE:
		return 4, true
	case factcheckv1.Rating_RATING_MIXED, factcheckv1.Rating_RATING_UNPROVEN:
		return 3, true
	case factcheckv1.Rating_RATING_MOSTLY_FALSE, factcheckv1.Rating_RATING_MISLEADING:
		return 2, true
	case factcheckv1.Rating_RATING_FALSE:
		return 1, true
	}
	return 0, false
}

// ratingFromValue maps a value on a foreign [worst, best] scale onto the five
// points of the truth scale. The middle maps to MIXED: a number cannot say
// "misleading" or "unproven", which only words can.
func ratingFromValue(value, worst, best float64) (factcheckv1.Rating, bool) {
	if !(best > worst) || value < worst || value > best || math.IsNaN(value) {
		return 0, false
	}
	switch int(math.Round(1 + 4*(value-worst)/(best-worst))) {
	case 5:
		return factcheckv1.Rating_RATING_TRUE, true
	case 4:
		return factcheckv1.Rating_RATING_MOSTLY_TRUE, true
	case 3:
		return factcheckv1.Rating_RATING_MIXED, true
	case 2:
		return factcheckv1.Rating_RATING_MOSTLY_FALSE, true
	default:
		return factcheckv1.Rating_RATING_FALSE, true
	}
}

// verdictText is what an export shows as the verdict: the newsroom's label,
// or the rating in words.
func verdictText(v *factcheckv1.Verdict) string {
	if v.GetLabel() != "" {
		return v.GetLabel()
	}
	return RatingWords(v.GetRating())
}

// labelFor is the inverse of verdictText: the label to import for a verdict
// shown as text whose rating is r. Text that is just r in words is no label.
func labelFor(text string, r factcheckv1.Rating) string {
	if r != factcheckv1.Rating_RATING_UNSPECIFIED && normWords(text) == normWords(RatingWords(r)) {
		return ""
	}
	return text
}
