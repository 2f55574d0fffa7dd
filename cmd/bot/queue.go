package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/store"
)

func (c *cli) deliverCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "deliver",
		Short: "Run due jobs (TheHive, notifications) until the queue is idle or the timeout passes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				return c.deliver(ctx, a, timeout)
			})
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "stop after this long even if jobs remain")
	return cmd
}

func (c *cli) deliver(ctx context.Context, a *app, timeout time.Duration) error {
	q, err := a.queue(ctx)
	if err != nil {
		return err
	}
	if q == nil {
		fmt.Fprintln(c.Out, "no integration is enabled, so there is nothing to deliver")
		fmt.Fprintln(c.Out, a.describeIntegrations())
		return c.printPending(ctx, a)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	outcomes, unsubscribe := q.Outcomes()
	if err := q.Start(ctx); err != nil {
		return err
	}
	done, failed := 0, 0
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for idle := false; !idle; {
		select {
		case o := <-outcomes:
			done, failed = c.report(o, done, failed)
		case <-tick.C:
			n, err := a.db.Due(ctx)
			idle = err == nil && n == 0
		case <-ctx.Done():
			idle = true
		}
	}
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopCancel()
	if err := q.Stop(stopCtx); err != nil {
		return err
	}
	unsubscribe()
	for o := range outcomes {
		done, failed = c.report(o, done, failed)
	}
	fmt.Fprintf(c.Out, "delivered %d job(s), %d attempt(s) failed\n", done, failed)
	return c.printPending(context.Background(), a)
}

func (c *cli) report(o store.Outcome, done, failed int) (int, int) {
	if o.Err == nil {
		fmt.Fprintf(c.Out, "done    %d %s\n", o.Job.ID, o.Job.Kind)
		return done + 1, failed
	}
	state := "retry"
	if o.Job.State == "discarded" || o.Job.State == "cancelled" {
		state = "dead"
	}
	fmt.Fprintf(c.Out, "%-7s %d %s (attempt %d/%d): %s\n", state, o.Job.ID, o.Job.Kind, o.Job.Attempt, o.Job.MaxAttempts, o.Err)
	return done, failed + 1
}

func (c *cli) printPending(ctx context.Context, a *app) error {
	jobs, err := a.db.Jobs(ctx, 1000, store.Pending...)
	if err != nil {
		return err
	}
	dead, err := a.db.Jobs(ctx, 1000, store.Dead...)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Out, "queued: %d, dead: %d (see: drone queue list)\n", len(jobs), len(dead))
	return nil
}

func (c *cli) queueCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "queue", Short: "Inspect and revive queued jobs", Args: cobra.NoArgs}
	var asJSON, all bool
	list := &cobra.Command{
		Use: "list", Short: "Show pending and dead jobs with their last error", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				states := append(append([]string{}, store.Pending...), store.Dead...)
				if all {
					states = nil
				}
				jobs, err := a.db.Jobs(ctx, 1000, states...)
				if err != nil {
					return err
				}
				if asJSON {
					return c.printJSON(nonNil(jobs))
				}
				if len(jobs) == 0 {
					fmt.Fprintln(c.Out, "no pending or dead jobs")
				}
				for _, j := range jobs {
					fmt.Fprintf(c.Out, "%-6d %-10s %-24s attempt %d/%d  due %s", j.ID, stateName(j.State), j.Kind,
						j.Attempt, j.MaxAttempts, j.ScheduledAt.Local().Format("2006-01-02 15:04:05"))
					if j.LastError != "" {
						fmt.Fprintf(c.Out, "\n       last error: %s", j.LastError)
					}
					fmt.Fprintln(c.Out)
				}
				return nil
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list.Flags().BoolVar(&all, "all", false, "include completed jobs")
	retry := &cobra.Command{
		Use: "retry ID", Short: "Make a dead or waiting job due now, with a fresh set of attempts", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("%q is not a job id (see: drone queue list)", args[0])}
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				j, err := a.db.RetryJob(ctx, id)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.Out, "job %d (%s) is %s; run drone deliver or drone serve to work it\n", j.ID, j.Kind, stateName(j.State))
				return nil
			})
		},
	}
	cmd.AddCommand(list, retry)
	return cmd
}

// stateName says "dead" for River's discarded state.
func stateName(s string) string {
	if s == "discarded" {
		return "dead"
	}
	return s
}
