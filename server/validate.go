package server

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// Limits from the API's field comments.
const (
	maxURLBytes        = 2048
	maxTitleChars      = 1000
	maxPublisherChars  = 200
	maxAuthors         = 50
	maxAuthorChars     = 200
	maxTextBytes       = 1 << 20
	maxLabels          = 64
	maxLabelValueBytes = 256
	maxNotesChars      = 10000
	maxQuoteChars      = 10000
	maxContextChars    = 256
	maxClaimChars      = 2000
	maxClaimantChars   = 200
	maxDescriptionChar = 1000
	maxVerdictLabel    = 200
	maxRationaleChars  = 100000
	maxCitations       = 100
	maxCitationChars   = 10000
	maxExternalIDBytes = 256
	maxEtagBytes       = 256
	maxFilterBytes     = 8192
	maxPageTokenBytes  = 4096
	maxLanguageBytes   = 64
)

// validID reports whether s is an ID: 1 to 63 lower-case letters, digits
// and hyphens, starting with a letter. validLabelKey is the same with '_'
// and '.' too. They are written out rather than regular expressions because
// every call that names a resource runs one: the regexp match and the name's
// strings.Split were about 3% of a GetAnnotation's server CPU.
func validID(s string) bool { return validKey(s, "-") }

func validLabelKey(s string) bool { return validKey(s, "-_.") }

func validKey(s, punct string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte(punct, c) >= 0) {
			return false
		}
	}
	return true
}

var (
	// A BCP-47 tag's shape (RFC 5646 §2.1): a 2–3 letter language (or a
	// registered 4–8 letter one, or private use "x-…") followed by subtags
	// of 1–8 letters and digits. Whether each subtag is registered is not
	// checked: new tags appear faster than any table here would follow.
	languagePattern = regexp.MustCompile(`^(?:[A-Za-z]{2,8}|[xX])(?:-[A-Za-z0-9]{1,8})*$`)
)

// violation is one offending field of a request. reason is the kind of
// problem, used as the ErrorInfo reason when it is the only kind.
type violation struct {
	field, reason, description string
	metadata                   map[string]string
}

// validator collects every violation of a request, so a client learns of
// all its mistakes in one round trip.
type validator struct {
	vs []violation
}

func (v *validator) add(field, reason, format string, args ...any) {
	v.vs = append(v.vs, violation{field: field, reason: reason, description: fmt.Sprintf(format, args...)})
}

// err returns nil or the store.Error describing every violation; toStatus
// turns it into INVALID_ARGUMENT with a BadRequest.
func (v *validator) err() error {
	if len(v.vs) == 0 {
		return nil
	}
	reason := v.vs[0].reason
	meta := map[string]string{}
	for k, val := range v.vs[0].metadata {
		meta[k] = val
	}
	fields := make([]string, 0, len(v.vs))
	vs := make([]store.Violation, 0, len(v.vs))
	for _, x := range v.vs {
		if x.reason != reason {
			reason = reasonInvalidFields
		}
		fields = append(fields, x.field)
		vs = append(vs, store.Violation{Field: x.field, Description: x.description})
	}
	var msg string
	if len(v.vs) == 1 {
		msg = v.vs[0].field + ": " + v.vs[0].description
	} else {
		meta = map[string]string{}
		parts := make([]string, len(v.vs))
		for i, x := range v.vs {
			parts[i] = x.field + ": " + x.description
		}
		msg = fmt.Sprintf("%d problems with the request: %s", len(v.vs), strings.Join(parts, "; "))
	}
	meta["fields"] = strings.Join(slices.Compact(fields), ",")
	return &store.Error{Kind: store.ErrInvalidArgument, Reason: reason, Message: msg, Violations: vs, Metadata: meta}
}

// --- scalar checks ---

// text checks a free-form string: valid UTF-8 and at most maxChars code
// points (the API's "characters").
func (v *validator) text(field, s string, maxChars int) {
	if !utf8.ValidString(s) {
		v.add(field, reasonInvalidUTF8, "is not valid UTF-8; send text encoded as UTF-8")
		return
	}
	if n := utf8.RuneCountInString(s); n > maxChars {
		v.add(field, reasonFieldTooLong, "is %d characters long; the limit is %d", n, maxChars)
	}
}

