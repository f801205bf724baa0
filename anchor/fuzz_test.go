package anchor

import (
	"errors"
	"strings"
	"testing"
)

// The oracles below re-derive every answer from `for i := range text`, a
// decoding independent of the walker, by brute force.

// boundaries returns the byte offset of every code point of s, plus len(s).
func boundaries(s string) []int {
	var bs []int
	for i := range s {
		bs = append(bs, i)
	}
	return append(bs, len(s))
}

// utf16Offsets returns the UTF-16 offset of every code point of s, plus the
// total, counting an invalid byte as one unit (it decodes to U+FFFD).
func utf16Offsets(s string) []int {
	var us []int
	u := 0
	for _, r := range s {
		us = append(us, u)
		u++
		if r > 0xFFFF {
			u++
		}
	}
	return append(us, u)
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// naiveMatches lists every code point span where exact occurs with prefix
// right before and suffix right after, by trying each code point.
func naiveMatches(text string, sel Selector) []Span {
	bs := boundaries(text)
	var out []Span
	for i, b := range bs {
		e := indexOf(bs, b+len(sel.Exact))
		if e < 0 || !strings.HasPrefix(text[b:], sel.Exact) ||
			!strings.HasSuffix(text[:b], sel.Prefix) || !strings.HasPrefix(text[b+len(sel.Exact):], sel.Suffix) {
			continue
		}
		out = append(out, Span{i, e})
	}
	return out
}

func FuzzResolve(f *testing.F) {
	f.Add("He said no. She said no.", "said no", "", "", false, 0, 0)
	f.Add("He said no. She said no.", "said no", "She ", "", false, 0, 0)
	f.Add("He said no. She said no.", "said no", "", ".", true, 16, 23)
	f.Add("aaaa", "aaa", "", "", false, 0, 0)
	f.Add("abababab", "abab", "ab", "", false, 0, 0)
	f.Add("Shafaq "+flag+" رفضت "+balloon, balloon, "", "", true, 14, 15)
	f.Add("x "+family+" y", family, "", "", false, 0, 0)
	f.Add("the "+cafe+" owner", "e\u0301", "", "", true, 7, 9)
	f.Add("ab\xffcd\xe2\x82x", "\xe2", "", "", false, 0, 0)
	f.Add("€", "\x82", "", "", false, 0, 0)
	f.Add("abc", "b", "", "", true, 2, 1)
	f.Fuzz(func(t *testing.T, text, exact, prefix, suffix string, hasPos bool, start, end int) {
		if len(text) > 4096 || len(exact)+len(prefix)+len(suffix) > 512 {
			t.Skip("the brute-force oracle is quadratic")
		}
		sel := Selector{Exact: exact, Prefix: prefix, Suffix: suffix, HasPosition: hasPos, Start: start, End: end}
		got, err := Resolve(text, sel)

		var e *Error
		if err != nil {
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Description == "" || e.Field == "" || len(e.Candidates) > MaxCandidates {
				t.Fatalf("malformed error %#v", e)
			}
		}
		fail := func(reason, field string) {
			t.Helper()
			if e == nil || e.Reason != reason || e.Field != field {
				t.Fatalf("Resolve(%q, %+v) = %+v, %v; want %s on %s", text, sel, got, err, reason, field)
			}
		}

		bs := boundaries(text)
		n := len(bs) - 1
		var want Span
		switch {
		case exact == "":
			fail(ReasonQuoteEmpty, "quote.exact")
			return
		case hasPos && (start < 0 || start > n):
			fail(ReasonPositionRange, "position.start")
			return
		case hasPos && end > n:
			fail(ReasonPositionRange, "position.end")
			return
		case hasPos && end <= start:
			fail(ReasonPositionReversed, "position")
			return
		case hasPos && text[bs[start]:bs[end]] != exact:
			fail(ReasonPositionMismatch, "position")
			return
		case hasPos:
			want = Span{start, end}
		default:
			ms := naiveMatches(text, sel)
			switch {
			case len(ms) == 0:
				if e == nil || e.Reason != ReasonQuoteNotFound {
					t.Fatalf("Resolve(%q, %+v) = %+v, %v; want %s", text, sel, got, err, ReasonQuoteNotFound)
				}
				return
			case len(ms) > 1:
				fail(ReasonQuoteAmbiguous, "quote.exact")
				if !equalSpans(e.Candidates, ms[:min(len(ms), MaxCandidates)]) {
					t.Fatalf("Candidates = %v, want %v", e.Candidates, ms)
				}
				return
			}
			want = ms[0]
		}
		if err != nil {
			t.Fatalf("Resolve(%q, %+v): %v; want %v", text, sel, err, want)
		}
		us := utf16Offsets(text)
		if got.Start != want.Start || got.End != want.End ||
			got.UTF8 != (Span{bs[want.Start], bs[want.End]}) || got.UTF16 != (Span{us[want.Start], us[want.End]}) {
			t.Fatalf("Resolve(%q, %+v) = %+v, want code points %v", text, sel, got, want)
		}
		if text[got.UTF8.Start:got.UTF8.End] != exact {
			t.Fatalf("span %v holds %q, not the quote", got.UTF8, text[got.UTF8.Start:got.UTF8.End])
		}
		wantPrefix, wantSuffix := prefix, suffix
		if wantPrefix == "" {
			wantPrefix = text[bs[max(0, want.Start-ContextLength)]:bs[want.Start]]
		}
		if wantSuffix == "" {
			wantSuffix = text[bs[want.End]:bs[min(n, want.End+ContextLength)]]
		}
		if got.Prefix != wantPrefix || got.Suffix != wantSuffix {
			t.Fatalf("context %q / %q, want %q / %q", got.Prefix, got.Suffix, wantPrefix, wantSuffix)
		}
	})
}

func FuzzConvert(f *testing.F) {
	f.Add("a"+balloon+family+flag+cafe+"ب\xff", 1, 7)
	f.Add("\xe2\x82\xac\xe2\x82", 0, 2)
	f.Add("", 0, 0)
	f.Fuzz(func(t *testing.T, text string, start, end int) {
		bs, us := boundaries(text), utf16Offsets(text)
		n := len(bs) - 1
		if got := Length(text); got != n || got != len([]rune(text)) {
			t.Fatalf("Length(%q) = %d, want %d", text, got, n)
		}
		valid := 0 <= start && start <= end && end <= n

		u8, ok8 := CodePointsToUTF8(text, start, end)
		u16, ok16 := CodePointsToUTF16(text, start, end)
		if ok8 != valid || ok16 != valid {
			t.Fatalf("[%d,%d) of %d code points: ok %v/%v, want %v", start, end, n, ok8, ok16, valid)
		}
		if valid {
			if u8 != (Span{bs[start], bs[end]}) || u16 != (Span{us[start], us[end]}) {
				t.Fatalf("[%d,%d) of %q: UTF-8 %v, UTF-16 %v", start, end, text, u8, u16)
			}
			if cp, ok := UTF8ToCodePoints(text, u8.Start, u8.End); !ok || cp != (Span{start, end}) {
				t.Fatalf("UTF8ToCodePoints(%v) = %v, %v; want [%d,%d)", u8, cp, ok, start, end)
			}
			if cp, ok := UTF16ToCodePoints(text, u16.Start, u16.End); !ok || cp != (Span{start, end}) {
				t.Fatalf("UTF16ToCodePoints(%v) = %v, %v; want [%d,%d)", u16, cp, ok, start, end)
			}
		}

		// Read start and end as UTF-16 and byte offsets too: they must be
		// accepted exactly when both land on a code point.
		si, ei := indexOf(us, start), indexOf(us, end)
		cp, ok := UTF16ToCodePoints(text, start, end)
		if want := si >= 0 && ei >= 0 && start <= end; ok != want || ok && cp != (Span{si, ei}) {
			t.Fatalf("UTF16ToCodePoints(%q, %d, %d) = %v, %v; want [%d,%d), %v", text, start, end, cp, ok, si, ei, want)
		}
		si, ei = indexOf(bs, start), indexOf(bs, end)
		cp, ok = UTF8ToCodePoints(text, start, end)
		if want := si >= 0 && ei >= 0 && start <= end; ok != want || ok && cp != (Span{si, ei}) {
			t.Fatalf("UTF8ToCodePoints(%q, %d, %d) = %v, %v; want [%d,%d), %v", text, start, end, cp, ok, si, ei, want)
		}
	})
}
