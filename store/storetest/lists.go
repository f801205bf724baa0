package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/filter"
)

// listed is what the list checks need of any resource.
type listed struct {
	id     string
	update time.Time
}

// lister runs one List call of some resource.
type lister func(q store.ListQuery) ([]listed, string, error)

func articleLister(s store.Store) lister {
	return func(q store.ListQuery) ([]listed, string, error) {
		xs, next, err := s.ListArticles(ctx, q)
		out := make([]listed, len(xs))
		for i, x := range xs {
			out[i] = listed{x.ID, x.UpdateTime}
		}
		return out, next, err
	}
}

func sourceLister(s store.Store) lister {
	return func(q store.ListQuery) ([]listed, string, error) {
		xs, next, err := s.ListSources(ctx, q)
		out := make([]listed, len(xs))
		for i, x := range xs {
			out[i] = listed{x.ID, x.UpdateTime}
		}
		return out, next, err
	}
}

// annotationLister lists annotations of one article, or of all with "";
// IDs are "article/annotation" so that they are unique across articles.
func annotationLister(s store.Store, articleID string) lister {
	return func(q store.ListQuery) ([]listed, string, error) {
		xs, next, err := s.ListAnnotations(ctx, articleID, q)
		out := make([]listed, len(xs))
		for i, x := range xs {
			out[i] = listed{x.ArticleID + "/" + x.ID, x.UpdateTime}
		}
		return out, next, err
	}
}

// collect reads every page of q, checking the page contract on the way: a
// page that carries a next token is full, a page reached through a token is
// not empty (so a token is never handed out when nothing follows).
func collect(t *testing.T, list lister, q store.ListQuery) []listed {
	t.Helper()
	var all []listed
	for page := 0; ; page++ {
		items, next, err := list(q)
		if err != nil {
			t.Fatalf("page %d of %+v: %v", page, q, err)
		}
		switch {
		case len(items) > q.PageSize:
			t.Fatalf("page %d has %d items, more than PageSize %d", page, len(items), q.PageSize)
		case next != "" && len(items) != q.PageSize:
			t.Fatalf("page %d has %d items and a next token; want a full page of %d", page, len(items), q.PageSize)
		case page > 0 && len(items) == 0:
			t.Fatalf("page %d, reached through a next token, is empty: the previous token promised more", page)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		if page > 1000 {
			t.Fatal("more than 1000 pages")
		}
		q.PageToken = next
	}
}

func ids(xs []listed) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.id
	}
	return out
}

// expectOrder returns the IDs of all (in creation order) in the order o
// asks for: update order breaks ties by creation order, and Desc reverses
// the whole order, ties included.
func expectOrder(all []listed, o store.OrderBy) []string {
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	if o.Field == store.OrderByUpdateTime {
		slices.SortStableFunc(idx, func(a, b int) int { return all[a].update.Compare(all[b].update) })
	}
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = all[j].id
	}
	if o.Desc {
		slices.Reverse(out)
	}
	return out
}

var orders = []store.OrderBy{
	{Field: store.OrderByCreateTime},
	{Field: store.OrderByCreateTime, Desc: true},
	{Field: store.OrderByUpdateTime},
	{Field: store.OrderByUpdateTime, Desc: true},
}

func orderName(o store.OrderBy) string {
	name := "create_time"
	if o.Field == store.OrderByUpdateTime {
		name = "update_time"
	}
	if o.Desc {
		name += " desc"
	}
	return name
}

// checkOrders lists every order with several page sizes, against created
// (the IDs in creation order).
func checkOrders(t *testing.T, what string, list lister, created []string, f filter.Expr) {
	t.Helper()
	all := collect(t, list, store.ListQuery{PageSize: 1000, Filter: f})
	if got := ids(all); !slices.Equal(got, created) {
		t.Fatalf("%s in creation order: %q, want %q", what, got, created)
	}
	for _, o := range orders {
		want := expectOrder(all, o)
		for _, size := range []int{1, 2, 3, len(created), len(created) + 1, 1000} {
			got := ids(collect(t, list, store.ListQuery{PageSize: max(size, 1), OrderBy: o, Filter: f}))
			if !slices.Equal(got, want) {
				t.Errorf("%s by %s, pages of %d: %q, want %q", what, orderName(o), size, got, want)
			}
		}
	}
}

