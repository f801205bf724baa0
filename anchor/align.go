package anchor

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

// Re-anchoring first aligns the old text with the new one, once per edit, so
// that most annotations are carried across by arithmetic instead of a search.
// The alignment is a diff refined level by level, the way diff-match-patch's
// line mode is: lines (paragraphs, in an article) first, then words inside
// the lines that changed, then code points inside the words that changed.
// Working on lines first keeps an inserted or deleted paragraph to one edit
// instead of hundreds, and diffing words before code points stops a changed
// word from being matched letter by letter against an unrelated one.

// segment says that old[old, old+n) and new[new, new+n) hold the same code
// points and that the diff kept them in place: text there was not edited.
type segment struct{ old, new, n int }

// Levels of the alignment, coarsest first.
const (
	levelLines = iota
	levelWords
	levelCodePoints
)

// Bounds on the alignment's work. A diff that needs more edits than maxEdits
// at some level leaves that region unaligned: annotations in it are searched
// for instead, which is slower but no less correct.
var maxEdits = [...]int{levelLines: 1024, levelWords: 1024, levelCodePoints: 32}

const (
	// maxRefine bounds, in code points, each side of a changed stretch of
	// words that gets aligned code point by code point. Refining is for a
	// word changed by a letter or two ("talks" to "stalks", an Arabic
	// prefix dropped); beyond a few words the words were rewritten, and
	// matching their letters would be noise.
	maxRefine = 32
	// alignWork bounds the steps of all diffs of one edit together, on top
	// of a few per code point, so that no text, however contrived, makes
	// aligning cost more than a few tens of milliseconds.
	alignWork = 1 << 23
)

// align returns the unchanged segments of oldText in newText, in order of
// both texts.
func align(oldText, newText string) []segment {
	// A shared opening is common (an edit touches one place) and costs no
	// diff. It must end on a code point boundary in both texts: a byte that
	// cannot continue a UTF-8 sequence starts a code point however the bytes
	// before it decode, so the cut is made just before one. The shared
	// ending is left to the diff: trimming it too would align a duplicated
	// paragraph below an edit with its last copy, where the diff's forward
	// search takes the first.
	p := 0
	for p < len(oldText) && p < len(newText) && oldText[p] == newText[p] {
		p++
	}
	for p > 0 && !(cpBoundary(oldText, p) && cpBoundary(newText, p)) {
		p--
	}
	pc := Length(oldText[:p])
	d := differ{old: oldText, new: newText, ids: map[string]int32{},
		work: alignWork + 4*(len(oldText)+len(newText))}
	if pc > 0 {
		d.segs = append(d.segs, segment{0, 0, pc})
	}
	if p < len(oldText) && p < len(newText) {
		d.region(p, len(oldText), pc, p, len(newText), pc, levelLines)
	}
	return merge(d.segs)
}

// cpBoundary reports whether byte offset i of s starts a code point (or is
// the end of s) whatever the bytes before it are.
func cpBoundary(s string, i int) bool {
	return i == len(s) || s[i] < 0x80 || s[i] >= 0xC0
}

// merge joins segments that continue one another in both texts, as the
// unchanged letters at the start of a changed word ("202" of "2023" become
// "2024") continue the unchanged words before it, so that mapping a span
// looks up one segment, not two.
func merge(segs []segment) []segment {
	out := segs[:0]
	for _, s := range segs {
		if s.n == 0 {
			continue
		}
		if k := len(out) - 1; k >= 0 && out[k].old+out[k].n == s.old && out[k].new+out[k].n == s.new {
			out[k].n += s.n
			continue
		}
		out = append(out, s)
	}
	return out
}

type differ struct {
	old, new string
	segs     []segment
	// ids numbers distinct units (a line, a word, a code point) across both
	// texts, so that the diff compares integers.
	ids  map[string]int32
	work int
}

// units is a text region cut into lines, words or code points.
type units struct {
	ids []int32
	b   []int // byte offset of each unit, and of the region's end
	c   []int // code point offset of each unit, and of the region's end
}

// region aligns old[ob0:ob1) (starting at code point oc0) with new[nb0:nb1)
// (at nc0) at the given level, appending unchanged segments in order.
func (d *differ) region(ob0, ob1, oc0, nb0, nb1, nc0, level int) {
	ou := d.split(d.old, ob0, ob1, oc0, level)
	nu := d.split(d.new, nb0, nb1, nc0, level)
	runs, ok := diffIDs(ou.ids, nu.ids, maxEdits[level], &d.work)
	if !ok {
		return
	}
	i, j := 0, 0
	runs = append(runs, run{len(ou.ids), len(nu.ids), 0})
	for _, r := range runs {
		if r.a > i && r.b > j && level < levelCodePoints {
			oc, nc := ou.c[r.a]-ou.c[i], nu.c[r.b]-nu.c[j]
			if level == levelLines || (oc <= maxRefine && nc <= maxRefine) {
				d.region(ou.b[i], ou.b[r.a], ou.c[i], nu.b[j], nu.b[r.b], nu.c[j], level+1)
			}
		}
		if r.n > 0 {
			d.segs = append(d.segs, segment{ou.c[r.a], nu.c[r.b], ou.c[r.a+r.n] - ou.c[r.a]})
		}
		i, j = r.a+r.n, r.b+r.n
	}
}

