package anchor

import (
	"strings"
	"testing"
)

// storeAt anchors the n-th occurrence (from 0) of quote in text as the server
// stores an annotation: resolved by position, with context captured.
func storeAt(t testing.TB, text, quote string, n int) Stored {
	t.Helper()
	start := cpIndexOf(text, quote, n)
	if start < 0 {
		t.Fatalf("%q does not occur %d times in %q", quote, n+1, text)
	}
	r, err := Resolve(text, Selector{Exact: quote, HasPosition: true, Start: start, End: start + Length(quote)})
	if err != nil {
		t.Fatal(err)
	}
	return Stored{Exact: quote, Prefix: r.Prefix, Suffix: r.Suffix, Start: r.Start, End: r.End}
}

// cpIndexOf returns the code point offset of the n-th occurrence (from 0) of
// sub in s, or -1.
func cpIndexOf(s, sub string, n int) int {
	b := 0
	for {
		i := strings.Index(s[b:], sub)
		if i < 0 {
			return -1
		}
		if n == 0 {
			return Length(s[:b+i])
		}
		n--
		b += i + 1
	}
}

// sliceCP returns code points [start, end) of s.
func sliceCP(s string, start, end int) string {
	sp, ok := CodePointsToUTF8(s, start, end)
	if !ok {
		return "<out of range>"
	}
	return s[sp.Start:sp.End]
}

// checkRelocation checks what holds of every relocation, whatever the
// texts: the span fits the new text and agrees with Found, the offsets in
// the other units and the context; each status keeps its promises.
func checkRelocation(t *testing.T, oldText, newText string, a Stored, r Relocation) {
	t.Helper()
	if r.OldStart != a.Start || r.OldEnd != a.End {
		t.Errorf("old span [%d,%d), want the stored [%d,%d)", r.OldStart, r.OldEnd, a.Start, a.End)
	}
	switch r.Status {
	case Anchored, Moved, Fuzzy:
		n := Length(newText)
		if r.Start < 0 || r.Start > r.End || r.End > n {
			t.Fatalf("%v span [%d,%d) outside the new text's %d code points", r.Status, r.Start, r.End, n)
		}
		if got := sliceCP(newText, r.Start, r.End); got != r.Found {
			t.Errorf("Found %q, but the new text has %q at [%d,%d)", r.Found, got, r.Start, r.End)
		}
		u8, _ := CodePointsToUTF8(newText, r.Start, r.End)
		u16, _ := CodePointsToUTF16(newText, r.Start, r.End)
		if r.UTF8 != u8 || r.UTF16 != u16 {
			t.Errorf("UTF-8 %v, UTF-16 %v; want %v, %v", r.UTF8, r.UTF16, u8, u16)
		}
		wantPrefix := sliceCP(newText, max(0, r.Start-ContextLength), r.Start)
		wantSuffix := sliceCP(newText, r.End, min(n, r.End+ContextLength))
		if r.Prefix != wantPrefix || r.Suffix != wantSuffix {
			t.Errorf("context %q / %q, want %q / %q", r.Prefix, r.Suffix, wantPrefix, wantSuffix)
		}
	case Orphaned:
		if r.Start != a.Start || r.End != a.End || r.Found != "" || r.Prefix != a.Prefix || r.Suffix != a.Suffix {
			t.Errorf("orphan [%d,%d) Found %q context %q/%q; want the stored span and context and nothing found",
				r.Start, r.End, r.Found, r.Prefix, r.Suffix)
		}
		if r.Score < 0 || r.Score >= FuzzyThreshold {
			t.Errorf("orphan scored %v, want [0, %v)", r.Score, FuzzyThreshold)
		}
		if !r.TextChanged || r.Before != a.Exact || r.After != "" {
			t.Errorf("orphan: TextChanged %v, before %q after %q; want true, %q, \"\"", r.TextChanged, r.Before, r.After, a.Exact)
		}
	default:
		t.Fatalf("status %v", r.Status)
	}
	switch r.Status {
	case Anchored, Moved:
		if r.Found != a.Exact || r.Score != 1 || r.TextChanged || r.Before != "" || r.After != "" {
			t.Errorf("%v: Found %q score %v TextChanged %v before %q after %q; want the quote %q, 1, false",
				r.Status, r.Found, r.Score, r.TextChanged, r.Before, r.After, a.Exact)
		}
	case Fuzzy:
		if r.Found == a.Exact || r.Score < FuzzyThreshold || r.Score >= 1 {
			t.Errorf("fuzzy: Found %q (quote %q), score %v; want a different text scoring in [%v, 1)", r.Found, a.Exact, r.Score, FuzzyThreshold)
		}
		wsOnly := equalExceptSpace(r.Found, a.Exact)
		if wsOnly != (r.Score == WhitespaceScore) || r.TextChanged == wsOnly {
			t.Errorf("fuzzy: whitespace-only %v, score %v, TextChanged %v", wsOnly, r.Score, r.TextChanged)
		}
		if r.TextChanged && (r.Before != a.Exact || r.After != r.Found) {
			t.Errorf("fuzzy: before %q after %q; want %q, %q", r.Before, r.After, a.Exact, r.Found)
		}
	}
	// Words still there verbatim are never lost, nor traded for an
	// approximation, though an occurrence differing only in whitespace may
	// win by its context.
	if ms, _ := search(newText, "", a.Exact, "", 1, false); len(ms) > 0 && a.Exact != "" &&
		(r.Status == Orphaned || r.Status == Fuzzy && r.Score != WhitespaceScore) {
		t.Errorf("the quote occurs at %v, but the status is %v (score %v)", ms[0].cp, r.Status, r.Score)
	}
}

