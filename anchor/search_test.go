package anchor

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFinder checks the needle prefilter against strings.Index, including
// after its budget for false hits runs out mid-search.
func TestFinder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "X", " ", "ب", balloon, "\xff"}
	gen := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := range 5000 {
		text := gen(rng.IntN(200))
		var pat string
		if len(text) > 0 && i%2 == 0 {
			a := rng.IntN(len(text))
			pat = text[a : a+rng.IntN(min(len(text)-a, 40))+1]
		} else {
			pat = gen(rng.IntN(12) + 1)
		}
		for _, budget := range []int{0, 1, 50, 1 << 30} {
			f := newFinder(pat, len(text))
			f.budget = budget
			for from := 0; from <= len(text); from++ {
				if got, want := f.index(text[from:]), strings.Index(text[from:], pat); got != want {
					t.Fatalf("index(%q, %q) with budget %d = %d, want %d", text[from:], pat, budget, got, want)
				}
			}
		}
	}
}

func TestFinderPicksRareByte(t *testing.T) {
	f := newFinder("the talks are not about withdrawal "+balloon+" she said", 1<<20)
	if !strings.HasPrefix(f.needle, balloon) {
		t.Errorf("needle %q, want it to start at the emoji", f.needle)
	}
	if f := newFinder("short", 100); f.needle != "" {
		t.Errorf("needle %q for a short pattern of common bytes, want none", f.needle)
	}
}
