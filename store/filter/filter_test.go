package filter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var testSchema = Schema{
	"state":               {Type: Enum, Values: []string{"STATE_DRAFT", "STATE_PUBLISHED", "STATE_RETRACTED"}},
	"verdict.rating":      {Type: Enum, Values: []string{"RATING_TRUE", "RATING_FALSE", "RATING_MISLEADING"}},
	"title":               {Type: String},
	"claim.claimant.name": {Type: String},
	"citations.source":    {Type: RepeatedString},
	"labels":              {Type: Map},
	"create_time":         {Type: Timestamp},
	"publish_time":        {Type: Timestamp},
}

// testRecord is a Record with every kind of field.
type testRecord struct {
	strs   map[string][]string
	labels map[string]string
	times  map[string]time.Time
}

func (r *testRecord) FilterStrings(field, key string) []string {
	if field != "labels" {
		return r.strs[field]
	}
	if key != "" {
		if v, ok := r.labels[key]; ok {
			return []string{v}
		}
		return nil
	}
	var keys []string
	for k := range r.labels {
		keys = append(keys, k)
	}
	return keys
}

func (r *testRecord) FilterTime(field string) (time.Time, bool) {
	t, ok := r.times[field]
	return t, ok
}

var sample = &testRecord{
	strs: map[string][]string{
		"state":               {"STATE_PUBLISHED"},
		"verdict.rating":      {"RATING_FALSE"},
		"title":               {"Moon landing"},
		"claim.claimant.name": {"NASA"},
		"citations.source":    {"sources/1", "sources/2"},
	},
	labels: map[string]string{"topic": "space", "lang": "en", "empty": ""},
	times:  map[string]time.Time{"create_time": time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)},
}

// tree renders e fully parenthesised, so tests see its structure rather
// than String's precedence-aware form.
func tree(e Expr) string {
	switch e := e.(type) {
	case nil:
		return "<nil>"
	case *And:
		return "(AND " + tree(e.Left) + " " + tree(e.Right) + ")"
	case *Or:
		return "(OR " + tree(e.Left) + " " + tree(e.Right) + ")"
	case *Not:
		return "(NOT " + tree(e.X) + ")"
	case *Compare:
		f := e.Field
		if e.Key != "" {
			f += "[" + e.Key + "]"
		}
		return f + e.Op.String() + e.Value
	}
	return fmt.Sprintf("%T", e)
}

