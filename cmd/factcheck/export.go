package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/interchange"
)

// parseExportFormat reads --format of export, with the spellings import
// accepts.
func parseExportFormat(s string) (factcheckv1.Format, error) {
	f, err := interchange.ParseFormat(s)
	switch {
	case err != nil:
	case f == interchange.FormatJSONL:
		return factcheckv1.Format_FORMAT_JSONL, nil
	case f == interchange.FormatWebAnnotation:
		return factcheckv1.Format_FORMAT_WEB_ANNOTATION, nil
	case f == interchange.FormatClaimReview:
		return factcheckv1.Format_FORMAT_CLAIM_REVIEW, nil
	}
	return 0, usagef("--format must be jsonl, webannotation or claimreview, not %q", s)
}

func (a *app) exportCommand() *cobra.Command {
	var format, filter, parent, baseURL, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export annotations with their articles and sources",
		Long: `Export the annotations that match --parent and --filter, one record or
document per line (JSON Lines), to stdout or to -o FILE.

  jsonl          ImportRecords: articles and sources, then annotations;
                 'factcheck import' reads it back into an empty server.
  webannotation  W3C Web Annotation JSON-LD documents.
  claimreview    schema.org ClaimReview JSON-LD documents.

With -o the file is replaced only once the export has completed.`,
		Example: `  factcheck export --format jsonl -o backup.jsonl
  factcheck export --format claimreview --filter 'state = STATE_PUBLISHED' --base-url https://news.example/checks/`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseExportFormat(format)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			bulk := c.Bulk()
			req := &factcheckv1.ExportRequest{Parent: parent, Filter: filter, Format: f, BaseUrl: baseURL}
			if out == "" || out == "-" {
				w := bufio.NewWriter(a.stdout)
				n, err := export(cmd.Context(), bulk, req, w)
				if ferr := w.Flush(); err == nil {
					err = ferr
				}
				_ = n
				return err
			}
			return exportToFile(cmd.Context(), bulk, req, out, a.stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "jsonl", "jsonl, webannotation or claimreview")
	fl.StringVar(&filter, "filter", "", "AIP-160 filter over annotations, as in 'list annotations'")
	fl.StringVar(&parent, "parent", "", "export one article's annotations (articles/ID); all by default")
	fl.StringVar(&baseURL, "base-url", "", "absolute URL the exported documents' identifiers start with (default: the server's --public-url)")
	fl.StringVarP(&out, "output-file", "o", "", "write to FILE instead of stdout")
	return cmd
}

// exportToFile writes the export to a temporary file beside path and
// renames it into place, so that path holds either the previous content or
// a complete export, never a partial one.
func exportToFile(ctx context.Context, bulk factcheckv1.BulkServiceClient, req *factcheckv1.ExportRequest, path string, stderr io.Writer) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	n, err := export(ctx, bulk, req, w)
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file private; an export is an ordinary file.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d items to %s\n", n, path)
	return nil
}

// export streams the export to w, one JSON value per line, and returns how
// many it wrote.
func export(ctx context.Context, bulk factcheckv1.BulkServiceClient, req *factcheckv1.ExportRequest, w io.Writer) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := bulk.Export(ctx, req)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		var m proto.Message
		switch item := resp.GetItem().(type) {
		case *factcheckv1.ExportResponse_Record:
			m = item.Record
		case *factcheckv1.ExportResponse_Document:
			m = item.Document
		default:
			continue
		}
		b, err := marshalCompact(m)
		if err != nil {
			return n, err
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return n, err
		}
		n++
	}
}
