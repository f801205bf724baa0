package interchange

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

// RecordFunc receives what a decoder finds, in input order: a record with a
// nil err, or a nil record with the err of a bad line or item (a
// *DecodeError). line is the 1-based line where the record's line or item
// starts. Returning an error stops decoding; the decoder returns that error.
type RecordFunc func(line int, rec *factcheckv1.ImportRecord, err error) error

// DecodeError is the error of one line or item of an import file, or the
// error that stopped a decoder.
type DecodeError struct {
	// Line is the 1-based line where the bad line or item starts.
	Line int
	// Item is the 1-based position of the item among the file's items (the
	// annotations of an array, a page or a JSON Lines file, blank lines not
	// counted); 0 for JSONL, where lines are the unit.
	Item int
	Err  error
}

func (e *DecodeError) Error() string {
	if e.Item > 0 {
		return fmt.Sprintf("line %d (item %d): %v", e.Line, e.Item, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ErrSkipped is wrapped by the DecodeError of an item that is well formed but
// is not a claim annotation of a text, such as a Hypothesis reply or page
// note. Importers may count these apart from failures.
var ErrSkipped = errors.New("not an annotation of a text span")

// AnchorMode says how much of a foreign anchor an import keeps.
type AnchorMode int

const (
	// AnchorAsGiven keeps the quote, its prefix and suffix, and the position.
	AnchorAsGiven AnchorMode = iota
	// AnchorQuoteContext drops the position and keeps quote, prefix and
	// suffix. Positions of annotations made in a browser count into the
	// whole web page (menus, headline, captions), which is rarely the text
	// factcheck stores, and the server insists that a given position hold the
	// quote exactly.
	AnchorQuoteContext
	// AnchorQuote keeps the quote alone; the server finds it and fills the
	// context from its own text. Use it when the context was captured from a
	// differently laid-out page.
	AnchorQuote
)

// DecodeOptions tune the foreign-format decoders. The zero value keeps
// everything the file says.
type DecodeOptions struct {
	// Anchor says how much of each foreign anchor to keep.
	Anchor AnchorMode
}

func options(opts []DecodeOptions) DecodeOptions {
	if len(opts) > 0 {
		return opts[0]
	}
	return DecodeOptions{}
}

// maxLine bounds one line of a JSON Lines file: an article of the API's
// largest size (1 MiB of text) with every character escaped still fits.
const maxLine = 16 << 20

// readLine reads one line without its "\n". A line longer than max is
// consumed and reported with tooLong, its bytes dropped.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > max+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil && (err != io.EOF || len(line) == 0 && !tooLong):
			return line, tooLong, err
		}
		return bytes.TrimSuffix(line, []byte("\n")), tooLong, nil
	}
}

// containers name the keys of a top-level object whose values hold the
// items: arrays of items (W3C items, Hypothesis rows, Fact Check Tools
// claims, JSON-LD @graph) and objects that themselves hold them (a W3C
// collection's embedded first page).
type containers struct {
	arrays  map[string]bool
	objects map[string]bool
}

// itemFunc handles one JSON item: v is its decoded value (numbers as
// json.Number), or err says why it could not be read.
type itemFunc func(line, item int, v any, err error) error

