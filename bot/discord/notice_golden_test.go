package discord

import (
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
)

// goldenRecord is the incident of the golden notices: a HIGH phishing
// incident with one indicator of each common kind, an internal one among
// them, and an overview with markdown and a mention in it.
func goldenRecord() *drone.Record {
	at := time.Date(2024, 5, 2, 9, 30, 0, 0, time.UTC)
	inc := &drone.Incident{ID: "0190a1b2-0000-7000-8000-000000000001", Number: 42,
		Title:    "[ CAT1 HIGH ZONE-A T2 ] SALES : Intrusion - Phishing",
		Category: "CAT1", CategoryName: "Intrusion", SubContext: "Phishing", Severity: 3, SeverityName: "HIGH",
		Tier: "T2", Zone: "ZONE-A", BusinessUnit: "SALES", TLP: "AMBER", PAP: "AMBER", Status: drone.StatusOpen,
		Overview: "Credential phishing @everyone & a **fake** login page", Lead: "discord:80351110224678912",
		Roles:    map[string]string{drone.RoleCommunications: "discord:80351110224678913"},
		Reporter: drone.Actor{Platform: "discord", ID: "80351110224678913", Name: "alice"}, DeclaredAt: at}
	return &drone.Record{Incident: inc, Observables: []drone.Observable{
		{Type: ioc.IPv4, Value: "45.33.32.156"},
		{Type: ioc.IPv4, Value: "10.1.2.3", Internal: true},
		{Type: ioc.Domain, Value: "evil-login.com"},
		{Type: ioc.URL, Value: "http://evil-login.com/login?a=1&b=2"},
		{Type: ioc.SHA256, Value: strings.Repeat("ab", 32)},
		{Type: ioc.Email, Value: "bad-actor@evil-mail.net"},
	}}
}

// TestNoticeGolden keeps the embeds of the notices as Discord receives
// them in testdata/: the responders' notice on declaration, the leaders'
// plain-language one, and the closed notice (grey, without buttons).
// go test -run TestNoticeGolden -update rewrites them on purpose.
func TestNoticeGolden(t *testing.T) {
	t.Parallel()
	rec := goldenRecord()
	at := rec.Incident.DeclaredAt
	closed := goldenRecord()
	closed.Incident.Status, closed.Incident.Resolution, closed.Incident.Impact = drone.StatusClosed, "TruePositive", "NoImpact"
	closed.Incident.Summary = "Mailboxes purged, the domain blocked"
	closed.Timeline = []drone.Entry{{Seq: 2, Kind: drone.EntryStatus, At: at.Add(time.Hour),
		Actor: drone.Actor{Platform: "discord", ID: "80351110224678912", Name: "bob"},
		Text:  "bob closed INC-42 as TruePositive (NoImpact): Mailboxes purged, the domain blocked"}}
	for _, c := range []struct {
		file     string
		rec      *drone.Record
		kind     string
		audience string
	}{
		{"notice.json", rec, drone.EntryDeclared, drone.AudienceResponders},
		{"notice-leaders.json", rec, drone.EntryDeclared, drone.AudienceLeaders},
		{"notice-closed.json", closed, drone.EntryStatus, drone.AudienceResponders},
	} {
		msg := renderNotice(drone.BuildNotice(c.rec, c.kind, c.audience, at.Add(time.Hour)))
		dronetest.GoldenJSON(t, "testdata/"+c.file, struct {
			Content    string `json:"content,omitempty"`
			Embeds     any    `json:"embeds"`
			Components any    `json:"components"`
		}{msg.Content, msg.Embeds, msg.Components})
	}
}
