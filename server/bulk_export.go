package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/interchange"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

// Export reads the store a page at a time, each page its own read
// transaction: a long export never pins old pages of the file (which would
// make it grow while others write) and sees what others commit meanwhile.
const (
	exportPageSize = 500
	// Full exports list articles with their texts (up to 1 MiB each).
	exportArticlePageSize = 16
	// maxExportCache bounds the articles and sources a JSON-LD export keeps
	// to describe the annotations that follow; past it the cache starts over.
	maxExportCache = 10000
	// maxSkippedNamed bounds the skipped annotations the trailer names.
	maxSkippedNamed = 100
)

// Trailer keys of an Export that skipped annotations (see the Export rpc).
const (
	trailerSkipped      = "factcheck-export-skipped"
	trailerSkippedNames = "factcheck-export-skipped-annotation"
)

// exporter is the state of one Export call.
type exporter struct {
	ctx       context.Context
	st        store.Store
	stream    factcheckv1.BulkService_ExportServer
	articleID string
	// expr is the request's filter restricted to what the caller sees.
	expr filter.Expr
	// everything: the request asked for every annotation (`articles/-`, no
	// filter), so the export includes every article and source as well,
	// which every role may read, whatever the caller sees of the
	// annotations.
	everything bool
	// newsroom authors ClaimReview documents.
	newsroom string
}

// Export implements factcheckv1.BulkServiceServer.
func (s *bulkService) Export(req *factcheckv1.ExportRequest, stream factcheckv1.BulkService_ExportServer) error {
	var v validator
	parent := req.GetParent()
	if parent == "" {
		parent = "articles/-"
	}
	articleID := v.annotationParent("parent", parent, true)
	expr := v.filter("filter", req.GetFilter(), store.AnnotationFilterSchema, "`state = STATE_PUBLISHED AND verdict.rating = RATING_FALSE`")
	v.enum("format", protoreflect.EnumNumber(req.GetFormat()), factcheckv1.Format_FORMAT_UNSPECIFIED.Descriptor())
	baseURL := s.publicURL
	if req.GetBaseUrl() != "" {
		v.url("base_url", req.GetBaseUrl())
		baseURL = withSlash(req.GetBaseUrl())
	}
	if err := v.err(); err != nil {
		return err
	}
	ex := &exporter{
		ctx: stream.Context(), st: s.st, stream: stream, articleID: articleID,
		expr:       restrict(expr, visibilityFilter(callerFrom(stream.Context()))),
		everything: articleID == "" && expr == nil,
		newsroom:   s.newsroom,
	}
	if req.GetFormat() == factcheckv1.Format_FORMAT_UNSPECIFIED || req.GetFormat() == factcheckv1.Format_FORMAT_JSONL {
		return ex.jsonl()
	}
	skipped, err := ex.documents(req.GetFormat(), baseURL)
	if len(skipped) > 0 {
		s.logger.WarnContext(ex.ctx, "export skipped annotations", "format", req.GetFormat().String(),
			"skipped", len(skipped), "first", skipped[0])
	}
	return err
}

