package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// The corpus is deterministic: article i, its text and its annotations are
// the same in every run, so the load generator can name any stored record
// without asking the server, and two databases of the same size hold the
// same bytes.
//
// Shape, chosen to look like a newsroom's data rather than like a
// micro-benchmark:
//   - articles of about 3-4 KB of text (40+ sentences), with a few non-ASCII
//     names so code-point, UTF-16 and UTF-8 offsets differ;
//   - each annotation anchors one whole sentence by position, names one of
//     2,000 claimants, carries a 200-400 byte rationale, one or two
//     citations of a pool of sources, two labels and an external_id;
//   - ratings: TRUE 10%, MOSTLY_TRUE 12%, MIXED 15%, MOSTLY_FALSE 18%,
//     FALSE 25%, MISLEADING 15%, UNPROVEN 5%; states: PUBLISHED 60%,
//     DRAFT 25%, IN_REVIEW 10%, RETRACTED 5%.
//
// An annotation encodes to about 1 KB.

const (
	claimantPool = 2000
	// sourcesFor is how many sources a database of n annotations cites.
	minSources = 10
)

func sourcesFor(annotations int) int { return max(minSources, min(5000, annotations/200)) }

func articleID(i int) string             { return fmt.Sprintf("art-%07d", i) }
func annotationID(j int) string          { return fmt.Sprintf("claim-%03d", j) }
func sourceID(i int) string              { return fmt.Sprintf("src-%05d", i) }
func articleName(i int) string           { return "articles/" + articleID(i) }
func annotationName(i, j int) string     { return articleName(i) + "/annotations/" + annotationID(j) }
func sentencesFor(perArticle int) int    { return max(40, 2*perArticle+2) }
func epoch() time.Time                   { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) }
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var (
	firstNames = []string{"Amira", "José", "Zoë", "Chen", "Olusegun", "Ingrid", "Rahul", "Fatima", "Mateus", "Yuki", "Dmitri", "Aoife", "Nomvula", "Łukasz", "Sofía", "Kwame"}
	lastNames  = []string{"Haddad", "Álvarez", "Müller", "Okafor", "Lindqvist", "Sharma", "Nakamura", "Kowalski", "Ferreira", "Ó Briain", "Dlamini", "Petrov", "Mensah", "García", "Novak", "Said"}
	roles      = []string{"the finance minister", "the opposition leader", "a ministry spokesperson", "the central bank governor", "the mayor", "a senior adviser", "the health secretary", "the party chair"}
	topics     = []string{"unemployment", "inflation", "crime", "hospital waiting times", "school funding", "fuel prices", "housing starts", "the trade deficit", "emissions", "defence spending", "rents", "the minimum wage"}
	moves      = []string{"fell", "rose", "doubled", "halved", "stayed flat", "hit a record high", "dropped sharply", "grew steadily"}
	places     = []string{"the capital", "the northern provinces", "rural districts", "coastal towns", "the region", "the country", "the eurozone", "Baghdad", "São Paulo", "Kraków"}
	fillers    = []string{
		"Officials did not respond to a request for comment before publication.",
		"The figures were published in the quarterly report released on Tuesday.",
		"Critics said the numbers leave out the most recent months.",
		"Independent economists cautioned against reading too much into a single quarter.",
		"The statement was repeated at a press conference later that day.",
		"Opposition parties called for an inquiry into the methodology.",
		"The agency revised its earlier estimate without explanation.",
		"Local reporters were unable to confirm the claim independently.",
	}
	publishers = []string{"The Daily Ledger", "Shafaq News", "Le Quotidien", "The Morning Post", "Rádio Norte", "Gazeta Wiadomości"}
	desks      = []string{"politics", "economy", "health", "world", "climate", "local"}
	labelWords = []string{"Missing context", "False", "Misleading", "Exaggerated", "Accurate", "Unsupported", "Half true"}
	ratings    = weighted[store.Rating]{{store.RatingTrue, 10}, {store.RatingMostlyTrue, 12}, {store.RatingMixed, 15},
		{store.RatingMostlyFalse, 18}, {store.RatingFalse, 25}, {store.RatingMisleading, 15}, {store.RatingUnproven, 5}}
	states = weighted[store.AnnotationState]{{store.StatePublished, 60}, {store.StateDraft, 25},
		{store.StateInReview, 10}, {store.StateRetracted, 5}}
)

