package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
)

// idSyntax is the ID syntax of the API; generated IDs must fit it.
var idSyntax = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

func sha(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// checkNewTimes checks the times a create sets.
func checkNewTimes(t *testing.T, create, update time.Time, before time.Time) {
	t.Helper()
	if create.IsZero() || !create.Equal(update) {
		t.Errorf("CreateTime %v, UpdateTime %v: want both set and equal on create", create, update)
	}
	if create.Location() != time.UTC || update.Location() != time.UTC {
		t.Errorf("CreateTime/UpdateTime locations %v/%v, want UTC", create.Location(), update.Location())
	}
	if create.Before(before.Add(-time.Minute)) {
		t.Errorf("CreateTime %v is long before the call (%v)", create, before)
	}
}

func testArticleCRUD(t *testing.T, s store.Store) {
	h := harness{t, s}
	in := newArticle(1)
	in.ID = "talks-2024"
	in.PublishTime = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	start := time.Now()
	got := h.createArticle(in)
	if got.ID != "talks-2024" {
		t.Errorf("ID = %q, want the chosen talks-2024", got.ID)
	}
	if d := diff(in, got, ignoreArticleOutput); d != "" {
		t.Errorf("created article differs from the input (-want +got):\n%s", d)
	}
	if got.Revision != 1 || got.TextSHA256 != sha(in.Text) || got.Etag == "" {
		t.Errorf("Revision %d, TextSHA256 %q, Etag %q: want 1, %q, non-empty", got.Revision, got.TextSHA256, got.Etag, sha(in.Text))
	}
	checkNewTimes(t, got.CreateTime, got.UpdateTime, start)
	if got.Name() != "articles/talks-2024" {
		t.Errorf("Name() = %q", got.Name())
	}
	if d := diff(got, h.getArticle(got.ID)); d != "" {
		t.Errorf("GetArticle differs from CreateArticle's result (-create +get):\n%s", d)
	}

	up := h.updateArticle(got.ID, func(a *store.Article) {
		a.Title = "New title"
		a.Labels["desk"] = "politics"
		a.Authors = append(a.Authors, "B. Editor")
	})
	if up.Title != "New title" || up.Labels["desk"] != "politics" || len(up.Authors) != 2 {
		t.Errorf("update not applied: %+v", up)
	}
	if up.Revision != 1 || up.Etag == got.Etag || !up.CreateTime.Equal(got.CreateTime) || up.UpdateTime.Before(got.UpdateTime) {
		t.Errorf("after a title update: Revision %d, Etag %q (was %q), CreateTime %v (was %v), UpdateTime %v (was %v)",
			up.Revision, up.Etag, got.Etag, up.CreateTime, got.CreateTime, up.UpdateTime, got.UpdateTime)
	}
	if d := diff(up, h.getArticle(got.ID)); d != "" {
		t.Errorf("GetArticle differs from UpdateArticle's result (-update +get):\n%s", d)
	}

	check(t, s.DeleteArticle(ctx, got.ID, "", false))
	// Soft-deleted: still there, its URL still taken, until the purge.
	if del := h.getArticle(got.ID); del.DeleteTime.IsZero() || !del.PurgeTime.After(del.DeleteTime) {
		t.Errorf("deleted article has DeleteTime %v, PurgeTime %v", del.DeleteTime, del.PurgeTime)
	}
	_, err := s.CreateArticle(ctx, newArticle(1))
	wantErr(t, err, store.ErrAlreadyExists, "URL_ALREADY_EXISTS")
	h.purgeAll()
	_, err = s.GetArticle(ctx, got.ID)
	se := wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	if se.Resource != "articles/talks-2024" {
		t.Errorf("Resource = %q, want articles/talks-2024", se.Resource)
	}
	// The URL is free again.
	h.createArticle(newArticle(1))
}

func testArticleGeneratedIDs(t *testing.T, s store.Store) {
	h := harness{t, s}
	var ids []string
	for i := range 5 {
		a := h.createArticle(newArticle(i))
		if !idSyntax.MatchString(a.ID) {
			t.Errorf("generated ID %q does not match %s", a.ID, idSyntax)
		}
		ids = append(ids, a.ID)
		h.getArticle(a.ID)
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("generated IDs %q are not distinct and in creation order", ids)
	}
}

func testArticleOutputOnlyIgnored(t *testing.T, s store.Store) {
	h := harness{t, s}
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	in := newArticle(1)
	in.Revision, in.TextSHA256, in.CreateTime, in.UpdateTime, in.Etag = 9, "forged", old, old, "forged"
	got := h.createArticle(in)
	if got.Revision != 1 || got.TextSHA256 != sha(in.Text) || got.CreateTime.Equal(old) || got.UpdateTime.Equal(old) || got.Etag == "forged" {
		t.Errorf("output-only input fields were kept: %+v", got)
	}
}

func testArticleAlreadyExists(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := newArticle(1)
	a.ID = "taken"
	h.createArticle(a)

	dupID := newArticle(2)
	dupID.ID = "taken"
	_, err := s.CreateArticle(ctx, dupID)
	wantErr(t, err, store.ErrAlreadyExists, "ARTICLE_ALREADY_EXISTS")

	dupURL := newArticle(1)
	dupURL.ID = "other"
	_, err = s.CreateArticle(ctx, dupURL)
	wantErr(t, err, store.ErrAlreadyExists, "URL_ALREADY_EXISTS")
	_, err = s.CreateArticle(ctx, newArticle(1))
	wantErr(t, err, store.ErrAlreadyExists, "URL_ALREADY_EXISTS")

	// Nothing of the failed creates was stored.
	_, err = s.GetArticle(ctx, "other")
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	if got := h.getArticle("taken"); got.URL != a.URL {
		t.Errorf("the existing article changed: %+v", got)
	}
	h.createArticle(newArticle(2)) // its URL was never taken
}

func testArticleNotFound(t *testing.T, s store.Store) {
	_, err := s.GetArticle(ctx, "missing")
	if se := wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND"); se.Resource != "articles/missing" {
		t.Errorf("Resource = %q, want articles/missing", se.Resource)
	}
	called := false
	_, err = s.UpdateArticle(ctx, "missing", "", func(*store.Article) error { called = true; return nil })
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
	if called {
		t.Error("UpdateArticle called the closure for a missing article")
	}
	wantErr(t, s.DeleteArticle(ctx, "missing", "", false), store.ErrNotFound, "ARTICLE_NOT_FOUND")
	wantErr(t, s.DeleteArticle(ctx, "missing", "", true), store.ErrNotFound, "ARTICLE_NOT_FOUND")
}

