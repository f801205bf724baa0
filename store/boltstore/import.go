package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/factcheck/factcheck/anchor"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// Import implements store.Store. A failing record must leave the shared
// transaction as it found it, since bbolt cannot roll back part of one: each
// record is resolved and checked completely (newArticle, newAnnotation,
// insert's unique and key checks) before its first Put. Only an error that is
// not a *store.Error (I/O, a damaged record) can come after a write; it
// aborts the whole call.
func (s *Store) Import(ctx context.Context, recs []store.ImportRecord, opts store.ImportOptions) ([]store.ImportResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tx, err := s.db.Begin(true)
	if err != nil {
		return nil, err
	}
	// After a commit this only reports that the transaction is closed.
	defer func() { _ = tx.Rollback() }()

	im := &importer{s: s, tx: tx, w: store.WriteInfoFrom(ctx), articles: map[string]*recordpb.Article{},
		articleKeys: map[string][]byte{}, sourceIDs: map[string]string{}, sources: map[string]citedSource{},
		checkExisting: opts.CheckExisting}
	results := make([]store.ImportResult, len(recs))
	failed := false
	for i := range recs {
		// Checking every record would cost a lock per record for nothing.
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		res, err := im.apply(&recs[i])
		if err != nil {
			return nil, fmt.Errorf("import record %d: %w", i, err)
		}
		failed = failed || res.Outcome == store.OutcomeFailed
		results[i] = res
	}
	if opts.AllOrNothing && failed {
		for i := range results {
			if results[i].Outcome == store.OutcomeCreated {
				results[i] = store.ImportResult{Outcome: store.OutcomeRolledBack}
			}
		}
		return results, nil
	}
	if opts.DryRun {
		return results, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := flushAudit(tx); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return results, nil
}

// maxCachedText bounds the article texts an importer keeps decoded: a chunk
// of annotations usually shares a few articles, but may name thousands.
const maxCachedText = 64 << 20

// importer applies the records of one Import call in its transaction.
type importer struct {
	s  *Store
	tx *bbolt.Tx
	// w is the call's: its Actor authors what the call creates.
	w store.WriteInfo
	// articles caches decoded articles by record key: annotations of one
	// article would otherwise decode its whole text each.
	articles   map[string]*recordpb.Article
	cachedText int
	// articleKeys caches the record keys of articles named by URL.
	articleKeys map[string][]byte
	// sourceIDs caches the IDs of sources named by URL, and sources what
	// citations need of them, by ID.
	sourceIDs map[string]string
	sources   map[string]citedSource
	// Only what exists is cached: a later record may create the rest, and
	// nothing an import does deletes or renames.

	// checkExisting is the call's ImportOptions.CheckExisting.
	checkExisting func(*store.ImportRecord, *store.Annotation) error
}

// apply imports one record. A *store.Error comes back as an OutcomeFailed
// result; any other error ends the call.
func (im *importer) apply(rec *store.ImportRecord) (store.ImportResult, error) {
	reqIDs := im.tx.Bucket(bucketImportRequestIDs)
	var (
		name      string
		outcome   store.Outcome
		err       error
		byRequest bool
	)
	if rec.RequestID != "" {
		if done := reqIDs.Get(bounded(rec.RequestID)); done != nil {
			name, outcome, byRequest = string(done), store.OutcomeExisting, true
		}
	}
	switch {
	case byRequest:
	case rec.Article != nil && rec.Source == nil && rec.Annotation == nil:
		name, outcome, err = im.article(rec.Article)
	case rec.Source != nil && rec.Article == nil && rec.Annotation == nil:
		name, outcome, err = im.source(rec.Source)
	case rec.Annotation != nil && rec.Article == nil && rec.Source == nil && rec.Annotation.Annotation != nil:
		name, outcome, err = im.annotation(rec.Annotation)
	default:
		err = &store.Error{Kind: store.ErrInvalidArgument, Reason: "INVALID_RECORD",
			Message: "an import record must hold exactly one article, source or annotation"}
	}
	if err == nil && outcome == store.OutcomeExisting && im.checkExisting != nil {
		err = im.askExisting(rec, name)
	}
	if err != nil {
		var se *store.Error
		if errors.As(err, &se) {
			return store.ImportResult{Outcome: store.OutcomeFailed, Err: se}, nil
		}
		return store.ImportResult{}, err
	}
	if rec.RequestID != "" && !byRequest {
		if err := reqIDs.Put(bounded(rec.RequestID), []byte(name)); err != nil {
			return store.ImportResult{}, err
		}
	}
	return store.ImportResult{Outcome: outcome, Name: name}, nil
}

// askExisting asks the call's CheckExisting about the annotation called
// name, when name is an annotation's that is still stored.
func (im *importer) askExisting(rec *store.ImportRecord, name string) error {
	rest, isArticles := strings.CutPrefix(name, "articles/")
	articleID, id, isAnnotation := strings.Cut(rest, "/annotations/")
	if !isArticles || !isAnnotation {
		return nil // an article or a source: everybody sees those
	}
	_, _, r, err := getAnnotation(im.tx, articleID, id)
	var se *store.Error
	if errors.As(err, &se) && se.Kind == store.ErrNotFound {
		return nil // a request_id's annotation purged since: nothing to hide
	}
	if err != nil {
		return err
	}
	return im.checkExisting(rec, annotationFromRecord(r))
}

func (im *importer) article(in *store.Article) (string, store.Outcome, error) {
	if in.URL != "" {
		if key := im.articleKey(in.URL); key != nil {
			art, err := im.articleByKey(key)
			if err != nil {
				return "", 0, err
			}
			return store.ArticleName(art.Id), store.OutcomeExisting, nil
		}
	}
	r := im.s.newArticle(im.tx, in)
	key, err := insertArticle(im.tx, r, im.w.Actor)
	if err != nil {
		return "", 0, err
	}
	if err := appendChange(im.tx, im.w, articleChange(store.ChangeCreated, nil, r, fromTimestamp(r.UpdateTime))); err != nil {
		return "", 0, err
	}
	im.cache(key, r)
	return store.ArticleName(r.Id), store.OutcomeCreated, nil
}

func (im *importer) source(in *store.Source) (string, store.Outcome, error) {
	if in.URL != "" {
		if key := lookup(im.tx, bucketSourceURLs, bounded(in.URL)); key != nil {
			return recordName(im.tx, bucketSources, key), store.OutcomeExisting, nil
		}
	}
	r := im.s.newSource(im.tx, in)
	if _, err := insertSource(im.tx, r); err != nil {
		return "", 0, err
	}
	if err := appendChange(im.tx, im.w, sourceChange(store.ChangeCreated, nil, r, fromTimestamp(r.UpdateTime))); err != nil {
		return "", 0, err
	}
	return store.SourceName(r.Id), store.OutcomeCreated, nil
}

func (im *importer) annotation(in *store.AnnotationImport) (string, store.Outcome, error) {
	a := *in.Annotation // the caller's value stays untouched
	artKey, art, err := im.parent(a.ArticleID, in.ArticleURL)
	if err != nil {
		return "", 0, err
	}
	if a.ExternalID != "" {
		if key := lookup(im.tx, bucketAnnotationExternalID, bounded(a.ExternalID)); key != nil {
			return recordName(im.tx, bucketAnnotations, key), store.OutcomeExisting, nil
		}
	}
	if a.ID != "" && im.tx.Bucket(bucketAnnotationIDs).Get(cat(artKey, []byte(a.ID))) != nil {
		return store.AnnotationName(art.Id, a.ID), store.OutcomeExisting, nil
	}
	if a.Citations, err = im.citations(a.Citations, in.SourceURLs); err != nil {
		return "", 0, err
	}
	if a.Anchor.HasPosition {
		if a.Anchor.Start, a.Anchor.End, err = toCodePoints(art.Text, a.Anchor.Start, a.Anchor.End, in.PositionUnit); err != nil {
			return "", 0, err
		}
	}
	r, err := im.s.newAnnotation(im.tx, &a, artKey, art, im.w.Actor, im.sources)
	if err != nil {
		return "", 0, err
	}
	// Its ID and external ID were looked up above (or by newID) and are
	// free.
	if _, err := insertAnnotation(im.tx, r, im.w, true); err != nil {
		return "", 0, err
	}
	if err := appendChange(im.tx, im.w, annotationChange(store.ChangeCreated, nil, r, fromTimestamp(r.UpdateTime))); err != nil {
		return "", 0, err
	}
	return store.AnnotationName(r.ArticleId, r.Id), store.OutcomeCreated, nil
}

// parent finds the article an annotation record names by ID, URL or both.
func (im *importer) parent(id, url string) ([]byte, *recordpb.Article, error) {
	var byID, byURL []byte
	if id != "" {
		if byID = lookup(im.tx, bucketArticleIDs, []byte(id)); byID == nil {
			return nil, nil, store.NotFound("ARTICLE_NOT_FOUND", store.ArticleName(id))
		}
	}
	if url != "" {
		if byURL = im.articleKey(url); byURL == nil {
			return nil, nil, &store.Error{Kind: store.ErrNotFound, Reason: "ARTICLE_NOT_FOUND",
				Message: fmt.Sprintf("no article has url %q: import the article before its annotations, or name the parent as `articles/{article}`", url)}
		}
	}
	key := byID
	switch {
	case byID == nil && byURL == nil:
		return nil, nil, &store.Error{Kind: store.ErrInvalidArgument, Reason: "INVALID_RECORD",
			Message: "an annotation record names no parent article: give its ID or its URL"}
	case byID == nil:
		key = byURL
	case byURL != nil && !bytes.Equal(byID, byURL):
		art, err := im.articleByKey(byURL)
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, store.Invalid("PARENT_MISMATCH", "name", fmt.Sprintf(
			"the annotation is named under %s, but its parent url %q is %s: name it under the article it belongs to, or leave the name out",
			store.ArticleName(id), url, store.ArticleName(art.Id)))
	}
	art, err := im.articleByKey(key)
	return key, art, err
}

// articleKey returns the record key of the article with the given URL, or nil.
func (im *importer) articleKey(url string) []byte {
	if key, ok := im.articleKeys[url]; ok {
		return key
	}
	key := lookup(im.tx, bucketArticleURLs, bounded(url))
	if key != nil {
		im.articleKeys[url] = key
	}
	return key
}

// articleByKey decodes (once per call) the article under key.
func (im *importer) articleByKey(key []byte) (*recordpb.Article, error) {
	if art, ok := im.articles[string(key)]; ok {
		return art, nil
	}
	art, err := decode(im.tx.Bucket(bucketArticles).Get(key), &recordpb.Article{})
	if err != nil {
		return nil, fmt.Errorf("article record %x: %w", key, err)
	}
	im.cache(key, art)
	return art, nil
}

func (im *importer) cache(key []byte, art *recordpb.Article) {
	if im.cachedText+len(art.Text) > maxCachedText {
		clear(im.articles)
		im.cachedText = 0
	}
	im.articles[string(key)] = art
	im.cachedText += len(art.Text)
}

// citations returns a copy of cs whose sources are all named by ID, and
// fails with every citation whose source does not exist.
func (im *importer) citations(cs []store.Citation, urls []string) ([]store.Citation, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	out := make([]store.Citation, len(cs))
	copy(out, cs)
	var vs []store.Violation
	for i := range out {
		// Named only for a violation: most citations have none.
		field := func() string { return fmt.Sprintf("citations[%d].source", i) }
		if i < len(urls) && urls[i] != "" {
			id, err := im.sourceIDByURL(urls[i])
			if err != nil {
				return nil, err
			}
			if id == "" {
				vs = append(vs, store.Violation{Field: field(), Description: fmt.Sprintf(
					"no source has url %q: import the source before the annotations that cite it", urls[i])})
			}
			out[i].SourceID = id
			continue
		}
		if cite(im.tx, im.sources, out[i].SourceID).key == 0 {
			vs = append(vs, store.Violation{Field: field(), Description: store.SourceName(out[i].SourceID) +
				" does not exist: import the source before the annotations that cite it, or cite an existing one"})
		}
	}
	if len(vs) == 0 {
		return out, nil
	}
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.Field + ": " + v.Description
	}
	return nil, &store.Error{Kind: store.ErrInvalidArgument, Reason: "SOURCE_NOT_FOUND",
		Message: strings.Join(msgs, "; "), Violations: vs}
}

