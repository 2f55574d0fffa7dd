package discord

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/drone"
)

// message is what drone posts or edits on Discord: text, embeds, components.
type message struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
}

// Colours of a notice's embeds, by severity (1 LOW .. 4 CRITICAL); grey when
// the incident is closed.
var severityColour = map[int]int{1: 0x3BA55C, 2: 0xFAA61A, 3: 0xE67E22, 4: 0xED4245}

const closedColour = 0x747F8D

// Budgets of the parts of a notice, so that the indicators keep most of
// Discord's 6000 characters however long the overview is.
const (
	headlineBudget = 600
	overviewBudget = 1200
	rowBudget      = 200
	blindBudget    = 500
	wideRow        = 60 // the longest row value shown inline, beside others
	moreReserve    = 80 // the "… and N more" line of a section
)

// renderNotice renders a notice as a Discord message: a first embed with the
// header rows, then the indicator sections as fields spread over as many
// embeds as needed, and the action buttons. Long sections lose their look-up
// links first, then end with "… and N more, see the TheHive case": the
// message always fits Discord's limits.
func renderNotice(n *drone.Notice) message {
	head := noticeHead(n)
	left := maxEmbedTotal - embedSize(head)
	fields := sectionFields(n.Sections, left, maxEmbeds*maxEmbedFields-len(head.Fields))
	msg := message{Embeds: spread(head, fields), Components: actionRows(n.Ref, n.Actions)}
	if messageSize(msg) > maxEmbedTotal || len(msg.Embeds) > maxEmbeds {
		// Unreachable by construction; a last guard so that a mistake in
		// the budgets costs the indicators, not the message.
		msg.Embeds = []*discordgo.MessageEmbed{head}
	}
	return msg
}

// noticeHead is the first embed: title, headline and overview, header rows.
func noticeHead(n *drone.Notice) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Author: &discordgo.MessageEmbedAuthor{Name: "Security Incident Notification"},
		Title:  clip(validUTF8(n.Subject), maxEmbedTitle),
		Color:  severityColour[n.Severity],
		Footer: &discordgo.MessageEmbedFooter{Text: clip("TLP:"+n.TLP+" · drone", maxFooter)},
	}
	if n.Ref == "" { // a digest: about no one incident
		e.Author.Name, e.Footer.Text = clip(validUTF8(n.Title), maxAuthor), "drone"
	}
	desc := clip(validUTF8(n.Headline), headlineBudget)
	for _, r := range n.Rows {
		v := strings.TrimSpace(validUTF8(r.Value))
		switch {
		case v == "":
		case r.Label == "Overview":
			if !strings.Contains(n.Headline, v) {
				desc += "\n\n**Overview**\n" + clip(v, overviewBudget)
			}
		default:
			if r.Label == "Status" && strings.HasPrefix(v, string(drone.StatusClosed)) { // "closed", a leader's "closed as ..."
				e.Color = closedColour
			}
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: clip(r.Label, maxFieldName),
				Value: clip(mention(v), rowBudget), Inline: textLen(v) <= wideRow})
		}
	}
	if len(n.BlindSpots) > 0 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Blind spots (Threat Driven Security)",
			Value: clip(validUTF8("• "+strings.Join(n.BlindSpots, "\n• ")), blindBudget)})
	}
	e.Description = clip(desc, maxEmbedDesc)
	if len(e.Fields) > maxEmbedFields {
		e.Fields = e.Fields[:maxEmbedFields]
	}
	return e
}

// mention shows a Discord identity ("discord:123") as a mention, which an
// embed displays without notifying anyone.
func mention(v string) string {
	if id, ok := strings.CutPrefix(v, "discord:"); ok && isSnowflake(id) {
		return "<@" + id + ">"
	}
	return v
}

// sectionFields renders the indicator sections as embed fields within budget
// characters and at most maxFields fields. Every section gets a fair share:
// what one leaves unused goes to the next.
func sectionFields(secs []drone.Section, budget, maxFields int) []*discordgo.MessageEmbedField {
	links := linksFit(secs, budget)
	var out []*discordgo.MessageEmbedField
	for i, s := range secs {
		share := budget / (len(secs) - i)
		fs, used := sectionField(s, share, maxFields-len(out), links)
		out = append(out, fs...)
		budget -= used
	}
	return out
}

// linksFit reports whether every item of every section fits in budget
// characters with its look-up links; it stops counting once they do not.
func linksFit(secs []drone.Section, budget int) bool {
	n := 0
	for _, s := range secs {
		n += textLen(s.Title) + moreReserve
		for _, it := range s.Items {
			if n += textLen(itemLine(it, true)) + 1; n > budget {
				return false
			}
		}
	}
	return n <= budget
}

