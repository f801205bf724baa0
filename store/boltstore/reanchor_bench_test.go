package boltstore_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// BenchmarkUpdateArticleReanchor1000 is one text change of a 50 KB English
// and Arabic article with 1,000 annotations, through Store.UpdateArticle:
// the text revision, re-anchoring every annotation in the same transaction
// (anchor.Edit), rewriting each with a new annotation revision, and the
// commit. The edit inserts a sentence near the top, changes a word halfway
// and deletes a paragraph three quarters of the way; iterations alternate
// between the two texts, so every one relocates all 1,000 (the orphans of
// one come back in the next).
//
//	go test ./store/boltstore -run '^$' -bench UpdateArticleReanchor -benchtime 20x -count 6
func BenchmarkUpdateArticleReanchor1000(b *testing.B) {
	for _, durable := range []bool{true, false} {
		name := "fsync"
		if !durable {
			name = "nosync"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s, err := boltstore.Open(filepath.Join(b.TempDir(), "reanchor.db"), boltstore.Options{NoSync: !durable})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			text := benchArticleText(50 << 10)
			revised := benchArticleEdit(text)
			art, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/reanchor", Text: text})
			if err != nil {
				b.Fatal(err)
			}
			anns := benchSpans(text, 1000)
			for i := range anns {
				anns[i].ArticleID = art.ID
			}
			if _, err := s.CreateAnnotations(ctx, anns); err != nil {
				b.Fatal(err)
			}
			texts := [2]string{revised, text}
			i := 0
			cpu0 := cpuTime()
			for b.Loop() {
				next := texts[i%2]
				i++
				if _, err := s.UpdateArticle(ctx, art.ID, "", func(a *store.Article) error {
					a.Text = next
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time beside wall time: on a loaded machine the wall
			// time mostly measures the other processes.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(anns)), "ns/annotation")
		})
	}
}

// benchArticleText builds about size bytes of paragraphs of English and
// Arabic sentences with numbers, so that most runs of a few words occur once.
func benchArticleText(size int) string {
	english := strings.Fields(`the talks between Baghdad and Washington on US military presence have been
		ongoing even before attack launched by Hamas Israel which led to eruption of unrest in region exacerbated
		tensions forces factions however these are not negotiations for withdrawal from Iraq Pentagon spokesperson
		denied that discussions committee announced ministry foreign affairs department defense statement quoted`)
	arabic := strings.Fields(`رفضت المقاومة الإسلامية في العراق يوم الجمعة المحادثات بين بغداد وواشنطن وقالت
		المتحدثة باسم البنتاغون سابرينا سينغ إن لا تتعلق بالانسحاب الحكومة العراقية الأمريكية بشأن جدولة انسحاب`)
	r := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	for p := 0; b.Len() < size; p++ {
		words := english
		if p%3 == 2 {
			words = arabic
		}
		for s := 3 + r.IntN(3); s > 0; s-- {
			n := 8 + r.IntN(11)
			for i := range n {
				b.WriteString(words[r.IntN(len(words))])
				switch {
				case i == n-1:
					b.WriteString(". ")
				case r.IntN(12) == 0:
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

// benchArticleEdit inserts a sentence after the first, changes the word
// halfway through and deletes the paragraph three quarters of the way.
func benchArticleEdit(text string) string {
	ins := strings.Index(text, ". ") + 2
	mid := len(text) / 2
	for text[mid] != ' ' {
		mid++
	}
	wEnd := mid + 1 + strings.IndexByte(text[mid+1:], ' ')
	p := 3 * len(text) / 4
	p += strings.IndexByte(text[p:], '\n') + 1
	pEnd := p + strings.IndexByte(text[p:], '\n') + 1
	return text[:ins] + "A correction was added here by the editors on Saturday. " +
		text[ins:mid+1] + "REVISED" + text[wEnd:p] + text[pEnd:]
}

// benchSpans returns n annotations spread evenly over text, each quoting a
// run of 2 to 12 whole words at its position.
func benchSpans(text string, n int) []*store.Annotation {
	rs := []rune(text)
	isWord := func(i int) bool { return i < len(rs) && !unicode.IsSpace(rs[i]) }
	r := rand.New(rand.NewPCG(13, 17))
	var out []*store.Annotation
	for i := range n {
		s := i * len(rs) / n
		for s > 0 && isWord(s-1) {
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
		out = append(out, &store.Annotation{
			Anchor: store.Anchor{Exact: string(rs[s:e]), HasPosition: true, Start: s, End: e},
			Claim:  store.Claim{Text: "claim " + strconv.Itoa(i)},
		})
	}
	return out
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
