package slack

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
)

// record is an incident as the notice tests see it.
func record(obs ...drone.Observable) *drone.Record {
	at := time.Date(2024, 5, 2, 9, 30, 0, 0, time.UTC)
	inc := &drone.Incident{ID: "0190a1b2-0000-7000-8000-000000000001", Number: 42, Title: "[ CAT1 HIGH ZONE-A T2 ] SALES : Intrusion - Phishing",
		Category: "CAT1", CategoryName: "Intrusion", SubContext: "Phishing", Severity: 3, SeverityName: "HIGH",
		Tier: "T2", Zone: "ZONE-A", BusinessUnit: "SALES", TLP: "AMBER", PAP: "AMBER", Status: drone.StatusOpen,
		Overview: "Credential phishing <!channel> & a fake login page", Lead: "slack:U0BOB",
		Roles:    map[string]string{drone.RoleScribe: "slack:U0CAROL", drone.RoleLegal: "slack:U0DPO"},
		Reporter: drone.Actor{Platform: "slack", ID: "U0ALICE", Name: "alice"}, DeclaredAt: at}
	return &drone.Record{Incident: inc, Observables: obs}
}

func TestNoticeGolden(t *testing.T) {
	rec := record(
		drone.Observable{Type: ioc.IPv4, Value: "45.33.32.156"},
		drone.Observable{Type: ioc.IPv4, Value: "10.1.2.3", Internal: true},
		drone.Observable{Type: ioc.Domain, Value: "evil-login.com"},
		drone.Observable{Type: ioc.URL, Value: "http://evil-login.com/login?a=1&b=2"},
		drone.Observable{Type: ioc.SHA256, Value: strings.Repeat("ab", 32)},
		drone.Observable{Type: ioc.Email, Value: "bad-actor@evil-mail.net"},
	)
	n := drone.BuildNotice(rec, drone.EntryDeclared, drone.AudienceResponders, rec.Incident.DeclaredAt)
	dronetest.GoldenJSON(t, "testdata/notice.json", noticeBlocks(n))
}

// TestNoticeLimits keeps a notice with many indicators within a message's
// 50 blocks and a section's 3,000 characters, counting what is left out.
func TestNoticeLimits(t *testing.T) {
	var obs []drone.Observable
	for i := range 400 {
		obs = append(obs, drone.Observable{Type: ioc.IPv4, Value: fmt.Sprintf("45.33.%d.%d", i/250, i%250)},
			drone.Observable{Type: ioc.Domain, Value: fmt.Sprintf("host%d.evil-%d.example.net", i, i)})
	}
	for _, tp := range []ioc.Type{ioc.URL, ioc.MD5, ioc.Email, ioc.CVE, ioc.File, ioc.Registry, ioc.Technique, ioc.UserName, ioc.ASN} {
		obs = append(obs, drone.Observable{Type: tp, Value: "x" + string(tp)})
	}
	rec := record(obs...)
	n := drone.BuildNotice(rec, drone.EntryDeclared, drone.AudienceResponders, time.Now())
	blocks := noticeBlocks(n)
	if len(blocks) > maxMessageBlocks {
		t.Fatalf("%d blocks; Slack allows %d", len(blocks), maxMessageBlocks)
	}
	text := ""
	for _, b := range blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			if l := len([]rune(s.Text.Text)); l > maxSectionText {
				t.Errorf("a section of %d characters", l)
			}
			text += s.Text.Text
		}
	}
	if !strings.Contains(text, "more: `/drone show` lists them all") {
		t.Error("the indicators left out are not counted")
	}
	if _, ok := blocks[len(blocks)-1].(*slack.ActionBlock); !ok {
		t.Error("the buttons did not survive the trimming")
	}
}

func TestReplyMessage(t *testing.T) {
	m := replyMessage(&drone.Reply{Text: "INC-1 is now led by slack:U0BOB", Public: true})
	if m.ResponseType != "in_channel" || m.Text != "INC-1 is now led by <@U0BOB>" {
		t.Errorf("one line: %+v", m)
	}
	m = replyMessage(&drone.Reply{Text: "INC-1  <title>\n  Status open\n```"})
	if m.ResponseType != "ephemeral" || m.Text != "```INC-1  &lt;title&gt;\n  Status open\n'''```" {
		t.Errorf("several lines: %+v", m)
	}
}
