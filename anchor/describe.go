package anchor

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error descriptions are read by newsroom developers staring at a rejected
// request, so they say what the text holds, where the quote really is, and
// the likely slip (offsets in the wrong unit, a curly apostrophe, a
// decomposed accent) rather than only that something is wrong.

const (
	// snippetLength bounds each quoted piece of text in a description.
	snippetLength = 60
	// listedSpans bounds how many positions a description spells out;
	// Candidates carries up to MaxCandidates of them.
	listedSpans = 10
	// shownContexts bounds how many occurrences get their surrounding text
	// shown when a prefix or suffix rules them out.
	shownContexts = 3
	// nearMissMin is the shortest partial match worth pointing at: shorter
	// ones are coincidences, not a mistyped quote.
	nearMissMin = 4
	// divergenceLength is how much of the text and the quote to show where
	// they part ways.
	divergenceLength = 16
)

func positionRangeError(text string, sel Selector, field string) *Error {
	n := Length(text)
	var d string
	switch {
	case field == "position.start" && sel.Start < 0:
		d = fmt.Sprintf("position.start is %d, but positions count code points from 0", sel.Start)
	case field == "position.start":
		d = fmt.Sprintf("position.start is %d, past the end of the text, which is %s long", sel.Start, plural(n, "code point"))
	default:
		d = fmt.Sprintf("position.end is %d, past the end of the text, which is %s long", sel.End, plural(n, "code point"))
	}
	where, _ := whereQuote(text, sel.Exact)
	return &Error{
		Reason:      ReasonPositionRange,
		Field:       field,
		Description: d + "; " + where + unitHint(text, sel),
	}
}

func positionReversedError(text string, sel Selector) *Error {
	var d string
	if sel.End == sel.Start {
		d = fmt.Sprintf("position.start and position.end are both %d, which selects nothing", sel.Start)
	} else {
		d = fmt.Sprintf("position.end (%d) is before position.start (%d)", sel.End, sel.Start)
	}
	d += fmt.Sprintf("; the span is [start,end), so end must be start plus the quote's length (%s)", plural(Length(sel.Exact), "code point"))
	where, _ := whereQuote(text, sel.Exact)
	return &Error{
		Reason:      ReasonPositionReversed,
		Field:       "position",
		Description: d + "; " + where,
	}
}

func positionMismatchError(text string, sel Selector, loc match) *Error {
	where, cands := whereQuote(text, sel.Exact)
	return &Error{
		Reason: ReasonPositionMismatch,
		Field:  "position",
		Description: fmt.Sprintf("the text at code points %s reads %s, not the quote %s%s; %s%s",
			spanString(loc.cp), snippet(text[loc.b.Start:loc.b.End]), snippet(sel.Exact),
			difference(text[loc.b.Start:loc.b.End], sel.Exact), where, unitHint(text, sel)),
		Candidates: cands,
	}
}

func ambiguousError(sel Selector, ms []match, total int) *Error {
	spans := make([]Span, len(ms))
	for i, m := range ms {
		spans[i] = m.cp
	}
	var d string
	switch {
	case sel.Prefix == "" && sel.Suffix == "":
		d = fmt.Sprintf("the quote occurs %s, at code points %s; give position.start and position.end, or a prefix or suffix that only one occurrence has",
			times(total), listSpans(spans, total))
	default:
		d = fmt.Sprintf("even with the given %s, the quote occurs %s, at code points %s; give position.start and position.end, or a longer prefix or suffix",
			contextNames(sel), times(total), listSpans(spans, total))
	}
	return &Error{Reason: ReasonQuoteAmbiguous, Field: "quote.exact", Description: d, Candidates: spans}
}

