package interchange

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/factcheck/factcheck/anchor"
	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const baseURL = "https://factcheck.example/"

// sample is one annotation with everything an export needs.
type sample struct {
	name    string
	ann     *factcheckv1.Annotation
	article *factcheckv1.Article
	sources map[string]*factcheckv1.Source
}

func readArticle(t testing.TB, file, id string) *factcheckv1.Article {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	a := &factcheckv1.Article{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, a); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	sum := sha256.Sum256([]byte(a.Text))
	a.Name, a.Revision, a.TextSha256 = "articles/"+id, 1, hex.EncodeToString(sum[:])
	a.CreateTime = ts("2024-10-07T11:58:00Z")
	a.UpdateTime = ts("2024-10-07T11:58:00.5Z")
	a.PublishTime = ts("2024-01-26T09:00:00Z")
	return a
}

func ts(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

// anchorAt resolves a quote (and optional code point position) in text the way
// the server does, so fixtures carry the prefix and suffix it would store.
func anchorAt(t testing.TB, text, exact string, pos *[2]int) *factcheckv1.Anchor {
	t.Helper()
	sel := anchor.Selector{Exact: exact}
	if pos != nil {
		sel.HasPosition, sel.Start, sel.End = true, pos[0], pos[1]
	}
	r, err := anchor.Resolve(text, sel)
	if err != nil {
		t.Fatalf("anchor %q: %v", exact, err)
	}
	return &factcheckv1.Anchor{
		Quote:           &factcheckv1.TextQuoteSelector{Exact: exact, Prefix: r.Prefix, Suffix: r.Suffix},
		Position:        &factcheckv1.TextPositionSelector{Start: int32(r.Start), End: int32(r.End)},
		ArticleRevision: 1,
		Status:          factcheckv1.Anchor_STATUS_ANCHORED,
	}
}

const (
	wapoURL   = "https://www.washingtonpost.com/world/2023/10/10/example/"
	wapoQuote = "talks between Baghdad and Washington on the issue of US military presence have been ongoing even before the attack launched by Hamas on Israel on October 7, 2023"
)

func wapoSource() *factcheckv1.Source {
	return &factcheckv1.Source{
		Name:        "sources/wapo-talks",
		Url:         wapoURL,
		Title:       "U.S. and Iraq discuss the future of American troops",
		Publisher:   "The Washington Post",
		Kind:        factcheckv1.Source_KIND_NEWS_REPORT,
		PublishTime: ts("2023-10-10T12:00:00Z"),
	}
}

// shafaqSample is the README walk-through's annotation of the Shafaq News
// article, with the fields the server fills.
func shafaqSample(t testing.TB) sample {
	art := readArticle(t, "shafaq-talks.article.json", "shafaq-talks")
	src := wapoSource()
	a := &factcheckv1.Annotation{
		Name:   "articles/shafaq-talks/annotations/talks-before-oct-7",
		Anchor: anchorAt(t, art.Text, wapoQuote, nil),
		Claim: &factcheckv1.Claim{
			Text: "Talks between Baghdad and Washington on the US military presence began before the attack of October 7, 2023.",
			Claimant: &factcheckv1.Claimant{
				Name:   "The Washington Post",
				Kind:   factcheckv1.Claimant_KIND_ORGANIZATION,
				SameAs: "https://www.washingtonpost.com/",
			},
			ClaimTime: ts("2023-10-10T12:00:00Z"),
		},
		Verdict: &factcheckv1.Verdict{
			Rating:    factcheckv1.Rating_RATING_UNPROVEN,
			Label:     "Single source",
			Rationale: "Only the Washington Post report says so; the article quotes **no official**.",
		},
		Citations: []*factcheckv1.Citation{{
			Source: src.Name,
			Stance: factcheckv1.Stance_STANCE_SUPPORTS,
			Note:   "Reported by The Washington Post, as quoted by Shafaq News.",
		}},
		State:      factcheckv1.Annotation_STATE_PUBLISHED,
		ExternalId: "import-1",
		CreateTime: ts("2024-10-07T12:00:00Z"),
		UpdateTime: ts("2024-10-07T12:30:00.25Z"),
		Etag:       "W/\"1\"",
	}
	return sample{"shafaq", a, art, map[string]*factcheckv1.Source{src.Name: src}}
}

// multilingualSamples annotate each quote of the multilingual sample at the
// code point offsets it lists.
func multilingualSamples(t testing.TB) []sample {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "multilingual.article.json"))
	if err != nil {
		t.Fatal(err)
	}
	var plain struct {
		Quotes []struct {
			Exact      string `json:"exact"`
			CodePoints [2]int `json:"code_points"`
		} `json:"quotes"`
	}
	if err := json.Unmarshal(b, &plain); err != nil {
		t.Fatal(err)
	}
	art := readArticle(t, "multilingual.article.json", "multi")
	var out []sample
	for i, q := range plain.Quotes {
		a := &factcheckv1.Annotation{
			Name:   fmt.Sprintf("articles/multi/annotations/q%d", i),
			Anchor: anchorAt(t, art.Text, q.Exact, &q.CodePoints),
			Claim: &factcheckv1.Claim{
				Text:     "ادعاء: " + q.Exact,
				Claimant: &factcheckv1.Claimant{Name: "سابرينا سينغ", Kind: factcheckv1.Claimant_KIND_PERSON, SameAs: "https://www.wikidata.org/wiki/Q5"},
			},
			Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating_RATING_MOSTLY_FALSE, Rationale: "النص 🇮🇶 café"},
			CreateTime: ts("2024-10-08T08:00:00Z"),
			UpdateTime: ts("2024-10-08T08:00:00Z"),
		}
		a.Claim.ClaimTime = ts("2024-01-26T00:00:00Z")
		out = append(out, sample{fmt.Sprintf("multilingual/%d", i), a, art, nil})
	}
	if len(out) == 0 {
		t.Fatal("no quotes in the multilingual sample")
	}
	return out
}

