package boltstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// TestListsSkipDeletedUnread: a List without ShowDeleted skips deleted
// records by their key alone, without decoding them.
func TestListsSkipDeletedUnread(t *testing.T) {
	s := open(t, boltstore.Options{})
	var ids []string
	for i := range 50 {
		a, err := s.CreateArticle(ctx, &store.Article{URL: fmt.Sprintf("https://news.example/%d", i), Text: "Text.", Publisher: "P"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	for _, id := range ids[:48] {
		if err := s.DeleteArticle(ctx, id, "", false); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []store.ListQuery{
		{PageSize: 10},
		{PageSize: 10, OrderBy: store.OrderBy{Field: store.OrderByUpdateTime}},
	} {
		before := s.Examined()
		got, _, err := s.ListArticles(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("ListArticles(%+v) returned %d articles, want the 2 live ones", q, len(got))
		}
		if n := s.Examined() - before; n != 2 {
			t.Errorf("ListArticles(%+v) decoded %d records, want 2: deleted ones are skipped unread", q, n)
		}
	}
	got, _, err := s.ListArticles(ctx, store.ListQuery{PageSize: 100, ShowDeleted: true})
	if err != nil || len(got) != 50 {
		t.Fatalf("ShowDeleted: %d articles, %v", len(got), err)
	}
}

// TestPurgeUsesRetentionAndClock: purge_time is delete_time plus
// Options.Retention, and Purge(now) removes exactly what is due.
func TestPurgeUsesRetentionAndClock(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := open(t, boltstore.Options{Retention: 48 * time.Hour, Clock: func() time.Time { return now }})
	a, err := s.CreateArticle(ctx, &store.Article{URL: "https://news.example/a", Text: "Text."})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteArticle(ctx, a.ID, "", false); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetArticle(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.DeleteTime.Equal(now) || !got.PurgeTime.Equal(now.Add(48*time.Hour)) {
		t.Errorf("DeleteTime %v, PurgeTime %v; want %v and 48h later", got.DeleteTime, got.PurgeTime, now)
	}
	if n, err := s.Purge(ctx, now.Add(47*time.Hour)); err != nil || n != 0 {
		t.Errorf("Purge before the retention: %d, %v", n, err)
	}
	if n, err := s.Purge(ctx, now.Add(48*time.Hour)); err != nil || n != 1 {
		t.Errorf("Purge at the purge time: %d, %v", n, err)
	}
	if _, err := s.GetArticle(ctx, a.ID); err == nil {
		t.Error("the article survived its purge")
	}
}

// TestPurgeBatches: a backlog larger than one transaction's share is purged
// completely in one call.
func TestPurgeBatches(t *testing.T) {
	s := open(t, boltstore.Options{NoSync: true})
	const n = 2500
	recs := make([]store.ImportRecord, n)
	for i := range recs {
		recs[i] = store.ImportRecord{Source: &store.Source{URL: fmt.Sprintf("https://evidence.example/%d", i)}}
	}
	res, err := s.Import(ctx, recs, store.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if err := s.DeleteSource(ctx, r.Name[len("sources/"):], ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Purge(ctx, time.Now().Add(boltstore.DefaultRetention+time.Hour))
	if err != nil || got != n {
		t.Fatalf("Purge = %d, %v; want %d", got, err, n)
	}
	left, _, err := s.ListSources(ctx, store.ListQuery{PageSize: 10, ShowDeleted: true})
	if err != nil || len(left) != 0 {
		t.Errorf("after the purge: %d sources, %v", len(left), err)
	}
}