func testArticleUpdateURLUnique(t *testing.T, s store.Store) {
	h := harness{t, s}
	a1 := h.createArticle(newArticle(1))
	a2 := h.createArticle(newArticle(2))
	_, err := s.UpdateArticle(ctx, a2.ID, "", func(a *store.Article) error { a.URL = a1.URL; return nil })
	wantErr(t, err, store.ErrAlreadyExists, "URL_ALREADY_EXISTS")
	if got := h.getArticle(a2.ID); got.URL != a2.URL || got.Etag != a2.Etag {
		t.Errorf("a failed update changed the article: %+v", got)
	}
	// Keeping one's own URL is no conflict; moving away frees it.
	h.updateArticle(a1.ID, func(a *store.Article) { a.Title = "same url" })
	h.updateArticle(a1.ID, func(a *store.Article) { a.URL = "https://news.example/moved" })
	h.createArticle(newArticle(1))
	h.updateArticle(a2.ID, func(a *store.Article) { a.URL = newArticle(9).URL })
}

func testArticleEtags(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.createArticle(newArticle(1))
	up, err := s.UpdateArticle(ctx, a.ID, a.Etag, func(a *store.Article) error { a.Title = "v2"; return nil })
	check(t, err)
	_, err = s.UpdateArticle(ctx, a.ID, a.Etag, func(a *store.Article) error { a.Title = "v3"; return nil })
	se := wantErr(t, err, store.ErrConflict, "ETAG_MISMATCH")
	if len(se.Preconditions) == 0 {
		t.Error("ETAG_MISMATCH has no Preconditions")
	}
	wantErr(t, s.DeleteArticle(ctx, a.ID, a.Etag, false), store.ErrConflict, "ETAG_MISMATCH")
	if got := h.getArticle(a.ID); got.Title != "v2" {
		t.Errorf("Title = %q after a conflicting update, want v2", got.Title)
	}
	check(t, s.DeleteArticle(ctx, a.ID, up.Etag, false))
}

// errClosure is what update closures return in the tests of closure errors.
var errClosure = errors.New("the closure refuses")

func testArticleUpdateClosure(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.createArticle(newArticle(1))
	_, err := s.UpdateArticle(ctx, a.ID, "", func(a *store.Article) error {
		a.Title = "changed"
		return errClosure
	})
	if err != errClosure { //nolint:errorlint // the contract is "unchanged", not "wrapped"
		t.Errorf("err = %v, want the closure's error unchanged", err)
	}
	if d := diff(a, h.getArticle(a.ID)); d != "" {
		t.Errorf("a failed closure changed the article (-want +got):\n%s", d)
	}

	up := h.updateArticle(a.ID, func(x *store.Article) {
		x.Title = "changed"
		x.ID, x.Revision, x.TextSHA256, x.Etag = "other", 42, "forged", "forged"
		x.CreateTime, x.UpdateTime = time.Unix(0, 0), time.Unix(0, 0)
	})
	if up.ID != a.ID || up.Revision != 1 || up.TextSHA256 != a.TextSHA256 || up.Etag == "forged" ||
		!up.CreateTime.Equal(a.CreateTime) || up.UpdateTime.Before(a.UpdateTime) || up.Title != "changed" {
		t.Errorf("the closure changed output-only fields: %+v", up)
	}
	_, err = s.GetArticle(ctx, "other")
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
}