const (
	parIraq     = "Shafaq News / The Islamic Resistance in Iraq rejected on Friday the talks between the Iraqi and US governments.\n"
	parPentagon = "Pentagon spokesperson Sabrina Singh denied that the discussions are related to the withdrawal of forces.\n"
	parPost     = "The Washington Post reported that talks have been ongoing even before the attack on October 7, 2023.\n"
	article     = parIraq + parPentagon + parPost
)

func TestReanchor(t *testing.T) {
	const (
		singh    = "Sabrina Singh denied"
		claim    = "denied that the discussions are related to the withdrawal"
		inserted = "Breaking: a second statement was issued on Saturday. "
	)
	tests := []struct {
		name     string
		old, new string
		quote    string
		occ      int // which occurrence of quote in old is annotated
		status   RelocationStatus
		found    string // Found (the quote when empty); unused for Orphaned
		foundOcc int    // which occurrence of found in new the span must be
		minScore float64
	}{
		{name: "text unchanged", old: article, new: article, quote: singh, status: Anchored},
		{name: "sentence inserted before the span: anchored, offsets shifted",
			old: article, new: inserted + article, quote: singh, status: Anchored},
		{name: "paragraph inserted before the span",
			old: article, new: parIraq + "A new paragraph.\n" + parPentagon + parPost, quote: singh, status: Anchored},
		{name: "text deleted before the span",
			old: article, new: parPentagon + parPost, quote: singh, status: Anchored},
		{name: "text appended after the span",
			old: article, new: article + "Update: the ministry declined to comment.\n", quote: claim, status: Anchored},
		{name: "word inserted right before the span: prefix changed, suffix kept",
			old: article, new: strings.Replace(article, "spokesperson Sabrina", "spokesperson Maj. Sabrina", 1), quote: singh, status: Anchored},
		{name: "words changed on both sides, quote intact and unique",
			old: article, new: strings.Replace(article, "Pentagon spokesperson Sabrina Singh denied that the",
				"Yesterday officials said Sabrina Singh denied, firmly, the", 1), quote: singh, status: Anchored},
		{name: "one word changed inside the span: fuzzy",
			old: article, new: strings.Replace(article, "the withdrawal", "the pullout", 1), quote: claim,
			status: Fuzzy, found: "denied that the discussions are related to the pullout", minScore: 0.9},
		{name: "word inserted inside the span: fuzzy",
			old: article, new: strings.Replace(article, "Sabrina Singh", "Sabrina M. Singh", 1), quote: singh,
			status: Fuzzy, found: "Sabrina M. Singh denied", minScore: 0.85},
		{name: "last word of the span deleted: the match stops at the kept suffix",
			old: article, new: strings.Replace(article, "withdrawal of forces", "of forces", 1), quote: claim,
			status: Fuzzy, found: "denied that the discussions are related to the", minScore: 0.8},
		{name: "span rewritten: orphaned",
			old: article, new: strings.Replace(article, claim, "refused to say anything about what was discussed", 1), quote: claim,
			status: Orphaned},
		{name: "span deleted: orphaned",
			old: article, new: strings.Replace(article, "Sabrina Singh denied that ", "", 1), quote: singh, status: Orphaned},
		{name: "paragraph with the span deleted: orphaned",
			old: article, new: parIraq + parPost, quote: claim, status: Orphaned},
		{name: "paragraph duplicated: the copy at the old position wins",
			old: article, new: parIraq + parPentagon + parPentagon + parPost, quote: singh, status: Anchored},
		{name: "paragraph duplicated, span at its end: the copy at the old position wins",
			old: article, new: parIraq + parPentagon + parPentagon + parPost, quote: "withdrawal of forces.", status: Anchored},
		{name: "paragraph duplicated below an insertion",
			old: article, new: inserted + parIraq + parPentagon + parPentagon + parPost, quote: singh, status: Anchored},
		{name: "paragraph moved: moved",
			old: article, new: parPentagon + parPost + parIraq, quote: "rejected on Friday the talks", status: Moved},
		{name: "quote now twice: the occurrence keeping its context wins over the nearer one",
			old:   "Intro.\nAlpha says the talks are over, today.\nOther one.\nOther two.\n",
			new:   "Intro.\nBeta claims: the talks are over!\nOther one.\nOther two.\nAlpha says the talks are over, today.\n",
			quote: "the talks are over", status: Moved, foundOcc: 1},
		{name: "quote twice in the old text, second one annotated",
			old:   "He said no. Later she said no.\n",
			new:   "At first he said no. Later she said no.\n",
			quote: "said no", occ: 1, status: Anchored, foundOcc: 1},
		{name: "paragraph moved and duplicated: the nearer copy wins",
			old:   "Intro.\nLine one.\nLine two.\nThe talks are over, she said.\nLine three.\nF1.\nF2.\nF3.\n",
			new:   "Intro.\nThe talks are over, she said.\nLine one.\nLine two.\nLine three.\nF1.\nF2.\nF3.\nThe talks are over, she said.\n",
			quote: "talks are over", status: Moved},
		{name: "double space inside the span: fuzzy, whitespace only",
			old: article, new: strings.Replace(article, "Sabrina Singh", "Sabrina  Singh", 1), quote: singh,
			status: Fuzzy, found: "Sabrina  Singh denied", minScore: WhitespaceScore},
		{name: "line re-wrapped inside the span",
			old: article, new: strings.Replace(article, "related to the withdrawal", "related to\nthe withdrawal", 1), quote: claim,
			status: Fuzzy, found: "denied that the discussions are related to\nthe withdrawal", minScore: WhitespaceScore},
		{name: "no-break space inside the span",
			old: article, new: strings.Replace(article, "Sabrina Singh", "Sabrina\u00a0Singh", 1), quote: singh,
			status: Fuzzy, found: "Sabrina\u00a0Singh denied", minScore: WhitespaceScore},
		{name: "whitespace changed on both sides of the span: anchored",
			old: article, new: strings.Replace(article, "spokesperson Sabrina Singh denied that", "spokesperson  Sabrina Singh denied\nthat", 1),
			quote: singh, status: Anchored},
		{name: "one invalid byte for another: fuzzy, though both decode to U+FFFD",
			old: "said ab\xffcd today", new: "said ab\xfecd today", quote: "ab\xffcd",
			status: Fuzzy, found: "ab\xfecd", minScore: FuzzyThreshold},
		{name: "text replaced by an unrelated one",
			old: article, new: "Nothing to see here.", quote: singh, status: Orphaned},
		{name: "text emptied", old: article, new: "", quote: singh, status: Orphaned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := storeAt(t, tc.old, tc.quote, tc.occ)
			r := Reanchor(tc.old, tc.new, a)
			checkRelocation(t, tc.old, tc.new, a, r)
			if r.Status != tc.status {
				t.Fatalf("status %v (score %v, found %q at [%d,%d)), want %v", r.Status, r.Score, r.Found, r.Start, r.End, tc.status)
			}
			if tc.status == Orphaned {
				return
			}
			found := tc.found
			if found == "" {
				found = tc.quote
			}
			if r.Found != found {
				t.Errorf("found %q, want %q", r.Found, found)
			}
			if want := cpIndexOf(tc.new, found, tc.foundOcc); r.Start != want {
				t.Errorf("start %d, want %d (occurrence %d of %q)", r.Start, want, tc.foundOcc, found)
			}
			if r.Score < tc.minScore {
				t.Errorf("score %v, want at least %v", r.Score, tc.minScore)
			}
		})
	}
}

