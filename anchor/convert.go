package anchor

import "unicode/utf8"

// Every count in this package decodes text the way utf8.DecodeRuneInString
// and `for range` do: each byte of an invalid sequence is one U+FFFD code
// point (one UTF-16 unit). That keeps Length(s) == len([]rune(s)) and makes
// offsets from a client that holds the text as []rune agree with ours.

// Length returns the length of text in Unicode code points.
func Length(text string) int { return utf8.RuneCountInString(text) }

// walker moves forward through a text keeping the byte, code point and
// UTF-16 offsets of its position in step, so that one pass can convert any
// number of ascending offsets.
type walker struct {
	s          string
	b, cp, u16 int
}

// toCP advances to code point cp and reports whether the text is long
// enough; if not, the walker stops at the end of the text.
func (w *walker) toCP(cp int) bool {
	s, b, c, u := w.s, w.b, w.cp, w.u16
	for c < cp && b < len(s) {
		if s[b] < utf8.RuneSelf {
			b, c, u = b+1, c+1, u+1
			continue
		}
		r, n := utf8.DecodeRuneInString(s[b:])
		b, c, u = b+n, c+1, u+utf16Len(r)
	}
	w.b, w.cp, w.u16 = b, c, u
	return c == cp
}

// toByte advances to byte offset b and reports whether it starts a code
// point (or is the end of the text). When b falls inside a code point the
// walker stops just past that code point, which is still before any later
// boundary, so callers may keep calling it with ascending offsets.
func (w *walker) toByte(b int) bool {
	s, i, c, u := w.s, w.b, w.cp, w.u16
	for i < b && i < len(s) {
		if s[i] < utf8.RuneSelf {
			i, c, u = i+1, c+1, u+1
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i, c, u = i+n, c+1, u+utf16Len(r)
	}
	w.b, w.cp, w.u16 = i, c, u
	return i == b
}

// toU16 advances to UTF-16 offset u and reports whether it starts a code
// point; an offset between the two halves of a surrogate pair does not.
func (w *walker) toU16(u int) bool {
	s, b, c, v := w.s, w.b, w.cp, w.u16
	for v < u && b < len(s) {
		if s[b] < utf8.RuneSelf {
			b, c, v = b+1, c+1, v+1
			continue
		}
		r, n := utf8.DecodeRuneInString(s[b:])
		b, c, v = b+n, c+1, v+utf16Len(r)
	}
	w.b, w.cp, w.u16 = b, c, v
	return v == u
}

// utf16Len is how many UTF-16 units r takes. Invalid input decodes to
// U+FFFD, which takes one, as it does when JavaScript decodes the same bytes.
func utf16Len(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// CodePointsToUTF8 converts the code point span [start, end) of text to byte
// offsets. It reports false when the span is reversed or outside the text.
func CodePointsToUTF8(text string, start, end int) (Span, bool) {
	if start < 0 || end < start {
		return Span{}, false
	}
	w := walker{s: text}
	if !w.toCP(start) {
		return Span{}, false
	}
	s := w.b
	if !w.toCP(end) {
		return Span{}, false
	}
	return Span{s, w.b}, true
}

// CodePointsToUTF16 converts the code point span [start, end) of text to
// UTF-16 code units (JavaScript string indices). It reports false when the
// span is reversed or outside the text.
func CodePointsToUTF16(text string, start, end int) (Span, bool) {
	if start < 0 || end < start {
		return Span{}, false
	}
	w := walker{s: text}
	if !w.toCP(start) {
		return Span{}, false
	}
	s := w.u16
	if !w.toCP(end) {
		return Span{}, false
	}
	return Span{s, w.u16}, true
}

// UTF16ToCodePoints converts the UTF-16 span [start, end) of text (as
// JavaScript clients such as Hypothesis count) to code points. It reports
// false when the span is reversed, outside the text, or either end splits a
// surrogate pair.
func UTF16ToCodePoints(text string, start, end int) (Span, bool) {
	if start < 0 || end < start {
		return Span{}, false
	}
	w := walker{s: text}
	if !w.toU16(start) {
		return Span{}, false
	}
	s := w.cp
	if !w.toU16(end) {
		return Span{}, false
	}
	return Span{s, w.cp}, true
}

// UTF8ToCodePoints converts the byte span [start, end) of text to code
// points. It reports false when the span is reversed, outside the text, or
// either end falls inside a code point.
func UTF8ToCodePoints(text string, start, end int) (Span, bool) {
	if start < 0 || end < start || end > len(text) {
		return Span{}, false
	}
	w := walker{s: text}
	if !w.toByte(start) {
		return Span{}, false
	}
	s := w.cp
	if !w.toByte(end) {
		return Span{}, false
	}
	return Span{s, w.cp}, true
}
