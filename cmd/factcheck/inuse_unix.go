//go:build !windows && !plan9 && !solaris && !aix && !android

package main

import (
	"errors"
	"os"
	"syscall"
)

// lockedByServer reports whether path is a database a running factcheckd
// (or anything else using bbolt) holds: bbolt keeps an exclusive flock on
// its file, which a shared lock attempt runs into.
func lockedByServer(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}
