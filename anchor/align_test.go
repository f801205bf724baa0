package anchor

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// lcsLength is the textbook quadratic oracle for diffIDs: a shortest edit
// script keeps a longest common subsequence.
func lcsLength(a, b []int32) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			default:
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func randomIDs(r *rand.Rand, n, alphabet int) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = int32(r.IntN(alphabet))
	}
	return s
}

func TestDiffIDs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		a := randomIDs(r, r.IntN(40), 1+r.IntN(6))
		b := randomIDs(r, r.IntN(40), 1+r.IntN(6))
		if i%3 == 0 { // mostly alike, as two revisions are
			b = append(append(append([]int32{}, a[:len(a)/2]...), b[:len(b)/4]...), a[len(a)/2:]...)
		}
		work := 1 << 30
		runs, ok := diffIDs(a, b, len(a)+len(b), &work)
		if !ok {
			t.Fatalf("%v / %v: gave up", a, b)
		}
		kept, ai, bi := 0, 0, 0
		for _, run := range runs {
			if run.n <= 0 || run.a < ai || run.b < bi {
				t.Fatalf("%v / %v: runs %v out of order", a, b, runs)
			}
			for k := range run.n {
				if a[run.a+k] != b[run.b+k] {
					t.Fatalf("%v / %v: run %v keeps unequal elements", a, b, run)
				}
			}
			kept += run.n
			ai, bi = run.a+run.n, run.b+run.n
		}
		if want := lcsLength(a, b); kept != want {
			t.Fatalf("%v / %v: runs %v keep %d elements, want %d", a, b, runs, kept, want)
		}
	}
}

func TestDiffIDsGivesUp(t *testing.T) {
	a, b := make([]int32, 100), make([]int32, 100)
	for i := range b {
		b[i] = 1
	}
	work := 1 << 30
	if _, ok := diffIDs(a, b, 50, &work); ok {
		t.Error("200 edits fit in 50")
	}
	work = 10
	if _, ok := diffIDs(a, b, 1000, &work); ok {
		t.Error("hundreds of steps fit in a budget of 10")
	}
}

// TestAlignSegments checks that every segment align reports holds equal text
// on both sides and that a simple edit leaves the rest aligned.
func TestAlignSegments(t *testing.T) {
	for _, tc := range []struct{ name, old, new string }{
		{"identical", "abc\ndef\n", "abc\ndef\n"},
		{"insert before", "the talks are over.", "Officials said the talks are over."},
		{"word changed", "He said the talks are over today.", "He said the peace talks ended today."},
		{"paragraph deleted", "one two.\nthree four.\nfive six.\n", "one two.\nfive six.\n"},
		{"Arabic word changed", "رفضت المقاومة الإسلامية في العراق", "رفضت المقاومة الوطنية في العراق"},
		{"emoji inserted", "a café " + flag + " b", "a " + balloon + "café " + flag + " b"},
		{"split multibyte", "x\u20ac y", "x\xe2\x82 y"},
		{"everything changed", "abc", "xyz"},
		{"to empty", "abc", ""},
		{"from empty", "", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segs := align(tc.old, tc.new)
			or, nr := []rune(tc.old), []rune(tc.new)
			po, pn := 0, 0
			kept := 0
			for _, s := range segs {
				if s.old < po || s.new < pn || s.n <= 0 || s.old+s.n > len(or) || s.new+s.n > len(nr) {
					t.Fatalf("bad segment %+v in %+v", s, segs)
				}
				if string(or[s.old:s.old+s.n]) != string(nr[s.new:s.new+s.n]) {
					t.Fatalf("segment %+v: %q vs %q", s, string(or[s.old:s.old+s.n]), string(nr[s.new:s.new+s.n]))
				}
				po, pn = s.old+s.n, s.new+s.n
				kept += s.n
			}
			common := 0
			for common < len(or) && common < len(nr) && or[common] == nr[common] {
				common++
			}
			if kept < common {
				t.Errorf("segments %+v keep %d code points, fewer than the %d shared at the start", segs, kept, common)
			}
		})
	}
}

func TestAlignLevels(t *testing.T) {
	// One word changed in the middle paragraph of three: the diff keeps both
	// other paragraphs whole and every word of the changed one but that word.
	old := "First paragraph here.\nThe talks are not about withdrawal, she said.\nLast one.\n"
	new := "First paragraph here.\nThe talks are not about departure, she said.\nLast one.\n"
	segs := align(old, new)
	p, _ := mapStart(segs, strings.Index(old, "withdrawal"))
	if got := string([]rune(new)[p:][:9]); got != "departure" {
		t.Errorf("start of the changed word maps to %q", got)
	}
	for _, word := range []string{"talks", "she said", "Last one"} {
		i := len([]rune(old[:strings.Index(old, word)]))
		j, ok := mapStart(segs, i)
		if !ok || j != len([]rune(new[:strings.Index(new, word)])) {
			t.Errorf("%q at %d maps to %d, %v", word, i, j, ok)
		}
	}
}