// TestReanchorShift spells out what Anchored after an insertion means: new
// offsets, the old ones kept, context from the new text.
func TestReanchorShift(t *testing.T) {
	const ins = "Breaking: "
	a := storeAt(t, article, "Sabrina Singh denied", 0)
	r := Reanchor(article, ins+article, a)
	if r.Status != Anchored || r.Start != a.Start+len(ins) || r.End != a.End+len(ins) || r.OldStart != a.Start || r.OldEnd != a.End {
		t.Errorf("got %v [%d,%d) from [%d,%d); want ANCHORED [%d,%d) from [%d,%d)",
			r.Status, r.Start, r.End, r.OldStart, r.OldEnd, a.Start+len(ins), a.End+len(ins), a.Start, a.End)
	}
}

func TestReanchorStealthEdit(t *testing.T) {
	a := storeAt(t, article, "denied that the discussions are related to the withdrawal", 0)
	r := Reanchor(article, strings.Replace(article, "denied that", "confirmed that", 1), a)
	if r.Status != Fuzzy || !r.TextChanged || r.Before != a.Exact || r.After != "confirmed that the discussions are related to the withdrawal" {
		t.Errorf("got %v changed=%v before %q after %q", r.Status, r.TextChanged, r.Before, r.After)
	}
	r = Reanchor(article, strings.Replace(article, "Sabrina Singh", "Sabrina  Singh", 1), storeAt(t, article, "Sabrina Singh", 0))
	if r.Status != Fuzzy || r.TextChanged || r.Before != "" || r.After != "" {
		t.Errorf("whitespace only: got %v changed=%v before %q after %q; want FUZZY, unchanged", r.Status, r.TextChanged, r.Before, r.After)
	}
}

