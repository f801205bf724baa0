package boltstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

// How a List finds its page
//
// A page position is the sort key of the last record returned: the record
// key for creation order, <time update_time><record key> for update order.
// The page token carries it, so the next page starts strictly after it in
// whatever bucket the plan walks, and a record created or deleted in between
// moves no other record's position (keyset pagination).
//
// The candidates come from the cheapest of:
//   - an index bucket chosen from the filter's top-level equality terms (and
//     from the parent article of an annotation list), scanned by prefix; its
//     keys end with the record key, so they are already in creation order
//     (except for `labels:key`, whose prefix is followed by the values);
//   - a unique bucket, for url or external_id equality: at most one record;
//   - the records bucket (creation order) or the by-update bucket (update
//     order): everything.
//
// With several usable indexes the one with the fewest keys wins (counted up
// to countLimit), and each candidate it yields is first looked up in the
// others, a key lookup and no record read, so only the records every index
// agrees on are read. A set that cannot be walked in the requested order
// (any set for update order, and `labels:key`) is walked only when it is
// known to hold fewer than countLimit records: those are read and sorted in
// memory; a larger one still serves as a lookup. Every record read is checked
// with filter.Match (and against the parent article), since an index
// answers one term only.
//
// Work per page: the walk stops at the first PageSize+1 matches (the extra
// one tells whether a next page exists), so a page costs PageSize+1 record
// reads when most candidates match, plus at most countLimit index keys per
// usable term for the choice. A filter that matches rarely and has no usable
// equality term reads every candidate until the page fills; the walk checks
// the context every 256 candidates, so a caller's deadline bounds it.
const countLimit = 1024

// candidates is a set of records a List can restrict its walk to.
type candidates struct {
	bucket []byte
	// prefix: the keys of bucket that start with it, each ending with a
	// record key.
	prefix []byte
	// mixed: more than the record key follows the prefix (`labels:key`
	// scans every value of the key), so the keys are not in creation order.
	mixed bool
	// unique: the single key of bucket whose value is a record key.
	unique []byte
	// none: nothing can match (a filter names a source that does not exist).
	none bool
}

// count returns how many records c holds, stopping at limit.
func (c *candidates) count(tx *bbolt.Tx, limit int) int {
	switch {
	case c.none:
		return 0
	case c.unique != nil:
		if tx.Bucket(c.bucket).Get(c.unique) == nil {
			return 0
		}
		return 1
	}
	n := 0
	cur := tx.Bucket(c.bucket).Cursor()
	for k, _ := cur.Seek(c.prefix); k != nil && bytes.HasPrefix(k, c.prefix) && n < limit; k, _ = cur.Next() {
		n++
	}
	return n
}

// recordKeys returns the record keys of c, in creation order unless c is
// mixed.
func (c *candidates) recordKeys(tx *bbolt.Tx) [][]byte {
	switch {
	case c.none:
		return nil
	case c.unique != nil:
		if v := tx.Bucket(c.bucket).Get(c.unique); v != nil {
			return [][]byte{clone(v)}
		}
		return nil
	}
	var keys [][]byte
	cur := tx.Bucket(c.bucket).Cursor()
	for k, _ := cur.Seek(c.prefix); k != nil && bytes.HasPrefix(k, c.prefix); k, _ = cur.Next() {
		keys = append(keys, clone(k[len(k)-keyLen:]))
	}
	return keys
}

// listSpec describes one List call to listPage.
type listSpec[T any] struct {
	records, byUpdate []byte
	// deleted is the kind's *_deleted bucket: its records are skipped
	// unless the query shows deleted ones.
	deleted    []byte
	decode     func(val []byte) (T, error)
	updateTime func(T) time.Time
	// keep says whether a candidate belongs on the page.
	keep func(T) bool
	// sets are the usable indexes; empty means walk everything.
	sets []candidates
}