func TestMapStartEnd(t *testing.T) {
	// old "aaXbb" -> new "aaYYbb": "X" replaced; insertion shows at the edges.
	segs := []segment{{0, 0, 2}, {3, 4, 2}}
	for _, tc := range []struct {
		p, wantStart int
		startOK      bool
		wantEnd      int
		endOK        bool
	}{
		{0, 0, true, 0, false},
		{1, 1, true, 1, true},
		{2, 2, false, 2, true}, // X starts here: a span starting here starts in replaced text
		{3, 4, true, 4, false}, // X ends here: a span ending here ends in replaced text
		{4, 5, true, 5, true},
		{5, 6, false, 6, true},
	} {
		s, sok := mapStart(segs, tc.p)
		e, eok := mapEnd(segs, tc.p, 6)
		if s != tc.wantStart || sok != tc.startOK || e != tc.wantEnd || eok != tc.endOK {
			t.Errorf("p=%d: start %d,%v end %d,%v; want start %d,%v end %d,%v",
				tc.p, s, sok, e, eok, tc.wantStart, tc.startOK, tc.wantEnd, tc.endOK)
		}
	}
	// Pure insertion between two segments: "ab" -> "aXb". A span starting at
	// 1 starts after the insertion; one ending at 1 ends before it.
	segs = []segment{{0, 0, 1}, {1, 2, 1}}
	if s, ok := mapStart(segs, 1); s != 2 || !ok {
		t.Errorf("start after insertion: %d, %v", s, ok)
	}
	if e, ok := mapEnd(segs, 1, 3); e != 1 || !ok {
		t.Errorf("end before insertion: %d, %v", e, ok)
	}
}

// naiveDist is the dynamic-programming oracle for the bit-vector matcher:
// with free set, the least distance of pat to a stretch of text ending at
// each position; without, the distance between whole strings at the end.
func naiveDist(pat, text []int32, free bool) []int {
	col := make([]int, len(pat)+1)
	for i := range col {
		col[i] = i
	}
	out := make([]int, len(text))
	for j, c := range text {
		diag := col[0]
		if !free {
			col[0] = j + 1
		}
		for i := 1; i <= len(pat); i++ {
			up := col[i]
			cost := 1
			if pat[i-1] == c {
				cost = 0
			}
			col[i] = min(diag+cost, up+1, col[i-1]+1)
			diag = up
		}
		out[j] = col[len(pat)]
	}
	return out
}

func TestBitPattern(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		alphabet := 2 + r.IntN(5)
		m := 1 + r.IntN(200)
		if r.IntN(2) == 0 {
			m = 1 + r.IntN(64)
		}
		text := randomIDs(r, r.IntN(300), alphabet)
		pat := randomIDs(r, m, alphabet+1) // alphabet+1: some code points absent from the text
		var s strings.Builder
		for _, c := range text {
			s.WriteRune('a' + c)
		}
		f := newFuzzyText(s.String())
		runes := make([]rune, m)
		for i, c := range pat {
			runes[i] = 'a' + c
		}
		p := newBitPattern(f, runes)
		// The oracle needs the text's ids for the pattern's code points.
		pids := make([]int32, m)
		for i, c := range runes {
			pids[i] = f.id(c)
			if pids[i] < 0 {
				pids[i] = -1 - int32(i) // matches nothing
			}
		}
		want := naiveDist(pids, f.ids, true)
		k := r.IntN(m + 1)
		var wantEnds []matchEnd
		for j, d := range want {
			if d <= k && (j == 0 || want[j-1] >= d) && (j+1 == len(want) || want[j+1] >= d) {
				wantEnds = append(wantEnds, matchEnd{j + 1, d})
			}
		}
		if got := p.searchEnds(f.ids, k, nil); !slices.Equal(got, wantEnds) {
			t.Fatalf("m=%d k=%d: searchEnds = %v, want %v (distances %v)", m, k, got, wantEnds, want)
		}
		wantWithin := m
		for _, d := range want {
			wantWithin = min(wantWithin, d)
		}
		if got := p.within(f.ids); got != wantWithin {
			t.Fatalf("m=%d: within = %d, want %d", m, got, wantWithin)
		}
		global := naiveDist(pids, f.ids, false)
		wantDist := m
		if len(global) > 0 {
			wantDist = global[len(global)-1]
		}
		if got := p.distance(f.ids); got != wantDist {
			t.Fatalf("m=%d: distance = %d, want %d", m, got, wantDist)
		}
		if n := len(f.ids); n > 0 {
			st := r.IntN(n)
			lo := st + r.IntN(n-st+1)
			dist := make([]int, r.IntN(n-lo+1))
			p.distances(f.ids, st, lo, dist)
			for i, d := range dist {
				if want := naiveDist(pids, f.ids[st:lo+i], false); len(want) > 0 && d != want[len(want)-1] || len(want) == 0 && d != m {
					t.Fatalf("m=%d: distances from %d to %d = %d, want %v", m, st, lo+i, d, want)
				}
			}
			// startBack with the reversed pattern finds the start of least
			// distance for an end.
			rev := make([]rune, m)
			for i, c := range runes {
				rev[m-1-i] = c
			}
			end := 1 + r.IntN(n)
			start, d := newBitPattern(f, rev).startBack(f.ids, 0, end)
			best := m
			for s := 0; s < end; s++ {
				if g := naiveDist(pids, f.ids[s:end], false); g[len(g)-1] < best {
					best = g[len(g)-1]
				}
			}
			if d != best {
				t.Fatalf("m=%d: startBack to %d = %d at %d, want distance %d", m, end, d, start, best)
			}
			if g := naiveDist(pids, f.ids[start:end], false); start < end && g[len(g)-1] != d {
				t.Fatalf("m=%d: startBack says %d from %d to %d, but it is %d", m, d, start, end, g[len(g)-1])
			}
		}
	}
}
