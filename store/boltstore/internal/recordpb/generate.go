// Package recordpb holds the protobuf messages boltstore stores as record
// values. They are the file format, private to the backend: the API messages
// may change shape without touching a single stored byte, and a field here is
// only ever added (never renumbered or retyped) so old files stay readable.
package recordpb

//go:generate sh -c "go tool -modfile=../../../../tools/go.mod buf format -w && go tool -modfile=../../../../tools/go.mod buf generate --template buf.gen.yaml"
