package notify

import (
	"testing"

	"github.com/ttp0/drone/drone"
)

// TestLeadIsNamed shows leaders the lead's name from the timeline, and the
// identity when drone never saw a name for it.
func TestLeadIsNamed(t *testing.T) {
	rec := &drone.Record{Incident: &drone.Incident{Lead: "slack:U024BE7LH", Status: drone.StatusAcknowledged},
		Timeline: []drone.Entry{
			{Actor: drone.Actor{Platform: "slack", ID: "U0OTHER", Name: "Bob"}},
			{Actor: drone.Actor{Platform: "slack", ID: "U024BE7LH", Name: "Alice Martin"}},
			{Actor: drone.Actor{Platform: "slack", ID: "U024BE7LH"}},
		}}
	if got := summarise(rec, func(s string) string { return s }).Lead; got != "Alice Martin" {
		t.Errorf("lead %q, want Alice Martin", got)
	}
	rec.Incident.Lead = "discord:80351110224678912"
	if got := summarise(rec, func(s string) string { return s }).Lead; got != "discord:80351110224678912" {
		t.Errorf("lead %q, want the identity", got)
	}
	rec.Incident.Lead = ""
	if got := summarise(rec, func(s string) string { return s }).Lead; got != "not assigned yet" {
		t.Errorf("lead %q, want not assigned yet", got)
	}
}