func notFoundError(text string, sel Selector) *Error {
	bare, total := search(text, "", sel.Exact, "", MaxCandidates, true)
	if total == 0 {
		return &Error{
			Reason:      ReasonQuoteNotFound,
			Field:       "quote.exact",
			Description: "the quote " + snippet(sel.Exact) + " does not occur in the text" + nearMiss(text, sel.Exact),
		}
	}
	// The quote is there, so the context is what failed; find out which part.
	spans := make([]Span, len(bare))
	for i, m := range bare {
		spans[i] = m.cp
	}
	var afterPrefix, beforeSuffix []match
	if sel.Prefix != "" {
		afterPrefix, _ = search(text, sel.Prefix, sel.Exact, "", listedSpans, false)
	}
	if sel.Suffix != "" {
		beforeSuffix, _ = search(text, "", sel.Exact, sel.Suffix, listedSpans, false)
	}
	occurs := fmt.Sprintf("the quote occurs %s, at code points %s", times(total), listSpans(spans, total))
	switch {
	case sel.Prefix != "" && len(afterPrefix) == 0:
		d := fmt.Sprintf("%s, but never right after the given prefix %s; right before %s the text has %s",
			occurs, snippetTail(sel.Prefix), pronoun(total), contexts(text, bare, Length(sel.Prefix), true))
		if sel.Suffix != "" && len(beforeSuffix) == 0 {
			d += "; the given suffix does not fit any occurrence either"
		}
		return &Error{
			Reason:      ReasonQuoteNotFound,
			Field:       "quote.prefix",
			Description: d + "; leave the prefix empty or copy the words right before the quote",
		}
	case sel.Suffix != "" && len(beforeSuffix) == 0:
		return &Error{
			Reason: ReasonQuoteNotFound,
			Field:  "quote.suffix",
			Description: fmt.Sprintf("%s, but never right before the given suffix %s; right after %s the text has %s; leave the suffix empty or copy the words right after the quote",
				occurs, snippetHead(sel.Suffix), pronoun(total), contexts(text, bare, Length(sel.Suffix), false)),
		}
	default:
		return &Error{
			Reason: ReasonQuoteNotFound,
			Field:  "quote.prefix",
			Description: fmt.Sprintf("%s; it follows the given prefix at %s and precedes the given suffix at %s, but never both at once; the prefix and suffix must surround the same occurrence",
				occurs, listMatches(afterPrefix), listMatches(beforeSuffix)),
		}
	}
}

// difference points at the first code point where got and want part ways,
// when they share an opening: two strings can print alike and still differ
// (a curly apostrophe, a decomposed accent), and a long pair elided in the
// middle may differ where the reader cannot see.
func difference(got, want string) string {
	i, k := 0, 0
	for i < len(got) && i < len(want) {
		_, n := utf8.DecodeRuneInString(got[i:])
		if got[i:i+n] != want[i:min(i+n, len(want))] {
			break
		}
		i, k = i+n, k+1
	}
	if k == 0 || i == len(got) || i == len(want) {
		return ""
	}
	return fmt.Sprintf(" (they part ways after %s: %s in the text, %s in the quote)", plural(k, "code point"), firstRune(got[i:]), firstRune(want[i:]))
}

// whereQuote says where exact occurs in text, for errors about a position
// that missed it, and returns those places as candidates.
func whereQuote(text, exact string) (string, []Span) {
	ms, total := search(text, "", exact, "", MaxCandidates, true)
	if total == 0 {
		return "the quote does not occur in the text" + nearMiss(text, exact), nil
	}
	spans := make([]Span, len(ms))
	for i, m := range ms {
		spans[i] = m.cp
	}
	return fmt.Sprintf("the quote occurs %s, at code points %s", times(total), listSpans(spans, total)), spans
}

