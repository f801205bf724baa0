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
//   - a union of those, for a top-level OR with an indexed equality term in
//     each branch (filter.EqualityUnions), such as the visibility the
//     server ANDs into a viewer's list, `state = STATE_PUBLISHED OR state =
//     STATE_RETRACTED`, or into a reviewer's, whose `(state = STATE_DRAFT
//     AND author = "reviewers/…")` branch has the by-author index as well
//     as the by-state one: each branch walks its smallest set from the page
//     position and probes its other sets, and the branches are merged by
//     record key, so the union comes in creation order too, each record
//     once, and the keyset position works across the branches as within one
//     range;
//   - the records bucket (creation order) or the by-update bucket (update
//     order): everything.
//
// With several usable indexes the one with the fewest keys wins (counted up
// to countLimit; a union counts the sets its branches walk), and each
// candidate it yields is first looked up in the others, a key lookup and no
// record read (a union answers when every set of one branch holds the key),
// so only the records every index agrees on are read. A union that holds
// every key of its index (an OR of every state) is no narrower than the
// records and is not used. A set that cannot be walked in the requested
// order (any set for update order, and `labels:key`) is used only when it
// is known to hold fewer than countLimit records: then either its records
// are read and sorted in memory, or, when that costs more (hashedWalkCheaper),
// the by-update index is walked keeping the keys in the set, so that only a
// page of records is read; a larger one still serves as a lookup. Every
// record read is checked with filter.Match (and against the parent
// article), since an index answers one term only.
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
	// anyOf makes c a union and its other fields unused: a record is in c
	// when every set of some branch holds it. The sets are leaves, none of
	// them mixed or none; each branch walks its first set and probes the
	// rest, so order puts the smallest first (ordered: done).
	anyOf   [][]candidates
	ordered bool
}

// order puts the smallest set of each branch of a union first, counting only
// the branches that have a choice.
func (c *candidates) order(tx *bbolt.Tx) {
	if c.ordered {
		return
	}
	c.ordered = true
	for _, br := range c.anyOf {
		if len(br) < 2 {
			continue
		}
		n := make([]int, len(br))
		for i := range br {
			n[i] = br[i].count(tx, countLimit)
		}
		smallest := 0
		for i := range n {
			if n[i] < n[smallest] {
				smallest = i
			}
		}
		br[0], br[smallest] = br[smallest], br[0]
	}
}

