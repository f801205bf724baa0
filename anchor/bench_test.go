package anchor

import (
	"strconv"
	"strings"
	"testing"
)

// benchText builds about size bytes of mixed-script text (English, Arabic,
// emoji outside the BMP, a flag, a combining accent) with a unique sentence
// about 95% of the way in, and returns the text and that sentence.
func benchText(size int) (text, quote string) {
	quote = "وقالت المتحدثة سابرينا سينغ إن " + balloon + " the talks are not about withdrawal"
	var b strings.Builder
	inserted := false
	for i := 0; b.Len() < size; i++ {
		if !inserted && b.Len() >= size*95/100 {
			b.WriteString(quote + ".\n")
			inserted = true
		}
		b.WriteString("Shafaq News / " + flag + " رفضت المقاومة الإسلامية في العراق يوم الجمعة المحادثات (" + strconv.Itoa(i) + "). ")
		b.WriteString("The statement was quoted by the " + cafe + " owner in Baghdad: \"the language of strength\" " + balloon + ".\n")
	}
	return b.String(), quote
}

func BenchmarkResolve(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"50KB", 50 << 10}, {"1MB", 1 << 20}} {
		text, quote := benchText(size.bytes)
		r, err := Resolve(text, Selector{Exact: quote})
		if err != nil {
			b.Fatal(err)
		}
		for _, bc := range []struct {
			name string
			sel  Selector
		}{
			{"quote", Selector{Exact: quote}},
			{"position", Selector{Exact: quote, HasPosition: true, Start: r.Start, End: r.End}},
		} {
			b.Run(size.name+"/"+bc.name, func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					if _, err := Resolve(text, bc.sel); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