// unitHint spots the commonest cause of a bad position: a client that
// counted in UTF-16 units (JavaScript) or UTF-8 bytes (Go, Rust, Python
// bytes) instead of code points.
func unitHint(text string, sel Selector) string {
	if cp, ok := UTF16ToCodePoints(text, sel.Start, sel.End); ok && cp.End > cp.Start {
		if b, ok := CodePointsToUTF8(text, cp.Start, cp.End); ok && text[b.Start:b.End] == sel.Exact {
			return fmt.Sprintf("; [%d,%d) does hold the quote if counted in UTF-16 code units (JavaScript string indices), but positions count Unicode code points: use %s",
				sel.Start, sel.End, spanString(cp))
		}
	}
	if sel.Start >= 0 && sel.Start < sel.End && sel.End <= len(text) && text[sel.Start:sel.End] == sel.Exact {
		if cp, ok := UTF8ToCodePoints(text, sel.Start, sel.End); ok {
			return fmt.Sprintf("; [%d,%d) does hold the quote if counted in UTF-8 bytes, but positions count Unicode code points: use %s",
				sel.Start, sel.End, spanString(cp))
		}
	}
	return ""
}

// nearMiss explains a quote that does not occur by finding the longest
// opening and the longest ending of it that do, and showing where the text
// and the quote part ways. Typical finds: a straight quote mark for a curly
// one, a double space, "é" precomposed where the text has "e" plus U+0301.
func nearMiss(text, exact string) string {
	bounds := []int{0} // byte offset of each code point boundary of exact
	for i := 0; i < len(exact); {
		_, n := utf8.DecodeRuneInString(exact[i:])
		i += n
		bounds = append(bounds, i)
	}
	n := len(bounds) - 1
	// Both searches are monotone (a shorter opening occurs wherever a longer
	// one does), so binary search keeps this to O(log n) text scans.
	head, headAt := longest(n, func(k int) (match, bool) {
		ms, _ := search(text, "", exact[:bounds[k]], "", 1, false)
		if len(ms) == 0 {
			return match{}, false
		}
		return ms[0], true
	})
	tail, tailAt := longest(n, func(k int) (match, bool) {
		ms, _ := search(text, "", exact[bounds[n-k]:], "", 1, false)
		if len(ms) == 0 {
			return match{}, false
		}
		return ms[0], true
	})
	const advice = "; the quote must match the text character for character, including quotation marks, apostrophes, dashes, spaces and accents"
	switch {
	case head >= nearMissMin && head >= tail:
		d := fmt.Sprintf("; the text has the quote's first %d of %d code points at %s, ", head, n, spanString(headAt.cp))
		if headAt.b.End == len(text) {
			return d + "but ends there" + advice
		}
		t, q := text[headAt.b.End:], exact[bounds[head]:]
		return d + fmt.Sprintf("but then reads %s where the quote has %s (%s in the text, %s in the quote)",
			snippetHead(prefixOf(t, divergenceLength)), snippetHead(prefixOf(q, divergenceLength)), firstRune(t), firstRune(q)) + advice
	case tail >= nearMissMin:
		d := fmt.Sprintf("; the text has the quote's last %d of %d code points at %s, ", tail, n, spanString(tailAt.cp))
		if tailAt.b.Start == 0 {
			return d + "but starts there" + advice
		}
		t, q := text[:tailAt.b.Start], exact[:bounds[n-tail]]
		return d + fmt.Sprintf("but before them reads %s where the quote has %s (%s in the text, %s in the quote)",
			snippetTail(suffixOf(t, divergenceLength)), snippetTail(suffixOf(q, divergenceLength)), lastRune(t), lastRune(q)) + advice
	}
	return advice
}

// longest returns the largest k in [0, n) for which found(k) holds, given
// that found(0) holds and found is monotone, with found's match for it.
func longest(n int, found func(k int) (match, bool)) (int, match) {
	lo, hi := 0, n // found(lo) holds; found(hi) fails (the whole quote is absent)
	var at match
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if m, ok := found(mid); ok {
			lo, at = mid, m
		} else {
			hi = mid
		}
	}
	return lo, at
}

