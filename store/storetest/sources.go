package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/factcheck/factcheck/store"
)

func testSourceCRUD(t *testing.T, s store.Store) {
	h := harness{t, s}
	in := newSource(1)
	in.ID = "wapo-talks"
	in.PublishTime = time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)
	in.ArchiveURL = "https://archive.example/wapo"
	in.AccessTime = time.Date(2024, 1, 6, 8, 0, 0, 0, time.UTC)
	in.Etag, in.CreateTime = "forged", time.Unix(1, 0)
	start := time.Now()
	got := h.createSource(in)
	if got.ID != "wapo-talks" || got.Name() != "sources/wapo-talks" || got.Etag == "" || got.Etag == "forged" {
		t.Errorf("created source: %+v", got)
	}
	if d := diff(in, got, ignoreSourceOutput); d != "" {
		t.Errorf("created source differs from the input (-want +got):\n%s", d)
	}
	checkNewTimes(t, got.CreateTime, got.UpdateTime, start)
	if d := diff(got, h.getSource(got.ID)); d != "" {
		t.Errorf("GetSource differs (-create +get):\n%s", d)
	}

	var ids []string
	for i := 2; i < 5; i++ {
		g := h.createSource(newSource(i))
		if !idSyntax.MatchString(g.ID) {
			t.Errorf("generated ID %q does not match %s", g.ID, idSyntax)
		}
		ids = append(ids, g.ID)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("generated IDs %q are not in creation order", ids)
	}

	up := h.updateSource(got.ID, func(x *store.Source) { x.Kind = store.SourceOfficialStatement; x.Notes = "checked" })
	if up.Kind != store.SourceOfficialStatement || up.Notes != "checked" || up.Etag == got.Etag ||
		!up.CreateTime.Equal(got.CreateTime) || up.UpdateTime.Before(got.UpdateTime) {
		t.Errorf("updated source: %+v", up)
	}
	if d := diff(up, h.getSource(got.ID)); d != "" {
		t.Errorf("GetSource differs (-update +get):\n%s", d)
	}
	check(t, s.DeleteSource(ctx, got.ID, up.Etag))
	if del := h.getSource(got.ID); del.DeleteTime.IsZero() || !del.PurgeTime.After(del.DeleteTime) {
		t.Errorf("deleted source has DeleteTime %v, PurgeTime %v", del.DeleteTime, del.PurgeTime)
	}
	_, err := s.CreateSource(ctx, newSource(1))
	wantErr(t, err, store.ErrAlreadyExists, "URL_ALREADY_EXISTS")
	h.purgeAll()
	_, err = s.GetSource(ctx, got.ID)
	if se := wantErr(t, err, store.ErrNotFound, "SOURCE_NOT_FOUND"); se.Resource != "sources/wapo-talks" {
		t.Errorf("Resource = %q", se.Resource)
	}
	h.createSource(newSource(1)) // the URL is free again
}

func testSourceErrors(t *testing.T, s store.Store) {
	h := harness{t, s}
	a := newSource(1)
	a.ID = "taken"
	src := h.createSource(a)
	dup := newSource(2)
	dup.ID = "taken"
	_, err := s.CreateSource(ctx, dup)
	wantErr(t, err, store.ErrAlreadyExists, "SOURCE_ALREADY_EXISTS")
	_, err = s.CreateSource(ctx, newSource(1))
	wantErr(t, err, store.ErrAlreadyExists, "URL_ALREADY_EXISTS")

	other := h.createSource(newSource(2))
	_, err = s.UpdateSource(ctx, other.ID, "", func(x *store.Source) error { x.URL = src.URL; return nil })
	wantErr(t, err, store.ErrAlreadyExists, "URL_ALREADY_EXISTS")

	_, err = s.UpdateSource(ctx, src.ID, "stale", func(x *store.Source) error { x.Notes = "x"; return nil })
	wantErr(t, err, store.ErrConflict, "ETAG_MISMATCH")
	wantErr(t, s.DeleteSource(ctx, src.ID, "stale"), store.ErrConflict, "ETAG_MISMATCH")

	_, err = s.GetSource(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "SOURCE_NOT_FOUND")
	_, err = s.UpdateSource(ctx, "missing", "", func(*store.Source) error { return nil })
	wantErr(t, err, store.ErrNotFound, "SOURCE_NOT_FOUND")
	wantErr(t, s.DeleteSource(ctx, "missing", ""), store.ErrNotFound, "SOURCE_NOT_FOUND")
	if d := diff(src, h.getSource(src.ID)); d != "" {
		t.Errorf("failed writes changed the source (-want +got):\n%s", d)
	}
}

func testSourceUpdateClosure(t *testing.T, s store.Store) {
	h := harness{t, s}
	src := h.createSource(newSource(1))
	_, err := s.UpdateSource(ctx, src.ID, "", func(x *store.Source) error { x.Notes = "changed"; return errClosure })
	if err != errClosure { //nolint:errorlint // the contract is "unchanged"
		t.Errorf("err = %v, want the closure's error unchanged", err)
	}
	up := h.updateSource(src.ID, func(x *store.Source) {
		x.Notes = "changed"
		x.ID, x.Etag, x.CreateTime, x.UpdateTime = "other", "forged", time.Unix(0, 0), time.Unix(0, 0)
	})
	if up.ID != src.ID || up.Etag == "forged" || !up.CreateTime.Equal(src.CreateTime) || up.UpdateTime.Before(src.UpdateTime) || up.Notes != "changed" {
		t.Errorf("the closure changed output-only fields: %+v", up)
	}
}

func testSourceInUse(t *testing.T, s store.Store) {
	h := harness{t, s}
	s1 := h.createSource(newSource(1))
	s2 := h.createSource(newSource(2))
	art := h.claimArticle("claims")
	cite := func(ids ...string) []store.Citation {
		var cs []store.Citation
		for _, id := range ids {
			cs = append(cs, store.Citation{SourceID: id, Stance: store.StanceRefutes})
		}
		return cs
	}
	a1 := newAnnotation(art.ID, 1)
	a1.Citations = cite(s1.ID)
	ann1 := h.createAnnotation(a1)
	a2 := newAnnotation(art.ID, 2)
	a2.Citations = cite(s1.ID, s2.ID, s1.ID) // the same source twice
	ann2 := h.createAnnotation(a2)

	wantSubjects := func(srcID string, want ...string) {
		t.Helper()
		se := wantErr(t, s.DeleteSource(ctx, srcID, ""), store.ErrFailedPrecondition, "SOURCE_IN_USE")
		var got []string
		for _, p := range se.Preconditions {
			got = append(got, p.Subject)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("SOURCE_IN_USE preconditions name %q, want %q", got, want)
		}
	}
	wantSubjects(s1.ID, ann1.Name(), ann2.Name())
	wantSubjects(s2.ID, ann2.Name())

	h.updateAnnotation(art.ID, ann2.ID, func(a *store.Annotation) { a.Citations = cite(s2.ID) })
	wantSubjects(s1.ID, ann1.Name())
	check(t, s.DeleteAnnotation(ctx, art.ID, ann1.ID, ""))
	check(t, s.DeleteSource(ctx, s1.ID, ""))

	// Deleting the citing article with its annotations frees the source.
	wantSubjects(s2.ID, ann2.Name())
	check(t, s.DeleteArticle(ctx, art.ID, "", true))
	check(t, s.DeleteSource(ctx, s2.ID, ""))
}
