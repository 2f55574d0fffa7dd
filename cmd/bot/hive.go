package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/hive"
)

func (c *cli) hiveCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "hive", Short: "Check drone's connection to TheHive", Args: cobra.NoArgs}
	cmd.AddCommand(c.checkCommand("Reach TheHive with the configured URL, key and organisation; print the user and TheHive's version",
		`Reach TheHive with the configured URL, API key and organisation, then print
the user the key belongs to and TheHive's version. When TheHive cannot be
reached, or refuses the key or the organisation, it says which setting to look
at. Exit status: 0 when TheHive answered, 1 when it did not or refused,
2 when the configuration itself is wrong or TheHive is not configured.`,
		c.hiveCheck))
	return cmd
}

// hiveCheckResult is what drone hive check --json prints.
type hiveCheckResult struct {
	OK           bool     `json:"ok"`
	URL          string   `json:"url"`
	API          string   `json:"api"`
	Organisation string   `json:"organisation,omitempty"`
	Version      string   `json:"version,omitempty"`
	User         string   `json:"user,omitempty"`
	UserName     string   `json:"user_name,omitempty"`
	Profile      string   `json:"profile,omitempty"`
	Error        string   `json:"error,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
}

func (c *cli) hiveCheck(ctx context.Context, asJSON bool) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	hc := cfg.Hive
	if !hc.Enabled() {
		return usageError{errors.New("TheHive is not configured: set hive.url and hive.api_key (or DRONE_HIVE_URL and DRONE_HIVE_API_KEY)")}
	}
	client, err := hive.New(hc)
	if err != nil {
		return usageError{err}
	}
	res := hiveCheckResult{URL: hc.URL, API: hc.API, Organisation: hc.Organisation}
	if !*hc.VerifyTLS {
		res.Warnings = append(res.Warnings, "TheHive's TLS certificate is not verified (hive.verify_tls: false)")
	}
	if err := hive.CheckFramework(hc, cfg.Framework); err != nil {
		res.Warnings = append(res.Warnings, strings.Split(err.Error(), "\n")...)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*hc.Timeout+5*time.Second)
	defer cancel()
	info, checkErr := client.Check(ctx)
	if checkErr != nil {
		res.Error = checkErr.Error()
	} else {
		res.OK, res.Version = true, info.Version
		res.User, res.UserName, res.Profile = info.User.Login, info.User.Name, info.User.Profile
		if info.User.Organisation != "" {
			res.Organisation = info.User.Organisation
		}
	}
	if err := c.printHiveCheck(res, asJSON); err != nil {
		return err
	}
	return checkErr
}

func (c *cli) printHiveCheck(res hiveCheckResult, asJSON bool) error {
	if asJSON {
		return c.printJSON(res)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(c.Err, "warning: "+w)
	}
	if !res.OK {
		return nil // the error is printed by Run
	}
	version := res.Version
	if version == "" {
		version = "(version not reported)"
	}
	fmt.Fprintf(c.Out, "TheHive %s at %s (API %s)\n", version, res.URL, res.API)
	fmt.Fprintf(c.Out, "user: %s", res.User)
	if res.UserName != "" {
		fmt.Fprintf(c.Out, " (%s)", res.UserName)
	}
	if res.Profile != "" {
		fmt.Fprintf(c.Out, ", profile %s", res.Profile)
	}
	if res.Organisation != "" {
		fmt.Fprintf(c.Out, ", organisation %s", res.Organisation)
	}
	fmt.Fprintln(c.Out)
	return nil
}
