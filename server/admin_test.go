package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/store"
	"github.com/factcheck/factcheck/store/boltstore"
)

// TestBackup streams a backup over gRPC while the same server keeps taking
// writes, writes the chunks to a file and opens it as a database.
func TestBackup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 20 {
		_, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
			Url: fmt.Sprintf("https://news.example/%d", i), Text: string(bytes.Repeat([]byte("word "), 100_000)),
		}})
		if err != nil {
			t.Fatal(err)
		}
	}

	stream, err := factcheckv1.NewAdminServiceClient(e.conn).Backup(ctx, &factcheckv1.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var (
		file   bytes.Buffer
		total  int64
		chunks int
	)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if chunks == 0 {
			total = msg.GetTotalBytes()
		} else if msg.GetTotalBytes() != 0 {
			t.Error("total_bytes set on a later chunk")
		}
		if len(msg.GetData()) > 1<<20 {
			t.Errorf("chunk of %d bytes exceeds 1 MiB", len(msg.GetData()))
		}
		chunks++
		file.Write(msg.GetData())
		if chunks == 1 {
			// A write while the backup streams neither blocks nor
			// corrupts it.
			if _, err := e.articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{
				Url: "https://news.example/during-backup", Text: "text"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if total == 0 || int64(file.Len()) != total {
		t.Fatalf("received %d bytes in %d chunks; first chunk announced %d", file.Len(), chunks, total)
	}
	if chunks < 2 {
		t.Errorf("a %d-byte backup came in %d chunk(s); expected several", total, chunks)
	}

	path := filepath.Join(t.TempDir(), "restored.db")
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	// The snapshot is the state when the call began: the 20 articles, not
	// the one written while it streamed.
	page, next, err := st.ListArticles(ctx, store.ListQuery{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 20 || next != "" {
		t.Errorf("restored backup lists %d articles (next %q), want 20", len(page), next)
	}
}
