package interchange

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// DecodeJSONL reads factcheck's own JSON Lines: one ImportRecord per line in
// protojson (the FORMAT_JSONL export). Blank lines are skipped. A line that
// is not a valid record (broken JSON, unknown fields, no record) is reported
// to fn with its line number and decoding goes on. Unknown fields are errors
// rather than silently dropped, so a misspelt field never loses data.
func DecodeJSONL(r io.Reader, fn RecordFunc) error {
	br := bufio.NewReaderSize(r, 64<<10)
	skipBOM(br)
	for line := 1; ; line++ {
		l, tooLong, err := readLine(br, maxLine)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &DecodeError{Line: line, Err: err}
		}
		if tooLong {
			if err := fn(line, nil, &DecodeError{Line: line, Err: fmt.Errorf("line longer than %d MiB", maxLine>>20)}); err != nil {
				return err
			}
			continue
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		rec := &factcheckv1.ImportRecord{}
		if err := protojson.Unmarshal(l, rec); err != nil {
			if err := fn(line, nil, &DecodeError{Line: line, Err: err}); err != nil {
				return err
			}
			continue
		}
		if rec.Record == nil {
			if err := fn(line, nil, &DecodeError{Line: line, Err: errNoRecord}); err != nil {
				return err
			}
			continue
		}
		if err := fn(line, rec, nil); err != nil {
			return err
		}
	}
}

var errNoRecord = errors.New(`no record: set one of "article", "source" or "annotation"`)