// scanItems finds the items of a JSON file: the elements of top-level
// arrays, the elements of container keys of top-level objects, and other
// top-level objects themselves; any number of top-level values may follow
// each other. When the file is JSON Lines (its first line is a whole JSON
// value and more follows) it goes line by line, so a broken line is reported
// and skipped; otherwise it streams the file through a json.Decoder, where
// broken JSON ends the scan because nothing after it can be trusted.
func scanItems(r io.Reader, c containers, fn itemFunc) error {
	br := bufio.NewReaderSize(r, 64<<10)
	skipBOM(br)
	// Probe the first non-blank line, keeping every byte read so that a
	// document can be replayed from the start.
	var head bytes.Buffer
	lineStart := 0
	for {
		chunk, err := br.ReadSlice('\n')
		head.Write(chunk)
		if err == bufio.ErrBufferFull {
			if head.Len()-lineStart > probeMax {
				// A first line this long is one big document, not JSON Lines.
				return (&scanner{c: c, fn: fn}).document(io.MultiReader(bytes.NewReader(head.Bytes()), br))
			}
			continue
		}
		if err != nil && err != io.EOF {
			return &DecodeError{Line: 1 + bytes.Count(head.Bytes(), []byte("\n")), Err: err}
		}
		if len(bytes.TrimSpace(head.Bytes()[lineStart:])) > 0 || err == io.EOF {
			break
		}
		lineStart = head.Len()
	}
	first := bytes.TrimSpace(head.Bytes()[lineStart:])
	// What follows the first value decides between JSON Lines and a document.
	more := false
	for {
		b, err := br.Peek(1)
		if err != nil {
			break
		}
		if !isSpace(b[0]) {
			more = true
			break
		}
		br.ReadByte()
		head.WriteByte(b[0])
	}
	s := &scanner{c: c, fn: fn}
	if more && len(first) > 0 && (first[0] == '{' || first[0] == '[') && json.Valid(first) {
		return s.lines(io.MultiReader(bytes.NewReader(head.Bytes()), br))
	}
	return s.document(io.MultiReader(bytes.NewReader(head.Bytes()), br))
}

// probeMax bounds the first line scanItems holds while it decides whether a
// file is JSON Lines.
const probeMax = 4 << 20

// skipBOM drops a UTF-8 byte order mark, which Windows editors put at the
// start of files and JSON parsers refuse.
func skipBOM(br *bufio.Reader) {
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

type scanner struct {
	c    containers
	fn   itemFunc
	item int
	lc   *lineCounter
	dec  *json.Decoder
}

func (s *scanner) emit(line int, v any, err error) error {
	s.item++
	if err != nil {
		err = &DecodeError{Line: line, Item: s.item, Err: err}
	}
	return s.fn(line, s.item, v, err)
}

// lines reads JSON Lines.
func (s *scanner) lines(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		l, tooLong, err := readLine(br, maxLine)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &DecodeError{Line: line, Err: err}
		}
		if tooLong {
			if err := s.emit(line, nil, fmt.Errorf("line longer than %d MiB", maxLine>>20)); err != nil {
				return err
			}
			continue
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		v, err := decodeOne(l)
		if err != nil {
			if err := s.emit(line, nil, err); err != nil {
				return err
			}
			continue
		}
		if err := s.expand(line, v); err != nil {
			return err
		}
	}
}

// decodeOne decodes a line that must hold exactly one JSON value.
func decodeOne(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value on the line")
	}
	return v, nil
}

// jsonError rewords encoding/json's errors for people reading an import
// report, who need to know the line is broken rather than Go's type names.
func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON: %v", se)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: unexpected end of input")
	}
	return err
}

// expand emits the items of one value held in memory (a JSON Lines line).
func (s *scanner) expand(line int, v any) error {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if err := s.emit(line, e, nil); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		found := false
		for k, cv := range v {
			switch {
			case s.c.arrays[k]:
				if a, ok := cv.([]any); ok {
					found = true
					for _, e := range a {
						if err := s.emit(line, e, nil); err != nil {
							return err
						}
					}
				}
			case s.c.objects[k]:
				if m, ok := cv.(map[string]any); ok && s.hasItems(m) {
					found = true
					if err := s.expand(line, m); err != nil {
						return err
					}
				}
			}
		}
		if !found {
			return s.emit(line, v, nil)
		}
		return nil
	default:
		return s.emit(line, v, nil)
	}
}

func (s *scanner) hasItems(m map[string]any) bool {
	for k, v := range m {
		if _, ok := v.([]any); ok && s.c.arrays[k] {
			return true
		}
	}
	return false
}

// document streams one or more JSON documents.
func (s *scanner) document(r io.Reader) error {
	s.lc = &lineCounter{r: r, line: 1}
	s.dec = json.NewDecoder(s.lc)
	s.dec.UseNumber()
	for {
		line := s.lc.lineAt(s.dec.InputOffset(), true)
		tok, err := s.dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return s.fatal(err)
		}
		switch tok {
		case json.Delim('['):
			err = s.array()
		case json.Delim('{'):
			_, err = s.object(line, true)
		default:
			err = s.emit(line, tok, nil)
		}
		if err != nil {
			return err
		}
	}
}

