package filter

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on a filter. They bound the work one request can cause, and the
// recursion depth of Parse and Match.
const (
	MaxLength      = 4096 // bytes of filter text
	MaxComparisons = 50
	MaxDepth       = 32 // nested parentheses, NOT and -
)

// timeExample is quoted in every timestamp error so users can copy it.
const timeExample = `"2024-01-31T00:00:00Z"`

// maxTokenInError keeps SyntaxError.Token readable when the offending token
// is a long run of text (an unterminated string swallows the rest).
const maxTokenInError = 64

// Parse parses an AIP-160 filter and checks it against schema. Empty or
// all-space src gives (nil, nil), which Match treats as matching everything.
// Every error is a *SyntaxError.
func Parse(src string, schema Schema) (Expr, error) {
	if len(src) > MaxLength {
		return nil, &SyntaxError{Pos: MaxLength, Message: fmt.Sprintf(
			"filter is %d bytes long; at most %d bytes are allowed", len(src), MaxLength)}
	}
	if !utf8.ValidString(src) {
		i := 0
		for i < len(src) {
			r, n := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &SyntaxError{Pos: i, Message: "filter is not valid UTF-8; filters must be UTF-8 text"}
	}
	p := &parser{src: src, schema: schema}
	p.skipSpace()
	if p.eof() {
		return nil, nil
	}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	// expr stops only at the end of the text or at a ')'.
	if !p.eof() {
		return nil, p.errorf(p.pos, ")", "unmatched ): there is no ( before it")
	}
	return e, nil
}

type parser struct {
	src    string
	pos    int
	schema Schema
	count  int // comparisons so far
}

// token is a piece of source text, kept for error messages.
type token struct {
	pos  int
	text string
}

func (p *parser) errorf(pos int, tok, format string, args ...any) *SyntaxError {
	if len(tok) > maxTokenInError {
		cut := maxTokenInError
		for cut > 0 && !utf8.RuneStart(tok[cut]) {
			cut--
		}
		tok = tok[:cut]
	}
	return &SyntaxError{Pos: pos, Token: tok, Message: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte { return p.src[p.pos] }

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// isWordEnd reports whether r ends a field name or keyword.
func isWordEnd(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(`()"'=!<>:`, r)
}

func isOpByte(c byte) bool { return strings.IndexByte("=!<>:", c) >= 0 }

// word returns the field name or keyword at p.pos without consuming it.
func (p *parser) word() string {
	i := p.pos
	for i < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[i:])
		if isWordEnd(r) {
			break
		}
		i += n
	}
	return p.src[p.pos:i]
}

func isKeyword(w string) bool { return w == "AND" || w == "OR" || w == "NOT" }

// expr parses `sequence {AND sequence}` where a sequence is factors written
// side by side. Both kinds of AND mean the same, so they are collected into
// one left-deep chain; that keeps the tree (and String's output) no deeper
// than the text.
func (p *parser) expr(depth int) (Expr, error) {
	var factors []Expr
	after := token{}
	for {
		f, err := p.factor(depth, after)
		if err != nil {
			return nil, err
		}
		factors = append(factors, f)
		p.skipSpace()
		if p.eof() || p.peek() == ')' {
			break
		}
		after = token{}
		if p.word() == "AND" {
			after = token{p.pos, "AND"}
			p.pos += len("AND")
		}
	}
	e := factors[0]
	for _, f := range factors[1:] {
		e = &And{Left: e, Right: f}
	}
	return e, nil
}

// factor parses `term {OR term}`.
func (p *parser) factor(depth int, after token) (Expr, error) {
	e, err := p.term(depth, after)
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if p.eof() || p.word() != "OR" {
			return e, nil
		}
		or := token{p.pos, "OR"}
		p.pos += len("OR")
		r, err := p.term(depth, or)
		if err != nil {
			return nil, err
		}
		e = &Or{Left: e, Right: r}
	}
}

