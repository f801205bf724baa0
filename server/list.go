package server

import (
	"errors"
	"strconv"
	"strings"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

// Page sizes (AIP-158).
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// pageSize applies the API's defaults and limits to page_size.
func (v *validator) pageSize(field string, n int32) int {
	switch {
	case n < 0:
		v.add(field, reasonInvalidPageSize, "is %d; use a positive number (at most %d), or 0 for the default of %d", n, maxPageSize, defaultPageSize)
		return defaultPageSize
	case n == 0:
		return defaultPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return int(n)
}

// orderSpec is a parsed order_by.
type orderSpec store.OrderBy

// String is the canonical spelling, so "create_time asc" and "" fingerprint
// alike in page tokens.
func (o orderSpec) String() string {
	s := "create_time"
	if o.Field == store.OrderByUpdateTime {
		s = "update_time"
	}
	if o.Desc {
		s += " desc"
	}
	return s
}

// orderBy parses `create_time` or `update_time`, each optionally followed by
// ` asc` or ` desc`.
func (v *validator) orderBy(field, s string) orderSpec {
	var o orderSpec
	words := strings.Fields(s)
	if len(words) == 0 {
		return o
	}
	ok := len(words) <= 2
	if ok {
		switch words[0] {
		case "create_time":
		case "update_time":
			o.Field = store.OrderByUpdateTime
		default:
			ok = false
		}
	}
	if ok && len(words) == 2 {
		switch words[1] {
		case "asc":
		case "desc":
			o.Desc = true
		default:
			ok = false
		}
	}
	if !ok {
		v.add(field, reasonInvalidOrderBy, "%q is not an accepted order; use \"create_time\" (the default) or \"update_time\", each optionally followed by \" desc\" (newest first) or \" asc\"", s)
		return orderSpec{}
	}
	return o
}

// filter parses an AIP-160 filter against a resource's schema.
func (v *validator) filter(field, src string, schema filter.Schema, example string) filter.Expr {
	if strings.TrimSpace(src) == "" {
		return nil
	}
	if len(src) > maxFilterBytes {
		v.add(field, reasonInvalidFilter, "is %d bytes long; filters are limited to %d bytes", len(src), maxFilterBytes)
		return nil
	}
	expr, err := filter.Parse(src, schema)
	if err == nil {
		return expr
	}
	var se *filter.SyntaxError
	if errors.As(err, &se) {
		at := "at offset " + strconv.Itoa(se.Pos)
		if se.Token != "" {
			at += " (" + strconv.Quote(se.Token) + ")"
		}
		v.vs = append(v.vs, violation{
			field:       field,
			reason:      reasonInvalidFilter,
			description: at + ": " + se.Message + "; filters look like " + example,
			metadata:    map[string]string{"offset": strconv.Itoa(se.Pos), "token": se.Token},
		})
		return nil
	}
	v.add(field, reasonInvalidFilter, "%v; filters look like %s", err, example)
	return nil
}
