package servicenow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ttp0/drone/tracker"
)

// TestChangedReadsEveryPage creates more records than one page holds and
// reads them back with sysparm_offset.
func TestChangedReadsEveryPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
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
		t.Fatalf("Changed returned %d records (%d distinct), want %d", len(got), len(seen), n)
	}
	b.clock.Advance(2 * time.Hour)
	if got, err := b.cli.Changed(b.h.Ctx, time.Hour); err != nil || len(got) != 0 {
		t.Errorf("Changed within the last hour, two hours later: %d records, %v", len(got), err)
	}
}