func TestParse(t *testing.T) {
	tests := []struct {
		src  string
		tree string
	}{
		{"", "<nil>"},
		{" \t\n ", "<nil>"},
		{"state = STATE_PUBLISHED", "state=STATE_PUBLISHED"},
		{"state=STATE_PUBLISHED", "state=STATE_PUBLISHED"},
		{`state = "STATE_PUBLISHED"`, "state=STATE_PUBLISHED"},
		{`state:'STATE_DRAFT'`, "state:STATE_DRAFT"},
		{`state != STATE_DRAFT`, "state!=STATE_DRAFT"},
		{`verdict.rating = RATING_FALSE`, "verdict.rating=RATING_FALSE"},
		{"title < m", "title<m"},
		{"title <= m", "title<=m"},
		{"title > m", "title>m"},
		{"title >= m", "title>=m"},
		{`title = ""`, "title="},
		{`title = "say \"hi\" \\ 'x'"`, `title=say "hi" \ 'x'`},
		{`title = 'it\'s "so"'`, `title=it's "so"`},
		{`title = café`, `title=café`},
		{`title = https://example.com/a?b=c&d=e`, `title=https://example.com/a?b=c&d=e`},
		{`title = -5`, `title=-5`},
		{`title = and`, `title=and`},
		{`claim.claimant.name = "Jane Doe"`, `claim.claimant.name=Jane Doe`},
		{`citations.source = sources/1`, `citations.source=sources/1`},
		{`citations.source:sources/1`, `citations.source:sources/1`},
		{`citations.source != sources/1`, `citations.source!=sources/1`},
		{`labels.topic = news`, `labels[topic]=news`},
		{`labels.topic < n`, `labels[topic]<n`},
		{`labels:topic`, `labels:topic`},
		{`labels : "topic"`, `labels:topic`},
		{`labels.a.b = x`, `labels[a.b]=x`},
		{`labels.my-key:"v"`, `labels[my-key]:v`},
		{`create_time > "2024-01-31T00:00:00Z"`, `create_time>2024-01-31T00:00:00Z`},
		{"\ttitle = a\n\n", "title=a"},

		// Precedence: AIP-160 binds OR tighter than AND.
		{"title=a title=b", "(AND title=a title=b)"},
		{"title=a AND title=b AND title=c", "(AND (AND title=a title=b) title=c)"},
		{"title=a title=b AND title=c title=d", "(AND (AND (AND title=a title=b) title=c) title=d)"},
		{"title=a OR title=b OR title=c", "(OR (OR title=a title=b) title=c)"},
		{"title=a AND title=b OR title=c", "(AND title=a (OR title=b title=c))"},
		{"title=a OR title=b AND title=c", "(AND (OR title=a title=b) title=c)"},
		{"title=a OR title=b title=c", "(AND (OR title=a title=b) title=c)"},
		{"title=a title=b OR title=c", "(AND title=a (OR title=b title=c))"},
		{"(title=a AND title=b) OR title=c", "(OR (AND title=a title=b) title=c)"},
		{"title=a AND (title=b AND title=c)", "(AND title=a (AND title=b title=c))"},
		{"((title=a))", "title=a"},
		{"title=a AND(title=b)", "(AND title=a title=b)"},
		{"title=a and=b", "(AND title=a and=b)"}, // lower-case "and" is a field name here; see the schema check below

		// Negation.
		{"NOT title=a", "(NOT title=a)"},
		{"-title=a", "(NOT title=a)"},
		{"NOT title=a OR title=b", "(OR (NOT title=a) title=b)"},
		{"-title=a title=b", "(AND (NOT title=a) title=b)"},
		{"NOT (title=a OR title=b)", "(NOT (OR title=a title=b))"},
		{"NOT(title=a)", "(NOT title=a)"},
		{"-(title=a)", "(NOT title=a)"},
		{"NOT NOT title=a", "(NOT (NOT title=a))"},
		{"--title=a", "(NOT (NOT title=a))"},
		{"title=a -labels:x", "(AND title=a (NOT labels:x))"},
		{"title=a AND NOT title=b", "(AND title=a (NOT title=b))"},
	}
	schema := Schema{"and": {Type: String}}
	for k, v := range testSchema {
		schema[k] = v
	}
	for _, tt := range tests {
		e, err := Parse(tt.src, schema)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := tree(e); got != tt.tree {
			t.Errorf("Parse(%q) = %s, want %s", tt.src, got, tt.tree)
		}
		if e == nil {
			continue
		}
		// String must parse back to the same tree.
		back, err := Parse(e.String(), schema)
		if err != nil {
			t.Errorf("Parse(%q).String() = %q, which does not parse: %v", tt.src, e.String(), err)
		} else if tree(back) != tree(e) {
			t.Errorf("Parse(%q).String() = %q, which parses as %s", tt.src, e.String(), tree(back))
		}
	}
}

