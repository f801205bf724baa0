package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"
	"weak"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
	"github.com/factcheck/factcheck/store/filter"
)

// The change feed: the "changes" bucket maps <u64 sequence> to a
// recordpb.Change, the sequence drawn from the bucket's NextSequence in the
// write transaction the change describes. bbolt runs one write transaction
// at a time and a rolled-back one takes its NextSequence with it, so the
// committed sequences are consecutive and commit order is sequence order:
// a reader's snapshot always holds a prefix of the feed.

var bucketChanges = []byte("changes")

// appendChange records c, made by the write w describes, in the write
// transaction tx, with its audit entry, and sets c.Sequence and c.Actor.
// Every write of a resource calls it once per resource written, after the
// write itself succeeded (a record of a bulk import that fails must leave
// nothing behind). c.Time must be set; Type and Resource too.
//
// Re-anchoring records ChangeReanchored or ChangeClaimTextChanged here, with
// BeforeText and AfterText (annotationChange fills them from the anchors'
// quotes, or set them after it). Watchers are woken once the transaction
// commits; nothing is announced if it rolls back.
func appendChange(tx *bbolt.Tx, w store.WriteInfo, c *store.Change) error {
	c.Actor = w.Actor
	b := tx.Bucket(bucketChanges)
	if b == nil {
		return fmt.Errorf("no %s bucket: the file predates the change feed", bucketChanges)
	}
	// Keys only ever grow: full pages, nothing is inserted between.
	b.FillPercent = 1
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	val, err := encode(&recordpb.Change{
		Resource:   c.Resource,
		Type:       int32(c.Type),
		Parent:     c.Parent,
		ChangeTime: timestamp(c.Time),
		Actor:      c.Actor,
		FieldPaths: c.FieldPaths,
		BeforeText: c.BeforeText,
		AfterText:  c.AfterText,
	})
	if err != nil {
		return err
	}
	if err := b.Put(u64(seq), val); err != nil {
		return err
	}
	c.Sequence = int64(seq)
	if f, ok := feeds.Load(tx.DB()); ok {
		f.(*feed).appended(tx, int64(seq))
	}
	return auditChange(tx, w, c)
}

// feeds finds the feed of a database from inside a transaction, so that
// appendChange needs nothing but the transaction from its callers.
var feeds sync.Map // *bbolt.DB → *feed

// feed announces commits to watchers: one channel, closed and replaced
// when a commit adds changes, shared by every watcher in between.
type feed struct {
	mu     sync.Mutex
	head   int64
	ch     chan struct{}
	closed bool
	// tx is the write transaction that last appended a change and pending
	// the newest sequence it appended; weak, so that a transaction that
	// rolled back is not kept alive until the next one.
	tx      weak.Pointer[bbolt.Tx]
	pending *int64
}

// startFeed gives the database opened at db its feed, starting at the
// newest committed sequence.
func startFeed(db *bbolt.DB) (*feed, error) {
	var head int64
	if err := db.View(func(tx *bbolt.Tx) error {
		head = changeHead(tx)
		return nil
	}); err != nil {
		return nil, err
	}
	f := &feed{head: head, ch: make(chan struct{})}
	feeds.Store(db, f)
	return f, nil
}

// stop ends the feed of db, once the database is closed.
func (f *feed) stop(db *bbolt.DB) {
	feeds.Delete(db)
	f.close()
}

// appended notes seq, appended by tx, and announces it when tx commits:
// once per transaction, however many changes it holds.
func (f *feed) appended(tx *bbolt.Tx, seq int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tx.Value() == tx {
		*f.pending = seq
		return
	}
	p := &seq
	f.tx, f.pending = weak.Make(tx), p
	// Commit handlers run after bbolt released the write lock, so the
	// next transaction may already be appending: p is this one's own.
	tx.OnCommit(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.publishLocked(*p)
	})
}

func (f *feed) publishLocked(seq int64) {
	if f.closed || seq <= f.head {
		return
	}
	f.head = seq
	close(f.ch)
	f.ch = make(chan struct{})
}

func (f *feed) notify() (int64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.head, f.ch
}

// close wakes every watcher for good: the channel stays closed.
func (f *feed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.ch)
	}
}

// changeHead reads the newest committed sequence.
func changeHead(tx *bbolt.Tx) int64 {
	b := tx.Bucket(bucketChanges)
	if b == nil {
		return 0
	}
	return int64(b.Sequence())
}

