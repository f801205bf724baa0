package boltstore

import "os"

// Stats is a snapshot of the database file's health, for metrics.
type Stats struct {
	// FileBytes is the size of the file on disk.
	FileBytes int64
	// FreePages and PendingPages are pages free for reuse now and pages freed
	// by transactions still open; many of them mean `factcheckd compact`
	// would reclaim space.
	FreePages, PendingPages int
	// FreeBytes is the space held by free pages.
	FreeBytes int
	// OpenReadTx is the number of read transactions in flight.
	OpenReadTx int
	// ReadTx counts read transactions started since Open.
	ReadTx int
	// PageWrites and WriteSeconds count the page writes of committed
	// transactions and the time they took (syncs excluded).
	PageWrites   int64
	WriteSeconds float64
}

// Stats reports the database file's health.
func (s *Store) Stats() Stats {
	st := s.db.Stats()
	out := Stats{
		FreePages:    st.FreePageN,
		PendingPages: st.PendingPageN,
		FreeBytes:    st.FreeAlloc,
		OpenReadTx:   st.OpenTxN,
		ReadTx:       st.TxN,
		PageWrites:   st.TxStats.GetWrite(),
		WriteSeconds: st.TxStats.GetWriteTime().Seconds(),
	}
	if fi, err := os.Stat(s.db.Path()); err == nil {
		out.FileBytes = fi.Size()
	}
	return out
}
