package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	middleware "github.com/grpc-ecosystem/go-grpc-middleware/v2"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/factcheck/factcheck/store"
)

// tokenSecretPrefix starts every secret, so that one pasted into the wrong
// place (a log, a ticket) is recognisable and secret scanners can find it.
const tokenSecretPrefix = "fct_"

// NewTokenSecret returns a new access-token secret: "fct_" followed by 32
// random bytes in unpadded base64url. The store keeps only HashSecret of it.
func NewTokenSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token secret: %w", err)
	}
	return tokenSecretPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashSecret returns what the store keeps of a secret, its SHA-256. The
// secrets have 256 bits of entropy, so a fast hash is enough: nobody can
// guess one from its hash, and lookups stay cheap.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// AuthorizationHeader is the metadata key that carries a call's token, as
// "Bearer <secret>".
const AuthorizationHeader = "authorization"

// maxSecretBytes bounds what is hashed and looked up; secrets NewTokenSecret
// makes are 47 bytes, and nothing of a kilobyte is a token.
const maxSecretBytes = 512

// Reasons of the auth layer's errors.
const (
	reasonTokenMissing     = "TOKEN_MISSING"
	reasonTokenMalformed   = "TOKEN_MALFORMED"
	reasonTokenUnknown     = "TOKEN_UNKNOWN"
	reasonTokenExpired     = "TOKEN_EXPIRED"
	reasonTokenRevoked     = "TOKEN_REVOKED"
	reasonReviewerDisabled = "REVIEWER_DISABLED"
	reasonRateLimited      = "RATE_LIMITED"
)

// authenticator is the auth stage of the interceptor chain: it finds the
// caller of each call from its token, refuses calls it may not make, and
// puts the caller and the write attribution in the call's context.
type authenticator struct {
	st    store.Access
	perms map[string]Permission
	now   func() time.Time

	limit rate.Limit // 0: no rate limit
	burst int

	// mu guards cache, gen and limiters.
	mu sync.RWMutex
	// cache holds what LookupToken returned, by the first 8 bytes of the
	// hash; entries compare the full hash in constant time. It only ever
	// holds tokens that exist, so it is as large as the token table at
	// most, and every ReviewerService write empties it (invalidate).
	cache map[uint64][]*authEntry
	// gen counts invalidations, so that a lookup that raced with one does
	// not put back what it read before.
	gen uint64
	// limiters are per token and survive invalidation: revoking someone
	// else's token must not refill everybody's bucket.
	limiters map[string]*rate.Limiter
}

type authEntry struct {
	hash []byte
	// caller is made once per entry, not per call: this runs in front of
	// every read.
	caller *caller
}

func newAuthenticator(st store.Access, cfg Config) *authenticator {
	perms := make(map[string]Permission, len(MethodPermissions)+len(cfg.MethodPermissions))
	for m, p := range cfg.MethodPermissions {
		perms[m] = p
	}
	// The server's own methods keep their permissions whatever the
	// configuration says.
	for m, p := range MethodPermissions {
		perms[m] = p
	}
	a := &authenticator{
		st:       st,
		perms:    perms,
		now:      time.Now,
		cache:    make(map[uint64][]*authEntry),
		limiters: make(map[string]*rate.Limiter),
	}
	if cfg.RateLimit > 0 {
		a.limit = rate.Limit(cfg.RateLimit)
		a.burst = cfg.RateBurst
		if a.burst <= 0 {
			a.burst = max(1, int(math.Ceil(cfg.RateLimit)))
		}
	}
	return a
}

// invalidate forgets every cached token and reviewer. ReviewerService calls
// it after each write, so that a revoked token, a disabled reviewer or a new
// role counts from the next call on.
func (a *authenticator) invalidate() {
	a.mu.Lock()
	a.gen++
	clear(a.cache)
	a.mu.Unlock()
}

