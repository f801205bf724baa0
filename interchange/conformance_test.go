package interchange

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The W3C web-annotation-tests suite expresses each requirement of the Web
// Annotation model as a JSON Schema (draft-04) "assertion" with extra keys
// (assertionType, expectedResult, onUnexpectedResult, errorMessage), listed
// in ".test" files (JSONtest). This file runs a .test list against exported
// documents, following the JSONtest rules of the suite's CONTRIBUTING notes:
// list entries are assertion files, inline assertion objects (optionally
// overriding an assertionFile), condition objects (nested "assertions"
// combined with compareWith "and"/"or") or nested lists.

const suiteEnv = "FACTCHECK_WEB_ANNOTATION_TESTS"

// suiteDir finds the web-annotation-tests checkout, or skips.
func suiteDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv(suiteEnv); d != "" {
		if _, err := os.Stat(filepath.Join(d, "annotations", "annotationMusts.test")); err != nil {
			t.Fatalf("%s=%s: %v", suiteEnv, d, err)
		}
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("W3C conformance skipped: no go.mod above the package, so no ../shared; set %s to a checkout of w3c/web-annotation-tests", suiteEnv)
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "conformance", "web-annotation-tests")
	if _, err := os.Stat(filepath.Join(d, "annotations", "annotationMusts.test")); err != nil {
		t.Skipf("W3C conformance skipped: web-annotation-tests not found at %s; set %s to a checkout of w3c/web-annotation-tests", d, suiteEnv)
	}
	return d
}

// suiteBase is where the suite's files appear to live for the compiler. The
// assertions' ids are bare file names and their $refs name definitions
// ("specificResource.json#/…") as if every file sat in one directory, so the
// loader maps any URL whose file is not at that path to definitions/.
const suiteBase = "https://web-annotation-tests.invalid/"

type suiteLoader struct{ root string }

