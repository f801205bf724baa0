package boltstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"
)

// Backup writes a consistent snapshot of the whole database to w while writes
// go on: it is bbolt's tx.WriteTo inside one read transaction, so the copy is
// the state when Backup began. onSize, when non-nil, learns the snapshot's
// size before the first byte is written. The copy is a complete database
// file: Open works on it.
func (s *Store) Backup(ctx context.Context, w io.Writer, onSize func(int64)) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		if onSize != nil {
			onSize(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// ctxWriter stops a long backup once its caller has gone away, instead of
// holding the read transaction (and the pages it pins) to the end.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// Compact rewrites the stopped database at path into a fresh file without the
// free pages that deletes and updates leave behind, then replaces path with
// it. It returns the sizes before and after. The original is untouched until
// the new file is complete and synced; a crash leaves either the old or the
// new file in place, plus at most a stray path+".compact" file.
func Compact(path string, opts Options) (before, after int64, err error) {
	src, err := Open(path, opts)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if src != nil {
			src.Close()
		}
	}()
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	before = fi.Size()

	tmp := path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, 0, err
	}
	dst, err := bbolt.Open(tmp, 0o600, &bbolt.Options{NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return 0, 0, fmt.Errorf("compact: create %s: %w", tmp, err)
	}
	// 64 MiB per transaction bounds the memory a huge database needs while
	// keeping the number of fsyncs small.
	if err := bbolt.Compact(dst, src.db, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return 0, 0, err
	}
	if err := src.Close(); err != nil {
		os.Remove(tmp)
		return 0, 0, err
	}
	src = nil
	if err := os.Rename(tmp, path); err != nil {
		return 0, 0, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		// The rename is durable only once the directory is synced.
		_ = d.Sync()
		d.Close()
	}
	fi, err = os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	return before, fi.Size(), nil
}
