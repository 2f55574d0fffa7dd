package drone

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ttp0/drone/drone/ioc"
)

// Audiences of a notice.
const (
	AudienceResponders = "responders" // full detail: indicators, links, actions
	AudienceLeaders    = "leaders"    // plain language, no raw indicators
)

// Notice is the platform-neutral content of a message about an incident: the
// original DRONE's "Security Incident Notification". Each medium (Slack
// Block Kit, Discord embeds, e-mail) renders it in its own way and limits.
type Notice struct {
	Kind     string // the event: an Entry kind, "digest", "target_missed"...
	Audience string
	Ref      string // INC-n
	Title    string // the incident's title
	Subject  string // "<title> | SIN #<number>", as the original's e-mail subject
	TLP      string
	Severity int
	Headline string    // one sentence: what happened now
	Rows     []Row     // the header rows
	Sections []Section // one per indicator type (responders only)
	// BlindSpots are what the organisation cannot see of this kind of
	// threat, from Threat Driven Security (responders only).
	BlindSpots []string
	// Actions are the buttons a responder may press; empty for leaders and
	// closed incidents.
	Actions []Action
}

// Row is one labelled value of a notice's header.
type Row struct {
	Label string
	Value string
}

// Section groups the indicators of one type.
type Section struct {
	Title string // "IPv4", "Domains", "URLs"...
	Items []Item
	More  int // items left out to fit a medium, counted
}

// Item is one defanged indicator with its look-up links (public values only).
type Item struct {
	Text     string // defanged
	Internal bool
	Links    []Link
}

// Link is a look-up of an indicator on a public service.
type Link struct {
	Label string
	URL   string
}

// Action is a button of a notice.
type Action struct {
	ID    string // "ack", "ioc", "status", "close"
	Label string
}

// BuildNotice builds the notice of an incident for an audience, after the
// event kind (an Entry kind) happened. now is the notification time.
func BuildNotice(rec *Record, kind, audience string, now time.Time) *Notice {
	inc := rec.Incident
	n := &Notice{Kind: kind, Audience: audience, Ref: inc.Ref(), Title: inc.Title, TLP: inc.TLP,
		Severity: inc.Severity, Subject: fmt.Sprintf("%s | SIN #%d", inc.Title, inc.Number)}
	n.Headline = headline(rec, kind)
	n.Rows = []Row{
		{"Incident Number", inc.Ref()},
		{"Category", inc.Category + " " + inc.CategoryName},
		{"Type", inc.SubContext},
		{"Severity", inc.SeverityName},
		{"Affected Zone", inc.Zone},
		{"Affected Tier", inc.Tier},
		{"Affected Business Unit", inc.BusinessUnit},
		{"Status", string(inc.Status)},
		{"Lead", inc.Lead},
		{"Notification Date/Time", now.UTC().Format("2006-01-02 15:04 MST")},
		{"Overview", inc.Overview},
	}
	if inc.NextUpdateDue != nil && inc.Open() {
		n.Rows = append(n.Rows, Row{"Next update", inc.NextUpdateDue.UTC().Format("2006-01-02 15:04 MST")})
	}
	if inc.Resolution != "" {
		n.Rows = append(n.Rows, Row{"Resolution", inc.Resolution + " (" + inc.Impact + ")"})
	}
	if audience == AudienceLeaders {
		return n
	}
	if row, ok := intelRow(rec.Verdicts()); ok {
		n.Rows = append(n.Rows, row)
	}
	n.Sections = Sections(rec.Observables)
	if adv, ok := rec.Advice(); ok {
		n.BlindSpots = adv.BlindSpots
	}
	if inc.Status != StatusClosed {
		n.Actions = []Action{{"ack", "Acknowledge"}, {"ioc", "Add indicators"}, {"status", "Post update"}, {"close", "Close"}}
		if inc.Status != StatusOpen {
			n.Actions = n.Actions[1:]
		}
	}
	return n
}

func headline(rec *Record, kind string) string {
	inc := rec.Incident
	switch kind {
	case EntryDeclared:
		return fmt.Sprintf("%s declared a %s %s incident: %s", inc.Reporter, strings.ToLower(inc.SeverityName), inc.CategoryName, inc.Overview)
	case "":
		return inc.Title
	}
	for i := len(rec.Timeline) - 1; i >= 0; i-- {
		if rec.Timeline[i].Kind == kind {
			return rec.Timeline[i].Text
		}
	}
	return inc.Title
}