// term parses a comparison, a parenthesised expression or a negated term.
// after is the operator before it (AND, OR, NOT, -), if any, so that a
// dangling operator is blamed rather than whatever follows it.
func (p *parser) term(depth int, after token) (Expr, error) {
	p.skipSpace()
	start := p.pos
	if p.eof() || p.peek() == ')' {
		if after.text != "" {
			return nil, p.errorf(after.pos, after.text, "%s must be followed by a comparison such as field = value", after.text)
		}
		if !p.eof() {
			return nil, p.errorf(start, ")", "unmatched ): there is no ( before it")
		}
		return nil, p.errorf(start, "", "expected a comparison such as field = value")
	}
	nest := func(tok string) error {
		if depth+1 > MaxDepth {
			return p.errorf(start, tok, "filter is nested too deeply; at most %d levels of parentheses, NOT and - are allowed", MaxDepth)
		}
		return nil
	}
	switch c := p.peek(); {
	case c == '(':
		if err := nest("("); err != nil {
			return nil, err
		}
		p.pos++
		p.skipSpace()
		if p.eof() {
			return nil, p.errorf(start, "(", "missing ) to close this (")
		}
		if p.peek() == ')' {
			return nil, p.errorf(start, "(", "empty parentheses; put a comparison between ( and ) or remove them")
		}
		e, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.eof() {
			return nil, p.errorf(start, "(", "missing ) to close this (")
		}
		p.pos++
		return e, nil
	case c == '-':
		if err := nest("-"); err != nil {
			return nil, err
		}
		p.pos++
		x, err := p.term(depth+1, token{start, "-"})
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case c == '"' || c == '\'':
		return nil, p.errorf(start, string(c), "expected a field name, found a quoted string; each term must be a comparison such as field = %cvalue%c", c, c)
	case isOpByte(c):
		op := p.src[start : start+1]
		if c == '!' || c == '<' || c == '>' {
			if start+1 < len(p.src) && p.src[start+1] == '=' {
				op = p.src[start : start+2]
			}
		}
		return nil, p.errorf(start, op, "expected a field name before %s", op)
	}
	w := p.word()
	switch w {
	case "NOT":
		if err := nest("NOT"); err != nil {
			return nil, err
		}
		p.pos += len(w)
		x, err := p.term(depth+1, token{start, "NOT"})
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case "AND", "OR":
		if after.text != "" {
			return nil, p.errorf(start, w, "expected a comparison after %s, found %s", after.text, w)
		}
		return nil, p.errorf(start, w, "%s must come between two comparisons", w)
	}
	p.pos += len(w)
	return p.comparison(token{start, w})
}

// comparison parses the operator and value after field f and checks them
// against the schema.
func (p *parser) comparison(f token) (Expr, error) {
	p.count++
	if p.count > MaxComparisons {
		return nil, p.errorf(f.pos, f.text, "too many comparisons; at most %d are allowed", MaxComparisons)
	}
	p.skipSpace()
	opTok, op, err := p.op(f)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	val, valTok, quoted, err := p.value(opTok)
	if err != nil {
		return nil, err
	}
	return p.check(f, opTok, op, val, valTok, quoted)
}

var opNames = []string{Eq: "=", Ne: "!=", Lt: "<", Le: "<=", Gt: ">", Ge: ">=", Has: ":"}

const opList = "= != < <= > >= :"

func (p *parser) op(f token) (token, Op, error) {
	start := p.pos
	if p.eof() || !isOpByte(p.peek()) {
		return token{}, 0, p.errorf(f.pos, f.text,
			"expected an operator (%s) after %q; each term must be a comparison such as field = value (bare words are not supported)", opList, f.text)
	}
	var op Op
	n := 1
	next := func(c byte) bool { return start+1 < len(p.src) && p.src[start+1] == c }
	switch p.peek() {
	case '=':
		op = Eq
	case ':':
		op = Has
	case '<':
		op = Lt
		if next('=') {
			op, n = Le, 2
		}
	case '>':
		op = Gt
		if next('=') {
			op, n = Ge, 2
		}
	case '!':
		if !next('=') {
			return token{}, 0, p.errorf(start, "!", "unknown operator !; use != for \"not equal\", or NOT or - before a term to negate it")
		}
		op, n = Ne, 2
	}
	// Values starting with an operator character would make typos such as
	// == or => parse as something unintended, so they must be quoted.
	if start+n < len(p.src) && isOpByte(p.src[start+n]) {
		bad := p.src[start : start+n+1]
		return token{}, 0, p.errorf(start, bad, "unknown operator %s; the operators are %s (quote a value that starts with one of = ! < > :)", bad, opList)
	}
	p.pos += n
	return token{start, p.src[start:p.pos]}, op, nil
}

