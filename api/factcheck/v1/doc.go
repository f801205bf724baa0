// Package factcheckv1 is the Go code generated from the factcheck.v1 protos
// in this directory: the messages and the gRPC clients and servers of
// ArticleService, AnnotationService, SourceService, BulkService,
// ChangeService and AdminService. Edit the .proto files, never the .pb.go
// files, and run `go generate ./...` from the repository root.
package factcheckv1
