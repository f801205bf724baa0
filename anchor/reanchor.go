package anchor

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Re-anchoring follows an annotation from the text it was made on to a
// revised text, on the server and once, where the Hypothesis client does it
// in every reader's browser. The two texts are aligned first (see align),
// once per edit; then each annotation ends in one of four states, tried in
// this order:
//
//  1. Anchored: the quote is unchanged where the alignment carries its old
//     span (both ends kept, the text between them still the quote), and
//     its stored prefix or suffix is still next to it, whitespace aside.
//     Text inserted or deleted before the span shifts its offsets but
//     leaves it Anchored: the words and their place in the article are the
//     same, and flagging every annotation below a new first paragraph as
//     moved would bury the ones that really moved. OldStart and OldEnd show
//     the shift. When neither side of the context is whole, the annotation
//     still stays unless the quote occurs elsewhere with more of its
//     context: a diff may match a phrase inside a rewritten paragraph while
//     the sentence it belonged to moved away.
//  2. Moved: the quote occurs word for word elsewhere: the passage moved, or
//     its old place was rewritten. Of several occurrences, the one with the
//     most code points of the stored prefix and suffix still next to it
//     wins, then the nearest to where the old span maps; so of a duplicated
//     paragraph the copy in place wins. Words still in the text verbatim
//     are never orphaned, as in the Hypothesis client, even with all their
//     context gone.
//  3. Fuzzy: the quote occurs except for whitespace (a double space, a line
//     re-wrapped, a no-break space for a space). A newsroom wants these
//     found, and they are not a change of the claim: Score is
//     WhitespaceScore and TextChanged is false. Such an occurrence competes
//     with the verbatim ones of step 2 on context, and loses ties to them.
//  4. Fuzzy: the best approximate match, scored as the Hypothesis client
//     scores one (see FuzzyThreshold), when its score reaches
//     FuzzyThreshold; TextChanged is true. Otherwise Orphaned.
//
// Matching is byte for byte apart from whitespace (unicode.IsSpace), with
// no case folding or Unicode normalization: "é" and "e" plus a combining
// accent differ, and only an approximate match finds one for the other.

// RelocationStatus says how an annotation was found in the new text. The
// values are those of the API's Anchor.Status.
type RelocationStatus int

const (
	// Anchored: the quote is unchanged at the place its old span maps to.
	Anchored RelocationStatus = iota + 1
	// Moved: the quote occurs verbatim, elsewhere.
	Moved
	// Fuzzy: an approximate match of the quote was found.
	Fuzzy
	// Orphaned: the quote was not found.
	Orphaned
)

var relocationStatusNames = [...]string{"", "ANCHORED", "MOVED", "FUZZY", "ORPHANED"}

func (s RelocationStatus) String() string {
	if s > 0 && int(s) < len(relocationStatusNames) {
		return relocationStatusNames[s]
	}
	return "RelocationStatus(" + strconv.Itoa(int(s)) + ")"
}

// FuzzyThreshold is the lowest score of a Fuzzy relocation. A match scores
//
//	(50·quote + 20·prefix + 20·suffix + 2·position) / 92
//
// the weights of the Hypothesis client's match-quote.ts, where quote is
// 1 − (edit distance from the stored quote) / (its length in code points),
// prefix and suffix the same for the stored context against the text before
// and after the match (1 when none was stored), and position
// 1 − (distance from where the old span maps) / (length of the new text).
//
// At 0.75, a match with both contexts intact may differ from the quote in up
// to 46% of its code points: a word of a short quote, a clause of a long
// one, "October 7, 2023" becoming "October 7". One whose prefix or suffix
// was rewritten may differ in a fifth or less (6% if the new text shared
// not a letter with the old context). One whose prefix and suffix were both
// rewritten never qualifies, so an edited quote is not matched to some
// resembling words elsewhere in the article, and a heavily rewritten quote
// is orphaned rather than tied to whatever replaced it.
const FuzzyThreshold = 0.75

