package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
)

func (c *cli) backupCommand() *cobra.Command {
	return &cobra.Command{
		Use: "backup FILE", Short: "Write a consistent copy of the live database to FILE", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				if err := a.db.Backup(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(c.Out, "backed up %s to %s\n", a.db.Path(), args[0])
				return nil
			})
		},
	}
}

func (c *cli) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print drone's version", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
				v = info.Main.Version
			}
			fmt.Fprintln(c.Out, "drone", v)
			return nil
		},
	}
}

func (c *cli) configCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the configuration", Args: cobra.NoArgs}
	var asJSON bool
	check := &cobra.Command{
		Use: "check", Short: "Report every problem of the configuration, with its file and line (exit 2 when any)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			var probs drone.Problems
			if err != nil && !errors.As(err, &probs) {
				return err
			}
			if asJSON {
				if jerr := c.printJSON(map[string]any{"ok": len(probs) == 0, "problems": nonNil(probs)}); jerr != nil {
					return jerr
				}
			} else if len(probs) == 0 {
				fmt.Fprintf(c.Out, "configuration ok: %d categories, %d zones, %d business units, %d roles\n",
					len(cfg.Framework.Categories), len(cfg.Framework.Zones), len(cfg.Framework.BusinessUnits), len(cfg.Roles))
			}
			if len(probs) > 0 {
				if asJSON {
					return usageError{fmt.Errorf("%d problem(s)", len(probs))}
				}
				return probs
			}
			return nil
		},
	}
	check.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(check)
	return cmd
}

// checkCommand is the "check" subcommand of an integration ("drone hive
// check"): it reaches the system with the configured settings and says
// what is wrong, as text or, with --json, as JSON.
func (c *cli) checkCommand(short, long string, run func(ctx context.Context, asJSON bool) error) *cobra.Command {
	var asJSON bool
	check := &cobra.Command{Use: "check", Short: short, Long: long, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), asJSON) }}
	check.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return check
}
