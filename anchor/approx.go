package anchor

import (
	"slices"
	"unicode/utf8"
)

// Approximate matching uses Myers' bit-vector algorithm (J. ACM 46(3), 1999)
// in the blocked form the Hypothesis client's approx-string-match uses: the
// edit distances of a text column against all pattern code points are two
// bit vectors (the +1 and −1 steps down the column), updated 64 rows per
// word operation. A 50 KB article and a quote of up to 64 code points take
// about 35,000 steps of a dozen word operations.

const (
	// maxContextMatch bounds the stored prefix and suffix compared, in code
	// points: a longer client-given context adds nothing a 64-code-point
	// one would not.
	maxContextMatch = 64
	// maxFuzzyCandidates bounds the approximate matches scored per
	// annotation; they are taken fewest errors first.
	maxFuzzyCandidates = 32
	// fuzzySearchBudget bounds one annotation's search, in pattern blocks
	// (64 code points of the quote) times code points of text searched.
	// A whole 50 KB article fits for quotes of up to a few hundred code
	// points; a longer quote is searched for within a window around where
	// it was, of at least twice its length on each side.
	fuzzySearchBudget = 1 << 21
	// fuzzyEditBudget bounds the searches of one edit together (some tens
	// of milliseconds): past it, annotations are searched for only near
	// where they were, so rewriting a long article with thousands of
	// annotations stays affordable.
	fuzzyEditBudget = 1 << 22
)

// fuzzyText is the new text as small integers, one per code point, so that
// a pattern's match masks are found by indexing instead of hashing.
type fuzzyText struct {
	ids  []int32
	low  [0x800]int32 // 1 + id of each code point below U+0800 in the text; 0 if absent
	high map[rune]int32
	n    int // distinct code points
}

func newFuzzyText(s string) *fuzzyText {
	f := &fuzzyText{ids: make([]int32, 0, len(s)), high: map[rune]int32{}}
	for i := 0; i < len(s); {
		r, n := decodeDistinct(s[i:])
		i += n
		var id int32
		if r < 0x800 {
			if f.low[r] == 0 {
				f.low[r] = int32(f.n + 1)
				f.n++
			}
			id = f.low[r] - 1
		} else {
			var ok bool
			if id, ok = f.high[r]; !ok {
				id = int32(f.n)
				f.high[r] = id
				f.n++
			}
		}
		f.ids = append(f.ids, id)
	}
	return f
}

// invalidByte is where decodeDistinct puts invalid bytes: past the last
// code point, one value per byte.
const invalidByte = utf8.MaxRune + 1

// decodeDistinct decodes the first code point of s like
// utf8.DecodeRuneInString, except that an invalid byte becomes
// invalidByte plus its value instead of U+FFFD. Two texts then match only
// if their bytes do: "\xe2" and "\xac" are both U+FFFD, but not the same
// byte, and neither is the three bytes of a real U+FFFD.
func decodeDistinct(s string) (rune, int) {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n == 1 {
		return invalidByte + rune(s[0]), 1
	}
	return r, n
}

// codePoints is []rune(s) decoded by decodeDistinct.
func codePoints(s string) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := decodeDistinct(s[i:])
		out = append(out, r)
		i += n
	}
	return out
}

// id returns r's number, or -1 when the text does not contain r.
func (f *fuzzyText) id(r rune) int32 {
	if r < 0x800 {
		return f.low[r] - 1
	}
	if id, ok := f.high[r]; ok {
		return id
	}
	return -1
}

// bitPattern is a pattern's match masks and the state of one column.
type bitPattern struct {
	m, nb int
	row   []int32  // by text code point id: 1 + its row of masks, 0 when not in the pattern
	masks []uint64 // nb words per row; bit i%64 of word i/64 is set where the pattern has that code point
	zero  []uint64
	last  uint64 // the bit of the pattern's last code point, in the last word
	// eq1 is the mask of each text code point id, for one-word patterns
	// (nearly all quotes), saving the row lookup in the hot loop.
	eq1 []uint64
	pv  []uint64
	mv  []uint64
}

