package hive

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

// CaseTag returns the tag that marks the case of an incident,
// "drone:<incident uuid>": the sync looks a case up by it before creating
// one, so that a creation whose answer was lost is not repeated.
func CaseTag(incidentID string) string { return "drone:" + incidentID }

// Task groups of the tasks a case is created with.
const (
	GroupPlaybook = "playbook"
	GroupExtra    = "checks"
)

// maxUpdates bounds the status updates a description lists; older ones stay
// on the incident's timeline in drone.
const maxUpdates = 50

// incidentState is what the sync reads of an incident.
type incidentState struct {
	inc      *drone.Incident
	obs      []drone.Observable
	timeline []drone.Entry
}

// entry returns the timeline entry with sequence seq.
func (st *incidentState) entry(seq int64) (drone.Entry, bool) {
	for _, e := range st.timeline {
		if e.Seq == seq {
			return e, true
		}
	}
	return drone.Entry{}, false
}

// pushed returns how many of the incident's observables, oldest first, its
// case holds by drone's count.
func (st *incidentState) pushed() int {
	n, err := strconv.Atoi(st.inc.External[ExtObservables])
	if err != nil || n < 0 {
		return 0 // unknown: send them all again; the case keeps one of each
	}
	return min(n, len(st.obs))
}

// caseMapper turns incidents into TheHive cases under one configuration.
type caseMapper struct {
	cfg   Config
	extra func(category, subcontext string) []string
}

// input returns the case to create for an incident.
func (m caseMapper) input(st *incidentState) CaseInput {
	inc := st.inc
	return CaseInput{
		Title:        inc.Title,
		Description:  describe(st),
		Severity:     inc.Severity,
		TLP:          inc.TLP,
		PAP:          inc.PAP,
		Tags:         append(slices.Clone(inc.Tags), CaseTag(inc.ID), inc.Ref()),
		StartDate:    inc.DeclaredAt,
		CaseTemplate: lookupFold(m.cfg.CaseTemplates, inc.Category),
		Assignee:     m.assignee(inc),
		CustomFields: m.customFields(inc),
		Tasks:        m.tasks(inc),
	}
}

// update returns the change that brings a case in line with the incident's
// state: description, status, assignee and, once closed, how it ended.
func (m caseMapper) update(st *incidentState) CaseUpdate {
	inc := st.inc
	up := CaseUpdate{Description: describe(st), Status: caseStatus(inc), Assignee: m.assignee(inc)}
	if inc.Status == drone.StatusClosed {
		up.ImpactStatus, up.Summary = inc.Impact, inc.Summary
	}
	return up
}

// caseStatus maps an incident's status to TheHive's: open is New,
// acknowledged to resolved are InProgress (TheHive has no "resolved but
// open"), closed is the incident's resolution.
func caseStatus(inc *drone.Incident) string {
	switch inc.Status {
	case drone.StatusOpen:
		return StatusNew
	case drone.StatusClosed:
		if inc.Resolution != "" {
			return inc.Resolution
		}
		return StatusOther
	}
	return StatusInProgress
}

// assignee returns the TheHive login of the incident's lead, or "" when
// hive.users does not map the lead.
func (m caseMapper) assignee(inc *drone.Incident) string {
	if inc.Lead == "" {
		return ""
	}
	return lookupFold(m.cfg.Users, inc.Lead)
}

