package interchange

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// labelKeyRE is the API's rule for label keys.
var labelKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,62}$`)

const maxLabelValue = 256

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// labelTag writes a label as a tag: the key alone when the value is empty, so
// plain tags survive a round trip unchanged, and "key=value" otherwise.
func labelTag(k, v string) string {
	if v == "" {
		return k
	}
	return k + "=" + v
}

// tagLabel reads a tag back as a label. "key=value" and bare keys are
// factcheck's own labels. Any other tag (free text such as "Needs review" or
// "الانتخابات") becomes "tag.<slug>" = the tag, so it can still be filtered on
// while its words are kept as they were written.
func tagLabel(tag string) (key, value string) {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexByte(tag, '='); i > 0 && labelKeyRE.MatchString(tag[:i]) {
		return tag[:i], truncateBytes(tag[i+1:], maxLabelValue)
	}
	if labelKeyRE.MatchString(tag) {
		return tag, ""
	}
	return "tag." + slug(tag), truncateBytes(tag, maxLabelValue)
}

// slug is a label-key-safe name for free text: lower-case ASCII letters and
// digits joined by "-", or a short hash when the text has too few of them
// (e.g. Arabic tags) to tell tags apart.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	out := b.String()
	// "tag." takes 4 of the key's 63 characters.
	if out == "" || len(out) > 58 || utf8.RuneCountInString(s) > 2*len(out) {
		sum := sha256.Sum256([]byte(s))
		h := hex.EncodeToString(sum[:4])
		if len(out) > 49 {
			out = strings.TrimRight(out[:49], "-")
		}
		if out == "" {
			return h
		}
		return out + "-" + h
	}
	return out
}

// truncateBytes cuts s to at most n bytes without splitting a character.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

const maxClaimText = 2000

// claimFromQuote makes a claim text from quoted words, which may be longer
// than the API's 2,000 characters for a claim.
func claimFromQuote(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= maxClaimText {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:maxClaimText-1])) + "…"
}
