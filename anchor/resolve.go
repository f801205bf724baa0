package anchor

import (
	"strings"
	"unicode/utf8"
)

// Resolve ties sel to text. With a position, the text there must be exactly
// sel.Exact (the context is kept as given, not checked). Without one, sel.Exact
// must occur exactly once among the places where it directly follows
// sel.Prefix and directly precedes sel.Suffix. Matching is byte for byte: no
// case folding and no Unicode normalization, because the stored span has to
// point at the words the article really prints.
//
// Failures are *Error values.
func Resolve(text string, sel Selector) (Result, error) {
	if sel.Exact == "" {
		return Result{}, &Error{
			Reason:      ReasonQuoteEmpty,
			Field:       "quote.exact",
			Description: "the quote is empty: copy the exact words of the claim from the article text",
		}
	}
	if sel.HasPosition {
		return resolvePosition(text, sel)
	}
	return resolveQuote(text, sel)
}

func resolvePosition(text string, sel Selector) (Result, error) {
	if sel.Start < 0 {
		return Result{}, positionRangeError(text, sel, "position.start")
	}
	loc, ok := locate(text, sel.Start, sel.End)
	switch {
	case !ok && sel.Start > loc.textEnd:
		return Result{}, positionRangeError(text, sel, "position.start")
	case !ok:
		return Result{}, positionRangeError(text, sel, "position.end")
	case sel.End <= sel.Start:
		return Result{}, positionReversedError(text, sel)
	case text[loc.b.Start:loc.b.End] != sel.Exact:
		return Result{}, positionMismatchError(text, sel, loc)
	}
	return loc.result(text, sel), nil
}

func resolveQuote(text string, sel Selector) (Result, error) {
	ms, total := search(text, sel.Prefix, sel.Exact, sel.Suffix, MaxCandidates, true)
	switch total {
	case 0:
		return Result{}, notFoundError(text, sel)
	case 1:
		loc, _ := locate(text, ms[0].cp.Start, ms[0].cp.End)
		return loc.result(text, sel), nil
	default:
		return Result{}, ambiguousError(sel, ms, total)
	}
}

// location is a code point span with everything a Result needs, found in
// one pass over the text.
type location struct {
	cp, b, u16 Span
	// prefixStart and suffixEnd are the byte offsets ContextLength code
	// points before and after the span, clipped to the text.
	prefixStart, suffixEnd int
	// textEnd is the text length in code points, known only when the span
	// did not fit.
	textEnd int
}

// locate finds the code point span [start, end) of text. It reports false
// when start or end is past the end of the text (end < start is the
// caller's to check; the span then ends where it starts).
func locate(text string, start, end int) (location, bool) {
	if end < start {
		end = start
	}
	w := walker{s: text}
	w.toCP(start - ContextLength)
	loc := location{cp: Span{start, end}, prefixStart: w.b}
	if !w.toCP(start) {
		loc.textEnd = w.cp
		return loc, false
	}
	loc.b.Start, loc.u16.Start = w.b, w.u16
	if !w.toCP(end) {
		loc.textEnd = w.cp
		return loc, false
	}
	loc.b.End, loc.u16.End = w.b, w.u16
	w.toCP(end + ContextLength)
	loc.suffixEnd = w.b
	return loc, true
}

func (loc location) result(text string, sel Selector) Result {
	r := Result{
		Start: loc.cp.Start, End: loc.cp.End,
		Prefix: sel.Prefix, Suffix: sel.Suffix,
		UTF16: loc.u16, UTF8: loc.b,
	}
	// Clone so that a stored annotation does not pin the whole article text.
	if r.Prefix == "" {
		r.Prefix = strings.Clone(text[loc.prefixStart:loc.b.Start])
	}
	if r.Suffix == "" {
		r.Suffix = strings.Clone(text[loc.b.End:loc.suffixEnd])
	}
	return r
}

// match is one occurrence of a quote, in code points and in bytes.
type match struct{ cp, b Span }

// search finds every place where exact occurs in text directly after prefix
// and directly before suffix, overlapping places included, in text order. It
// returns the first keep of them and, when countAll is set, how many there
// are (else it stops after keep).
//
// It searches for prefix+exact+suffix with strings.Index, so the common case
// runs at memchr speed with no per-position comparison. Overlapping
// occurrences are followed through the pattern's period: after a match at i
// the next one cannot start before i+period, and one at i+period needs only
// its last period bytes checked. That keeps even "aaaa…" in "aaaa…" linear.
func search(text, prefix, exact, suffix string, keep int, countAll bool) (ms []match, total int) {
	pat := prefix + exact + suffix
	if len(pat) > len(text) {
		return nil, 0
	}
	exactLen := Length(exact)
	// A valid UTF-8 quote always matches on code point boundaries: its first
	// byte cannot continue a sequence and its last sequence is complete.
	// Only an invalid one (bytes cut from the middle of a character) needs
	// its ends checked against how the text decodes.
	checked := !utf8.ValidString(exact)
	var starts, ends walker // used when checked
	starts.s, ends.s = text, text
	countedTo, countedCP := 0, 0 // used when !checked

	period := 0
	for i := strings.Index(text, pat); i >= 0; {
		bs := i + len(prefix)
		be := bs + len(exact)
		ok := true
		var cs int
		if checked {
			ok = starts.toByte(bs)
			ok = ends.toByte(be) && ok
			cs = starts.cp
		} else {
			countedCP += utf8.RuneCountInString(text[countedTo:bs])
			countedTo = bs
			cs = countedCP
		}
		if ok {
			total++
			if len(ms) < keep {
				ms = append(ms, match{cp: Span{cs, cs + exactLen}, b: Span{bs, be}})
			}
			if !countAll && total >= keep {
				break
			}
		}

		if period == 0 {
			period = smallestPeriod(pat)
		}
		from := i + period
		if period < len(pat) {
			if end := from + len(pat); end <= len(text) && text[i+len(pat):end] == pat[len(pat)-period:] {
				i = from
				continue
			}
			from++
		}
		if from > len(text) {
			break
		}
		j := strings.Index(text[from:], pat)
		if j < 0 {
			break
		}
		i = from + j
	}
	return ms, total
}

// smallestPeriod returns the smallest p > 0 with s[k] == s[k+p] for all k,
// which is len(s) when s does not overlap itself. It is the Knuth-Morris-Pratt
// failure function's last entry, subtracted from len(s).
func smallestPeriod(s string) int {
	fail := make([]int32, len(s))
	k := int32(0)
	for i := 1; i < len(s); i++ {
		for k > 0 && s[i] != s[k] {
			k = fail[k-1]
		}
		if s[i] == s[k] {
			k++
		}
		fail[i] = k
	}
	if len(s) == 0 {
		return 1
	}
	return len(s) - int(fail[len(s)-1])
}
