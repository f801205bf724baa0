package interchange

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Helpers for reading decoded JSON-LD, where any property may hold one value
// or an array of them.

// values is v as a list: an array's elements, or v alone.
func values(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// str is the string held by m[key], or the first string of an array.
func str(m map[string]any, key string) string {
	for _, v := range values(m[key]) {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

// obj is the first object among m[key]'s values.
func obj(m map[string]any, key string) map[string]any {
	for _, v := range values(m[key]) {
		if o, ok := v.(map[string]any); ok {
			return o
		}
	}
	return nil
}

// iri is the IRI of a node given as a string or as an object with id (W3C)
// or @id or url (schema.org).
func iri(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		for _, k := range []string{"id", "@id", "url"} {
			if s := str(v, k); s != "" {
				return s
			}
		}
	case []any:
		for _, e := range v {
			if s := iri(e); s != "" {
				return s
			}
		}
	}
	return ""
}

// types are the values of an object's type or @type.
func hasType(m map[string]any, t string) bool {
	for _, k := range []string{"type", "@type"} {
		for _, v := range values(m[k]) {
			if s, ok := v.(string); ok && (s == t || strings.HasSuffix(s, "/"+t) || strings.HasSuffix(s, "#"+t) || strings.HasSuffix(s, ":"+t)) {
				return true
			}
		}
	}
	return false
}

func typeNames(m map[string]any) string {
	var out []string
	for _, k := range []string{"type", "@type"} {
		for _, v := range values(m[k]) {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return strings.Join(out, ", ")
}

// ext reads an extension term written either with the factcheck prefix or
// as a full IRI, the two forms a JSON-LD tool may leave it in.
func ext(m map[string]any, term string) any {
	if v, ok := m["factcheck:"+term]; ok {
		return v
	}
	return m[Namespace+term]
}

func extStr(m map[string]any, term string) string {
	for _, v := range values(ext(m, term)) {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

// offset reads a text offset: a non-negative integer that fits the API's
// int32.
func offset(v any) (int32, error) {
	f, ok := number(v)
	if !ok {
		if n, isNum := v.(json.Number); isNum {
			return 0, fmt.Errorf("%s is not a number", n)
		}
		return 0, fmt.Errorf("%v is not a number", v)
	}
	if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, fmt.Errorf("%v is not a non-negative integer", v)
	}
	return int32(f), nil
}

// timestamp parses the dates JSON-LD documents carry: xsd:dateTime with or
// without zone (UTC assumed) or a bare date.
func timestamp(s string) (*timestamppb.Timestamp, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return timestamppb.New(t), true
		}
	}
	return nil, false
}

// selectors are the selectors of a target: one or several, each possibly
// refined by more (only the outer ones are read: factcheck anchors into a
// whole text, so a refinement chain has no meaning for it).
func textSelectors(target map[string]any) (quote, position map[string]any) {
	for _, v := range values(target["selector"]) {
		s, ok := v.(map[string]any)
		if !ok {
			continue
		}
		switch {
		case quote == nil && hasType(s, "TextQuoteSelector"):
			quote = s
		case position == nil && hasType(s, "TextPositionSelector"):
			position = s
		}
	}
	return quote, position
}

var errNoQuote = errors.New("the target has no TextQuoteSelector: factcheck anchors claims by their exact words")

// anchorFrom builds an anchor from W3C-style selectors, keeping what mode
// allows. It reports whether a position was kept.
func anchorFrom(quote, position map[string]any, mode AnchorMode) (*factcheckv1.Anchor, bool, error) {
	if quote == nil || str(quote, "exact") == "" {
		return nil, false, errNoQuote
	}
	q := &factcheckv1.TextQuoteSelector{Exact: str(quote, "exact")}
	if mode != AnchorQuote {
		q.Prefix, q.Suffix = str(quote, "prefix"), str(quote, "suffix")
	}
	a := &factcheckv1.Anchor{Quote: q}
	if position != nil && mode == AnchorAsGiven {
		start, err := offset(position["start"])
		if err != nil {
			return nil, false, fmt.Errorf("TextPositionSelector start: %w", err)
		}
		end, err := offset(position["end"])
		if err != nil {
			return nil, false, fmt.Errorf("TextPositionSelector end: %w", err)
		}
		a.Position = &factcheckv1.TextPositionSelector{Start: start, End: end}
	}
	return a, a.Position != nil, nil
}

func annotationRecord(parent string, a *factcheckv1.Annotation, unit factcheckv1.PositionUnit) *factcheckv1.ImportRecord {
	return &factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Annotation{Annotation: &factcheckv1.AnnotationImport{
		Parent:       parent,
		Annotation:   a,
		PositionUnit: unit,
	}}}
}

func addLabel(a *factcheckv1.Annotation, k, v string) {
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	a.Labels[k] = v
}

// converter turns one item into records.
type converter func(v any, o DecodeOptions) ([]*factcheckv1.ImportRecord, error)

// decodeItems runs conv over the items of r and reports to fn.
func decodeItems(r io.Reader, c containers, conv converter, fn RecordFunc, o DecodeOptions) error {
	return scanItems(r, c, func(line, item int, v any, err error) error {
		if err != nil {
			return fn(line, nil, err)
		}
		recs, err := conv(v, o)
		if err != nil {
			return fn(line, nil, &DecodeError{Line: line, Item: item, Err: err})
		}
		for _, rec := range recs {
			if err := fn(line, rec, nil); err != nil {
				return err
			}
		}
		return nil
	})
}