// bytes is text with a limit in bytes.
func (v *validator) bytes(field, s string, maxBytes int) {
	if !utf8.ValidString(s) {
		v.add(field, reasonInvalidUTF8, "is not valid UTF-8; send text encoded as UTF-8")
		return
	}
	if len(s) > maxBytes {
		v.add(field, reasonFieldTooLong, "is %d bytes long; the limit is %d bytes", len(s), maxBytes)
	}
}

func (v *validator) required(field, s, hint string) bool {
	if s == "" {
		v.add(field, reasonFieldRequired, "is required: %s", hint)
		return false
	}
	return true
}

// url checks an absolute http(s) URL; empty is left to required.
func (v *validator) url(field, s string) {
	if s == "" {
		return
	}
	if !utf8.ValidString(s) {
		v.add(field, reasonInvalidUTF8, "is not valid UTF-8")
		return
	}
	if len(s) > maxURLBytes {
		v.add(field, reasonFieldTooLong, "is %d bytes long; URLs are limited to %d bytes", len(s), maxURLBytes)
		return
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) {
		v.add(field, reasonInvalidURL, "%q is not an absolute http or https URL; write it in full, e.g. \"https://example.com/path\"", s)
	}
}

// id checks a client-chosen ID; empty means "let the server choose".
func (v *validator) id(field, s string) {
	if s != "" && !validID(s) {
		v.add(field, reasonInvalidID, "%q is not a valid ID: use 1 to 63 lower-case letters, digits and hyphens, starting with a letter (e.g. \"shafaq-talks\"), or leave it empty to let the server choose", s)
	}
}

func (v *validator) enum(field string, n protoreflect.EnumNumber, desc protoreflect.EnumDescriptor) {
	if desc.Values().ByNumber(n) == nil {
		names := make([]string, 0, desc.Values().Len())
		for i := 0; i < desc.Values().Len(); i++ {
			names = append(names, string(desc.Values().Get(i).Name()))
		}
		v.add(field, reasonInvalidEnum, "%d is not a value of %s; use one of %s", n, desc.FullName(), strings.Join(names, ", "))
	}
}

func (v *validator) timestamp(field string, ts *timestamppb.Timestamp) {
	if ts == nil {
		return
	}
	if err := ts.CheckValid(); err != nil {
		v.add(field, reasonInvalidTimestamp, "is not a valid time (%v); use an RFC 3339 time between years 0001 and 9999", err)
	}
}

func (v *validator) language(field, s string) {
	if s == "" {
		return
	}
	if len(s) > maxLanguageBytes || !languagePattern.MatchString(s) {
		v.add(field, reasonInvalidLanguage, "%q is not a BCP-47 language tag; use e.g. \"en\", \"ar\" or \"pt-BR\"", s)
	}
}

func (v *validator) stringList(field string, ss []string, maxEntries, maxChars int) {
	if len(ss) > maxEntries {
		v.add(field, reasonTooManyItems, "has %d entries; the limit is %d", len(ss), maxEntries)
	}
	for i, s := range ss {
		f := field + "[" + strconv.Itoa(i) + "]"
		if s == "" {
			v.add(f, reasonFieldRequired, "is empty; leave out empty entries")
			continue
		}
		v.text(f, s, maxChars)
	}
}

// labels checks a whole labels map, in key order so that reports are stable.
func (v *validator) labels(field string, m map[string]string) {
	if len(m) > maxLabels {
		v.add(field, reasonTooManyItems, "has %d entries; the limit is %d", len(m), maxLabels)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.label(field, k, m[k])
	}
}

func (v *validator) labelKey(field, k string) bool {
	if !validLabelKey(k) {
		v.add(labelField(field, k), reasonInvalidLabel, "key %q is not valid: keys are 1 to 63 lower-case letters, digits, '_', '.' and '-', starting with a letter", k)
		return false
	}
	return true
}

func (v *validator) label(field, k, val string) {
	if v.labelKey(field, k) {
		v.bytes(labelField(field, k), val, maxLabelValueBytes)
	}
}

func labelField(field, key string) string { return field + "[" + strconv.Quote(key) + "]" }

// --- resource names ---

// A name's segments are IDs (validID): what the store generated or a
// client chose. An ID holds no '/', so a name with more segments fails.

