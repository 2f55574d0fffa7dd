package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/review"
)

// reviewCommand prints an incident's latest post-incident review, drafting
// one first when asked (--draft) or when it has none yet.
func (c *cli) reviewCommand() *cobra.Command {
	var asHTML, draft bool
	cmd := &cobra.Command{
		Use:   "review INC-n",
		Short: "Print the post-incident review of an incident (Markdown; --html for the printable page)",
		Long: `Print the latest post-incident review of an incident. drone drafts it when the
incident is resolved; --draft drafts a new version now (posted to the incident's
channel and attached to the TheHive case by drone serve's queue, like the first).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseRef(args[0])
			if err != nil {
				return err
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				inc, err := a.svc.Incident(ctx, n)
				if err != nil {
					return err
				}
				if draft {
					r, err := review.NewRenderer(a.cfg.Review.Template)
					if err != nil {
						return fmt.Errorf("review.template: %w", err)
					}
					if _, err := review.NewDrafter(a.svc, r).Draft(ctx, c.operator(), cliOrigin, n); err != nil {
						return err
					}
				}
				rv, err := a.svc.Review(ctx, inc.ID)
				if drone.ErrorCode(err) == drone.ENOTFOUND {
					return drone.Errorf(drone.ENOTFOUND, "%s has no review yet: drone drafts it when the incident is resolved; draft one now with --draft", inc.Ref())
				}
				if err != nil {
					return err
				}
				text := rv.Markdown
				if asHTML {
					text = rv.HTML
				}
				_, err = fmt.Fprint(c.Out, text)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&asHTML, "html", false, "print the printable HTML page instead of Markdown")
	cmd.Flags().BoolVar(&draft, "draft", false, "draft a new version from the incident as it stands first")
	return cmd
}
