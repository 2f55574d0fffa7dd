package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/bot/slack"
)

// slackCommand groups the Slack helpers: for now, the app manifest.
func (c *cli) slackCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slack",
		Short: "Slack helpers: the app manifest",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.slackManifestCommand())
	return cmd
}

func (c *cli) slackManifestCommand() *cobra.Command {
	var publicURL, mode string
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Print the Slack app manifest for this configuration",
		Long: `Print the Slack app manifest (YAML) for the configured app name, slash command,
mode and URLs: paste it at https://api.slack.com/apps ("From an app manifest").
In socket mode (the default) it turns Socket Mode on; in http mode it points the
slash command, interactivity and events at slack.public_url. It asks for the bot
scopes drone uses and no more; with slack.offer_indicators it subscribes to the
message events of the channels drone is in.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			sc := cfg.Slack
			if publicURL != "" {
				sc.PublicURL = publicURL
			}
			switch mode {
			case "":
			case "socket", "http":
				sc.Mode = mode
			default:
				return usageError{fmt.Errorf("--mode %q must be socket or http", mode)}
			}
			m, err := slack.Manifest(sc)
			if err != nil {
				return usageError{err}
			}
			_, err = fmt.Fprint(c.Out, m)
			return err
		},
	}
	cmd.Flags().StringVar(&publicURL, "url", "", "drone's public base URL, for http mode (default slack.public_url)")
	cmd.Flags().StringVar(&mode, "mode", "", "socket or http (default slack.mode)")
	return cmd
}
