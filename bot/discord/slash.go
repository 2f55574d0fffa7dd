package discord

import (
	"context"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/drone"
)

// slash answers /drone <subcommand>: through drone's grammar where the
// options say everything, with a modal where text is still to be typed.
func (a *Adapter) slash(i *discordgo.Interaction, actor drone.Actor, data discordgo.ApplicationCommandInteractionData) step {
	name, opts, _ := subcommand(data)
	var ref int64
	if v := opts[optIncident]; v != "" {
		n, err := drone.ParseRef(v)
		if err != nil {
			return answer(a.fail(err))
		}
		ref = n
	}
	switch name {
	case "declare":
		return step{run: func(ctx context.Context) *discordgo.InteractionResponse { return a.openDeclare(i, actor, opts) }}
	case "ioc":
		return a.exec(i, actor, drone.Command{Name: "ioc", Ref: ref, Text: opts["text"]}, false)
	case "ack", "show":
		return a.exec(i, actor, drone.Command{Name: name, Ref: ref}, name == "ack")
	case "lead":
		if !isSnowflake(opts["user"]) {
			return answer(a.fail(drone.Errorf(drone.EINVALID, "name the lead: a member of this server")))
		}
		return a.exec(i, actor, drone.Command{Name: "lead", Ref: ref, Args: []string{"discord:" + opts["user"]}}, true)
	case "role":
		who := "none"
		if u := opts["user"]; u != "" {
			if !isSnowflake(u) {
				return answer(a.fail(drone.Errorf(drone.EINVALID, "name a member of this server")))
			}
			who = "discord:" + u
		}
		return a.exec(i, actor, drone.Command{Name: "role", Ref: ref, Args: []string{opts["role"], who}}, true)
	case "access":
		return a.exec(i, actor, drone.Command{Name: "access", Ref: ref, Args: strings.Fields(opts["reason"])}, false)
	case "status":
		return a.slashStatus(i, actor, ref, opts)
	case "close":
		if opts[drone.FieldSummary] == "" {
			return step{run: func(ctx context.Context) *discordgo.InteractionResponse { return a.openClose(ctx, i, actor, ref, opts) }}
		}
		return a.exec(i, actor, drone.Command{Name: "close", Ref: ref, Flags: map[string]string{
			"resolution": opts[drone.FieldResolution], "impact": opts[drone.FieldImpact], "summary": opts[drone.FieldSummary]}}, true)
	case "reopen":
		return a.exec(i, actor, drone.Command{Name: "reopen", Ref: ref, Args: strings.Fields(opts["reason"])}, true)
	case "action", "actions", "snooze":
		return a.slashFollowUp(i, actor, name, ref, opts)
	case "list":
		cmd := drone.Command{Name: "list"}
		if opts["all"] == "true" {
			cmd.Args = []string{"all"}
		}
		return a.exec(i, actor, cmd, false)
	case "help":
		var args []string
		if c := opts["command"]; c != "" {
			args = []string{c}
		}
		return a.exec(i, actor, drone.Command{Name: "help", Args: args}, false)
	}
	return a.slashExtension(i, actor, name, ref, opts)
}

// slashExtension runs a command an integration registered: its options,
// in their order, are the command's text. A subcommand Discord still offers
// but this drone does not have (its integration is off, or the commands
// were registered by another configuration) is said to be unavailable.
func (a *Adapter) slashExtension(i *discordgo.Interaction, actor drone.Actor, name string, ref int64, opts map[string]string) step {
	var ext *drone.Extension
	for k := range a.svc.Extensions {
		if a.svc.Extensions[k].Name == name {
			ext = &a.svc.Extensions[k]
		}
	}
	if ext == nil {
		return answer(a.fail(drone.Errorf(drone.EINVALID,
			"%s is not available: it is not enabled in this drone (run drone discord register to refresh the commands)", name)))
	}
	var words []string
	for _, o := range ext.Options {
		if v := opts[o.Name]; v != "" && !o.Incident {
			words = append(words, v)
		}
	}
	text := strings.Join(words, " ")
	cmd, err := a.svc.ParseCommand(name + " " + text)
	if err != nil {
		return answer(a.fail(err))
	}
	cmd.Ref = ref
	return a.exec(i, actor, cmd, false)
}

// slashStatus posts a status update, or opens the form when no summary was
// given.
func (a *Adapter) slashStatus(i *discordgo.Interaction, actor drone.Actor, ref int64, opts map[string]string) step {
	summary := opts[drone.FieldSummary]
	if summary == "" {
		return step{run: func(ctx context.Context) *discordgo.InteractionResponse {
			return a.openStatus(ctx, i, actor, ref, opts)
		}}
	}
	cmd := drone.Command{Name: "status", Ref: ref, Args: []string{summary}, Flags: map[string]string{}}
	if st := opts[drone.FieldStatus]; st != "" {
		cmd.Flags["status"] = st
	}
	if n := opts["next"]; n != "" {
		cmd.Flags["next"] = n
	}
	return a.exec(i, actor, cmd, true)
}