func testListOrderAndPages(t *testing.T, s store.Store) {
	h := harness{t, s}
	const n = 7
	var arts, srcs, anns []string
	art := h.claimArticle("claims")
	arts = append(arts, art.ID)
	for i := range n {
		if i > 0 {
			arts = append(arts, h.createArticle(newArticle(i)).ID)
		}
		srcs = append(srcs, h.createSource(newSource(i)).ID)
		anns = append(anns, art.ID+"/"+h.createAnnotation(newAnnotation(art.ID, i)).ID)
	}
	// Updates move records 2 and then 0 to the end of update order.
	for _, i := range []int{2, 0} {
		h.updateArticle(arts[i], func(a *store.Article) { a.Title = "updated" })
		h.updateSource(srcs[i], func(s *store.Source) { s.Notes = "updated" })
		h.updateAnnotation(art.ID, strings.TrimPrefix(anns[i], art.ID+"/"), func(a *store.Annotation) { a.Verdict.Label = "updated" })
	}
	checkOrders(t, "articles", articleLister(s), arts, nil)
	checkOrders(t, "sources", sourceLister(s), srcs, nil)
	checkOrders(t, "annotations of the article", annotationLister(s, art.ID), anns, nil)
	checkOrders(t, "annotations of all articles", annotationLister(s, ""), anns, nil)

	// An empty collection is one empty page without a token.
	empty := h.claimArticle("empty")
	if xs, next, err := s.ListAnnotations(ctx, empty.ID, store.ListQuery{PageSize: 5}); err != nil || len(xs) != 0 || next != "" {
		t.Errorf("listing no annotations: %d items, next %q, err %v", len(xs), next, err)
	}
}

func testListPageTokens(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	h.createSource(newSource(1))
	h.createAnnotation(newAnnotation(art.ID, 1))
	for _, tok := range []string{"garbage!", "AAAA", "%%%", strings.Repeat("z", 40)} {
		q := store.ListQuery{PageSize: 1, PageToken: tok}
		_, _, err := s.ListArticles(ctx, q)
		wantViolation(t, wantErr(t, err, store.ErrInvalidArgument, "INVALID_PAGE_TOKEN"), "page_token")
		_, _, err = s.ListSources(ctx, q)
		wantErr(t, err, store.ErrInvalidArgument, "INVALID_PAGE_TOKEN")
		_, _, err = s.ListAnnotations(ctx, art.ID, q)
		wantErr(t, err, store.ErrInvalidArgument, "INVALID_PAGE_TOKEN")
		_, _, err = s.ListAnnotations(ctx, "", q)
		wantErr(t, err, store.ErrInvalidArgument, "INVALID_PAGE_TOKEN")
	}
}

// testListKeysetStability creates and deletes records between pages:
// nothing that existed throughout is skipped or repeated.
func testListKeysetStability(t *testing.T, s store.Store) {
	for _, desc := range []bool{false, true} {
		t.Run(fmt.Sprintf("desc=%v", desc), func(t *testing.T) {
			h := harness{t, s}
			art := h.claimArticle(fmt.Sprintf("stable-%v", desc))
			var created []string
			for i := range 10 {
				created = append(created, h.createAnnotation(newAnnotation(art.ID, i)).ID)
			}
			list := annotationLister(s, art.ID)
			q := store.ListQuery{PageSize: 3, OrderBy: store.OrderBy{Desc: desc}}
			first, next, err := list(q)
			check(t, err)
			seen := ids(first)
			// Delete one record already returned and one not yet
			// returned; create one.
			order := slices.Clone(created)
			if desc {
				slices.Reverse(order)
			}
			deletedSeen, deletedUnseen := order[1], order[4]
			check(t, s.DeleteAnnotation(ctx, art.ID, deletedSeen, ""))
			check(t, s.DeleteAnnotation(ctx, art.ID, deletedUnseen, ""))
			added := h.createAnnotation(newAnnotation(art.ID, 20)).ID
			q.PageToken = next
			seen = append(seen, ids(collect(t, list, q))...)

			count := map[string]int{}
			for _, id := range seen {
				count[strings.TrimPrefix(id, art.ID+"/")]++
			}
			for _, id := range order {
				want := 1
				if id == deletedUnseen {
					want = 0
				}
				if count[id] != want {
					t.Errorf("%s listed %d times, want %d (pages: %q)", id, count[id], want, seen)
				}
			}
			if count[added] > 1 {
				t.Errorf("%s, created between pages, listed %d times", added, count[added])
			}
		})
	}
}