// ChangeNotify implements store.Store.
func (s *Store) ChangeNotify() (int64, <-chan struct{}) { return s.feed.notify() }

// maxChangeScan bounds the changes one ListChanges call decodes beyond its
// limit, so that a filter that matches little cannot hold a read
// transaction (and with it bbolt's remapping when the file grows) for long.
const maxChangeScan = 10000

// ListChanges implements store.Store.
func (s *Store) ListChanges(ctx context.Context, after int64, f filter.Expr, limit int) (store.ChangePage, error) {
	var page store.ChangePage
	if limit < 1 {
		limit = 1
	}
	after = max(after, 0)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		page.Head = changeHead(tx)
		page.Next = after
		b := tx.Bucket(bucketChanges)
		if b == nil || after >= page.Head {
			page.Next = max(after, page.Head)
			return nil
		}
		c := b.Cursor()
		scanned := 0
		for k, v := c.Seek(u64(uint64(after) + 1)); k != nil; k, v = c.Next() {
			seq := int64(binary.BigEndian.Uint64(k))
			ch, err := changeFromRecord(seq, v)
			if err != nil {
				return err
			}
			if filter.Match(f, ch) {
				if len(page.Changes) == limit {
					// Looked ahead: more match, resume after the page.
					return nil
				}
				page.Changes = append(page.Changes, ch)
			}
			page.Next = seq
			if scanned++; scanned >= limit+maxChangeScan {
				return nil
			}
		}
		page.Next = page.Head
		return nil
	})
	if err != nil {
		return store.ChangePage{}, err
	}
	return page, nil
}

func changeFromRecord(seq int64, val []byte) (*store.Change, error) {
	r, err := decode(val, &recordpb.Change{})
	if err != nil {
		return nil, fmt.Errorf("change %d: %w", seq, err)
	}
	return &store.Change{
		Sequence:   seq,
		Type:       store.ChangeType(r.Type),
		Resource:   r.Resource,
		Parent:     r.Parent,
		Time:       fromTimestamp(r.ChangeTime),
		Actor:      r.Actor,
		FieldPaths: r.FieldPaths,
		BeforeText: r.BeforeText,
		AfterText:  r.AfterText,
	}, nil
}

// The changes of one record write. old is nil for a creation, r nil for a
// deletion; at is the time of the write.

func articleChange(typ store.ChangeType, old, r *recordpb.Article, at time.Time) *store.Change {
	c := &store.Change{Type: typ, Time: at.UTC()}
	if r != nil {
		c.Resource = store.ArticleName(r.Id)
	} else {
		c.Resource = store.ArticleName(old.Id)
	}
	if old != nil && r != nil {
		c.FieldPaths = changedPaths(old, r, articlePaths)
	}
	return c
}

func sourceChange(typ store.ChangeType, old, r *recordpb.Source, at time.Time) *store.Change {
	c := &store.Change{Type: typ, Time: at.UTC()}
	if r != nil {
		c.Resource = store.SourceName(r.Id)
	} else {
		c.Resource = store.SourceName(old.Id)
	}
	if old != nil && r != nil {
		c.FieldPaths = changedPaths(old, r, sourcePaths)
	}
	return c
}

// annotationChange also fills BeforeText and AfterText, for the
// re-anchoring types, with the anchor's quote before and after.
func annotationChange(typ store.ChangeType, old, r *recordpb.Annotation, at time.Time) *store.Change {
	c := &store.Change{Type: typ, Time: at.UTC()}
	cur := r
	if cur == nil {
		cur = old
	}
	c.Resource = store.AnnotationName(cur.ArticleId, cur.Id)
	c.Parent = store.ArticleName(cur.ArticleId)
	if old != nil && r != nil {
		c.FieldPaths = changedPaths(old, r, annotationPaths)
		if typ == store.ChangeReanchored || typ == store.ChangeClaimTextChanged {
			c.BeforeText, c.AfterText = old.GetAnchor().GetExact(), r.GetAnchor().GetExact()
		}
	}
	return c
}

