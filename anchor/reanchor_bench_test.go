package anchor

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var (
	englishWords = strings.Fields(`the talks between Baghdad and Washington on US military presence have been
		ongoing even before attack launched by Hamas Israel which led to eruption of unrest in region exacerbated
		tensions forces Iran-backed factions however these are not negotiations for withdrawal from Iraq Pentagon
		spokesperson denied that discussions High Military Committee announced ministry foreign affairs department
		defense related resistance statement quoted owner language strength government request committee arrange
		status would happened without strikes blessings martyrs proves understands nothing danger granting immunity
		pretext commitment security apparatus protect invading historic betrayal blood response continue jihadist
		operations presence dialogue intentions seriousness unmanned aerial combat aircraft airspace joint command
		officers withdrawn calls decision parliament popular support expel implementation evasion agenda`)
	arabicWords = strings.Fields(`رفضت المقاومة الإسلامية في العراق يوم الجمعة المحادثات بين بغداد وواشنطن وقالت
		المتحدثة باسم البنتاغون سابرينا سينغ إن لا تتعلق بالانسحاب الحكومة العراقية الأمريكية بشأن جدولة انسحاب مؤكدة
		استمرار عملياتها ضد الولايات المتحدة البرلمان الشعبي لإخراج القوات الأجنبية لم تجد طريقها إلى التنفيذ منذ سنوات
		بسبب المراوغة الأمريكية في تنفيذ أجندتها الخبيثة والمنطقة اللجنة العسكرية العليا`)
)

// reanchorArticle builds about size bytes of article text: paragraphs of
// English and Arabic sentences of varied words and numbers, so that, as in a
// real article, most stretches of a few words occur once.
func reanchorArticle(size int) string {
	r := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	for p := 0; b.Len() < size; p++ {
		words := englishWords
		if p%3 == 2 {
			words = arabicWords
		}
		for s := 3 + r.IntN(3); s > 0; s-- {
			n := 8 + r.IntN(11)
			for i := range n {
				w := words[r.IntN(len(words))]
				if i == 0 && p%3 != 2 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				b.WriteString(w)
				switch {
				case i == n-1:
					b.WriteString(". ")
				case r.IntN(9) == 0:
					b.WriteString(", ")
				case r.IntN(15) == 0:
					b.WriteString(" " + strconv.Itoa(r.IntN(3000)) + " ")
				default:
					b.WriteByte(' ')
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// benchAnchors stores n annotations spread evenly over text, each a run of
// 2 to 12 whole words.
func benchAnchors(tb testing.TB, text string, n int) []Stored {
	rs := []rune(text)
	isWord := func(i int) bool { return i < len(rs) && !unicode.IsSpace(rs[i]) }
	r := rand.New(rand.NewPCG(13, 17))
	var out []Stored
	for i := range n {
		s := i * len(rs) / n
		for s > 0 && isWord(s-1) { // back to the start of the word
			s--
		}
		for s < len(rs) && !isWord(s) {
			s++
		}
		e := s
		for w := 2 + r.IntN(11); w > 0 && e < len(rs); w-- {
			for e < len(rs) && !isWord(e) {
				e++
			}
			for isWord(e) {
				e++
			}
		}
		if e == s {
			continue
		}
		res, err := Resolve(text, Selector{Exact: string(rs[s:e]), HasPosition: true, Start: s, End: e})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, Stored{Exact: string(rs[s:e]), Prefix: res.Prefix, Suffix: res.Suffix, Start: s, End: e})
	}
	return out
}

// benchEdit revises text as an editor might: a sentence inserted after the
// first one, a word changed halfway through, and the paragraph starting
// three quarters of the way through deleted. It returns the code point spans
// of the old text the edit touched: the changed word and the deleted
// paragraph.
func benchEdit(text string) (revised string, word, paragraph Span) {
	const sentence = "A correction was added here by the editors on Saturday. "
	ins := strings.Index(text, ". ") + 2

	mid := len(text) / 2
	for text[mid] != ' ' {
		mid++
	}
	wEnd := mid + 1 + strings.IndexByte(text[mid+1:], ' ')
	oldWord := text[mid+1 : wEnd]

	p := 3 * len(text) / 4
	p += strings.IndexByte(text[p:], '\n') + 1
	pEnd := p + strings.IndexByte(text[p:], '\n') + 1

	revised = text[:ins] + sentence + text[ins:mid+1] + "REVISED" + text[wEnd:p] + text[pEnd:]
	word = Span{Length(text[:mid+1]), Length(text[:mid+1]) + Length(oldWord)}
	paragraph = Span{Length(text[:p]), Length(text[:pEnd])}
	return revised, word, paragraph
}

// TestReanchorArticleEdit checks the benchmark's work: every annotation
// clear of the edit stays Anchored; those in the deleted paragraph are
// orphaned; those over the changed word go fuzzy.
func TestReanchorArticleEdit(t *testing.T) {
	old := reanchorArticle(50 << 10)
	anchors := benchAnchors(t, old, 1000)
	revised, word, paragraph := benchEdit(old)
	rels := ReanchorAll(old, revised, anchors)
	counts := map[RelocationStatus]int{}
	for i, a := range anchors {
		r := rels[i]
		counts[r.Status]++
		checkRelocation(t, old, revised, a, r)
		overlaps := func(s Span) bool { return a.Start < s.End && s.Start < a.End }
		switch {
		case overlaps(paragraph):
			// Fully inside: gone. Straddling an end: what is left may be
			// found, fuzzily.
			if a.Start >= paragraph.Start && a.End <= paragraph.End && r.Status != Orphaned {
				t.Errorf("%q, inside the deleted paragraph: %v", a.Exact, r.Status)
			}
		case overlaps(word):
			if r.Status != Fuzzy || !strings.Contains(r.Found, "REVISED") {
				t.Errorf("%q, over the changed word: %v %q", a.Exact, r.Status, r.Found)
			}
		default:
			if r.Status != Anchored {
				t.Errorf("%q at [%d,%d), clear of the edit: %v at [%d,%d)", a.Exact, a.Start, a.End, r.Status, r.Start, r.End)
			}
		}
	}
	t.Logf("%d anchors: %v", len(anchors), counts)
}

// BenchmarkReanchor1000 re-anchors 1,000 annotations of a 50 KB English and
// Arabic article after an edit in three places.
func BenchmarkReanchor1000(b *testing.B) {
	old := reanchorArticle(50 << 10)
	anchors := benchAnchors(b, old, 1000)
	revised, _, _ := benchEdit(old)
	for b.Loop() {
		ReanchorAll(old, revised, anchors)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(anchors)), "ns/anchor")
}

// BenchmarkReanchorRewrite is the costly case: the same article rewritten
// throughout (every tenth word changed), so most annotations need a search.
func BenchmarkReanchorRewrite(b *testing.B) {
	old := reanchorArticle(50 << 10)
	anchors := benchAnchors(b, old, 1000)
	words := strings.SplitAfter(old, " ")
	for i := 5; i < len(words); i += 10 {
		words[i] = "changed "
	}
	revised := strings.Join(words, "")
	for b.Loop() {
		ReanchorAll(old, revised, anchors)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(anchors)), "ns/anchor")
}
