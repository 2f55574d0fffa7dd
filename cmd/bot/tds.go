package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/tds"
)

func (c *cli) tdsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "tds", Short: "Threat Driven Security: could we see a threat, and how early?", Args: cobra.NoArgs}
	var inventory, library, threat, format string
	assess := &cobra.Command{
		Use:   "assess",
		Short: "Score the visibility of the library's threats against an inventory of log sources",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if inventory == "" {
				cfg, err := c.loadConfig()
				if err != nil {
					return err
				}
				inventory, library = cfg.TDS.Inventory, orDefault(library, cfg.TDS.Library)
			}
			if inventory == "" {
				return usageError{errors.New("name the inventory: --inventory FILE (or tds.inventory in the configuration)")}
			}
			lib, err := tds.LoadConfigured(library)
			if err != nil {
				return err
			}
			inv, probs, err := tds.LoadInventory(inventory)
			if err != nil {
				return usageError{err}
			}
			if len(probs) > 0 {
				return usageError{fmt.Errorf("the inventory has problems:\n%v", drone.Problems(probs))}
			}
			a := tds.Assess(lib, inv)
			if threat != "" {
				if a, err = a.Only(threat); err != nil {
					return usageError{err}
				}
			}
			if err := a.Render(c.Out, format); err != nil {
				return usageError{err}
			}
			return nil
		},
	}
	f := assess.Flags()
	f.StringVar(&inventory, "inventory", "", "log-source inventory (default: tds.inventory of the configuration)")
	f.StringVar(&library, "library", "", "directory of threat definitions (default: the shipped library)")
	f.StringVar(&threat, "threat", "", "only this threat")
	f.StringVar(&format, "format", "table", "table, json, markdown or navigator (an ATT&CK Navigator layer)")
	validate := &cobra.Command{
		Use:   "validate [FILE|DIR...]",
		Short: "Check threat definitions; every problem with its file and line (exit 2 when any)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				if _, err := tds.LoadConfigured(""); err != nil {
					return usageError{err}
				}
				fmt.Fprintln(c.Out, "the shipped library is valid")
				return nil
			}
			probs := tds.Validate(args...)
			if len(probs) > 0 {
				return usageError{fmt.Errorf("%d problem(s):\n%v", len(probs), drone.Problems(probs))}
			}
			fmt.Fprintf(c.Out, "%d path(s) valid\n", len(args))
			return nil
		},
	}
	var dir string
	newCmd := &cobra.Command{
		Use:   "new",
		Short: "Build a threat definition interactively (surfaces, events, observations) and write it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := tds.Build(c.In, c.Err)
			if err != nil {
				return usageError{err}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("creating %s: %w", dir, err)
			}
			path, err := tds.WriteFile(dir, t)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out, "wrote", path)
			return nil
		},
	}
	newCmd.Flags().StringVar(&dir, "dir", ".", "directory to write the definition in")
	cmd.AddCommand(assess, validate, newCmd)
	return cmd
}