// testListEndTokenWithFilter: the next token is empty exactly when nothing
// more matches, even when records that do not match follow the last match.
func testListEndTokenWithFilter(t *testing.T, s store.Store) {
	h := harness{t, s}
	art := h.claimArticle("claims")
	var want []string
	for i := range 10 {
		in := newAnnotation(art.ID, i)
		if i == 1 || i == 4 || i == 6 {
			in.Verdict.Rating = store.RatingFalse
			in.ID = fmt.Sprintf("false-%d", i)
			want = append(want, in.ID)
		}
		h.createAnnotation(in)
	}
	f := parse(t, "verdict.rating = RATING_FALSE", store.AnnotationFilterSchema)
	for _, articleID := range []string{art.ID, ""} {
		anns, next, err := s.ListAnnotations(ctx, articleID, store.ListQuery{PageSize: 3, Filter: f})
		check(t, err)
		got := make([]string, len(anns))
		for i, a := range anns {
			got[i] = a.ID
		}
		if !slices.Equal(got, want) || next != "" {
			t.Errorf("ListAnnotations(%q) with 3 matches, page size 3: %q, next %q; want %q and no token", articleID, got, next, want)
		}
		anns, next, err = s.ListAnnotations(ctx, articleID, store.ListQuery{PageSize: 3, Filter: f, OrderBy: store.OrderBy{Desc: true}})
		check(t, err)
		if len(anns) != 3 || next != "" {
			t.Errorf("descending: %d items, next %q; want 3 and no token", len(anns), next)
		}
	}
	all, next, err := s.ListAnnotations(ctx, art.ID, store.ListQuery{PageSize: 10})
	check(t, err)
	if len(all) != 10 || next != "" {
		t.Errorf("a page exactly as large as the collection: %d items, next %q; want 10 and no token", len(all), next)
	}
}

func testListAnnotationsScope(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("a")
	b := h.claimArticle("b")
	var inA, all []string
	for i := range 4 {
		x := h.createAnnotation(newAnnotation(a.ID, i))
		y := h.createAnnotation(newAnnotation(b.ID, i))
		inA = append(inA, "a/"+x.ID)
		all = append(all, "a/"+x.ID, "b/"+y.ID)
	}
	if got := ids(collect(t, annotationLister(s, a.ID), store.ListQuery{PageSize: 3})); !slices.Equal(got, inA) {
		t.Errorf("annotations of a: %q, want %q", got, inA)
	}
	if got := ids(collect(t, annotationLister(s, ""), store.ListQuery{PageSize: 3})); !slices.Equal(got, all) {
		t.Errorf("annotations of all articles (articles/-): %q, want %q", got, all)
	}
}

// filterCase is a filter and the IDs it selects, in creation order.
type filterCase struct {
	filter string
	want   []string
}

// checkFilters runs each case in every order with small and large pages.
func checkFilters(t *testing.T, list lister, schema filter.Schema, cases []filterCase) {
	t.Helper()
	all := collect(t, list, store.ListQuery{PageSize: 1000})
	for _, tc := range cases {
		f := parse(t, tc.filter, schema)
		var sel []listed
		for _, x := range all {
			if slices.Contains(tc.want, x.id) {
				sel = append(sel, x)
			}
		}
		if len(sel) != len(tc.want) {
			t.Fatalf("filter %q: the suite expects IDs %q, not all of which exist in %q", tc.filter, tc.want, ids(all))
		}
		for _, o := range orders {
			want := expectOrder(sel, o)
			for _, size := range []int{1, 2, 1000} {
				got := ids(collect(t, list, store.ListQuery{PageSize: size, OrderBy: o, Filter: f}))
				if !slices.Equal(got, want) {
					t.Errorf("filter %q by %s, pages of %d: %q, want %q", tc.filter, orderName(o), size, got, want)
				}
			}
		}
	}
}

