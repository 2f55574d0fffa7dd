package web

import "testing"

func TestExternalLinks(t *testing.T) {
	t.Parallel()
	links, rest := externalLinks(map[string]string{"hive.case_url": "https://hive.example.org/cases/~42/details",
		"hive.case_number": "42", "slack.channel": "C0123", "discord.channel": "99", "discord.guild": "11",
		"reportable.aware_at": "2026-03-01T08:00:00Z"})
	want := []link{{Label: "TheHive case #42", URL: "https://hive.example.org/cases/~42/details"},
		{Label: "Slack channel", URL: "https://slack.com/app_redirect?channel=C0123"},
		{Label: "Discord channel", URL: "https://discord.com/channels/11/99"}}
	if len(links) != len(want) {
		t.Fatalf("links %+v", links)
	}
	for i := range want {
		if links[i] != want[i] {
			t.Errorf("link %d: %+v, want %+v", i, links[i], want[i])
		}
	}
	if len(rest) != 6 || rest[0].Label != "discord.channel" {
		t.Errorf("references %+v", rest)
	}
	// A reference that is not a web address is no link.
	if links, _ := externalLinks(map[string]string{"hive.case_url": "javascript:alert(1)"}); len(links) != 0 {
		t.Errorf("links %+v", links)
	}
}