// WhitespaceScore is the score of a Fuzzy relocation that differs from the
// quote only in whitespace: every run of white space counts as one space.
const WhitespaceScore = 0.99

// Weights of the match score, from the Hypothesis client.
const (
	weightQuote    = 50
	weightPrefix   = 20
	weightSuffix   = 20
	weightPosition = 2
	weightTotal    = weightQuote + weightPrefix + weightSuffix + weightPosition
)

// Stored is an anchor as stored against the old text: the quote with its
// context, and its span in code points.
type Stored struct {
	Exact, Prefix, Suffix string
	Start, End            int
}

// Relocation is where an annotation is in the new text.
type Relocation struct {
	Status RelocationStatus
	// Start and End: the span in code points of the new text. Orphaned: the
	// old span, unchanged.
	Start, End int
	// OldStart and OldEnd: the stored span, as given.
	OldStart, OldEnd int
	// Score: 1 for Anchored and Moved; the match score for Fuzzy, in
	// [FuzzyThreshold, 1); for Orphaned, the best score found below the
	// threshold, or 0.
	Score float64
	// Found is the text at [Start, End): the quote for Anchored and Moved,
	// what the quote became for Fuzzy, empty for Orphaned.
	Found string
	// UTF16 and UTF8: the same span in UTF-16 code units and UTF-8 bytes of
	// the new text. Orphaned: of the old text, when the old span fits it.
	UTF16, UTF8 Span
	// Prefix and Suffix: the new text's ContextLength code points before
	// and after the span (fewer at its ends), for storing with it.
	// Orphaned: the stored ones.
	Prefix, Suffix string
	// TextChanged says that the words under the annotation changed or went,
	// the sign of a stealth edit: true for Orphaned and for Fuzzy unless the
	// difference is only whitespace. Before is then the stored quote and
	// After what replaced it (empty for Orphaned); both are empty otherwise.
	TextChanged   bool
	Before, After string
}

// Reanchor relocates one annotation after oldText became newText. To
// relocate several after the same change, use NewEdit or ReanchorAll, which
// align the texts once.
func Reanchor(oldText, newText string, a Stored) Relocation {
	return NewEdit(oldText, newText).Reanchor(a)
}

// ReanchorAll relocates every annotation of an article after oldText became
// newText.
func ReanchorAll(oldText, newText string, anchors []Stored) []Relocation {
	e := NewEdit(oldText, newText)
	out := make([]Relocation, len(anchors))
	for i, a := range anchors {
		out[i] = e.Reanchor(a)
	}
	return out
}

// Edit is one change of an article's text, prepared for relocating its
// annotations: the alignment of the two texts and indexes of the new one
// are computed once, and those only some annotations need, when first
// needed. An Edit is not safe for concurrent use.
//
// Searching the whole new text for an approximate match has a budget per
// Edit (see fuzzyEditBudget); once it is spent, the annotations that still
// need one are searched for only near where they were. Until then, and for
// any edit short of a rewrite of the whole article, an annotation's
// relocation does not depend on which others the Edit relocated before.
type Edit struct {
	oldText, newText string
	segs             []segment
	oldIdx, newIdx   *cpIndex
	newLen           int
	norm             *normView
	fz               *fuzzyText
	// fuzzyWork is what approximate searches have cost so far, in pattern
	// words times code points searched.
	fuzzyWork int
}

// NewEdit prepares the change from oldText to newText.
func NewEdit(oldText, newText string) *Edit {
	e := &Edit{oldText: oldText, newText: newText, newIdx: newCPIndex(newText)}
	e.newLen = e.newIdx.n
	if oldText == newText {
		if n := e.newLen; n > 0 {
			e.segs = []segment{{0, 0, n}}
		}
	} else {
		e.segs = align(oldText, newText)
	}
	return e
}

