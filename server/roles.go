package server

import (
	"context"

	"golang.org/x/time/rate"

	"github.com/factcheck/factcheck/store"
)

// Permission names one thing a caller may do. PERMISSION_DENIED errors name
// the permission that was missing (ErrorInfo metadata "permission").
type Permission string

// Permissions. Most are what one or more methods need; the ones marked
// "checked per resource" are needed on top, for some resources only (someone
// else's annotation, a draft), and the handlers check them.
const (
	PermArticlesRead      Permission = "articles.read"
	PermArticlesCreate    Permission = "articles.create"
	PermArticlesUpdate    Permission = "articles.update"
	PermArticlesDelete    Permission = "articles.delete"
	PermSourcesRead       Permission = "sources.read"
	PermSourcesCreate     Permission = "sources.create"
	PermSourcesManage     Permission = "sources.manage"
	PermAnnotationsRead   Permission = "annotations.read"
	PermAnnotationsCreate Permission = "annotations.create"
	// PermAnnotationsEdit: edit, delete, roll back and submit one's own
	// drafts.
	PermAnnotationsEdit Permission = "annotations.edit"
	// PermAnnotationsEditAny (checked per resource): the same for any
	// annotation, in any state (published ones with a correction note), and
	// undelete; also creating annotations in a state other than draft.
	PermAnnotationsEditAny Permission = "annotations.edit_any"
	// PermAnnotationsReadDrafts (checked per resource): read other
	// reviewers' drafts.
	PermAnnotationsReadDrafts Permission = "annotations.read_drafts"
	// PermAnnotationsReadUnpublished (checked per resource): read
	// annotations in review (anyone's) and one's own drafts; without it only
	// published and retracted annotations are visible.
	PermAnnotationsReadUnpublished Permission = "annotations.read_unpublished"
	// PermAnnotationsReview: return, publish and retract (publishing one's
	// own annotation is refused whatever the role: four eyes).
	PermAnnotationsReview Permission = "annotations.review"
	PermBulkImport        Permission = "bulk.import"
	PermBulkExport        Permission = "bulk.export"
	PermChangesRead       Permission = "changes.read"
	PermReviewersSelf     Permission = "reviewers.self"
	PermReviewersManage   Permission = "reviewers.manage"
	PermAuditRead         Permission = "audit.read"
	PermAdminBackup       Permission = "admin.backup"
)

// RoleMatrix is the role matrix: the least role that holds each permission
// (roles are ordered, each holds what the ones below it hold). The README
// prints it; TestRoleMatrixInREADME keeps the two equal.
var RoleMatrix = []struct {
	Permission Permission
	MinRole    store.Role
}{
	{PermArticlesRead, store.RoleViewer},
	{PermSourcesRead, store.RoleViewer},
	{PermAnnotationsRead, store.RoleViewer},
	{PermBulkExport, store.RoleViewer},
	{PermReviewersSelf, store.RoleViewer},
	{PermArticlesCreate, store.RoleReviewer},
	{PermSourcesCreate, store.RoleReviewer},
	{PermAnnotationsCreate, store.RoleReviewer},
	{PermAnnotationsEdit, store.RoleReviewer},
	{PermAnnotationsReadUnpublished, store.RoleReviewer},
	{PermBulkImport, store.RoleReviewer},
	{PermArticlesUpdate, store.RoleEditor},
	{PermArticlesDelete, store.RoleEditor},
	{PermSourcesManage, store.RoleEditor},
	{PermAnnotationsEditAny, store.RoleEditor},
	{PermAnnotationsReadDrafts, store.RoleEditor},
	{PermAnnotationsReview, store.RoleEditor},
	{PermChangesRead, store.RoleEditor},
	{PermReviewersManage, store.RoleAdmin},
	{PermAuditRead, store.RoleAdmin},
	{PermAdminBackup, store.RoleAdmin},
}