// sourceIDByURL returns the ID of the source with the given URL, or "".
func (im *importer) sourceIDByURL(url string) (string, error) {
	if id, ok := im.sourceIDs[url]; ok {
		return id, nil
	}
	key := im.tx.Bucket(bucketSourceURLs).Get(bounded(url))
	if key == nil {
		// Not cached: a later record of this call may create it.
		return "", nil
	}
	r, err := decode(im.tx.Bucket(bucketSources).Get(key), &recordpb.Source{})
	if err != nil {
		return "", fmt.Errorf("source record %x: %w", key, err)
	}
	im.sourceIDs[url] = r.Id
	return r.Id, nil
}

// toCodePoints converts a span counted in unit to code points of text.
func toCodePoints(text string, start, end int, unit store.PositionUnit) (int, int, error) {
	var (
		sp   anchor.Span
		ok   bool
		what string
	)
	switch unit {
	case store.PositionUnitUnspecified, store.PositionUnitCodePoint:
		return start, end, nil
	case store.PositionUnitUTF16:
		sp, ok = anchor.UTF16ToCodePoints(text, start, end)
		what = "UTF-16 code units: it is reversed, ends past the text, or splits a surrogate pair"
	case store.PositionUnitUTF8:
		sp, ok = anchor.UTF8ToCodePoints(text, start, end)
		what = "UTF-8 bytes: it is reversed, ends past the text, or falls inside a character"
	default:
		return 0, 0, store.Invalid("INVALID_POSITION", "anchor.position", fmt.Sprintf("unit %d is not a position unit", unit))
	}
	if !ok {
		return 0, 0, store.Invalid("INVALID_POSITION", "anchor.position", fmt.Sprintf(
			"[%d, %d) is not a span of the article's text in %s (the text is %d bytes long)", start, end, what, len(text)))
	}
	return sp.Start, sp.End, nil
}
