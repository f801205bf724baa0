package main

import (
	"errors"
	"strings"

	"github.com/factcheck/factcheck/interchange"
)

// formatAuto asks import to tell the format from the file.
const formatAuto = "auto"

// parseImportFormat reads --format of import: auto (returned as
// FormatUnknown) or any name interchange.ParseFormat knows.
func parseImportFormat(name string) (interchange.Format, error) {
	if name == formatAuto {
		return interchange.FormatUnknown, nil
	}
	f, err := interchange.ParseFormat(name)
	if err != nil {
		return f, usageError{err}
	}
	return f, nil
}

// parseAnchorMode reads --anchor.
func parseAnchorMode(name string) (interchange.AnchorMode, error) {
	switch strings.ToLower(name) {
	case "as-given":
		return interchange.AnchorAsGiven, nil
	case "quote-context":
		return interchange.AnchorQuoteContext, nil
	case "quote":
		return interchange.AnchorQuote, nil
	}
	return 0, usagef("--anchor must be as-given, quote-context or quote, not %q", name)
}

// decodeMessage is what to say about an item a decoder could not read. The
// DecodeError's own text starts with the line, which the report gives
// already.
func decodeMessage(err error) string {
	var de *interchange.DecodeError
	if errors.As(err, &de) && de.Err != nil {
		err = de.Err
	}
	return oneLine(err.Error())
}