type weighted[T any] []struct {
	v T
	w int
}

func (ws weighted[T]) pick(r *rand.Rand) T {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n < w.w {
			return w.v
		}
		n -= w.w
	}
	return ws[len(ws)-1].v
}

func claimantName(k int) string {
	return fmt.Sprintf("%s %s %d", firstNames[k%len(firstNames)], lastNames[(k/len(firstNames))%len(lastNames)], k/(len(firstNames)*len(lastNames)))
}

// sentence is one sentence of an article: its text and where it starts, in
// code points.
type sentence struct {
	text  string
	start int
}

// corpusArticle is article i with the sentences its annotations anchor.
type corpusArticle struct {
	article   *store.Article
	sentences []sentence // the claim sentences, even positions of the text
}

// makeArticle builds article i, with room for perArticle anchored claims.
func makeArticle(i, perArticle int) corpusArticle {
	r := rand.New(rand.NewPCG(uint64(i), 0xa771c1e))
	var b strings.Builder
	var claims []sentence
	pos := 0
	for s := range sentencesFor(perArticle) {
		if s > 0 {
			b.WriteByte(' ')
			pos++
		}
		var text string
		if s%2 == 0 {
			who := fmt.Sprintf("%s %s, %s,", pick(r, firstNames), pick(r, lastNames), pick(r, roles))
			text = fmt.Sprintf("%s said %s in %s %s by %d.%d percent in %d",
				who, pick(r, topics), pick(r, places), pick(r, moves), 1+r.IntN(40), r.IntN(10), 2015+r.IntN(11))
			claims = append(claims, sentence{text: text, start: pos})
			text += "."
		} else {
			text = pick(r, fillers)
		}
		b.WriteString(text)
		pos += utf8.RuneCountInString(text)
	}
	publish := epoch().Add(-time.Duration(i) * 7 * time.Minute)
	return corpusArticle{
		article: &store.Article{
			ID:          articleID(i),
			URL:         fmt.Sprintf("https://news.example/%d/%s", publish.Year(), articleID(i)),
			Title:       fmt.Sprintf("What %s said about %s", pick(r, roles), pick(r, topics)),
			Publisher:   pick(r, publishers),
			Authors:     []string{pick(r, firstNames) + " " + pick(r, lastNames)},
			Language:    "en",
			PublishTime: publish,
			Text:        b.String(),
			Labels:      map[string]string{"desk": pick(r, desks)},
		},
		sentences: claims,
	}
}

// makeSource builds source i.
func makeSource(i int) *store.Source {
	r := rand.New(rand.NewPCG(uint64(i), 0x50a2ce))
	return &store.Source{
		ID:          sourceID(i),
		URL:         fmt.Sprintf("https://evidence.example/reports/%s", sourceID(i)),
		Title:       fmt.Sprintf("Statistical bulletin on %s, %d", pick(r, topics), 2015+r.IntN(11)),
		Publisher:   pick(r, []string{"National Statistics Office", "The Washington Post", "Reuters", "Central Bank", "World Bank", "Ministry of Health"}),
		Authors:     []string{pick(r, firstNames) + " " + pick(r, lastNames)},
		Kind:        store.SourceKind(1 + r.IntN(8)),
		PublishTime: epoch().Add(-time.Duration(i) * time.Hour),
		ArchiveURL:  fmt.Sprintf("https://archive.example/web/%s", sourceID(i)),
		AccessTime:  epoch(),
		Notes:       "Retrieved for the benchmark corpus.",
	}
}

