package interchange

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// FuzzDecode runs every import decoder, and format detection, over arbitrary
// bytes: none panics; every record handed over is a message protojson can
// write (so the CLI can send it); per-record problems come as *DecodeError
// with a line number, not as a failure of the whole file.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"annotation":{"parent":"https://a.example/1","annotation":{"anchor":{"quote":{"exact":"x"}},"claim":{"text":"y"}}}}` + "\n" + `not json`,
		`{"@context":"http://www.w3.org/ns/anno.jsonld","type":"Annotation","id":"urn:x","target":{"source":"https://a.example/1","selector":[{"type":"TextQuoteSelector","exact":"x"},{"type":"TextPositionSelector","start":0,"end":1}]},"body":[{"type":"TextualBody","purpose":"assessing","value":"False"}]}`,
		`{"rows":[{"id":"h1","uri":"https://a.example/1","text":"note","target":[{"source":"https://a.example/1","selector":[{"type":"TextPositionSelector","start":2,"end":4},{"type":"TextQuoteSelector","exact":"ab"}]}]}]}`,
		`[{"@context":"https://schema.org","@type":"ClaimReview","claimReviewed":"c","reviewRating":{"@type":"Rating","ratingValue":1,"bestRating":5,"worstRating":1,"alternateName":"False"},"itemReviewed":{"@type":"Claim","appearance":{"url":"https://a.example/1"}},"url":"https://r.example/1"}]`,
		"\ufeff[]", "{", `{"rows":`, "",
	} {
		f.Add([]byte(seed))
	}
	formats := []Format{FormatJSONL, FormatWebAnnotation, FormatHypothesis, FormatClaimReview}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Each input runs eight decodes; bounding it keeps every execution
		// short, so a brief CI run is never cut off mid-input. The decoders
		// stream, so size adds nothing the shape of small inputs does not.
		if len(data) > 4<<10 {
			return
		}
		if _, err := DetectFormat("input.json", data); err != nil && err.Error() == "" {
			t.Fatal("DetectFormat returned an empty error")
		}
		for _, format := range formats {
			for _, opts := range []DecodeOptions{{}, {Anchor: AnchorQuoteContext}} {
				_ = Decode(format, bytes.NewReader(data), func(line int, rec *factcheckv1.ImportRecord, err error) error {
					if err != nil {
						var de *DecodeError
						if !errors.As(err, &de) && !errors.Is(err, ErrSkipped) {
							t.Fatalf("%v: record error %T (%v) is neither a *DecodeError nor ErrSkipped", format, err, err)
						}
						return nil
					}
					if line < 1 {
						t.Fatalf("%v: record at line %d", format, line)
					}
					if _, err := protojson.Marshal(rec); err != nil {
						t.Fatalf("%v: decoded record cannot be written as protojson: %v", format, err)
					}
					return nil
				}, opts)
			}
		}
	})
}