// value lexes the literal after operator op: it returns the value, its source
// token and whether it was quoted.
func (p *parser) value(op token) (string, token, bool, error) {
	start := p.pos
	if p.eof() {
		return "", token{}, false, p.errorf(op.pos, op.text, "%s must be followed by a value", op.text)
	}
	switch c := p.peek(); c {
	case '(', ')':
		return "", token{}, false, p.errorf(start, string(c), "expected a value after %s, found %c; quote values that contain parentheses", op.text, c)
	case '"', '\'':
		v, err := p.str()
		if err != nil {
			return "", token{}, false, err
		}
		return v, token{start, p.src[start:p.pos]}, true, nil
	}
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if unicode.IsSpace(r) || r == '(' || r == ')' {
			break
		}
		if r == '"' || r == '\'' {
			return "", token{}, false, p.errorf(p.pos, string(r), "unexpected quote inside an unquoted value; put the whole value in quotes, escaping inner quotes with \\")
		}
		p.pos += n
	}
	v := p.src[start:p.pos]
	if isKeyword(v) {
		return "", token{}, false, p.errorf(start, v, "expected a value after %s, found the keyword %s; write \"%s\" to compare with the word itself", op.text, v, v)
	}
	return v, token{start, v}, false, nil
}

// str lexes a quoted string at p.pos.
func (p *parser) str() (string, error) {
	start := p.pos
	q := p.src[start]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src):
			e := p.src[p.pos+1]
			if e != '\\' && e != '"' && e != '\'' {
				_, n := utf8.DecodeRuneInString(p.src[p.pos+1:])
				bad := p.src[p.pos : p.pos+1+n]
				return "", p.errorf(p.pos, bad, `unknown escape %s; inside quotes only \" \' and \\ are escapes (write \\ for a backslash)`, bad)
			}
			b.WriteByte(e)
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errorf(start, p.src[start:], "unterminated string; add a closing %c", q)
}

// check resolves field f in the schema and checks that op and the value
// suit its type.
func (p *parser) check(f token, opTok token, op Op, val string, valTok token, quoted bool) (Expr, error) {
	name, key, fd, err := p.field(f)
	if err != nil {
		return nil, err
	}
	c := &Compare{Field: name, Key: key, Op: op, Value: val, Pos: f.pos, Type: fd.Type}
	badOp := func(allowed string) error {
		return p.errorf(opTok.pos, opTok.text, "operator %s does not apply to %s field %s; use %s", opTok.text, fd.Type, name, allowed)
	}
	switch fd.Type {
	case Enum:
		if op != Eq && op != Ne && op != Has {
			return nil, badOp("=, != or :")
		}
		if !slices.Contains(fd.Values, val) {
			return nil, p.errorf(valTok.pos, valTok.text, "invalid value %q for enum field %s%s; allowed values are: %s",
				val, name, didYouMean(suggestValue(fd.Values, val)), strings.Join(fd.Values, ", "))
		}
	case Timestamp:
		if op == Has {
			return nil, badOp("= != < <= > or >=")
		}
		if !quoted {
			return nil, p.errorf(valTok.pos, valTok.text, "time values must be quoted: expected an RFC 3339 time such as %s", timeExample)
		}
		t, err := time.Parse(time.RFC3339Nano, val)
		if err != nil {
			return nil, p.errorf(valTok.pos, valTok.text, "invalid time %q for %s: expected an RFC 3339 time such as %s", val, name, timeExample)
		}
		c.Time = t.UTC()
	case RepeatedString:
		if op != Eq && op != Ne && op != Has {
			return nil, badOp("=, : (contains) or != (does not contain)")
		}
	case Map:
		if key != "" {
			break
		}
		if op != Has {
			return nil, p.errorf(f.pos, f.text, "%s is a map: compare one key's value with %s.KEY %s \"value\", or test whether a key is present with %s:KEY",
				name, name, opTok.text, name)
		}
		if val == "" {
			return nil, p.errorf(valTok.pos, valTok.text, "%s: must be followed by a key; write %s:KEY to test whether KEY is present", name, name)
		}
	}
	return c, nil
}

