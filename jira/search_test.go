package jira_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ttp0/drone/tracker"
)

// TestChangedReadsEveryPage creates more issues than one search page holds
// and reads them back: Cloud pages with nextPageToken, Data Center with
// startAt.
func TestChangedReadsEveryPage(t *testing.T) {
	t.Parallel()
	forEachFlavour(t, func(t *testing.T, flavour string) {
		b := setup(t, flavour)
		const n = 230
		for i := range n {
			if _, err := b.cli.Create(b.h.Ctx, tracker.NewTicket{Correlation: fmt.Sprintf("drone-act-%d-0000000%d", i+1, i%10),
				Summary: "ACT", Description: "d"}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := b.cli.Changed(b.h.Ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, tk := range got {
			seen[tk.Correlation] = true
		}
		if len(got) != n || len(seen) != n {
			t.Fatalf("Changed returned %d issues (%d distinct), want %d", len(got), len(seen), n)
		}
		// Found by its label, among them all.
		found, err := b.cli.Find(b.h.Ctx, "drone-act-117-00000006")
		if err != nil || found == nil || found.Correlation != "drone-act-117-00000006" {
			t.Errorf("Find: %+v, %v", found, err)
		}
		// Changed reads only the window.
		b.clock.Advance(2 * time.Hour)
		if got, err := b.cli.Changed(b.h.Ctx, time.Hour); err != nil || len(got) != 0 {
			t.Errorf("Changed within the last hour, two hours later: %d issues, %v", len(got), err)
		}
	})
}