func testArticleRevision(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.createArticle(newArticle(1))
	a2 := h.updateArticle(a.ID, func(x *store.Article) { x.Title = "retitled" })
	a3 := h.updateArticle(a.ID, func(x *store.Article) { x.Text = a.Text })
	if a2.Revision != 1 || a3.Revision != 1 || a3.TextSHA256 != a.TextSHA256 {
		t.Errorf("revisions %d, %d after updates that keep the text, want 1", a2.Revision, a3.Revision)
	}
	a4 := h.updateArticle(a.ID, func(x *store.Article) { x.Text += " Corrected." })
	if a4.Revision != 2 || a4.TextSHA256 != sha(a.Text+" Corrected.") {
		t.Errorf("after a text change: Revision %d, TextSHA256 %q; want 2, %q", a4.Revision, a4.TextSHA256, sha(a.Text+" Corrected."))
	}
	a5 := h.updateArticle(a.ID, func(x *store.Article) { x.Text = "Rewritten." })
	if a5.Revision != 3 {
		t.Errorf("Revision = %d after a second text change, want 3", a5.Revision)
	}
}

func testReturnedValuesAreCopies(t *testing.T, s store.Store) {
	h := harness{t, s}
	in := newArticle(1)
	a := h.createArticle(in)
	in.Labels["desk"] = "input changed"
	a.Labels["desk"] = "output changed"
	a.Authors[0] = "output changed"
	g := h.getArticle(a.ID)
	if g.Labels["desk"] != "world" || g.Authors[0] != "A. Writer" {
		t.Fatalf("changing a returned or input value changed the store: %+v", g)
	}
	var kept *store.Article
	h.updateArticle(a.ID, func(x *store.Article) { kept = x })
	kept.Labels["desk"] = "closure argument changed later"
	if g := h.getArticle(a.ID); g.Labels["desk"] != "world" {
		t.Fatalf("changing the closure's argument after the update changed the store: %+v", g)
	}
}

func testTimesUTCNanoseconds(t *testing.T, s store.Store) {
	h := harness{t, s}
	zone := time.FixedZone("UTC+3", 3*3600)
	publish := time.Date(2024, 2, 29, 23, 59, 59, 123456789, zone)
	moon := time.Date(1969, 7, 20, 20, 17, 40, 1, time.UTC) // before 1970, odd nanosecond

	sameInstantUTC := func(what string, got, want time.Time) {
		t.Helper()
		if !got.Equal(want) || got.Location() != time.UTC || (got.IsZero() != want.IsZero()) {
			t.Errorf("%s = %v (%v), want %v in UTC", what, got, got.Location(), want.UTC())
		}
	}
	in := newArticle(1)
	in.PublishTime = publish
	a := h.createArticle(in)
	sameInstantUTC("Article.PublishTime", a.PublishTime, publish)
	sameInstantUTC("GetArticle PublishTime", h.getArticle(a.ID).PublishTime, publish)

	src := newSource(1)
	src.PublishTime, src.AccessTime = moon, publish
	sg := h.createSource(src)
	sg = h.getSource(sg.ID)
	sameInstantUTC("Source.PublishTime", sg.PublishTime, moon)
	sameInstantUTC("Source.AccessTime", sg.AccessTime, publish)

	art := h.claimArticle("claims")
	ann := newAnnotation(art.ID, 1)
	ann.Claim.ClaimTime = publish
	got := h.createAnnotation(ann)
	sameInstantUTC("Claim.ClaimTime", h.getAnnotation(art.ID, got.ID).Claim.ClaimTime, publish)

	// A zero time stays unset.
	plain := h.createSource(newSource(2))
	if !plain.PublishTime.IsZero() || !h.getSource(plain.ID).AccessTime.IsZero() {
		t.Errorf("unset times came back set: %+v", plain)
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := h.createArticle(newArticle(1))
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	wantCanceled := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: err = %v, want context.Canceled", what, err)
		}
	}
	_, err := s.GetArticle(cctx, a.ID)
	wantCanceled("GetArticle", err)
	in := newArticle(2)
	in.ID = "never"
	_, err = s.CreateArticle(cctx, in)
	wantCanceled("CreateArticle", err)
	_, _, err = s.ListArticles(cctx, store.ListQuery{PageSize: 10})
	wantCanceled("ListArticles", err)
	_, err = s.GetArticle(ctx, "never")
	wantErr(t, err, store.ErrNotFound, "ARTICLE_NOT_FOUND")
}
