package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
)

// actionCommand is "drone action add|done|reopen|cancel": follow-up
// actions of incidents, which outlive them.
func (c *cli) actionCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "action", Short: "Add a follow-up action to an incident, or mark one done, reopened or cancelled", Args: cobra.NoArgs}
	var owner, due string
	var asJSON bool
	add := &cobra.Command{
		Use: "add INC-n TEXT...", Short: "Add a follow-up action (it stays open when the incident closes)",
		Example: `  drone action add INC-3 "Rotate the VPN keys" --owner slack:U024BE7LH --due 2026-12-20
  drone action add INC-3 Write the lessons learned --due 7d`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseRef(args[0])
			if err != nil {
				return err
			}
			in := drone.FollowUpInput{Text: strings.Join(args[1:], " "), Owner: owner}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				if due != "" {
					t, err := drone.ParseDue([]string{due}, time.Now())
					if err != nil {
						return usageError{err}
					}
					in.Due = &t
				}
				ac, err := a.svc.AddFollowUp(ctx, c.operator(), cliOrigin, n, in)
				if err != nil {
					return err
				}
				return c.printAction(ac, asJSON)
			})
		},
	}
	add.Flags().StringVar(&owner, "owner", "", "who owns it, as platform:id (slack:U024BE7LH, discord:1100..., local:NAME)")
	add.Flags().StringVar(&due, "due", "", "due date, YYYY-MM-DD, or from now: 3d, 2w, 12h")
	add.Flags().BoolVar(&asJSON, "json", false, "print the action as JSON")
	cmd.AddCommand(add,
		c.actionChange("done ACT-n [NOTE...]", "Mark an action done", drone.ActionDone, &asJSON),
		c.actionChange("reopen ACT-n [NOTE...]", "Reopen an action done or cancelled", drone.ActionOpen, &asJSON),
		c.actionChange("cancel ACT-n REASON...", "Cancel an action, saying why", drone.ActionCancelled, &asJSON))
	return cmd
}

func (c *cli) actionChange(use, short string, to drone.FollowUpStatus, asJSON *bool) *cobra.Command {
	least := 1
	if to == drone.ActionCancelled {
		least = 2 // the reason
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.MinimumNArgs(least),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := drone.ParseActionRef(args[0])
			if err != nil {
				return usageError{err}
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				ac, err := a.svc.UpdateFollowUp(ctx, c.operator(), cliOrigin, n,
					drone.FollowUpChange{Status: to, Note: strings.Join(args[1:], " ")})
				if err != nil {
					return err
				}
				return c.printAction(ac, *asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(asJSON, "json", false, "print the action as JSON")
	return cmd
}

func (c *cli) printAction(ac *drone.FollowUp, asJSON bool) error {
	if asJSON {
		return c.printJSON(ac)
	}
	_, err := fmt.Fprintf(c.Out, "%s %s\n", ac.Ref(), ac.Status)
	return err
}

// actionsCommand is "drone actions": follow-up actions across incidents.
func (c *cli) actionsCommand() *cobra.Command {
	var open, overdue, asJSON bool
	var incident, owner string
	var limit int
	cmd := &cobra.Command{
		Use: "actions", Short: "List follow-up actions, oldest first (--open, --overdue, --incident, --owner)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := drone.FollowUpFilter{Open: open || overdue, Owner: owner, Limit: limit}
			if overdue {
				f.DueBefore = time.Now()
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				if incident != "" {
					n, err := parseRef(incident)
					if err != nil {
						return err
					}
					inc, err := a.svc.Incident(ctx, n)
					if err != nil {
						return err
					}
					f.IncidentID = inc.ID
				}
				list, err := a.svc.FollowUps(ctx, f)
				if err != nil {
					return err
				}
				refs := a.svc.IncidentRefs(ctx, list)
				return c.buffered(func() error {
					if asJSON {
						return c.printJSON(actionRows(list, refs))
					}
					_, err := fmt.Fprintln(c.Out, drone.RenderFollowUps(list, refs, time.Now()))
					return err
				})
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&open, "open", false, "only open actions")
	fl.BoolVar(&overdue, "overdue", false, "only open actions past their due date")
	fl.StringVar(&incident, "incident", "", "only the actions of INC-n")
	fl.StringVar(&owner, "owner", "", "only the actions of this owner (platform:id)")
	fl.IntVar(&limit, "limit", 1000, "at most this many")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// actionRow is an action as drone actions --json prints it: with its
// ACT-n and INC-n references.
type actionRow struct {
	Ref      string `json:"ref"`
	Incident string `json:"incident"`
	*drone.FollowUp
}

func actionRows(list []*drone.FollowUp, refs map[string]string) []actionRow {
	out := make([]actionRow, 0, len(list))
	for _, ac := range list {
		out = append(out, actionRow{Ref: ac.Ref(), Incident: refs[ac.IncidentID], FollowUp: ac})
	}
	return out
}

// snoozeCommand is "drone snooze INC-n DURATION REASON...".
func (c *cli) snoozeCommand() *cobra.Command {
	return c.changeCommand("snooze INC-n DURATION REASON...", "Put off the next status update and its reminders, saying why", 3,
		func(ctx context.Context, a *app, n int64, args []string) (*drone.Incident, error) {
			d, err := time.ParseDuration(args[0])
			if err != nil {
				return nil, usageError{fmt.Errorf("%q is not a duration such as 45m or 2h", args[0])}
			}
			return a.svc.Snooze(ctx, c.operator(), cliOrigin, n, d, strings.Join(args[1:], " "))
		})
}
