package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
)

// minBootstrapTokenLen is the shortest FACTCHECK_BOOTSTRAP_TOKEN accepted:
// 22 base64 characters carry about 128 bits, beyond guessing. The token
// opens an admin account on a server that may listen on a network.
const minBootstrapTokenLen = 22

// The first admin a fresh server creates.
const (
	bootstrapReviewerID   = "admin"
	bootstrapDisplayName  = "Administrator"
	bootstrapTokenName    = "bootstrap"
	bootstrapActor        = "system/bootstrap"
	bootstrapTokenFileExt = ".bootstrap-token"
)

// checkBootstrapToken refuses a FACTCHECK_BOOTSTRAP_TOKEN that is guessable
// or that cannot travel in an authorization header.
func checkBootstrapToken(tok string) error {
	if tok == "" {
		return nil
	}
	if len(tok) < minBootstrapTokenLen {
		return fmt.Errorf("FACTCHECK_BOOTSTRAP_TOKEN is %d characters; it must have at least %d (about 128 bits) so that nobody can guess it — generate one with: openssl rand -base64 32",
			len(tok), minBootstrapTokenLen)
	}
	if i := strings.IndexFunc(tok, func(r rune) bool { return r <= ' ' || r >= 0x7f }); i >= 0 {
		return fmt.Errorf("FACTCHECK_BOOTSTRAP_TOKEN has a space, control or non-ASCII character at byte %d; a token travels in an HTTP/2 header as \"Bearer <token>\" and must be printable ASCII", i)
	}
	return nil
}

// bootstrapStore is the part of the store the bootstrap needs.
type bootstrapStore interface {
	ListReviewers(ctx context.Context, q store.ListQuery) ([]*store.Reviewer, string, error)
	BootstrapReviewer(ctx context.Context, r *store.Reviewer, t *store.Token) (bool, error)
}

// bootstrap gives a database without reviewers its first admin, so that
// somebody can call the server at all: every call needs a token, and only
// an admin can issue tokens.
//
// With envToken (FACTCHECK_BOOTSTRAP_TOKEN) the admin's token has that
// secret; the operator chose it and knows it. Without, a secret is
// generated, written to db + ".bootstrap-token" (mode 0600) and printed once
// on stderr, outside the log records, for a person to see. When reviewers
// exist, nothing is created and envToken is ignored: it cannot take over an
// existing server.
func bootstrap(ctx context.Context, st bootstrapStore, db, envToken string, stderr io.Writer, logger *slog.Logger) error {
	ctx = store.WithWriteInfo(ctx, store.WriteInfo{Actor: bootstrapActor})
	admin := func() *store.Reviewer {
		return &store.Reviewer{ID: bootstrapReviewerID, DisplayName: bootstrapDisplayName, Role: store.RoleAdmin}
	}
	token := func(secret string) *store.Token {
		return &store.Token{ReviewerID: bootstrapReviewerID, DisplayName: bootstrapTokenName, SecretHash: server.HashSecret(secret)}
	}
	if envToken != "" {
		created, err := st.BootstrapReviewer(ctx, admin(), token(envToken))
		if err != nil {
			return fmt.Errorf("create the first admin: %w", err)
		}
		if created {
			logger.Info("created the first admin with the token from FACTCHECK_BOOTSTRAP_TOKEN", "reviewer", store.ReviewerName(bootstrapReviewerID))
		} else {
			logger.Info("reviewers exist already: FACTCHECK_BOOTSTRAP_TOKEN ignored")
		}
		return nil
	}

	// Look before generating: a restart must neither replace the file the
	// first start wrote nor print a secret that works nowhere. The file
	// lock keeps other processes from adding a reviewer in between.
	existing, _, err := st.ListReviewers(ctx, store.ListQuery{PageSize: 1})
	if err != nil {
		return fmt.Errorf("look for reviewers: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	secret, err := server.NewTokenSecret()
	if err != nil {
		return err
	}
	path := db + bootstrapTokenFileExt
	// The file first: if it cannot be written, no admin exists whose
	// secret would be lost with this process.
	if err := writeSecretFile(path, secret); err != nil {
		return fmt.Errorf("write the first admin's token: %w", err)
	}
	created, err := st.BootstrapReviewer(ctx, admin(), token(secret))
	if err != nil || !created {
		os.Remove(path)
		if err != nil {
			return fmt.Errorf("create the first admin: %w", err)
		}
		return nil
	}
	fmt.Fprintf(stderr, `
==== factcheckd: first start; created the admin %s ====
bootstrap token (shown once): %s
It is also in %s (mode 0600). Every call but health checks and reflection
needs a token: send it as "authorization: Bearer <token>", e.g.
    export FACTCHECK_TOKEN=$(cat %s)
Keep it secret: with it, create the reviewers and their own tokens (ReviewerService).
====

`, store.ReviewerName(bootstrapReviewerID), secret, path, shellQuote(path))
	logger.Info("created the first admin; its token is in the file", "reviewer", store.ReviewerName(bootstrapReviewerID), "token_file", path)
	return nil
}

// writeSecretFile writes secret to a new file only its owner can read, and
// makes it durable. A stale file (of a database since deleted) is removed
// first; creating with O_EXCL then never follows a link someone put there.
func writeSecretFile(path, secret string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(secret + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	// The new name must survive a crash too.
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// shellQuote quotes path for the command the banner suggests, unless it
// needs none.
func shellQuote(path string) string {
	if strings.IndexFunc(path, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("./-_+,:@", r))
	}) < 0 {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
