package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// maskSpec describes the update_mask paths of one resource (AIP-134): which
// paths are mutable and how each copies from the request message M into the
// stored value D, what `*` means, and which paths are output only.
type maskSpec[M, D any] struct {
	// mutable maps each accepted path to the copy it performs. Nested paths
	// ("verdict.rating") sit beside their parents ("verdict").
	mutable map[string]func(from M, to D)
	// star lists what `*` replaces: every top-level mutable field.
	star []string
	// outputOnly paths (and everything under them) are refused by name.
	outputOnly []string
	// whole maps a field that is only replaced as a unit to the hint given
	// for paths under it ("anchor.quote.exact" → use "anchor").
	whole []string
	// labels, when non-nil, allows `labels.{key}` paths that set or remove
	// one key.
	labels func(from M) map[string]string
	// setLabels gives access to the stored labels.
	setLabels func(to D) *map[string]string
	// populated lists the paths set in a message: the mask when none is
	// given.
	populated func(from M) []string
}

func (s *maskSpec[M, D]) mutablePaths() []string {
	paths := make([]string, 0, len(s.mutable)+1)
	for p := range s.mutable {
		paths = append(paths, p)
	}
	if s.labels != nil {
		paths = append(paths, "labels.{key}")
	}
	slices.Sort(paths)
	for i, p := range paths {
		paths[i] = "`" + p + "`"
	}
	return paths
}

// resolve turns the request's mask into the list of paths to apply,
// reporting each bad path as a violation on `update_mask.paths[i]`.
func (s *maskSpec[M, D]) resolve(v *validator, mask *fieldmaskpb.FieldMask, msg M) []string {
	if len(mask.GetPaths()) == 0 {
		return s.populated(msg)
	}
	var out []string
	for i, p := range mask.GetPaths() {
		field := "update_mask.paths[" + strconv.Itoa(i) + "]"
		if p == "*" {
			out = append(out, s.star...)
			continue
		}
		if _, ok := s.mutable[p]; ok {
			out = append(out, p)
			continue
		}
		if key, ok := strings.CutPrefix(p, "labels."); ok && s.labels != nil {
			key = strings.Trim(key, "`")
			if !validLabelKey(key) {
				v.add(field, reasonInvalidUpdateMask, "%q names label key %q, which is not a valid key (1 to 63 lower-case letters, digits, '_', '.' and '-', starting with a letter)", p, key)
				continue
			}
			out = append(out, "labels."+key)
			continue
		}
		if under(p, s.outputOnly) != "" {
			v.add(field, reasonInvalidUpdateMask, "%q is output only and cannot be changed; remove it from the mask", p)
			continue
		}
		if w := under(p, s.whole); w != "" {
			v.add(field, reasonInvalidUpdateMask, "%q is part of %s, which is replaced as a whole: put %q in the mask and send all of %s", p, w, w, w)
			continue
		}
		v.add(field, reasonInvalidUpdateMask, "%q is not a field that can be updated; use `*` or some of %s", p, strings.Join(s.mutablePaths(), ", "))
	}
	return compactPaths(out)
}

// under returns the member of roots that p is or lies beneath.
func under(p string, roots []string) string {
	for _, r := range roots {
		if p == r || strings.HasPrefix(p, r+".") {
			return r
		}
	}
	return ""
}

// compactPaths sorts and de-duplicates paths; a path beneath another one
// in the list adds nothing and is dropped.
func compactPaths(ps []string) []string {
	slices.Sort(ps)
	ps = slices.Compact(ps)
	out := ps[:0]
	for _, p := range ps {
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]+".") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// coveredBy reports whether path is written by the mask: named itself or
// through an ancestor.
func coveredBy(paths []string) covered {
	return func(path string) bool {
		for _, p := range paths {
			if path == p || strings.HasPrefix(path, p+".") {
				return true
			}
		}
		return false
	}
}

// apply copies the masked fields from msg into the stored value. It is
// called inside the store's update closure, possibly more than once, so it
// only writes to `to`.
func (s *maskSpec[M, D]) apply(paths []string, msg M, to D) {
	for _, p := range paths {
		if f, ok := s.mutable[p]; ok {
			f(msg, to)
			continue
		}
		if key, ok := strings.CutPrefix(p, "labels."); ok && s.labels != nil {
			dst := s.setLabels(to)
			if val, ok := s.labels(msg)[key]; ok {
				if *dst == nil {
					*dst = map[string]string{}
				}
				(*dst)[key] = val
			} else {
				delete(*dst, key)
			}
			continue
		}
		panic(fmt.Sprintf("update mask path %q was accepted but has no copy", p))
	}
}