func rfc3339(t time.Time) string { return `"` + t.Format(time.RFC3339Nano) + `"` }

func testFilterArticles(t *testing.T, s store.Store) {
	h := harness{t, s}
	create := func(id, publisher, language, title string, publish time.Time, labels map[string]string) *store.Article {
		return h.createArticle(&store.Article{ID: id, URL: "https://news.example/" + id, Publisher: publisher,
			Language: language, Title: title, PublishTime: publish, Labels: labels, Text: "text of " + id})
	}
	create("art1", "Shafaq News", "ar", "Talks", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), map[string]string{"desk": "world"})
	art2 := create("art2", "Shafaq News", "en", "Budget", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), map[string]string{"desk": "politics", "urgent": "yes"})
	art3 := create("art3", "Daily", "en", "Weather", time.Time{}, nil)
	h.updateArticle("art1", func(a *store.Article) { a.Labels["seen"] = "1" })

	checkFilters(t, articleLister(s), store.ArticleFilterSchema, []filterCase{
		{``, []string{"art1", "art2", "art3"}},
		{`url = "https://news.example/art2"`, []string{"art2"}},
		{`url = "https://nowhere.example/"`, nil},
		{`publisher = "Shafaq News"`, []string{"art1", "art2"}},
		{`language = "en"`, []string{"art2", "art3"}},
		{`publisher = "Shafaq News" AND language = "en"`, []string{"art2"}},
		{`publisher = "Nobody"`, nil},
		{`title = "Budget"`, []string{"art2"}},
		{`title > "C"`, []string{"art1", "art3"}},
		{`publish_time > "2024-03-01T00:00:00Z"`, []string{"art2"}},
		{`publish_time < "2024-03-01T00:00:00Z"`, []string{"art1"}},
		{`labels.desk = "world"`, []string{"art1"}},
		{`labels:urgent`, []string{"art2"}},
		{`labels.desk != "world"`, []string{"art2"}},
		{`NOT language = "en"`, []string{"art1"}},
		{`language = "ar" OR title = "Weather"`, []string{"art1", "art3"}},
		{`create_time >= ` + rfc3339(art2.CreateTime), []string{"art2", "art3"}},
		{`create_time = ` + rfc3339(art2.CreateTime), []string{"art2"}},
		{`update_time > ` + rfc3339(art3.UpdateTime), []string{"art1"}},
	})
}

func testFilterSources(t *testing.T, s store.Store) {
	h := harness{t, s}
	create := func(id, publisher string, kind store.SourceKind, publish time.Time) *store.Source {
		return h.createSource(&store.Source{ID: id, URL: "https://evidence.example/" + id, Publisher: publisher, Kind: kind, PublishTime: publish})
	}
	create("s1", "The Washington Post", store.SourceNewsReport, time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC))
	s2 := create("s2", "Pentagon", store.SourceOfficialStatement, time.Time{})
	s3 := create("s3", "The Washington Post", store.SourceDataset, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC))
	h.updateSource("s2", func(s *store.Source) { s.Notes = "checked" })

	checkFilters(t, sourceLister(s), store.SourceFilterSchema, []filterCase{
		{`url = "https://evidence.example/s3"`, []string{"s3"}},
		{`publisher = "The Washington Post"`, []string{"s1", "s3"}},
		{`kind = KIND_OFFICIAL_STATEMENT`, []string{"s2"}},
		{`kind != KIND_NEWS_REPORT`, []string{"s2", "s3"}},
		{`kind = KIND_ACADEMIC`, nil},
		{`publisher = "The Washington Post" AND kind = KIND_DATASET`, []string{"s3"}},
		{`publish_time < "2024-01-01T00:00:00Z"`, []string{"s3"}},
		{`create_time > ` + rfc3339(s2.CreateTime), []string{"s3"}},
		{`update_time > ` + rfc3339(s3.UpdateTime), []string{"s2"}},
	})
}

