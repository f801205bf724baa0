package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/client"
)

// kind is the type of resource a name or an argument refers to.
type kind int

const (
	kindArticle kind = iota + 1
	kindAnnotation
	kindSource
	kindReviewer
	kindToken
	kindAuditEntry
)

// parseName tells what a resource name refers to. It checks the shape only;
// the server judges the IDs.
func parseName(name string) (kind, error) {
	parts := strings.Split(name, "/")
	switch {
	case len(parts) == 2 && parts[0] == "articles" && parts[1] != "":
		return kindArticle, nil
	case len(parts) == 4 && parts[0] == "articles" && parts[1] != "" && parts[2] == "annotations" && parts[3] != "":
		return kindAnnotation, nil
	case len(parts) == 2 && parts[0] == "sources" && parts[1] != "":
		return kindSource, nil
	case len(parts) == 2 && parts[0] == "reviewers" && parts[1] != "":
		return kindReviewer, nil
	case len(parts) == 4 && parts[0] == "reviewers" && parts[1] != "" && parts[2] == "tokens" && parts[3] != "":
		return kindToken, nil
	}
	return 0, usagef("%q is not a resource name: want articles/ID, articles/ID/annotations/ID, sources/ID, reviewers/ID or reviewers/ID/tokens/ID", name)
}

// contentOnly refuses reviewers and tokens to verbs made for the
// newsroom's content (delete, undelete): reviewers and tokens are kept for
// the record, and their own verbs are named after what they do to them.
func contentOnly(k kind, verb, name string) error {
	var instead string
	switch k {
	case kindReviewer:
		instead = "disable"
	case kindToken:
		instead = "revoke"
	default:
		return nil
	}
	if verb == "delete" {
		return usagef("delete applies to articles, annotations and sources; use factcheck %s %s", instead, name)
	}
	return usagef("%s applies to articles, annotations and sources, not %s", verb, name)
}

// parseKind reads the singular or plural kind argument of list and create.
func parseKind(s string) (kind, error) {
	switch strings.ToLower(s) {
	case "article", "articles":
		return kindArticle, nil
	case "annotation", "annotations":
		return kindAnnotation, nil
	case "source", "sources":
		return kindSource, nil
	case "reviewer", "reviewers":
		return kindReviewer, nil
	case "token", "tokens":
		return kindToken, nil
	case "audit-entry", "audit-entries":
		return kindAuditEntry, nil
	}
	return 0, usagef("unknown resource type %q: want articles, annotations, sources, reviewers, tokens or audit-entries", s)
}

func parseView(s string) (factcheckv1.ArticleView, error) {
	switch strings.ToLower(s) {
	case "":
		return factcheckv1.ArticleView_ARTICLE_VIEW_UNSPECIFIED, nil
	case "basic":
		return factcheckv1.ArticleView_ARTICLE_VIEW_BASIC, nil
	case "full":
		return factcheckv1.ArticleView_ARTICLE_VIEW_FULL, nil
	}
	return 0, usagef("--view must be basic or full, not %q", s)
}