func (l suiteLoader) Load(u string) (any, error) {
	rel, ok := strings.CutPrefix(u, suiteBase)
	if !ok {
		return nil, fmt.Errorf("not a suite URL: %s", u)
	}
	p := filepath.Join(l.root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		p = filepath.Join(l.root, "definitions", path.Base(rel))
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

// assertion is a JSONtest assertion or condition object.
type assertion struct {
	key            string
	title          string
	errorMessage   string
	assertionType  string // must, should, may
	expectedResult string // valid, invalid
	onUnexpected   string
	schema         *jsonschema.Schema // nil for a condition object
	compareWith    string             // and, or
	children       []entry
}

// entry is one element of an assertion list: an assertion or a nested list.
type entry struct {
	a    *assertion
	list []entry
}

type suite struct {
	root     string
	c        *jsonschema.Compiler
	inline   int
	compiled int
}

func newSuite(root string) *suite {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	c.UseLoader(suiteLoader{root})
	return &suite{root: root, c: c}
}

// loadTest reads a .test file's assertion list.
func (s *suite) loadTest(rel string) ([]entry, error) {
	var t struct {
		Assertions []any `json:"assertions"`
	}
	b, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if len(t.Assertions) == 0 {
		return nil, fmt.Errorf("%s: no assertions", rel)
	}
	return s.list(path.Dir(rel), t.Assertions)
}

func (s *suite) list(dir string, items []any) ([]entry, error) {
	var out []entry
	for _, it := range items {
		switch it := it.(type) {
		case string:
			a, err := s.file(dir, it, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, entry{a: a})
		case map[string]any:
			a, err := s.object(dir, it)
			if err != nil {
				return nil, err
			}
			out = append(out, entry{a: a})
		case []any:
			l, err := s.list(dir, it)
			if err != nil {
				return nil, err
			}
			if len(l) == 0 {
				return nil, errors.New("empty nested assertion list")
			}
			out = append(out, entry{list: l})
		default:
			return nil, fmt.Errorf("assertion list entry %v", it)
		}
	}
	return out, nil
}

// resolve applies JSONtest's rule for assertion URIs: with a slash, relative
// to the top of the suite; without, relative to the current directory.
func resolve(dir, ref string) string {
	if strings.Contains(ref, "/") {
		return strings.TrimPrefix(ref, "/")
	}
	return path.Join(dir, ref)
}

// file loads an assertion file, with overrides from an inline object.
func (s *suite) file(dir, ref string, overrides map[string]any) (*assertion, error) {
	rel := resolve(dir, ref)
	b, err := os.ReadFile(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not an object", rel)
	}
	if _, ok := m["assertions"]; ok && len(overrides) == 0 {
		return s.condition(path.Dir(rel), rel, m)
	}
	if len(overrides) == 0 {
		return s.compile(rel, suiteBase+rel, m, nil)
	}
	for k, v := range overrides {
		if k != "assertionFile" {
			m[k] = v
		}
	}
	return s.compile(rel, "", m, &dir)
}

func (s *suite) object(dir string, m map[string]any) (*assertion, error) {
	if _, ok := m["assertions"]; ok {
		return s.condition(dir, "inline condition", m)
	}
	if f, ok := m["assertionFile"].(string); ok {
		return s.file(dir, f, m)
	}
	return s.compile("inline assertion", "", m, &dir)
}

func (s *suite) condition(dir, key string, m map[string]any) (*assertion, error) {
	items, ok := m["assertions"].([]any)
	if !ok || len(items) == 0 {
		return nil, fmt.Errorf("%s: condition object without assertions", key)
	}
	a := meta(key, m)
	a.compareWith, _ = m["compareWith"].(string)
	if a.compareWith == "" {
		a.compareWith = "and"
	}
	var err error
	a.children, err = s.list(dir, items)
	return a, err
}

// compile compiles an assertion's schema. Files already on disk compile from
// their URL, so the loader finds them; inline and overridden ones are added
// as resources in the directory they belong to, so their relative $refs
// resolve the same way.
func (s *suite) compile(key, u string, m map[string]any, dir *string) (*assertion, error) {
	if u == "" {
		s.inline++
		u = fmt.Sprintf("%s%s/inline-%d.json", suiteBase, *dir, s.inline)
		// A bare id would re-home the schema; the URL is its identity here.
		delete(m, "id")
		if err := s.c.AddResource(u, m); err != nil {
			return nil, err
		}
	}
	sch, err := s.c.Compile(u)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	s.compiled++
	a := meta(key, m)
	a.schema = sch
	return a, nil
}

func meta(key string, m map[string]any) *assertion {
	get := func(k, def string) string {
		if v, ok := m[k].(string); ok && v != "" {
			return v
		}
		return def
	}
	return &assertion{
		key:            key,
		title:          get("title", key),
		errorMessage:   get("errorMessage", ""),
		assertionType:  get("assertionType", "must"),
		expectedResult: get("expectedResult", "valid"),
		onUnexpected:   get("onUnexpectedResult", "failAndContinue"),
	}
}

// outcome is one evaluated assertion.
type outcome struct {
	a *assertion
	// asExpected: the document validated as expectedResult says.
	asExpected bool
	// failed: not as expected, and onUnexpectedResult says that is a failure.
	failed bool
	detail string
}

// run evaluates a list against doc. It stops the list at a *AndSkip and
// everything at a *AndAbort.
func run(list []entry, doc any) (out []outcome, aborted bool) {
	for _, e := range list {
		if e.list != nil {
			sub, ab := run(e.list, doc)
			out = append(out, sub...)
			if ab {
				return out, true
			}
			continue
		}
		o, sub := evaluate(e.a, doc)
		out = append(out, sub...)
		out = append(out, o)
		if !o.asExpected {
			switch {
			case strings.HasSuffix(o.a.onUnexpected, "Abort"):
				return out, true
			case strings.HasSuffix(o.a.onUnexpected, "Skip"):
				return out, false
			}
		}
	}
	return out, false
}

// evaluate runs one assertion; a condition object also returns its children's
// outcomes, which count towards the checks but not as failures of their own:
// the condition's compareWith decides.
func evaluate(a *assertion, doc any) (outcome, []outcome) {
	var valid bool
	var detail string
	var children []outcome
	if a.schema != nil {
		err := a.schema.Validate(doc)
		valid = err == nil
		if err != nil {
			detail = err.Error()
		}
	} else {
		sub, _ := run(a.children, doc)
		valid = a.compareWith == "and"
		for _, o := range sub {
			if o.a.schema == nil {
				continue
			}
			if a.compareWith == "or" {
				valid = valid || o.asExpected
			} else {
				valid = valid && o.asExpected
			}
			o.failed = false
			children = append(children, o)
		}
	}
	o := outcome{a: a, asExpected: valid == (a.expectedResult != "invalid"), detail: detail}
	o.failed = !o.asExpected && strings.HasPrefix(a.onUnexpected, "fail")
	return o, children
}

// TestWebAnnotationMusts validates exports against every MUST assertion of
// the suite's annotationMusts.test.
func TestWebAnnotationMusts(t *testing.T) {
	root := suiteDir(t)
	s := newSuite(root)
	list, err := s.loadTest("annotations/annotationMusts.test")
	if err != nil {
		t.Fatal(err)
	}
	const wantAssertions = 54
	if s.compiled != wantAssertions {
		t.Errorf("annotationMusts.test compiled %d assertions, want %d", s.compiled, wantAssertions)
	}

	samples := allSamples(t)
	if len(samples) < 55 {
		t.Fatalf("only %d samples", len(samples))
	}
	for _, sm := range samples {
		t.Run(sm.name, func(t *testing.T) {
			doc, err := WebAnnotation(sm.ann, sm.article, sm.sources, baseURL)
			if err != nil {
				t.Fatal(err)
			}
			outs, aborted := run(list, wire(t, doc))
			if aborted {
				t.Error("the assertion list was aborted")
			}
			checked := 0
			for _, o := range outs {
				if o.a.schema != nil {
					checked++
				}
				if !o.failed {
					continue
				}
				msg := fmt.Sprintf("%s [%s]: %s\n%s", o.a.key, o.a.assertionType, o.a.errorMessage, o.detail)
				if o.a.assertionType == "must" {
					t.Error(msg)
				} else {
					t.Log(msg)
				}
			}
			if checked != wantAssertions {
				t.Errorf("checked %d assertions, want %d", checked, wantAssertions)
			}
			if t.Failed() {
				b, _ := json.MarshalIndent(doc, "", "  ")
				t.Logf("export:\n%s", b)
			}
		})
	}
}

// TestWebAnnotationMustsCatchBreakage makes sure the harness can fail: the
// research notes' broken sample (negative start, no exact) trips three MUST
// assertions, and an annotation with both body and bodyValue trips another.
func TestWebAnnotationMustsCatchBreakage(t *testing.T) {
	root := suiteDir(t)
	s := newSuite(root)
	list, err := s.loadTest("annotations/annotationMusts.test")
	if err != nil {
		t.Fatal(err)
	}
	sm := shafaqSample(t)
	doc, err := WebAnnotation(sm.ann, sm.article, sm.sources, baseURL)
	if err != nil {
		t.Fatal(err)
	}
	broken := wire(t, doc)
	sels := broken["target"].(map[string]any)["selector"].([]any)
	delete(sels[0].(map[string]any), "exact")
	sels[1].(map[string]any)["start"] = -1.0
	broken["bodyValue"] = "both"
	outs, _ := run(list, broken)
	var failed []string
	for _, o := range outs {
		if o.failed {
			failed = append(failed, path.Base(o.a.key))
		}
	}
	want := []string{
		"3.2.5-notBodyBodyValue.json",
		"4.2-selectorValidIfPresent.json",
		"4.2.4-textQuoteSelectorValid.json",
		"4.2-TextDataPositionSelectorValid.json",
	}
	if strings.Join(failed, " ") != strings.Join(want, " ") {
		t.Errorf("failed assertions %v, want %v", failed, want)
	}
}