// field resolves a dotted path to a schema field and, for `map.key`, a key.
func (p *parser) field(f token) (name, key string, fd Field, err error) {
	if fd, ok := p.schema[f.text]; ok {
		return f.text, "", fd, nil
	}
	note := ""
	// The longest prefix that is a field decides, so "labels.a.b" is key
	// "a.b" of labels.
	for i := len(f.text) - 1; i > 0; i-- {
		if f.text[i] != '.' {
			continue
		}
		prefix := f.text[:i]
		fd, ok := p.schema[prefix]
		if !ok {
			continue
		}
		if fd.Type == Map {
			if i == len(f.text)-1 {
				return "", "", Field{}, p.errorf(f.pos, f.text, "missing key after %q; write %s.KEY", f.text, prefix)
			}
			return prefix, f.text[i+1:], fd, nil
		}
		note = fmt.Sprintf(" (%s is a %s field; only map fields take a .KEY)", prefix, fd.Type)
		break
	}
	if note == "" {
		note = didYouMean(suggestField(p.schema, f.text))
	}
	return "", "", Field{}, p.errorf(f.pos, f.text, "unknown field %q%s; filterable fields are: %s",
		f.text, note, fieldList(p.schema))
}

func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", s)
}

// fieldList lists the schema's fields for error messages, maps as
// "labels.KEY" since that is how they are used.
func fieldList(s Schema) string {
	names := make([]string, 0, len(s))
	for name, fd := range s {
		if fd.Type == Map {
			name += ".KEY"
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// maxSuggestDistance is how many edits a misspelling may be from a name for
// us to suggest that name.
const maxSuggestDistance = 2

// suggestField returns the field path most likely meant by the unknown path
// name, or "". Users often write the last segment alone ("rating" for
// "verdict.rating"), a parent ("verdict"), or a misspelled map name
// ("lables.topic"), so those are tried as well as the whole path.
func suggestField(s Schema, name string) string {
	best, bestD := "", maxSuggestDistance+1
	consider := func(cand string, d int) {
		if d < bestD || d == bestD && cand < best {
			best, bestD = cand, d
		}
	}
	var children []string
	for path, fd := range s {
		consider(path, distance(name, path))
		if i := strings.LastIndexByte(path, '.'); i >= 0 {
			consider(path, distance(name, path[i+1:]))
		}
		if strings.HasPrefix(path, name+".") {
			children = append(children, path)
		}
		if fd.Type == Map {
			if i := strings.IndexByte(name, '.'); i > 0 && i < len(name)-1 {
				consider(path+name[i:], distance(name[:i], path))
			}
		}
	}
	if best == "" && len(children) > 0 {
		slices.Sort(children)
		return strings.Join(children, " or ")
	}
	return best
}

// suggestValue returns the enum value most likely meant by v, or "". Besides
// misspellings it catches the wrong case and a missing enum prefix
// ("PUBLISHED" for "STATE_PUBLISHED"), the usual mistakes with proto enums.
func suggestValue(values []string, v string) string {
	best, bestD := "", maxSuggestDistance+1
	for _, cand := range values {
		d := distance(v, cand)
		if strings.EqualFold(v, cand) || v != "" && strings.HasSuffix(cand, "_"+strings.ToUpper(v)) {
			d = 0
		}
		if d < bestD {
			best, bestD = cand, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b in runes, or
// maxSuggestDistance+1 when it is certainly larger than maxSuggestDistance.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > maxSuggestDistance || -d > maxSuggestDistance {
		return maxSuggestDistance + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