func parseName(name, collection string) (string, bool) {
	c, id, ok := strings.Cut(name, "/")
	return id, ok && c == collection && validID(id)
}

// parseChildName parses `{collection}/{parent}/{child}/{id}`.
func parseChildName(name, collection, child string) (parentID, id string, ok bool) {
	c, rest, _ := strings.Cut(name, "/")
	parentID, rest, _ = strings.Cut(rest, "/")
	ch, id, _ := strings.Cut(rest, "/")
	if c != collection || ch != child || !validID(parentID) || !validID(id) {
		return "", "", false
	}
	return parentID, id, true
}

// articleName parses `articles/{article}`.
func (v *validator) articleName(field, name string) string {
	if !v.required(field, name, "name the article as `articles/{article}`") {
		return ""
	}
	id, ok := parseName(name, "articles")
	if !ok {
		v.add(field, reasonInvalidName, "%q is not an article name; write `articles/{article}`, e.g. \"articles/shafaq-talks\"", name)
	}
	return id
}

// sourceName parses `sources/{source}`.
func (v *validator) sourceName(field, name string) string {
	if !v.required(field, name, "name the source as `sources/{source}`") {
		return ""
	}
	id, ok := parseName(name, "sources")
	if !ok {
		v.add(field, reasonInvalidName, "%q is not a source name; write `sources/{source}`, e.g. \"sources/wapo-talks\"", name)
	}
	return id
}

// annotationName parses `articles/{article}/annotations/{annotation}`.
func (v *validator) annotationName(field, name string) (articleID, id string) {
	if !v.required(field, name, "name the annotation as `articles/{article}/annotations/{annotation}`") {
		return "", ""
	}
	articleID, id, ok := parseChildName(name, "articles", "annotations")
	if !ok {
		v.add(field, reasonInvalidName, "%q is not an annotation name; write `articles/{article}/annotations/{annotation}`, e.g. \"articles/shafaq-talks/annotations/talks-before-oct-7\"", name)
	}
	return articleID, id
}

// parseRevision parses a revision number as names spell it (no sign, no
// leading zero, within int32), or reports false.
func parseRevision(s string) (int32, bool) {
	if len(s) == 0 || len(s) > 10 || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return int32(n), err == nil
}

// articleRevisionName parses `articles/{article}/revisions/{revision}`.
func (v *validator) articleRevisionName(field, name string) (articleID string, revision int32) {
	if !v.required(field, name, "name the revision as `articles/{article}/revisions/{revision}`") {
		return "", 0
	}
	parts := strings.Split(name, "/")
	ok := len(parts) == 4 && parts[0] == "articles" && parts[2] == "revisions" && validID(parts[1])
	if ok {
		revision, ok = parseRevision(parts[3])
	}
	if !ok {
		v.add(field, reasonInvalidName, "%q is not an article revision name; write `articles/{article}/revisions/{revision}` with a revision number from 1, e.g. \"articles/shafaq-talks/revisions/2\"", name)
		return "", 0
	}
	return parts[1], revision
}

// annotationRevisionName parses
// `articles/{article}/annotations/{annotation}/revisions/{revision_id}`.
func (v *validator) annotationRevisionName(field, name string) (articleID, id string, revision int32) {
	if !v.required(field, name, "name the revision as `articles/{article}/annotations/{annotation}/revisions/{revision_id}`") {
		return "", "", 0
	}
	parts := strings.Split(name, "/")
	ok := len(parts) == 6 && parts[0] == "articles" && parts[2] == "annotations" && parts[4] == "revisions" &&
		validID(parts[1]) && validID(parts[3])
	if ok {
		revision, ok = parseRevision(parts[5])
	}
	if !ok {
		v.add(field, reasonInvalidName, "%q is not an annotation revision name; write `articles/{article}/annotations/{annotation}/revisions/{revision_id}`, e.g. \"articles/shafaq-talks/annotations/talks-before-oct-7/revisions/3\"", name)
		return "", "", 0
	}
	return parts[1], parts[3], revision
}

// revisionID parses a revision_id field: a revision number from 1.
func (v *validator) revisionID(field, s string) int32 {
	if !v.required(field, s, "give the revision_id of the revision to restore, as ListAnnotationRevisions returns it") {
		return 0
	}
	n, ok := parseRevision(s)
	if !ok {
		v.add(field, reasonInvalidRevisionID, "%q is not a revision ID; revision IDs are numbers from 1, as ListAnnotationRevisions returns them", s)
	}
	return n
}

