package anchor

import "unicode/utf8"

// Every count in this package decodes text the way utf8.DecodeRuneInString
// and `for range` do: each byte of an invalid sequence is one U+FFFD code
// point (one UTF-16 unit). That keeps Length(s) == len([]rune(s)) and makes
// offsets from a client that holds the text as []rune agree with ours.

// Length returns the length of text in Unicode code points.
func Length(text string) int {
	w := walker{s: text}
	w.run(len(text), maxInt, maxInt)
	return w.cp
}

// walker moves forward through a text keeping the byte, code point and
// UTF-16 offsets of its position in step, so that one pass can convert any
// number of ascending offsets.
type walker struct {
	s          string
	b, cp, u16 int
}

// run advances until the walker reaches or passes any of the three limits,
// or the end of the text. It is the only loop that decodes text forward, so
// every conversion agrees on where code points start.
//
// Runs of ASCII go eight bytes at a time and two-byte sequences (Arabic,
// Cyrillic, Greek, Hebrew, Latin accents) are decoded inline; the rest goes
// through utf8.DecodeRuneInString.
func (w *walker) run(maxB, maxCP, maxU16 int) {
	s, b, c, u := w.s, w.b, w.cp, w.u16
	maxB = min(maxB, len(s))
	for b < maxB && c < maxCP && u < maxU16 {
		x := s[b]
		if x < utf8.RuneSelf {
			if b+8 <= maxB && c+8 <= maxCP && u+8 <= maxU16 && asciiWord(s[b:b+8]) {
				b, c, u = b+8, c+8, u+8
			} else {
				b, c, u = b+1, c+1, u+1
			}
			continue
		}
		if 0xC2 <= x && x <= 0xDF && b+1 < len(s) && s[b+1]&0xC0 == 0x80 {
			b, c, u = b+2, c+1, u+1
			continue
		}
		r, n := utf8.DecodeRuneInString(s[b:])
		b, c, u = b+n, c+1, u+utf16Len(r)
	}
	w.b, w.cp, w.u16 = b, c, u
}

// asciiWord reports whether all eight bytes of s are ASCII.
func asciiWord(s string) bool {
	return (s[0]|s[1]|s[2]|s[3]|s[4]|s[5]|s[6]|s[7])&0x80 == 0
}

// toCP advances to code point cp and reports whether the text is long
// enough; if not, the walker stops at the end of the text.
func (w *walker) toCP(cp int) bool {
	w.run(len(w.s), cp, maxInt)
	return w.cp == cp
}

// toByte advances to byte offset b and reports whether it starts a code
// point (or is the end of the text). When b falls inside a code point the
// walker stops just past that code point, which is still before any later
// boundary, so callers may keep calling it with ascending offsets.
func (w *walker) toByte(b int) bool {
	w.run(b, maxInt, maxInt)
	return w.b == b
}

// toU16 advances to UTF-16 offset u and reports whether it starts a code
// point; an offset between the two halves of a surrogate pair does not.
func (w *walker) toU16(u int) bool {
	w.run(len(w.s), maxInt, u)
	return w.u16 == u
}

const maxInt = int(^uint(0) >> 1)

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
