package hive_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/store"
)

// TestSyncRefusesAnUnreadableCaseNumber damages the case number drone
// recorded: the next sync dies at once, saying so, instead of writing
// "case #0" on the timeline.
func TestSyncRefusesAnUnreadableCaseNumber(t *testing.T) {
	t.Parallel()
	b := setupSync(t, syncSetup{api: hive.APIv1})
	inc := b.declare(t, phishing)
	b.deliver(t, 2)
	b.noDeadJobs(t)
	ctx := context.Background()
	if err := b.svc.SetExternal(ctx, operator, inc.ID, map[string]string{hive.ExtCaseNumber: "twelve"}, "damage the record"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Acknowledge(ctx, operator, drone.Origin{Channel: "cli"}, inc.Number); err != nil {
		t.Fatal(err)
	}
	b.deliver(t, 2)
	dead := b.jobs(t, store.Dead...)
	if len(dead) != 1 || dead[0].Attempt != 1 || !strings.Contains(dead[0].LastError, `INC-1: the TheHive case number recorded with case`) ||
		!strings.Contains(dead[0].LastError, `parsing "twelve"`) {
		t.Fatalf("dead jobs = %+v, want the sync cancelled at once for the case number", dead)
	}
}