// listPage runs q over spec inside tx.
func listPage[T any](ctx context.Context, s *Store, tx *bbolt.Tx, spec listSpec[T], q store.ListQuery) ([]T, string, error) {
	if q.PageSize < 1 {
		return nil, "", store.Invalid("INVALID_PAGE_SIZE", "page_size", fmt.Sprintf("page size %d is not positive", q.PageSize))
	}
	if q.OrderBy.Field != store.OrderByCreateTime && q.OrderBy.Field != store.OrderByUpdateTime {
		return nil, "", store.Invalid("INVALID_ORDER_BY", "order_by", fmt.Sprintf("unknown order field %d", q.OrderBy.Field))
	}
	after, err := decodeToken(q.PageToken, q.OrderBy)
	if err != nil {
		return nil, "", err
	}
	byUpdate := q.OrderBy.Field == store.OrderByUpdateTime
	desc := q.OrderBy.Desc
	records := tx.Bucket(spec.records)

	w := pageWriter[T]{ctx: ctx, s: s, spec: spec, want: q.PageSize + 1}
	if spec.deleted != nil && !q.ShowDeleted {
		w.hidden = tx.Bucket(spec.deleted)
	}
	var best *candidates
	i, n := chooseCandidates(tx, spec.sets, byUpdate)
	if i >= 0 {
		best = &spec.sets[i]
	}
	for j := range spec.sets {
		if j != i && !spec.sets[j].mixed {
			w.probes = append(w.probes, newProbe(tx, &spec.sets[j]))
		}
	}
	switch {
	case best != nil && n == 0:
		// Nothing can match.
	case best != nil && (best.unique != nil || best.mixed || byUpdate):
		err = w.sorted(tx, best.recordKeys(tx), after, byUpdate, desc)
	case best != nil:
		err = scan(tx.Bucket(best.bucket).Cursor(), best.prefix, after, desc, func(k, _ []byte) (bool, error) {
			key := k[len(k)-keyLen:]
			return w.add(key, key, records.Get(key))
		})
	case byUpdate:
		err = scan(tx.Bucket(spec.byUpdate).Cursor(), nil, after, desc, func(k, _ []byte) (bool, error) {
			return w.add(k, k[len(k)-keyLen:], records.Get(k[len(k)-keyLen:]))
		})
	default:
		err = scan(records.Cursor(), nil, after, desc, func(k, v []byte) (bool, error) {
			return w.add(k, k, v)
		})
	}
	if err != nil {
		return nil, "", err
	}
	if len(w.items) < w.want {
		return w.items, "", nil
	}
	return w.items[:q.PageSize], encodeToken(q.OrderBy, w.positions[q.PageSize-1]), nil
}

// chooseCandidates picks the smallest usable set and returns its index (-1
// when none is usable) and size. A set that cannot be walked in the
// requested order (update order, or a mixed set) is sorted in memory, so it
// is usable only when it is known to hold fewer than countLimit records.
func chooseCandidates(tx *bbolt.Tx, sets []candidates, byUpdate bool) (int, int) {
	if len(sets) == 1 && !byUpdate && sets[0].prefix != nil && !sets[0].mixed {
		return 0, countLimit // the only choice: no need to count
	}
	best, bestN := -1, 0
	for i := range sets {
		n := sets[i].count(tx, countLimit)
		if n >= countLimit && (byUpdate || sets[i].mixed) {
			continue
		}
		if best < 0 || n < bestN {
			best, bestN = i, n
		}
		if n == 0 {
			break
		}
	}
	return best, bestN
}

// probe tells whether a record is in a candidate set from the index alone.
// The sets not walked are probed before a candidate is read, so a filter
// with several equality terms reads only the records every index agrees on.
type probe struct {
	c   *candidates
	b   *bbolt.Bucket
	cur *bbolt.Cursor
}

func newProbe(tx *bbolt.Tx, c *candidates) probe {
	p := probe{c: c}
	if !c.none {
		p.b = tx.Bucket(c.bucket)
		p.cur = p.b.Cursor()
	}
	return p
}

func (p probe) has(key []byte) bool {
	switch {
	case p.c.none:
		return false
	case p.c.unique != nil:
		return bytes.Equal(p.b.Get(p.c.unique), key)
	}
	// A cursor rather than Get: index values are empty, and an empty value
	// may read back as nil.
	want := cat(p.c.prefix, key)
	k, _ := p.cur.Seek(want)
	return bytes.Equal(k, want)
}

// pageWriter collects a page.
type pageWriter[T any] struct {
	ctx    context.Context
	s      *Store
	spec   listSpec[T]
	want   int
	probes []probe
	// hidden holds the deleted records the page skips (nil: none).
	hidden    *bbolt.Bucket
	items     []T
	positions [][]byte
	seen      int
}

// add considers the record val (under key, at position pos) and reports
// whether the page is full.
func (w *pageWriter[T]) add(pos, key, val []byte) (bool, error) {
	ok, err := w.candidate(key)
	if !ok || err != nil {
		return false, err
	}
	item, err := w.read(key, val)
	if err != nil {
		return false, err
	}
	if w.spec.keep(item) {
		w.items = append(w.items, item)
		w.positions = append(w.positions, clone(pos))
	}
	return len(w.items) == w.want, nil
}

// candidate reports whether the record under key passes every probe. It
// checks the context every 256 calls: this is where a long walk spends its
// time.
func (w *pageWriter[T]) candidate(key []byte) (bool, error) {
	if w.seen++; w.seen%256 == 0 {
		if err := w.ctx.Err(); err != nil {
			return false, err
		}
	}
	if w.hidden != nil && w.hidden.Get(key) != nil {
		return false, nil
	}
	for _, p := range w.probes {
		if !p.has(key) {
			return false, nil
		}
	}
	return true, nil
}

func (w *pageWriter[T]) read(key, val []byte) (T, error) {
	var zero T
	w.s.examined.Add(1)
	if val == nil {
		return zero, fmt.Errorf("an index of %s names the missing record %x: run Check, then RebuildIndexes", w.spec.records, key)
	}
	item, err := w.spec.decode(val)
	if err != nil {
		return zero, fmt.Errorf("%s record %x: %w", w.spec.records, key, err)
	}
	return item, nil
}

