package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
)

// withApp runs fn with drone opened, closing it after.
func (c *cli) withApp(cmd *cobra.Command, fn func(ctx context.Context, a *app) error) error {
	a, err := c.open(cmd.Context())
	if err != nil {
		return err
	}
	defer a.close()
	return fn(cmd.Context(), a)
}

func (c *cli) declareCommand() *cobra.Command {
	var in drone.DeclareInput
	var iocs string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "declare",
		Short: "Declare an incident",
		Example: `  drone declare --category CAT1 --subcontext Phishing --severity high --tier T2 \
      --zone ZONE-A --bu SALES --tlp amber --overview "Credential phishing wave" \
      --iocs "hxxps://login-examp1e[.]com/o365 203.0.113.7"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				in.Observables.Text = iocs
				inc, res, err := a.svc.Declare(ctx, c.operator(), cliOrigin, in)
				if err != nil {
					return err
				}
				if asJSON {
					return c.printDeclared(inc, res)
				}
				fmt.Fprintln(c.Out, inc.Ref())
				if len(res.Added)+len(res.Rejected) > 0 {
					fmt.Fprintln(c.Err, drone.RenderAddResult(res))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Category, "category", "", "category code or name (CAT0..CAT9); required")
	f.StringVar(&in.SubContext, "subcontext", "", "sub-context of the category, e.g. Phishing")
	f.StringVar(&in.Severity, "severity", "", "low, medium, high, critical (or 1-4); required")
	f.StringVar(&in.Tier, "tier", "", "affected tier: T1, T2, T3")
	f.StringVar(&in.Zone, "zone", "", "affected zone")
	f.StringVar(&in.BusinessUnit, "bu", "", "affected business unit")
	f.StringVar(&in.TLP, "tlp", "", "TLP: clear, green, amber, amber+strict, red (default from the configuration)")
	f.StringVar(&in.PAP, "pap", "", "PAP: clear, green, amber, red (default from the configuration)")
	f.StringVar(&in.Title, "title", "", "title (default: built in the DRONE format)")
	f.StringVar(&in.Overview, "overview", "", "what happened; required")
	f.StringVar(&iocs, "iocs", "", "text holding the first indicators")
	f.BoolVar(&in.Private, "private", false, "keep the incident to its people (always so at TLP:RED)")
	f.BoolVar(&asJSON, "json", false, "print the whole incident as JSON")
	return cmd
}

func (c *cli) incidentCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "incident", Short: "List, show, verify and export incidents", Args: cobra.NoArgs}
	var all, asJSON bool
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List incidents, newest first (open ones unless --all)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				incs, err := a.db.Incidents(ctx, drone.IncidentFilter{Open: !all, Limit: limit})
				if err != nil {
					return err
				}
				return c.buffered(func() error {
					if asJSON {
						return c.printJSON(nonNil(incs))
					}
					_, err := fmt.Fprintln(c.Out, drone.RenderList(incs))
					return err
				})
			})
		},
	}
	list.Flags().BoolVar(&all, "all", false, "include resolved and closed incidents")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	show := &cobra.Command{
		Use: "show INC-n", Short: "Show an incident with its indicators and timeline", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withRecord(cmd, args[0], func(rec *drone.Record) error {
				if asJSON {
					return c.printJSON(rec)
				}
				fmt.Fprintln(c.Out, drone.RenderRecord(rec))
				return nil
			})
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON: the incident, its observables and timeline")
	verify := &cobra.Command{
		Use: "verify INC-n", Short: "Check that nobody rewrote the incident's timeline", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withRecord(cmd, args[0], func(rec *drone.Record) error {
				err := drone.Verify(rec.Timeline)
				if asJSON {
					out := map[string]any{"incident": rec.Incident.Ref(), "entries": len(rec.Timeline), "intact": err == nil}
					if err != nil {
						out["error"] = err.Error()
					}
					if jerr := c.printJSON(out); jerr != nil {
						return jerr
					}
				}
				if err != nil {
					return fmt.Errorf("%s: timeline broken: %w", rec.Incident.Ref(), err)
				}
				if !asJSON {
					last := rec.Timeline[len(rec.Timeline)-1]
					fmt.Fprintf(c.Out, "%s: %d timeline entries, hash chain intact (last %s)\n", rec.Incident.Ref(), len(rec.Timeline), last.Hash)
				}
				return nil
			})
		},
	}
	verify.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var out string
	export := &cobra.Command{
		Use: "export INC-n", Short: "Write the incident, its indicators and hash-chained timeline as one evidence file",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withRecord(cmd, args[0], func(rec *drone.Record) error {
				return c.buffered(func() error { return c.export(rec, out) })
			})
		},
	}
	export.Flags().StringVarP(&out, "output", "o", "-", "file to write (- for standard output)")
	cmd.AddCommand(list, show, verify, export)
	return cmd
}

// printDeclared prints a declared incident as JSON: the incident's fields
// (with its "ref") and, beside them, the observables its declaration added.
func (c *cli) printDeclared(inc *drone.Incident, res drone.AddResult) error {
	b, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("encoding incident: %w", err)
	}
	obs, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encoding observables: %w", err)
	}
	b = append(append(append(b[:len(b)-1], `,"observables":`...), obs...), '}')
	return c.printJSON(json.RawMessage(b))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (c *cli) withRecord(cmd *cobra.Command, ref string, fn func(*drone.Record) error) error {
	n, err := parseRef(ref)
	if err != nil {
		return err
	}
	return c.withApp(cmd, func(ctx context.Context, a *app) error {
		rec, err := a.svc.Get(ctx, n)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

func (c *cli) export(rec *drone.Record, path string) error {
	ev, err := drone.NewEvidence(rec, c.operator().Identity(), time.Now())
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding evidence: %w", err)
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = c.Out.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("writing evidence: %w", err)
	}
	fmt.Fprintf(c.Err, "wrote %s (%d entries, head %s)\n", path, len(rec.Timeline), ev.HeadHash)
	return nil
}

// readText returns the arguments joined, or standard input when there are none.
func (c *cli) readText(args []string) (string, error) {
	if len(args) > 0 {
		return strings.Join(args, " "), nil
	}
	b, err := io.ReadAll(c.In)
	if err != nil {
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	return string(b), nil
}

// changeCommand builds the commands that change one incident and print it.
func (c *cli) changeCommand(use, short string, minArgs int, run func(ctx context.Context, a *app, n int64, args []string) (*drone.Incident, error)) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.MinimumNArgs(minArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseRef(args[0])
			if err != nil {
				return err
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				inc, err := run(ctx, a, n, args[1:])
				if err != nil {
					return err
				}
				if asJSON {
					return c.printJSON(inc)
				}
				fmt.Fprintf(c.Out, "%s %s", inc.Ref(), inc.Status)
				if inc.Lead != "" {
					fmt.Fprintf(c.Out, ", lead %s", inc.Lead)
				}
				if inc.NextUpdateDue != nil && inc.Open() {
					fmt.Fprintf(c.Out, ", next update due %s", inc.NextUpdateDue.UTC().Format("2006-01-02 15:04 MST"))
				}
				fmt.Fprintln(c.Out)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the incident as JSON")
	return cmd
}

func (c *cli) ackCommand() *cobra.Command {
	return c.changeCommand("ack INC-n", "Acknowledge an incident (you become its lead if it has none)", 1,
		func(ctx context.Context, a *app, n int64, _ []string) (*drone.Incident, error) {
			return a.svc.Acknowledge(ctx, c.operator(), cliOrigin, n)
		})
}

func (c *cli) leadCommand() *cobra.Command {
	cmd := c.changeCommand("lead INC-n IDENTITY", "Make someone the incident lead (e.g. slack:U024BE7LH)", 2,
		func(ctx context.Context, a *app, n int64, args []string) (*drone.Incident, error) {
			return a.svc.SetLead(ctx, c.operator(), cliOrigin, n, args[0])
		})
	return cmd
}

func (c *cli) roleCommand() *cobra.Command {
	return c.changeCommand("role INC-n ROLE [IDENTITY]",
		"Hand a role (lead, scribe, communications, legal) to someone (e.g. slack:U024BE7LH); without IDENTITY, release it", 2,
		func(ctx context.Context, a *app, n int64, args []string) (*drone.Incident, error) {
			who := ""
			if len(args) > 1 {
				who = args[1]
			}
			return a.svc.AssignRole(ctx, c.operator(), cliOrigin, n, args[0], who)
		})
}

func (c *cli) grantCommand() *cobra.Command {
	return c.changeCommand("grant INC-n IDENTITY", "Let someone into a private incident (e.g. slack:U024BE7LH)", 2,
		func(ctx context.Context, a *app, n int64, args []string) (*drone.Incident, error) {
			return a.svc.Grant(ctx, c.operator(), cliOrigin, n, args[0])
		})
}

func (c *cli) statusCommand() *cobra.Command {
	var status string
	var next time.Duration
	cmd := c.changeCommand("status INC-n [SUMMARY...]", "Post a status update, optionally moving the incident to contained or resolved", 1,
		func(ctx context.Context, a *app, n int64, args []string) (*drone.Incident, error) {
			in := drone.UpdateInput{Summary: strings.Join(args, " "), NextUpdateIn: next}
			if status != "" {
				st, err := drone.ParseStatus(status)
				if err != nil {
					return nil, err
				}
				in.Status = st
			}
			return a.svc.PostUpdate(ctx, c.operator(), cliOrigin, n, in)
		})
	cmd.Flags().StringVar(&status, "set", "", "new status: acknowledged, contained or resolved")
	cmd.Flags().DurationVar(&next, "next", 0, "when the next update is due (default: the severity's update target)")
	return cmd
}

func (c *cli) closeCommand() *cobra.Command {
	var in drone.CloseInput
	cmd := c.changeCommand("close INC-n [SUMMARY...]", "Close an incident with its resolution and impact", 1,
		func(ctx context.Context, a *app, n int64, args []string) (*drone.Incident, error) {
			if len(args) > 0 {
				in.Summary = strings.Join(args, " ")
			}
			return a.svc.Close(ctx, c.operator(), cliOrigin, n, in)
		})
	f := cmd.Flags()
	f.StringVar(&in.Resolution, "resolution", "", "TruePositive, FalsePositive, Indeterminate, Other or Duplicated; required")
	f.StringVar(&in.Impact, "impact", "NotApplicable", "WithImpact, NoImpact or NotApplicable")
	f.StringVar(&in.Summary, "summary", "", "how the incident ended (or give it as arguments)")
	return cmd
}

func (c *cli) reopenCommand() *cobra.Command {
	return c.changeCommand("reopen INC-n [REASON...]", "Reopen a resolved or closed incident", 1,
		func(ctx context.Context, a *app, n int64, args []string) (*drone.Incident, error) {
			return a.svc.Reopen(ctx, c.operator(), cliOrigin, n, strings.Join(args, " "))
		})
}
