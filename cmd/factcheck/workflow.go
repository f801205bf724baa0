package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	factcheckv1 "github.com/factcheck/factcheck/api/factcheck/v1"
	"github.com/factcheck/factcheck/client"
)

// transition is one verb of the editorial workflow: an annotation moves from
// one state to the next, optionally with a note the verb requires.
type transition struct {
	use, short, long, example string
	// note is the flag carrying the required note ("" when the verb takes
	// none), noteHelp its help and noteMissing what to say when it is
	// missing.
	note, noteHelp, noteMissing string
	call                        func(ctx context.Context, c *client.Client, name, etag, note string) (*factcheckv1.Annotation, error)
}

// transitions are the workflow verbs, in the order an annotation meets them.
var transitions = []transition{
	{
		use:   "submit NAME",
		short: "Send a draft annotation for review",
		long: `Submit the draft annotation NAME for an editor's review (STATE_DRAFT to
STATE_IN_REVIEW), and print it. Its author or an editor may submit it.`,
		example: `  factcheck submit articles/shafaq-talks/annotations/not-about-withdrawal`,
		call: func(ctx context.Context, c *client.Client, name, etag, _ string) (*factcheckv1.Annotation, error) {
			resp, err := c.Annotations().SubmitAnnotation(ctx, &factcheckv1.SubmitAnnotationRequest{Name: name, Etag: etag})
			return resp.GetAnnotation(), err
		},
	},
	{
		use:   "return NAME --note TEXT",
		short: "Send an annotation in review back to its author",
		long: `Return the annotation NAME, in review, to its author with a note saying what to
change (STATE_IN_REVIEW to STATE_DRAFT), and print it. The note stays in the
annotation's history and the audit log. Editors only.`,
		example:     `  factcheck return articles/shafaq-talks/annotations/not-about-withdrawal --note 'Cite the Pentagon briefing itself.'`,
		note:        "note",
		noteHelp:    "what the author should change (required, at most 2,000 characters)",
		noteMissing: "return needs --note TEXT: say what the author should change",
		call: func(ctx context.Context, c *client.Client, name, etag, note string) (*factcheckv1.Annotation, error) {
			resp, err := c.Annotations().ReturnAnnotation(ctx, &factcheckv1.ReturnAnnotationRequest{Name: name, Etag: etag, Note: note})
			return resp.GetAnnotation(), err
		},
	},
	{
		use:   "publish NAME",
		short: "Publish an annotation in review",
		long: `Publish the annotation NAME, in review (STATE_IN_REVIEW to STATE_PUBLISHED), and
print it. It needs a verdict rating and rationale and at least one citation,
and an editor who is not its author (four eyes).`,
		example: `  factcheck publish articles/shafaq-talks/annotations/not-about-withdrawal`,
		call: func(ctx context.Context, c *client.Client, name, etag, _ string) (*factcheckv1.Annotation, error) {
			resp, err := c.Annotations().PublishAnnotation(ctx, &factcheckv1.PublishAnnotationRequest{Name: name, Etag: etag})
			return resp.GetAnnotation(), err
		},
	},
	{
		use:   "retract NAME --reason TEXT",
		short: "Withdraw a published annotation",
		long: `Retract the published annotation NAME (STATE_PUBLISHED to STATE_RETRACTED), with
the reason readers will see, and print it. Editors only.`,
		example:     `  factcheck retract articles/shafaq-talks/annotations/not-about-withdrawal --reason 'The committee published its agenda.'`,
		note:        "reason",
		noteHelp:    "why the annotation is withdrawn, shown to readers (required, at most 2,000 characters)",
		noteMissing: "retract needs --reason TEXT: say why the annotation is withdrawn",
		call: func(ctx context.Context, c *client.Client, name, etag, note string) (*factcheckv1.Annotation, error) {
			resp, err := c.Annotations().RetractAnnotation(ctx, &factcheckv1.RetractAnnotationRequest{Name: name, Etag: etag, Reason: note})
			return resp.GetAnnotation(), err
		},
	},
}

func (a *app) transitionCommands() []*cobra.Command {
	cmds := make([]*cobra.Command, len(transitions))
	for i, t := range transitions {
		cmds[i] = a.transitionCommand(t)
	}
	return cmds
}

func (a *app) transitionCommand(t transition) *cobra.Command {
	var etag, output, note string
	cmd := &cobra.Command{
		Use:   t.use,
		Short: t.short,
		Long: t.long + `

With --etag the transition happens only if the annotation is unchanged since
it was read (ABORTED otherwise).`,
		Example: t.example,
		Args:    exactArgs(1, "one annotation name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if err := checkTransition(t, args[0], note); err != nil {
				return err
			}
			return a.printCall(cmd.Context(), output, func(ctx context.Context, c *client.Client) (proto.Message, error) {
				return t.call(ctx, c, args[0], etag, note)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&etag, "etag", "", "act only if the annotation's etag is still this")
	f.StringVar(&output, "output", outputJSON, "output format: json, jsonl or table")
	if t.note != "" {
		f.StringVar(&note, t.note, "", t.noteHelp)
	}
	return cmd
}

// checkTransition refuses a name that is not an annotation's, and a verb
// without the note it requires: the server would refuse both, but only
// after a round trip and in its own terms rather than the flag's.
func checkTransition(t transition, name, note string) error {
	k, err := parseName(name)
	if err != nil {
		return err
	}
	verb, _, _ := strings.Cut(t.use, " ")
	if k != kindAnnotation {
		return usagef("%s applies to annotations only (articles/ID/annotations/ID), not %s", verb, name)
	}
	if t.note != "" && strings.TrimSpace(note) == "" {
		return usagef("%s", t.noteMissing)
	}
	return nil
}
