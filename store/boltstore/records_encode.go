package boltstore

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// appendAnnotation appends the encoding of r that
// proto.MarshalOptions{Deterministic: true} gives, to the byte, written out
// rather than driven by reflection (see encode for why). It sizes r first
// and grows dst once. A record it does not have in mind — unknown fields in
// any of its messages (read from a newer schema), a nil citation, a string
// that is not UTF-8 (proto refuses to marshal it) — goes to proto instead,
// as does a nil r. A field added to the schema must be added here too, or
// it would not be written: TestEncodeAnnotation, which sets every field the
// schema has, fails until it is.
func appendAnnotation(dst []byte, r *recordpb.Annotation) ([]byte, error) {
	var labels labelEntries
	n, ok := annotationSize(r, &labels)
	if !ok {
		return proto.MarshalOptions{Deterministic: true}.MarshalAppend(dst, r)
	}
	b := dst
	if b == nil {
		b = make([]byte, 0, n)
	} else {
		b = slices.Grow(b, n)
	}
	start := len(b)
	b = appendAnnotationFields(b, r, &labels)
	if len(b)-start != n {
		// A bug here or r changed meanwhile; proto fails the same way.
		return nil, fmt.Errorf("annotation record: sized %d bytes, wrote %d", n, len(b)-start)
	}
	return b, nil
}

// annotationSize is the length of r's encoding, and false for a record
// appendAnnotation leaves to proto. It collects r's labels in l, sorted.
func annotationSize(r *recordpb.Annotation, l *labelEntries) (int, bool) {
	if r == nil || hasUnknown(r) ||
		!validUTF8(r.Id) || !validUTF8(r.ArticleId) || !validUTF8(r.ExternalId) ||
		!validUTF8(r.Author) || !validUTF8(r.Etag) {
		return 0, false
	}
	for _, t := range [...]*timestamppb.Timestamp{r.CreateTime, r.UpdateTime, r.DeleteTime, r.PurgeTime} {
		if t != nil && hasUnknown(t) {
			return 0, false
		}
	}
	n := sizeString(1, r.Id) + sizeString(2, r.ArticleId)
	if r.ArticleKey != 0 {
		n += 1 + 8
	}
	if a := r.Anchor; a != nil {
		if hasUnknown(a) || !validUTF8(a.Exact) || !validUTF8(a.Prefix) ||
			!validUTF8(a.Suffix) || !validUTF8(a.FoundText) {
			return 0, false
		}
		n += sizeMessage(4, anchorSize(a))
	}
	if c := r.Claim; c != nil {
		if hasUnknown(c) || !validUTF8(c.Text) || !validUTF8(c.ClaimantName) ||
			!validUTF8(c.ClaimantSameAs) || !validUTF8(c.ClaimantDescription) ||
			c.ClaimTime != nil && hasUnknown(c.ClaimTime) {
			return 0, false
		}
		n += sizeMessage(5, claimSize(c))
	}
	if v := r.Verdict; v != nil {
		if hasUnknown(v) || !validUTF8(v.Label) || !validUTF8(v.Rationale) {
			return 0, false
		}
		n += sizeMessage(6, verdictSize(v))
	}
	for _, c := range r.Citations {
		if c == nil || hasUnknown(c) || !validUTF8(c.SourceId) || !validUTF8(c.Quote) ||
			!validUTF8(c.Note) {
			return 0, false
		}
		n += sizeMessage(7, citationSize(c))
	}
	n += sizeInt32(8, r.State)
	l.n = 0
	for k, v := range r.Labels {
		if !validUTF8(k) || !validUTF8(v) {
			return 0, false
		}
		n += sizeMessage(9, labelSize(k, v))
		l.add(k, v)
	}
	n += sizeString(10, r.ExternalId) + sizeString(11, r.Author) +
		sizeTimestamp(12, r.CreateTime) + sizeTimestamp(13, r.UpdateTime) +
		sizeString(14, r.Etag) + sizeInt32(15, r.RevisionId) +
		sizeTimestamp(16, r.DeleteTime) + sizeTimestamp(17, r.PurgeTime) +
		sizeBool(18, r.DeletedWithArticle)
	return n, true
}

