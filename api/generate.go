// Package api holds the factcheck.v1 protobuf definitions and their generated
// Go code (see api/factcheck/v1). Run `go generate ./api` from the repository
// root to regenerate it after editing a .proto file.
package api

//go:generate sh -c "cd .. && go tool -modfile=tools/go.mod buf format -w && go tool -modfile=tools/go.mod buf generate api"
