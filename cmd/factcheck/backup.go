package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

type backupFlags struct {
	force    bool
	progress string
}

func (a *app) backupCommand() *cobra.Command {
	var f backupFlags
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Copy the server's database into FILE while it keeps serving",
		Long: `Stream a consistent snapshot of the server's whole database into FILE: the
state at the moment the backup began, while writes go on meanwhile. FILE is
a database factcheckd starts on as it is:

  factcheckd --db FILE

The snapshot is written to a temporary file beside FILE, synced, and only
then renamed to FILE, so FILE is never a partial backup: an interrupted or
failed backup leaves nothing behind. An existing FILE is refused unless
--force is given.

Progress goes to stderr: a bar on a terminal, otherwise a line every 2
seconds (or 10% of the database). The size and how to restore go to stdout.
The file is readable by its owner only, as the server's own database is.`,
		Example: `  factcheck backup factcheck-$(date +%F).db
  factcheck backup nightly.db --force --progress none`,
		Args: exactArgs(1, "one output file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runBackup(cmd.Context(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.force, "force", false, "replace FILE if it exists")
	fl.StringVar(&f.progress, "progress", "auto", "progress display: "+progressModes+" (auto: a bar on a terminal, lines otherwise)")
	return cmd
}

func (a *app) runBackup(ctx context.Context, path string, f backupFlags) error {
	if err := checkProgressMode(f.progress); err != nil {
		return err
	}
	if path == "-" || path == "" {
		return usagef("backup writes a file, not stdout: a database is only usable once complete")
	}
	// Checked before the server does any work; placeBackup checks again,
	// as the file may appear meanwhile.
	switch fi, err := os.Stat(path); {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%s is a directory", path)
	case err == nil && !f.force:
		return fmt.Errorf("%s exists; use --force to replace it", path)
	case err == nil && lockedByServer(path):
		// Renaming over a live database would leave the server writing to
		// a file no name points at: everything it writes from then on is
		// lost at its next restart.
		return fmt.Errorf("%s is in use by a running server; back up to another file", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	cl, err := a.client()
	if err != nil {
		return err
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write beside %s: %w", path, err)
	}
	defer func() {
		// After a rename the temporary name is gone and this fails
		// harmlessly; after a link it drops the second name.
		tmp.Close()
		os.Remove(tmp.Name())
	}()

	// Leaving early (a full disk) must end the server's side too, which
	// holds a read transaction and the pages it pins for as long as it runs.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := cl.Admin().Backup(ctx, &factcheckv1.BackupRequest{})
	if err != nil {
		return err
	}
	var (
		got   atomic.Int64
		total int64
		prog  *progress
	)
	defer func() { prog.stop() }()
	for first := true; ; first = false {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if first {
			total = msg.GetTotalBytes()
			prog = a.startProgress(f.progress, backupMeter(path, total, &got))
		}
		if _, err := tmp.Write(msg.GetData()); err != nil {
			return err
		}
		got.Add(int64(len(msg.GetData())))
	}
	prog.stop()
	n := got.Load()
	switch {
	case n == 0:
		return errors.New("the server sent an empty backup")
	case total > 0 && n != total:
		// A server that ends the stream early without an error would
		// otherwise leave a truncated database that fails only on restore.
		return fmt.Errorf("the backup ended after %d of the %d bytes announced; nothing was written to %s", n, total, path)
	}
	// The data must be on disk before the name points at it, or a crash
	// could leave FILE empty or torn after a backup that said it succeeded.
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := placeBackup(tmp.Name(), path, f.force); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "backed up %d bytes (%s) to %s\n", n, humanBytes(n), path)
	fmt.Fprintf(a.stdout, "to restore, start the server on it: factcheckd --db %s\n", shellQuote(path))
	return nil
}

// placeBackup gives the complete temporary file its name and makes the
// rename durable. Without force, a hard link refuses an existing path
// atomically, so a file that appeared during the backup is not replaced.
func placeBackup(tmp, path string, force bool) error {
	if force {
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	} else {
		err := os.Link(tmp, path)
		switch {
		case errors.Is(err, fs.ErrExist):
			return fmt.Errorf("%s appeared while the backup ran; use --force to replace it", path)
		case err != nil:
			// Some file systems have no hard links; fall back to a
			// check and a rename, racy only against another writer.
			if _, serr := os.Lstat(path); serr == nil {
				return fmt.Errorf("%s appeared while the backup ran; use --force to replace it", path)
			}
			if err := os.Rename(tmp, path); err != nil {
				return err
			}
		}
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	// Some file systems cannot sync a directory; the file itself is synced
	// and in place, so that is no reason to report a failed backup.
	if err := dir.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// backupMeter follows a backup by the bytes received.
func backupMeter(path string, total int64, got *atomic.Int64) meter {
	return meter{
		size:     total,
		done:     got,
		describe: func() string { return "backup " + path },
		line:     func(n int64) string { return backupProgressLine(path, total, n) },
	}
}

// backupProgressLine is one plain progress line of a backup:
//
//	backup nightly.db: 40% (16.0 MiB of 40.0 MiB)
func backupProgressLine(path string, total, n int64) string {
	if total <= 0 {
		return fmt.Sprintf("backup %s: %s", path, humanBytes(n))
	}
	return fmt.Sprintf("backup %s: %d%% (%s of %s)", path, n*100/total, humanBytes(n), humanBytes(total))
}

// humanBytes writes n in binary units: 512 B, 16.0 KiB, 40.0 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// shellQuote quotes s for a POSIX shell when it needs it, so that the
// restore hint can be pasted as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+=:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
