package filter

import (
	"slices"
)

// Match reports whether r satisfies e. A nil e matches every record.
//
// Match trusts e to be as Parse builds it; comparisons a Schema would reject
// (such as < on an enum) are simply false.
func Match(e Expr, r Record) bool {
	switch e := e.(type) {
	case nil:
		return true
	case *And:
		return Match(e.Left, r) && Match(e.Right, r)
	case *Or:
		return Match(e.Left, r) || Match(e.Right, r)
	case *Not:
		return !Match(e.X, r)
	case *Compare:
		return e.match(r)
	}
	return false
}

func (c *Compare) match(r Record) bool {
	switch c.Type {
	case Timestamp:
		t, ok := r.FilterTime(c.Field)
		if !ok {
			// An unset time equals no time and is not ordered against
			// any, but it is certainly different from each.
			return c.Op == Ne
		}
		switch c.Op {
		case Eq:
			return t.Equal(c.Time)
		case Ne:
			return !t.Equal(c.Time)
		case Lt:
			return t.Before(c.Time)
		case Le:
			return !t.After(c.Time)
		case Gt:
			return t.After(c.Time)
		case Ge:
			return !t.Before(c.Time)
		}
		return false
	case RepeatedString:
		found := slices.Contains(r.FilterStrings(c.Field, ""), c.Value)
		switch c.Op {
		case Eq, Has:
			return found
		case Ne:
			return !found
		}
		return false
	case Map:
		if c.Key == "" {
			// Asking for the one key rather than listing all of them lets
			// a Record answer from its map directly.
			return c.Op == Has && c.Value != "" && len(r.FilterStrings(c.Field, c.Value)) > 0
		}
		vals := r.FilterStrings(c.Field, c.Key)
		if len(vals) == 0 {
			return false
		}
		return compareStrings(vals[0], c.Op, c.Value)
	case String, Enum:
		// A Record with no value for a singular field has the proto3
		// default, the empty string.
		v := ""
		if vals := r.FilterStrings(c.Field, ""); len(vals) > 0 {
			v = vals[0]
		}
		if c.Type == Enum && c.Op != Eq && c.Op != Ne && c.Op != Has {
			return false
		}
		return compareStrings(v, c.Op, c.Value)
	}
	return false
}

func compareStrings(v string, op Op, want string) bool {
	switch op {
	case Eq, Has:
		return v == want
	case Ne:
		return v != want
	case Lt:
		return v < want
	case Le:
		return v <= want
	case Gt:
		return v > want
	case Ge:
		return v >= want
	}
	return false
}

// EqualityTerms returns the comparisons that every record matching e must
// satisfy and that test for equality, so that a backend can answer them
// from an index: the *Compare nodes reachable from the root through *And
// alone (never through *Or or *Not), whose Op is Eq or Has. In source order.
//
// What each one asks of a record, by Compare.Type:
//   - String, Enum: the value equals Value (Has means the same as Eq);
//   - Timestamp (Eq only): the time equals Time;
//   - RepeatedString: some element equals Value;
//   - Map with a Key: the value at Key equals Value;
//   - Map without a Key (Has only): key Value is present.
//
// A backend uses one of them to choose the candidates (an index bucket) and
// must still run Match on each candidate: the other comparisons, and any
// OR or NOT, are not reflected in the terms (EqualityUnions gives the ORs
// an index can serve). An empty result means no index
// applies and every record is a candidate.
func EqualityTerms(e Expr) []*Compare {
	var out []*Compare
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *And:
			walk(e.Left)
			walk(e.Right)
		case *Compare:
			if e.Op == Eq || e.Op == Has {
				out = append(out, e)
			}
		}
	}
	walk(e)
	return out
}

// Fields returns the distinct field paths e compares, sorted; a map field
// appears once however many keys are used ("labels", not "labels.topic").
func Fields(e Expr) []string {
	var out []string
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *And:
			walk(e.Left)
			walk(e.Right)
		case *Or:
			walk(e.Left)
			walk(e.Right)
		case *Not:
			walk(e.X)
		case *Compare:
			out = append(out, e.Field)
		}
	}
	walk(e)
	slices.Sort(out)
	return slices.Compact(out)
}
