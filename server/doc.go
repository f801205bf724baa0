// Package server owns factcheck's gRPC surface: the ArticleService,
// AnnotationService, SourceService, BulkService (streaming import and
// export), ChangeService (the change feed), AdminService (backups),
// ReviewerService (reviewers and their tokens) and AuditService (the audit
// log) implementations, request validation,
// update-mask and page-token handling, the one place where errors become
// gRPC statuses, and the interceptor chain every call passes through,
// which authenticates each call's bearer token and checks its reviewer's
// role against the method (roles.go; auth.go).
//
// It depends on the API (api/factcheck/v1) and on the store contract
// (store.Store); it never knows which backend it runs on. Handlers validate a
// request completely before the store is touched, so a bad request costs no
// transaction and reports every offending field at once.
//
// Beyond the role matrix, some rules depend on the annotation as well as
// the caller: the editorial workflow and its four-eyes rule (workflow.go)
// and who sees drafts (visibility.go) are checked inside the store's write
// transaction, on a copy read earlier whose etag the write then requires
// (DeleteAnnotation, RollbackAnnotation), or folded into list filters:
// never on a copy that may have changed since. A refusal that would name
// another annotation (a unique value it holds) names it only if a read made
// after the refusal shows it to the caller (hideHolder); an import asks the
// same inside its transaction (refuseHidden).
package server