// fatal reports broken JSON with the line where the decoder stopped.
func (s *scanner) fatal(err error) error {
	var de *DecodeError
	if errors.As(err, &de) {
		return err
	}
	off := s.dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > off {
		off = se.Offset
	}
	return &DecodeError{Line: s.lc.lineAt(off, false), Item: s.item + 1, Err: jsonError(err)}
}

// array emits the elements of an array whose "[" was just read.
func (s *scanner) array() error {
	for s.dec.More() {
		line := s.lc.lineAt(s.dec.InputOffset(), true)
		var v any
		if err := s.dec.Decode(&v); err != nil {
			return s.fatal(err)
		}
		if err := s.emit(line, v, nil); err != nil {
			return err
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return s.fatal(err)
	}
	return nil
}

// object reads an object whose "{" was just read: container keys are
// streamed, other keys kept; a top-level object without containers is itself
// an item.
func (s *scanner) object(line int, top bool) (found bool, err error) {
	m := map[string]any{}
	for s.dec.More() {
		kt, kerr := s.dec.Token()
		if err = kerr; err != nil {
			return false, s.fatal(err)
		}
		key, _ := kt.(string)
		if !s.c.arrays[key] && !s.c.objects[key] {
			var v any
			if err := s.dec.Decode(&v); err != nil {
				return false, s.fatal(err)
			}
			m[key] = v
			continue
		}
		vline := s.lc.lineAt(s.dec.InputOffset(), true)
		vt, verr := s.dec.Token()
		if err = verr; err != nil {
			return false, s.fatal(err)
		}
		switch {
		case vt == json.Delim('[') && s.c.arrays[key]:
			found = true
			err = s.array()
		case vt == json.Delim('{') && s.c.objects[key]:
			var f bool
			f, err = s.object(vline, false)
			found = found || f
		default:
			m[key], err = s.rest(vt)
		}
		if err != nil {
			return false, err
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return false, s.fatal(err)
	}
	if top && !found {
		return false, s.emit(line, m, nil)
	}
	return found, nil
}

// rest decodes the rest of a value whose first token was tok.
func (s *scanner) rest(tok json.Token) (any, error) {
	switch tok {
	case json.Delim('{'):
		m := map[string]any{}
		for s.dec.More() {
			kt, err := s.dec.Token()
			if err != nil {
				return nil, s.fatal(err)
			}
			var v any
			if err := s.dec.Decode(&v); err != nil {
				return nil, s.fatal(err)
			}
			m[kt.(string)] = v
		}
		_, err := s.dec.Token()
		if err != nil {
			return nil, s.fatal(err)
		}
		return m, nil
	case json.Delim('['):
		a := []any{}
		for s.dec.More() {
			var v any
			if err := s.dec.Decode(&v); err != nil {
				return nil, s.fatal(err)
			}
			a = append(a, v)
		}
		if _, err := s.dec.Token(); err != nil {
			return nil, s.fatal(err)
		}
		return a, nil
	}
	return tok, nil
}

// lineCounter turns the decoder's byte offsets into line numbers. It keeps
// only the bytes read but not yet counted, so memory stays near one item
// plus the decoder's read-ahead however long the file is.
type lineCounter struct {
	r    io.Reader
	buf  []byte // bytes from offset base on
	base int64
	line int // line at offset base
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

// lineAt returns the line of offset off, which must not be below earlier
// calls' offsets. With skip it first moves past whitespace, commas and
// colons, to the start of the next value.
func (c *lineCounter) lineAt(off int64, skip bool) int {
	i := int(off - c.base)
	i = min(max(i, 0), len(c.buf))
	c.line += bytes.Count(c.buf[:i], []byte("\n"))
	for skip && i < len(c.buf) && (isSpace(c.buf[i]) || c.buf[i] == ',' || c.buf[i] == ':') {
		if c.buf[i] == '\n' {
			c.line++
		}
		i++
	}
	c.buf = c.buf[i:]
	c.base += int64(i)
	return c.line
}