// appendAnnotationFields appends r's fields in field-number order, as
// proto does; annotationSize has checked r and collected its labels in l.
func appendAnnotationFields(b []byte, r *recordpb.Annotation, l *labelEntries) []byte {
	b = appendString(b, 1, r.Id)
	b = appendString(b, 2, r.ArticleId)
	if r.ArticleKey != 0 {
		b = appendTag(b, 3, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, r.ArticleKey)
	}
	if a := r.Anchor; a != nil {
		b = appendLen(b, 4, anchorSize(a))
		b = appendAnchor(b, a)
	}
	if c := r.Claim; c != nil {
		b = appendLen(b, 5, claimSize(c))
		b = appendString(b, 1, c.Text)
		b = appendString(b, 2, c.ClaimantName)
		b = appendInt32(b, 3, c.ClaimantKind)
		b = appendString(b, 4, c.ClaimantSameAs)
		b = appendString(b, 5, c.ClaimantDescription)
		b = appendTimestamp(b, 6, c.ClaimTime)
	}
	if v := r.Verdict; v != nil {
		b = appendLen(b, 6, verdictSize(v))
		b = appendInt32(b, 1, v.Rating)
		b = appendString(b, 2, v.Label)
		b = appendString(b, 3, v.Rationale)
	}
	for _, c := range r.Citations {
		b = appendLen(b, 7, citationSize(c))
		b = appendString(b, 1, c.SourceId)
		if c.SourceKey != 0 {
			b = appendTag(b, 2, protowire.Fixed64Type)
			b = protowire.AppendFixed64(b, c.SourceKey)
		}
		b = appendString(b, 3, c.Quote)
		b = appendInt32(b, 4, c.Stance)
		b = appendString(b, 5, c.Note)
	}
	b = appendInt32(b, 8, r.State)
	b = appendLabels(b, 9, r.Labels, l)
	b = appendString(b, 10, r.ExternalId)
	b = appendString(b, 11, r.Author)
	b = appendTimestamp(b, 12, r.CreateTime)
	b = appendTimestamp(b, 13, r.UpdateTime)
	b = appendString(b, 14, r.Etag)
	b = appendInt32(b, 15, r.RevisionId)
	b = appendTimestamp(b, 16, r.DeleteTime)
	b = appendTimestamp(b, 17, r.PurgeTime)
	return appendBool(b, 18, r.DeletedWithArticle)
}

func anchorSize(a *recordpb.Anchor) int {
	n := sizeString(1, a.Exact) + sizeString(2, a.Prefix) + sizeString(3, a.Suffix) +
		sizeInt64(4, a.Start) + sizeInt64(5, a.End) +
		sizeInt32(6, a.ArticleRevision) + sizeInt32(7, a.Status) +
		sizeInt64(8, a.Utf16Start) + sizeInt64(9, a.Utf16End) +
		sizeInt64(10, a.Utf8Start) + sizeInt64(11, a.Utf8End) +
		sizeBool(12, a.HasPrevious) + sizeInt64(13, a.PreviousStart) + sizeInt64(14, a.PreviousEnd) +
		sizeInt32(15, a.PreviousArticleRevision)
	if scoreSet(a.Score) {
		n += tagSize(16) + 8
	}
	return n + sizeString(17, a.FoundText)
}

func appendAnchor(b []byte, a *recordpb.Anchor) []byte {
	b = appendString(b, 1, a.Exact)
	b = appendString(b, 2, a.Prefix)
	b = appendString(b, 3, a.Suffix)
	b = appendInt64(b, 4, a.Start)
	b = appendInt64(b, 5, a.End)
	b = appendInt32(b, 6, a.ArticleRevision)
	b = appendInt32(b, 7, a.Status)
	b = appendInt64(b, 8, a.Utf16Start)
	b = appendInt64(b, 9, a.Utf16End)
	b = appendInt64(b, 10, a.Utf8Start)
	b = appendInt64(b, 11, a.Utf8End)
	b = appendBool(b, 12, a.HasPrevious)
	b = appendInt64(b, 13, a.PreviousStart)
	b = appendInt64(b, 14, a.PreviousEnd)
	b = appendInt32(b, 15, a.PreviousArticleRevision)
	if scoreSet(a.Score) {
		b = appendTag(b, 16, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(a.Score))
	}
	return appendString(b, 17, a.FoundText)
}

// scoreSet reports whether proto3 writes the double x: every value but +0
// (-0 and NaN included), that is every bit pattern but all zeros.
func scoreSet(x float64) bool { return math.Float64bits(x) != 0 }

func claimSize(c *recordpb.Claim) int {
	return sizeString(1, c.Text) + sizeString(2, c.ClaimantName) + sizeInt32(3, c.ClaimantKind) +
		sizeString(4, c.ClaimantSameAs) + sizeString(5, c.ClaimantDescription) +
		sizeTimestamp(6, c.ClaimTime)
}

func verdictSize(v *recordpb.Verdict) int {
	return sizeInt32(1, v.Rating) + sizeString(2, v.Label) + sizeString(3, v.Rationale)
}

func citationSize(c *recordpb.Citation) int {
	n := sizeString(1, c.SourceId)
	if c.SourceKey != 0 {
		n += 1 + 8
	}
	return n + sizeString(3, c.Quote) + sizeInt32(4, c.Stance) + sizeString(5, c.Note)
}

// labelSize is the size of a map entry: unlike a field of a message, its
// key and value are written even when empty.
func labelSize(k, v string) int {
	return 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
}

