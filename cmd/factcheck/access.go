package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/client"
)

// outputSecret is the output format of create token that prints the bare
// secret, so that TOKEN=$(factcheck create token ... --output secret)
// captures it and nothing else.
const outputSecret = "secret"

// parentOf is the name of the resource name's parent: reviewers/x of
// reviewers/x/tokens/t.
func parentOf(name string) string {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return name
	}
	if j := strings.LastIndex(name[:i], "/"); j >= 0 {
		return name[:j]
	}
	return name
}

// printNewToken prints a created token in format. The secret goes to stdout
// in every format, since this is the only time it can be had; what the
// token is goes to stderr as well, so that --output secret leaves stdout
// to the secret alone.
func (a *app) printNewToken(resp *factcheckv1.CreateTokenResponse, format string) error {
	if format == outputSecret {
		if _, err := fmt.Fprintln(a.stdout, resp.GetSecret()); err != nil {
			return err
		}
	} else {
		if err := a.printOne(resp, format); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stderr, "created %s (expires %s); the server will not show its secret again\n",
		resp.GetToken().GetName(), timeCell(resp.GetToken().GetExpireTime(), "never"))
	return nil
}

func (a *app) whoamiCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Print the reviewer and token the calls are made as",
		Long: `Print the reviewer the token (--token, $` + envToken + `) belongs to, with its
role, and the token itself (without its secret). Every role may ask.`,
		Example: `  factcheck whoami --output table
  factcheck whoami | jq -r .reviewer.role`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			return a.printCall(cmd.Context(), output, func(ctx context.Context, c *client.Client) (proto.Message, error) {
				return c.Reviewers().GetCurrentReviewer(ctx, &factcheckv1.GetCurrentReviewerRequest{})
			})
		},
	}
	cmd.Flags().StringVar(&output, "output", outputJSON, "output format: json, jsonl or table")
	return cmd
}

func (a *app) revokeCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "revoke reviewers/ID/tokens/ID",
		Short: "Revoke an access token",
		Long: `Revoke the token NAME and print it: calls with its secret fail with
UNAUTHENTICATED (TOKEN_REVOKED) from the next one on. The token stays listed,
with revokeTime. Admins only; list tokens --parent reviewers/ID finds the name.`,
		Example: `  factcheck revoke reviewers/rana/tokens/5bq2v7kq`,
		Args:    exactArgs(1, "one token name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if err := wantKind(args[0], kindToken, "revoke", "reviewers/ID/tokens/ID"); err != nil {
				return err
			}
			return a.printCall(cmd.Context(), output, func(ctx context.Context, c *client.Client) (proto.Message, error) {
				resp, err := c.Reviewers().RevokeToken(ctx, &factcheckv1.RevokeTokenRequest{Name: args[0]})
				return resp.GetToken(), err
			})
		},
	}
	cmd.Flags().StringVar(&output, "output", outputJSON, "output format: json, jsonl or table")
	return cmd
}

func (a *app) disableCommand() *cobra.Command {
	var etag, output string
	cmd := &cobra.Command{
		Use:   "disable reviewers/ID",
		Short: "Disable a reviewer and all its tokens",
		Long: `Disable the reviewer NAME and print it: its tokens stop working at once
(UNAUTHENTICATED, REVIEWER_DISABLED), and it is kept, with what it wrote, for
the record. With --etag only if the reviewer is unchanged since it was read.
An admin cannot disable itself. Admins only.`,
		Example: `  factcheck disable reviewers/rana`,
		Args:    exactArgs(1, "one reviewer name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if err := wantKind(args[0], kindReviewer, "disable", "reviewers/ID"); err != nil {
				return err
			}
			return a.printCall(cmd.Context(), output, func(ctx context.Context, c *client.Client) (proto.Message, error) {
				resp, err := c.Reviewers().DisableReviewer(ctx, &factcheckv1.DisableReviewerRequest{Name: args[0], Etag: etag})
				return resp.GetReviewer(), err
			})
		},
	}
	cmd.Flags().StringVar(&etag, "etag", "", "disable only if the reviewer's etag is still this")
	cmd.Flags().StringVar(&output, "output", outputJSON, "output format: json, jsonl or table")
	return cmd
}

func (a *app) verifyAuditCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "verify-audit",
		Short: "Check the audit log's hash chain",
		Long: `Have the server recompute the audit log's hash chain from the first entry to
the last, and print the result: whether it is valid, how many entries were
checked and the hash of the last (record it elsewhere: a log rewritten from
some entry on still verifies, but ends in another hash).

When an entry does not match — changed or removed behind the server's back —
the first such entry and what is wrong with it are printed on stderr too,
and the exit status is 1. Admins only.`,
		Example: `  factcheck verify-audit --output table
  factcheck verify-audit >/dev/null || echo 'audit log tampered with'`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			// The server reads the whole log: --timeout bounds it like any
			// other single call, and a large log may need a larger one.
			var resp *factcheckv1.VerifyAuditLogResponse
			err := a.printCall(cmd.Context(), output, func(ctx context.Context, c *client.Client) (proto.Message, error) {
				var err error
				resp, err = c.Audit().VerifyAuditLog(ctx, &factcheckv1.VerifyAuditLogRequest{})
				return resp, err
			})
			if err != nil {
				return err
			}
			if !resp.GetValid() {
				fmt.Fprintf(a.stderr, "factcheck: the audit log is broken at %s: %s\n", resp.GetFirstBrokenEntry(), resp.GetProblem())
				return exitError{exitFailure}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", outputJSON, "output format: json, jsonl or table")
	return cmd
}

// wantKind refuses a name that is not of kind k, saying which name verb
// takes (shape).
func wantKind(name string, k kind, verb, shape string) error {
	got, err := parseName(name)
	if err != nil {
		return err
	}
	if got != k {
		return usagef("%s takes %s, not %s", verb, shape, name)
	}
	return nil
}