func newBitPattern(f *fuzzyText, pat []rune) *bitPattern {
	m := len(pat)
	nb := (m + 63) / 64
	p := &bitPattern{m: m, nb: nb, row: make([]int32, f.n), zero: make([]uint64, nb),
		pv: make([]uint64, nb), mv: make([]uint64, nb)}
	for i, r := range pat {
		id := f.id(r)
		if id < 0 {
			continue // matches nothing in the text
		}
		if p.row[id] == 0 {
			p.masks = append(p.masks, p.zero...)
			p.row[id] = int32(len(p.masks) / nb)
		}
		p.masks[(int(p.row[id])-1)*nb+i/64] |= 1 << (i % 64)
	}
	if m > 0 {
		p.last = 1 << ((m - 1) % 64)
	}
	if nb == 1 {
		p.eq1 = make([]uint64, f.n)
		for id, r := range p.row {
			if r > 0 {
				p.eq1[id] = p.masks[r-1]
			}
		}
	}
	return p
}

func (p *bitPattern) reset() {
	for b := range p.pv {
		p.pv[b], p.mv[b] = ^uint64(0), 0
	}
}

// column advances the column over the text code point numbered id. global
// charges for every text code point skipped before the match (the
// top row's delta is +1: a distance between whole strings); otherwise a
// match may start anywhere (0: a search). It returns the change of the
// distance at the pattern's last row. The blocks are chained with the
// delta leaving each block carried as two bits: +1, −1, or 0 with neither
// set.
func (p *bitPattern) column(id int32, global bool) int {
	nb := p.nb
	eq := p.zero[:nb]
	if r := int(p.row[id]); r > 0 {
		eq = p.masks[(r-1)*nb : r*nb]
	}
	eq = eq[:nb]
	pv, mv := p.pv[:nb], p.mv[:nb]
	var hp, hm uint64
	if global {
		hp = 1
	}
	lastShift := uint((p.m - 1) % 64)
	for b := range nb {
		Pv, Mv := pv[b], mv[b]
		e := eq[b] | hm
		xv := e | Mv
		xh := (((e & Pv) + Pv) ^ Pv) | e
		ph := Mv | ^(xh | Pv)
		mh := Pv & xh
		shift := uint(63)
		if b == nb-1 {
			shift = lastShift
		}
		hpOut, hmOut := ph>>shift&1, mh>>shift&1
		ph = ph<<1 | hp
		mh = mh<<1 | hm
		pv[b] = mh | ^(xv | ph)
		mv[b] = ph & xv
		hp, hm = hpOut, hmOut
	}
	return int(hp) - int(hm)
}

// matchEnd is where an approximate match may end (exclusive) and its
// distance.
type matchEnd struct{ end, errs int }

// searchEnds appends to ends the places in text where a stretch within k
// errors of the pattern ends, and where ending one code point earlier or
// later would cost no less (one end per match, give or take a plateau). It
// is the hot loop of approximate matching, so for one-word patterns (and
// two-word ones, in searchEnds2) the column step is written out in it, and
// the ends are picked on the fly rather than from a stored row of
// distances.
func (p *bitPattern) searchEnds(text []int32, k int, ends []matchEnd) []matchEnd {
	// d1 and d2 are the distances at the previous two columns; column j-1
	// is a local minimum when d2 >= d1 <= d. Before the text they are
	// infinite, so the first column can be one. The test is written out at
	// each use: a closure sharing d1 and d2 would keep them out of
	// registers and triple the loop's cost.
	const inf = 1 << 30
	score, d1, d2 := p.m, inf, inf
	if p.nb == 1 {
		pv, mv, eqs := ^uint64(0), uint64(0), p.eq1
		lastShift := uint((p.m - 1) % 64)
		for j, id := range text {
			eq := eqs[id]
			xv := eq | mv
			xh := (((eq & pv) + pv) ^ pv) | eq
			ph := mv | ^(xh | pv)
			mh := pv & xh
			// Branch-free: which way the last row moves is a coin toss
			// on unrelated text, too costly for a predicted branch.
			score += int(ph>>lastShift&1) - int(mh>>lastShift&1)
			ph <<= 1
			mh <<= 1
			pv = mh | ^(xv | ph)
			mv = ph & xv
			if d1 <= k && d2 >= d1 && score >= d1 {
				ends = append(ends, matchEnd{j, d1}) // column j-1 ends a match at j
			}
			d2, d1 = d1, score
		}
		if d1 <= k && d2 >= d1 {
			ends = append(ends, matchEnd{len(text), d1})
		}
		return ends
	}
	if p.nb == 2 {
		return p.searchEnds2(text, k, ends)
	}
	p.reset()
	for j, id := range text {
		score += p.column(id, false)
		if d1 <= k && d2 >= d1 && score >= d1 {
			ends = append(ends, matchEnd{j, d1})
		}
		d2, d1 = d1, score
	}
	if d1 <= k && d2 >= d1 {
		ends = append(ends, matchEnd{len(text), d1})
	}
	return ends
}

