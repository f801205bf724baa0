package anchor

import (
	"strings"
	"unicode/utf8"
)

// search finds every place where exact occurs in text directly after prefix
// and directly before suffix, overlapping places included, in text order. It
// returns the first keep of them and, when countAll is set, how many there
// are (else it stops after keep).
//
// It searches for prefix+exact+suffix with strings.Index, so the common case
// runs at memchr speed with no per-position comparison, and counts code
// points and UTF-16 units only between matches, in one pass. Overlapping
// occurrences are followed through the pattern's period: after a match at i
// the next one cannot start before i+period, and one at i+period needs only
// its last period bytes checked. That keeps even "aaaa…" in "aaaa…" linear.
func search(text, prefix, exact, suffix string, keep int, countAll bool) (ms []match, total int) {
	pat := prefix + exact + suffix
	if len(pat) > len(text) {
		return nil, 0
	}
	size := walker{s: exact}
	size.run(len(exact), maxInt, maxInt)
	// A valid UTF-8 quote always matches on code point boundaries: its first
	// byte cannot continue a sequence and its last sequence is complete.
	// Only an invalid one (bytes cut from the middle of a character) needs
	// its end checked against how the text decodes; the start is checked by
	// the walker that counts up to it anyway.
	checkEnd := !utf8.ValidString(exact)
	starts, ends := walker{s: text}, walker{s: text}

	f := newFinder(pat, len(text))
	period := 0
	for i := f.index(text); i >= 0; {
		bs := i + len(prefix)
		be := bs + len(exact)
		ok := starts.toByte(bs)
		if checkEnd {
			ok = ends.toByte(be) && ok
		}
		if ok {
			total++
			if len(ms) < keep {
				ms = append(ms, match{
					cp:  Span{starts.cp, starts.cp + size.cp},
					b:   Span{bs, be},
					u16: Span{starts.u16, starts.u16 + size.u16},
				})
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
		j := f.index(text[from:])
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

// needleLength bounds the piece of the pattern that finder hands to
// strings.Index: at most 31 bytes keeps it on the SIMD brute-force path on
// every architecture (bytealg.MaxLen), where a longer pattern would fall
// back to Rabin-Karp at about a byte per nanosecond.
const needleLength = 24

// minNeedle is the shortest needle cut from a longer pattern.
const minNeedle = 8

// finder locates a pattern by first looking for a short needle cut from it
// at its rarest byte, so that strings.Index's IndexByte scan is rarely
// stopped by false hits. For a quote starting with an Arabic letter or a
// common English one that is several times faster than searching for the
// whole pattern, whose first byte is everywhere.
type finder struct {
	pat    string
	needle string // empty: search for pat itself
	at     int    // offset of needle in pat
	// budget is how many pattern bytes false needle hits may still cost to
	// verify. Spent, finder falls back to strings.Index on the whole pattern,
	// so a text crafted to match the needle everywhere stays linear.
	budget int
}

func newFinder(pat string, textLen int) finder {
	f := finder{pat: pat, budget: 2*textLen + 4096}
	// strings.Index scans for the needle's first byte, so the needle starts
	// at the rarest byte, leaving it a few bytes to rule out chance hits.
	best := 0
	last := len(pat) - min(len(pat), minNeedle)
	for i := 1; i <= last && byteRank(pat[best]) > 0; i++ {
		if byteRank(pat[i]) < byteRank(pat[best]) {
			best = i
		}
	}
	// A short pattern already gets the SIMD search; only a rarer byte helps.
	if len(pat) <= needleLength && best == 0 {
		return f
	}
	f.at, f.needle = best, pat[best:min(best+needleLength, len(pat))]
	return f
}

// index returns the offset of the first occurrence of the pattern in s, or
// -1.
func (f *finder) index(s string) int {
	for from := 0; ; {
		if f.needle == "" || f.budget <= 0 {
			f.needle = ""
			if j := strings.Index(s[from:], f.pat); j >= 0 {
				return from + j
			}
			return -1
		}
		if from+len(f.pat) > len(s) {
			return -1
		}
		j := strings.Index(s[from+f.at:len(s)-len(f.pat)+f.at+len(f.needle)], f.needle)
		if j < 0 {
			return -1
		}
		i := from + j
		if s[i:i+len(f.pat)] == f.pat {
			return i
		}
		f.budget -= len(f.pat)
		from = i + 1
	}
}

// byteRank guesses how common a byte is in news text, 0 being rarest:
// space, frequent Latin letters, UTF-8 continuation bytes and the lead bytes
// of Arabic, Cyrillic and CJK are everywhere; emoji leads and most
// punctuation are scarce.
func byteRank(c byte) int {
	switch {
	case c == ' ' || c == 'e' || c == 't' || c == 'a' || c == 'o' || c == 'i' || c == 'n' || c == 's' || c == 'r' || c == 'h':
		return 4
	case 0x80 <= c && c <= 0xBF, c == 0xD8, c == 0xD9, c == 0xD0, c == 0xD1, 0xE3 <= c && c <= 0xE9:
		return 4
	case 'a' <= c && c <= 'z', c == ',', c == '.', c == '\n':
		return 3
	case 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '"', c == '\'', c == '-', 0xC2 <= c && c <= 0xEF:
		return 2
	case c < 0x80, 0xF0 <= c && c <= 0xF4:
		return 1
	}
	return 0
}
