package interchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Format is an import file format.
type Format int

const (
	// FormatUnknown is no format; DetectFormat and ParseFormat return it
	// with an error.
	FormatUnknown Format = iota
	// FormatJSONL is factcheck's own JSON Lines of ImportRecords.
	FormatJSONL
	// FormatWebAnnotation is W3C Web Annotation JSON-LD.
	FormatWebAnnotation
	// FormatHypothesis is the Hypothesis API's annotation JSON.
	FormatHypothesis
	// FormatClaimReview is schema.org ClaimReview JSON-LD or a Google Fact
	// Check Tools claims:search response.
	FormatClaimReview
)

var formatNames = []string{"unknown", "jsonl", "webannotation", "hypothesis", "claimreview"}

// String returns the name ParseFormat accepts.
func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return formatNames[f]
}

// FormatNames lists the names ParseFormat accepts, for help texts.
const FormatNames = "jsonl|webannotation|hypothesis|claimreview"

// ParseFormat reads a --format value: jsonl, webannotation, hypothesis or
// claimreview (case and "-"/"_" ignored; ndjson, w3c, annotation, h and
// schema.org spellings accepted too).
func ParseFormat(name string) (Format, error) {
	n := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(name)))
	switch n {
	case "jsonl", "ndjson", "factcheck":
		return FormatJSONL, nil
	case "webannotation", "w3c", "annotation", "wa":
		return FormatWebAnnotation, nil
	case "hypothesis", "hypothes.is", "h":
		return FormatHypothesis, nil
	case "claimreview", "schema.org", "factchecktools":
		return FormatClaimReview, nil
	}
	return FormatUnknown, fmt.Errorf("unknown format %q: use %s", name, FormatNames)
}

// DetectLen is how many leading bytes of a file DetectFormat wants: enough
// for the keys of a first record, however long its article text.
const DetectLen = 64 << 10

// DetectFormat guesses a file's format from its name and its first bytes
// (DetectLen of them, or the whole file if shorter). The content decides
// when it is clear: "@context" or type Annotation/AnnotationCollection/
// AnnotationPage is a Web Annotation, ClaimReview or claimReviewed (or
// Fact Check Tools claims) is ClaimReview, uri with target (or a search
// response's rows, or a user "acct:…") is Hypothesis, and top-level keys
// article, source or annotation are factcheck JSONL. Otherwise .jsonl and
// .ndjson files are JSONL; anything else is an error that asks for --format.
func DetectFormat(filename string, firstBytes []byte) (Format, error) {
	ext := strings.ToLower(filepath.Ext(filename))
	f := sniff(firstBytes)
	switch {
	case f != FormatUnknown:
		return f, nil
	case ext == ".jsonl" || ext == ".ndjson":
		return FormatJSONL, nil
	}
	return FormatUnknown, fmt.Errorf("cannot tell the format of %s from its name or first record: give --format %s", filename, FormatNames)
}

// sniff classifies the first object in b (or the first element of a first
// array) by its top-level keys and by the string values of @context, type,
// @type and user. b may be cut anywhere: what was read before the cut counts.
func sniff(b []byte) Format {
	type frame struct {
		obj, wantKey bool
		key          string
	}
	var stack []frame
	target := 0 // depth of the object being classified, once found
	keys := map[string]bool{}
	vals := map[string]string{}
	endValue := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		n := len(stack)
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			if n == target {
				break
			}
			stack = stack[:n-1]
			endValue()
			continue
		}
		if n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			k, _ := tok.(string)
			stack[n-1].key, stack[n-1].wantKey = k, false
			if n == target {
				keys[k] = true
			}
			continue
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{obj: d == '{', wantKey: d == '{'})
			if d == '{' && target == 0 && (n == 0 || n == 1 && !stack[0].obj) {
				target = n + 1
			}
			continue
		}
		if str, ok := tok.(string); ok && target > 0 {
			switch {
			case n == target:
				vals[stack[n-1].key] += str + " "
			case n == target+1 && !stack[n-1].obj:
				vals[stack[target-1].key] += str + " "
			}
		}
		endValue()
	}
	return classify(keys, vals)
}

func classify(keys map[string]bool, vals map[string]string) Format {
	ctx := vals["@context"]
	typ := " " + vals["type"] + vals["@type"]
	switch {
	case strings.Contains(typ, "ClaimReview") || keys["claimReviewed"] || keys["claimReview"] || keys["claims"] ||
		strings.Contains(ctx, "schema.org"):
		return FormatClaimReview
	case strings.Contains(ctx, "w3.org/ns/anno") || strings.Contains(typ, " Annotation ") ||
		strings.Contains(typ, "AnnotationCollection") || strings.Contains(typ, "AnnotationPage"):
		return FormatWebAnnotation
	case keys["rows"] || keys["uri"] && keys["target"] || strings.HasPrefix(vals["user"], "acct:"):
		return FormatHypothesis
	case keys["target"] && (keys["body"] || keys["bodyValue"]):
		return FormatWebAnnotation
	}
	record := false
	for k := range keys {
		switch k {
		case "article", "source", "annotation":
			record = true
		case "requestId", "request_id":
		default:
			return FormatUnknown
		}
	}
	if record {
		return FormatJSONL
	}
	return FormatUnknown
}

// Decode reads r in format f, with the matching Decode* function.
func Decode(f Format, r io.Reader, fn RecordFunc, opts ...DecodeOptions) error {
	switch f {
	case FormatJSONL:
		return DecodeJSONL(r, fn)
	case FormatWebAnnotation:
		return DecodeWebAnnotations(r, fn, opts...)
	case FormatHypothesis:
		return DecodeHypothesis(r, fn, opts...)
	case FormatClaimReview:
		return DecodeClaimReview(r, fn, opts...)
	}
	return fmt.Errorf("cannot decode format %v", f)
}
