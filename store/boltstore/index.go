package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// entry is one key of a derived bucket. value is the record key in ID and
// unique buckets and nil in secondary indexes. shown is the value of a unique
// entry as a conflict message quotes it (`url "https://…"`), formatted only
// then: every write derives entries, few conflict.
type entry struct {
	bucket []byte
	key    []byte
	value  []byte
	shown  string
}

// The entries functions derive every derived-bucket key of one record. They
// are the only place that knows what is indexed: writes diff their output
// before and after, RebuildIndexes and Check run them over every record.

func articleEntries(key []byte, r *recordpb.Article) []entry {
	es := []entry{
		{bucket: bucketArticleIDs, key: []byte(r.Id), value: key, shown: r.Id},
		{bucket: bucketArticlesByPublisher, key: cat(strPart(r.Publisher), key)},
		{bucket: bucketArticlesByLanguage, key: cat(strPart(r.Language), key)},
		{bucket: bucketArticlesByUpdate, key: cat(timePart(fromTimestamp(r.UpdateTime)), key)},
	}
	if r.Url != "" {
		es = append(es, entry{bucket: bucketArticleURLs, key: bounded(r.Url), value: key, shown: r.Url})
	}
	for k, v := range r.Labels {
		es = append(es, entry{bucket: bucketArticlesByLabel, key: cat(strPart(k), strPart(v), key)})
	}
	return append(es, deletedEntries(bucketArticlesDeleted, kindArticle, key, r.PurgeTime)...)
}

func annotationEntries(key []byte, r *recordpb.Annotation) []entry {
	// Every key is carved from one buffer: an import derives about ten
	// keys per annotation, and bbolt keeps the slices Put is given (they
	// only have to outlive the transaction), so one allocation serves them.
	artKey := u64(r.ArticleKey)
	claimant := bounded(r.Claim.GetClaimantName())
	author := bounded(r.Author)
	size := 2*keyLen + len(r.Id) + // ID
		2*keyLen + // by article
		3*(4+keyLen) + // by state, rating, status
		2 + len(claimant) + keyLen + // by claimant
		2 + len(author) + keyLen + // by author
		8 + keyLen + // by update
		len(r.Citations)*2*keyLen
	var ext []byte
	if r.ExternalId != "" {
		ext = bounded(r.ExternalId)
	}
	for k, v := range r.Labels {
		size += 4 + min(len(k), maxBoundedString) + min(len(v), maxBoundedString) + keyLen
	}
	buf := make([]byte, 0, size)
	// part returns what was appended to buf since start: buf never grows
	// past its capacity, so parts never move.
	part := func(start int) []byte { return buf[start:len(buf):len(buf)] }
	n := len(buf)
	buf = append(append(buf, artKey...), r.Id...)
	idKey := part(n)
	n = len(buf)
	buf = append(append(buf, artKey...), key...)
	byArticle := part(n)
	enum := func(v int32) []byte {
		n := len(buf)
		buf = append(binary.BigEndian.AppendUint32(buf, uint32(v)), key...)
		return part(n)
	}
	byState := enum(r.State)
	byRating := enum(r.Verdict.GetRating())
	byStatus := enum(r.Anchor.GetStatus())
	n = len(buf)
	buf = append(append(binary.BigEndian.AppendUint16(buf, uint16(len(claimant))), claimant...), key...)
	byClaimant := part(n)
	n = len(buf)
	buf = append(append(binary.BigEndian.AppendUint16(buf, uint16(len(author))), author...), key...)
	byAuthor := part(n)
	n = len(buf)
	buf = append(binary.BigEndian.AppendUint64(buf, uint64(fromTimestamp(r.UpdateTime).UnixNano())^(1<<63)), key...)
	byUpdate := part(n)
	es := make([]entry, 0, 9+len(r.Citations)+len(r.Labels))
	es = append(es,
		entry{bucket: bucketAnnotationIDs, key: idKey, value: key, shown: r.Id},
		entry{bucket: bucketAnnotationsByArticle, key: byArticle},
		entry{bucket: bucketAnnotationsByState, key: byState},
		entry{bucket: bucketAnnotationsByRating, key: byRating},
		entry{bucket: bucketAnnotationsByStatus, key: byStatus},
		entry{bucket: bucketAnnotationsByClaimant, key: byClaimant},
		entry{bucket: bucketAnnotationsByAuthor, key: byAuthor},
		entry{bucket: bucketAnnotationsByUpdate, key: byUpdate},
	)
	if r.ExternalId != "" {
		es = append(es, entry{bucket: bucketAnnotationExternalID, key: ext, value: key,
			shown: r.ExternalId})
	}
	for _, c := range r.Citations {
		// Two citations of one source give the same key; writes and
		// checks treat entries as a set.
		n := len(buf)
		buf = append(binary.BigEndian.AppendUint64(buf, c.SourceKey), key...)
		es = append(es, entry{bucket: bucketAnnotationsBySource, key: part(n)})
	}
	for k, v := range r.Labels {
		n := len(buf)
		kb, vb := bounded(k), bounded(v)
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(kb)))
		buf = append(buf, kb...)
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(vb)))
		buf = append(append(buf, vb...), key...)
		es = append(es, entry{bucket: bucketAnnotationsByLabel, key: part(n)})
	}
	return append(es, deletedEntries(bucketAnnotationsDeleted, kindAnnotation, key, r.PurgeTime)...)
}

