package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/notify"
)

func (c *cli) reportCommand() *cobra.Command {
	var since, format, maxTLP string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print the DRONE measures: open incidents, targets missed, times to acknowledge, contain and resolve",
		Long: `Print the report the digests send: open incidents by severity and business unit,
those opened and closed in the period, the targets missed, the regulatory
deadlines, and per severity, category, zone and business unit the mean and
90th percentile times to acknowledge, contain and resolve with the share
within target. Templates: configs/templates/digest.*.tmpl (notify.templates
overrides them).`,
		Example: "  drone report --since 7d\n  drone report --since 30d --format html > soc-report.html",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			period, err := measure.ParsePeriod(since)
			if err != nil {
				return usageError{err}
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				return c.printReport(ctx, a, period, format, maxTLP)
			})
		},
	}
	cmd.Flags().StringVar(&since, "since", "7d", "the period, ending now: 24h, 7d, 2w")
	cmd.Flags().StringVar(&format, "format", "text", "text, markdown, json or html")
	cmd.Flags().StringVar(&maxTLP, "max-tlp", "", "leave out incidents above this TLP (default: none left out)")
	return cmd
}

func (c *cli) printReport(ctx context.Context, a *app, period time.Duration, format, maxTLP string) error {
	fw := a.cfg.Framework
	include := func(*drone.Incident) bool { return true }
	if maxTLP != "" {
		ceiling := fw.TLPRank(maxTLP)
		if ceiling < 0 {
			return usageError{fmt.Errorf("--max-tlp %q must be one of %v", maxTLP, fw.TLP)}
		}
		// A private incident ranks as the most restricted TLP (drone.Service.IsPrivate's rule).
		include = func(inc *drone.Incident) bool { r := fw.TLPRank(fw.Sensitivity(inc)); return r >= 0 && r <= ceiling }
	}
	n, err := newNotifier(ctx, a)
	if err != nil {
		return err
	}
	defer n.Close()
	now := time.Now().UTC()
	r, err := n.Report(ctx, now.Add(-period), now, include)
	if err != nil {
		return err
	}
	if format == "json" {
		return c.printJSON(r)
	}
	view := &notify.View{Org: a.cfg.Organisation, SOC: orDefault(a.cfg.SOC.Name, "SOC"),
		Notice: notify.DigestNotice(r, drone.AudienceLeaders), Report: r, Now: now}
	out, err := n.Templates().RenderReport(format, view)
	if err != nil {
		if drone.ErrorCode(err) == drone.EINVALID {
			return usageError{err}
		}
		return err
	}
	_, err = c.Out.Write(out)
	return err
}
