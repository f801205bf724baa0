// Package anchor owns the rules that tie a claim annotation to the exact words
// of an article: locating a W3C TextQuoteSelector in a text, checking a
// TextPositionSelector against it, capturing prefix/suffix context, and
// converting spans between Unicode code points (the API's unit), UTF-16 code
// units and UTF-8 bytes. It is pure (no I/O) and depends on nothing in
// factcheck, so the store can run it inside the transaction that holds the
// article text.
package anchor

// ContextLength is how many code points of prefix and suffix context the
// server keeps when the client gives none.
const ContextLength = 32

// Selector is what a client says about a span: the quote, optional context,
// and optionally its position in code points.
type Selector struct {
	Exact, Prefix, Suffix string
	HasPosition           bool
	Start, End            int
}

// Span is a half-open range [Start, End).
type Span struct{ Start, End int }

// Result is a resolved span.
type Result struct {
	// Start and End in Unicode code points.
	Start, End int
	// Prefix and Suffix: the caller's, or ContextLength code points of the
	// text before and after the span when the caller gave none.
	Prefix, Suffix string
	// The same span in UTF-16 code units and in UTF-8 bytes.
	UTF16, UTF8 Span
}

// Error explains why a selector does not fit a text.
type Error struct {
	// Reason is one of the Reason constants.
	Reason string
	// Field is the selector field at fault, relative to the anchor:
	// "quote.exact", "quote.prefix", "quote.suffix" (the quote occurs, but
	// not with that context), "position", "position.start" or
	// "position.end".
	Field string
	// Description says what the text holds there and where the quote occurs.
	Description string
	// Candidates lists where the quote occurs (code points), at most
	// MaxCandidates entries, for QUOTE_AMBIGUOUS and POSITION_MISMATCH.
	Candidates []Span
}

func (e *Error) Error() string { return e.Field + ": " + e.Description }

// Reasons an Error can carry.
const (
	ReasonQuoteEmpty       = "QUOTE_EMPTY"           // quote.exact is empty
	ReasonQuoteNotFound    = "QUOTE_NOT_FOUND"       // no occurrence (with the given context)
	ReasonQuoteAmbiguous   = "QUOTE_AMBIGUOUS"       // several occurrences; Candidates lists them
	ReasonPositionRange    = "POSITION_OUT_OF_RANGE" // start or end outside [0, length]
	ReasonPositionReversed = "POSITION_REVERSED"     // end < start, or an empty span
	ReasonPositionMismatch = "POSITION_MISMATCH"     // the text at [start,end) is not exact
)

// MaxCandidates bounds Error.Candidates.
const MaxCandidates = 20
