package drone

import (
	"context"
	"encoding/json"
	"fmt"
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

// FileName is the name of the review's file, with extension ext ("md",
// "html"): INC-7-review-v2.md. Every integration that sends it names it so.
func (r *Review) FileName(inc *Incident, ext string) string {
	return fmt.Sprintf("%s-review-v%d.%s", inc.Ref(), r.Version, ext)
}

// ReviewFile is one file of a review as the integrations send it.
type ReviewFile struct {
	Name, ContentType, Body string
}

// Files returns the review's files, the Markdown first, leaving out an
// empty one.
func (r *Review) Files(inc *Incident) []ReviewFile {
	var out []ReviewFile
	for _, f := range []struct{ ext, ctype, body string }{
		{"md", "text/markdown; charset=utf-8", r.Markdown}, {"html", "text/html; charset=utf-8", r.HTML}} {
		if f.body != "" {
			out = append(out, ReviewFile{Name: r.FileName(inc, f.ext), ContentType: f.ctype, Body: f.body})
		}
	}
	return out
}

// ReviewVersion reads the version a review entry (EntryReview) names.
func ReviewVersion(e Entry) (int, bool) {
	var d struct {
		Version int `json:"version"`
	}
	if e.Kind != EntryReview || json.Unmarshal(e.Data, &d) != nil || d.Version < 1 {
		return 0, false
	}
	return d.Version, true
}

// Review returns the latest review of an incident (ENOTFOUND when none).
func (s *Service) Review(ctx context.Context, incidentID string) (*Review, error) {
	return s.Store.Review(ctx, incidentID)
}

// SaveReview keeps a new version of an incident's review, rendered by the
// caller from the incident as it stands, for a person who asked for it:
// it needs the permission to update incidents. It records the version on
// the timeline (EntryReview, data {"version": n}) in the same transaction,
// so that the planners post and attach the version they are told of.
func (s *Service) SaveReview(ctx context.Context, a Actor, o Origin, number int64, markdown, html string) (*Review, error) {
	return s.saveReview(ctx, a, o, number, PermUpdate, markdown, html)
}

// SaveDraftedReview is SaveReview for drone's own drafting when an
// incident is resolved: like SetExternal it needs no role.
func (s *Service) SaveDraftedReview(ctx context.Context, a Actor, number int64, markdown, html string) (*Review, error) {
	return s.saveReview(ctx, a, Origin{Channel: a.Platform}, number, "", markdown, html)
}

func (s *Service) saveReview(ctx context.Context, a Actor, o Origin, number int64, p Permission, markdown, html string) (*Review, error) {
	if markdown == "" {
		return nil, Errorf(EINVALID, "a review needs content: the review template rendered nothing")
	}
	var out *Review
	err := s.change(ctx, a, o, number, p, func(tx Tx, inc *Incident) error {
		r := &Review{IncidentID: inc.ID, CreatedAt: s.now(), Author: a, Markdown: markdown, HTML: html}
		if err := tx.SaveReview(ctx, r); err != nil {
			return err
		}
		out = r
		text := fmt.Sprintf("%s drafted the post-incident review of %s (version %d)", a, inc.Ref(), r.Version)
		return s.record(ctx, tx, inc, a, o, EntryReview, text, map[string]int{"version": r.Version}, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("saving the review of INC-%d: %w", number, err)
	}
	return out, nil
}