// sorted fills the page from a small set of record keys (in creation order),
// sorting by update time when asked.
func (w *pageWriter[T]) sorted(tx *bbolt.Tx, keys [][]byte, after []byte, byUpdate, desc bool) error {
	records := tx.Bucket(w.spec.records)
	type cand struct {
		pos  []byte
		item T
	}
	var cands []cand
	for _, key := range keys {
		ok, err := w.candidate(key)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		item, err := w.read(key, records.Get(key))
		if err != nil {
			return err
		}
		pos := key
		if byUpdate {
			pos = cat(timePart(w.spec.updateTime(item)), key)
		}
		if after != nil {
			if c := bytes.Compare(pos, after); (!desc && c <= 0) || (desc && c >= 0) {
				continue
			}
		}
		if w.spec.keep(item) {
			cands = append(cands, cand{pos, item})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if desc {
			return bytes.Compare(b.pos, a.pos)
		}
		return bytes.Compare(a.pos, b.pos)
	})
	for _, c := range cands[:min(len(cands), w.want)] {
		w.items = append(w.items, c.item)
		w.positions = append(w.positions, c.pos)
	}
	return nil
}

// scan walks the keys of a cursor's bucket that start with prefix, in key
// order or reversed, beginning strictly after prefix+after when after is set,
// until fn reports done. It never modifies the bucket.
func scan(c *bbolt.Cursor, prefix, after []byte, desc bool, fn func(k, v []byte) (done bool, err error)) error {
	var k, v []byte
	step := c.Next
	switch {
	case !desc && after == nil:
		k, v = c.Seek(prefix)
	case !desc:
		from := cat(prefix, after)
		if k, v = c.Seek(from); bytes.Equal(k, from) {
			k, v = c.Next()
		}
	default:
		step = c.Prev
		from := prefixEnd(prefix)
		if after != nil {
			from = cat(prefix, after)
		}
		// The last key below from: Seek lands on the first key at or
		// above it, or past the end.
		if from == nil {
			k, v = c.Last()
		} else if k, v = c.Seek(from); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step() {
		done, err := fn(k, v)
		if err != nil || done {
			return err
		}
	}
	return nil
}

// prefixEnd returns the smallest key above every key starting with prefix,
// or nil when there is none (an empty or all-0xff prefix).
func prefixEnd(prefix []byte) []byte {
	end := clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Page tokens: base64url of a version byte, the order field, the direction
// and the position. The server binds tokens to their query; the store only
// checks that it can read one and that it was issued for the same order.
const tokenVersion = 1

func positionLen(o store.OrderBy) int {
	if o.Field == store.OrderByUpdateTime {
		return 8 + keyLen
	}
	return keyLen
}

func encodeToken(o store.OrderBy, pos []byte) string {
	b := []byte{tokenVersion, byte(o.Field), 0}
	if o.Desc {
		b[2] = 1
	}
	return base64.RawURLEncoding.EncodeToString(append(b, pos...))
}

func decodeToken(tok string, o store.OrderBy) ([]byte, error) {
	if tok == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	desc := byte(0)
	if o.Desc {
		desc = 1
	}
	if err != nil || len(b) != 3+positionLen(o) || b[0] != tokenVersion || b[1] != byte(o.Field) || b[2] != desc {
		return nil, store.Invalid("INVALID_PAGE_TOKEN", "page_token",
			"the page token was not issued for this query: pass the next_page_token of the previous page unchanged, with the same filter and order, or omit it to start again")
	}
	return b[3:], nil
}

// Equality terms → candidate sets.

// enumSet answers `field = VALUE` for an enum; name is the enum's String
// method, which spells values as filters do.
func enumSet[E ~int32](bucket []byte, value string, name func(E) string) (candidates, bool) {
	for v := range E(256) {
		if name(v) == value {
			return candidates{bucket: bucket, prefix: enumPart(int32(v))}, true
		}
	}
	return candidates{}, false
}

func stringSet(bucket []byte, value string) (candidates, bool) {
	return candidates{bucket: bucket, prefix: strPart(value)}, true
}

// labelSet answers `labels.key = value` and `labels:key`.
func labelSet(bucket []byte, t *filter.Compare) (candidates, bool) {
	if t.Key == "" {
		return candidates{bucket: bucket, prefix: strPart(t.Value), mixed: true}, t.Value != ""
	}
	return candidates{bucket: bucket, prefix: cat(strPart(t.Key), strPart(t.Value))}, true
}

func uniqueSet(bucket []byte, value string) (candidates, bool) {
	// Empty values are not indexed.
	return candidates{bucket: bucket, unique: bounded(value)}, value != ""
}

// setsFor turns the filter's equality terms into candidate sets with setFor,
// which reports false for a term no index answers.
func setsFor(f filter.Expr, setFor func(*filter.Compare) (candidates, bool)) []candidates {
	var sets []candidates
	for _, t := range filter.EqualityTerms(f) {
		if c, ok := setFor(t); ok {
			sets = append(sets, c)
		}
	}
	return sets
}
