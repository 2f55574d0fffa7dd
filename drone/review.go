package drone

import (
	"context"
	"time"
)

// EntryReview records that a post-incident review was drafted or redrafted:
// its data names the version.
const EntryReview = "review"

// Review is one version of an incident's post-incident review, rendered
// from the review template as Markdown and HTML.
type Review struct {
	IncidentID string    `json:"incident_id"`
	Version    int       `json:"version"` // 1, 2, ... per incident
	CreatedAt  time.Time `json:"created_at"`
	Author     Actor     `json:"author"`
	Markdown   string    `json:"markdown"`
	HTML       string    `json:"html"`
}

// Review returns the latest review of an incident (ENOTFOUND when none).
func (s *Service) Review(ctx context.Context, incidentID string) (*Review, error) {
	return s.Store.Review(ctx, incidentID)
}
