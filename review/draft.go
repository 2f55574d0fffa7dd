// Package review drafts the post-incident review of a resolved incident:
// summary, impact, the key events of its timeline, its indicators, the
// DRONE measures, blank sections for what went well and what did not, the
// follow-up actions and the roles. It renders a replaceable template
// (configs/templates/review.md.tmpl) to Markdown and HTML and keeps each
// version in the store through drone.Service; the chat integrations post
// it to the incident's channel and TheHive attaches it to the case, on the
// timeline entry (drone.EntryReview) the saving records.
package review

import (
	"context"
	"fmt"
	"time"

	"github.com/ttp0/drone/drone"
)

// Actor is who drafts the reviews drone writes by itself, on resolution.
var Actor = drone.Actor{Platform: "drone", ID: "review", Name: "drone"}

// Drafter drafts reviews with a template.
type Drafter struct {
	svc    *drone.Service
	render *Renderer
}

// NewDrafter returns a drafter over svc rendering with r.
func NewDrafter(svc *drone.Service, r *Renderer) *Drafter {
	return &Drafter{svc: svc, render: r}
}

// Draft drafts a new version of an incident's review for a person, who
// needs the permission to update incidents, and keeps it.
func (d *Drafter) Draft(ctx context.Context, a drone.Actor, o drone.Origin, number int64) (*drone.Review, error) {
	md, html, err := d.Render(ctx, a, number)
	if err != nil {
		return nil, err
	}
	return d.svc.SaveReview(ctx, a, o, number, md, html)
}

// DraftOnResolution is Draft for drone itself, when an incident is
// resolved: it needs no role.
func (d *Drafter) DraftOnResolution(ctx context.Context, number int64) (*drone.Review, error) {
	md, html, err := d.Render(ctx, Actor, number)
	if err != nil {
		return nil, err
	}
	return d.svc.SaveDraftedReview(ctx, Actor, number, md, html)
}

// Render renders the review of an incident as it stands, as the next
// version by author, without keeping it.
func (d *Drafter) Render(ctx context.Context, author drone.Actor, number int64) (markdown, html string, err error) {
	src, err := d.source(ctx, author, number)
	if err != nil {
		return "", "", err
	}
	md, html, err := d.render.Render(newView(src))
	if err != nil {
		return "", "", drone.Permanent(fmt.Errorf("drafting the review of INC-%d: %w", number, err))
	}
	return md, html, nil
}

// source reads what a review is drafted from.
func (d *Drafter) source(ctx context.Context, author drone.Actor, number int64) (source, error) {
	rec, err := d.svc.Get(ctx, number)
	if err != nil {
		return source{}, fmt.Errorf("reading INC-%d: %w", number, err)
	}
	acts, err := d.svc.FollowUps(ctx, drone.FollowUpFilter{IncidentID: rec.Incident.ID})
	if err != nil {
		return source{}, fmt.Errorf("reading the follow-up actions of INC-%d: %w", number, err)
	}
	version := 1
	last, err := d.svc.Review(ctx, rec.Incident.ID)
	switch {
	case err == nil:
		version = last.Version + 1
	case drone.ErrorCode(err) != drone.ENOTFOUND:
		return source{}, fmt.Errorf("reading the last review of INC-%d: %w", number, err)
	}
	return source{inc: rec.Incident, timeline: rec.Timeline, obs: rec.Observables, actions: acts,
		target: d.svc.Targets[rec.Incident.Severity], author: author, now: d.now(), version: version}, nil
}

func (d *Drafter) now() time.Time {
	if d.svc.Now != nil {
		return d.svc.Now()
	}
	return time.Now()
}
