package server

// SetImportChunk changes the chunk limits of Import until the returned
// function restores them, for the benchmark that chooses them.
func SetImportChunk(records, bytes int) (restore func()) {
	r, b := importChunkRecords, importChunkBytes
	importChunkRecords, importChunkBytes = records, bytes
	return func() { importChunkRecords, importChunkBytes = r, b }
}

// SetMaxResultsBytes changes the size limit of an ImportResults message until
// the returned function restores it.
func SetMaxResultsBytes(n int) (restore func()) {
	old := maxResultsBytes
	maxResultsBytes = n
	return func() { maxResultsBytes = old }
}
