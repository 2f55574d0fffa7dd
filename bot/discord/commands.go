package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/drone"
)

// Names of drone's application commands.
const (
	CommandName     = "drone"
	MessageMenuName = "Add indicators to incident"
)

// Commands returns drone's application commands: /drone with a subcommand
// per command of the service's grammar (the extensions' from their
// options), the declare options drawn from the service's framework, and
// the message menu "Add indicators to incident".
func Commands(svc *drone.Service) []*discordgo.ApplicationCommand {
	d := svc.DeclareDialog()
	g := svc.Grammar()
	sub := func(name string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return subcommandOption(g, name, opts...)
	}
	guildOnly := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	subs := []*discordgo.ApplicationCommandOption{
		sub("declare", declareOptions(&d)...),
		sub("ioc", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "text",
			Description: "The text that holds the indicators, defanged or not", Required: true, MaxLength: maxCommandOption},
			incidentOption()),
		sub("ack", incidentOption()),
		sub("lead", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "user",
			Description: "Who leads the incident", Required: true}, incidentOption()),
		sub("role", choiceOption("role", "The role to hand on", true,
			append(append([]string{drone.RoleLead}, drone.IncidentRoles...), drone.RoleMember)),
			&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "user",
				Description: "Who takes it (leave out to release the role)"}, incidentOption()),
		sub("access", incidentOption(), textOption("reason", "Why you need to see it", 500)),
		sub("status", choiceOption(drone.FieldStatus, "The new status (leave out to keep it)", false,
			[]string{string(drone.StatusAcknowledged), string(drone.StatusContained), string(drone.StatusResolved)}),
			textOption(drone.FieldSummary, "What changed (leave out to open the form)", 3000),
			textOption("next", "When the next update is due, such as 30m or 4h", 10), incidentOption()),
		sub("close", choiceOption(drone.FieldResolution, "How it ended", false, drone.Resolutions),
			choiceOption(drone.FieldImpact, "Whether it had an impact", false, drone.Impacts),
			textOption(drone.FieldSummary, "How it ended and what was done (leave out to open the form)", 3000),
			incidentOption()),
		sub("reopen", textOption("reason", "Why it is reopened", 1000), incidentOption()),
		sub("list", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "all",
			Description: "Closed and resolved incidents too"}),
		sub("show", incidentOption()),
		sub("action", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "text",
			Description: `"What to do" due 2026-12-20, or: done|reopen|cancel ACT-n [note]`, Required: true, MaxLength: 1000},
			&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "owner",
				Description: "Who owns the new action"}, incidentOption()),
		sub("actions", choiceOption("which", "Which actions (default: the incident's, or the open ones)", false,
			[]string{"open", "mine", "overdue"}), incidentOption()),
		sub("snooze", &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "duration",
			Description: "How long the update waits, such as 45m or 2h", Required: true, MaxLength: 10},
			&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "reason",
				Description: "Why the update waits", Required: true, MaxLength: 1000}, incidentOption()),
	}
	for _, ext := range svc.Extensions {
		subs = append(subs, sub(ext.Name, extensionOptions(ext)...))
	}
	subs = append(subs, sub("help", choiceOption("command", "A command to explain", false, commandNames(g))))
	return []*discordgo.ApplicationCommand{
		{Type: discordgo.ChatApplicationCommand, Name: CommandName, Contexts: guildOnly,
			Description: "Security incidents with the DRONE workflow", Options: subs},
		{Type: discordgo.MessageApplicationCommand, Name: MessageMenuName, Contexts: guildOnly},
		{Type: discordgo.MessageApplicationCommand, Name: TimelineMenuName, Contexts: guildOnly},
	}
}

// RegisterCommands overwrites the application's commands with drone's, in
// one guild (instantly) or globally when guildID is empty. Unset settings of
// cfg take their defaults.
func RegisterCommands(ctx context.Context, cfg Config, svc *drone.Service, guildID string) ([]*discordgo.ApplicationCommand, error) {
	s, _, err := newSession(cfg.WithDefaults())
	if err != nil {
		return nil, err
	}
	where := "globally"
	if guildID != "" {
		where = "in guild " + guildID
	}
	cmds, err := s.ApplicationCommandBulkOverwrite(cfg.AppID, guildID, Commands(svc), discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("registering commands %s: %w", where, err)
	}
	return cmds, nil
}

// subcommandOption is a subcommand of /drone, described as drone's help
// describes it.
func subcommandOption(g *drone.Grammar, name string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
	desc := name
	if c, ok := g.Lookup(name); ok {
		desc = c.Summary
	}
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name,
		Description: clip(desc, maxOptionDesc), Options: opts}
}

func incidentOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: optIncident,
		Description: "The incident, INC-n (default: this channel's)", Autocomplete: true, MaxLength: 24}
}

const optIncident = "incident"

func textOption(name, desc string, max int) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name,
		Description: clip(desc, maxOptionDesc), MaxLength: max}
}

func choiceOption(name, desc string, required bool, values []string) *discordgo.ApplicationCommandOption {
	o := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name,
		Description: clip(desc, maxOptionDesc), Required: required}
	for _, v := range values {
		o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: clip(v, maxChoiceName), Value: v})
	}
	return o
}

// declareOptions are /drone declare's options, one per select field of the
// declare dialog, required ones first as Discord wants. A field with more
// than 25 options, or whose options follow another field (the sub-context
// follows the category), is completed as the person types instead.
func declareOptions(d *drone.Dialog) []*discordgo.ApplicationCommandOption {
	var req, opt []*discordgo.ApplicationCommandOption
	for _, f := range d.Fields {
		if f.Kind != drone.FieldSelect || (f.DependsOn == "" && len(f.Options) == 0) {
			continue
		}
		o := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: f.ID,
			Description: clip(f.Label, maxOptionDesc), Required: f.Required && f.Initial == ""}
		if f.DependsOn != "" || len(f.Options) > maxChoices || tooLong(f.Options) {
			o.Autocomplete = true
		} else {
			for _, c := range f.Options {
				o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: clip(c.Label, maxChoiceName), Value: c.Value})
			}
		}
		if o.Required {
			req = append(req, o)
		} else {
			opt = append(opt, o)
		}
	}
	return append(req, opt...)
}

// tooLong reports whether an option value exceeds what a choice may hold.
func tooLong(opts []drone.Option) bool {
	for _, o := range opts {
		if textLen(o.Value) > maxChoiceName {
			return true
		}
	}
	return false
}

// extensionOptions are the subcommand options of an extension command,
// required ones first as Discord wants.
func extensionOptions(ext drone.Extension) []*discordgo.ApplicationCommandOption {
	var req, opt []*discordgo.ApplicationCommandOption
	for _, o := range ext.Options {
		var do *discordgo.ApplicationCommandOption
		if o.Incident {
			do = incidentOption()
		} else {
			do = textOption(o.Name, o.Description, o.MaxLength)
			do.Required = o.Required
		}
		if do.Required {
			req = append(req, do)
		} else {
			opt = append(opt, do)
		}
	}
	return append(req, opt...)
}

func commandNames(g *drone.Grammar) []string {
	var names []string
	for _, c := range g.Commands() {
		names = append(names, c.Name)
	}
	if len(names) > maxChoices {
		names = names[:maxChoices]
	}
	return names
}
