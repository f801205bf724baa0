package boltstore

import (
	"go.etcd.io/bbolt"
)

// Test-only access to internals, for the tests in package boltstore_test.

// DumpIndexes returns the content of every derived bucket: bucket name →
// key/value pairs in key order.
func (s *Store) DumpIndexes() (map[string][][2][]byte, error) {
	out := map[string][][2][]byte{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		for _, b := range buckets {
			if !b.derived {
				continue
			}
			kvs := [][2][]byte{}
			err := tx.Bucket(b.name).ForEach(func(k, v []byte) error {
				// Index values are nil or empty depending on whether
				// the page was written yet; both mean "no value".
				if len(v) == 0 {
					v = nil
				}
				kvs = append(kvs, [2][]byte{clone(k), clone(v)})
				return nil
			})
			if err != nil {
				return err
			}
			out[string(b.name)] = kvs
		}
		return nil
	})
	return out, err
}

// Examined returns how many records List calls have decoded as candidates.
func (s *Store) Examined() int64 { return s.examined.Load() }

// DB exposes the bbolt handle.
func (s *Store) DB() *bbolt.DB { return s.db }