func TestReanchorBadStored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a      Stored
		status RelocationStatus
	}{
		{"empty quote", Stored{Start: 3, End: 3}, Orphaned},
		{"position past the end, quote present", Stored{Exact: "Sabrina Singh", Start: 5000, End: 5013}, Moved},
		{"negative position, quote present", Stored{Exact: "Sabrina Singh", Start: -4, End: 9}, Moved},
		{"reversed position", Stored{Exact: "Sabrina Singh", Start: 20, End: 10}, Moved},
		{"position holding other words", Stored{Exact: "Sabrina Singh", Start: 0, End: 13}, Moved},
		{"quote absent, position nonsense", Stored{Exact: "no such words anywhere", Start: 1 << 40, End: -1}, Orphaned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Reanchor(article, article+"More.\n", tc.a)
			checkRelocation(t, article, article+"More.\n", tc.a, r)
			if r.Status != tc.status {
				t.Errorf("status %v, want %v", r.Status, tc.status)
			}
		})
	}
}

func TestReanchorAll(t *testing.T) {
	newText := "Update. " + strings.Replace(strings.Replace(article, "the pullout", "the withdrawal", 1), "Friday", "Saturday", 1)
	var anchors []Stored
	for _, q := range []string{"Shafaq News", "rejected on Friday the talks", "Sabrina Singh denied", "October 7, 2023", "attack on"} {
		anchors = append(anchors, storeAt(t, article, q, 0))
	}
	all := ReanchorAll(article, newText, anchors)
	for i, a := range anchors {
		if one := Reanchor(article, newText, a); one != all[i] {
			t.Errorf("%q: ReanchorAll gave %+v, Reanchor %+v", a.Exact, all[i], one)
		}
		checkRelocation(t, article, newText, a, all[i])
	}
}

