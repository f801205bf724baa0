package filter

import (
	"strconv"
	"strings"
	"unicode"
)

var typeNames = []string{String: "string", Enum: "enum", Timestamp: "timestamp", RepeatedString: "repeated string", Map: "map"}

// String returns the type's name as error messages use it.
func (t Type) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// String returns the operator as written in a filter.
func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

func (e *And) String() string     { return format(e) }
func (e *Or) String() string      { return format(e) }
func (e *Not) String() string     { return format(e) }
func (e *Compare) String() string { return format(e) }

func format(e Expr) string {
	var b strings.Builder
	write(&b, e)
	return b.String()
}

// precedence orders node kinds from loosest (And) to tightest, matching the
// grammar so that write adds only the parentheses the tree needs.
func precedence(e Expr) int {
	switch e.(type) {
	case *And:
		return 1
	case *Or:
		return 2
	}
	return 3
}

func write(b *strings.Builder, e Expr) {
	side := func(x Expr, paren bool) {
		if paren {
			b.WriteByte('(')
		}
		write(b, x)
		if paren {
			b.WriteByte(')')
		}
	}
	switch e := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case *And:
		// Parse builds left-deep chains, so only a right-hand And came from
		// parentheses.
		side(e.Left, false)
		b.WriteString(" AND ")
		side(e.Right, precedence(e.Right) <= 1)
	case *Or:
		side(e.Left, precedence(e.Left) < 2)
		b.WriteString(" OR ")
		side(e.Right, precedence(e.Right) <= 2)
	case *Not:
		b.WriteString("NOT ")
		side(e.X, precedence(e.X) < 3)
	case *Compare:
		b.WriteString(e.Field)
		if e.Key != "" {
			b.WriteByte('.')
			b.WriteString(e.Key)
		}
		if e.Op == Has {
			b.WriteByte(':')
		} else {
			b.WriteByte(' ')
			b.WriteString(e.Op.String())
			b.WriteByte(' ')
		}
		if e.Type == Enum && isBare(e.Value) {
			b.WriteString(e.Value)
		} else {
			b.WriteString(quote(e.Value))
		}
	}
}

// isBare reports whether s reads back unchanged without quotes.
func isBare(s string) bool {
	if s == "" || isKeyword(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			return false
		}
	}
	return true
}

// quote writes s as a double-quoted filter string, which has only the \\
// and \" escapes (strconv.Quote's would not parse back).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