func (a *app) getCommand() *cobra.Command {
	var output, view string
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Print one article, annotation, source or reviewer",
		Long: `Print the resource NAME: articles/ID, articles/ID/annotations/ID, sources/ID
or reviewers/ID (admins only). Articles come with their text unless --view
basic. Tokens are read with list tokens --parent reviewers/ID.`,
		Example: `  factcheck get articles/shafaq-talks --view basic
  factcheck get articles/shafaq-talks/annotations/talks-before-oct-7 --output table
  factcheck get reviewers/rana`,
		Args: exactArgs(1, "one resource name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			k, err := parseName(args[0])
			if err != nil {
				return err
			}
			v, err := parseView(view)
			if err != nil {
				return err
			}
			if v != factcheckv1.ArticleView_ARTICLE_VIEW_UNSPECIFIED && k != kindArticle {
				return usagef("--view applies to articles only")
			}
			if k == kindToken {
				// The API has no GetToken: a token is only ever shown
				// among its reviewer's.
				return usagef("a token is not read on its own: factcheck list tokens --parent %s", parentOf(args[0]))
			}
			return a.printCall(cmd.Context(), output, func(ctx context.Context, c *client.Client) (proto.Message, error) {
				switch k {
				case kindArticle:
					resp, err := c.Articles().GetArticle(ctx, &factcheckv1.GetArticleRequest{Name: args[0], View: v})
					return resp.GetArticle(), err
				case kindAnnotation:
					resp, err := c.Annotations().GetAnnotation(ctx, &factcheckv1.GetAnnotationRequest{Name: args[0]})
					return resp.GetAnnotation(), err
				case kindSource:
					resp, err := c.Sources().GetSource(ctx, &factcheckv1.GetSourceRequest{Name: args[0]})
					return resp.GetSource(), err
				default: // kindReviewer
					resp, err := c.Reviewers().GetReviewer(ctx, &factcheckv1.GetReviewerRequest{Name: args[0]})
					return resp.GetReviewer(), err
				}
			})
		},
	}
	cmd.Flags().StringVar(&output, "output", outputJSON, "output format: json, jsonl or table")
	cmd.Flags().StringVar(&view, "view", "", "article view: basic (no text) or full (the default)")
	return cmd
}