// contexts shows the k code points before (or after) each of the first few
// matches, so the caller can see why their prefix (or suffix) did not fit.
func contexts(text string, ms []match, k int, before bool) string {
	k = min(k, snippetLength)
	var out []string
	w := walker{s: text}
	for i, m := range ms {
		if i == shownContexts {
			break
		}
		switch {
		case before && m.b.Start == 0:
			out = append(out, "(the start of the text)")
		case before:
			w.toCP(m.cp.Start - k)
			out = append(out, snippetTail(text[w.b:m.b.Start]))
		case m.b.End == len(text):
			out = append(out, "(the end of the text)")
		default:
			e := walker{s: text, b: m.b.End, cp: m.cp.End}
			e.toCP(m.cp.End + k)
			out = append(out, snippetHead(text[m.b.End:e.b]))
		}
	}
	s := joinList(out)
	if len(ms) > shownContexts {
		s += " (first " + strconv.Itoa(shownContexts) + " shown)"
	}
	return s
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func contextNames(sel Selector) string {
	switch {
	case sel.Prefix != "" && sel.Suffix != "":
		return "prefix and suffix"
	case sel.Prefix != "":
		return "prefix"
	default:
		return "suffix"
	}
}

func spanString(s Span) string { return fmt.Sprintf("[%d,%d)", s.Start, s.End) }

// listSpans writes spans as "[1,4), [9,12) and [20,23)", naming how many
// more there are when total exceeds what is listed.
func listSpans(spans []Span, total int) string {
	var parts []string
	for i, s := range spans {
		if i == listedSpans {
			break
		}
		parts = append(parts, spanString(s))
	}
	if more := total - len(parts); more > 0 {
		return strings.Join(parts, ", ") + " and " + strconv.Itoa(more) + " more"
	}
	return joinList(parts)
}

func listMatches(ms []match) string {
	spans := make([]Span, len(ms))
	for i, m := range ms {
		spans[i] = m.cp
	}
	return listSpans(spans, len(spans))
}

func joinList(parts []string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return strconv.Itoa(n) + " times"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// snippet quotes s for a description, eliding its middle when long so both
// ends stay visible. strconv.Quote keeps letters in any script readable but
// makes newlines, tabs and invalid bytes visible.
func snippet(s string) string {
	n := Length(s)
	if n <= snippetLength {
		return strconv.Quote(s)
	}
	half := snippetLength / 2
	return strconv.Quote(prefixOf(s, half) + "…" + suffixOf(s, half))
}

// snippetHead quotes the start of s, for text that continues after it.
func snippetHead(s string) string {
	if Length(s) <= snippetLength {
		return strconv.Quote(s)
	}
	return strconv.Quote(prefixOf(s, snippetLength) + "…")
}

// snippetTail quotes the end of s, for text that leads up to something.
func snippetTail(s string) string {
	if Length(s) <= snippetLength {
		return strconv.Quote(s)
	}
	return strconv.Quote("…" + suffixOf(s, snippetLength))
}

// prefixOf returns the first k code points of s.
func prefixOf(s string, k int) string {
	w := walker{s: s}
	w.toCP(k)
	return s[:w.b]
}

// suffixOf returns the last k code points of s, counted forward so that
// invalid bytes split the same way as everywhere else.
func suffixOf(s string, k int) string {
	w := walker{s: s}
	w.toCP(Length(s) - k)
	return s[w.b:]
}

// firstRune names the first character of s as code points, with any
// combining marks after it: "e" + U+0301 and U+00E9 print alike, and only
// the code points show why they do not match.
func firstRune(s string) string {
	var names []string
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if i > 0 && !isMark(r) {
			break
		}
		names = append(names, runeName(r, n, s[i:]))
		i += n
	}
	return strings.Join(names, " ")
}

// lastRune names the last character of s like firstRune, going back over
// combining marks to their base.
func lastRune(s string) string {
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isMark(r) {
			start = i
		}
		i += n
	}
	return firstRune(s[start:])
}

func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) }

func runeName(r rune, n int, s string) string {
	if r == utf8.RuneError && n == 1 {
		return fmt.Sprintf("the invalid byte 0x%02X", s[0])
	}
	return fmt.Sprintf("U+%04X", r)
}