// searchEnds2 is searchEnds for patterns of 65 to 128 code points (a
// sentence-long claim), with both words of the column in registers.
func (p *bitPattern) searchEnds2(text []int32, k int, ends []matchEnd) []matchEnd {
	const inf = 1 << 30
	score, d1, d2 := p.m, inf, inf
	pv0, mv0, pv1, mv1 := ^uint64(0), uint64(0), ^uint64(0), uint64(0)
	lastShift := uint((p.m - 1) % 64)
	for j, id := range text {
		var eq0, eq1 uint64
		if r := int(p.row[id]); r > 0 {
			eq := p.masks[2*(r-1) : 2*r]
			eq0, eq1 = eq[0], eq[1]
		}
		// Rows 1-64: nothing enters from above when searching.
		xv := eq0 | mv0
		xh := (((eq0 & pv0) + pv0) ^ pv0) | eq0
		ph := mv0 | ^(xh | pv0)
		mh := pv0 & xh
		hp, hm := ph>>63, mh>>63
		ph <<= 1
		mh <<= 1
		pv0 = mh | ^(xv | ph)
		mv0 = ph & xv
		// Rows 65-m, taking the delta leaving row 64.
		e := eq1 | hm
		xv = e | mv1
		xh = (((e & pv1) + pv1) ^ pv1) | e
		ph = mv1 | ^(xh | pv1)
		mh = pv1 & xh
		score += int(ph>>lastShift&1) - int(mh>>lastShift&1)
		ph = ph<<1 | hp
		mh = mh<<1 | hm
		pv1 = mh | ^(xv | ph)
		mv1 = ph & xv
		if d1 <= k && d2 >= d1 && score >= d1 {
			ends = append(ends, matchEnd{j, d1})
		}
		d2, d1 = d1, score
	}
	if d1 <= k && d2 >= d1 {
		ends = append(ends, matchEnd{len(text), d1})
	}
	return ends
}

// within returns the least edit distance between the pattern and any
// stretch of text, the empty one included.
func (p *bitPattern) within(text []int32) int {
	p.reset()
	score, best := p.m, p.m
	for _, id := range text {
		score += p.column(id, false)
		best = min(best, score)
	}
	return best
}

// distance returns the edit distance between the pattern and text.
func (p *bitPattern) distance(text []int32) int {
	p.reset()
	score := p.m
	for _, id := range text {
		score += p.column(id, true)
	}
	return score
}

// distances sets dist[i] to the edit distance between the pattern and
// text[s:lo+i], for all i, in one pass from s; s must not exceed lo.
func (p *bitPattern) distances(text []int32, s, lo int, dist []int) {
	p.reset()
	score := p.m
	for t := s; t < lo+len(dist); t++ {
		if t >= lo {
			dist[t-lo] = score
		}
		if t+1 < lo+len(dist) {
			score += p.column(text[t], true)
		}
	}
}