// labelEntries are the entries of a map of labels sorted by key, as
// Deterministic writes them, when there are few (there usually are one or
// two): the size pass collects them so that the map is iterated once, which
// is a fifth of the cost of a record with a label.
type labelEntries struct {
	n    int // -1: too many, appendLabels sorts the keys itself
	k, v [8]string
}

// add inserts an entry by its key, which is not there yet.
func (l *labelEntries) add(k, v string) {
	if l.n < 0 || l.n == len(l.k) {
		l.n = -1
		return
	}
	i := l.n
	for ; i > 0 && l.k[i-1] > k; i-- {
		l.k[i], l.v[i] = l.k[i-1], l.v[i-1]
	}
	l.k[i], l.v[i] = k, v
	l.n++
}

func appendLabels(b []byte, num protowire.Number, m map[string]string, l *labelEntries) []byte {
	if l.n >= 0 {
		for i := range l.n {
			b = appendLabel(b, num, l.k[i], l.v[i])
		}
		return b
	}
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		b = appendLabel(b, num, k, m[k])
	}
	return b
}

func appendLabel(b []byte, num protowire.Number, k, v string) []byte {
	b = appendLen(b, num, labelSize(k, v))
	b = append(b, byte(1<<3|protowire.BytesType))
	b = appendVarint(b, uint64(len(k)))
	b = append(b, k...)
	b = append(b, byte(2<<3|protowire.BytesType))
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// hasUnknown reports whether m holds fields its schema does not know.
func hasUnknown(m proto.Message) bool { return len(m.ProtoReflect().GetUnknown()) > 0 }

// The size and append helpers of the field kinds: a field at its zero value
// is not written (proto3), a present message field always is. Field numbers
// here are below 2048, so a tag takes one or two bytes.

func tagSize(num protowire.Number) int {
	if num < 16 {
		return 1
	}
	return 2
}

func appendTag(b []byte, num protowire.Number, typ protowire.Type) []byte {
	t := uint64(num)<<3 | uint64(typ)
	if t < 0x80 {
		return append(b, byte(t))
	}
	return append(b, byte(t)|0x80, byte(t>>7))
}

func appendVarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	return protowire.AppendVarint(b, v)
}

func sizeString(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return tagSize(num) + protowire.SizeBytes(len(s))
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = appendTag(b, num, protowire.BytesType)
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

// sizeInt32 and appendInt32 sign-extend: a negative int32 takes ten bytes,
// as in every proto encoder.
func sizeInt32(num protowire.Number, v int32) int { return sizeInt64(num, int64(v)) }

func appendInt32(b []byte, num protowire.Number, v int32) []byte {
	return appendInt64(b, num, int64(v))
}

// sizeBool and appendBool write a true bool as the varint 1 and leave a
// false one out, as proto3 does.
func sizeBool(num protowire.Number, v bool) int {
	if !v {
		return 0
	}
	return tagSize(num) + 1
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	return append(appendTag(b, num, protowire.VarintType), 1)
}

func sizeInt64(num protowire.Number, v int64) int {
	if v == 0 {
		return 0
	}
	return tagSize(num) + protowire.SizeVarint(uint64(v))
}

func appendInt64(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.VarintType)
	return appendVarint(b, uint64(v))
}

func sizeMessage(num protowire.Number, n int) int {
	return tagSize(num) + protowire.SizeBytes(n)
}

func appendLen(b []byte, num protowire.Number, n int) []byte {
	b = appendTag(b, num, protowire.BytesType)
	return appendVarint(b, uint64(n))
}

func timestampSize(t *timestamppb.Timestamp) int {
	return sizeInt64(1, t.Seconds) + sizeInt32(2, t.Nanos)
}

func sizeTimestamp(num protowire.Number, t *timestamppb.Timestamp) int {
	if t == nil {
		return 0
	}
	return sizeMessage(num, timestampSize(t))
}

func appendTimestamp(b []byte, num protowire.Number, t *timestamppb.Timestamp) []byte {
	if t == nil {
		return b
	}
	b = appendLen(b, num, timestampSize(t))
	b = appendInt64(b, 1, t.Seconds)
	return appendInt32(b, 2, t.Nanos)
}

// validUTF8 is utf8.ValidString, about twice as fast on the mostly ASCII
// strings of a record: it tests eight bytes at a time for a non-ASCII one
// (the loads combine into one) and leaves the rest to utf8.ValidString from
// the first such eight.
func validUTF8(s string) bool {
	for len(s) >= 8 {
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if x&0x8080808080808080 != 0 {
			return utf8.ValidString(s)
		}
		s = s[8:]
	}
	for i := range len(s) {
		if s[i] >= 0x80 {
			return utf8.ValidString(s[i:])
		}
	}
	return true
}