// sectionField renders one section as fields of at most 1024 characters,
// within budget characters and maxFields fields, and returns what it used.
func sectionField(s drone.Section, budget, maxFields int, links bool) ([]*discordgo.MessageEmbedField, int) {
	var out []*discordgo.MessageEmbedField
	used := 0
	var cur *discordgo.MessageEmbedField
	open := func() bool {
		name := clip(validUTF8(s.Title), maxFieldName)
		if len(out) > 0 {
			name = clip(validUTF8(s.Title)+" (cont.)", maxFieldName)
		}
		if len(out) >= maxFields || used+textLen(name)+moreReserve > budget {
			return false
		}
		cur = &discordgo.MessageEmbedField{Name: name}
		out = append(out, cur)
		used += textLen(name)
		return true
	}
	shown := 0
	for _, it := range s.Items {
		line := clip(itemLine(it, links), maxFieldValue)
		add := textLen(line)
		if cur != nil && cur.Value != "" {
			add++ // the newline
		}
		if cur == nil || textLen(cur.Value)+add > maxFieldValue {
			if !open() {
				break
			}
			add = textLen(line)
		}
		if used+add+moreReserve > budget {
			break
		}
		if cur.Value != "" {
			cur.Value += "\n"
		}
		cur.Value += line
		used += add
		shown++
	}
	if len(out) > 0 && out[len(out)-1].Value == "" {
		used -= textLen(out[len(out)-1].Name)
		out = out[:len(out)-1]
	}
	if rest := len(s.Items) - shown + s.More; rest > 0 {
		used += moreLine(&out, s.Title, rest, budget-used, maxFields)
	}
	return out, used
}

// moreLine ends a section with "… and N more, see the TheHive case", in its
// last field when there is room, else in a field of its own, within budget
// characters; it returns the characters it added.
func moreLine(out *[]*discordgo.MessageEmbedField, title string, rest, budget, maxFields int) int {
	line := fmt.Sprintf("… and %d more, see the TheHive case", rest)
	if n := len(*out); n > 0 {
		last := (*out)[n-1]
		add := "\n" + line
		if textLen(last.Value)+textLen(add) <= maxFieldValue && textLen(add) <= budget {
			last.Value += add
			return textLen(add)
		}
	}
	name := clip(validUTF8(title), maxFieldName)
	if len(*out) >= maxFields || textLen(name)+textLen(line) > budget {
		return 0
	}
	*out = append(*out, &discordgo.MessageEmbedField{Name: name, Value: line})
	return textLen(name) + textLen(line)
}

// itemLine is one indicator: defanged in a code span, its look-up links,
// and whether it is internal.
func itemLine(it drone.Item, links bool) string {
	v := strings.ReplaceAll(validUTF8(it.Text), "`", "ˋ")
	line := "`" + clip(v, 900) + "`"
	if it.Internal {
		line += " (internal)"
	}
	if !links || len(it.Links) == 0 {
		return line
	}
	with := line
	for _, l := range it.Links {
		with += " · [" + l.Label + "](" + strings.ReplaceAll(l.URL, ")", "%29") + ")"
	}
	if textLen(with) > maxFieldValue {
		return line // a long value keeps its room; the links would not fit beside it
	}
	return with
}

// spread puts the head embed first, then the fields, 25 to an embed.
func spread(head *discordgo.MessageEmbed, fields []*discordgo.MessageEmbedField) []*discordgo.MessageEmbed {
	embeds := []*discordgo.MessageEmbed{head}
	for _, f := range fields {
		last := embeds[len(embeds)-1]
		if len(last.Fields) >= maxEmbedFields {
			if len(embeds) == maxEmbeds {
				break
			}
			last = &discordgo.MessageEmbed{Color: head.Color}
			embeds = append(embeds, last)
		}
		last.Fields = append(last.Fields, f)
	}
	return embeds
}

// embedSize counts an embed's characters as Discord does for its 6000 limit.
func embedSize(e *discordgo.MessageEmbed) int {
	n := textLen(e.Title) + textLen(e.Description)
	if e.Author != nil {
		n += textLen(e.Author.Name)
	}
	if e.Footer != nil {
		n += textLen(e.Footer.Text)
	}
	for _, f := range e.Fields {
		n += textLen(f.Name) + textLen(f.Value)
	}
	return n
}

func messageSize(m message) int {
	n := 0
	for _, e := range m.Embeds {
		n += embedSize(e)
	}
	return n
}

// actionRows are a notice's buttons: custom ids "ack:3", "ioc:3"...
func actionRows(ref string, actions []drone.Action) []discordgo.MessageComponent {
	num, err := drone.ParseRef(ref)
	if err != nil || len(actions) == 0 {
		return []discordgo.MessageComponent{}
	}
	var buttons []discordgo.MessageComponent
	for _, a := range actions {
		style := discordgo.SecondaryButton
		switch a.ID {
		case "ack":
			style = discordgo.PrimaryButton
		case "close":
			style = discordgo.DangerButton
		}
		buttons = append(buttons, discordgo.Button{Label: clip(a.Label, maxButtonLabel), Style: style,
			CustomID: fmt.Sprintf("%s:%d", a.ID, num)})
		if len(buttons) == 5 {
			break
		}
	}
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}
}
