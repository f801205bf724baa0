package server

// SetImportChunk changes the chunk limits of Import until the returned
// function restores them, for the benchmark that chooses them.
func SetImportChunk(records, bytes int) (restore func()) {
	r, b := importChunkRecords, importChunkBytes
	importChunkRecords, importChunkBytes = records, bytes
	return func() { importChunkRecords, importChunkBytes = r, b }
}
