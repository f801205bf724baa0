package store

import (
	"strings"
	"time"

	"github.com/factcheck/factcheck/store/filter"
)

// Change is one entry of the change feed: one write of one resource. Every
// write method records its changes in the transaction of the write, so a
// change is visible exactly when the write is, and a write that fails
// records none.
type Change struct {
	// Sequence numbers the feed: the first change is 1 and each committed
	// change is the previous one plus one, across restarts. Set by the
	// store.
	Sequence int64
	Type     ChangeType
	// Resource names what changed: "articles/{a}",
	// "articles/{a}/annotations/{n}" or "sources/{s}".
	Resource string
	// Parent is the article of an annotation ("articles/{a}"), "" for
	// articles and sources, so that a feed can be filtered by article.
	Parent string
	// Time is when the write happened (the resource's update time, or the
	// time of its deletion), UTC.
	Time time.Time
	// Actor is who made the write (WriteInfo.Actor of its context).
	Actor string
	// FieldPaths lists, for ChangeUpdated and the re-anchoring types, the
	// fields whose values changed, spelled as API update_mask paths and
	// sorted ("claim.claimant.name", "verdict.rating"). Output-only fields
	// that follow every write (etag, update_time) and fields derived from
	// listed ones (revision, text_sha256, anchor.utf16) are not listed.
	// Empty for the other types and for a write that changed no field.
	FieldPaths []string
	// BeforeText and AfterText are, for ChangeReanchored and
	// ChangeClaimTextChanged, the text the annotation's anchor quoted before
	// and after the article's text changed.
	BeforeText, AfterText string
}

// ChangeType says what a write did to its resource.
type ChangeType int32

// Change types; the numbers are the API's Change.Type.
const (
	ChangeTypeUnspecified ChangeType = iota
	// ChangeCreated: the resource was created (also by an import).
	ChangeCreated
	// ChangeUpdated: fields of the resource were written.
	ChangeUpdated
	// ChangeDeleted: the resource was deleted, by a delete of its own or
	// of the article it belonged to.
	ChangeDeleted
	// ChangeUndeleted: a soft-deleted resource was restored.
	ChangeUndeleted
	// ChangePurged: a soft-deleted resource was removed for good.
	ChangePurged
	// ChangeReanchored: an annotation's anchor was moved to follow a new
	// text of its article.
	ChangeReanchored
	// ChangeClaimTextChanged: the article text under an annotation's anchor
	// changed (BeforeText, AfterText say how).
	ChangeClaimTextChanged
)

var changeTypeNames = []string{"TYPE_UNSPECIFIED", "TYPE_CREATED", "TYPE_UPDATED", "TYPE_DELETED",
	"TYPE_UNDELETED", "TYPE_PURGED", "TYPE_REANCHORED", "TYPE_CLAIM_TEXT_CHANGED"}

func (t ChangeType) String() string { return enumName(changeTypeNames, int32(t)) }

// ChangePage is one read of the change feed.
type ChangePage struct {
	// Changes are the matching changes read, in sequence order.
	Changes []*Change
	// Next is where the read stopped: every matching change with a
	// sequence up to Next is in Changes or was returned before. Pass it as
	// after to continue. It may lie beyond the last change returned when
	// the changes after it did not match.
	Next int64
	// Head is the newest sequence committed when the page was read (0 for
	// an empty feed). Next == Head means the feed was read to its end.
	Head int64
}

// ResourceType returns the kind of resource a name denotes: "article",
// "annotation", "source", or "" for a name of none of them.
func ResourceType(name string) string {
	switch {
	case strings.HasPrefix(name, "articles/") && strings.Contains(name, "/annotations/"):
		return "annotation"
	case strings.HasPrefix(name, "articles/"):
		return "article"
	case strings.HasPrefix(name, "sources/"):
		return "source"
	}
	return ""
}

// ChangeFilterSchema names the fields a change feed filters on:
//   - resource_type: article, annotation or source;
//   - resource: the resource's name;
//   - parent: an annotation's article ("" for articles and sources);
//   - article: the article a change concerns, its own or its parent, so
//     `article = "articles/a"` follows one article and its annotations;
//   - type: a Change.Type value name, e.g. TYPE_DELETED;
//   - actor, change_time, field_paths.
var ChangeFilterSchema = filter.Schema{
	"resource_type": {Type: filter.Enum, Values: []string{"article", "annotation", "source"}},
	"resource":      {Type: filter.String},
	"parent":        {Type: filter.String},
	"article":       {Type: filter.String},
	"type":          {Type: filter.Enum, Values: changeTypeNames[1:]},
	"actor":         {Type: filter.String},
	"change_time":   {Type: filter.Timestamp},
	"field_paths":   {Type: filter.RepeatedString},
}

// FilterStrings implements filter.Record.
func (c *Change) FilterStrings(field, _ string) []string {
	switch field {
	case "resource_type":
		return []string{ResourceType(c.Resource)}
	case "resource":
		return []string{c.Resource}
	case "parent":
		return []string{c.Parent}
	case "article":
		if c.Parent != "" {
			return []string{c.Parent}
		}
		if ResourceType(c.Resource) == "article" {
			return []string{c.Resource}
		}
		return []string{""}
	case "type":
		return []string{c.Type.String()}
	case "actor":
		return []string{c.Actor}
	case "field_paths":
		return c.FieldPaths
	}
	return nil
}

// FilterTime implements filter.Record.
func (c *Change) FilterTime(field string) (time.Time, bool) {
	if field == "change_time" {
		return c.Time, !c.Time.IsZero()
	}
	return time.Time{}, false
}

var _ filter.Record = (*Change)(nil)