// publicServices need no token: health checks (load balancers have none)
// and reflection (grpcurl lists services and reads descriptors before the
// call that carries the token). Kept apart from quietServices on purpose:
// what is not logged and what is open are different decisions.
var publicServices = map[string]bool{
	healthpb.Health_ServiceDesc.ServiceName:                    true,
	reflectionpb.ServerReflection_ServiceDesc.ServiceName:      true,
	reflectionv1alpha.ServerReflection_ServiceDesc.ServiceName: true,
}

// public reports whether a method needs no token.
func public(fullMethod string) bool {
	service, _ := splitMethod(fullMethod)
	return publicServices[service]
}

// authorize authenticates a call to fullMethod and checks it may be made;
// it returns the context the handler runs with.
func (a *authenticator) authorize(ctx context.Context, fullMethod string) (context.Context, error) {
	if public(fullMethod) {
		return ctx, nil
	}
	c, err := a.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	noteCaller(ctx, c.name())
	if err := a.rateLimit(c); err != nil {
		return nil, err
	}
	p, ok := a.perms[fullMethod]
	if !ok {
		// Deny by default: a method added without a permission must not
		// be open to every token.
		return nil, &store.Error{
			Kind:   store.ErrPermissionDenied,
			Reason: "PERMISSION_DENIED",
			Message: fmt.Sprintf("%s may not call %s: the server grants that method to no role",
				c.name(), fullMethod),
			Metadata: map[string]string{"method": fullMethod, "caller": c.name()},
		}
	}
	if !c.has(p) {
		return nil, permissionDenied(c, p, "call "+fullMethod)
	}
	ctx = withCaller(ctx, c)
	ctx = store.WithWriteInfo(ctx, store.WriteInfo{
		Actor:     c.name(),
		Method:    fullMethod,
		RequestID: requestIDFrom(ctx),
	})
	return ctx, nil
}

func unauthenticated(reason, msg string, meta map[string]string) error {
	return &store.Error{Kind: store.ErrUnauthenticated, Reason: reason, Message: msg, Metadata: meta}
}

// bearerSecret reads the secret of the call's authorization metadata.
func bearerSecret(ctx context.Context) (string, error) {
	// Not FromIncomingContext, which copies every header of the call.
	vs := metadata.ValueFromIncomingContext(ctx, AuthorizationHeader)
	switch {
	case len(vs) == 0:
		return "", unauthenticated(reasonTokenMissing,
			"this call needs an access token: send the metadata `authorization: Bearer <secret>` "+
				"(grpcurl -H 'authorization: Bearer <secret>' …); an admin issues tokens with ReviewerService.CreateToken", nil)
	case len(vs) > 1:
		return "", unauthenticated(reasonTokenMalformed,
			fmt.Sprintf("the call has %d authorization values; send exactly one, `authorization: Bearer <secret>`", len(vs)), nil)
	}
	scheme, secret, _ := strings.Cut(strings.TrimSpace(vs[0]), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") {
		return "", unauthenticated(reasonTokenMalformed,
			"the authorization metadata is not a bearer token; send `authorization: Bearer <secret>`", nil)
	}
	if secret == "" || len(secret) > maxSecretBytes || strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return "", unauthenticated(reasonTokenMalformed,
			"the bearer token is empty, too long or has spaces or control characters; send the secret CreateToken returned, as `authorization: Bearer <secret>`", nil)
	}
	return secret, nil
}