// Reanchor relocates one annotation.
func (e *Edit) Reanchor(a Stored) Relocation {
	r := Relocation{OldStart: a.Start, OldEnd: a.End}
	if a.Exact == "" {
		return e.orphan(a, r, 0)
	}
	// hint is where the old span now starts, or would if it still existed;
	// nearer is better among otherwise equal candidates.
	hint := min(max(a.Start, 0), e.newLen)
	oldSpanOK := 0 <= a.Start && a.Start < a.End
	var mapped *match
	if oldSpanOK {
		s, sOK := mapStart(e.segs, a.Start)
		t, tOK := mapEnd(e.segs, a.End, e.newLen)
		hint = s
		if sOK && tOK && s < t {
			if m := e.locateNew(s, t); e.newText[m.b.Start:m.b.End] == a.Exact {
				// The common case, settled without a search.
				if strings.HasSuffix(e.newText[:m.b.Start], a.Prefix) || strings.HasPrefix(e.newText[m.b.End:], a.Suffix) {
					return e.found(r, Anchored, 1, m, a.Exact)
				}
				mapped = &m
			}
		}
	}
	ctx := contextOf(a)
	v, ok := e.verbatim(a, ctx, hint)
	if mapped != nil {
		// Neither side of the context is whole, byte for byte. If one is
		// once whitespace is set aside, or no occurrence elsewhere kept more
		// of the context, the quote stays. Otherwise the diff probably
		// matched the quote's words inside a rewritten passage while the
		// passage itself moved.
		pn, pAll := keptBefore(e.newText[:mapped.b.Start], ctx.prefix)
		sn, sAll := keptAfter(e.newText[mapped.b.End:], ctx.suffix)
		if pAll || sAll || !ok || v.context <= pn+sn || v.m.cp == mapped.cp {
			return e.found(r, Anchored, 1, *mapped, a.Exact)
		}
	}
	if ok {
		if v.exact {
			return e.found(r, Moved, 1, v.m, a.Exact)
		}
		return e.found(r, Fuzzy, WhitespaceScore, v.m, strings.Clone(e.newText[v.m.b.Start:v.m.b.End]))
	}
	best := e.approximate(a, hint, oldSpanOK)
	if best.score < FuzzyThreshold {
		return e.orphan(a, r, max(best.score, 0))
	}
	m := e.locateNew(best.start, best.end)
	found := e.newText[m.b.Start:m.b.End]
	if found == a.Exact { // cannot happen: the verbatim search would have found it
		return e.found(r, Moved, 1, m, a.Exact)
	}
	r = e.found(r, Fuzzy, best.score, m, strings.Clone(found))
	r.TextChanged, r.Before, r.After = true, a.Exact, r.Found
	return r
}

func (e *Edit) found(r Relocation, st RelocationStatus, score float64, m match, found string) Relocation {
	res := m.result(e.newText, Selector{})
	r.Status, r.Score, r.Found = st, score, found
	r.Start, r.End, r.UTF16, r.UTF8 = res.Start, res.End, res.UTF16, res.UTF8
	r.Prefix, r.Suffix = res.Prefix, res.Suffix
	return r
}

func (e *Edit) orphan(a Stored, r Relocation, score float64) Relocation {
	r.Status, r.Score = Orphaned, score
	r.Start, r.End = a.Start, a.End
	r.Prefix, r.Suffix = a.Prefix, a.Suffix
	r.TextChanged, r.Before = true, a.Exact
	if 0 <= a.Start && a.Start <= a.End {
		if e.oldIdx == nil {
			e.oldIdx = newCPIndex(e.oldText)
		}
		if a.End <= e.oldIdx.n {
			m := e.oldIdx.locate(a.Start, a.End)
			r.UTF16, r.UTF8 = m.u16, m.b
		}
	}
	return r
}

func (e *Edit) locateNew(start, end int) match { return e.newIdx.locate(start, end) }

// occurrence is a verbatim match of a quote.
type occurrence struct {
	m match
	// context counts the code points of the stored prefix and suffix still
	// next to the match, whitespace aside.
	context int
	exact   bool // byte for byte, not only except for whitespace
}