// --- articles ---

var articleMask = &maskSpec[*factcheckv1.Article, *store.Article]{
	mutable: map[string]func(*factcheckv1.Article, *store.Article){
		"url":          func(m *factcheckv1.Article, d *store.Article) { d.URL = m.GetUrl() },
		"title":        func(m *factcheckv1.Article, d *store.Article) { d.Title = m.GetTitle() },
		"publisher":    func(m *factcheckv1.Article, d *store.Article) { d.Publisher = m.GetPublisher() },
		"authors":      func(m *factcheckv1.Article, d *store.Article) { d.Authors = cloneStrings(m.GetAuthors()) },
		"language":     func(m *factcheckv1.Article, d *store.Article) { d.Language = m.GetLanguage() },
		"publish_time": func(m *factcheckv1.Article, d *store.Article) { d.PublishTime = timeFromProto(m.GetPublishTime()) },
		"text":         func(m *factcheckv1.Article, d *store.Article) { d.Text = m.GetText() },
		"labels":       func(m *factcheckv1.Article, d *store.Article) { d.Labels = cloneLabels(m.GetLabels()) },
	},
	star:       []string{"url", "title", "publisher", "authors", "language", "publish_time", "text", "labels"},
	outputOnly: []string{"name", "revision", "text_sha256", "create_time", "update_time", "etag"},
	labels:     (*factcheckv1.Article).GetLabels,
	setLabels:  func(d *store.Article) *map[string]string { return &d.Labels },
	populated: func(m *factcheckv1.Article) []string {
		var ps []string
		add := func(set bool, p string) {
			if set {
				ps = append(ps, p)
			}
		}
		add(m.GetUrl() != "", "url")
		add(m.GetTitle() != "", "title")
		add(m.GetPublisher() != "", "publisher")
		add(len(m.GetAuthors()) > 0, "authors")
		add(m.GetLanguage() != "", "language")
		add(m.GetPublishTime() != nil, "publish_time")
		add(m.GetText() != "", "text")
		add(len(m.GetLabels()) > 0, "labels")
		return ps
	},
}

// --- sources ---

var sourceMask = &maskSpec[*factcheckv1.Source, *store.Source]{
	mutable: map[string]func(*factcheckv1.Source, *store.Source){
		"url":          func(m *factcheckv1.Source, d *store.Source) { d.URL = m.GetUrl() },
		"title":        func(m *factcheckv1.Source, d *store.Source) { d.Title = m.GetTitle() },
		"publisher":    func(m *factcheckv1.Source, d *store.Source) { d.Publisher = m.GetPublisher() },
		"authors":      func(m *factcheckv1.Source, d *store.Source) { d.Authors = cloneStrings(m.GetAuthors()) },
		"kind":         func(m *factcheckv1.Source, d *store.Source) { d.Kind = store.SourceKind(m.GetKind()) },
		"publish_time": func(m *factcheckv1.Source, d *store.Source) { d.PublishTime = timeFromProto(m.GetPublishTime()) },
		"archive_url":  func(m *factcheckv1.Source, d *store.Source) { d.ArchiveURL = m.GetArchiveUrl() },
		"access_time":  func(m *factcheckv1.Source, d *store.Source) { d.AccessTime = timeFromProto(m.GetAccessTime()) },
		"notes":        func(m *factcheckv1.Source, d *store.Source) { d.Notes = m.GetNotes() },
	},
	star:       []string{"url", "title", "publisher", "authors", "kind", "publish_time", "archive_url", "access_time", "notes"},
	outputOnly: []string{"name", "create_time", "update_time", "etag"},
	populated: func(m *factcheckv1.Source) []string {
		var ps []string
		add := func(set bool, p string) {
			if set {
				ps = append(ps, p)
			}
		}
		add(m.GetUrl() != "", "url")
		add(m.GetTitle() != "", "title")
		add(m.GetPublisher() != "", "publisher")
		add(len(m.GetAuthors()) > 0, "authors")
		add(m.GetKind() != 0, "kind")
		add(m.GetPublishTime() != nil, "publish_time")
		add(m.GetArchiveUrl() != "", "archive_url")
		add(m.GetAccessTime() != nil, "access_time")
		add(m.GetNotes() != "", "notes")
		return ps
	},
}

// --- annotations ---

