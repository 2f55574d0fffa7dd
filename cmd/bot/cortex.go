package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/cortex"
)

func (c *cli) cortexCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "cortex", Short: "Check drone's connection to Cortex", Args: cobra.NoArgs}
	cmd.AddCommand(c.checkCommand("Reach Cortex with the configured URL and key; list its analyzers and those configured it lacks",
		`Reach Cortex with the configured URL and API key, list the analyzers enabled
for the key's organisation, and say which configured analyzers (cortex.analyzers)
Cortex does not have, or do not take a configured data type. When Cortex cannot
be reached, or refuses the key, it says which setting to look at. Exit status:
0 when Cortex answered and has every configured analyzer, 1 when it did not
answer, refused, or lacks one, 2 when the configuration itself is wrong or
Cortex is not configured.`,
		c.cortexCheck))
	return cmd
}

// cortexCheckResult is what drone cortex check --json prints.
type cortexCheckResult struct {
	OK        bool                  `json:"ok"`
	URL       string                `json:"url"`
	Analyzers []cortex.AnalyzerInfo `json:"analyzers,omitempty"`
	// Configured are the configured analyzers with whom they contact.
	Configured []cortex.Analyzer `json:"configured,omitempty"`
	Missing    []string          `json:"missing,omitempty"`
	Error      string            `json:"error,omitempty"`
	Warnings   []string          `json:"warnings,omitempty"`
}

func (c *cli) cortexCheck(ctx context.Context, asJSON bool) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	cc := cfg.Cortex
	if !cc.Enabled() {
		return usageError{errors.New("no Cortex configured: set cortex.url and cortex.api_key (or DRONE_CORTEX_URL and DRONE_CORTEX_API_KEY)")}
	}
	client, err := cortex.New(cc)
	if err != nil {
		return usageError{err}
	}
	res := cortexCheckResult{URL: cc.URL, Configured: cc.Analyzers}
	if !*cc.VerifyTLS {
		res.Warnings = append(res.Warnings, "Cortex's TLS certificate is not verified (cortex.verify_tls: false)")
	}
	if len(cc.Analyzers) == 0 {
		res.Warnings = append(res.Warnings, "no analyzer is configured (cortex.analyzers): drone analyses nothing")
	}
	ctx, cancel := context.WithTimeout(ctx, cc.Timeout+5*time.Second)
	defer cancel()
	info, checkErr := client.Check(ctx, cc.Analyzers)
	if checkErr == nil {
		res.Analyzers, res.Missing = info.Analyzers, info.Missing
		res.Warnings = append(res.Warnings, info.Problems...)
		res.OK = len(info.Missing) == 0
		if !res.OK {
			checkErr = fmt.Errorf("configured analyzer(s) %s not enabled in Cortex: enable them for the key's organisation in Cortex, or fix cortex.analyzers",
				strings.Join(info.Missing, ", "))
		}
	}
	if checkErr != nil {
		res.Error = checkErr.Error()
	}
	if err := c.printCortexCheck(res, asJSON); err != nil {
		return err
	}
	return checkErr
}

func (c *cli) printCortexCheck(res cortexCheckResult, asJSON bool) error {
	if asJSON {
		return c.printJSON(res)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(c.Err, "warning: "+w)
	}
	if res.Analyzers == nil && res.Error != "" {
		return nil // unreachable or refused: the error is printed by Run
	}
	fmt.Fprintf(c.Out, "Cortex at %s: %d analyzer(s) enabled\n", res.URL, len(res.Analyzers))
	configured := map[string]cortex.Analyzer{}
	for _, a := range res.Configured {
		configured[a.Name] = a
	}
	for _, a := range res.Analyzers {
		mark := "  "
		use, ok := configured[a.Name]
		if !ok {
			use, ok = configured[a.ID]
		}
		if ok {
			mark = fmt.Sprintf("* %s, max TLP %s:", use.Reach, use.MaxTLP)
		}
		fmt.Fprintf(c.Out, "  %-22s %s (%s)\n", mark, a.Name, strings.Join(a.DataTypes, ", "))
	}
	for _, m := range res.Missing {
		fmt.Fprintf(c.Out, "  missing: %s is configured but not enabled in Cortex\n", m)
	}
	return nil
}
