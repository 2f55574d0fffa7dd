package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/misp"
)

func (c *cli) mispCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "misp", Short: "Check drone's connection to MISP; export an incident as a MISP event", Args: cobra.NoArgs}
	check := c.checkCommand("Reach MISP with the configured URL and key; print its version and the key's user",
		`Reach MISP with the configured URL and key, then print MISP's version and
the user, organisation and role the key belongs to. When MISP cannot be
reached, or refuses the key, it says which setting to look at. Exit status:
0 when MISP answered, 1 when it did not or refused, 2 when the configuration
itself is wrong or MISP is not configured.`,
		c.mispCheck)
	var exportJSON bool
	export := &cobra.Command{
		Use:   "export INC-n",
		Short: "Export an incident as a MISP event, once, if its TLP and PAP allow it",
		Long: `Export an incident as a MISP event with its public indicators, its TLP and PAP
as tags and a tag naming the incident. An incident above misp.export.max_tlp
or misp.export.max_pap is refused and nothing is sent; TLP:RED never leaves
unless misp.export.allow_red is set. Exporting again prints the event made
the first time.`,
		Example: "  drone misp export INC-42",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.mispExport(cmd, args[0], exportJSON)
		},
	}
	export.Flags().BoolVar(&exportJSON, "json", false, "print JSON")
	cmd.AddCommand(check, export)
	return cmd
}

// mispCheckResult is what drone misp check --json prints.
type mispCheckResult struct {
	OK           bool     `json:"ok"`
	URL          string   `json:"url"`
	Version      string   `json:"version,omitempty"`
	User         string   `json:"user,omitempty"`
	Organisation string   `json:"organisation,omitempty"`
	Role         string   `json:"role,omitempty"`
	Error        string   `json:"error,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
}

func (c *cli) mispClient() (misp.Config, *misp.Client, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return misp.Config{}, nil, err
	}
	mc := cfg.MISP
	if !mc.Enabled() {
		return mc, nil, usageError{errors.New("MISP is not configured: set misp.url and misp.key (or DRONE_MISP_URL and DRONE_MISP_KEY)")}
	}
	client, err := misp.New(mc)
	if err != nil {
		return mc, nil, usageError{err}
	}
	return mc, client, nil
}

func (c *cli) mispCheck(ctx context.Context, asJSON bool) error {
	mc, client, err := c.mispClient()
	if err != nil {
		return err
	}
	res := mispCheckResult{URL: mc.URL}
	if mc.VerifyTLS != nil && !*mc.VerifyTLS {
		res.Warnings = append(res.Warnings, "MISP's TLS certificate is not verified (misp.verify_tls: false)")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*mc.Timeout+5*time.Second)
	defer cancel()
	info, checkErr := client.Check(ctx)
	if checkErr != nil {
		res.Error = checkErr.Error()
	} else {
		res.OK, res.Version, res.User, res.Organisation, res.Role = true, info.Version, info.User, info.Organisation, info.Role
		if mc.Sightings && !info.PermSighting {
			res.Warnings = append(res.Warnings, "misp.sightings is on but the key's role may not add sightings")
		}
		if !info.PermAdd {
			res.Warnings = append(res.Warnings, "the key's role may not create events: drone misp export will be refused")
		}
	}
	if asJSON {
		if err := c.printJSON(res); err != nil {
			return err
		}
		return checkErr
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(c.Err, "warning: "+w)
	}
	if res.OK {
		fmt.Fprintf(c.Out, "MISP %s at %s\nuser: %s, organisation %s, role %s\n", res.Version, res.URL, res.User, res.Organisation, res.Role)
	}
	return checkErr
}

func (c *cli) mispExport(cmd *cobra.Command, ref string, asJSON bool) error {
	number, err := drone.ParseRef(ref)
	if err != nil {
		return usageError{err}
	}
	mc, client, err := c.mispClient()
	if err != nil {
		return err
	}
	return c.withApp(cmd, func(ctx context.Context, a *app) error {
		x := &misp.Exporter{Client: client, Service: a.svc, Config: mc}
		res, err := x.Export(ctx, number)
		if err != nil {
			return err
		}
		if asJSON {
			return c.printJSON(res)
		}
		if res.Created {
			fmt.Fprintf(c.Out, "INC-%d exported as MISP event %s with %d indicator(s): %s\n", number, res.EventID, res.Attributes, res.URL)
		} else {
			fmt.Fprintf(c.Out, "INC-%d is already MISP event %s: %s\n", number, res.EventID, res.URL)
		}
		return nil
	})
}