type annotationCopy = func(*factcheckv1.Annotation, *store.Annotation)

var annotationMask = &maskSpec[*factcheckv1.Annotation, *store.Annotation]{
	mutable: map[string]annotationCopy{
		// The anchor is one unit: quote and position must agree, so
		// changing half of it would only ever be refused by the store.
		"anchor": func(m *factcheckv1.Annotation, d *store.Annotation) { d.Anchor = anchorFromProto(m.GetAnchor()) },

		"claim":      func(m *factcheckv1.Annotation, d *store.Annotation) { d.Claim = claimFromProto(m.GetClaim()) },
		"claim.text": func(m *factcheckv1.Annotation, d *store.Annotation) { d.Claim.Text = m.GetClaim().GetText() },
		"claim.claim_time": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Claim.ClaimTime = timeFromProto(m.GetClaim().GetClaimTime())
		},
		"claim.claimant": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Claim.Claimant = claimantFromProto(m.GetClaim().GetClaimant())
		},
		"claim.claimant.name": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Claim.Claimant.Name = m.GetClaim().GetClaimant().GetName()
		},
		"claim.claimant.kind": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Claim.Claimant.Kind = store.ClaimantKind(m.GetClaim().GetClaimant().GetKind())
		},
		"claim.claimant.same_as": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Claim.Claimant.SameAs = m.GetClaim().GetClaimant().GetSameAs()
		},
		"claim.claimant.description": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Claim.Claimant.Description = m.GetClaim().GetClaimant().GetDescription()
		},

		"verdict": func(m *factcheckv1.Annotation, d *store.Annotation) { d.Verdict = verdictFromProto(m.GetVerdict()) },
		"verdict.rating": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Verdict.Rating = store.Rating(m.GetVerdict().GetRating())
		},
		"verdict.label": func(m *factcheckv1.Annotation, d *store.Annotation) { d.Verdict.Label = m.GetVerdict().GetLabel() },
		"verdict.rationale": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Verdict.Rationale = m.GetVerdict().GetRationale()
		},

		"citations": func(m *factcheckv1.Annotation, d *store.Annotation) {
			d.Citations = citationsFromProto(m.GetCitations())
		},
		"state":       func(m *factcheckv1.Annotation, d *store.Annotation) { d.State = store.AnnotationState(m.GetState()) },
		"labels":      func(m *factcheckv1.Annotation, d *store.Annotation) { d.Labels = cloneLabels(m.GetLabels()) },
		"external_id": func(m *factcheckv1.Annotation, d *store.Annotation) { d.ExternalID = m.GetExternalId() },
	},
	star: []string{"anchor", "claim", "verdict", "citations", "state", "labels", "external_id"},
	outputOnly: []string{"name", "author", "create_time", "update_time", "etag", "revision_id",
		"anchor.article_revision", "anchor.status", "anchor.utf16", "anchor.utf8",
		"anchor.previous_position", "anchor.previous_article_revision", "anchor.match_score", "anchor.found_text"},
	whole:     []string{"anchor"},
	labels:    (*factcheckv1.Annotation).GetLabels,
	setLabels: func(d *store.Annotation) *map[string]string { return &d.Labels },
	populated: func(m *factcheckv1.Annotation) []string {
		var ps []string
		add := func(set bool, p string) {
			if set {
				ps = append(ps, p)
			}
		}
		an := m.GetAnchor()
		q := an.GetQuote()
		add(q.GetExact() != "" || q.GetPrefix() != "" || q.GetSuffix() != "" || an.GetPosition() != nil, "anchor")
		cl := m.GetClaim()
		add(cl.GetText() != "", "claim.text")
		add(cl.GetClaimant().GetName() != "", "claim.claimant.name")
		add(cl.GetClaimant().GetKind() != 0, "claim.claimant.kind")
		add(cl.GetClaimant().GetSameAs() != "", "claim.claimant.same_as")
		add(cl.GetClaimant().GetDescription() != "", "claim.claimant.description")
		add(cl.GetClaimTime() != nil, "claim.claim_time")
		vd := m.GetVerdict()
		add(vd.GetRating() != 0, "verdict.rating")
		add(vd.GetLabel() != "", "verdict.label")
		add(vd.GetRationale() != "", "verdict.rationale")
		add(len(m.GetCitations()) > 0, "citations")
		add(m.GetState() != 0, "state")
		add(len(m.GetLabels()) > 0, "labels")
		add(m.GetExternalId() != "", "external_id")
		return ps
	},
}
