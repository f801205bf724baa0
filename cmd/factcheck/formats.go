package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// decodeFunc is the shape of the interchange decoders: fn is called once
// per record, or once per unreadable record with err set, with the 1-based
// input line the record starts on. An error from fn stops decoding and is
// returned.
type decodeFunc func(r io.Reader, fn func(line int, rec *factcheckv1.ImportRecord, err error) error) error

// Import formats as named on the command line.
const (
	formatAuto          = "auto"
	formatJSONL         = "jsonl"
	formatWebAnnotation = "webannotation"
	formatHypothesis    = "hypothesis"
	formatClaimReview   = "claimreview"
)

// checkImportFormat tells whether a format name is one import knows.
func checkImportFormat(format string) error {
	switch format {
	case formatJSONL, formatWebAnnotation, formatHypothesis, formatClaimReview:
		return nil
	}
	return usagef("unknown format %q: want auto, jsonl, webannotation, hypothesis or claimreview", format)
}

// decoderFor returns the decoder of a format named on the command line.
// TODO(interchange): use interchange.ParseFormat and its decoders once the
// package lands; until then only JSON Lines is read.
func decoderFor(format string) (decodeFunc, error) {
	switch format {
	case formatJSONL:
		return decodeJSONL, nil
	case formatWebAnnotation, formatHypothesis, formatClaimReview:
		return nil, fmt.Errorf("format %s is not supported by this build yet", format)
	}
	return nil, usagef("unknown format %q: want auto, jsonl, webannotation, hypothesis or claimreview", format)
}

// detectFormat guesses the format of a file from its name and first bytes.
// TODO(interchange): interchange.DetectFormat.
func detectFormat(filename string, first []byte) (string, error) {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".jsonl", ".ndjson":
		return formatJSONL, nil
	}
	if t := bytes.TrimSpace(first); len(t) > 0 && t[0] == '{' {
		return formatJSONL, nil
	}
	return "", usagef("cannot tell the format of %s: give --format", filename)
}

// decodeJSONL reads ImportRecords as protojson, one per line. Blank lines
// are skipped. It is the stand-in for interchange.DecodeJSONL.
func decodeJSONL(r io.Reader, fn func(line int, rec *factcheckv1.ImportRecord, err error) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			rec := &factcheckv1.ImportRecord{}
			if uerr := protojson.Unmarshal(b, rec); uerr != nil {
				if ferr := fn(line, nil, uerr); ferr != nil {
					return ferr
				}
			} else if ferr := fn(line, rec, nil); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
