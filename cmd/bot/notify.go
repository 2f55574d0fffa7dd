package main

import (
	"context"

	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/notify"
)

func (c *cli) notifyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "notify", Short: "Try notification rules; mark incidents reportable to authorities", Args: cobra.NoArgs}
	cmd.AddCommand(c.notifyTestCommand(), c.reportableCommand(), c.reportedCommand())
	return cmd
}

func (c *cli) notifyTestCommand() *cobra.Command {
	var event, ref string
	cmd := &cobra.Command{
		Use:   "test RULE",
		Short: "Send a sample notification through a rule now, to every address of its targets",
		Long: `Send a sample notification through a rule now, outside the queue, to every
address of the rule's targets, as the rule's audience gets it, and say what
became of each. The sample is a made-up incident at the lowest TLP; with
--incident the real incident is sent, and targets not cleared for its TLP get
nothing.`,
		Example: "  drone notify test leaders\n  drone notify test soc --event closed --incident INC-42",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				return c.notifyTest(ctx, a, args[0], event, ref)
			})
		},
	}
	cmd.Flags().StringVar(&event, "event", "", "the event to send ("+strings.Join(notify.EventKinds, ", ")+"); default the rule's first")
	cmd.Flags().StringVar(&ref, "incident", "", "send this incident (INC-n) instead of the sample")
	return cmd
}

func (c *cli) notifyTest(ctx context.Context, a *app, rule, event, ref string) error {
	var rec *drone.Record
	if ref != "" {
		num, err := parseRef(ref)
		if err != nil {
			return err
		}
		if rec, err = a.svc.Get(ctx, num); err != nil {
			return err
		}
	}
	n, err := newNotifier(ctx, a)
	if err != nil {
		return err
	}
	defer n.Close()
	results, err := n.Test(ctx, rule, event, rec)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		switch {
		case r.Err == nil:
			fmt.Fprintf(c.Out, "sent      %-8s %-32s %s\n", r.Medium, r.Address, r.Ref.ID)
		case notify.IsWithheld(r.Err):
			fmt.Fprintf(c.Out, "withheld  %-8s %-32s target %s is not cleared for this TLP\n", r.Medium, r.Address, r.Target)
		default:
			failed++
			fmt.Fprintf(c.Out, "failed    %-8s %-32s %v\n", r.Medium, r.Address, r.Err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d address(es) failed", failed, len(results))
	}
	return nil
}

func (c *cli) reportableCommand() *cobra.Command {
	var aware, note string
	cmd := &cobra.Command{
		Use:   "reportable INC-n",
		Short: "Mark an incident reportable to an authority: the regulatory clocks start",
		Long: `Mark an incident reportable to an authority. The deadlines of
notify.regulatory.clocks (for example GDPR 72h, NIS2 24h and 72h) run from
the time the organisation became aware of it (--aware, default now); the
contacts are reminded before each, and told when one passes.`,
		Example: "  drone notify reportable INC-42 --aware 2026-03-01T08:00:00Z --note \"customer data exposed\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			num, err := parseRef(args[0])
			if err != nil {
				return err
			}
			in := drone.ReportableInput{Note: note}
			if aware != "" {
				if in.AwareAt, err = time.Parse(time.RFC3339, aware); err != nil {
					return usageError{fmt.Errorf("--aware %q must be a time such as 2026-03-01T08:00:00Z", aware)}
				}
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				inc, err := a.svc.MarkReportable(ctx, c.operator(), cliOrigin, num, in)
				if err != nil {
					return err
				}
				at, _ := inc.AwareAt()
				fmt.Fprintf(c.Out, "%s is reportable, aware since %s\n", inc.Ref(), at.Format(time.RFC3339))
				for _, k := range a.cfg.Notify.Regulatory.Clocks {
					fmt.Fprintf(c.Out, "  %-24s due %s\n", k.Name, at.Add(k.Deadline).Format(time.RFC3339))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&aware, "aware", "", "when the organisation became aware (RFC 3339; default now)")
	cmd.Flags().StringVar(&note, "note", "", "why it is reportable")
	return cmd
}

func (c *cli) reportedCommand() *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:     "reported INC-n REGIME",
		Short:   "Record that a reportable incident was reported under one regime (a clock's name)",
		Example: "  drone notify reported INC-42 GDPR --note \"CNIL notification 2026-0042\"",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			num, err := parseRef(args[0])
			if err != nil {
				return err
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				m := measure.New(measure.Options{Service: a.svc, Regulatory: a.cfg.Notify.Regulatory})
				rest := strings.Fields(strings.Join(args[1:], " "))
				if note != "" {
					rest = append(rest, note)
				}
				reply, err := m.Reported(ctx, c.operator(), cliOrigin, drone.Command{Name: "reported", Ref: num, Args: rest})
				if err != nil {
					return err
				}
				fmt.Fprintln(c.Out, reply.Text)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "the report's reference")
	return cmd
}