// startBack finds where a match of the pattern ending at text[end-1] starts,
// searching no further back than lo: p must hold the pattern reversed. Of
// the starts at the least distance, it returns the one that makes the match
// nearest the pattern in length.
func (p *bitPattern) startBack(text []int32, lo, end int) (start, dist int) {
	p.reset()
	score := p.m
	start, dist = end, p.m
	for j := end - 1; j >= lo; j-- {
		score += p.column(text[j], true)
		if score < dist || (score == dist && abs(end-j-p.m) < abs(end-start-p.m)) {
			start, dist = j, score
		}
	}
	return start, dist
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

type fuzzyMatch struct {
	start, end int
	score      float64
}

// approximate returns the best-scoring approximate match of a's quote in
// the new text, scored as FuzzyThreshold says; score is -1 when no stretch
// of text comes close enough to be scored.
func (e *Edit) approximate(a Stored, hint int, oldSpanOK bool) (best fuzzyMatch) {
	best = fuzzyMatch{score: -1}
	quote := codePoints(a.Exact)
	m := len(quote)
	// A match with k errors scores at most (50·(1−k/m) + 42)/92, which
	// falls below the threshold past this many.
	k := int(float64(m) * weightTotal * (1 - FuzzyThreshold) / weightQuote)
	if k == 0 {
		return best
	}
	if e.fz == nil {
		e.fz = newFuzzyText(e.newText)
	}
	f := e.fz
	n := len(f.ids)
	fwd := newBitPattern(f, quote)
	slices.Reverse(quote)
	rev := newBitPattern(f, quote)
	var pre, suf *bitPattern
	if a.Prefix != "" {
		r := codePoints(a.Prefix)
		pre = newBitPattern(f, r[max(0, len(r)-maxContextMatch):])
	}
	if a.Suffix != "" {
		r := codePoints(a.Suffix)
		suf = newBitPattern(f, r[:min(len(r), maxContextMatch)])
	}
	sc := &scorer{ids: f.ids, m: m, hint: hint, fwd: fwd, pre: pre, suf: suf}
	consider := func(start, end, errs int) {
		if start < end {
			if s := sc.scoreAt(start, end, errs); s > best.score {
				best = fuzzyMatch{start, end, s}
			}
		}
	}
	defer func() {
		if best.score >= FuzzyThreshold {
			best = sc.refine(best)
		}
	}()

	// The stretch the old span maps to, edits included: the likeliest match
	// when the words were edited in place, and the one whose before/after
	// shows the whole edit.
	if oldSpanOK {
		cs, _ := mapStart(e.segs, a.Start)
		ce, _ := mapEnd(e.segs, a.End, n)
		if cs < ce && ce-cs <= m+k {
			if d := fwd.distance(f.ids[cs:ce]); d <= k {
				consider(cs, ce, d)
				// This is where the diff put the old span, so the quote
				// was edited in place, and the stretch is good enough.
				// Another could only beat it by being a second,
				// differently edited copy of the passage: not worth a
				// search of the whole text for each annotation of a
				// heavily revised article.
				if best.score >= FuzzyThreshold {
					return best
				}
			}
		}
	}

	lo, hi := 0, n
	reach := n
	switch {
	case e.fuzzyWork > fuzzyEditBudget:
		reach = 2 * (m + k)
	case n*fwd.nb > fuzzySearchBudget:
		reach = max(fuzzySearchBudget/fwd.nb/2, 2*(m+k))
	}
	if reach < n {
		lo, hi = max(0, hint-reach), min(n, hint+m+reach)
	}
	e.fuzzyWork += (hi - lo) * fwd.nb
	cands := fwd.searchEnds(f.ids[lo:hi], k, nil)
	for i := range cands {
		cands[i].end += lo
	}
	want := hint + m
	slices.SortFunc(cands, func(x, y matchEnd) int {
		if x.errs != y.errs {
			return x.errs - y.errs
		}
		return abs(x.end-want) - abs(y.end-want)
	})
	// Finding where a candidate starts costs a pass over its length: a
	// quote as long as an article gets few.
	maxCands := min(maxFuzzyCandidates, max(1, fuzzySearchBudget/((m+k)*fwd.nb)))
	for i, c := range cands {
		bound := (weightQuote*(1-float64(c.errs)/float64(m)) + weightPrefix + weightSuffix + weightPosition) / weightTotal
		if i == maxCands || bound <= best.score {
			break
		}
		start, d := rev.startBack(f.ids, max(lo, c.end-m-k), c.end)
		consider(start, c.end, d)
	}
	return best
}

// refineReach is how far, in code points, refine moves each end of a match.
const refineReach = 4

// refine moves the ends of a match a few code points either way to where the
// quote and its context, together, differ least from the text, and among
// those to where the context differs least. An edit at the edge of a quote
// can often be charged to the quote or to its context: the quote "on
// October 7, 2023" before ", which", edited to "on October 7, which",
// matches "on October 7, " with "2023" missing and the suffix's comma
// missing, or "on October 7" with ", 2023" missing and the suffix intact.
// Both cost six edits; the second says what happened (the quote lost a
// date) and is what Found should show. The score alone cannot tell them
// apart reliably, as it weighs an error by the length of what it is in.
func (sc *scorer) refine(best fuzzyMatch) fuzzyMatch {
	n := len(sc.ids)
	// The prefix's errors depend on the start only, the suffix's on the end.
	starts := make([]int, 0, 2*refineReach+1)
	for s := max(0, best.start-refineReach); s <= min(best.start+refineReach, n-1); s++ {
		starts = append(starts, s)
	}
	lo, hi := max(1, best.end-refineReach), min(n, best.end+refineReach)+1 // ends tried
	pe, se := make([]int, len(starts)), make([]int, hi-lo)
	for i, s := range starts {
		pe[i] = sc.prefixErrs(s)
	}
	for t := lo; t < hi; t++ {
		se[t-lo] = sc.suffixErrs(t)
	}
	dc := sc.prefixErrs(best.start) + sc.suffixErrs(best.end)
	total, ctx := sc.fwd.distance(sc.ids[best.start:best.end])+dc, dc
	out := best
	dist := make([]int, hi-lo)
	for i, s := range starts {
		// One pass from each start gives the distances to every end.
		from := max(s+1, lo)
		if from >= hi {
			continue
		}
		sc.fwd.distances(sc.ids, s, from, dist[from-lo:])
		for t := from; t < hi; t++ {
			dq, dc := dist[t-lo], pe[i]+se[t-lo]
			if s == best.start && t == best.end || dq+dc > total || (dq+dc == total && dc >= ctx) {
				continue
			}
			if score := sc.score(s, dq, pe[i], se[t-lo]); score >= FuzzyThreshold {
				total, ctx, out = dq+dc, dc, fuzzyMatch{s, t, score}
			}
		}
	}
	return out
}

// scorer scores approximate matches of one annotation's quote, as
// FuzzyThreshold says.
type scorer struct {
	ids           []int32 // the new text
	m, hint       int     // the quote's length; where the old span maps to
	fwd, pre, suf *bitPattern
}

// prefixErrs is how far the stored prefix is from the text before start.
func (sc *scorer) prefixErrs(start int) int {
	if sc.pre == nil {
		return 0
	}
	return sc.pre.within(sc.ids[max(0, start-sc.pre.m):start])
}

// suffixErrs is how far the stored suffix is from the text after end.
func (sc *scorer) suffixErrs(end int) int {
	if sc.suf == nil {
		return 0
	}
	return sc.suf.within(sc.ids[end:min(len(sc.ids), end+sc.suf.m)])
}

func (sc *scorer) score(start, quoteErrs, prefixErrs, suffixErrs int) float64 {
	s := weightQuote*(1-float64(quoteErrs)/float64(sc.m)) +
		weightPosition*(1-float64(abs(start-sc.hint))/float64(max(len(sc.ids), 1)))
	if sc.pre == nil {
		s += weightPrefix
	} else {
		s += weightPrefix * (1 - float64(prefixErrs)/float64(sc.pre.m))
	}
	if sc.suf == nil {
		s += weightSuffix
	} else {
		s += weightSuffix * (1 - float64(suffixErrs)/float64(sc.suf.m))
	}
	return s / weightTotal
}

func (sc *scorer) scoreAt(start, end, quoteErrs int) float64 {
	return sc.score(start, quoteErrs, sc.prefixErrs(start), sc.suffixErrs(end))
}