func (a *app) listCommand() *cobra.Command {
	var (
		output, parent, filter, orderBy, pageToken, view string
		pageSize                                         int32
		all, showDeleted                                 bool
	)
	cmd := &cobra.Command{
		Use:   "list articles|annotations|sources|reviewers|tokens|audit-entries",
		Short: "List articles, annotations, sources, reviewers, tokens or audit entries",
		Long: `List one page of resources, or all of them with --all (fetched page by page).
Without --all, the token of the next page, if any, is printed on stderr.
Annotations are listed across all articles unless --parent names one; tokens
are those of the reviewer --parent names (reviewers/ID), without secrets.
Reviewers, tokens and audit entries are for admins.

Audit entries are oldest first; --order-by 'sequence desc' lists the newest
first. Their filter fields are actor, method, resource, request_id and
create_time; reviewers' are role, disabled, email, display_name and
create_time.

The default output is JSON Lines, one resource per line.`,
		Example: `  factcheck list annotations --filter 'verdict.rating = RATING_FALSE' --all
  factcheck list articles --order-by 'create_time desc' --page-size 10 --output table
  factcheck list reviewers --filter 'role = ROLE_EDITOR AND disabled = false'
  factcheck list tokens --parent reviewers/rana --output table
  factcheck list audit-entries --filter 'actor = "reviewers/omar"' --order-by 'sequence desc'`,
		Args: exactArgs(1, "articles, annotations, sources, reviewers, tokens or audit-entries"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			v, err := parseView(view)
			if err != nil {
				return err
			}
			if err := checkListFlags(k, cmd.Flags().Changed, v); err != nil {
				return err
			}
			if pageSize < 0 {
				return usagef("--page-size must not be negative")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			// fetch returns one page's resources and the next page token.
			var fetch func(ctx context.Context, token string) ([]proto.Message, string, error)
			switch k {
			case kindArticle:
				fetch = func(ctx context.Context, token string) ([]proto.Message, string, error) {
					resp, err := c.Articles().ListArticles(ctx, &factcheckv1.ListArticlesRequest{
						PageSize: pageSize, PageToken: token, Filter: filter, OrderBy: orderBy, View: v, ShowDeleted: showDeleted,
					})
					return messages(resp.GetArticles()), resp.GetNextPageToken(), err
				}
			case kindAnnotation:
				fetch = func(ctx context.Context, token string) ([]proto.Message, string, error) {
					resp, err := c.Annotations().ListAnnotations(ctx, &factcheckv1.ListAnnotationsRequest{
						Parent: parent, PageSize: pageSize, PageToken: token, Filter: filter, OrderBy: orderBy, ShowDeleted: showDeleted,
					})
					return messages(resp.GetAnnotations()), resp.GetNextPageToken(), err
				}
			case kindSource:
				fetch = func(ctx context.Context, token string) ([]proto.Message, string, error) {
					resp, err := c.Sources().ListSources(ctx, &factcheckv1.ListSourcesRequest{
						PageSize: pageSize, PageToken: token, Filter: filter, OrderBy: orderBy, ShowDeleted: showDeleted,
					})
					return messages(resp.GetSources()), resp.GetNextPageToken(), err
				}
			case kindReviewer:
				fetch = func(ctx context.Context, token string) ([]proto.Message, string, error) {
					resp, err := c.Reviewers().ListReviewers(ctx, &factcheckv1.ListReviewersRequest{
						PageSize: pageSize, PageToken: token, Filter: filter,
					})
					return messages(resp.GetReviewers()), resp.GetNextPageToken(), err
				}
			case kindToken:
				fetch = func(ctx context.Context, token string) ([]proto.Message, string, error) {
					resp, err := c.Reviewers().ListTokens(ctx, &factcheckv1.ListTokensRequest{
						Parent: parent, PageSize: pageSize, PageToken: token,
					})
					return messages(resp.GetTokens()), resp.GetNextPageToken(), err
				}
			case kindAuditEntry:
				fetch = func(ctx context.Context, token string) ([]proto.Message, string, error) {
					resp, err := c.Audit().ListAuditEntries(ctx, &factcheckv1.ListAuditEntriesRequest{
						PageSize: pageSize, PageToken: token, Filter: filter, OrderBy: orderBy,
					})
					return messages(resp.GetAuditEntries()), resp.GetNextPageToken(), err
				}
			}
			p := newPrinter(a.stdout, output, true)
			token := pageToken
			for {
				ctx, cancel := a.callContext(cmd.Context())
				items, next, err := fetch(ctx, token)
				cancel()
				if err != nil {
					// Close what was printed, so that --all output stays
					// valid JSON up to the failing page.
					p.end()
					return err
				}
				for _, m := range items {
					if err := p.item(m); err != nil {
						return err
					}
				}
				token = next
				if token == "" || !all {
					break
				}
			}
			if err := p.end(); err != nil {
				return err
			}
			if token != "" {
				fmt.Fprintf(a.stderr, "more results: --page-token %s\n", token)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&output, "output", outputJSONL, "output format: json (an array), jsonl or table")
	f.StringVar(&parent, "parent", "articles/-", "annotations of this article (articles/ID), or articles/- for all; tokens of this reviewer (reviewers/ID, required)")
	f.StringVar(&filter, "filter", "", "AIP-160 filter, e.g. 'state = STATE_PUBLISHED'")
	f.StringVar(&orderBy, "order-by", "", "create_time or update_time, optionally followed by ' desc'; audit entries: sequence or 'sequence desc'")
	f.Int32Var(&pageSize, "page-size", 0, "resources per page (0: the server's default)")
	f.StringVar(&pageToken, "page-token", "", "continue from this page token")
	f.BoolVar(&all, "all", false, "fetch every page")
	f.BoolVar(&showDeleted, "show-deleted", false, "include deleted resources (deleteTime set) until they are purged")
	f.StringVar(&view, "view", "", "article view: basic (the default, no text) or full")
	return cmd
}

// listFlagKinds are the kinds each of list's optional flags applies to; a
// flag the API would ignore for a kind is a mistake worth saying so.
var listFlagKinds = map[string][]kind{
	"parent":       {kindAnnotation, kindToken},
	"filter":       {kindArticle, kindAnnotation, kindSource, kindReviewer, kindAuditEntry},
	"order-by":     {kindArticle, kindAnnotation, kindSource, kindAuditEntry},
	"show-deleted": {kindArticle, kindAnnotation, kindSource},
}

// checkListFlags refuses flags that do not apply to k, and a token list
// without the reviewer it is of. changed reports whether a flag was given.
func checkListFlags(k kind, changed func(string) bool, v factcheckv1.ArticleView) error {
	if v != factcheckv1.ArticleView_ARTICLE_VIEW_UNSPECIFIED && k != kindArticle {
		return usagef("--view applies to articles only")
	}
	for _, flag := range []string{"parent", "filter", "order-by", "show-deleted"} {
		if changed(flag) && !slices.Contains(listFlagKinds[flag], k) {
			return usagef("--%s does not apply to %s", flag, kindPlural[k])
		}
	}
	// --parent defaults to every article's annotations, which means
	// nothing for tokens.
	if k == kindToken && !changed("parent") {
		return usagef("list tokens needs --parent reviewers/ID")
	}
	return nil
}

// kindPlural names a kind as list takes it.
var kindPlural = map[kind]string{
	kindArticle:    "articles",
	kindAnnotation: "annotations",
	kindSource:     "sources",
	kindReviewer:   "reviewers",
	kindToken:      "tokens",
	kindAuditEntry: "audit-entries",
}

func messages[M proto.Message](ms []M) []proto.Message {
	out := make([]proto.Message, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

func (a *app) createCommand() *cobra.Command {
	var (
		file, id, parent, output, displayName string
		ttl                                   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create article|annotation|source|reviewer|token",
		Short: "Create an article, annotation, source, reviewer or token",
		Long: `Create a resource from FILE (-f, - for stdin): the resource as protojson (the
JSON grpcurl shows), or the whole Create request ({"articleId": ...,
"article": {...}}). --id and --parent override the request's.

An annotation needs its article: --parent articles/ID. A reviewer needs a
role, e.g. {"displayName": "Rana Haddad", "role": "ROLE_REVIEWER"}.

A token needs its reviewer, --parent reviewers/ID, and no file: --display-name
says what it is for and --ttl how long it works (unset: until revoked). The
server shows the token's secret once, in this command's output, and keeps
only its hash. --output secret prints the secret alone on stdout, for a
script to capture, and the token's name on stderr:

  TOKEN=$(factcheck create token --parent reviewers/rana --output secret)

Reviewers and tokens are for admins.`,
		Example: `  factcheck create article -f testdata/shafaq-create-article.json
  factcheck create source --id wapo-talks -f wapo.json
  echo '{"anchor": {"quote": {"exact": "..."}}, "claim": {"text": "..."}}' |
    factcheck create annotation --parent articles/shafaq-talks -f -
  echo '{"displayName": "Omar Saleh", "role": "ROLE_EDITOR"}' |
    factcheck create reviewer --id omar -f -
  factcheck create token --parent reviewers/omar --display-name laptop --ttl 720h --output secret`,
		Args: exactArgs(1, "article, annotation, source, reviewer or token"),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			if err := checkCreateFlags(k, cmd.Flags().Changed, createFlags{file: file, parent: parent, output: output, ttl: ttl}); err != nil {
				return err
			}
			var data []byte
			if file != "" {
				if data, err = a.readInput(file); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx, cancel := a.callContext(cmd.Context())
			defer cancel()
			var m proto.Message
			switch k {
			case kindArticle:
				req := &factcheckv1.CreateArticleRequest{Article: &factcheckv1.Article{}}
				if err := unmarshalResourceOrRequest(data, req.Article, req, file); err != nil {
					return err
				}
				if id != "" {
					req.ArticleId = id
				}
				resp, err := c.Articles().CreateArticle(ctx, req)
				if err != nil {
					return err
				}
				m = resp.GetArticle()
			case kindAnnotation:
				req := &factcheckv1.CreateAnnotationRequest{Annotation: &factcheckv1.Annotation{}}
				if err := unmarshalResourceOrRequest(data, req.Annotation, req, file); err != nil {
					return err
				}
				if id != "" {
					req.AnnotationId = id
				}
				if parent != "" {
					req.Parent = parent
				}
				if req.Parent == "" {
					return usagef("an annotation needs --parent articles/ID")
				}
				resp, err := c.Annotations().CreateAnnotation(ctx, req)
				if err != nil {
					return err
				}
				m = resp.GetAnnotation()
			case kindSource:
				req := &factcheckv1.CreateSourceRequest{Source: &factcheckv1.Source{}}
				if err := unmarshalResourceOrRequest(data, req.Source, req, file); err != nil {
					return err
				}
				if id != "" {
					req.SourceId = id
				}
				resp, err := c.Sources().CreateSource(ctx, req)
				if err != nil {
					return err
				}
				m = resp.GetSource()
			case kindReviewer:
				req := &factcheckv1.CreateReviewerRequest{Reviewer: &factcheckv1.Reviewer{}}
				if err := unmarshalResourceOrRequest(data, req.Reviewer, req, file); err != nil {
					return err
				}
				if id != "" {
					req.ReviewerId = id
				}
				resp, err := c.Reviewers().CreateReviewer(ctx, req)
				if err != nil {
					return err
				}
				m = resp.GetReviewer()
			case kindToken:
				req := &factcheckv1.CreateTokenRequest{Parent: parent, Token: &factcheckv1.Token{DisplayName: displayName}}
				if ttl > 0 {
					req.Ttl = durationpb.New(ttl)
				}
				resp, err := c.Reviewers().CreateToken(ctx, req)
				if err != nil {
					return err
				}
				return a.printNewToken(resp, output)
			}
			return a.printOne(m, output)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "JSON file of the resource or its Create request, - for stdin (not for tokens)")
	f.StringVar(&id, "id", "", "ID to create the resource under (the server generates one otherwise; not for tokens)")
	f.StringVar(&parent, "parent", "", "article of the annotation (articles/ID), or reviewer of the token (reviewers/ID)")
	f.StringVar(&displayName, "display-name", "", "token: what it is for, e.g. 'CMS plugin'")
	f.DurationVar(&ttl, "ttl", 0, "token: how long it works, e.g. 720h (unset: until revoked)")
	f.StringVar(&output, "output", outputJSON, "output format: json, jsonl or table; for tokens also secret (the secret alone)")
	return cmd
}

// createFlags are the flags of create that depend on the kind.
type createFlags struct {
	file, parent, output string
	ttl                  time.Duration
}

// checkCreateFlags refuses a create command line that cannot work for k,
// before anything is read or dialled. changed reports whether a flag was
// given.
func checkCreateFlags(k kind, changed func(string) bool, f createFlags) error {
	switch {
	case k == kindToken && f.output == outputSecret:
	default:
		if err := checkOutput(f.output); err != nil {
			if f.output == outputSecret {
				return usagef("--output secret applies to tokens only")
			}
			return err
		}
	}
	switch k {
	case kindAuditEntry:
		return usagef("audit entries are written by the server, not created")
	case kindToken:
		switch {
		case changed("file"):
			return usagef("a token is made from flags, not a file: --display-name and --ttl")
		case changed("id"):
			return usagef("--id does not apply to tokens: the server names them")
		case f.parent == "":
			return usagef("a token needs --parent reviewers/ID")
		case f.ttl < 0:
			return usagef("--ttl must not be negative, not %v", f.ttl)
		}
		return nil
	}
	for _, flag := range []string{"display-name", "ttl"} {
		if changed(flag) {
			return usagef("--%s applies to tokens only", flag)
		}
	}
	if f.file == "" {
		return usagef("-f FILE is required (- for stdin)")
	}
	if changed("parent") && k != kindAnnotation {
		return usagef("--parent applies to annotations and tokens only")
	}
	return nil
}

// readInput reads a whole file, or stdin for "-".
func (a *app) readInput(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(a.stdin)
	}
	return os.ReadFile(file)
}

// unmarshalResourceOrRequest reads data as the resource itself or, failing
// that, as the whole Create request. The request form lets the files people
// already feed grpcurl (testdata/shafaq-create-article.json) be used as they
// are. Neither resource has a field named like the request's, so a request
// never parses as a resource.
func unmarshalResourceOrRequest(data []byte, resource, request proto.Message, file string) error {
	errRes := protojson.Unmarshal(data, resource)
	if errRes == nil {
		return nil
	}
	proto.Reset(request)
	if err := protojson.Unmarshal(data, request); err == nil {
		return nil
	}
	if file == "-" {
		file = "stdin"
	}
	return usageError{fmt.Errorf("%s: not a %s: %w", file, resource.ProtoReflect().Descriptor().Name(), errRes)}
}

func (a *app) deleteCommand() *cobra.Command {
	var (
		etag  string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an article, annotation or source",
		Long: `Delete the resource NAME. With --etag the delete happens only if the resource
is unchanged since it was read. An article with annotations is deleted only
with --force, which deletes its annotations too.

Deletes are soft: the resource keeps its name, URL and history until the
server purges it (30 days later by default); until then get shows it with
deleteTime and purgeTime, list shows it with --show-deleted, and undelete
restores it.`,
		Args: exactArgs(1, "one resource name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseName(args[0])
			if err != nil {
				return err
			}
			if err := contentOnly(k, "delete", args[0]); err != nil {
				return err
			}
			if force && k != kindArticle {
				return usagef("--force applies to articles only")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx, cancel := a.callContext(cmd.Context())
			defer cancel()
			switch k {
			case kindArticle:
				_, err = c.Articles().DeleteArticle(ctx, &factcheckv1.DeleteArticleRequest{Name: args[0], Etag: etag, Force: force})
			case kindAnnotation:
				_, err = c.Annotations().DeleteAnnotation(ctx, &factcheckv1.DeleteAnnotationRequest{Name: args[0], Etag: etag})
			case kindSource:
				_, err = c.Sources().DeleteSource(ctx, &factcheckv1.DeleteSourceRequest{Name: args[0], Etag: etag})
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "deleted %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&etag, "etag", "", "delete only if the resource's etag is still this")
	cmd.Flags().BoolVar(&force, "force", false, "delete an article together with its annotations")
	return cmd
}

func (a *app) undeleteCommand() *cobra.Command {
	var etag, output string
	cmd := &cobra.Command{
		Use:   "undelete NAME",
		Short: "Restore a deleted article, annotation or source",
		Long: `Restore the deleted resource NAME before the server purges it, and print it.
Undeleting an article restores the annotations its delete --force deleted.
With --etag the undelete happens only if the resource is unchanged since it
was read.`,
		Args: exactArgs(1, "one resource name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			k, err := parseName(args[0])
			if err != nil {
				return err
			}
			if err := contentOnly(k, "undelete", args[0]); err != nil {
				return err
			}
			return a.printCall(cmd.Context(), output, func(ctx context.Context, c *client.Client) (proto.Message, error) {
				switch k {
				case kindArticle:
					resp, err := c.Articles().UndeleteArticle(ctx, &factcheckv1.UndeleteArticleRequest{Name: args[0], Etag: etag})
					return resp.GetArticle(), err
				case kindAnnotation:
					resp, err := c.Annotations().UndeleteAnnotation(ctx, &factcheckv1.UndeleteAnnotationRequest{Name: args[0], Etag: etag})
					return resp.GetAnnotation(), err
				default: // kindSource
					resp, err := c.Sources().UndeleteSource(ctx, &factcheckv1.UndeleteSourceRequest{Name: args[0], Etag: etag})
					return resp.GetSource(), err
				}
			})
		},
	}
	cmd.Flags().StringVar(&etag, "etag", "", "undelete only if the resource's etag is still this")
	cmd.Flags().StringVar(&output, "output", outputJSON, "output format: json, jsonl or table")
	return cmd
}