// generatedSamples vary every optional field over the Shafaq text, with a
// fixed seed so failures reproduce.
func generatedSamples(t testing.TB, n int) []sample {
	art := readArticle(t, "shafaq-talks.article.json", "shafaq-talks")
	runes := []rune(art.Text)
	rng := rand.New(rand.NewPCG(7, 42))
	sources := map[string]*factcheckv1.Source{}
	for i := range 4 {
		s := &factcheckv1.Source{Name: fmt.Sprintf("sources/s%d", i), Url: fmt.Sprintf("https://source%d.example/report?id=%d", i, i)}
		if i%2 == 0 {
			s.Title, s.Publisher = fmt.Sprintf("Report %d", i), "Publisher "+string(rune('A'+i))
		}
		sources[s.Name] = s
	}
	ratings := []factcheckv1.Rating{0, 1, 2, 3, 4, 5, 6, 7}
	var out []sample
	for i := range n {
		// A span that starts and ends on a non-space character.
		start := rng.IntN(len(runes) - 200)
		for runes[start] == ' ' || runes[start] == '\n' {
			start++
		}
		end := start + 1 + rng.IntN(120)
		for runes[end-1] == ' ' || runes[end-1] == '\n' {
			end--
		}
		pos := [2]int{start, end}
		a := &factcheckv1.Annotation{
			Name:   fmt.Sprintf("articles/shafaq-talks/annotations/gen-%02d", i),
			Anchor: anchorAt(t, art.Text, string(runes[start:end]), &pos),
			Claim:  &factcheckv1.Claim{Text: fmt.Sprintf("Generated claim %d: %s", i, strings.TrimSpace(string(runes[start:end])))},
		}
		switch i % 5 {
		case 1:
			a.Claim.Claimant = &factcheckv1.Claimant{Name: "Person " + fmt.Sprint(i), Kind: factcheckv1.Claimant_KIND_PERSON}
		case 2:
			a.Claim.Claimant = &factcheckv1.Claimant{Name: "Org " + fmt.Sprint(i), Kind: factcheckv1.Claimant_KIND_ORGANIZATION, SameAs: "https://org.example/" + fmt.Sprint(i), Description: "An organisation"}
		case 3:
			a.Claim.Claimant = &factcheckv1.Claimant{Name: "Someone " + fmt.Sprint(i)}
		case 4:
			a.Claim.Claimant = &factcheckv1.Claimant{SameAs: "https://www.wikidata.org/wiki/Q" + fmt.Sprint(i)}
		}
		if i%3 == 0 {
			a.Claim.ClaimTime = ts("2024-01-2" + fmt.Sprint(i%10) + "T10:00:00Z")
		}
		r := ratings[i%len(ratings)]
		switch i % 4 {
		case 0:
			a.Verdict = &factcheckv1.Verdict{Rating: r}
		case 1:
			a.Verdict = &factcheckv1.Verdict{Rating: r, Label: "Label " + fmt.Sprint(i), Rationale: "Because *reasons* " + fmt.Sprint(i)}
		case 2:
			if i%8 == 2 {
				a.Verdict = &factcheckv1.Verdict{Rationale: "Rationale without a rating"}
			}
		case 3:
			a.Verdict = &factcheckv1.Verdict{Label: "Needs context"}
		}
		for j := range i % 4 {
			c := &factcheckv1.Citation{Source: fmt.Sprintf("sources/s%d", (i+j)%4), Stance: factcheckv1.Stance(j % 4)}
			if j == 1 {
				c.Quote = "quoted words " + fmt.Sprint(i)
			}
			if j == 2 {
				c.Note = "note " + fmt.Sprint(i)
			}
			a.Citations = append(a.Citations, c)
		}
		if i%6 == 5 {
			a.Citations = append(a.Citations, &factcheckv1.Citation{Source: "https://direct.example/url-citation"})
		}
		if i%3 == 1 {
			a.Labels = map[string]string{"desk": "politics", "priority": "", "batch.id": fmt.Sprint(i)}
		}
		if i%2 == 0 {
			a.CreateTime, a.UpdateTime = ts("2024-10-07T12:00:00Z"), ts("2024-10-09T08:15:30.123Z")
		}
		switch i % 7 {
		case 3:
			a.Author = "editor@" + fmt.Sprint(i)
		case 5:
			a.Author = "https://factcheck.example/users/" + fmt.Sprint(i)
		case 6:
			// An orphaned anchor into an older revision, and no position.
			a.Anchor.ArticleRevision = 0
			a.Anchor.Position = nil
		}
		art := art
		if i%10 == 9 {
			art = cloneArticle(art)
			art.Revision = 2
			a.Anchor.Status = factcheckv1.Anchor_STATUS_ORPHANED
		}
		out = append(out, sample{fmt.Sprintf("generated/%02d", i), a, art, sources})
	}
	return out
}

func cloneArticle(a *factcheckv1.Article) *factcheckv1.Article {
	b, _ := protojson.Marshal(a)
	c := &factcheckv1.Article{}
	if err := protojson.Unmarshal(b, c); err != nil {
		panic(err)
	}
	return c
}

func allSamples(t testing.TB) []sample {
	out := []sample{shafaqSample(t)}
	out = append(out, multilingualSamples(t)...)
	return append(out, generatedSamples(t, 50)...)
}

// wire turns an export into what a client receives: through structpb, as the
// server sends it, and back into plain JSON values.
func wire(t testing.TB, doc map[string]any) map[string]any {
	t.Helper()
	st, err := structpb.NewStruct(doc)
	if err != nil {
		t.Fatalf("structpb.NewStruct: %v", err)
	}
	b, err := protojson.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
