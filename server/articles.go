package server

import (
	"context"

	"google.golang.org/protobuf/reflect/protoreflect"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// ListArticles and ListArticleRevisions with ARTICLE_VIEW_FULL return texts
// of up to 1 MiB each: a page of 1,000 could reach a gigabyte. So
// fullViewPage reads the store in chunks no bigger than the budget left
// could hold if every text were of the largest size, and ends the page once
// the budget is spent. Its texts then total at
// most fullViewTextBudget + maxTextBytes (3 MiB), whatever page_size asks
// for, and the page fits grpc's default 4 MiB message limit. AIP-158 lets a
// page hold fewer items than page_size.
const fullViewTextBudget = 2 << 20

type articleService struct {
	factcheckv1.UnimplementedArticleServiceServer
	st store.Store
}

var _ factcheckv1.ArticleServiceServer = (*articleService)(nil)

func (s *articleService) CreateArticle(ctx context.Context, req *factcheckv1.CreateArticleRequest) (*factcheckv1.CreateArticleResponse, error) {
	var v validator
	v.id("article_id", req.GetArticleId())
	if req.GetArticle() == nil {
		v.add("article", reasonFieldRequired, "is required: send the article to create, with at least url and text")
	} else {
		v.article("article", req.GetArticle(), all)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	a := articleFromProto(req.GetArticle())
	a.ID = req.GetArticleId()
	out, err := s.st.CreateArticle(ctx, a)
	if err != nil {
		return nil, inField("article", err)
	}
	return &factcheckv1.CreateArticleResponse{Article: articleToProto(out, true)}, nil
}

func (s *articleService) GetArticle(ctx context.Context, req *factcheckv1.GetArticleRequest) (*factcheckv1.GetArticleResponse, error) {
	var v validator
	id := v.articleName("name", req.GetName())
	v.enum("view", protoreflect.EnumNumber(req.GetView()), factcheckv1.ArticleView_ARTICLE_VIEW_UNSPECIFIED.Descriptor())
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := s.st.GetArticle(ctx, id)
	if err != nil {
		return nil, err
	}
	return &factcheckv1.GetArticleResponse{Article: articleToProto(a, req.GetView() != factcheckv1.ArticleView_ARTICLE_VIEW_BASIC)}, nil
}

func (s *articleService) ListArticles(ctx context.Context, req *factcheckv1.ListArticlesRequest) (*factcheckv1.ListArticlesResponse, error) {
	var v validator
	size := v.pageSize("page_size", req.GetPageSize())
	order := v.orderBy("order_by", req.GetOrderBy())
	v.enum("view", protoreflect.EnumNumber(req.GetView()), factcheckv1.ArticleView_ARTICLE_VIEW_UNSPECIFIED.Descriptor())
	full := req.GetView() == factcheckv1.ArticleView_ARTICLE_VIEW_FULL
	expr := v.filter("filter", req.GetFilter(), store.ArticleFilterSchema,
		"`publisher = \"Shafaq News\" AND publish_time >= \"2024-01-01T00:00:00Z\"`")
	view := factcheckv1.ArticleView_ARTICLE_VIEW_BASIC
	if full {
		view = factcheckv1.ArticleView_ARTICLE_VIEW_FULL
	}
	fp := pageQuery{method: "ListArticles", filter: req.GetFilter(), order: order, view: int32(view), showDeleted: req.GetShowDeleted()}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}

	q := store.ListQuery{Filter: expr, OrderBy: store.OrderBy(order), PageSize: size, PageToken: token, ShowDeleted: req.GetShowDeleted()}
	list := func(pageSize int, token string) ([]*store.Article, string, error) {
		q.PageSize, q.PageToken = pageSize, token
		return s.st.ListArticles(ctx, q)
	}
	var arts []*store.Article
	var next string
	var err error
	if full {
		arts, next, err = fullViewPage(size, token, func(a *store.Article) int { return len(a.Text) }, list)
	} else {
		arts, next, err = list(size, token)
	}
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListArticlesResponse{NextPageToken: encodePageToken(fp, next)}
	for _, a := range arts {
		resp.Articles = append(resp.Articles, articleToProto(a, full))
	}
	return resp, nil
}

// fullViewPage fills a page of at most size items that carry texts from
// the store pages list reads from token on, bounded as fullViewTextBudget
// says, and returns it with the store's token for what follows it.
func fullViewPage[T any](size int, token string, textBytes func(T) int, list func(pageSize int, token string) ([]T, string, error)) ([]T, string, error) {
	var page []T
	budget := fullViewTextBudget
	for {
		items, next, err := list(max(1, min(size-len(page), budget/maxTextBytes)), token)
		if err != nil {
			return nil, "", err
		}
		for _, it := range items {
			page = append(page, it)
			budget -= textBytes(it)
		}
		token = next
		if next == "" || len(page) >= size || budget <= 0 {
			return page, token, nil
		}
	}
}

func (s *articleService) UpdateArticle(ctx context.Context, req *factcheckv1.UpdateArticleRequest) (*factcheckv1.UpdateArticleResponse, error) {
	var v validator
	msg := req.GetArticle()
	if msg == nil {
		v.add("article", reasonFieldRequired, "is required: send the article with its name and the fields to change")
		return nil, v.err()
	}
	id := v.articleName("article.name", msg.GetName())
	v.etag("article.etag", msg.GetEtag())
	paths := articleMask.resolve(&v, req.GetUpdateMask(), msg)
	v.article("article", msg, coveredBy(paths))
	if err := v.err(); err != nil {
		return nil, err
	}
	out, err := s.st.UpdateArticle(ctx, id, msg.GetEtag(), func(a *store.Article) error {
		articleMask.apply(paths, msg, a)
		return nil
	})
	if err != nil {
		return nil, inField("article", err)
	}
	return &factcheckv1.UpdateArticleResponse{Article: articleToProto(out, true)}, nil
}

func (s *articleService) DeleteArticle(ctx context.Context, req *factcheckv1.DeleteArticleRequest) (*factcheckv1.DeleteArticleResponse, error) {
	var v validator
	id := v.articleName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.st.DeleteArticle(ctx, id, req.GetEtag(), req.GetForce()); err != nil {
		return nil, err
	}
	return &factcheckv1.DeleteArticleResponse{}, nil
}

func (s *articleService) UndeleteArticle(ctx context.Context, req *factcheckv1.UndeleteArticleRequest) (*factcheckv1.UndeleteArticleResponse, error) {
	var v validator
	id := v.articleName("name", req.GetName())
	v.etag("etag", req.GetEtag())
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := s.st.UndeleteArticle(ctx, id, req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &factcheckv1.UndeleteArticleResponse{Article: articleToProto(a, true)}, nil
}

func (s *articleService) ListArticleRevisions(ctx context.Context, req *factcheckv1.ListArticleRevisionsRequest) (*factcheckv1.ListArticleRevisionsResponse, error) {
	var v validator
	id := v.articleName("parent", req.GetParent())
	size := v.pageSize("page_size", req.GetPageSize())
	oldestFirst := v.revisionOrder("order_by", req.GetOrderBy(), "revision")
	v.enum("view", protoreflect.EnumNumber(req.GetView()), factcheckv1.ArticleView_ARTICLE_VIEW_UNSPECIFIED.Descriptor())
	full := req.GetView() == factcheckv1.ArticleView_ARTICLE_VIEW_FULL
	view := factcheckv1.ArticleView_ARTICLE_VIEW_BASIC
	if full {
		view = factcheckv1.ArticleView_ARTICLE_VIEW_FULL
	}
	fp := pageQuery{method: "ListArticleRevisions", parent: req.GetParent(), order: orderSpec{Desc: !oldestFirst}, view: int32(view)}.fingerprint()
	token := v.pageToken("page_token", req.GetPageToken(), fp)
	if err := v.err(); err != nil {
		return nil, err
	}
	q := store.RevisionQuery{OldestFirst: oldestFirst, OmitText: !full}
	list := func(pageSize int, token string) ([]*store.ArticleRevision, string, error) {
		q.PageSize, q.PageToken = pageSize, token
		return s.st.ListArticleRevisions(ctx, id, q)
	}
	var revs []*store.ArticleRevision
	var next string
	var err error
	if full {
		// Texts are bounded as in ListArticles.
		revs, next, err = fullViewPage(size, token, func(r *store.ArticleRevision) int { return len(r.Text) }, list)
	} else {
		revs, next, err = list(size, token)
	}
	if err != nil {
		return nil, err
	}
	resp := &factcheckv1.ListArticleRevisionsResponse{NextPageToken: encodePageToken(fp, next)}
	for _, r := range revs {
		resp.Revisions = append(resp.Revisions, articleRevisionToProto(r, full))
	}
	return resp, nil
}

func (s *articleService) GetArticleRevision(ctx context.Context, req *factcheckv1.GetArticleRevisionRequest) (*factcheckv1.GetArticleRevisionResponse, error) {
	var v validator
	id, n := v.articleRevisionName("name", req.GetName())
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := s.st.GetArticleRevision(ctx, id, n)
	if err != nil {
		return nil, err
	}
	return &factcheckv1.GetArticleRevisionResponse{Revision: articleRevisionToProto(r, true)}, nil
}
