package review

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/integration"
	"github.com/ttp0/drone/queue"
)

// Config configures the post-incident review.
type Config struct {
	// Template is a text/template file writing the review in Markdown,
	// given a review.View. Defaults to the shipped one
	// (configs/templates/review.md.tmpl).
	Template string `yaml:"template"`
	// Manual, when true, drafts reviews only when asked (review INC-n
	// draft, drone review INC-n --draft). Defaults to false: a review is
	// drafted each time an incident is resolved.
	Manual bool `yaml:"manual"`
}

// Validate checks that the template parses, naming its file and line.
func (c Config) Validate() error {
	_, err := NewRenderer(c.Template)
	return err
}

// DraftKind is the kind of the job that drafts a review on resolution.
const DraftKind = "review.draft"

// DraftArgs are a review.draft job's: the incident and when it was
// resolved, so that an incident reopened and resolved again is drafted
// again, while a retried change drafts once.
type DraftArgs struct {
	IncidentID string    `json:"incident_id"`
	Number     int64     `json:"number"`
	ResolvedAt time.Time `json:"resolved_at"`
}

// Kind returns DraftKind.
func (DraftArgs) Kind() string { return DraftKind }

// Integration drafts a review when an incident is resolved (or closed
// without being resolved first) and answers the chat command review.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		r, err := NewRenderer(cfg.Template)
		if err != nil {
			return nil, fmt.Errorf("review.template: %w", err)
		}
		d := NewDrafter(env.Service, r)
		in := &integration.Integration{Name: "Post-incident review", Enabled: true,
			Extensions: []drone.Extension{d.Extension()},
			Workers:    func(w *river.Workers) { river.AddWorker(w, queue.WorkFunc(d.work)) }}
		if !cfg.Manual {
			in.Planner = Planner{}
		}
		return in, nil
	}
}

// Planner plans a review.draft job when an incident reaches resolved or
// closed. Its zero value is ready to use.
type Planner struct{}

var _ drone.Planner = Planner{}

// Plan returns the draft job of a resolution, unique by incident and
// resolution time.
func (Planner) Plan(e drone.Event) []drone.Job {
	if e.Kind != drone.EntryStatus || e.Incident == nil || e.Incident.ResolvedAt == nil || !resolves(e.Entry) {
		return nil
	}
	at := e.Incident.ResolvedAt.UTC()
	args := DraftArgs{IncidentID: e.Incident.ID, Number: e.Incident.Number, ResolvedAt: at}
	return []drone.Job{{Kind: DraftKind, Args: args,
		UniqueKey: fmt.Sprintf("%s:%s:%d", DraftKind, args.IncidentID, at.UnixMicro())}}
}

// resolves reports whether a status entry moved its incident to resolved
// or closed: its data holds the fields the change altered.
func resolves(e drone.Entry) bool {
	var d struct {
		Status drone.Status `json:"status"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return false
	}
	return d.Status == drone.StatusResolved || d.Status == drone.StatusClosed
}

// work drafts the review of a resolution unless one was kept since: an
// earlier attempt that saved it and lost its job's completion, or a person
// who drafted it first.
func (d *Drafter) work(ctx context.Context, job *river.Job[DraftArgs]) error {
	last, err := d.svc.Review(ctx, job.Args.IncidentID)
	switch {
	case err == nil && !last.CreatedAt.Before(job.Args.ResolvedAt):
		return nil
	case err != nil && drone.ErrorCode(err) != drone.ENOTFOUND:
		return fmt.Errorf("reading the last review of INC-%d: %w", job.Args.Number, err)
	}
	_, err = d.DraftOnResolution(ctx, job.Args.Number)
	return err
}

// Extension is the chat command review: the latest review's summary, or a
// new draft.
func (d *Drafter) Extension() drone.Extension {
	return drone.Extension{
		CommandSpec: drone.CommandSpec{Name: "review", Usage: "review [INC-n] [draft]",
			Summary: "show the post-incident review (draft: draft it again now; the file is posted to the incident's channel)"},
		Options: []drone.ExtensionOption{
			{Name: "incident", Description: "The incident (INC-n)", Incident: true},
			{Name: "draft", Description: "Type draft to draft the review again now", MaxLength: 5},
		},
		Run: d.run,
	}
}

func (d *Drafter) run(ctx context.Context, a drone.Actor, o drone.Origin, cmd drone.Command) (*drone.Reply, error) {
	if cmd.Ref == 0 {
		return nil, drone.Errorf(drone.EINVALID, "which incident? Name it (review INC-n) or use the command in the incident's channel")
	}
	redraft := false
	switch strings.ToLower(strings.Join(cmd.Args, " ")) {
	case "":
	case "draft", "redraft", "--draft":
		redraft = true
	default:
		return nil, drone.Errorf(drone.EINVALID, "usage: review [INC-n] [draft]")
	}
	inc, err := d.svc.Incident(ctx, cmd.Ref)
	if err != nil {
		return nil, err
	}
	r, err := d.svc.Review(ctx, inc.ID)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		redraft = true
	} else if err != nil {
		return nil, err
	}
	if redraft {
		if r, err = d.Draft(ctx, a, o, cmd.Ref); err != nil {
			return nil, err
		}
	}
	outline, err := d.outline(ctx, a, cmd.Ref)
	if err != nil {
		return nil, err
	}
	if redraft {
		return &drone.Reply{Text: fmt.Sprintf("Drafted the post-incident review of %s (version %d): %s is posted to the incident's channel. %s",
			inc.Ref(), r.Version, r.FileName(inc, "md"), outline), Incident: inc, Public: true}, nil
	}
	return &drone.Reply{Text: fmt.Sprintf("Post-incident review of %s, version %d, drafted %s by %s: %s is in the incident's channel. %s\nDraft it again with: review %s draft",
		inc.Ref(), r.Version, r.CreatedAt.UTC().Format(timeFormat), r.Author, r.FileName(inc, "md"), outline, inc.Ref()),
		Incident: inc}, nil
}

// outline says in a line what the incident's review covers, for a chat
// reply: its key events and its follow-up actions.
func (d *Drafter) outline(ctx context.Context, a drone.Actor, number int64) (string, error) {
	src, err := d.source(ctx, a, number)
	if err != nil {
		return "", err
	}
	open := 0
	for _, ac := range src.actions {
		if ac.Open() {
			open++
		}
	}
	return fmt.Sprintf("It holds %d key event(s) and %d follow-up action(s), %d open.",
		len(keyEvents(src.timeline)), len(src.actions), open), nil
}
