package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

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

// marshalOptions are protojson's defaults, except for the audit log's
// verification: proto3 leaves "valid": false out, which a script reading
// .valid would take for a missing answer rather than a broken log.
func marshalOptions(m proto.Message) protojson.MarshalOptions {
	if _, ok := m.(*factcheckv1.VerifyAuditLogResponse); ok {
		return protojson.MarshalOptions{EmitUnpopulated: true}
	}
	return protojson.MarshalOptions{}
}

// marshalCompact renders m as one line of JSON. protojson deliberately
// varies its whitespace between builds; compacting makes lines stable and
// guarantees there is no newline inside a record.
func marshalCompact(m proto.Message) ([]byte, error) {
	b, err := marshalOptions(m).Marshal(m)
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
	b, err := marshalOptions(m).Marshal(m)
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

// printOne prints a single resource in format.
func (a *app) printOne(m proto.Message, format string) error {
	p := newPrinter(a.stdout, format, false)
	if err := p.item(m); err != nil {
		return err
	}
	return p.end()
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
	case *factcheckv1.Reviewer:
		return []string{"NAME", "ROLE", "STATUS", "EMAIL", "DISPLAY NAME"}
	case *factcheckv1.Token:
		return []string{"NAME", "CREATED", "EXPIRES", "REVOKED", "DISPLAY NAME"}
	case *factcheckv1.AuditEntry:
		return []string{"SEQUENCE", "TIME", "ACTOR", "METHOD", "RESOURCE", "NOTE"}
	case *factcheckv1.GetCurrentReviewerResponse:
		return []string{"REVIEWER", "ROLE", "TOKEN", "DISPLAY NAME"}
	case *factcheckv1.CreateTokenResponse:
		return []string{"NAME", "EXPIRES", "SECRET"}
	case *factcheckv1.VerifyAuditLogResponse:
		return []string{"VALID", "ENTRIES", "HEAD HASH", "FIRST BROKEN", "PROBLEM"}
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
	case *factcheckv1.Reviewer:
		return []string{m.GetName(), roleCell(m.GetRole()), statusCell(m.GetDisabled()), m.GetEmail(), cell(m.GetDisplayName(), 60)}
	case *factcheckv1.Token:
		return []string{
			m.GetName(),
			timeCell(m.GetCreateTime(), "-"),
			timeCell(m.GetExpireTime(), "never"),
			timeCell(m.GetRevokeTime(), "-"),
			cell(m.GetDisplayName(), 60),
		}
	case *factcheckv1.AuditEntry:
		return []string{
			fmt.Sprint(m.GetSequence()),
			timeCell(m.GetCreateTime(), "-"),
			m.GetActor(),
			// Every method is the API's own: the package says nothing.
			strings.TrimPrefix(m.GetMethod(), "/factcheck.v1."),
			m.GetResource(),
			orDash(cell(m.GetNote(), 60)),
		}
	case *factcheckv1.GetCurrentReviewerResponse:
		return []string{m.GetReviewer().GetName(), roleCell(m.GetReviewer().GetRole()), m.GetToken().GetName(), cell(m.GetReviewer().GetDisplayName(), 60)}
	case *factcheckv1.CreateTokenResponse:
		return []string{m.GetToken().GetName(), timeCell(m.GetToken().GetExpireTime(), "never"), m.GetSecret()}
	case *factcheckv1.VerifyAuditLogResponse:
		return []string{
			fmt.Sprint(m.GetValid()),
			fmt.Sprint(m.GetEntriesChecked()),
			m.GetHeadHash(),
			orDash(m.GetFirstBrokenEntry()),
			orDash(cell(m.GetProblem(), 80)),
		}
	}
	b, _ := marshalCompact(m)
	return []string{string(b)}
}

func roleCell(r factcheckv1.Reviewer_Role) string {
	return strings.TrimPrefix(r.String(), "ROLE_")
}

func statusCell(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}

// timeCell renders a timestamp in UTC to the second, or unset for none.
func timeCell(ts *timestamppb.Timestamp, unset string) string {
	if ts == nil {
		return unset
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}

// orDash keeps an empty cell from shifting the columns after it.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