// MethodPermissions is the permission each RPC needs, by full method name.
// Every method the server registers is here, except grpc.health.v1 and
// reflection, which need no token (TestEveryMethodHasAPermission).
var MethodPermissions = map[string]Permission{
	"/factcheck.v1.ArticleService/CreateArticle":        PermArticlesCreate,
	"/factcheck.v1.ArticleService/GetArticle":           PermArticlesRead,
	"/factcheck.v1.ArticleService/ListArticles":         PermArticlesRead,
	"/factcheck.v1.ArticleService/UpdateArticle":        PermArticlesUpdate,
	"/factcheck.v1.ArticleService/DeleteArticle":        PermArticlesDelete,
	"/factcheck.v1.ArticleService/UndeleteArticle":      PermArticlesDelete,
	"/factcheck.v1.ArticleService/ListArticleRevisions": PermArticlesRead,
	"/factcheck.v1.ArticleService/GetArticleRevision":   PermArticlesRead,

	"/factcheck.v1.AnnotationService/CreateAnnotation":        PermAnnotationsCreate,
	"/factcheck.v1.AnnotationService/BatchCreateAnnotations":  PermAnnotationsCreate,
	"/factcheck.v1.AnnotationService/GetAnnotation":           PermAnnotationsRead,
	"/factcheck.v1.AnnotationService/ListAnnotations":         PermAnnotationsRead,
	"/factcheck.v1.AnnotationService/ListAnnotationRevisions": PermAnnotationsRead,
	"/factcheck.v1.AnnotationService/GetAnnotationRevision":   PermAnnotationsRead,
	"/factcheck.v1.AnnotationService/UpdateAnnotation":        PermAnnotationsEdit,
	"/factcheck.v1.AnnotationService/DeleteAnnotation":        PermAnnotationsEdit,
	"/factcheck.v1.AnnotationService/RollbackAnnotation":      PermAnnotationsEdit,
	"/factcheck.v1.AnnotationService/SubmitAnnotation":        PermAnnotationsEdit,
	"/factcheck.v1.AnnotationService/UndeleteAnnotation":      PermAnnotationsEditAny,
	"/factcheck.v1.AnnotationService/ReturnAnnotation":        PermAnnotationsReview,
	"/factcheck.v1.AnnotationService/PublishAnnotation":       PermAnnotationsReview,
	"/factcheck.v1.AnnotationService/RetractAnnotation":       PermAnnotationsReview,

	"/factcheck.v1.SourceService/CreateSource":   PermSourcesCreate,
	"/factcheck.v1.SourceService/GetSource":      PermSourcesRead,
	"/factcheck.v1.SourceService/ListSources":    PermSourcesRead,
	"/factcheck.v1.SourceService/UpdateSource":   PermSourcesManage,
	"/factcheck.v1.SourceService/DeleteSource":   PermSourcesManage,
	"/factcheck.v1.SourceService/UndeleteSource": PermSourcesManage,

	"/factcheck.v1.BulkService/Import": PermBulkImport,
	"/factcheck.v1.BulkService/Export": PermBulkExport,

	"/factcheck.v1.ChangeService/ListChanges":  PermChangesRead,
	"/factcheck.v1.ChangeService/WatchChanges": PermChangesRead,

	"/factcheck.v1.AdminService/Backup": PermAdminBackup,

	"/factcheck.v1.ReviewerService/CreateReviewer":     PermReviewersManage,
	"/factcheck.v1.ReviewerService/GetReviewer":        PermReviewersManage,
	"/factcheck.v1.ReviewerService/ListReviewers":      PermReviewersManage,
	"/factcheck.v1.ReviewerService/UpdateReviewer":     PermReviewersManage,
	"/factcheck.v1.ReviewerService/DisableReviewer":    PermReviewersManage,
	"/factcheck.v1.ReviewerService/CreateToken":        PermReviewersManage,
	"/factcheck.v1.ReviewerService/ListTokens":         PermReviewersManage,
	"/factcheck.v1.ReviewerService/RevokeToken":        PermReviewersManage,
	"/factcheck.v1.ReviewerService/GetCurrentReviewer": PermReviewersSelf,

	"/factcheck.v1.AuditService/ListAuditEntries": PermAuditRead,
	"/factcheck.v1.AuditService/VerifyAuditLog":   PermAuditRead,
}

var minRole = func() map[Permission]store.Role {
	m := make(map[Permission]store.Role, len(RoleMatrix))
	for _, row := range RoleMatrix {
		m[row.Permission] = row.MinRole
	}
	return m
}()

// RoleHas reports whether role holds p.
func RoleHas(role store.Role, p Permission) bool {
	min, ok := minRole[p]
	return ok && role >= min
}

// caller is who makes a call: the reviewer its token belongs to. The auth
// interceptor puts it in the context of every call but health checks and
// reflection; handlers read it with callerFrom.
type caller struct {
	reviewer *store.Reviewer
	token    *store.Token
	// reviewerName is reviewer.Name(), made once.
	reviewerName string
	// limiter is the token's rate limiter (nil without a limit), looked
	// up once rather than under a lock on every call.
	limiter *rate.Limiter
}

type callerKey struct{}

func withCaller(ctx context.Context, c *caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerFrom returns the caller of ctx; nil only where no token is needed.
func callerFrom(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	return c
}

// name is the caller's resource name, "reviewers/{id}", as annotations'
// author and revisions' actor record it.
func (c *caller) name() string {
	if c == nil {
		return ""
	}
	if c.reviewerName != "" {
		return c.reviewerName
	}
	return c.reviewer.Name()
}

// has reports whether the caller's role holds p.
func (c *caller) has(p Permission) bool {
	return c != nil && RoleHas(c.reviewer.Role, p)
}

// permissionDenied is the error of a caller without p: PERMISSION_DENIED,
// reason PERMISSION_DENIED, ErrorInfo metadata naming the permission, the
// caller and its role. why completes "reviewers/x (ROLE_Y) may not ...".
func permissionDenied(c *caller, p Permission, why string) error {
	role := store.RoleUnspecified
	if c != nil {
		role = c.reviewer.Role
	}
	return &store.Error{
		Kind:    store.ErrPermissionDenied,
		Reason:  "PERMISSION_DENIED",
		Message: c.name() + " (" + role.String() + ") may not " + why + ": that needs permission " + string(p),
		Metadata: map[string]string{
			"permission": string(p),
			"caller":     c.name(),
			"role":       role.String(),
		},
	}
}
