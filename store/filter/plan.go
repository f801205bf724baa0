package filter

// Union is an OR that every record matching a filter satisfies, as a
// backend's planner sees it: each record that matches the filter satisfies
// every term of at least one of Branches. A backend that can answer a term of
// each branch from an index can restrict its walk to the union of those
// index ranges, and must still run Match on each record it reads.
type Union struct {
	// Branches are the OR's alternatives, nested ORs flattened, in source
	// order; each holds the equality terms (as EqualityTerms defines them)
	// that every record matching that alternative satisfies. A branch with
	// no term constrains nothing an index can answer, and then neither
	// does the union.
	Branches [][]*Compare
}

// EqualityUnions returns the ORs reachable from the root of e through *And
// alone, in source order: the disjunctive counterpart of EqualityTerms, for
// filters such as `(state = STATE_PUBLISHED OR state = STATE_RETRACTED) AND
// ...`, whose OR an AND-only planner cannot use. An OR inside a branch (say
// `a = 1 AND (b = 2 OR b = 3)` as one alternative) adds nothing to that
// branch's terms: the branch stays a superset, which is all a planner needs.
func EqualityUnions(e Expr) []Union {
	var out []Union
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *And:
			walk(e.Left)
			walk(e.Right)
		case *Or:
			out = append(out, Union{Branches: branches(e, nil)})
		}
	}
	walk(e)
	return out
}

// branches appends the alternatives of e, an OR tree, to out.
func branches(e Expr, out [][]*Compare) [][]*Compare {
	if o, ok := e.(*Or); ok {
		return branches(o.Right, branches(o.Left, out))
	}
	return append(out, EqualityTerms(e))
}