// authenticate finds the caller of the call's token and checks that the
// token and its reviewer still work.
func (a *authenticator) authenticate(ctx context.Context) (*caller, error) {
	secret, err := bearerSecret(ctx)
	if err != nil {
		return nil, err
	}
	e, err := a.lookup(ctx, HashSecret(secret))
	if err != nil {
		return nil, err
	}
	tok, rev := e.caller.token, e.caller.reviewer
	switch {
	case !tok.RevokeTime.IsZero():
		at := tok.RevokeTime.UTC().Format(time.RFC3339)
		return nil, unauthenticated(reasonTokenRevoked,
			fmt.Sprintf("token %s was revoked at %s; ask an admin for a new one", tok.Name(), at),
			map[string]string{"token": tok.Name(), "revoke_time": at})
	case !tok.ExpireTime.IsZero() && !a.now().Before(tok.ExpireTime):
		at := tok.ExpireTime.UTC().Format(time.RFC3339)
		return nil, unauthenticated(reasonTokenExpired,
			fmt.Sprintf("token %s expired at %s; ask an admin for a new one", tok.Name(), at),
			map[string]string{"token": tok.Name(), "expire_time": at})
	case rev.Disabled:
		return nil, unauthenticated(reasonReviewerDisabled,
			fmt.Sprintf("the token's reviewer %s is disabled; an admin can enable it again", rev.Name()),
			map[string]string{"token": tok.Name(), "reviewer": rev.Name()})
	}
	return e.caller, nil
}

// lookup returns the token of hash and its reviewer, from the cache when it
// can: this runs in front of every read.
func (a *authenticator) lookup(ctx context.Context, hash []byte) (*authEntry, error) {
	key := binary.BigEndian.Uint64(hash)
	a.mu.RLock()
	gen := a.gen
	for _, e := range a.cache[key] {
		if subtle.ConstantTimeCompare(e.hash, hash) == 1 {
			a.mu.RUnlock()
			return e, nil
		}
	}
	a.mu.RUnlock()

	tok, rev, err := a.st.LookupToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		// Not cached: a token created behind the server's back (by the
		// bootstrap) must work as soon as it exists.
		return nil, unauthenticated(reasonTokenUnknown,
			"the bearer token is not a token of this server; check that the whole secret was sent, to the right server", nil)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up the call's token: %w", err)
	}
	e := &authEntry{hash: hash, caller: &caller{reviewer: rev, token: tok, reviewerName: rev.Name()}}
	a.mu.Lock()
	if a.limit != 0 {
		e.caller.limiter = a.limiters[tok.Name()]
		if e.caller.limiter == nil {
			e.caller.limiter = rate.NewLimiter(a.limit, a.burst)
			a.limiters[tok.Name()] = e.caller.limiter
		}
	}
	if a.gen == gen {
		a.cache[key] = append(a.cache[key], e)
	}
	a.mu.Unlock()
	return e, nil
}

// rateLimited is the error of a call over its token's rate; toStatus makes
// it RESOURCE_EXHAUSTED with a RetryInfo.
type rateLimited struct {
	token string
	retry time.Duration
	limit rate.Limit
	burst int
}

func (e *rateLimited) Error() string {
	return fmt.Sprintf("token %s is over its rate limit of %g calls per second (bursts of %d); retry in %s",
		e.token, float64(e.limit), e.burst, e.retry.Round(time.Millisecond))
}

// rateLimit takes one call from the token's bucket. A refused call takes
// nothing, so a client that waits the RetryInfo delay gets through.
func (a *authenticator) rateLimit(c *caller) error {
	if a.limit == 0 {
		return nil
	}
	now := a.now()
	r := c.limiter.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return &rateLimited{token: c.token.Name(), retry: d, limit: a.limit, burst: a.burst}
	}
	return nil
}

func (a *authenticator) unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := a.authorize(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// stream authorizes a stream once, when it opens: it counts as one call
// against the rate limit, however many messages it carries.
func (a *authenticator) stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := a.authorize(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		w := middleware.WrapServerStream(ss)
		w.WrappedContext = ctx
		return handler(srv, w)
	}
}

// status is RESOURCE_EXHAUSTED with a google.rpc.RetryInfo: the delay is
// the limiter's own, so a client that waits it gets through.
func (e *rateLimited) status() *status.Status {
	return newStatus(codes.ResourceExhausted, reasonRateLimited,
		map[string]string{
			"token":      e.token,
			"rate_limit": strconv.FormatFloat(float64(e.limit), 'g', -1, 64),
			"burst":      strconv.Itoa(e.burst),
		},
		e.Error(),
		&errdetails.RetryInfo{RetryDelay: durationpb.New(e.retry)})
}
