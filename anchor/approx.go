package anchor

import "slices"

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
	// fuzzyEditBudget bounds the searches of one edit together (about
	// 0.1 s): past it, annotations are searched for only near where they
	// were, so rewriting a long article with thousands of annotations
	// stays affordable.
	fuzzyEditBudget = 1 << 26
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
	for _, r := range s {
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
	pv    []uint64
	mv    []uint64
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
	return p
}

func (p *bitPattern) eq(id int32) []uint64 {
	if r := p.row[id]; r > 0 {
		return p.masks[int(r-1)*p.nb : int(r)*p.nb]
	}
	return p.zero
}

func (p *bitPattern) reset() {
	for b := range p.pv {
		p.pv[b], p.mv[b] = ^uint64(0), 0
	}
}

// step advances the column over one text code point. hin is the change of
// distance along the top row: 0 lets a match start anywhere in the text
// (search), 1 charges for every text code point skipped at the start
// (distance between whole strings). It returns the change at the last row.
func (p *bitPattern) step(eq []uint64, hin int) int {
	for b := range p.nb {
		last := uint64(1) << 63
		if b == p.nb-1 {
			last = p.last
		}
		hin = advance(&p.pv[b], &p.mv[b], eq[b], hin, last)
	}
	return hin
}

// advance is Myers' column step for one 64-row block, taking the top row's
// horizontal delta from the block above and returning the bottom row's.
func advance(pv, mv *uint64, eq uint64, hin int, last uint64) int {
	Pv, Mv := *pv, *mv
	var hinNeg uint64
	if hin < 0 {
		hinNeg = 1
	}
	eq |= hinNeg
	xv := eq | Mv
	xh := (((eq & Pv) + Pv) ^ Pv) | eq
	ph := Mv | ^(xh | Pv)
	mh := Pv & xh
	hout := 0
	if ph&last != 0 {
		hout = 1
	} else if mh&last != 0 {
		hout = -1
	}
	ph <<= 1
	mh <<= 1
	mh |= hinNeg
	if hin > 0 {
		ph |= 1
	}
	*pv = mh | ^(xv | ph)
	*mv = ph & xv
	return hout
}

// searchEnds sets dist[j] to the least edit distance between the pattern and
// a stretch of text ending with text[j].
func (p *bitPattern) searchEnds(text []int32, dist []int32) {
	score := p.m
	if p.nb == 1 {
		// One word: the same step with the block plumbing written out, as
		// nearly every quote is this short and this loop is the hot one.
		pv, mv, last := ^uint64(0), uint64(0), p.last
		for j, id := range text {
			var eq uint64
			if r := p.row[id]; r > 0 {
				eq = p.masks[r-1]
			}
			xv := eq | mv
			xh := (((eq & pv) + pv) ^ pv) | eq
			ph := mv | ^(xh | pv)
			mh := pv & xh
			if ph&last != 0 {
				score++
			} else if mh&last != 0 {
				score--
			}
			ph <<= 1
			mh <<= 1
			pv = mh | ^(xv | ph)
			mv = ph & xv
			dist[j] = int32(score)
		}
		return
	}
	p.reset()
	for j, id := range text {
		score += p.step(p.eq(id), 0)
		dist[j] = int32(score)
	}
}

// within returns the least edit distance between the pattern and any
// stretch of text, the empty one included.
func (p *bitPattern) within(text []int32) int {
	p.reset()
	score, best := p.m, p.m
	for _, id := range text {
		score += p.step(p.eq(id), 0)
		best = min(best, score)
	}
	return best
}

// distance returns the edit distance between the pattern and text.
func (p *bitPattern) distance(text []int32) int {
	p.reset()
	score := p.m
	for _, id := range text {
		score += p.step(p.eq(id), 1)
	}
	return score
}

// startBack finds where a match of the pattern ending at text[end-1] starts,
// searching no further back than lo: p must hold the pattern reversed. Of
// the starts at least distance, it returns the one whose length is nearest
// the pattern's.
func (p *bitPattern) startBack(text []int32, lo, end int) (start, dist int) {
	p.reset()
	score := p.m
	start, dist = end, p.m
	for j := end - 1; j >= lo; j-- {
		score += p.step(p.eq(text[j]), 1)
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
	quote := []rune(a.Exact)
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
		r := []rune(a.Prefix)
		pre = newBitPattern(f, r[max(0, len(r)-maxContextMatch):])
	}
	if a.Suffix != "" {
		r := []rune(a.Suffix)
		suf = newBitPattern(f, r[:min(len(r), maxContextMatch)])
	}
	// contextErrors is how far the stored prefix and suffix are from the
	// text around [start, end), and the share of each they keep.
	contextErrors := func(start, end int) (errs int, prefix, suffix float64) {
		prefix, suffix = 1, 1
		if pre != nil {
			d := pre.within(f.ids[max(0, start-pre.m):start])
			errs += d
			prefix = 1 - float64(d)/float64(pre.m)
		}
		if suf != nil {
			d := suf.within(f.ids[end:min(n, end+suf.m)])
			errs += d
			suffix = 1 - float64(d)/float64(suf.m)
		}
		return errs, prefix, suffix
	}
	score := func(start, end, errs int) float64 {
		_, prefix, suffix := contextErrors(start, end)
		return (weightQuote*(1-float64(errs)/float64(m)) +
			weightPrefix*prefix + weightSuffix*suffix +
			weightPosition*(1-float64(abs(start-hint))/float64(max(n, 1)))) / weightTotal
	}
	consider := func(start, end, errs int) {
		if start < end {
			if s := score(start, end, errs); s > best.score {
				best = fuzzyMatch{start, end, s}
			}
		}
	}
	defer func() {
		if best.score >= FuzzyThreshold {
			best = refine(best, f.ids, fwd, contextErrors, score)
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
	dist := make([]int32, hi-lo)
	fwd.searchEnds(f.ids[lo:hi], dist)
	type cand struct{ end, errs int }
	var cands []cand
	for j, d := range dist {
		if int(d) <= k && (j == 0 || dist[j-1] >= d) && (j+1 == len(dist) || dist[j+1] >= d) {
			cands = append(cands, cand{lo + j + 1, int(d)})
		}
	}
	want := hint + m
	slices.SortFunc(cands, func(x, y cand) int {
		if x.errs != y.errs {
			return x.errs - y.errs
		}
		return abs(x.end-want) - abs(y.end-want)
	})
	for i, c := range cands {
		bound := (weightQuote*(1-float64(c.errs)/float64(m)) + weightPrefix + weightSuffix + weightPosition) / weightTotal
		if i == maxFuzzyCandidates || bound <= best.score {
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
func refine(best fuzzyMatch, text []int32, fwd *bitPattern, contextErrors func(start, end int) (int, float64, float64),
	score func(start, end, errs int) float64) fuzzyMatch {
	dq := fwd.distance(text[best.start:best.end])
	dc, _, _ := contextErrors(best.start, best.end)
	total, ctx := dq+dc, dc
	out := best
	for s := max(0, best.start-refineReach); s <= best.start+refineReach; s++ {
		for t := max(s+1, best.end-refineReach); t <= min(len(text), best.end+refineReach); t++ {
			if s == best.start && t == best.end {
				continue
			}
			dq := fwd.distance(text[s:t])
			dc, _, _ := contextErrors(s, t)
			if dq+dc > total || (dq+dc == total && dc >= ctx) {
				continue
			}
			if sc := score(s, t, dq); sc >= FuzzyThreshold {
				total, ctx, out = dq+dc, dc, fuzzyMatch{s, t, sc}
			}
		}
	}
	return out
}