// The record fields a change reports, by their path in the record, with
// the API path each is reported as. Fields not listed are bookkeeping
// (IDs, keys, times and etags every write sets) or follow from a listed one.
var (
	articlePaths = identityPaths("url", "title", "publisher", "authors", "language", "publish_time", "text", "labels")
	sourcePaths  = identityPaths("url", "title", "publisher", "authors", "kind", "publish_time", "archive_url",
		"access_time", "notes")
	annotationPaths = map[string]string{
		"anchor.exact":               "anchor.quote.exact",
		"anchor.prefix":              "anchor.quote.prefix",
		"anchor.suffix":              "anchor.quote.suffix",
		"anchor.start":               "anchor.position",
		"anchor.end":                 "anchor.position",
		"anchor.article_revision":    "anchor.article_revision",
		"anchor.status":              "anchor.status",
		"claim.text":                 "claim.text",
		"claim.claimant_name":        "claim.claimant.name",
		"claim.claimant_kind":        "claim.claimant.kind",
		"claim.claimant_same_as":     "claim.claimant.same_as",
		"claim.claimant_description": "claim.claimant.description",
		"claim.claim_time":           "claim.claim_time",
		"verdict.rating":             "verdict.rating",
		"verdict.label":              "verdict.label",
		"verdict.rationale":          "verdict.rationale",
		"citations":                  "citations",
		"state":                      "state",
		"labels":                     "labels",
		"external_id":                "external_id",
	}
)

func identityPaths(paths ...string) map[string]string {
	m := make(map[string]string, len(paths))
	for _, p := range paths {
		m[p] = p
	}
	return m
}

// recordPackage is the package of the record messages: their message
// fields are parts of one record (anchor, claim) and compared field by
// field; other messages (timestamps) are values.
const recordPackage protoreflect.FullName = "factcheck.boltstore.v1"

// changedPaths compares two records of one kind and returns the API paths
// of the fields that differ, sorted and without repeats.
func changedPaths(old, r proto.Message, paths map[string]string) []string {
	var out []string
	var walk func(prefix string, a, b protoreflect.Message)
	walk = func(prefix string, a, b protoreflect.Message) {
		fields := a.Descriptor().Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			p := prefix + string(fd.Name())
			if md := fd.Message(); md != nil && fd.Cardinality() != protoreflect.Repeated &&
				md.ParentFile().Package() == recordPackage {
				walk(p+".", a.Get(fd).Message(), b.Get(fd).Message())
				continue
			}
			if api, ok := paths[p]; ok && !a.Get(fd).Equal(b.Get(fd)) {
				out = append(out, api)
			}
		}
	}
	walk("", old.ProtoReflect(), r.ProtoReflect())
	slices.Sort(out)
	return slices.Compact(out)
}

// reanchorChange is the change of one annotation that re-anchoring
// rewrote: ChangeClaimTextChanged when the words under it changed or went
// (BeforeText the quote, AfterText what replaced it), ChangeReanchored
// otherwise (BeforeText the quote, AfterText the text now under the span).
func reanchorChange(ev reanchorEvent, at time.Time) *store.Change {
	prev := proto.CloneOf(ev.Annotation)
	prev.Anchor = ev.From
	typ := store.ChangeReanchored
	if ev.Relocation.TextChanged {
		typ = store.ChangeClaimTextChanged
	}
	c := annotationChange(typ, prev, ev.Annotation, at)
	if ev.Relocation.TextChanged {
		c.BeforeText, c.AfterText = ev.Relocation.Before, ev.Relocation.After
	} else {
		c.BeforeText, c.AfterText = ev.From.GetExact(), ev.Relocation.Found
	}
	return c
}

// checkChanges verifies the feed: consecutive sequences up to the bucket's
// sequence, each a change of a named resource.
func checkChanges(tx *bbolt.Tx) error {
	b := tx.Bucket(bucketChanges)
	if b == nil {
		return fmt.Errorf("no %s bucket", bucketChanges)
	}
	var prev uint64
	err := b.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("%s: key %x is not a sequence", bucketChanges, k)
		}
		seq := binary.BigEndian.Uint64(k)
		if prev != 0 && seq != prev+1 {
			return fmt.Errorf("%s: sequence %d follows %d: the feed has a gap", bucketChanges, seq, prev)
		}
		prev = seq
		c, err := changeFromRecord(int64(seq), v)
		if err != nil {
			return err
		}
		if store.ResourceType(c.Resource) == "" || c.Type <= store.ChangeTypeUnspecified || c.Type > store.ChangeClaimTextChanged {
			return fmt.Errorf("%s: change %d is %v of %q", bucketChanges, seq, c.Type, c.Resource)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if prev != b.Sequence() && prev != 0 {
		return fmt.Errorf("%s: the last change is %d but the sequence is at %d", bucketChanges, prev, b.Sequence())
	}
	return nil
}