// revisionOrder parses the order_by of a revisions list: key, `key desc`
// (the default, newest first) or `key asc`. It reports oldest first.
func (v *validator) revisionOrder(field, s, key string) bool {
	words := strings.Fields(s)
	switch {
	case len(words) == 0:
		return false
	case words[0] != key || len(words) > 2:
	case len(words) == 1:
		return true
	case words[1] == "asc":
		return true
	case words[1] == "desc":
		return false
	}
	v.add(field, reasonInvalidOrderBy, "%q is not an accepted order; use \"%s desc\" (the default, newest first) or \"%s\" (oldest first)", s, key, key)
	return false
}

// annotationParent parses the parent of ListAnnotations; `articles/-`
// (every article) comes back as "".
func (v *validator) annotationParent(field, name string, allowAll bool) string {
	if allowAll && name == "articles/-" {
		return ""
	}
	if !v.required(field, name, "name the article as `articles/{article}`") {
		return ""
	}
	id, ok := parseName(name, "articles")
	if !ok {
		hint := ""
		if allowAll {
			hint = ", or `articles/-` for every article"
		}
		v.add(field, reasonInvalidName, "%q is not an article name; write `articles/{article}`%s", name, hint)
	}
	return id
}

func (v *validator) etag(field, s string) {
	if s != "" {
		v.bytes(field, s, maxEtagBytes)
	}
}

// --- resources ---

// covered says whether a field path is being written: always on create,
// and on update when the mask names the path or one of its ancestors.
type covered func(path string) bool

func all(string) bool { return true }

// article checks the input fields of an article. Output-only fields are
// ignored, as AIP-203 asks.
func (v *validator) article(p string, a *factcheckv1.Article, c covered) {
	if c("url") && v.required(p+".url", a.GetUrl(), "give the article's canonical URL") {
		v.url(p+".url", a.GetUrl())
	}
	if c("title") {
		v.text(p+".title", a.GetTitle(), maxTitleChars)
	}
	if c("publisher") {
		v.text(p+".publisher", a.GetPublisher(), maxPublisherChars)
	}
	if c("authors") {
		v.stringList(p+".authors", a.GetAuthors(), maxAuthors, maxAuthorChars)
	}
	if c("language") {
		v.language(p+".language", a.GetLanguage())
	}
	if c("publish_time") {
		v.timestamp(p+".publish_time", a.GetPublishTime())
	}
	if c("text") && v.required(p+".text", a.GetText(), "give the article's plain text, which annotations anchor into") {
		v.bytes(p+".text", a.GetText(), maxTextBytes)
	}
	v.labelsCovered(p+".labels", a.GetLabels(), c)
}

// labelsCovered checks the whole map when "labels" is written, else the
// single keys named by `labels.{key}` mask paths.
func (v *validator) labelsCovered(field string, m map[string]string, c covered) {
	if c("labels") {
		v.labels(field, m)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if c("labels." + k) {
			v.label(field, k, m[k])
		}
	}
}

func (v *validator) source(p string, s *factcheckv1.Source, c covered) {
	if c("url") && v.required(p+".url", s.GetUrl(), "give the source's URL") {
		v.url(p+".url", s.GetUrl())
	}
	if c("title") {
		v.text(p+".title", s.GetTitle(), maxTitleChars)
	}
	if c("publisher") {
		v.text(p+".publisher", s.GetPublisher(), maxPublisherChars)
	}
	if c("authors") {
		v.stringList(p+".authors", s.GetAuthors(), maxAuthors, maxAuthorChars)
	}
	if c("kind") {
		v.enum(p+".kind", protoreflect.EnumNumber(s.GetKind()), factcheckv1.Source_KIND_UNSPECIFIED.Descriptor())
	}
	if c("publish_time") {
		v.timestamp(p+".publish_time", s.GetPublishTime())
	}
	if c("archive_url") {
		v.url(p+".archive_url", s.GetArchiveUrl())
	}
	if c("access_time") {
		v.timestamp(p+".access_time", s.GetAccessTime())
	}
	if c("notes") {
		v.text(p+".notes", s.GetNotes(), maxNotesChars)
	}
}

