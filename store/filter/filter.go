// Package filter parses and evaluates factcheck's list filters, a subset of
// AIP-160: comparisons (= != < <= > >= and the has operator :) joined by AND,
// OR, NOT (or -) and parentheses, over the fields a Schema declares.
//
// It owns the grammar, the per-field type rules and the error positions that
// callers report back to users; it knows nothing about any resource or
// backend. store declares the schemas and makes its records Records.
//
// # Grammar
//
// Precedence follows AIP-160 exactly, which surprises people used to SQL: OR
// binds tighter than AND, so
//
//	a = 1 AND b = 2 OR c = 3
//
// means a = 1 AND (b = 2 OR c = 3). Terms written next to each other with no
// operator are ANDed, with the same precedence as AND. NOT and - negate the
// term that follows and bind tightest of all. The keywords AND, OR and NOT are
// upper case; "and" is an ordinary word.
//
// Each term is a comparison `field op value`; AIP-160's bare values (a
// global text search) are not supported. Values are double- or
// single-quoted strings, in which \", \' and \\ are the only escapes, or bare
// words running to the next space or parenthesis. Enum values may be bare
// (state = STATE_PUBLISHED); timestamps must be quoted RFC 3339 strings.
//
// Parse rejects filters longer than MaxLength bytes, with more than
// MaxComparisons comparisons or nested (parentheses and negations) deeper
// than MaxDepth, so that neither parsing nor matching can be made expensive.
package filter

import (
	"strconv"
	"time"
)

// Type is the type of a filterable field.
type Type int

// Field types.
const (
	// String: compared as UTF-8 strings; = and != exactly, < <= > >=
	// lexicographically, : the same as =.
	String Type = iota
	// Enum: a value name from Field.Values, quoted or bare; only = != and :.
	Enum
	// Timestamp: an RFC 3339 string, compared in time order.
	Timestamp
	// RepeatedString: a list of strings; `f = v` and `f : v` are true when
	// any element equals v, `f != v` when none does.
	RepeatedString
	// Map: string keys to string values; `f.key = v` (and every other
	// operator) compares the value at key, and is false when key is absent;
	// `f:key` is true when key is present.
	Map
)

// Field describes one filterable field.
type Field struct {
	Type Type
	// Values lists the accepted names of an Enum field.
	Values []string
}

// Schema maps field paths ("state", "verdict.rating", "labels") to their
// description.
type Schema map[string]Field

// Op is a comparison operator.
type Op int

// Operators.
const (
	Eq  Op = iota // =
	Ne            // !=
	Lt            // <
	Le            // <=
	Gt            // >
	Ge            // >=
	Has           // :
)

// Expr is a parsed filter: *And, *Or, *Not or *Compare.
//
// String renders the filter in canonical form (explicit AND, NOT instead of
// -, parentheses only where precedence needs them, quoted strings); Parse
// turns it back into the same tree.
type Expr interface {
	isExpr()
	String() string
}

// And is true when both sides are.
type And struct{ Left, Right Expr }

// Or is true when either side is.
type Or struct{ Left, Right Expr }

// Not is true when X is false.
type Not struct{ X Expr }

// Compare is one comparison, `Field[.Key] Op Value`.
type Compare struct {
	// Field is a path from the Schema.
	Field string
	// Key is the map key of `labels.key = v`; empty otherwise (and for
	// `labels:key`, whose key is in Value).
	Key string
	Op  Op
	// Value is the literal: a string (enum names as written, unquoted), or
	// for Timestamp fields its text with Time parsed.
	Value string
	Time  time.Time
	// Pos is the byte offset of the comparison in the filter text.
	Pos int
	// Type is the schema type of Field, copied here so that Match needs no
	// Schema.
	Type Type
}

func (*And) isExpr()     {}
func (*Or) isExpr()      {}
func (*Not) isExpr()     {}
func (*Compare) isExpr() {}

// Record is what a filter is evaluated against.
type Record interface {
	// FilterStrings returns the values of a String, Enum (the value's name)
	// or RepeatedString field; for a Map field it returns the value at key
	// (none when absent), or every key when key is "".
	FilterStrings(field, key string) []string
	// FilterTime returns a Timestamp field's value; ok is false when unset.
	FilterTime(field string) (t time.Time, ok bool)
}

// SyntaxError reports a filter that does not parse or does not fit the
// schema. Pos is the byte offset of the offending token in the filter text.
type SyntaxError struct {
	Pos     int
	Token   string
	Message string
}

func (e *SyntaxError) Error() string {
	if e.Token == "" {
		return "filter: at offset " + strconv.Itoa(e.Pos) + ": " + e.Message
	}
	return "filter: at offset " + strconv.Itoa(e.Pos) + " (" + strconv.Quote(e.Token) + "): " + e.Message
}
