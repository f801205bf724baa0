package server

import (
	"context"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
)

// backupChunkBytes keeps each BackupResponse under grpc-go's default 4 MiB
// receive limit with room to spare, while large enough that per-message
// overhead does not matter.
const backupChunkBytes = 1 << 20

// Snapshotter is the optional capability of a store.Store that can copy
// itself while serving (boltstore.Store is one). AdminService.Backup answers
// UNIMPLEMENTED for a store without it.
type Snapshotter interface {
	Backup(ctx context.Context, w io.Writer, onSize func(int64)) (int64, error)
}

type adminService struct {
	factcheckv1.UnimplementedAdminServiceServer
	st store.Store
}

var _ factcheckv1.AdminServiceServer = (*adminService)(nil)

func (s *adminService) Backup(_ *factcheckv1.BackupRequest, stream grpc.ServerStreamingServer[factcheckv1.BackupResponse]) error {
	snap, ok := s.st.(Snapshotter)
	if !ok {
		return newStatus(codes.Unimplemented, "BACKUP_UNSUPPORTED", nil,
			"this server's storage backend cannot take online backups; stop the server and copy its files instead").Err()
	}
	w := &chunkWriter{stream: stream, buf: make([]byte, 0, backupChunkBytes)}
	if _, err := snap.Backup(stream.Context(), w, func(n int64) { w.total = n }); err != nil {
		return err
	}
	return w.flush()
}

// chunkWriter turns the store's byte stream into BackupResponse messages of
// backupChunkBytes; the first one carries the snapshot's total size.
type chunkWriter struct {
	stream grpc.ServerStreamingServer[factcheckv1.BackupResponse]
	buf    []byte
	total  int64
	sent   bool
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		take := min(cap(w.buf)-len(w.buf), len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 && w.sent {
		return nil
	}
	msg := &factcheckv1.BackupResponse{Data: w.buf}
	if !w.sent {
		msg.TotalBytes = w.total
	}
	if err := w.stream.Send(msg); err != nil {
		return err
	}
	w.sent = true
	w.buf = w.buf[:0]
	return nil
}