// wholeBucket reports whether c is a union of ranges of one index bucket
// that together hold all of its keys. It seeks once per distinct prefix the
// bucket holds, stopping at the first one outside the union, so it costs a
// few lookups; it answers only for prefixes of one length (enums, record
// keys), which is what ORs of one field give.
func (c *candidates) wholeBucket(tx *bbolt.Tx) bool {
	if c.anyOf == nil {
		return false
	}
	first := &c.anyOf[0][0]
	in := make(map[string]bool, len(c.anyOf))
	for _, br := range c.anyOf {
		l := &br[0]
		if len(br) > 1 || l.unique != nil || !bytes.Equal(l.bucket, first.bucket) || len(l.prefix) != len(first.prefix) {
			return false
		}
		in[string(l.prefix)] = true
	}
	cur := tx.Bucket(first.bucket).Cursor()
	for k, _ := cur.First(); k != nil; {
		if len(k) < len(first.prefix) || !in[string(k[:len(first.prefix)])] {
			return false
		}
		next := prefixEnd(k[:len(first.prefix)])
		if next == nil {
			break
		}
		k, _ = cur.Seek(next)
	}
	return true
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
	case c.anyOf != nil:
		// An upper bound: branches may overlap.
		c.order(tx)
		n := 0
		for i := 0; i < len(c.anyOf) && n < limit; i++ {
			n += c.anyOf[i][0].count(tx, limit-n)
		}
		return n
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
	case c.anyOf != nil:
		// Callers hold sets known to be small: no deadline to check.
		var keys [][]byte
		u := newUnionWalk(context.Background(), tx, c, nil, false)
		for {
			k, _ := u.next()
			if k == nil {
				return keys
			}
			keys = append(keys, clone(k))
		}
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
	// A union that holds every key of its index holds every record there
	// is (an OR of every state): merging its ranges would only cost more
	// than the plain walk.
	spec.sets = slices.DeleteFunc(slices.Clone(spec.sets), func(c candidates) bool { return c.wholeBucket(tx) })
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
	case best != nil && byUpdate && spec.byUpdate != nil && hashedWalkCheaper(n, int(records.Sequence()), w.want):
		err = w.hashedWalk(tx, best.recordKeys(tx), after, desc)
	case best != nil && (best.unique != nil || best.mixed || byUpdate):
		err = w.sorted(tx, best.recordKeys(tx), after, byUpdate, desc)
	case best != nil && best.anyOf != nil:
		u := newUnionWalk(ctx, tx, best, after, desc)
		for {
			var key []byte
			if key, err = u.next(); key == nil || err != nil {
				break
			}
			var done bool
			if done, err = w.add(key, key, records.Get(key)); done || err != nil {
				break
			}
		}
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
	if len(sets) == 1 && !byUpdate && (sets[0].prefix != nil && !sets[0].mixed || sets[0].anyOf != nil) {
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
	// anyOf probes a union: one probe per set of each branch.
	anyOf [][]probe
}

func newProbe(tx *bbolt.Tx, c *candidates) probe {
	p := probe{c: c}
	switch {
	case c.anyOf != nil:
		for _, br := range c.anyOf {
			ps := make([]probe, len(br))
			for i := range br {
				ps[i] = newProbe(tx, &br[i])
			}
			p.anyOf = append(p.anyOf, ps)
		}
	case !c.none:
		p.b = tx.Bucket(c.bucket)
		p.cur = p.b.Cursor()
	}
	return p
}

func (p probe) has(key []byte) bool {
	switch {
	case p.anyOf != nil:
		for _, br := range p.anyOf {
			if holdsAll(br, key) {
				return true
			}
		}
		return false
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

// holdsAll reports whether every probe of ps holds key.
func holdsAll(ps []probe, key []byte) bool {
	for _, p := range ps {
		if !p.has(key) {
			return false
		}
	}
	return true
}

// unionWalk yields the record keys of a union in creation order (reversed
// when desc), each once, from strictly beyond a page position: a merge of
// its branches, each walking its first set and keeping the keys its other
// sets hold.
type unionWalk struct {
	ctx      context.Context
	desc     bool
	branches []branchWalk
	// steps counts the keys the branches walked, to check ctx now and
	// then: a branch that probes may walk far between two keys it keeps.
	steps int
}

type branchWalk struct {
	// r walks the first set's range; r.c is nil for a unique set, whose
	// record key, while not yet taken, is one.
	r      keyRange
	one    []byte
	probes []probe
	// key is the branch's current record key; nil once it is exhausted.
	key []byte
}

func newUnionWalk(ctx context.Context, tx *bbolt.Tx, c *candidates, after []byte, desc bool) *unionWalk {
	c.order(tx)
	u := &unionWalk{ctx: ctx, desc: desc, branches: make([]branchWalk, len(c.anyOf))}
	for i, br := range c.anyOf {
		b := &u.branches[i]
		for j := 1; j < len(br); j++ {
			b.probes = append(b.probes, newProbe(tx, &br[j]))
		}
		if first := &br[0]; first.unique != nil {
			b.one = tx.Bucket(first.bucket).Get(first.unique)
			if b.one != nil && after != nil {
				if c := bytes.Compare(b.one, after); (!desc && c <= 0) || (desc && c >= 0) {
					b.one = nil
				}
			}
		} else {
			b.r = newKeyRange(tx.Bucket(first.bucket).Cursor(), first.prefix, after, desc)
		}
	}
	return u
}

// next returns the next record key of the union, or nil after the last one.
func (u *unionWalk) next() ([]byte, error) {
	for i := range u.branches {
		b := &u.branches[i]
		if b.key == nil && (b.r.k != nil || b.one != nil) {
			if err := u.advance(b); err != nil {
				return nil, err
			}
		}
	}
	var least []byte
	for i := range u.branches {
		k := u.branches[i].key
		if k == nil {
			continue
		}
		if c := bytes.Compare(k, least); least == nil || (!u.desc && c < 0) || (u.desc && c > 0) {
			least = k
		}
	}
	// Every branch at this key moves past it, so a record that several
	// branches hold comes once; the next call advances them.
	for i := range u.branches {
		if b := &u.branches[i]; b.key != nil && bytes.Equal(b.key, least) {
			b.key = nil
		}
	}
	return least, nil
}

// advance sets b.key to the branch's next key that its probes hold, or nil.
func (u *unionWalk) advance(b *branchWalk) error {
	for {
		var k []byte
		switch {
		case b.r.k != nil:
			k = b.r.k[len(b.r.k)-keyLen:]
			b.r.next()
		case b.one != nil:
			k, b.one = b.one, nil
		default:
			return nil
		}
		if holdsAll(b.probes, k) {
			b.key = k
			return nil
		}
		if u.steps++; u.steps%256 == 0 {
			if err := u.ctx.Err(); err != nil {
				return err
			}
		}
	}
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

// Relative costs of the steps of a walk: reading a record (fetching and
// decoding it, converting it, matching the filter) against stepping the
// by-update index and looking its key up in a map. Measured with
// BenchmarkListVisible (about 2 µs against 50 ns).
const (
	readCost = 40
	stepCost = 1
)

// hashedWalkCheaper reports whether a page in update order from a set of n
// records (fewer than countLimit) costs less by walking the by-update index
// and keeping the keys in the set (hashedWalk) than by reading every record
// of the set to sort them (sorted): the walk passes about want·total/n keys
// before the page fills, or the whole index when the set is smaller than a
// page. total is the records bucket's sequence, which counts every record
// ever stored: an upper bound.
func hashedWalkCheaper(n, total, want int) bool {
	steps := total
	if n > want {
		steps = min(total, want*(total/n+1))
	}
	return steps*stepCost+min(n, want)*readCost < n*readCost
}

// hashedWalk fills the page in update order from a set of record keys
// known to be small: it walks the by-update index from the page position
// and reads only the records in the set, until the page is full.
func (w *pageWriter[T]) hashedWalk(tx *bbolt.Tx, keys [][]byte, after []byte, desc bool) error {
	set := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		set[string(k)] = struct{}{}
	}
	records := tx.Bucket(w.spec.records)
	steps := 0
	return scan(tx.Bucket(w.spec.byUpdate).Cursor(), nil, after, desc, func(k, _ []byte) (bool, error) {
		key := k[len(k)-keyLen:]
		if _, ok := set[string(key)]; !ok {
			// The keys skipped here never reach candidate, which
			// checks the context for the rest.
			if steps++; steps%1024 == 0 {
				return false, w.ctx.Err()
			}
			return false, nil
		}
		return w.add(k, key, records.Get(key))
	})
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
	for r := newKeyRange(c, prefix, after, desc); r.k != nil; r.next() {
		done, err := fn(r.k, r.v)
		if err != nil || done {
			return err
		}
	}
	return nil
}

// keyRange is a walk over the keys of a cursor's bucket that start with
// prefix, in key order or reversed, beginning strictly after prefix+after
// when after is set. k and v are the current pair; k is nil once the walk
// has left the prefix.
type keyRange struct {
	c      *bbolt.Cursor
	prefix []byte
	desc   bool
	k, v   []byte
}

func newKeyRange(c *bbolt.Cursor, prefix, after []byte, desc bool) keyRange {
	r := keyRange{c: c, prefix: prefix, desc: desc}
	switch {
	case !desc && after == nil:
		r.k, r.v = c.Seek(prefix)
	case !desc:
		from := cat(prefix, after)
		if r.k, r.v = c.Seek(from); bytes.Equal(r.k, from) {
			r.k, r.v = c.Next()
		}
	default:
		from := prefixEnd(prefix)
		if after != nil {
			from = cat(prefix, after)
		}
		// The last key below from: Seek lands on the first key at or
		// above it, or past the end.
		if from == nil {
			r.k, r.v = c.Last()
		} else if r.k, r.v = c.Seek(from); r.k == nil {
			r.k, r.v = c.Last()
		} else {
			r.k, r.v = c.Prev()
		}
	}
	r.check()
	return r
}

func (r *keyRange) next() {
	if r.desc {
		r.k, r.v = r.c.Prev()
	} else {
		r.k, r.v = r.c.Next()
	}
	r.check()
}

func (r *keyRange) check() {
	if r.k != nil && !bytes.HasPrefix(r.k, r.prefix) {
		r.k, r.v = nil, nil
	}
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

// setsFor turns the filter's equality terms, and its ORs of them, into
// candidate sets with setFor, which reports false for a term no index
// answers.
func setsFor(f filter.Expr, setFor func(*filter.Compare) (candidates, bool)) []candidates {
	var sets []candidates
	for _, t := range filter.EqualityTerms(f) {
		if c, ok := setFor(t); ok {
			sets = append(sets, c)
		}
	}
	for _, u := range filter.EqualityUnions(f) {
		if c, ok := unionSet(u, setFor); ok {
			sets = append(sets, c)
		}
	}
	return sets
}

// unionSet turns an OR into a union of candidate sets; false when some
// branch has no term an index answers in creation order (a mixed set cannot
// be merged), since then any record may match.
func unionSet(u filter.Union, setFor func(*filter.Compare) (candidates, bool)) (candidates, bool) {
	var anyOf [][]candidates
	for _, terms := range u.Branches {
		var sets []candidates
		empty := false
		for _, t := range terms {
			c, ok := setFor(t)
			if !ok || c.mixed {
				continue
			}
			empty = empty || c.none
			sets = append(sets, c)
		}
		switch {
		case empty:
			// The branch matches nothing: leave it out.
		case len(sets) == 0:
			return candidates{}, false
		default:
			anyOf = append(anyOf, sets)
		}
	}
	switch {
	case len(anyOf) == 0:
		return candidates{none: true}, true
	case len(anyOf) == 1 && len(anyOf[0]) == 1:
		return anyOf[0][0], true
	}
	return candidates{anyOf: anyOf}, true
}
