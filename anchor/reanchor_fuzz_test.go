package anchor

import "testing"

// FuzzReanchor relocates an annotation from one text to another, both
// arbitrary, and checks the invariants checkRelocation lists. mode picks
// the anchor: 0 is one stored properly against the old text (span, quote
// and context agree); 1 quotes the new text with a stored position that may
// be nonsense; 2 quotes the old text with context taken from elsewhere.
func FuzzReanchor(f *testing.F) {
	f.Add(article, "Breaking. "+article, 134, 20, uint8(0))
	f.Add(article, parIraq+parPentagon+parPentagon+parPost, 134, 20, uint8(0))
	f.Add(article, parPentagon+parPost+parIraq, 40, 12, uint8(0))
	f.Add(article, parIraq+parPost, 140, 50, uint8(0))
	f.Add("the talks are over", "the  talks\nare over", 4, 9, uint8(0))
	f.Add("the talks are over", "the peace talks are over", 0, 18, uint8(0))
	f.Add("a the talks b", "x the talks y the talks z", 2, 9, uint8(1))
	f.Add("The "+cafe+" owner", "The caf\u00e9 owner", 4, 5, uint8(0))
	f.Add("x"+flag+"y "+balloon+" z", balloon+"x"+flag+"y "+balloon+" z", 4, 1, uint8(0))
	f.Add("ab\xffcd\xe2\x82x", "ab\xfecd\xe2\x82\xacx", 1, 4, uint8(0))
	f.Add("aaaaaaaaaa", "aaaaaaaaaaaa", 2, 5, uint8(2))
	f.Add("  x  ", " x ", 0, 3, uint8(0))
	f.Fuzz(func(t *testing.T, oldText, newText string, start, length int, mode uint8) {
		if len(oldText) > 1024 || len(newText) > 1024 {
			t.Skip("long texts only slow the fuzzer down; the table tests and the benchmark cover them")
		}
		a := fuzzAnchor(oldText, newText, start, length, mode)
		r := Reanchor(oldText, newText, a)
		checkRelocation(t, oldText, newText, a, r)
		if mode%3 == 0 && oldText == newText && a.Exact != "" && (r.Status != Anchored || r.Start != a.Start || r.End != a.End) {
			t.Errorf("unchanged text: %v [%d,%d), want ANCHORED [%d,%d)", r.Status, r.Start, r.End, a.Start, a.End)
		}
	})
}

func fuzzAnchor(oldText, newText string, start, length int, mode uint8) Stored {
	span := func(text string) (int, int) {
		n := Length(text)
		if n == 0 {
			return 0, 0
		}
		s := ((start % n) + n) % n
		e := s + 1 + ((length%64)+64)%64
		return s, min(e, n)
	}
	switch mode % 3 {
	case 0:
		s, e := span(oldText)
		res, err := Resolve(oldText, Selector{Exact: sliceCP(oldText, s, e), HasPosition: true, Start: s, End: e})
		if err != nil {
			return Stored{Start: s, End: e}
		}
		return Stored{Exact: sliceCP(oldText, s, e), Prefix: res.Prefix, Suffix: res.Suffix, Start: s, End: e}
	case 1:
		s, e := span(newText)
		return Stored{Exact: sliceCP(newText, s, e), Prefix: sliceCP(newText, max(0, s-3), s), Start: start, End: start + length}
	default:
		s, e := span(oldText)
		return Stored{Exact: sliceCP(oldText, s, e), Prefix: sliceCP(newText, 0, min(5, Length(newText))),
			Suffix: sliceCP(oldText, 0, min(3, Length(oldText))), Start: s, End: e}
	}
}
