package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// Output formats of get, list and create.
const (
	outputJSON  = "json"  // indented protojson; a JSON array for lists
	outputJSONL = "jsonl" // one compact protojson object per line
	outputTable = "table" // aligned columns for people
)

func checkOutput(o string) error {
	switch o {
	case outputJSON, outputJSONL, outputTable:
		return nil
	}
	return usagef("--output must be json, jsonl or table, not %q", o)
}

// marshalCompact renders m as one line of JSON. protojson deliberately
// varies its whitespace between builds; compacting makes lines stable and
// guarantees there is no newline inside a record.
func marshalCompact(m proto.Message) ([]byte, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshalIndent renders m as indented JSON, two spaces per level.
func marshalIndent(m proto.Message) ([]byte, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// printer writes resources in one output format. Lists go through begin,
// item (any number of times, possibly across pages) and end, so that --all
// streams page by page instead of holding every resource.
type printer struct {
	w      io.Writer
	format string
	list   bool
	n      int
	tw     *tabwriter.Writer
}

func newPrinter(w io.Writer, format string, list bool) *printer {
	return &printer{w: w, format: format, list: list}
}

func (p *printer) item(m proto.Message) error {
	defer func() { p.n++ }()
	switch p.format {
	case outputJSONL:
		b, err := marshalCompact(m)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	case outputTable:
		if p.tw == nil {
			p.tw = tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(p.tw, strings.Join(tableHeader(m), "\t"))
		}
		_, err := fmt.Fprintln(p.tw, strings.Join(tableRow(m), "\t"))
		return err
	default:
		b, err := marshalIndent(m)
		if err != nil {
			return err
		}
		if !p.list {
			_, err = fmt.Fprintf(p.w, "%s\n", b)
			return err
		}
		sep := ",\n"
		if p.n == 0 {
			sep = "[\n"
		}
		// Indent the object one level inside the array.
		_, err = fmt.Fprintf(p.w, "%s  %s", sep, bytes.ReplaceAll(b, []byte("\n"), []byte("\n  ")))
		return err
	}
}

// end finishes the output: closes a JSON array, flushes a table.
func (p *printer) end() error {
	switch {
	case p.tw != nil:
		return p.tw.Flush()
	case p.format == outputJSON && p.list:
		if p.n == 0 {
			_, err := fmt.Fprintln(p.w, "[]")
			return err
		}
		_, err := fmt.Fprintln(p.w, "\n]")
		return err
	}
	return nil
}

func tableHeader(m proto.Message) []string {
	switch m.(type) {
	case *factcheckv1.Article:
		return []string{"NAME", "LANGUAGE", "REVISION", "URL", "TITLE"}
	case *factcheckv1.Source:
		return []string{"NAME", "KIND", "URL", "TITLE"}
	case *factcheckv1.Annotation:
		return []string{"NAME", "STATE", "RATING", "ANCHOR", "CLAIM"}
	}
	return []string{"VALUE"}
}

func tableRow(m proto.Message) []string {
	switch m := m.(type) {
	case *factcheckv1.Article:
		return []string{m.GetName(), m.GetLanguage(), fmt.Sprint(m.GetRevision()), m.GetUrl(), cell(m.GetTitle(), 60)}
	case *factcheckv1.Source:
		return []string{m.GetName(), strings.TrimPrefix(m.GetKind().String(), "KIND_"), m.GetUrl(), cell(m.GetTitle(), 60)}
	case *factcheckv1.Annotation:
		return []string{
			m.GetName(),
			strings.TrimPrefix(m.GetState().String(), "STATE_"),
			strings.TrimPrefix(m.GetVerdict().GetRating().String(), "RATING_"),
			strings.TrimPrefix(m.GetAnchor().GetStatus().String(), "STATUS_"),
			cell(m.GetClaim().GetText(), 60),
		}
	}
	b, _ := marshalCompact(m)
	return []string{string(b)}
}

// cell makes s fit one table cell: one line, at most n characters.
func cell(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