func sourceEntries(key []byte, r *recordpb.Source) []entry {
	es := []entry{
		{bucket: bucketSourceIDs, key: []byte(r.Id), value: key, shown: r.Id},
		{bucket: bucketSourcesByPublisher, key: cat(strPart(r.Publisher), key)},
		{bucket: bucketSourcesByKind, key: cat(enumPart(r.Kind), key)},
		{bucket: bucketSourcesByUpdate, key: cat(timePart(fromTimestamp(r.UpdateTime)), key)},
	}
	if r.Url != "" {
		es = append(es, entry{bucket: bucketSourceURLs, key: bounded(r.Url), value: key, shown: r.Url})
	}
	return append(es, deletedEntries(bucketSourcesDeleted, kindSource, key, r.PurgeTime)...)
}

// Record kinds in purge_queue keys.
const (
	kindArticle    byte = 1
	kindAnnotation byte = 2
	kindSource     byte = 3
)

// deletedEntries are the soft-delete entries of a record whose purge time
// is purge: none for a live record (purge nil).
func deletedEntries(deleted []byte, kind byte, key []byte, purge *timestamppb.Timestamp) []entry {
	if purge == nil {
		return nil
	}
	at := timePart(fromTimestamp(purge))
	return []entry{
		{bucket: deleted, key: key, value: at},
		{bucket: bucketPurgeQueue, key: cat(at, []byte{kind}, key)},
	}
}

// recordKinds lists the records buckets with the function that derives a
// stored value's entries, for the code that walks every record.
var recordKinds = []struct {
	records []byte
	entries func(key, val []byte) ([]entry, error)
}{
	{bucketArticles, func(key, val []byte) ([]entry, error) {
		r, err := decode(val, &recordpb.Article{})
		if err != nil {
			return nil, err
		}
		return articleEntries(key, r), nil
	}},
	{bucketAnnotations, func(key, val []byte) ([]entry, error) {
		r, err := decode(val, &recordpb.Annotation{})
		if err != nil {
			return nil, err
		}
		return annotationEntries(key, r), nil
	}},
	{bucketSources, func(key, val []byte) ([]entry, error) {
		r, err := decode(val, &recordpb.Source{})
		if err != nil {
			return nil, err
		}
		return sourceEntries(key, r), nil
	}},
	{bucketReviewers, func(key, val []byte) ([]entry, error) {
		r, err := decode(val, &recordpb.Reviewer{})
		if err != nil {
			return nil, err
		}
		return reviewerEntries(key, r), nil
	}},
	{bucketTokens, func(key, val []byte) ([]entry, error) {
		r, err := decode(val, &recordpb.Token{})
		if err != nil {
			return nil, err
		}
		return tokenEntries(key, r), nil
	}},
}

func entryID(e entry) string { return string(e.bucket) + "\x00" + string(e.key) }

func entrySet(es []entry) map[string]entry {
	m := make(map[string]entry, len(es))
	for _, e := range es {
		m[entryID(e)] = e
	}
	return m
}

