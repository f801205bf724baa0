package filter

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEqualityUnions(t *testing.T) {
	tests := []struct {
		src string
		// want: one string per union, its branches separated by " | ",
		// each branch's terms by ",".
		want []string
	}{
		{"", nil},
		{"state = STATE_PUBLISHED", nil},
		{"state = STATE_PUBLISHED OR state = STATE_RETRACTED", []string{"state=STATE_PUBLISHED | state=STATE_RETRACTED"}},
		// The server's shape: the user's filter AND the visibility.
		{"title = a AND (state = STATE_PUBLISHED OR state = STATE_RETRACTED)", []string{"state=STATE_PUBLISHED | state=STATE_RETRACTED"}},
		// Nested ORs flatten; an AND branch keeps its equality terms only.
		{`state = STATE_PUBLISHED OR (state = STATE_RETRACTED OR (state = STATE_DRAFT AND title = "x" AND title > "a"))`,
			[]string{"state=STATE_PUBLISHED | state=STATE_RETRACTED | state=STATE_DRAFT,title=x"}},
		// AIP-160: OR binds tighter than AND, so this is two unions.
		{"state = STATE_DRAFT OR state = STATE_PUBLISHED verdict.rating = RATING_FALSE OR labels:k",
			[]string{"state=STATE_DRAFT | state=STATE_PUBLISHED", "verdict.rating=RATING_FALSE | labels:k"}},
		// A branch without an equality term is empty: nothing to serve it.
		{"state = STATE_DRAFT OR title != a", []string{"state=STATE_DRAFT | "}},
		{"state = STATE_DRAFT OR NOT title = a", []string{"state=STATE_DRAFT | "}},
		// An OR inside a branch adds nothing to it.
		{"(title = a AND (state = STATE_DRAFT OR state = STATE_PUBLISHED)) OR title = b", []string{"title=a | title=b"}},
		// Not reachable through AND alone.
		{"NOT (state = STATE_DRAFT OR state = STATE_PUBLISHED)", nil},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		var got []string
		for _, u := range EqualityUnions(e) {
			var bs []string
			for _, b := range u.Branches {
				var ts []string
				for _, c := range b {
					ts = append(ts, tree(c))
				}
				bs = append(bs, strings.Join(ts, ","))
			}
			got = append(got, strings.Join(bs, " | "))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("EqualityUnions(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

// unionRecords are records that the union property is checked against:
// every state and rating, with and without the labels and sources the
// fuzz seeds name.
var unionRecords = func() []Record {
	out := []Record{sample, &testRecord{}}
	for _, state := range []string{"STATE_DRAFT", "STATE_PUBLISHED", "STATE_RETRACTED"} {
		for _, rating := range []string{"RATING_TRUE", "RATING_FALSE"} {
			for i, title := range []string{"a", "b"} {
				r := &testRecord{
					strs: map[string][]string{"state": {state}, "verdict.rating": {rating}, "title": {title},
						"citations.source": []string{"sources/1"}[:i]},
					labels: map[string]string{"k": title},
					times:  map[string]time.Time{"create_time": time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)},
				}
				out = append(out, r)
			}
		}
	}
	return out
}()

// FuzzEqualityUnions checks the promise a planner relies on: a record that
// matches the filter satisfies every term of some branch of each union.
func FuzzEqualityUnions(f *testing.F) {
	for _, s := range []string{
		"state = STATE_PUBLISHED OR state = STATE_RETRACTED",
		"title = a AND (state = STATE_PUBLISHED OR state = STATE_RETRACTED OR (state = STATE_DRAFT AND title = b))",
		"verdict.rating = RATING_FALSE OR labels.k = a OR citations.source:sources/1",
		`(state = STATE_DRAFT OR title = b) (labels:k OR create_time = "2024-01-31T00:00:00Z")`,
		"state:STATE_DRAFT OR -title = a",
		"(title = a OR title = b) AND NOT (title = a OR state = STATE_DRAFT)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src, testSchema)
		if err != nil {
			return
		}
		unions := EqualityUnions(e)
		for _, r := range unionRecords {
			if !Match(e, r) {
				continue
			}
			for _, u := range unions {
				if !slices.ContainsFunc(u.Branches, func(b []*Compare) bool {
					return !slices.ContainsFunc(b, func(c *Compare) bool { return !Match(c, r) })
				}) {
					t.Fatalf("%q matches %v but no branch of its union %v holds", src, r, u.Branches)
				}
			}
		}
	})
}
