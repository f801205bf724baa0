package store

import (
	"time"

	"github.com/factcheck/factcheck/store/filter"
)

// The filter schemas name the fields each List method filters on, spelled as
// in the API (protojson paths, enum value names).
var (
	ArticleFilterSchema = filter.Schema{
		"url":          {Type: filter.String},
		"publisher":    {Type: filter.String},
		"language":     {Type: filter.String},
		"title":        {Type: filter.String},
		"publish_time": {Type: filter.Timestamp},
		"create_time":  {Type: filter.Timestamp},
		"update_time":  {Type: filter.Timestamp},
		"labels":       {Type: filter.Map},
	}
	AnnotationFilterSchema = filter.Schema{
		"state":               {Type: filter.Enum, Values: annotationStateNames[1:]},
		"verdict.rating":      {Type: filter.Enum, Values: ratingNames},
		"claim.claimant.name": {Type: filter.String},
		"citations.source":    {Type: filter.RepeatedString},
		"anchor.status":       {Type: filter.Enum, Values: anchorStatusNames[1:]},
		"external_id":         {Type: filter.String},
		"author":              {Type: filter.String},
		"labels":              {Type: filter.Map},
		"create_time":         {Type: filter.Timestamp},
		"update_time":         {Type: filter.Timestamp},
	}
	SourceFilterSchema = filter.Schema{
		"url":          {Type: filter.String},
		"publisher":    {Type: filter.String},
		"kind":         {Type: filter.Enum, Values: sourceKindNames},
		"publish_time": {Type: filter.Timestamp},
		"create_time":  {Type: filter.Timestamp},
		"update_time":  {Type: filter.Timestamp},
	}
)

// FilterStrings implements filter.Record.
func (a *Article) FilterStrings(field, key string) []string {
	switch field {
	case "url":
		return []string{a.URL}
	case "publisher":
		return []string{a.Publisher}
	case "language":
		return []string{a.Language}
	case "title":
		return []string{a.Title}
	case "labels":
		return mapValues(a.Labels, key)
	}
	return nil
}

// FilterTime implements filter.Record.
func (a *Article) FilterTime(field string) (time.Time, bool) {
	switch field {
	case "publish_time":
		return a.PublishTime, !a.PublishTime.IsZero()
	case "create_time":
		return a.CreateTime, true
	case "update_time":
		return a.UpdateTime, true
	}
	return time.Time{}, false
}

// FilterStrings implements filter.Record. citations.source holds resource
// names ("sources/{id}"), as the API spells them.
func (a *Annotation) FilterStrings(field, key string) []string {
	switch field {
	case "state":
		return []string{a.State.String()}
	case "verdict.rating":
		return []string{a.Verdict.Rating.String()}
	case "claim.claimant.name":
		return []string{a.Claim.Claimant.Name}
	case "citations.source":
		out := make([]string, len(a.Citations))
		for i, c := range a.Citations {
			out[i] = SourceName(c.SourceID)
		}
		return out
	case "anchor.status":
		return []string{a.Anchor.Status.String()}
	case "external_id":
		return []string{a.ExternalID}
	case "author":
		return []string{a.Author}
	case "labels":
		return mapValues(a.Labels, key)
	}
	return nil
}

// FilterTime implements filter.Record.
func (a *Annotation) FilterTime(field string) (time.Time, bool) {
	switch field {
	case "create_time":
		return a.CreateTime, true
	case "update_time":
		return a.UpdateTime, true
	}
	return time.Time{}, false
}

// FilterStrings implements filter.Record.
func (s *Source) FilterStrings(field, key string) []string {
	switch field {
	case "url":
		return []string{s.URL}
	case "publisher":
		return []string{s.Publisher}
	case "kind":
		return []string{s.Kind.String()}
	}
	return nil
}

// FilterTime implements filter.Record.
func (s *Source) FilterTime(field string) (time.Time, bool) {
	switch field {
	case "publish_time":
		return s.PublishTime, !s.PublishTime.IsZero()
	case "create_time":
		return s.CreateTime, true
	case "update_time":
		return s.UpdateTime, true
	}
	return time.Time{}, false
}

func mapValues(m map[string]string, key string) []string {
	if key != "" {
		if v, ok := m[key]; ok {
			return []string{v}
		}
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

var (
	_ filter.Record = (*Article)(nil)
	_ filter.Record = (*Annotation)(nil)
	_ filter.Record = (*Source)(nil)
)