// withSlash makes u end with "/", so that a resource name can follow it.
func withSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// eachAnnotation calls fn with every annotation the export covers, in
// creation order, a page at a time.
func (ex *exporter) eachAnnotation(fn func(*store.Annotation) error) error {
	token := ""
	for {
		page, next, err := ex.st.ListAnnotations(ex.ctx, ex.articleID, store.ListQuery{Filter: ex.expr, PageSize: exportPageSize, PageToken: token})
		if err != nil {
			return err
		}
		for _, a := range page {
			if err := fn(a); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

func (ex *exporter) sendRecord(rec *factcheckv1.ImportRecord) error {
	return ex.stream.Send(&factcheckv1.ExportResponse{Item: &factcheckv1.ExportResponse_Record{Record: rec}})
}

// jsonl exports ImportRecords: the articles and sources first, then the
// annotations, each under its name and with its parent and sources named, so
// that an import into an empty server recreates the same names. An export of
// everything (`articles/-`, no filter) includes the articles and sources no
// annotation refers to; a narrower one only those its annotations need.
// Anything created between the passes that an annotation needs is sent
// just before it, so the export still imports.
func (ex *exporter) jsonl() error {
	articles := map[string]bool{} // sent, or (during the first pass) needed
	sources := map[string]bool{}
	sendArticle := func(a *store.Article) error {
		articles[a.ID] = true
		return ex.sendRecord(&factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Article{Article: articleToProto(a, true)}})
	}
	sendSource := func(src *store.Source) error {
		sources[src.ID] = true
		return ex.sendRecord(&factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Source{Source: sourceToProto(src)}})
	}
	if ex.everything {
		if err := pageAll(ex.ctx, exportArticlePageSize, ex.st.ListArticles, sendArticle); err != nil {
			return err
		}
		if err := pageAll(ex.ctx, exportPageSize, ex.st.ListSources, sendSource); err != nil {
			return err
		}
	} else {
		var artIDs, srcIDs []string
		err := ex.eachAnnotation(func(a *store.Annotation) error {
			if !articles[a.ArticleID] {
				articles[a.ArticleID] = true
				artIDs = append(artIDs, a.ArticleID)
			}
			for _, c := range a.Citations {
				if !sources[c.SourceID] {
					sources[c.SourceID] = true
					srcIDs = append(srcIDs, c.SourceID)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		clear(articles)
		clear(sources)
		for _, id := range artIDs {
			if err := ex.sendArticleByID(id, sendArticle); err != nil {
				return err
			}
		}
		for _, id := range srcIDs {
			if err := ex.sendSourceByID(id, sendSource); err != nil {
				return err
			}
		}
	}
	return ex.eachAnnotation(func(a *store.Annotation) error {
		if !articles[a.ArticleID] {
			if err := ex.sendArticleByID(a.ArticleID, sendArticle); err != nil {
				return err
			}
		}
		for _, c := range a.Citations {
			if !sources[c.SourceID] {
				if err := ex.sendSourceByID(c.SourceID, sendSource); err != nil {
					return err
				}
			}
		}
		return ex.sendRecord(&factcheckv1.ImportRecord{Record: &factcheckv1.ImportRecord_Annotation{Annotation: &factcheckv1.AnnotationImport{
			Parent:     store.ArticleName(a.ArticleID),
			Annotation: annotationToProto(a),
		}}})
	})
}

// sendArticleByID sends an article, unless it was deleted since an
// annotation named it (its annotations went with it).
func (ex *exporter) sendArticleByID(id string, send func(*store.Article) error) error {
	a, err := ex.st.GetArticle(ex.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return send(a)
}

func (ex *exporter) sendSourceByID(id string, send func(*store.Source) error) error {
	src, err := ex.st.GetSource(ex.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return send(src)
}

// pageAll calls fn with every record a List method returns, a page at a
// time.
func pageAll[T any](ctx context.Context, size int, list func(context.Context, store.ListQuery) ([]T, string, error), fn func(T) error) error {
	token := ""
	for {
		page, next, err := list(ctx, store.ListQuery{PageSize: size, PageToken: token})
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// documents exports one JSON-LD document per annotation. An annotation the
// format cannot represent (interchange's ExportError: a ClaimReview without a
// verdict, a cited source deleted meanwhile) is skipped; the trailer counts
// and names the skipped ones, which are returned for the log.
func (ex *exporter) documents(format factcheckv1.Format, baseURL string) ([]string, error) {
	articles := map[string]*factcheckv1.Article{}
	sources := map[string]*factcheckv1.Source{}
	var skipped []string
	count := 0
	err := ex.eachAnnotation(func(a *store.Annotation) error {
		art, err := ex.cachedArticle(articles, a.ArticleID)
		if err != nil {
			return err
		}
		srcs := make(map[string]*factcheckv1.Source, len(a.Citations))
		for _, c := range a.Citations {
			src, err := ex.cachedSource(sources, c.SourceID)
			if err != nil {
				return err
			}
			if src != nil {
				srcs[src.GetName()] = src
			}
		}
		pa := annotationToProto(a)
		var doc map[string]any
		if format == factcheckv1.Format_FORMAT_CLAIM_REVIEW {
			doc, err = interchange.ClaimReview(pa, art, srcs, baseURL, interchange.ClaimReviewOptions{Author: ex.newsroom})
		} else {
			doc, err = interchange.WebAnnotation(pa, art, srcs, baseURL)
		}
		var ee *interchange.ExportError
		if errors.As(err, &ee) {
			count++
			if len(skipped) < maxSkippedNamed {
				skipped = append(skipped, asciiOnly(err.Error()))
			}
			return nil
		}
		if err != nil {
			return err
		}
		st, err := structpb.NewStruct(doc)
		if err != nil {
			return fmt.Errorf("%s: the exported document is not JSON: %w", a.Name(), err)
		}
		return ex.stream.Send(&factcheckv1.ExportResponse{Item: &factcheckv1.ExportResponse_Document{Document: st}})
	})
	if count > 0 {
		md := metadata.Pairs(trailerSkipped, strconv.Itoa(count))
		md.Append(trailerSkippedNames, skipped...)
		ex.stream.SetTrailer(md)
	}
	return skipped, err
}

// cachedArticle returns the article id, without its text (no export format
// carries it), or nil when it is gone.
func (ex *exporter) cachedArticle(cache map[string]*factcheckv1.Article, id string) (*factcheckv1.Article, error) {
	if a, ok := cache[id]; ok {
		return a, nil
	}
	if len(cache) >= maxExportCache {
		clear(cache)
	}
	a, err := ex.st.GetArticle(ex.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		cache[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cache[id] = articleToProto(a, false)
	return cache[id], nil
}

func (ex *exporter) cachedSource(cache map[string]*factcheckv1.Source, id string) (*factcheckv1.Source, error) {
	if s, ok := cache[id]; ok {
		return s, nil
	}
	if len(cache) >= maxExportCache {
		clear(cache)
	}
	s, err := ex.st.GetSource(ex.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		cache[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cache[id] = sourceToProto(s)
	return cache[id], nil
}

// asciiOnly replaces what gRPC metadata cannot carry in a text value.
func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}
