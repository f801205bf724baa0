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
	m, ok := locate(text, sel.Start, max(sel.Start, sel.End))
	switch {
	case !ok && m.cp.Start < sel.Start:
		return Result{}, positionRangeError(text, sel, "position.start")
	case !ok:
		return Result{}, positionRangeError(text, sel, "position.end")
	case sel.End <= sel.Start:
		return Result{}, positionReversedError(text, sel)
	case text[m.b.Start:m.b.End] != sel.Exact:
		return Result{}, positionMismatchError(text, sel, m)
	}
	return m.result(text, sel), nil
}

func resolveQuote(text string, sel Selector) (Result, error) {
	ms, total := search(text, sel.Prefix, sel.Exact, sel.Suffix, MaxCandidates, true)
	switch total {
	case 0:
		return Result{}, notFoundError(text, sel)
	case 1:
		return ms[0].result(text, sel), nil
	default:
		return Result{}, ambiguousError(sel, ms, total)
	}
}

// match is a span of the text in all three units.
type match struct{ cp, b, u16 Span }

// locate finds the code point span [start, end) of text, start <= end, in
// one pass. When the text is too short it reports false, with m.cp.Start
// set to start, or to the text length if start is past it.
func locate(text string, start, end int) (m match, ok bool) {
	w := walker{s: text}
	if !w.toCP(start) {
		return match{cp: Span{w.cp, w.cp}}, false
	}
	m.cp.Start, m.b.Start, m.u16.Start = start, w.b, w.u16
	if !w.toCP(end) {
		return m, false
	}
	m.cp.End, m.b.End, m.u16.End = end, w.b, w.u16
	return m, true
}

func (m match) result(text string, sel Selector) Result {
	r := Result{
		Start: m.cp.Start, End: m.cp.End,
		Prefix: sel.Prefix, Suffix: sel.Suffix,
		UTF16: m.u16, UTF8: m.b,
	}
	// Clone so that a stored annotation does not pin the whole article text.
	if r.Prefix == "" {
		r.Prefix = strings.Clone(text[contextStart(text, m.b.Start):m.b.Start])
	}
	if r.Suffix == "" {
		w := walker{s: text, b: m.b.End}
		w.toCP(ContextLength)
		r.Suffix = strings.Clone(text[m.b.End:w.b])
	}
	return r
}

// contextStart returns the byte offset ContextLength code points before the
// code point boundary b, or 0. Decoding backwards from a boundary splits
// invalid bytes exactly as decoding forwards does, so this agrees with the
// walker without a pass from the start of the text.
func contextStart(text string, b int) int {
	for k := 0; k < ContextLength && b > 0; k++ {
		_, n := utf8.DecodeLastRuneInString(text[:b])
		b -= n
	}
	return b
}