func (v *validator) annotation(p string, a *factcheckv1.Annotation, c covered) {
	if c("anchor") {
		v.anchor(p+".anchor", a.GetAnchor())
	}
	if c("claim.text") && v.required(p+".claim.text", a.GetClaim().GetText(), "state the claim as a short checkable sentence") {
		v.text(p+".claim.text", a.GetClaim().GetText(), maxClaimChars)
	}
	cl := a.GetClaim().GetClaimant()
	if c("claim.claimant.name") {
		v.text(p+".claim.claimant.name", cl.GetName(), maxClaimantChars)
	}
	if c("claim.claimant.kind") {
		v.enum(p+".claim.claimant.kind", protoreflect.EnumNumber(cl.GetKind()), factcheckv1.Claimant_KIND_UNSPECIFIED.Descriptor())
	}
	if c("claim.claimant.same_as") {
		v.url(p+".claim.claimant.same_as", cl.GetSameAs())
	}
	if c("claim.claimant.description") {
		v.text(p+".claim.claimant.description", cl.GetDescription(), maxDescriptionChar)
	}
	if c("claim.claim_time") {
		v.timestamp(p+".claim.claim_time", a.GetClaim().GetClaimTime())
	}
	vd := a.GetVerdict()
	if c("verdict.rating") {
		v.enum(p+".verdict.rating", protoreflect.EnumNumber(vd.GetRating()), factcheckv1.Rating_RATING_UNSPECIFIED.Descriptor())
	}
	if c("verdict.label") {
		v.text(p+".verdict.label", vd.GetLabel(), maxVerdictLabel)
	}
	if c("verdict.rationale") {
		v.text(p+".verdict.rationale", vd.GetRationale(), maxRationaleChars)
	}
	if c("citations") {
		v.citations(p+".citations", a.GetCitations())
	}
	if c("state") {
		v.enum(p+".state", protoreflect.EnumNumber(a.GetState()), factcheckv1.Annotation_STATE_UNSPECIFIED.Descriptor())
	}
	v.labelsCovered(p+".labels", a.GetLabels(), c)
	if c("external_id") {
		v.bytes(p+".external_id", a.GetExternalId(), maxExternalIDBytes)
	}
}

// anchor checks the input fields of an anchor; whether it fits the article's
// text is the store's to say (it holds the text).
func (v *validator) anchor(p string, an *factcheckv1.Anchor) {
	q := an.GetQuote()
	if v.required(p+".quote.exact", q.GetExact(), "quote the exact words of the article the claim is made in") {
		v.text(p+".quote.exact", q.GetExact(), maxQuoteChars)
	}
	v.text(p+".quote.prefix", q.GetPrefix(), maxContextChars)
	v.text(p+".quote.suffix", q.GetSuffix(), maxContextChars)
	if pos := an.GetPosition(); pos != nil {
		if pos.GetStart() < 0 {
			v.add(p+".position.start", reasonInvalidPosition, "is %d; positions count code points from 0", pos.GetStart())
		}
		if pos.GetEnd() < 0 {
			v.add(p+".position.end", reasonInvalidPosition, "is %d; positions count code points from 0", pos.GetEnd())
		}
	}
}

func (v *validator) citations(p string, cs []*factcheckv1.Citation) {
	if len(cs) > maxCitations {
		v.add(p, reasonTooManyItems, "has %d entries; the limit is %d", len(cs), maxCitations)
	}
	for i, c := range cs {
		f := p + "[" + strconv.Itoa(i) + "]"
		v.sourceName(f+".source", c.GetSource())
		v.text(f+".quote", c.GetQuote(), maxCitationChars)
		v.enum(f+".stance", protoreflect.EnumNumber(c.GetStance()), factcheckv1.Stance_STANCE_UNSPECIFIED.Descriptor())
		v.text(f+".note", c.GetNote(), maxCitationChars)
	}
}

// note checks a required note of the workflow (a return note, a retraction
// reason): present, not blank, at most maxNoteChars characters. hint says
// what to write.
func (v *validator) note(field, s, hint string) {
	if strings.TrimSpace(s) == "" {
		v.add(field, reasonFieldRequired, "is required: %s (at most %d characters); it stays in the annotation's history", hint, maxNoteChars)
		return
	}
	v.text(field, s, maxNoteChars)
}