func TestMultilingualReanchor(t *testing.T) {
	s := loadSample(t, "multilingual.article.json")
	text := s.Text
	tests := []struct {
		name     string
		new      string
		quote    string
		status   RelocationStatus
		found    string
		minScore float64
	}{
		{name: "Arabic sentence edited around the quote",
			new: strings.Replace(text, "وقالت المتحدثة باسم", "وأكدت الناطقة باسم", 1), quote: "سابرينا سينغ", status: Anchored},
		{name: "Arabic quote edited: one word of four",
			new: strings.Replace(text, "المقاومة الإسلامية في العراق", "المقاومة الوطنية في العراق", 1), quote: "المقاومة الإسلامية في العراق",
			status: Fuzzy, found: "المقاومة الوطنية في العراق", minScore: FuzzyThreshold},
		{name: "Arabic name respelled",
			new: strings.Replace(text, "سابرينا سينغ", "سابرينا سينج", 1), quote: "سابرينا سينغ",
			status: Fuzzy, found: "سابرينا سينج", minScore: FuzzyThreshold},
		{name: "emoji inserted before the span",
			new: strings.Replace(text, "The statement", balloon+" The statement", 1), quote: "the language of strength", status: Anchored},
		{name: "emoji inserted before an emoji span",
			new: strings.Replace(text, "\" "+balloon, "\" "+flag+balloon, 1), quote: balloon, status: Anchored},
		{name: "combining accent made precomposed",
			new: strings.Replace(text, "cafe\u0301", "caf\u00e9", 1), quote: "cafe\u0301",
			status: Fuzzy, found: "caf\u00e9", minScore: FuzzyThreshold},
		{name: "Arabic sentence deleted",
			new: text[:strings.Index(text, "وقالت")], quote: "سابرينا سينغ", status: Orphaned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := storeAt(t, text, tc.quote, 0)
			r := Reanchor(text, tc.new, a)
			checkRelocation(t, text, tc.new, a, r)
			if r.Status != tc.status {
				t.Fatalf("status %v (score %v, found %q), want %v", r.Status, r.Score, r.Found, tc.status)
			}
			if tc.status == Orphaned {
				return
			}
			found := tc.found
			if found == "" {
				found = tc.quote
			}
			if r.Found != found || r.Start != cpIndexOf(tc.new, found, 0) {
				t.Errorf("found %q at %d, want %q at %d", r.Found, r.Start, found, cpIndexOf(tc.new, found, 0))
			}
			if r.Score < tc.minScore {
				t.Errorf("score %v, want at least %v", r.Score, tc.minScore)
			}
		})
	}

	// An emoji outside the BMP inserted before a span shifts it by one code
	// point, two UTF-16 units and four bytes.
	a := storeAt(t, text, "the language of strength", 0)
	r := Reanchor(text, balloon+text, a)
	u16, u8 := s.Quotes[1].UTF16, s.Quotes[1].UTF8
	if r.Start != a.Start+1 || r.UTF16 != (Span{u16[0] + 2, u16[1] + 2}) || r.UTF8 != (Span{u8[0] + 4, u8[1] + 4}) {
		t.Errorf("after an emoji: code points [%d,%d), UTF-16 %v, UTF-8 %v", r.Start, r.End, r.UTF16, r.UTF8)
	}
}

func TestShafaqCorrection(t *testing.T) {
	s := loadSample(t, "shafaq-talks.article.json")
	const quote = "have been ongoing even before the attack launched by Hamas on Israel on October 7, 2023"
	a := storeAt(t, s.Text, quote, 0)
	corrected := strings.Replace(s.Text, "October 7, 2023, which", "October 7, which", 1)
	if corrected == s.Text {
		t.Fatal("the sample no longer has the sentence this test corrects")
	}
	r := Reanchor(s.Text, corrected, a)
	checkRelocation(t, s.Text, corrected, a, r)
	const after = "have been ongoing even before the attack launched by Hamas on Israel on October 7"
	if r.Status != Fuzzy || !r.TextChanged || r.Before != quote || r.After != after {
		t.Fatalf("got %v (score %v) changed=%v before %q after %q; want FUZZY with after %q",
			r.Status, r.Score, r.TextChanged, r.Before, r.After, after)
	}
	if r.Score < 0.9 {
		t.Errorf("score %v for a six-code-point cut from an 87-code-point quote", r.Score)
	}

	// Every other annotation of the article survives the correction.
	for _, q := range []string{"The Islamic Resistance in Iraq", "the language of strength", "Pentagon spokesperson Sabrina Singh"} {
		a := storeAt(t, s.Text, q, 0)
		if r := Reanchor(s.Text, corrected, a); r.Status != Anchored {
			t.Errorf("%q: %v", q, r.Status)
		}
	}
}