// sectionTitles name the sections, in the original MiniShell's order.
var sectionTitles = []struct {
	Title string
	Types []ioc.Type
}{
	{"IP addresses", []ioc.Type{ioc.IPv4, ioc.IPv6, ioc.CIDR}},
	{"Domains", []ioc.Type{ioc.Domain}},
	{"URLs", []ioc.Type{ioc.URL}},
	{"File hashes", []ioc.Type{ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512}},
	{"Users", []ioc.Type{ioc.UserName}},
	{"E-mail addresses", []ioc.Type{ioc.Email}},
	{"File names", []ioc.Type{ioc.File}},
	{"Registry keys", []ioc.Type{ioc.Registry}},
	{"Vulnerabilities", []ioc.Type{ioc.CVE}},
	{"ATT&CK techniques", []ioc.Type{ioc.Technique}},
	{"Other", []ioc.Type{ioc.ASN, ioc.Bitcoin, ioc.Other}},
}

// Sections groups observables by type, defanged, with look-up links for
// public values.
func Sections(obs []Observable) []Section {
	var out []Section
	for _, st := range sectionTitles {
		var s Section
		for _, o := range obs {
			for _, t := range st.Types {
				if o.Type == t {
					s.Items = append(s.Items, Item{Text: ioc.Defang(o.Type, o.Value), Internal: o.Internal,
						Links: Lookups(o.Type, o.Value, o.Internal)})
				}
			}
		}
		if len(s.Items) > 0 {
			s.Title = st.Title
			out = append(out, s)
		}
	}
	return out
}

// Lookups returns the public look-up links of an indicator, as the original
// DRONE gave them: urlscan.io, Talos and VirusTotal for domains and IPs, plus
// AbuseIPDB for IPs; VirusTotal, OPSWAT MetaDefender and Hybrid Analysis for
// hashes. Internal values get none: looking them up would leak them.
func Lookups(t ioc.Type, v string, internal bool) []Link {
	if internal {
		return nil
	}
	q := url.QueryEscape(v)
	p := url.PathEscape(v)
	switch t {
	case ioc.IPv4, ioc.IPv6:
		return []Link{
			{"urlscan.io", "https://urlscan.io/search/#ip:" + q},
			{"Talos", "https://talosintelligence.com/reputation_center/lookup?search=" + q},
			{"VirusTotal", "https://www.virustotal.com/gui/ip-address/" + p},
			{"AbuseIPDB", "https://www.abuseipdb.com/check/" + p},
		}
	case ioc.Domain:
		return []Link{
			{"urlscan.io", "https://urlscan.io/search/#domain:" + q},
			{"Talos", "https://talosintelligence.com/reputation_center/lookup?search=" + q},
			{"VirusTotal", "https://www.virustotal.com/gui/domain/" + p},
		}
	case ioc.URL:
		return []Link{{"urlscan.io", "https://urlscan.io/search/#" + q}}
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		return []Link{
			{"VirusTotal", "https://www.virustotal.com/gui/file/" + p},
			{"MetaDefender", "https://metadefender.opswat.com/results/file/" + p + "/hash/overview"},
			{"Hybrid Analysis", "https://www.hybrid-analysis.com/search?query=" + q},
		}
	}
	return nil
}

// Text renders a notice as plain text, for e-mail bodies, logs and any
// medium without richer widgets.
func (n *Notice) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Security Incident Notification — %s\n%s\n\n", n.Ref, n.Headline)
	for _, r := range n.Rows {
		if r.Value != "" {
			fmt.Fprintf(&b, "%-24s %s\n", r.Label+":", r.Value)
		}
	}
	for _, s := range n.Sections {
		fmt.Fprintf(&b, "\n%s\n", s.Title)
		for _, it := range s.Items {
			fmt.Fprintf(&b, "  %s%s\n", it.Text, internalMark(it.Internal))
			for _, l := range it.Links {
				fmt.Fprintf(&b, "    %s: %s\n", l.Label, l.URL)
			}
		}
		if s.More > 0 {
			fmt.Fprintf(&b, "  and %d more\n", s.More)
		}
	}
	if len(n.BlindSpots) > 0 {
		b.WriteString("\nBlind spots (Threat Driven Security)\n")
		for _, s := range n.BlindSpots {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	return b.String()
}
