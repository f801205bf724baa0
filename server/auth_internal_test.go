package server

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// lookupCounter is the real store, counting token lookups.
type lookupCounter struct {
	*boltstore.Store
	n atomic.Int64
}

func (s *lookupCounter) LookupToken(ctx context.Context, hash []byte) (*store.Token, *store.Reviewer, error) {
	s.n.Add(1)
	return s.Store.LookupToken(ctx, hash)
}

// authFixture is an authenticator over a real store holding one reviewer
// with one token, and a clock the test moves.
type authFixture struct {
	st     *lookupCounter
	a      *authenticator
	clock  time.Time
	secret string
}

func newAuthFixture(t *testing.T, cfg Config, tok store.Token) *authFixture {
	t.Helper()
	bs, err := boltstore.Open(filepath.Join(t.TempDir(), "factcheck.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bs.Close() })
	f := &authFixture{st: &lookupCounter{Store: bs}, clock: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	f.secret, err = NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	tok.ReviewerID, tok.SecretHash = "ana", HashSecret(f.secret)
	if _, err := bs.BootstrapReviewer(t.Context(), &store.Reviewer{ID: "ana", Role: store.RoleReviewer}, &tok); err != nil {
		t.Fatal(err)
	}
	f.a = newAuthenticator(f.st, cfg)
	f.a.now = func() time.Time { return f.clock }
	return f
}

const testMethod = "/factcheck.v1.ArticleService/CreateArticle"

func (f *authFixture) call(t *testing.T) (context.Context, error) {
	t.Helper()
	ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+f.secret))
	ctx = context.WithValue(ctx, callInfoKey{}, &callInfo{requestID: "req-1"})
	return f.a.authorize(ctx, testMethod)
}

func reasonOf(err error) string {
	var se *store.Error
	if errors.As(err, &se) {
		return se.Reason
	}
	return ""
}

// TestAuthExpiryAgainstClock: a cached token is checked against the clock
// on every call, so it stops working the moment it expires.
func TestAuthExpiryAgainstClock(t *testing.T) {
	f := newAuthFixture(t, Config{}, store.Token{ExpireTime: time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)})
	ctx, err := f.call(t)
	if err != nil {
		t.Fatal(err)
	}
	if c := callerFrom(ctx); c.name() != "reviewers/ana" || !c.has(PermArticlesCreate) {
		t.Errorf("caller = %+v", c)
	}
	want := store.WriteInfo{Actor: "reviewers/ana", Method: testMethod, RequestID: "req-1"}
	if got := store.WriteInfoFrom(ctx); got != want {
		t.Errorf("WriteInfo = %+v, want %+v", got, want)
	}
	f.clock = time.Date(2026, 11, 1, 12, 59, 59, 0, time.UTC)
	if _, err := f.call(t); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	f.clock = time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)
	if _, err := f.call(t); !errors.Is(err, store.ErrUnauthenticated) || reasonOf(err) != reasonTokenExpired {
		t.Errorf("at expiry: %v, want TOKEN_EXPIRED", err)
	}
	if n := f.st.n.Load(); n != 1 {
		t.Errorf("3 calls looked the token up %d times, want 1 (then cached)", n)
	}
}

// TestAuthRateLimitRefills: the RetryInfo delay is the limiter's, and a
// client that waits it gets through.
func TestAuthRateLimitRefills(t *testing.T) {
	f := newAuthFixture(t, Config{RateLimit: 2, RateBurst: 1}, store.Token{})
	if _, err := f.call(t); err != nil {
		t.Fatal(err)
	}
	_, err := f.call(t)
	var rl *rateLimited
	if !errors.As(err, &rl) || rl.retry != 500*time.Millisecond {
		t.Fatalf("second call at once: %v, want rate limited for 500ms", err)
	}
	// A refused call takes nothing from the bucket.
	f.clock = f.clock.Add(rl.retry)
	if _, err := f.call(t); err != nil {
		t.Errorf("after the retry delay: %v", err)
	}
}

// TestAuthDeniesUnknownMethods: a method without a permission is refused
// even to an admin, unless the configuration gives it one.
func TestAuthDeniesUnknownMethods(t *testing.T) {
	f := newAuthFixture(t, Config{MethodPermissions: map[string]Permission{
		"/newsroom.v1.Cms/Sync": PermArticlesRead,
		// The server's own permissions win.
		"/factcheck.v1.ReviewerService/CreateReviewer": PermArticlesRead,
	}}, store.Token{})
	ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+f.secret))
	for method, wantErr := range map[string]bool{
		"/newsroom.v1.Cms/Sync":                        false,
		"/newsroom.v1.Cms/Other":                       true,
		"/factcheck.v1.ReviewerService/CreateReviewer": true,
		"/grpc.health.v1.Health/Check":                 false,
	} {
		_, err := f.a.authorize(ctx, method)
		if (err != nil) != wantErr || (err != nil && !errors.Is(err, store.ErrPermissionDenied)) {
			t.Errorf("%s: %v, want denied %v", method, err, wantErr)
		}
	}
}
