package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

func (c *cli) iocCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "ioc", Short: "Add, extract and look up indicators of compromise", Args: cobra.NoArgs}
	var asJSON, defang, markIOC bool
	add := &cobra.Command{
		Use:   "add INC-n [TEXT...]",
		Short: "Add the indicators found in TEXT (or standard input) to an incident",
		Long: `Add the indicators found in TEXT, or in standard input when no TEXT is given,
to an incident. Defanged forms (hxxp, [.], [@]...) are refanged. drone says what
it added, what the incident already had, and what it rejected and why.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseRef(args[0])
			if err != nil {
				return err
			}
			text, err := c.readText(args[1:])
			if err != nil {
				return err
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				res, err := a.svc.AddObservables(ctx, c.operator(), cliOrigin, n, drone.ObservableInput{Text: text, IOC: markIOC})
				if err != nil {
					return err
				}
				if asJSON {
					return c.printJSON(res)
				}
				fmt.Fprintf(c.Out, "INC-%d: %s\n", n, drone.RenderAddResult(res))
				return nil
			})
		},
	}
	add.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	add.Flags().BoolVar(&markIOC, "ioc", false, "mark them as confirmed indicators of compromise")
	extract := &cobra.Command{
		Use:   "extract [FILE...]",
		Short: "Print the indicators found in files (or standard input), one per line; rejected candidates go to standard error",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			text, err := c.readFiles(args)
			if err != nil {
				return err
			}
			// A short-lived process over one text: collecting garbage less
			// often is cheaper than collecting it, and long texts take
			// every core.
			defer debug.SetGCPercent(debug.SetGCPercent(400))
			res := ioc.New(cfg.ExtractorOptions()).ExtractConcurrent(text, runtime.GOMAXPROCS(0))
			return c.buffered(func() error { return c.printExtraction(res, asJSON, defang) })
		},
	}
	extract.Flags().BoolVar(&asJSON, "json", false, `print one JSON object per line: {"type","value","raw","offset","internal"}`)
	extract.Flags().BoolVar(&defang, "defang", false, "print values defanged, safe to paste in a message")
	var typ string
	seen := &cobra.Command{
		Use:   "seen VALUE",
		Short: "Was this indicator seen before? List the incidents that hold it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				value := args[0]
				if found := a.svc.Extractor.Extract(value).Indicators; len(found) == 1 {
					value = found[0].Value
				}
				ss, err := a.db.Sightings(ctx, typ, value, 50)
				if err != nil {
					return err
				}
				if asJSON {
					return c.printJSON(nonNil(ss))
				}
				if len(ss) == 0 {
					fmt.Fprintf(c.Out, "%s: never seen\n", value)
				}
				for _, s := range ss {
					fmt.Fprintf(c.Out, "INC-%d  %-10s %s  first seen %s\n", s.Number, s.Type, s.Value, s.FirstSeen.Format("2006-01-02 15:04"))
				}
				return nil
			})
		},
	}
	seen.Flags().StringVar(&typ, "type", "", "only this type (ipv4, domain, url, sha256...)")
	seen.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(add, extract, seen)
	return cmd
}

func (c *cli) readFiles(paths []string) (string, error) {
	if len(paths) == 0 {
		return c.readText(nil)
	}
	if len(paths) == 1 {
		b, err := os.ReadFile(paths[0])
		if err != nil {
			return "", usageError{err}
		}
		return string(append(b, '\n')), nil
	}
	var b strings.Builder
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return "", usageError{err}
		}
		_, err = io.Copy(&b, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", p, err)
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// printExtraction prints what Extract found to c.Out and what it rejected
// to c.Err; run it buffered (c.buffered), as it prints a line per value.
func (c *cli) printExtraction(res ioc.Result, asJSON, defang bool) error {
	out, errOut := json.NewEncoder(c.Out), json.NewEncoder(c.Err)
	var line []byte
	for _, in := range res.Indicators {
		if defang {
			in.Value = ioc.Defang(in.Type, in.Value)
		}
		if asJSON {
			if err := out.Encode(in); err != nil {
				return fmt.Errorf("writing JSON: %w", err)
			}
			continue
		}
		line = append(append(append(line[:0], in.Type...), '\t'), in.Value...)
		if in.Internal {
			line = append(line, "\tinternal"...)
		}
		if _, err := c.Out.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	for _, r := range res.Rejected {
		if asJSON {
			if err := errOut.Encode(r); err != nil {
				return fmt.Errorf("writing JSON: %w", err)
			}
			continue
		}
		line = append(strconv.AppendQuote(append(line[:0], "rejected "...), r.Raw), " at "...)
		line = append(append(append(strconv.AppendInt(line, int64(r.Offset), 10), ": "...), r.Reason...), '\n')
		if _, err := c.Err.Write(line); err != nil {
			return err
		}
	}
	return nil
}