// makeAnnotation builds annotation j of article a, citing sources of a pool
// of nSources. seq makes external IDs unique (pass -1 for none).
func makeAnnotation(a corpusArticle, j int, nSources int, r *rand.Rand, seq int64) *store.Annotation {
	s := a.sentences[j%len(a.sentences)]
	claimant := r.IntN(claimantPool)
	rating := ratings.pick(r)
	ann := &store.Annotation{
		ArticleID: a.article.ID,
		Anchor: store.Anchor{Exact: s.text, HasPosition: true,
			Start: s.start, End: s.start + utf8.RuneCountInString(s.text)},
		Claim: store.Claim{
			Text:      "Claim: " + s.text[strings.Index(s.text, " said ")+6:],
			Claimant:  store.Claimant{Name: claimantName(claimant), Kind: store.ClaimantPerson, SameAs: fmt.Sprintf("https://www.wikidata.org/wiki/Q%d", 100000+claimant)},
			ClaimTime: a.article.PublishTime.Add(-24 * time.Hour),
		},
		Verdict: store.Verdict{
			Rating: rating,
			Label:  pick(r, labelWords),
			Rationale: strings.Repeat("The official series shows a different figure for the period named; the claim compares "+
				"non-adjacent quarters and omits the revision published since. ", 1+r.IntN(3)),
		},
		State:  states.pick(r),
		Labels: map[string]string{"desk": pick(r, desks), "checker": fmt.Sprintf("team-%d", r.IntN(12))},
	}
	for range 1 + r.IntN(2) {
		ann.Citations = append(ann.Citations, store.Citation{
			SourceID: sourceID(r.IntN(nSources)),
			Quote:    fmt.Sprintf("Table %d: the rate for the period was %d.%d percent.", 1+r.IntN(20), r.IntN(30), r.IntN(10)),
			Stance:   store.Stance(1 + r.IntN(3)),
			Note:     "See the seasonally adjusted series.",
		})
	}
	if seq >= 0 {
		ann.ExternalID = fmt.Sprintf("bench-%d", seq)
	}
	return ann
}

// The API forms of the same records, for the load generator's creates.

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func apiArticle(a *store.Article) *factcheckv1.Article {
	return &factcheckv1.Article{
		Url: a.URL, Title: a.Title, Publisher: a.Publisher, Authors: a.Authors, Language: a.Language,
		PublishTime: ts(a.PublishTime), Text: a.Text, Labels: a.Labels,
	}
}

func apiSource(s *store.Source) *factcheckv1.Source {
	return &factcheckv1.Source{
		Url: s.URL, Title: s.Title, Publisher: s.Publisher, Authors: s.Authors, Kind: factcheckv1.Source_Kind(s.Kind),
		PublishTime: ts(s.PublishTime), ArchiveUrl: s.ArchiveURL, AccessTime: ts(s.AccessTime), Notes: s.Notes,
	}
}

// apiAnnotation converts a; sourceNames maps the corpus source IDs to the
// names the sources have on the target server.
func apiAnnotation(a *store.Annotation, sourceName func(id string) string) *factcheckv1.Annotation {
	out := &factcheckv1.Annotation{
		Anchor: &factcheckv1.Anchor{
			Quote:    &factcheckv1.TextQuoteSelector{Exact: a.Anchor.Exact},
			Position: &factcheckv1.TextPositionSelector{Start: int32(a.Anchor.Start), End: int32(a.Anchor.End)},
		},
		Claim: &factcheckv1.Claim{Text: a.Claim.Text, ClaimTime: ts(a.Claim.ClaimTime), Claimant: &factcheckv1.Claimant{
			Name: a.Claim.Claimant.Name, Kind: factcheckv1.Claimant_Kind(a.Claim.Claimant.Kind), SameAs: a.Claim.Claimant.SameAs}},
		Verdict:    &factcheckv1.Verdict{Rating: factcheckv1.Rating(a.Verdict.Rating), Label: a.Verdict.Label, Rationale: a.Verdict.Rationale},
		State:      factcheckv1.Annotation_State(a.State),
		Labels:     a.Labels,
		ExternalId: a.ExternalID,
	}
	for _, c := range a.Citations {
		out.Citations = append(out.Citations, &factcheckv1.Citation{Source: sourceName(c.SourceID), Quote: c.Quote,
			Stance: factcheckv1.Stance(c.Stance), Note: c.Note})
	}
	return out
}
