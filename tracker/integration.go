package tracker

import (
	"github.com/riverqueue/river"

	"github.com/ttp0/drone/integration"
)

// Contribute sets what the sync brings to drone on in: its planner, its
// workers and the scheduling of its first poll, and turns in on.
func (s *Sync[P]) Contribute(in *integration.Integration) {
	in.Enabled = true
	in.Planner = s.Planner()
	in.Workers = func(w *river.Workers) { s.Register(w) }
	in.Prepare = s.Schedule
}