// checkUnique fails with ErrAlreadyExists when a unique entry of es is held
// by a record other than key.
func checkUnique(tx *bbolt.Tx, es []entry, key []byte) error {
	for _, e := range es {
		rule := uniqueRules[string(e.bucket)]
		if rule == nil {
			continue
		}
		holder := tx.Bucket(e.bucket).Get(e.key)
		if holder == nil || bytes.Equal(holder, key) {
			continue
		}
		name := recordName(tx, rule.records, holder)
		if bytes.Equal(e.bucket, bucketTokenHashes) {
			// Neither the secret nor who holds it: the caller may
			// not be the holder.
			return &store.Error{Kind: store.ErrAlreadyExists, Reason: rule.reason,
				Message: "another token has this secret: generate a new secret"}
		}
		msg := fmt.Sprintf("%s %q is already taken by %s", rule.what, e.shown, name)
		var purge []byte
		if deleted := deletedBucketOf(rule.records); deleted != nil {
			purge = tx.Bucket(deleted).Get(holder)
		}
		switch {
		case purge != nil:
			// Soft-deleted names stay reserved until the purge.
			msg = fmt.Sprintf("%s %q is held by the deleted %s until it is purged at %s: undelete %s and update it, or wait for the purge",
				rule.what, e.shown, name, timeFromPart(purge).Format(time.RFC3339), name)
		case rule.what == "ID":
			msg = fmt.Sprintf("%s already exists: choose another ID, or leave it empty to have one generated", name)
		default:
			msg += fmt.Sprintf(": each %s must be unique; update %s instead, or change the %s", rule.what, name, rule.what)
		}
		return &store.Error{Kind: store.ErrAlreadyExists, Reason: rule.reason, Resource: name, Message: msg}
	}
	return nil
}

// recordName returns the resource name of the record under key, for
// messages.
func recordName(tx *bbolt.Tx, records, key []byte) string {
	val := tx.Bucket(records).Get(key)
	switch string(records) {
	case string(bucketArticles):
		if r, err := decode(val, &recordpb.Article{}); err == nil {
			return store.ArticleName(r.Id)
		}
	case string(bucketAnnotations):
		if r, err := decode(val, &recordpb.Annotation{}); err == nil {
			return store.AnnotationName(r.ArticleId, r.Id)
		}
	case string(bucketSources):
		if r, err := decode(val, &recordpb.Source{}); err == nil {
			return store.SourceName(r.Id)
		}
	case string(bucketReviewers):
		if r, err := decode(val, &recordpb.Reviewer{}); err == nil {
			return store.ReviewerName(r.Id)
		}
	case string(bucketTokens):
		if r, err := decode(val, &recordpb.Token{}); err == nil {
			return store.TokenName(r.ReviewerId, r.Id)
		}
	}
	return fmt.Sprintf("the record %x of %s", key, records)
}

// updateEntries turns the derived buckets from old's entries into new's,
// touching only keys that differ.
func updateEntries(tx *bbolt.Tx, old, new []entry) error {
	olds, news := entrySet(old), entrySet(new)
	for id, e := range olds {
		if _, ok := news[id]; !ok {
			if err := tx.Bucket(e.bucket).Delete(e.key); err != nil {
				return err
			}
		}
	}
	for id, e := range news {
		if o, ok := olds[id]; ok && bytes.Equal(o.value, e.value) {
			continue
		}
		if err := tx.Bucket(e.bucket).Put(e.key, e.value); err != nil {
			return err
		}
	}
	return nil
}

// save stores the record r under key, and moves its derived-bucket keys from
// the entries old to new. A unique value held by another record fails the
// write before anything is written.
func save(tx *bbolt.Tx, records, key []byte, r proto.Message, old, new []entry) error {
	if err := checkUnique(tx, new, key); err != nil {
		return err
	}
	val, err := encode(r)
	if err != nil {
		return err
	}
	if err := updateEntries(tx, old, new); err != nil {
		return err
	}
	return tx.Bucket(records).Put(key, val)
}

// insert stores the new record r under the next key of records, with the
// entries derives from that key. Every check (unique values, key sizes) runs
// before the first write, so a failed insert leaves the transaction as it
// found it: a bulk import goes on with the next record in the same
// transaction.
func insert(tx *bbolt.Tx, records []byte, r proto.Message, entries func(key []byte) []entry) ([]byte, error) {
	return insertEntries(tx, records, r, entries, true)
}

// insertEntries is insert, without the unique values' check unless
// checkUniques: an import has looked each of them up already, to answer
// "existing". Together with the importer's caches of looked-up articles
// and sources, dropping the second lookups took about 8% off an import's
// CPU per record (BenchmarkImport in this package).
func insertEntries(tx *bbolt.Tx, records []byte, r proto.Message, entries func(key []byte) []entry, checkUniques bool) ([]byte, error) {
	rb := tx.Bucket(records)
	// The key NextSequence will return, known without drawing it yet.
	key := u64(rb.Sequence() + 1)
	es := entries(key)
	if checkUniques {
		if err := checkUnique(tx, es, key); err != nil {
			return nil, err
		}
	}
	for _, e := range es {
		// bbolt refuses empty and oversized keys, but only at Put, when
		// earlier entries are already written.
		if len(e.key) == 0 || len(e.key) > bbolt.MaxKeySize {
			return nil, fmt.Errorf("%s: a key of %d bytes cannot be stored", e.bucket, len(e.key))
		}
	}
	val, err := encode(r)
	if err != nil {
		return nil, err
	}
	if drawn, err := nextKey(tx, records); err != nil {
		return nil, err
	} else if !bytes.Equal(drawn, key) {
		return nil, fmt.Errorf("%s: sequence gave key %x, want %x", records, drawn, key)
	}
	for _, e := range es {
		b := tx.Bucket(e.bucket)
		// Most index keys end with the new record key after a short
		// prefix (an enum, an article key, a time), so inserts append to
		// the end of a range: full pages suit them, as they suit the
		// records. Measured with BenchmarkImport.
		b.FillPercent = 0.9
		if err := b.Put(e.key, e.value); err != nil {
			return nil, err
		}
	}
	return key, rb.Put(key, val)
}