func TestParseDetails(t *testing.T) {
	e, err := Parse(`title = a   create_time >= "2024-01-31T01:00:00.5+01:00" labels:"k"`, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	and := e.(*And)
	c1, c2, c3 := and.Left.(*And).Left.(*Compare), and.Left.(*And).Right.(*Compare), and.Right.(*Compare)
	if c1.Pos != 0 || c2.Pos != 12 || c3.Pos != 57 {
		t.Errorf("positions %d %d %d, want 0 12 57", c1.Pos, c2.Pos, c3.Pos)
	}
	if c1.Type != String || c2.Type != Timestamp || c3.Type != Map {
		t.Errorf("types %v %v %v", c1.Type, c2.Type, c3.Type)
	}
	want := time.Date(2024, 1, 31, 0, 0, 0, 5e8, time.UTC)
	if !c2.Time.Equal(want) || c2.Time.Location() != time.UTC {
		t.Errorf("time %v, want %v in UTC", c2.Time, want)
	}
	if c2.Value != "2024-01-31T01:00:00.5+01:00" {
		t.Errorf("time value %q", c2.Value)
	}
	if c3.Key != "" || c3.Value != "k" || c3.Op != Has {
		t.Errorf("labels:k parsed as %+v", c3)
	}
	if got, want := e.String(), `title = "a" AND create_time >= "2024-01-31T01:00:00.5+01:00" AND labels:"k"`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestString(t *testing.T) {
	tests := []struct{ src, want string }{
		{"state=STATE_DRAFT", "state = STATE_DRAFT"},
		{"title=a title=b OR title=c", `title = "a" AND title = "b" OR title = "c"`},
		{"(title=a title=b) OR title=c", `(title = "a" AND title = "b") OR title = "c"`},
		{"title=a OR (title=b OR title=c)", `title = "a" OR (title = "b" OR title = "c")`},
		{"-(title=a OR title=b)", `NOT (title = "a" OR title = "b")`},
		{`labels.k != 'x"y'`, `labels.k != "x\"y"`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %s, want %s", tt.src, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth) + "title=a" + strings.Repeat(")", MaxDepth)
	tooDeep := strings.Repeat("(", MaxDepth+1) + "title=a" + strings.Repeat(")", MaxDepth+1)
	if _, err := Parse(deep, testSchema); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	many := strings.Repeat("title = a ", MaxComparisons)
	if _, err := Parse(many, testSchema); err != nil {
		t.Errorf("%d comparisons: %v", MaxComparisons, err)
	}
	tests := []struct {
		src   string
		pos   int
		token string
		msg   []string
	}{
		// Schema checks.
		{"ratng = RATING_FALSE", 0, "ratng", []string{`unknown field "ratng"`, "did you mean verdict.rating?",
			"filterable fields are: citations.source, claim.claimant.name, create_time, labels.KEY, publish_time, state, title, verdict.rating"}},
		{"title = a AND rating = RATING_FALSE", 14, "rating", []string{`unknown field "rating"`, "did you mean verdict.rating?"}},
		{"verdict = RATING_FALSE", 0, "verdict", []string{`unknown field "verdict"`, "did you mean verdict.rating?"}},
		{"lables.topic = x", 0, "lables.topic", []string{`unknown field "lables.topic"`, "did you mean labels.topic?"}},
		{"colour = red", 0, "colour", []string{`unknown field "colour"; filterable fields are:`}},
		{"title.x = a", 0, "title.x", []string{`unknown field "title.x"`, "title is a string field; only map fields take a .KEY"}},
		{"labels. = x", 0, "labels.", []string{`missing key after "labels."`}},
		{"state = PUBLISHED", 8, "PUBLISHED", []string{`invalid value "PUBLISHED" for enum field state`, "did you mean STATE_PUBLISHED?",
			"allowed values are: STATE_DRAFT, STATE_PUBLISHED, STATE_RETRACTED"}},
		{"state = state_draft", 8, "state_draft", []string{"did you mean STATE_DRAFT?"}},
		{`state = "STATE_DRAF"`, 8, `"STATE_DRAF"`, []string{"did you mean STATE_DRAFT?"}},
		{"state < STATE_DRAFT", 6, "<", []string{"operator < does not apply to enum field state; use =, != or :"}},
		{"verdict.rating >= RATING_TRUE", 15, ">=", []string{"does not apply to enum field verdict.rating"}},
		{"create_time > 2024-01-31T00:00:00Z", 14, "2024-01-31T00:00:00Z", []string{"time values must be quoted", `expected an RFC 3339 time such as "2024-01-31T00:00:00Z"`}},
		{`create_time > "2024-01-31"`, 14, `"2024-01-31"`, []string{`invalid time "2024-01-31" for create_time`, `expected an RFC 3339 time such as "2024-01-31T00:00:00Z"`}},
		{`create_time:"2024-01-31T00:00:00Z"`, 11, ":", []string{"operator : does not apply to timestamp field create_time"}},
		{"citations.source < x", 17, "<", []string{"does not apply to repeated string field citations.source"}},
		{"labels = x", 0, "labels", []string{`labels is a map`, `labels.KEY = "value"`, "labels:KEY"}},
		{"labels != x", 0, "labels", []string{`labels.KEY != "value"`}},
		{`labels:""`, 7, `""`, []string{"labels: must be followed by a key"}},

		// Lexical errors.
		{`title = "abc`, 8, `"abc`, []string{"unterminated string; add a closing \""}},
		{`title = 'abc`, 8, `'abc`, []string{"unterminated string; add a closing '"}},
		{`title = "abc\"`, 8, `"abc\"`, []string{"unterminated string"}},
		{`title = "a\nb"`, 10, `\n`, []string{`unknown escape \n`}},
		{`title = ab"c"`, 10, `"`, []string{"unexpected quote inside an unquoted value"}},
		{"title = \xff", 8, "", []string{"not valid UTF-8"}},
		{"title == a", 6, "==", []string{"unknown operator ==", "= != < <= > >= :"}},
		{"title =< a", 6, "=<", []string{"unknown operator =<"}},
		{"title ! a", 6, "!", []string{"unknown operator !", "!="}},

		// Structure.
		{"(title = a", 0, "(", []string{"missing ) to close this ("}},
		{"((title = a)", 0, "(", []string{"missing ) to close this ("}},
		{"(", 0, "(", []string{"missing )"}},
		{"title = a)", 9, ")", []string{"unmatched )"}},
		{"(title = a))", 11, ")", []string{"unmatched )"}},
		{")", 0, ")", []string{"unmatched )"}},
		{"()", 0, "(", []string{"empty parentheses"}},
		{"title = a AND ( )", 14, "(", []string{"empty parentheses"}},
		{"title = a AND", 10, "AND", []string{"AND must be followed by a comparison"}},
		{"title = a OR", 10, "OR", []string{"OR must be followed by a comparison"}},
		{"(title = a AND)", 11, "AND", []string{"AND must be followed by a comparison"}},
		{"NOT", 0, "NOT", []string{"NOT must be followed by a comparison"}},
		{"title = a AND NOT", 14, "NOT", []string{"NOT must be followed"}},
		{"-", 0, "-", []string{"- must be followed"}},
		{"title = a AND OR title = b", 14, "OR", []string{"expected a comparison after AND, found OR"}},
		{"AND title = a", 0, "AND", []string{"AND must come between two comparisons"}},
		{"OR title = a", 0, "OR", []string{"OR must come between two comparisons"}},
		{"title =", 6, "=", []string{"= must be followed by a value"}},
		{"title = (a)", 8, "(", []string{"expected a value after =, found ("}},
		{"title = AND", 8, "AND", []string{"found the keyword AND", `write "AND"`}},
		{"title", 0, "title", []string{"expected an operator (= != < <= > >= :) after \"title\""}},
		{"hello", 0, "hello", []string{"bare words are not supported"}},
		{"title = a b", 10, "b", []string{`expected an operator (= != < <= > >= :) after "b"`}},
		{"state = STATE_DRAFT foo", 20, "foo", []string{`after "foo"`}},
		{"title=a and title=b", 8, "and", []string{`after "and"`}},
		{"= a", 0, "=", []string{"expected a field name before ="}},
		{"!= a", 0, "!=", []string{"expected a field name before !="}},
		{`"title" = a`, 0, `"`, []string{"expected a field name, found a quoted string"}},

		// Limits.
		{strings.Repeat(" ", MaxLength+1), MaxLength, "", []string{"4097 bytes long; at most 4096"}},
		{many + "title = a", 10 * MaxComparisons, "title", []string{"too many comparisons; at most 50"}},
		{tooDeep, MaxDepth, "(", []string{"nested too deeply; at most 32"}},
		{strings.Repeat("NOT ", MaxDepth+1) + "title=a", 4 * MaxDepth, "NOT", []string{"nested too deeply"}},
		{strings.Repeat("-", MaxDepth+1) + "title=a", MaxDepth, "-", []string{"nested too deeply"}},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src, testSchema)
		name := tt.src
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		if err == nil {
			t.Errorf("Parse(%q) = %s, want an error", name, e)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T %v, want *SyntaxError", name, err, err)
			continue
		}
		if se.Pos != tt.pos || se.Token != tt.token {
			t.Errorf("Parse(%q) error at %d %q, want %d %q (%v)", name, se.Pos, se.Token, tt.pos, tt.token, err)
		}
		for _, m := range tt.msg {
			if !strings.Contains(se.Message, m) {
				t.Errorf("Parse(%q) message %q lacks %q", name, se.Message, m)
			}
		}
	}
}

func TestSyntaxErrorTokenTruncated(t *testing.T) {
	_, err := Parse(`title = "`+strings.Repeat("é", 100), testSchema)
	se := err.(*SyntaxError)
	if len(se.Token) > maxTokenInError || !strings.HasPrefix(se.Token, `"é`) {
		t.Errorf("token %q (%d bytes)", se.Token, len(se.Token))
	}
	if got, want := se.Error(), `filter: at offset 8 ("\"éééé`; !strings.HasPrefix(got, want) {
		t.Errorf("Error() = %s", got)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"", true},
		{"state = STATE_PUBLISHED", true},
		{"state != STATE_PUBLISHED", false},
		{"state:STATE_PUBLISHED", true},
		{"state = STATE_DRAFT", false},
		{"state != STATE_DRAFT", true},
		{`title = "Moon landing"`, true},
		{`title = "moon landing"`, false},
		{`title:"Moon landing"`, true},
		{`title:Moon`, false},
		{`title != "Moon landing"`, false},
		{`title < N`, true},
		{`title > N`, false},
		{`title >= "Moon landing"`, true},
		{`title <= "Moon landing"`, true},
		{`title <= Moon`, false},
		{`title > Moon`, true},
		{`claim.claimant.name = NASA`, true},
		{`citations.source = sources/1`, true},
		{`citations.source:sources/2`, true},
		{`citations.source = sources/3`, false},
		{`citations.source != sources/3`, true},
		{`citations.source != sources/1`, false},
		{`labels.topic = space`, true},
		{`labels.topic:space`, true},
		{`labels.topic != space`, false},
		{`labels.topic != other`, true},
		{`labels.topic < t`, true},
		{`labels.topic > t`, false},
		{`labels.missing != x`, false},
		{`labels.missing = ""`, false},
		{`labels.empty = ""`, true},
		{`labels:topic`, true},
		{`labels:empty`, true},
		{`labels:missing`, false},
		{`labels:space`, false},
		{`create_time = "2024-01-31T00:00:00Z"`, true},
		{`create_time = "2024-01-31T01:00:00+01:00"`, true},
		{`create_time != "2024-01-31T00:00:00Z"`, false},
		{`create_time != "2024-01-30T00:00:00Z"`, true},
		{`create_time > "2024-01-30T00:00:00Z"`, true},
		{`create_time < "2024-01-30T00:00:00Z"`, false},
		{`create_time <= "2024-01-31T00:00:00Z"`, true},
		{`create_time >= "2024-01-31T00:00:00Z"`, true},
		{`create_time < "2024-01-31T00:00:00Z"`, false},
		{`create_time > "2024-01-31T00:00:00.000000001Z"`, false},
		{`publish_time = "2024-01-31T00:00:00Z"`, false},
		{`publish_time != "2024-01-31T00:00:00Z"`, true},
		{`publish_time < "2024-01-31T00:00:00Z"`, false},
		{`publish_time > "2024-01-31T00:00:00Z"`, false},
		{`publish_time >= "2024-01-31T00:00:00Z"`, false},
		{`NOT publish_time > "2024-01-31T00:00:00Z"`, true},
		{`state = STATE_DRAFT OR title = "Moon landing"`, true},
		{`state = STATE_DRAFT OR title = x`, false},
		{`state = STATE_PUBLISHED labels.topic = space`, true},
		{`state = STATE_PUBLISHED labels.topic = other`, false},
		{`NOT state = STATE_DRAFT`, true},
		{`-labels:topic`, false},
		{`--labels:topic`, true},
		// AIP-160 precedence: false AND (x OR true), not (false AND x) OR true.
		{`state = STATE_DRAFT AND title = x OR labels.lang = en`, false},
		{`(state = STATE_DRAFT AND title = x) OR labels.lang = en`, true},
		{`state = STATE_PUBLISHED AND title = x OR labels.lang = en`, true},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src, testSchema)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := Match(e, sample); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestMatchMissingValues(t *testing.T) {
	empty := &testRecord{}
	tests := []struct {
		src  string
		want bool
	}{
		{`title = ""`, true},
		{`title != ""`, false},
		{`citations.source != x`, true},
		{`citations.source:x`, false},
		{`labels:x`, false},
		{`labels.x != y`, false},
		{`create_time != "2024-01-31T00:00:00Z"`, true},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		if got := Match(e, empty); got != tt.want {
			t.Errorf("Match(%q, empty) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestEqualityTerms(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"", nil},
		{"state = STATE_PUBLISHED", []string{"state=STATE_PUBLISHED"}},
		{"state = STATE_PUBLISHED AND title > a AND labels.topic = space", []string{"state=STATE_PUBLISHED", "labels[topic]=space"}},
		{"state = STATE_PUBLISHED OR title = a", nil},
		{"NOT state = STATE_PUBLISHED", nil},
		{"title != a", nil},
		{`citations.source:sources/1 (title = a OR title = b) labels:topic -labels:x create_time = "2024-01-31T00:00:00Z"`,
			[]string{"citations.source:sources/1", "labels:topic", "create_time=2024-01-31T00:00:00Z"}},
		{"title = a AND (state = STATE_DRAFT AND labels.k = v)", []string{"title=a", "state=STATE_DRAFT", "labels[k]=v"}},
		{"state:STATE_DRAFT", []string{"state:STATE_DRAFT"}},
		{"title = a AND title = b OR title = c", []string{"title=a"}},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		var got []string
		for _, c := range EqualityTerms(e) {
			got = append(got, tree(c))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("EqualityTerms(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestFields(t *testing.T) {
	e, err := Parse("state = STATE_DRAFT OR labels.a = b AND labels:c NOT title = t state = STATE_PUBLISHED", testSchema)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Fields(e), []string{"labels", "state", "title"}; !slices.Equal(got, want) {
		t.Errorf("Fields = %q, want %q", got, want)
	}
	if got := Fields(nil); len(got) != 0 {
		t.Errorf("Fields(nil) = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"state = STATE_PUBLISHED",
		`title = "say \"hi\"" AND labels.topic:space`,
		`create_time >= "2024-01-31T00:00:00Z" OR publish_time < '2020-01-01T00:00:00.5+02:00'`,
		"-(citations.source = sources/1 OR NOT labels:x) title > m",
		"verdict.rating != RATING_FALSE state:STATE_DRAFT",
		"((title = a) AND (title = b OR title = c))",
		"ratng = RATING_FALSE",
		`title = "unterminated`,
		"(title = a",
		"title = a)",
		"title = a AND",
		"labels = x",
		"state < STATE_DRAFT",
		"create_time > 2024-01-31T00:00:00Z",
		"title == a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src, testSchema)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", src, err, err)
			}
			if se.Pos < 0 || se.Pos > len(src) {
				t.Fatalf("Parse(%q) error at %d, outside 0..%d", src, se.Pos, len(src))
			}
			if se.Message == "" {
				t.Fatalf("Parse(%q) error without a message", src)
			}
			return
		}
		Match(e, sample)
		Match(e, &testRecord{})
		EqualityTerms(e)
		Fields(e)
		if e == nil {
			return
		}
		s := e.String()
		if len(s) > MaxLength {
			return
		}
		back, err := Parse(s, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", src, s, err)
		}
		if tree(back) != tree(e) {
			t.Fatalf("Parse(%q) = %s, but its String %q parses as %s", src, tree(e), s, tree(back))
		}
	})
}

const benchFilter = `state = STATE_PUBLISHED AND verdict.rating != RATING_TRUE AND create_time > "2024-01-01T00:00:00Z"`

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchFilter, testSchema); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	e, err := Parse(benchFilter, testSchema)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !Match(e, sample) {
			b.Fatal("no match")
		}
	}
}