// storedContext is an anchor's context as occurrences are compared with it:
// whitespace collapsed, and at most maxContextMatch code points on each
// side, nearest the quote, so that a long client-given context costs no
// more than ours.
type storedContext struct{ prefix, suffix string }

func contextOf(a Stored) storedContext {
	p, s := collapseSpace(a.Prefix), collapseSpace(a.Suffix)
	if Length(p) > maxContextMatch {
		p = suffixOf(p, maxContextMatch)
	}
	if Length(s) > maxContextMatch {
		s = prefixOf(s, maxContextMatch)
	}
	return storedContext{p, s}
}

// verbatim finds the quote in the new text exactly or except for whitespace,
// preferring (in order) more of the stored context kept, an exact match, and
// nearness to hint.
func (e *Edit) verbatim(a Stored, ctx storedContext, hint int) (best occurrence, ok bool) {
	if e.norm == nil {
		e.norm = newNormView(e.newText)
	}
	nv := e.norm
	bestDist := 0
	consider := func(m match, exact bool) {
		pn, _ := keptBefore(e.newText[:m.b.Start], ctx.prefix)
		sn, _ := keptAfter(e.newText[m.b.End:], ctx.suffix)
		o := occurrence{m: m, context: pn + sn, exact: exact}
		dist := abs(m.cp.Start - hint)
		if !ok || better(o, best) || (!better(best, o) && dist < bestDist) {
			best, ok, bestDist = o, true, dist
		}
	}
	ms, _ := search(nv.text, "", collapseSpace(a.Exact), "", maxInt, true)
	for _, nm := range ms {
		m := e.locateNew(int(nv.orig[nm.cp.Start]), int(nv.orig[nm.cp.End]))
		got := e.newText[m.b.Start:m.b.End]
		switch {
		case got == a.Exact:
			consider(m, true)
		case equalExceptSpace(got, a.Exact):
			consider(m, false)
		}
		// Otherwise U+FFFD in one stands for an invalid byte in the other.
	}
	// A quote that starts or ends with white space may occur exactly
	// inside a longer run, which the collapsed text cannot point into.
	first, _ := utf8.DecodeRuneInString(a.Exact)
	last, _ := utf8.DecodeLastRuneInString(a.Exact)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		exact, _ := search(e.newText, "", a.Exact, "", maxInt, true)
		for _, m := range exact {
			consider(m, true)
		}
	}
	return best, ok
}

func better(x, y occurrence) bool {
	if x.context != y.context {
		return x.context > y.context
	}
	return x.exact && !y.exact
}

// keptBefore counts the code points at the end of p, whose whitespace is
// collapsed already, that end s too once its whitespace is collapsed, and
// reports whether that is all of p.
func keptBefore(s, p string) (n int, all bool) {
	i, j := len(s), len(p)
	for ; j > 0 && i > 0; n++ {
		rp, np := utf8.DecodeLastRuneInString(p[:j])
		rs, ns := utf8.DecodeLastRuneInString(s[:i])
		if rp == ' ' && unicode.IsSpace(rs) {
			for i > 0 {
				r, n := utf8.DecodeLastRuneInString(s[:i])
				if !unicode.IsSpace(r) {
					break
				}
				i -= n
			}
			j -= np
			continue
		}
		if unicode.IsSpace(rs) || rs != rp {
			break
		}
		i, j = i-ns, j-np
	}
	return n, j == 0
}

// keptAfter counts the code points at the start of p, whose whitespace is
// collapsed already, that start s too once its whitespace is collapsed, and
// reports whether that is all of p.
func keptAfter(s, p string) (n int, all bool) {
	i, j := 0, 0
	for ; j < len(p) && i < len(s); n++ {
		rp, np := utf8.DecodeRuneInString(p[j:])
		rs, ns := utf8.DecodeRuneInString(s[i:])
		if rp == ' ' && unicode.IsSpace(rs) {
			i = skipSpace(s, i)
			j += np
			continue
		}
		if unicode.IsSpace(rs) || rs != rp {
			break
		}
		i, j = i+ns, j+np
	}
	return n, j == len(p)
}