// subcommand reads a /drone invocation: the subcommand's name, its options
// as text, and the option being typed when this is an autocompletion.
func subcommand(data discordgo.ApplicationCommandInteractionData) (name string, opts map[string]string, focused string) {
	opts = map[string]string{}
	if len(data.Options) == 0 || data.Options[0] == nil || data.Options[0].Type != discordgo.ApplicationCommandOptionSubCommand {
		return "", opts, ""
	}
	top := data.Options[0]
	for _, o := range top.Options {
		if o == nil {
			continue
		}
		opts[o.Name] = optionText(o.Value)
		if o.Focused {
			focused = o.Name
		}
	}
	return top.Name, opts, focused
}

// optionText is an option's value as text, whatever its JSON type.
func optionText(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(validUTF8(v))
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// declareDialog is the core's declare dialog with a title field, which
// Discord's modal asks beside the overview.
func (a *Adapter) declareDialog() drone.Dialog {
	d := a.svc.DeclareDialog()
	title := drone.Field{ID: drone.FieldTitle, Label: "Title (empty: the DRONE title)", Kind: drone.FieldText, MaxLen: 200,
		Hint: "Leave empty for [ CAT1 HIGH ZONE T2 ] BU : Intrusion - Phishing"}
	for i, f := range d.Fields {
		if f.ID == drone.FieldOverview {
			d.Fields = append(d.Fields[:i], append([]drone.Field{title}, d.Fields[i:]...)...)
			break
		}
	}
	return d
}

// openDeclare checks the options of /drone declare and opens the modal for
// title, overview and first indicators, carrying the choices in its id.
func (a *Adapter) openDeclare(i *discordgo.Interaction, actor drone.Actor, opts map[string]string) *discordgo.InteractionResponse {
	if err := a.svc.Authorize(actor, drone.PermDeclare); err != nil {
		return a.fail(err)
	}
	d := a.declareDialog()
	values := map[string]string{}
	for _, f := range d.Fields {
		if f.Kind == drone.FieldSelect {
			values[f.ID] = orElse(opts[f.ID], f.Initial)
		}
	}
	normaliseSelects(&d, values)
	errs := d.Validate(values)
	for _, f := range d.Fields {
		if f.Kind != drone.FieldSelect {
			delete(errs, f.ID) // asked in the modal
		}
	}
	if len(errs) > 0 {
		return textResponse(fixMessage(&d, errs, values), false)
	}
	id := modalID{Dialog: "declare", Key: i.ID, Fixed: encodeFixed(&d, values)}
	return a.openModal(&d, id, []string{drone.FieldTitle, drone.FieldOverview, drone.FieldIndicators})
}

// autocomplete offers choices for the option being typed: the sub-contexts
// of the category chosen, long lists of the framework, open incidents.
func (a *Adapter) autocomplete(ctx context.Context, i *discordgo.Interaction) *discordgo.InteractionResponse {
	data, _ := i.Data.(discordgo.ApplicationCommandInteractionData)
	_, opts, focused := subcommand(data)
	typed := strings.ToLower(opts[focused])
	var choices []*discordgo.ApplicationCommandOptionChoice
	add := func(name, value string) {
		if len(choices) < maxChoices && textLen(value) <= maxChoiceName &&
			(strings.Contains(strings.ToLower(name), typed) || strings.Contains(strings.ToLower(value), typed)) {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: clip(name, maxChoiceName), Value: value})
		}
	}
	if focused == optIncident {
		incs, err := a.svc.Incidents(ctx, drone.IncidentFilter{Open: true, Limit: 100})
		if err != nil {
			a.log.Error("completing incidents", "err", err)
		}
		actor, _ := actorOf(i)
		here, err := a.router.ChannelIncident(ctx, i.ChannelID)
		if err != nil {
			a.log.Error("completing incidents", "err", err)
		}
		for _, inc := range incs {
			if a.svc.CanSee(actor, inc, here) { // a private incident's title is not for everyone
				add(inc.Ref()+" · "+inc.Title, inc.Ref())
			}
		}
	} else {
		d := a.declareDialog()
		if f := d.Field(focused); f != nil && f.Kind == drone.FieldSelect {
			values := map[string]string{}
			for k, v := range opts {
				values[k] = v
			}
			normaliseSelects(&d, values)
			for _, o := range f.OptionsFor(values) {
				add(o.Label, o.Value)
			}
		}
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices}}
}

// slashFollowUp runs action, actions and snooze through drone's grammar:
// their options are the words typed after the command, the owner a
// Discord identity.
func (a *Adapter) slashFollowUp(i *discordgo.Interaction, actor drone.Actor, name string, ref int64, opts map[string]string) step {
	line := name + " " + opts["text"] + " " + opts["which"] + " " + opts["duration"] + " " + opts["reason"]
	if o := opts["owner"]; o != "" {
		if !isSnowflake(o) {
			return answer(a.fail(drone.Errorf(drone.EINVALID, "name the owner: a member of this server")))
		}
		line += " discord:" + o
	}
	cmd, err := a.svc.Grammar().Parse(line)
	if err != nil {
		return answer(a.fail(err))
	}
	if ref != 0 {
		cmd.Ref = ref
	}
	return a.exec(i, actor, cmd, name != "actions")
}