// split cuts s[b0:b1) into units. Lines end after '\n'. Words are runs of
// letters, digits and combining marks (so "café" with a combining accent is
// one word); a run of whitespace is one unit; any other code point
// (punctuation, emoji, a joiner) is a unit of its own.
func (d *differ) split(s string, b0, b1, c0, level int) units {
	var u units
	if level > levelLines {
		n := (b1 - b0) / 3 // a word and a space average more than 3 bytes; code points, up to 4
		if level == levelCodePoints {
			n = b1 - b0
		}
		u = units{ids: make([]int32, 0, n), b: make([]int, 0, n+1), c: make([]int, 0, n+1)}
	}
	c := c0
	start, startC := b0, c0
	prev := -1 // class of the unit being built
	cut := func(b int) {
		if b > start {
			u.ids = append(u.ids, d.id(s[start:b]))
			u.b = append(u.b, start)
			u.c = append(u.c, startC)
		}
		start, startC = b, c
	}
	for b := b0; b < b1; {
		r, n := utf8.DecodeRuneInString(s[b:b1])
		switch level {
		case levelLines:
			if b > start && s[b-1] == '\n' {
				cut(b)
			}
		case levelWords:
			k := class(r)
			if k != prev || k == classOther {
				cut(b)
			}
			prev = k
		default:
			cut(b)
		}
		b += n
		c++
	}
	cut(b1)
	u.b = append(u.b, b1)
	u.c = append(u.c, c)
	return u
}

func (d *differ) id(s string) int32 {
	if id, ok := d.ids[s]; ok {
		return id
	}
	id := int32(len(d.ids))
	d.ids[s] = id
	return id
}

const (
	classWord = iota
	classSpace
	classOther
)

func class(r rune) int {
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		return classWord
	case unicode.IsSpace(r):
		return classSpace
	}
	return classOther
}

// run says a[a:a+n) equals b[b:b+n).
type run struct{ a, b, n int }

// diffIDs returns the runs that a shortest edit script between a and b keeps,
// in order (Myers' O(ND) greedy algorithm, with the search frontier of every
// round kept for tracing the path back). It reports false when the script
// needs more than maxD edits or the search costs more than *work steps,
// which it debits.
func diffIDs(a, b []int32, maxD int, work *int) ([]run, bool) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return nil, true
	}
	maxD = min(maxD, n+m)
	off := maxD + 1
	v := make([]int32, 2*maxD+3)
	var trace []int32 // round d's frontier for diagonals -d..d, as it was before round d
	for d := 0; d <= maxD; d++ {
		trace = append(trace, v[off-d:off+d+1]...)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = int(v[off+k+1])
			} else {
				x = int(v[off+k-1]) + 1
			}
			y := x - k
			x0 := x
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			*work -= 1 + x - x0
			v[off+k] = int32(x)
			if x >= n && y >= m {
				return traceBack(trace, d, n, m), true
			}
		}
		if *work < 0 {
			return nil, false
		}
	}
	return nil, false
}

// traceBack follows the path diffIDs found from (n, m) back to (0, 0),
// collecting its diagonal stretches.
func traceBack(trace []int32, dEnd, n, m int) []run {
	var runs []run
	x, y := n, m
	for d := dEnd; d > 0; d-- {
		front := trace[d*d : d*d+2*d+1] // round d's frontier starts after rounds 0..d-1, which hold d² entries
		k := x - y
		var prevK, sx int
		if k == -d || (k != d && front[k-1+d] < front[k+1+d]) {
			prevK = k + 1
			sx = int(front[prevK+d]) // a step down keeps x
		} else {
			prevK = k - 1
			sx = int(front[prevK+d]) + 1 // a step right adds one
		}
		if x > sx {
			runs = append(runs, run{sx, sx - k, x - sx})
		}
		x = int(front[prevK+d])
		y = x - prevK
	}
	if x > 0 {
		runs = append(runs, run{0, 0, x})
	}
	for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
		runs[i], runs[j] = runs[j], runs[i]
	}
	return runs
}

// mapStart carries old code point p, where a span starts, into the new text.
// It is exact when p starts or lies inside an unchanged segment. Otherwise p
// fell in text that was deleted or replaced, and mapStart returns where the
// replacement starts, so that the span it opens covers the replacement.
func mapStart(segs []segment, p int) (int, bool) {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].old > p }) - 1
	switch {
	case i < 0:
		return 0, false
	case p < segs[i].old+segs[i].n:
		return segs[i].new + p - segs[i].old, true
	}
	return segs[i].new + segs[i].n, false
}

// mapEnd carries old code point p, where a span ends, into the new text. It
// is exact when p ends or lies inside an unchanged segment; text inserted
// right after a span is not part of it, as text inserted right before it is
// not. Otherwise it returns where the replacement ends.
func mapEnd(segs []segment, p, newLen int) (int, bool) {
	i := sort.Search(len(segs), func(i int) bool { return segs[i].old >= p }) - 1
	if i >= 0 && p <= segs[i].old+segs[i].n {
		return segs[i].new + p - segs[i].old, true
	}
	if i+1 < len(segs) {
		return segs[i+1].new, false
	}
	return newLen, false
}
