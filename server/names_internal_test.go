package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The hand-written checks must accept exactly what the documented patterns
// do.
var (
	idPattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	labelKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,62}$`)
	revisionPattern = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)
)

var keyCases = []string{
	"", "a", "z", "A", "0", "-", "_", ".", "ab", "a-", "a_", "a.", "a0", "a/b", "a b", "aZ", "é", "aé",
	"shafaq-talks", "desk.world", "desk_world", "a\x00", "a\xff", "-a", "_a", ".a", "0a",
	strings.Repeat("a", 63), strings.Repeat("a", 64), "a" + strings.Repeat("-", 62), "a" + strings.Repeat("9", 63),
}

func TestValidKeysMatchPatterns(t *testing.T) {
	for _, s := range keyCases {
		if got, want := validID(s), idPattern.MatchString(s); got != want {
			t.Errorf("validID(%q) = %v, want %v", s, got, want)
		}
		if got, want := validLabelKey(s), labelKeyPattern.MatchString(s); got != want {
			t.Errorf("validLabelKey(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzValidKeys(f *testing.F) {
	for _, s := range keyCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validID(s), idPattern.MatchString(s); got != want {
			t.Errorf("validID(%q) = %v, want %v", s, got, want)
		}
		if got, want := validLabelKey(s), labelKeyPattern.MatchString(s); got != want {
			t.Errorf("validLabelKey(%q) = %v, want %v", s, got, want)
		}
		_, gotOK := parseRevision(s)
		if want := revisionPattern.MatchString(s) && fitsInt32(s); gotOK != want {
			t.Errorf("parseRevision(%q) ok = %v, want %v", s, gotOK, want)
		}
	})
}

func fitsInt32(s string) bool {
	_, err := strconv.ParseInt(s, 10, 32)
	return err == nil
}

func TestParseNames(t *testing.T) {
	for _, tc := range []struct {
		name       string
		parent, id string
		ok         bool
		art        string
		articleOK  bool
	}{
		{name: "articles/a/annotations/b", parent: "a", id: "b", ok: true},
		{name: "articles/a-1/annotations/talks-before-oct-7", parent: "a-1", id: "talks-before-oct-7", ok: true},
		{name: "articles/a/annotations/b/c"},
		{name: "articles/a/annotations/"},
		{name: "articles/a/annotations"},
		{name: "articles//annotations/b"},
		{name: "articles/a/sources/b"},
		{name: "sources/a/annotations/b"},
		{name: "/articles/a/annotations/b"},
		{name: "articles/A/annotations/b"},
		{name: "articles/a", art: "a", articleOK: true},
		{name: "articles/a/"},
		{name: "articles/"},
		{name: "articlesa"},
		{name: "articles/a/b"},
	} {
		parent, id, ok := parseChildName(tc.name, "articles", "annotations")
		if parent != tc.parent || id != tc.id || ok != tc.ok {
			t.Errorf("parseChildName(%q) = %q, %q, %v; want %q, %q, %v", tc.name, parent, id, ok, tc.parent, tc.id, tc.ok)
		}
		art, ok := parseName(tc.name, "articles")
		if ok != tc.articleOK || (ok && art != tc.art) {
			t.Errorf("parseName(%q) = %q, %v; want %q, %v", tc.name, art, ok, tc.art, tc.articleOK)
		}
	}
}