func testFilterAnnotations(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.claimArticle("fa")
	b := h.claimArticle("fb")
	for _, id := range []string{"s1", "s2", "s3"} {
		h.createSource(&store.Source{ID: id, URL: "https://evidence.example/" + id})
	}
	type ann struct {
		article *store.Article
		id      string
		claim   int
		state   store.AnnotationState
		rating  store.Rating
		who     string
		cites   []string
		labels  map[string]string
		ext     string
	}
	created := map[string]*store.Annotation{}
	for _, x := range []ann{
		{a, "a0", 0, 0, store.RatingFalse, "Ann Smith", []string{"s1"}, map[string]string{"topic": "economy"}, "ext-a0"},
		{a, "a1", 1, store.StatePublished, store.RatingTrue, "Bob", []string{"s1", "s2"}, map[string]string{"topic": "health", "urgent": "yes"}, ""},
		{a, "a2", 2, store.StatePublished, store.RatingFalse, "Ann Smith", nil, nil, ""},
		{a, "a3", 3, store.StateInReview, store.RatingMisleading, "", []string{"s2"}, nil, "ext-a3"},
		{b, "b0", 0, store.StatePublished, store.RatingFalse, "Bob", []string{"s3"}, map[string]string{"topic": "economy"}, ""},
		{b, "b1", 39, store.StateRetracted, store.RatingUnproven, "Carla", nil, map[string]string{"urgent": "no"}, ""},
	} {
		in := newAnnotation(x.article.ID, x.claim)
		in.ID, in.State, in.Verdict.Rating, in.Claim.Claimant.Name, in.Labels, in.ExternalID = x.id, x.state, x.rating, x.who, x.labels, x.ext
		for _, c := range x.cites {
			in.Citations = append(in.Citations, store.Citation{SourceID: c})
		}
		created[x.id] = h.createAnnotation(in)
	}
	// Rewriting all but "Claim 00" orphans b1 (and re-anchors b0 in
	// place); then a2 becomes the most recently updated. (Removing only
	// "Claim 39" would not do: approximate matching takes "Claim 38",
	// whose context is much the same, for it.)
	h.updateArticle(b.ID, func(x *store.Article) { x.Text = "Claim 00. Then words unlike any claim, for good." })
	b1 := h.getAnnotation(b.ID, "b1")
	if b1.Anchor.Status != store.StatusOrphaned {
		t.Fatalf("b1 is %v, want STATUS_ORPHANED", b1.Anchor.Status)
	}
	h.updateAnnotation(a.ID, "a2", func(x *store.Annotation) { x.Verdict.Label = "updated" })

	full := func(ids ...string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = "f" + id[:1] + "/" + id
		}
		return out
	}
	checkFilters(t, annotationLister(s, ""), store.AnnotationFilterSchema, []filterCase{
		{``, full("a0", "a1", "a2", "a3", "b0", "b1")},
		{`state = STATE_PUBLISHED`, full("a1", "a2", "b0")},
		{`state = STATE_DRAFT`, full("a0")},
		{`verdict.rating = RATING_FALSE`, full("a0", "a2", "b0")},
		{`verdict.rating = RATING_FALSE AND state = STATE_PUBLISHED`, full("a2", "b0")},
		{`verdict.rating = RATING_MOSTLY_TRUE`, nil},
		{`claim.claimant.name = "Ann Smith"`, full("a0", "a2")},
		{`claim.claimant.name = ""`, full("a3")},
		{`citations.source = "sources/s1"`, full("a0", "a1")},
		{`citations.source : "sources/s2"`, full("a1", "a3")},
		{`citations.source = "sources/nope"`, nil},
		{`citations.source != "sources/s1"`, full("a2", "a3", "b0", "b1")},
		{`verdict.rating = RATING_FALSE AND citations.source = "sources/s3"`, full("b0")},
		{`anchor.status = STATUS_ORPHANED`, full("b1")},
		{`anchor.status = STATUS_ANCHORED`, full("a0", "a1", "a2", "a3", "b0")},
		{`external_id = "ext-a3"`, full("a3")},
		{`external_id = "nope"`, nil},
		{`labels.topic = "economy"`, full("a0", "b0")},
		{`labels:urgent`, full("a1", "b1")},
		{`labels.urgent = "yes" AND labels.topic = "health"`, full("a1")},
		{`NOT state = STATE_PUBLISHED`, full("a0", "a3", "b1")},
		{`state = STATE_PUBLISHED OR verdict.rating = RATING_MISLEADING`, full("a1", "a2", "a3", "b0")},
		// ORs of equality terms, which a backend may serve from indexes
		// (filter.EqualityUnions); the results are those of any filter.
		{`state = STATE_PUBLISHED OR state = STATE_RETRACTED`, full("a1", "a2", "b0", "b1")},
		{`verdict.rating = RATING_FALSE AND (state = STATE_PUBLISHED OR state = STATE_RETRACTED)`, full("a2", "b0")},
		{`(state = STATE_PUBLISHED OR state = STATE_RETRACTED OR state = STATE_IN_REVIEW OR (state = STATE_DRAFT AND author = "nobody")) AND claim.claimant.name = "Ann Smith"`, full("a2")},
		// Overlapping branches: a2 and b0 are both; each comes once.
		{`state = STATE_PUBLISHED OR verdict.rating = RATING_FALSE`, full("a0", "a1", "a2", "b0")},
		{`state = STATE_PUBLISHED OR state = STATE_PUBLISHED`, full("a1", "a2", "b0")},
		// Branches that can match nothing, and unique values.
		{`state = STATE_PUBLISHED OR citations.source = "sources/nope"`, full("a1", "a2", "b0")},
		{`citations.source = "sources/nope" OR external_id = "nope"`, nil},
		{`external_id = "ext-a3" OR external_id = "ext-a0"`, full("a0", "a3")},
		{`external_id = "ext-a3" OR state = STATE_RETRACTED OR external_id = "nope"`, full("a3", "b1")},
		// Branches of several terms, and two ORs at once.
		{`(state = STATE_DRAFT AND verdict.rating = RATING_FALSE) OR (state = STATE_PUBLISHED AND labels.topic = "economy")`, full("a0", "b0")},
		{`(state = STATE_PUBLISHED OR state = STATE_IN_REVIEW) AND (verdict.rating = RATING_FALSE OR verdict.rating = RATING_MISLEADING)`, full("a2", "a3", "b0")},
		{`(citations.source = "sources/s1" OR citations.source = "sources/s3") AND (labels.topic = "economy" OR labels.urgent = "no")`, full("a0", "b0")},
		// Branches no index answers, alone or beside ones that are.
		{`state = STATE_PUBLISHED OR labels:urgent`, full("a1", "a2", "b0", "b1")},
		{`state = STATE_PUBLISHED OR NOT verdict.rating = RATING_TRUE`, full("a0", "a1", "a2", "a3", "b0", "b1")},
		{`state = STATE_IN_REVIEW OR author = "nobody"`, full("a3")},
		{`author = "nobody"`, nil},
		{`create_time >= ` + rfc3339(created["a3"].CreateTime), full("a3", "b0", "b1")},
		{`create_time = ` + rfc3339(created["a1"].CreateTime), full("a1")},
		{`update_time > ` + rfc3339(b1.UpdateTime), full("a2")},
	})
	checkFilters(t, annotationLister(s, a.ID), store.AnnotationFilterSchema, []filterCase{
		{`state = STATE_PUBLISHED`, full("a1", "a2")},
		{`state = STATE_PUBLISHED OR state = STATE_IN_REVIEW`, full("a1", "a2", "a3")},
		{`state = STATE_RETRACTED OR verdict.rating = RATING_FALSE`, full("a0", "a2")},
		{`verdict.rating = RATING_FALSE`, full("a0", "a2")},
		{`citations.source = "sources/s3"`, nil},
		{`external_id = "ext-a3"`, full("a3")},
	})
	checkFilters(t, annotationLister(s, b.ID), store.AnnotationFilterSchema, []filterCase{
		{`labels.topic = "economy"`, full("b0")},
		{`external_id = "ext-a3"`, nil},
	})
}
