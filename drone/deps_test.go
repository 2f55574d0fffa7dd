package drone_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreStaysNeutral fails when the core (every package under drone/),
// or anything it imports, pulls in a chat platform, a mail library, a
// database or the queue: adapters translate, the core decides. Test
// infrastructure over the store lives outside drone/ (dronetest).
func TestCoreStaysNeutral(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/ttp0/drone/drone/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"github.com/slack-go/", "github.com/bwmarrin/discordgo", "github.com/emersion/",
		"github.com/jordan-wright/", "modernc.org/", "github.com/riverqueue/", "net/smtp"}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "database/sql" {
			t.Errorf("the core depends on database/sql")
		}
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("the core depends on %s", dep)
			}
		}
	}
}