// normView is the new text with every run of whitespace collapsed to one
// space, for finding quotes whose words are intact but whose spacing is not.
type normView struct {
	text string
	// orig[i] is the code point of the original text where the normalized
	// text's code point i starts; orig[len] is the original length. A
	// collapsed run therefore ends where the next code point starts.
	orig []int32
}

func newNormView(s string) *normView {
	buf := make([]byte, 0, len(s))
	orig := make([]int32, 0, len(s)+1)
	c := int32(0)
	inSpace := false
	for i := 0; i < len(s); c++ {
		x := s[i]
		if x < utf8.RuneSelf {
			switch {
			case x == ' ' || ('\t' <= x && x <= '\r'):
				if !inSpace {
					buf = append(buf, ' ')
					orig = append(orig, c)
				}
				inSpace = true
			default:
				buf = append(buf, x)
				orig = append(orig, c)
				inSpace = false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			if !inSpace {
				buf = append(buf, ' ')
				orig = append(orig, c)
			}
			inSpace = true
		case r == utf8.RuneError && n == 1:
			buf = utf8.AppendRune(buf, r)
			orig = append(orig, c)
			inSpace = false
		default:
			buf = append(buf, s[i:i+n]...)
			orig = append(orig, c)
			inSpace = false
		}
		i += n
	}
	return &normView{text: string(buf), orig: append(orig, c)}
}

// collapseSpace is what newNormView does to a text, for quotes and context.
// Invalid bytes become U+FFFD on both sides, so they still match each
// other; the exact comparison that follows tells them apart.
func collapseSpace(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || (unicode.IsSpace(rune(c)) && (c != ' ' || (i+1 < len(s) && s[i+1] == ' '))) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	inSpace := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !inSpace {
				b.WriteByte(' ')
			}
			inSpace = true
			continue
		}
		b.WriteRune(r)
		inSpace = false
	}
	return b.String()
}

// equalExceptSpace reports whether a and b differ only in whitespace: the
// same code points, byte for byte, between runs of white space, with a run
// wherever the other has one.
func equalExceptSpace(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		sa, sb := unicode.IsSpace(ra), unicode.IsSpace(rb)
		switch {
		case sa && sb:
			i, j = skipSpace(a, i), skipSpace(b, j)
		case sa || sb || a[i:i+na] != b[j:j+nb]:
			return false
		default:
			i, j = i+na, j+nb
		}
	}
	return i == len(a) && j == len(b)
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}

// cpIndex converts code point offsets of a text to bytes and UTF-16 units
// from the walker state saved every cpStride code points, so that each
// conversion walks at most cpStride code points at a cost of a fraction of
// the text's size in memory.
type cpIndex struct {
	s     string
	marks []cpMark
	n     int // length in code points
}

type cpMark struct{ b, u16 int }

const cpStride = 64

func newCPIndex(s string) *cpIndex {
	x := &cpIndex{s: s, marks: make([]cpMark, 0, len(s)/cpStride+1)}
	w := walker{s: s}
	x.marks = append(x.marks, cpMark{})
	for {
		if !w.toCP(w.cp + cpStride) {
			break
		}
		x.marks = append(x.marks, cpMark{w.b, w.u16})
	}
	x.n = w.cp
	return x
}

// locate returns the span [start, end) in all three units; both must be
// within the text and start <= end.
func (x *cpIndex) locate(start, end int) match {
	k := start / cpStride
	w := walker{s: x.s, b: x.marks[k].b, cp: k * cpStride, u16: x.marks[k].u16}
	w.toCP(start)
	m := match{cp: Span{start, end}}
	m.b.Start, m.u16.Start = w.b, w.u16
	if k2 := end / cpStride; k2 > k+1 {
		w = walker{s: x.s, b: x.marks[k2].b, cp: k2 * cpStride, u16: x.marks[k2].u16}
	}
	w.toCP(end)
	m.b.End, m.u16.End = w.b, w.u16
	return m
}
