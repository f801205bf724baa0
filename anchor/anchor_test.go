package anchor

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

const (
	family  = "\U0001F468\u200D\U0001F469\u200D\U0001F467" // 👨‍👩‍👧: 5 code points, 8 UTF-16 units, 18 bytes
	flag    = "\U0001F1EE\U0001F1F6"                       // 🇮🇶: 2 code points, 4 UTF-16 units, 8 bytes
	balloon = "\U0001F4AC"                                 // 💬: 1 code point, 2 UTF-16 units, 4 bytes
	cafe    = "cafe\u0301"                                 // e + combining acute: 5 code points
)

func TestResolve(t *testing.T) {
	long := strings.Repeat("x", 40) + "QUOTE" + strings.Repeat("y", 40)
	tests := []struct {
		name string
		text string
		sel  Selector
		want Result
	}{
		{
			name: "ASCII, context captured both sides",
			text: "The minister said the talks are over.",
			sel:  Selector{Exact: "the talks"},
			want: Result{Start: 18, End: 27, Prefix: "The minister said ", Suffix: " are over.",
				UTF16: Span{18, 27}, UTF8: Span{18, 27}},
		},
		{
			name: "quote is the whole text",
			text: "over",
			sel:  Selector{Exact: "over"},
			want: Result{Start: 0, End: 4, UTF16: Span{0, 4}, UTF8: Span{0, 4}},
		},
		{
			name: "quote at the very start: no prefix to capture",
			text: "Talks are over.",
			sel:  Selector{Exact: "Talks"},
			want: Result{Start: 0, End: 5, Prefix: "", Suffix: " are over.", UTF16: Span{0, 5}, UTF8: Span{0, 5}},
		},
		{
			name: "quote at the very end: no suffix to capture",
			text: "Talks are over.",
			sel:  Selector{Exact: "over."},
			want: Result{Start: 10, End: 15, Prefix: "Talks are ", Suffix: "", UTF16: Span{10, 15}, UTF8: Span{10, 15}},
		},
		{
			name: "context clipped to ContextLength code points",
			text: long,
			sel:  Selector{Exact: "QUOTE"},
			want: Result{Start: 40, End: 45, Prefix: strings.Repeat("x", ContextLength), Suffix: strings.Repeat("y", ContextLength),
				UTF16: Span{40, 45}, UTF8: Span{40, 45}},
		},
		{
			name: "context counted in code points, not bytes",
			text: strings.Repeat("ب", 40) + "Q" + strings.Repeat(balloon, 40),
			sel:  Selector{Exact: "Q"},
			want: Result{Start: 40, End: 41, Prefix: strings.Repeat("ب", ContextLength), Suffix: strings.Repeat(balloon, ContextLength),
				UTF16: Span{40, 41}, UTF8: Span{80, 81}},
		},
		{
			name: "Arabic",
			text: "قالت المتحدثة سابرينا سينغ إن",
			sel:  Selector{Exact: "سابرينا سينغ"},
			want: Result{Start: 14, End: 26, Prefix: "قالت المتحدثة ", Suffix: " إن",
				UTF16: Span{14, 26}, UTF8: Span{26, 49}},
		},
		{
			name: "emoji outside the BMP before the quote",
			text: balloon + " said: hi",
			sel:  Selector{Exact: "hi"},
			want: Result{Start: 8, End: 10, Prefix: balloon + " said: ", Suffix: "",
				UTF16: Span{9, 11}, UTF8: Span{11, 13}},
		},
		{
			name: "emoji outside the BMP as the quote",
			text: "a" + balloon + "b",
			sel:  Selector{Exact: balloon},
			want: Result{Start: 1, End: 2, Prefix: "a", Suffix: "b", UTF16: Span{1, 3}, UTF8: Span{1, 5}},
		},
		{
			name: "ZWJ family sequence is five code points",
			text: "x " + family + " y",
			sel:  Selector{Exact: family},
			want: Result{Start: 2, End: 7, Prefix: "x ", Suffix: " y", UTF16: Span{2, 10}, UTF8: Span{2, 20}},
		},
		{
			name: "text after a ZWJ family sequence",
			text: family + " y",
			sel:  Selector{Exact: "y"},
			want: Result{Start: 6, End: 7, Prefix: family + " ", UTF16: Span{9, 10}, UTF8: Span{19, 20}},
		},
		{
			name: "flag is two regional indicators",
			text: "Shafaq " + flag + " News",
			sel:  Selector{Exact: flag},
			want: Result{Start: 7, End: 9, Prefix: "Shafaq ", Suffix: " News", UTF16: Span{7, 11}, UTF8: Span{7, 15}},
		},
		{
			name: "combining accent is its own code point",
			text: "the " + cafe + " owner",
			sel:  Selector{Exact: cafe + " owner"},
			want: Result{Start: 4, End: 15, Prefix: "the ", UTF16: Span{4, 15}, UTF8: Span{4, 16}},
		},
		{
			name: "prefix narrows a repeated quote; the caller's prefix is kept",
			text: "He said no. She said no. They said no.",
			sel:  Selector{Exact: "said no", Prefix: "She "},
			want: Result{Start: 16, End: 23, Prefix: "She ", Suffix: ". They said no.", UTF16: Span{16, 23}, UTF8: Span{16, 23}},
		},
		{
			name: "suffix narrows a repeated quote; the caller's suffix is kept",
			text: "He said no. She said no. They said no!",
			sel:  Selector{Exact: "said no", Suffix: "!"},
			want: Result{Start: 30, End: 37, Prefix: "He said no. She said no. They ", Suffix: "!", UTF16: Span{30, 37}, UTF8: Span{30, 37}},
		},
		{
			name: "prefix and suffix together narrow what neither does alone",
			text: "a said no. b said yes. a said yes.",
			sel:  Selector{Exact: "said", Prefix: "a ", Suffix: " yes"},
			want: Result{Start: 25, End: 29, Prefix: "a ", Suffix: " yes", UTF16: Span{25, 29}, UTF8: Span{25, 29}},
		},
		{
			name: "overlapping occurrences narrowed by prefix",
			text: "aaaa",
			sel:  Selector{Exact: "aaa", Prefix: "a"},
			want: Result{Start: 1, End: 4, Prefix: "a", UTF16: Span{1, 4}, UTF8: Span{1, 4}},
		},
		{
			name: "position picks one of several occurrences",
			text: "He said no. She said no.",
			sel:  Selector{Exact: "said no", HasPosition: true, Start: 16, End: 23},
			want: Result{Start: 16, End: 23, Prefix: "He said no. She ", Suffix: ".", UTF16: Span{16, 23}, UTF8: Span{16, 23}},
		},
		{
			name: "position wins over context, which is stored as given",
			text: "He said no. She said no.",
			sel:  Selector{Exact: "said no", Prefix: "stale ", Suffix: " stale", HasPosition: true, Start: 3, End: 10},
			want: Result{Start: 3, End: 10, Prefix: "stale ", Suffix: " stale", UTF16: Span{3, 10}, UTF8: Span{3, 10}},
		},
		{
			name: "position over emoji and Arabic",
			text: flag + " رفضت " + balloon + " ok",
			sel:  Selector{Exact: balloon + " ok", HasPosition: true, Start: 8, End: 12},
			want: Result{Start: 8, End: 12, Prefix: flag + " رفضت ", UTF16: Span{10, 15}, UTF8: Span{18, 25}},
		},
		{
			name: "invalid UTF-8: each bad byte is one code point",
			text: "ab\xffcd",
			sel:  Selector{Exact: "\xffc"},
			want: Result{Start: 2, End: 4, Prefix: "ab", Suffix: "d", UTF16: Span{2, 4}, UTF8: Span{2, 4}},
		},
		{
			name: "invalid UTF-8: a truncated sequence is one code point per byte",
			text: "\xe2\x82x",
			sel:  Selector{Exact: "\xe2"},
			want: Result{Start: 0, End: 1, Suffix: "\x82x", UTF16: Span{0, 1}, UTF8: Span{0, 1}},
		},
		{
			name: "invalid UTF-8 with a position",
			text: "\xff\xfe" + balloon + "z",
			sel:  Selector{Exact: "z", HasPosition: true, Start: 3, End: 4},
			want: Result{Start: 3, End: 4, Prefix: "\xff\xfe" + balloon, UTF16: Span{4, 5}, UTF8: Span{6, 7}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.text, tt.sel)
			if err != nil {
				t.Fatalf("Resolve(%q, %+v): %v", tt.text, tt.sel, err)
			}
			if got != tt.want {
				t.Errorf("Resolve(%q, %+v)\n got %+v\nwant %+v", tt.text, tt.sel, got, tt.want)
			}
			if s := tt.text[got.UTF8.Start:got.UTF8.End]; s != tt.sel.Exact {
				t.Errorf("UTF8 span holds %q, want %q", s, tt.sel.Exact)
			}
			if s := string([]rune(tt.text)[got.Start:got.End]); s != string([]rune(tt.sel.Exact)) {
				t.Errorf("code point span holds %q, want %q", s, tt.sel.Exact)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	talks := "He said no. She said no. They said maybe."
	longText := strings.Repeat("word ", 40) + "the end"
	tests := []struct {
		name       string
		text       string
		sel        Selector
		reason     string
		field      string
		contains   []string
		candidates []Span
	}{
		{
			name: "empty quote", text: talks, sel: Selector{},
			reason: ReasonQuoteEmpty, field: "quote.exact",
			contains: []string{"quote is empty", "copy the exact words"},
		},
		{
			name: "empty quote with a position", text: talks, sel: Selector{HasPosition: true, Start: 0, End: 2},
			reason: ReasonQuoteEmpty, field: "quote.exact",
			contains: []string{"quote is empty"},
		},
		{
			name: "negative start", text: talks, sel: Selector{Exact: "He", HasPosition: true, Start: -1, End: 2},
			reason: ReasonPositionRange, field: "position.start",
			contains: []string{"position.start is -1", "from 0", "the quote occurs once, at code points [0,2)"},
		},
		{
			name: "start past the end", text: "abc", sel: Selector{Exact: "a", HasPosition: true, Start: 4, End: 5},
			reason: ReasonPositionRange, field: "position.start",
			contains: []string{"position.start is 4", "which is 3 code points long"},
		},
		{
			name: "end past the end", text: talks, sel: Selector{Exact: "maybe.", HasPosition: true, Start: 35, End: 45},
			reason: ReasonPositionRange, field: "position.end",
			contains: []string{"position.end is 45", "past the end of the text, which is 41 code points long", "occurs once, at code points [35,41)"},
		},
		{
			name: "end past the end counted in UTF-16 units", text: balloon + " ok", sel: Selector{Exact: "ok", HasPosition: true, Start: 3, End: 5},
			reason: ReasonPositionRange, field: "position.end",
			contains: []string{"which is 4 code points long", "UTF-16 code units", "use [2,4)"},
		},
		{
			name: "end before start", text: talks, sel: Selector{Exact: "said", HasPosition: true, Start: 8, End: 3},
			reason: ReasonPositionReversed, field: "position",
			contains: []string{"position.end (3) is before position.start (8)", "4 code points", "the quote occurs 3 times, at code points [3,7), [16,20) and [30,34)"},
		},
		{
			name: "empty span", text: talks, sel: Selector{Exact: "said", HasPosition: true, Start: 3, End: 3},
			reason: ReasonPositionReversed, field: "position",
			contains: []string{"both 3", "selects nothing", "start plus the quote's length (4 code points)"},
		},
		{
			name: "mismatch lists where the quote is", text: talks, sel: Selector{Exact: "said no", HasPosition: true, Start: 2, End: 9},
			reason: ReasonPositionMismatch, field: "position",
			contains:   []string{`the text at code points [2,9) reads " said n", not the quote "said no"`, "occurs twice, at code points [3,10) and [16,23)"},
			candidates: []Span{{3, 10}, {16, 23}},
		},
		{
			name: "mismatch with a quote that is nowhere", text: talks, sel: Selector{Exact: "yes", HasPosition: true, Start: 0, End: 3},
			reason: ReasonPositionMismatch, field: "position",
			contains: []string{`reads "He "`, "the quote does not occur in the text"},
		},
		{
			name: "mismatch shortens long text", text: longText, sel: Selector{Exact: longText[5:], HasPosition: true, Start: 0, End: Length(longText) - 5},
			reason: ReasonPositionMismatch, field: "position",
			contains:   []string{"…", `reads "word word`, "occurs once, at code points [5,207)"},
			candidates: []Span{{5, 207}},
		},
		{
			name: "mismatch counted in UTF-16 units", text: flag + " رفضت " + balloon + " ok and more", sel: Selector{Exact: "ok", HasPosition: true, Start: 13, End: 15},
			reason: ReasonPositionMismatch, field: "position",
			contains:   []string{"UTF-16 code units (JavaScript string indices)", "use [10,12)"},
			candidates: []Span{{10, 12}},
		},
		{
			name: "mismatch counted in UTF-8 bytes", text: "قالت سابرينا سينغ", sel: Selector{Exact: "سينغ", HasPosition: true, Start: 24, End: 32},
			reason: ReasonPositionRange, field: "position.start",
			contains: []string{"UTF-8 bytes", "use [13,17)"},
		},
		{
			name: "mismatch that prints alike", text: "the " + cafe + " owner", sel: Selector{Exact: "the caf\u00e9", HasPosition: true, Start: 0, End: 9},
			reason: ReasonPositionMismatch, field: "position",
			contains: []string{"they part ways after 7 code points: U+0065 U+0301 in the text, U+00E9 in the quote", "the quote does not occur in the text"},
		},
		{
			name: "not found", text: talks, sel: Selector{Exact: "said yes"},
			reason: ReasonQuoteNotFound, field: "quote.exact",
			contains: []string{`the quote "said yes" does not occur in the text`, "character for character"},
		},
		{
			name: "not found: straight apostrophe for a curly one", text: "The minister said it’s over.", sel: Selector{Exact: "minister said it's over"},
			reason: ReasonQuoteNotFound, field: "quote.exact",
			contains: []string{"first 16 of 23 code points at [4,20)", "U+2019 in the text, U+0027 in the quote"},
		},
		{
			name: "not found: precomposed accent where the text has a combining one", text: "the " + cafe + " owner said", sel: Selector{Exact: "the caf\u00e9 owner"},
			reason: ReasonQuoteNotFound, field: "quote.exact",
			contains: []string{"first 7 of 14 code points at [0,7)", "U+0065 U+0301 in the text, U+00E9 in the quote"},
		},
		{
			name: "not found: quote runs past the end of the text", text: "talks are over", sel: Selector{Exact: "talks are over now"},
			reason: ReasonQuoteNotFound, field: "quote.exact",
			contains: []string{"first 14 of 18 code points at [0,14)", "but ends there"},
		},
		{
			name: "not found: bytes cut from the middle of a character", text: "€", sel: Selector{Exact: "\x82"},
			reason: ReasonQuoteNotFound, field: "quote.exact",
			contains: []string{`"\x82" does not occur`},
		},
		{
			name: "prefix rules every occurrence out", text: talks, sel: Selector{Exact: "said no", Prefix: "We "},
			reason: ReasonQuoteNotFound, field: "quote.prefix",
			contains: []string{"occurs twice, at code points [3,10) and [16,23)", `never right after the given prefix "We "`, `right before them the text has "He " and "he "`, "leave the prefix empty"},
		},
		{
			name: "prefix rules out an occurrence at the start of the text", text: talks, sel: Selector{Exact: "He", Prefix: "x"},
			reason: ReasonQuoteNotFound, field: "quote.prefix",
			contains: []string{"right before it the text has (the start of the text)"},
		},
		{
			name: "suffix rules every occurrence out", text: talks, sel: Selector{Exact: "said", Suffix: " yes"},
			reason: ReasonQuoteNotFound, field: "quote.suffix",
			contains: []string{"occurs 3 times", `never right before the given suffix " yes"`, `" no."`, `" may"`, "leave the suffix empty"},
		},
		{
			name: "suffix rules out an occurrence at the end of the text", text: talks, sel: Selector{Exact: "maybe.", Suffix: "!"},
			reason: ReasonQuoteNotFound, field: "quote.suffix",
			contains: []string{"(the end of the text)"},
		},
		{
			name: "prefix and suffix fit different occurrences", text: talks, sel: Selector{Exact: "said", Prefix: "He ", Suffix: " maybe"},
			reason: ReasonQuoteNotFound, field: "quote.prefix",
			contains: []string{"follows the given prefix at [3,7)", "precedes the given suffix at [30,34)", "never both at once"},
		},
		{
			name: "both prefix and suffix wrong", text: talks, sel: Selector{Exact: "said", Prefix: "We ", Suffix: " yes"},
			reason: ReasonQuoteNotFound, field: "quote.prefix",
			contains: []string{"never right after the given prefix", "the given suffix does not fit any occurrence either"},
		},
		{
			name: "ambiguous", text: talks, sel: Selector{Exact: "said"},
			reason: ReasonQuoteAmbiguous, field: "quote.exact",
			contains:   []string{"occurs 3 times, at code points [3,7), [16,20) and [30,34)", "give position.start and position.end, or a prefix or suffix"},
			candidates: []Span{{3, 7}, {16, 20}, {30, 34}},
		},
		{
			name: "ambiguous even with context", text: talks, sel: Selector{Exact: "said", Suffix: " no"},
			reason: ReasonQuoteAmbiguous, field: "quote.exact",
			contains:   []string{"even with the given suffix", "occurs twice, at code points [3,7) and [16,20)", "longer prefix or suffix"},
			candidates: []Span{{3, 7}, {16, 20}},
		},
		{
			name: "overlapping occurrences count", text: "aaaa", sel: Selector{Exact: "aaa"},
			reason: ReasonQuoteAmbiguous, field: "quote.exact",
			contains:   []string{"twice, at code points [0,3) and [1,4)"},
			candidates: []Span{{0, 3}, {1, 4}},
		},
		{
			name: "ambiguous across emoji", text: balloon + "x" + family + "x", sel: Selector{Exact: "x"},
			reason: ReasonQuoteAmbiguous, field: "quote.exact",
			contains:   []string{"twice, at code points [1,2) and [7,8)"},
			candidates: []Span{{1, 2}, {7, 8}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(tt.text, tt.sel)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Resolve(%q, %+v) = %v, want an *Error", tt.text, tt.sel, err)
			}
			if e.Reason != tt.reason || e.Field != tt.field {
				t.Errorf("got %s on %q, want %s on %q: %s", e.Reason, e.Field, tt.reason, tt.field, e.Description)
			}
			for _, c := range tt.contains {
				if !strings.Contains(e.Description, c) {
					t.Errorf("description lacks %q:\n%s", c, e.Description)
				}
			}
			if !equalSpans(e.Candidates, tt.candidates) {
				t.Errorf("Candidates = %v, want %v", e.Candidates, tt.candidates)
			}
			if want := e.Field + ": " + e.Description; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestResolveManyCandidates(t *testing.T) {
	text := strings.Repeat("no. ", 100)
	_, err := Resolve(text, Selector{Exact: "no."})
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonQuoteAmbiguous {
		t.Fatalf("got %v, want %s", err, ReasonQuoteAmbiguous)
	}
	if len(e.Candidates) != MaxCandidates {
		t.Errorf("%d candidates, want MaxCandidates (%d)", len(e.Candidates), MaxCandidates)
	}
	for i, c := range e.Candidates {
		if want := (Span{4 * i, 4*i + 3}); c != want {
			t.Errorf("candidate %d = %v, want %v", i, c, want)
		}
	}
	for _, want := range []string{"occurs 100 times", "[0,3), [4,7)", "[36,39) and 90 more"} {
		if !strings.Contains(e.Description, want) {
			t.Errorf("description lacks %q:\n%s", want, e.Description)
		}
	}
}

// TestResolvePeriodicQuote guards the linear-time search: a quote that
// overlaps itself at every byte in a text made of nothing else would take
// ~10^10 comparisons with a naive rescan after each match.
func TestResolvePeriodicQuote(t *testing.T) {
	text := strings.Repeat("a", 1<<20)
	quote := strings.Repeat("a", 10000)
	_, err := Resolve(text, Selector{Exact: quote})
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonQuoteAmbiguous {
		t.Fatalf("got %v, want %s", err, ReasonQuoteAmbiguous)
	}
	if want := strconv.Itoa(1<<20-10000+1) + " times"; !strings.Contains(e.Description, want) {
		t.Errorf("description lacks %q: %s", want, e.Description)
	}
	got, err := Resolve(text, Selector{Exact: quote, Suffix: "a", Prefix: strings.Repeat("a", 1<<20-10001)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Start != 1<<20-10001 || got.End != 1<<20-1 {
		t.Errorf("span [%d,%d), want [%d,%d)", got.Start, got.End, 1<<20-10001, 1<<20-1)
	}
	_, err = Resolve(text, Selector{Exact: quote, Prefix: "b"})
	if !errors.As(err, &e) || e.Reason != ReasonQuoteNotFound || e.Field != "quote.prefix" {
		t.Fatalf("got %v, want %s on quote.prefix", err, ReasonQuoteNotFound)
	}
}

type sample struct {
	Text   string `json:"text"`
	Quotes []struct {
		Exact      string `json:"exact"`
		CodePoints [2]int `json:"code_points"`
		UTF16      [2]int `json:"utf16"`
		UTF8       [2]int `json:"utf8_bytes"`
	} `json:"quotes"`
}

func loadSample(t *testing.T, name string) sample {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var s sample
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func TestMultilingualSample(t *testing.T) {
	s := loadSample(t, "multilingual.article.json")
	if len(s.Quotes) == 0 {
		t.Fatal("sample lists no quotes")
	}
	for _, q := range s.Quotes {
		t.Run(q.Exact, func(t *testing.T) {
			cp := Span{q.CodePoints[0], q.CodePoints[1]}
			u16 := Span{q.UTF16[0], q.UTF16[1]}
			u8 := Span{q.UTF8[0], q.UTF8[1]}
			for _, sel := range []Selector{
				{Exact: q.Exact},
				{Exact: q.Exact, HasPosition: true, Start: cp.Start, End: cp.End},
			} {
				r, err := Resolve(s.Text, sel)
				if err != nil {
					t.Fatalf("Resolve(%+v): %v", sel, err)
				}
				if got := (Span{r.Start, r.End}); got != cp {
					t.Errorf("HasPosition=%v: code points %v, want %v", sel.HasPosition, got, cp)
				}
				if r.UTF16 != u16 {
					t.Errorf("HasPosition=%v: UTF-16 %v, want %v", sel.HasPosition, r.UTF16, u16)
				}
				if r.UTF8 != u8 {
					t.Errorf("HasPosition=%v: UTF-8 %v, want %v", sel.HasPosition, r.UTF8, u8)
				}
				if r.Prefix == "" || !strings.HasSuffix(s.Text[:u8.Start], r.Prefix) {
					t.Errorf("prefix %q does not end right before the quote", r.Prefix)
				}
				if r.Suffix == "" || !strings.HasPrefix(s.Text[u8.End:], r.Suffix) {
					t.Errorf("suffix %q does not start right after the quote", r.Suffix)
				}
			}
			if got, ok := CodePointsToUTF8(s.Text, cp.Start, cp.End); !ok || got != u8 {
				t.Errorf("CodePointsToUTF8 = %v, %v; want %v", got, ok, u8)
			}
			if got, ok := CodePointsToUTF16(s.Text, cp.Start, cp.End); !ok || got != u16 {
				t.Errorf("CodePointsToUTF16 = %v, %v; want %v", got, ok, u16)
			}
			if got, ok := UTF16ToCodePoints(s.Text, u16.Start, u16.End); !ok || got != cp {
				t.Errorf("UTF16ToCodePoints = %v, %v; want %v", got, ok, cp)
			}
			if got, ok := UTF8ToCodePoints(s.Text, u8.Start, u8.End); !ok || got != cp {
				t.Errorf("UTF8ToCodePoints = %v, %v; want %v", got, ok, cp)
			}
		})
	}
}

func TestShafaqSample(t *testing.T) {
	s := loadSample(t, "shafaq-talks.article.json")
	const quote = "have been ongoing even before the attack"
	r, err := Resolve(s.Text, Selector{Exact: quote})
	if err != nil {
		t.Fatal(err)
	}
	if got := string([]rune(s.Text)[r.Start:r.End]); got != quote {
		t.Errorf("span [%d,%d) holds %q", r.Start, r.End, got)
	}
	if got := s.Text[r.UTF8.Start:r.UTF8.End]; got != quote {
		t.Errorf("UTF-8 span %v holds %q", r.UTF8, got)
	}
	if Length(r.Prefix) != ContextLength || Length(r.Suffix) != ContextLength {
		t.Errorf("context %q / %q, want %d code points each", r.Prefix, r.Suffix, ContextLength)
	}
	// Re-anchoring with the captured context finds the same span.
	again, err := Resolve(s.Text, Selector{Exact: quote, Prefix: r.Prefix, Suffix: r.Suffix})
	if err != nil || again != r {
		t.Errorf("re-anchoring with captured context: %+v, %v; want %+v", again, err, r)
	}

	_, err = Resolve(s.Text, Selector{Exact: "the Islamic Resistance"})
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonQuoteAmbiguous || len(e.Candidates) != 2 {
		t.Errorf("repeated phrase: got %v, want %s with 2 candidates", err, ReasonQuoteAmbiguous)
	}
}

func TestConversions(t *testing.T) {
	text := "a" + balloon + family + flag + cafe + "ب\xff"
	// code points: a=0, balloon=1, family=2..6, flag=7..8, cafe=9..13, ب=14, \xff=15 (16 in all);
	// UTF-16 units: 22; bytes: 40.
	tests := []struct {
		name     string
		cp       Span
		u16, u8  Span
		ok       bool
		u16Fails bool
	}{
		{name: "empty at start", cp: Span{0, 0}, u16: Span{0, 0}, u8: Span{0, 0}, ok: true},
		{name: "ASCII", cp: Span{0, 1}, u16: Span{0, 1}, u8: Span{0, 1}, ok: true},
		{name: "astral emoji", cp: Span{1, 2}, u16: Span{1, 3}, u8: Span{1, 5}, ok: true},
		{name: "ZWJ family", cp: Span{2, 7}, u16: Span{3, 11}, u8: Span{5, 23}, ok: true},
		{name: "flag", cp: Span{7, 9}, u16: Span{11, 15}, u8: Span{23, 31}, ok: true},
		{name: "half a flag", cp: Span{7, 8}, u16: Span{11, 13}, u8: Span{23, 27}, ok: true},
		{name: "combining mark", cp: Span{13, 14}, u16: Span{19, 20}, u8: Span{35, 37}, ok: true},
		{name: "Arabic and an invalid byte", cp: Span{14, 16}, u16: Span{20, 22}, u8: Span{37, 40}, ok: true},
		{name: "empty at end", cp: Span{16, 16}, u16: Span{22, 22}, u8: Span{40, 40}, ok: true},
		{name: "end past the text", cp: Span{0, 17}},
		{name: "start past the text", cp: Span{17, 17}},
		{name: "negative start", cp: Span{-1, 2}},
		{name: "reversed", cp: Span{3, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := CodePointsToUTF8(text, tt.cp.Start, tt.cp.End); ok != tt.ok || ok && got != tt.u8 {
				t.Errorf("CodePointsToUTF8 = %v, %v; want %v, %v", got, ok, tt.u8, tt.ok)
			}
			if got, ok := CodePointsToUTF16(text, tt.cp.Start, tt.cp.End); ok != tt.ok || ok && got != tt.u16 {
				t.Errorf("CodePointsToUTF16 = %v, %v; want %v, %v", got, ok, tt.u16, tt.ok)
			}
			if !tt.ok {
				return
			}
			if got, ok := UTF16ToCodePoints(text, tt.u16.Start, tt.u16.End); !ok || got != tt.cp {
				t.Errorf("UTF16ToCodePoints = %v, %v; want %v", got, ok, tt.cp)
			}
			if got, ok := UTF8ToCodePoints(text, tt.u8.Start, tt.u8.End); !ok || got != tt.cp {
				t.Errorf("UTF8ToCodePoints = %v, %v; want %v", got, ok, tt.cp)
			}
		})
	}

	invalid := []struct {
		name       string
		start, end int
		utf8       bool
	}{
		{name: "UTF-16 start inside a surrogate pair", start: 2, end: 3},
		{name: "UTF-16 end inside a surrogate pair", start: 0, end: 2},
		{name: "UTF-16 end past the text", start: 0, end: 23},
		{name: "UTF-16 reversed", start: 3, end: 1},
		{name: "UTF-16 negative", start: -1, end: 1},
		{name: "UTF-8 start inside a character", start: 2, end: 5, utf8: true},
		{name: "UTF-8 end inside a character", start: 0, end: 4, utf8: true},
		{name: "UTF-8 end past the text", start: 0, end: 41, utf8: true},
		{name: "UTF-8 reversed", start: 5, end: 1, utf8: true},
		{name: "UTF-8 negative", start: -1, end: 1, utf8: true},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			var got Span
			var ok bool
			if tt.utf8 {
				got, ok = UTF8ToCodePoints(text, tt.start, tt.end)
			} else {
				got, ok = UTF16ToCodePoints(text, tt.start, tt.end)
			}
			if ok {
				t.Errorf("got %v, ok; want false", got)
			}
		})
	}
}

func TestLength(t *testing.T) {
	for _, s := range []string{"", "abc", "سابرينا", balloon, family, flag, cafe, "\xff\xfe", "\xe2\x82", "a\xf0\x9f\x92"} {
		if got, want := Length(s), len([]rune(s)); got != want {
			t.Errorf("Length(%q) = %d, want %d", s, got, want)
		}
	}
	if got := Length(family); got != 5 {
		t.Errorf("Length(family) = %d, want 5", got)
	}
}

func equalSpans(a, b []Span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
