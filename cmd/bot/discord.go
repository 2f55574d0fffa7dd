package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/bot/discord"
)

func (c *cli) discordCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "discord", Short: "Set up drone's Discord application", Args: cobra.NoArgs}
	var guild string
	var global bool
	register := &cobra.Command{
		Use:   "register",
		Short: "Register drone's commands with Discord: /drone and the message menu",
		Long: `Register drone's application commands with Discord, replacing the
application's commands (a bulk overwrite): /drone with its subcommands, the
declare options drawn from the configured framework (run it again after
changing categories, zones or business units), and the message menu
"Add indicators to incident".

Commands go to discord.guild_id (or --guild), where they show at once, or
globally with --global or when no guild is configured (Discord may take up
to an hour to show global commands).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				return c.discordRegister(ctx, a, guild, global)
			})
		},
	}
	register.Flags().StringVar(&guild, "guild", "", "register in this guild (default discord.guild_id)")
	register.Flags().BoolVar(&global, "global", false, "register globally, even when discord.guild_id is set")
	cmd.AddCommand(register)
	return cmd
}

// discordRegister registers the commands of the service's grammar: the
// extensions of the integrations turned on (tds, summary...) among them.
func (c *cli) discordRegister(ctx context.Context, a *app, guild string, global bool) error {
	cfg := a.cfg
	if !cfg.Discord.Enabled() {
		return usageError{errors.New("no Discord application is configured: set discord.bot_token and discord.app_id (or DISCORD_BOT_TOKEN and DISCORD_APP_ID)")}
	}
	if global && guild != "" {
		return usageError{errors.New("--global and --guild exclude each other")}
	}
	if guild == "" && !global {
		guild = cfg.Discord.GuildID
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmds, err := discord.RegisterCommands(ctx, cfg.Discord, a.svc, guild)
	if err != nil {
		return err
	}
	where := "globally (Discord may take up to an hour to show them)"
	if guild != "" {
		where = "in guild " + guild
	}
	fmt.Fprintf(c.Out, "registered %d commands %s:\n", len(cmds), where)
	for _, cmd := range cmds {
		if cmd.Name == discord.CommandName {
			fmt.Fprintf(c.Out, "  /%s (%d subcommands)\n", cmd.Name, len(cmd.Options))
		} else {
			fmt.Fprintf(c.Out, "  %q on messages\n", cmd.Name)
		}
	}
	return nil
}
