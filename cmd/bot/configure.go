package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/ttp0/drone/config"
)

// answers are what drone configure asks, as the original's configure did.
type answers struct {
	Organisation, SOCName, SOCEmail string
	HiveURL, HiveKey                string
	Zones, BusinessUnits            []string
}

func (c *cli) configureCommand() *cobra.Command {
	var a answers
	var out, zones, bus string
	var force bool
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Write a configuration file: asks the organisation, SOC, TheHive, zones and business units",
		Long: `Write a configuration file. Without flags it asks, like the original DRONE's
configure: organisation, SOC name, SOC e-mail, TheHive URL and API key, zones and
business units. Any answer given as a flag is not asked, so scripts can pass them
all. The TheHive API key is not written in the file: it goes to a file beside it,
readable by its owner only, that the configuration names.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if zones != "" {
				a.Zones = splitList(zones)
			}
			if bus != "" {
				a.BusinessUnits = splitList(bus)
			}
			if err := c.ask(cmd, &a); err != nil {
				return err
			}
			return c.writeConfig(a, out, force)
		},
	}
	f := cmd.Flags()
	f.StringVar(&a.Organisation, "organisation", "", "organisation name")
	f.StringVar(&a.SOCName, "soc-name", "", "SOC name")
	f.StringVar(&a.SOCEmail, "soc-email", "", "SOC e-mail address")
	f.StringVar(&a.HiveURL, "hive-url", "", `TheHive URL ("none" to run without TheHive)`)
	f.StringVar(&a.HiveKey, "hive-key", "", "TheHive API key (prefer answering the prompt: flags show in ps)")
	f.StringVar(&zones, "zones", "", "zones, comma-separated")
	f.StringVar(&bus, "business-units", "", "business units, comma-separated")
	f.StringVarP(&out, "output", "o", "configs/local.yaml", "file to write")
	f.BoolVar(&force, "force", false, "overwrite the file if it exists")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if p = strings.ToUpper(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ask prompts for every answer not given as a flag. It reads lines from
// standard input, so it can be scripted.
func (c *cli) ask(cmd *cobra.Command, a *answers) error {
	in := bufio.NewReader(c.In)
	prompt := func(flag, question, def string, dst *string) error {
		if cmd.Flags().Changed(flag) {
			return nil
		}
		fmt.Fprintf(c.Err, "%s [%s]: ", question, def)
		line, err := in.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			if errors.Is(err, io.EOF) {
				*dst = def
				fmt.Fprintln(c.Err)
				return nil
			}
			return fmt.Errorf("reading answer: %w", err)
		}
		*dst = orDefault(strings.TrimSpace(line), def)
		return nil
	}
	var zones, bus string
	steps := []struct {
		flag, q, def string
		dst          *string
	}{
		{"organisation", "Organisation name", "Example Org", &a.Organisation},
		{"soc-name", "SOC name", "SOC", &a.SOCName},
		{"soc-email", "SOC e-mail", "soc@example.org", &a.SOCEmail},
		{"hive-url", "TheHive URL (none to skip)", "none", &a.HiveURL},
	}
	for _, s := range steps {
		if err := prompt(s.flag, s.q, s.def, s.dst); err != nil {
			return err
		}
	}
	if strings.EqualFold(a.HiveURL, "none") {
		a.HiveURL = ""
	}
	if a.HiveURL != "" {
		if err := prompt("hive-key", "TheHive API key", "", &a.HiveKey); err != nil {
			return err
		}
	}
	if !cmd.Flags().Changed("zones") {
		if err := prompt("zones", "Zones, comma-separated", "ZONE-A,ZONE-B", &zones); err != nil {
			return err
		}
		a.Zones = splitList(zones)
	}
	if !cmd.Flags().Changed("business-units") {
		if err := prompt("business-units", "Business units, comma-separated", "SALES,FINANCE", &bus); err != nil {
			return err
		}
		a.BusinessUnits = splitList(bus)
	}
	return nil
}

var configTemplate = template.Must(template.New("config").Funcs(template.FuncMap{"yaml": yamlValue}).Parse(
	`# drone configuration written by drone configure.
# Every other setting takes its default; see configs/drone.yaml for them all.
organisation: {{yaml .Organisation}}
soc:
  name: {{yaml .SOCName}}
  email: {{yaml .SOCEmail}}
zones: {{yaml .Zones}}
business_units: {{yaml .BusinessUnits}}
database: data/drone.db
{{- if .HiveURL}}
hive:
  url: {{yaml .HiveURL}}
  api_key: {{yaml .KeyRef}}
{{- end}}
`))

func yamlValue(v any) (string, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "- ") || s == "[]" { // lists in flow style, on one line
		var items []string
		if list, ok := v.([]string); ok {
			for _, it := range list {
				item, err := yamlValue(it)
				if err != nil {
					return "", err
				}
				items = append(items, item)
			}
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	}
	return s, nil
}

func (c *cli) writeConfig(a answers, out string, force bool) error {
	if _, err := os.Stat(out); err == nil && !force {
		return usageError{fmt.Errorf("%s exists; use --force to overwrite it or -o to name another file", out)}
	}
	keyFile := filepath.Join(filepath.Dir(out), "hive_api_key")
	var buf bytes.Buffer
	data := struct {
		answers
		KeyRef string
	}{a, "${file:" + keyFile + "}"}
	if err := configTemplate.Execute(&buf, data); err != nil {
		return fmt.Errorf("writing configuration: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(out), err)
	}
	if a.HiveURL != "" {
		if err := os.WriteFile(keyFile, []byte(a.HiveKey+"\n"), 0o600); err != nil {
			return fmt.Errorf("writing the API key file: %w", err)
		}
	}
	if _, err := config.Parse(out, buf.Bytes(), c.env); err != nil {
		return fmt.Errorf("the answers do not make a valid configuration: %w", err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing configuration: %w", err)
	}
	fmt.Fprintf(c.Out, "wrote %s; check it with: drone config check --config %s\n", out, out)
	return nil
}