// customFields maps zone, business unit and tier to the organisation's
// custom fields; unmapped and empty ones are left out.
func (m caseMapper) customFields(inc *drone.Incident) map[string]any {
	out := map[string]any{}
	for field, value := range map[string]string{FieldZone: inc.Zone, FieldBusinessUnit: inc.BusinessUnit, FieldTier: inc.Tier} {
		if name := m.cfg.CustomFields[field]; name != "" && value != "" {
			out[name] = value
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// tasks returns the playbook of the incident's category and sub-context,
// then the extra tasks of the hook, each title once.
func (m caseMapper) tasks(inc *drone.Incident) []TaskInput {
	var out []TaskInput
	seen := map[string]bool{}
	add := func(group string, titles []string) {
		for _, t := range titles {
			t = strings.TrimSpace(t)
			if t != "" && !seen[t] {
				seen[t] = true
				out = append(out, TaskInput{Title: t, Group: group, Order: len(out)})
			}
		}
	}
	add(GroupPlaybook, PlaybookTasks(m.cfg.Playbooks, inc.Category, inc.SubContext))
	if m.extra != nil {
		add(GroupExtra, m.extra(inc.Category, inc.SubContext))
	}
	return out
}

// lookupFold returns m[key], matching the key exactly first, then ignoring
// case.
func lookupFold(m map[string]string, key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// describe renders the case description in Markdown: the overview, the
// DRONE fields as a table, the reporter, links back to the chat, the status
// updates and, once closed, the closing summary. It is rebuilt whole from
// drone's state at every sync.
func describe(st *incidentState) string {
	inc := st.inc
	var b strings.Builder
	b.WriteString("### Overview\n\n" + strings.TrimSpace(inc.Overview) + "\n\n")
	b.WriteString("### DRONE\n\n| Field | Value |\n|---|---|\n")
	row := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", k, cell(v))
		}
	}
	row("Incident", inc.Ref())
	row("Category", strings.TrimSpace(inc.Category+" "+inc.CategoryName))
	row("Type", inc.SubContext)
	row("Severity", inc.SeverityName)
	row("Affected tier", inc.Tier)
	row("Affected zone", inc.Zone)
	row("Affected business unit", inc.BusinessUnit)
	row("TLP / PAP", inc.TLP+" / "+inc.PAP)
	row("Status", string(inc.Status))
	row("Lead", inc.Lead)
	row("Declared", stamp(inc.DeclaredAt))
	if inc.Resolution != "" {
		row("Resolution", inc.Resolution+" ("+inc.Impact+")")
	}
	fmt.Fprintf(&b, "\nReported by **%s** (`%s`)", inline(inc.Reporter.String()), inline(inc.Reporter.Identity()))
	if o := declaredOrigin(st); o.Channel != "" {
		fmt.Fprintf(&b, " from %s", inline(o.Channel))
	}
	b.WriteString(".\n")
	for _, l := range chatLinks(st) {
		fmt.Fprintf(&b, "\nChat: [%s](%s)\n", inline(l.label), l.url)
	}
	writeUpdates(&b, st)
	if inc.Status == drone.StatusClosed && inc.Summary != "" {
		b.WriteString("\n### Closing summary\n\n" + inc.Summary + "\n")
	}
	fmt.Fprintf(&b, "\n_Kept in sync by drone from %s: edits made here are replaced at its next change._\n", inc.Ref())
	return b.String()
}

// writeUpdates lists the timeline's status changes and updates, the latest
// maxUpdates of them.
func writeUpdates(b *strings.Builder, st *incidentState) {
	var ups []drone.Entry
	for _, e := range st.timeline {
		switch e.Kind {
		case drone.EntryAcknowledged, drone.EntryLead, drone.EntryRole, drone.EntryStatus, drone.EntryUpdate, drone.EntryReopened:
			ups = append(ups, e)
		}
	}
	if len(ups) == 0 {
		return
	}
	b.WriteString("\n### Status updates\n\n")
	if n := len(ups) - maxUpdates; n > 0 {
		fmt.Fprintf(b, "_%d earlier update(s) are on the incident's timeline in drone._\n\n", n)
		ups = ups[n:]
	}
	for _, e := range ups {
		fmt.Fprintf(b, "- %s: %s\n", stamp(e.At), inline(e.Text))
	}
}

func declaredOrigin(st *incidentState) drone.Origin {
	for _, e := range st.timeline {
		if e.Kind == drone.EntryDeclared {
			return e.Origin
		}
	}
	return drone.Origin{}
}

type link struct{ label, url string }

// chatLinks returns the web links of the incident outside TheHive: external
// references that are URLs (a chat channel or message) and the message the
// incident was declared from.
func chatLinks(st *incidentState) []link {
	var out []link
	seen := map[string]bool{}
	add := func(label, u string) {
		if isWebURL(u) && !seen[u] {
			seen[u] = true
			out = append(out, link{label, u})
		}
	}
	if o := declaredOrigin(st); o.Ref != "" {
		add("declared from "+o.Channel, o.Ref)
	}
	for _, k := range slices.Sorted(maps.Keys(st.inc.External)) {
		if !strings.HasPrefix(k, "hive.") {
			add(k, st.inc.External[k])
		}
	}
	return out
}

func isWebURL(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) &&
		!strings.ContainsAny(s, " \t\n()<>")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(inline(s), "|", `\|`)
}

// inline keeps text on one line and stops it from opening Markdown
// emphasis, code or links.
var inlineEscaper = strings.NewReplacer("\r", " ", "\n", " ", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", `\<`)

func inline(s string) string { return inlineEscaper.Replace(s) }