// deleteRecord removes a record and its entries.
func deleteRecord(tx *bbolt.Tx, records, key []byte, old []entry) error {
	if err := updateEntries(tx, old, nil); err != nil {
		return err
	}
	return tx.Bucket(records).Delete(key)
}

// RebuildIndexes drops every derived bucket (ID, unique and secondary
// indexes) and recreates it from the records, in one transaction. Use it
// after Check reports an index inconsistency, or in a migration that adds an
// index.
func (s *Store) RebuildIndexes() error {
	return s.db.Update(rebuildIndexes)
}

func rebuildIndexes(tx *bbolt.Tx) error {
	for _, b := range buckets {
		if !b.derived {
			continue
		}
		if err := tx.DeleteBucket(b.name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		nb, err := tx.CreateBucket(b.name)
		if err != nil {
			return err
		}
		// Rebuilt buckets are filled in no particular key order, but full
		// pages are what a bulk fill wants.
		nb.FillPercent = 0.9
	}
	for _, k := range recordKinds {
		err := tx.Bucket(k.records).ForEach(func(key, val []byte) error {
			es, err := k.entries(key, val)
			if err != nil {
				return fmt.Errorf("%s record %x: %w", k.records, key, err)
			}
			for _, e := range es {
				if err := tx.Bucket(e.bucket).Put(e.key, e.value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// expectedEntries derives every derived bucket's content from the records:
// bucket name → key → value.
func expectedEntries(tx *bbolt.Tx) (map[string]map[string][]byte, error) {
	want := map[string]map[string][]byte{}
	for _, b := range buckets {
		if b.derived {
			want[string(b.name)] = map[string][]byte{}
		}
	}
	for _, k := range recordKinds {
		err := tx.Bucket(k.records).ForEach(func(key, val []byte) error {
			es, err := k.entries(key, val)
			if err != nil {
				return fmt.Errorf("%s record %x: %w", k.records, key, err)
			}
			for _, e := range es {
				bk := want[string(e.bucket)]
				if prev, ok := bk[string(e.key)]; ok && !bytes.Equal(prev, e.value) {
					return fmt.Errorf("%s: key %q is claimed by records %x and %x", e.bucket, e.key, prev, e.value)
				}
				bk[string(e.key)] = clone(e.value)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return want, nil
}

// checkIndexes compares every derived bucket with what the records say it
// must hold and describes up to maxDiffs differences.
func checkIndexes(tx *bbolt.Tx) error {
	want, err := expectedEntries(tx)
	if err != nil {
		return err
	}
	const maxDiffs = 10
	var diffs []string
	for _, b := range buckets {
		if !b.derived {
			continue
		}
		exp := want[string(b.name)]
		seen := 0
		err := tx.Bucket(b.name).ForEach(func(k, v []byte) error {
			wv, ok := exp[string(k)]
			switch {
			case !ok:
				diffs = append(diffs, fmt.Sprintf("%s: stray key %q", b.name, k))
			case !bytes.Equal(wv, v):
				diffs = append(diffs, fmt.Sprintf("%s: key %q holds %x, want %x", b.name, k, v, wv))
			default:
				seen++
			}
			return nil
		})
		if err != nil {
			return err
		}
		if seen < len(exp) {
			var missing []string
			for k := range exp {
				if tx.Bucket(b.name).Get([]byte(k)) == nil {
					missing = append(missing, fmt.Sprintf("%s: missing key %q", b.name, k))
				}
			}
			slices.Sort(missing)
			diffs = append(diffs, missing...)
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	more := ""
	if len(diffs) > maxDiffs {
		more = fmt.Sprintf("\n(and %d more)", len(diffs)-maxDiffs)
		diffs = diffs[:maxDiffs]
	}
	return fmt.Errorf("indexes disagree with the records (RebuildIndexes repairs them):\n%s%s", strings.Join(diffs, "\n"), more)
}
