package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
)

var metricsAddr = regexp.MustCompile(`msg="metrics serving" addr=(\S+)`)

// TestMetricsEndpoint: with --metrics-listen the real binary serves gRPC
// call counts by code, the database's statistics, and pprof.
func TestMetricsEndpoint(t *testing.T) {
	d := startDaemon(t, filepath.Join(t.TempDir(), "factcheck.db"), "--metrics-listen", "127.0.0.1:0")
	m := metricsAddr.FindStringSubmatch(d.stderr.String())
	if m == nil {
		t.Fatalf("factcheckd did not log its metrics address:\n%s", d.stderr.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	articles := factcheckv1.NewArticleServiceClient(d.dial(t))
	if _, err := articles.CreateArticle(ctx, &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{Url: "https://news.example/1", Text: "text"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := articles.GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: "articles/missing"}); err == nil {
		t.Fatal("GetArticle of a missing article succeeded")
	}

	imp, err := factcheckv1.NewBulkServiceClient(d.dial(t)).Import(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.Send(&factcheckv1.ImportRequest{Records: []*factcheckv1.ImportRecord{
		{Record: &factcheckv1.ImportRecord_Article{Article: &factcheckv1.Article{Url: "https://news.example/1", Text: "text"}}},
		{Record: &factcheckv1.ImportRecord_Article{Article: &factcheckv1.Article{Url: "https://news.example/2", Text: "text"}}},
		{Record: &factcheckv1.ImportRecord_Article{Article: &factcheckv1.Article{Url: "not a url", Text: "text"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := imp.CloseSend(); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := imp.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}

	body := httpGet(t, "http://"+m[1]+"/metrics")
	for _, want := range []string{
		`grpc_server_handled_total{grpc_code="OK",grpc_method="CreateArticle",grpc_service="factcheck.v1.ArticleService",grpc_type="unary"} 1`,
		`grpc_server_handled_total{grpc_code="NotFound",grpc_method="GetArticle",grpc_service="factcheck.v1.ArticleService",grpc_type="unary"} 1`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Import",grpc_service="factcheck.v1.BulkService",grpc_type="bidi_stream"} 1`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Export",grpc_service="factcheck.v1.BulkService",grpc_type="server_stream"} 0`,
		`factcheck_import_records_total{outcome="created"} 1`,
		`factcheck_import_records_total{outcome="existing"} 1`,
		`factcheck_import_records_total{outcome="failed"} 1`,
		"factcheck_db_file_bytes ",
		"factcheck_db_free_pages ",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if body := httpGet(t, "http://"+m[1]+"/debug/pprof/"); !strings.Contains(body, "goroutine") {
		t.Error("/debug/pprof/ does not list profiles")
	}
	d.stop(t)
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}
