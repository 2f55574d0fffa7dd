package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// Job kinds of the adapter.
const (
	KindSpace  = "discord.space"  // open an incident's channel or thread and post its notice
	KindNotice = "discord.notice" // edit the notice after a change
	// KindTimeline puts a message on an incident's timeline, or takes it
	// off, for a reaction or pin event of the gateway.
	KindTimeline = "discord.timeline"
)

// spaceArgs are the arguments of a discord.space job.
type spaceArgs struct {
	IncidentID string `json:"incident_id"`
	GuildID    string `json:"guild_id"`
}

// Kind implements river.JobArgs.
func (spaceArgs) Kind() string { return KindSpace }

// noticeArgs are the arguments of a discord.notice job.
type noticeArgs struct {
	IncidentID string `json:"incident_id"`
	// Lead is the Discord user id of a new lead or role holder, who is
	// given access to the incident's channel.
	Lead string `json:"lead,omitempty"`
	// Post, when set, is a message for the incident's space instead of an
	// edit of its notice (an access request, for the lead), and Mention
	// the Discord user it mentions.
	Post    string `json:"post,omitempty"`
	Mention string `json:"mention,omitempty"`
}

// Kind implements river.JobArgs.
func (noticeArgs) Kind() string { return KindNotice }

// Plan turns incident events into Discord jobs: a declaration opens the
// incident's space, a change of the incident (drone.ChangesIncident) edits
// its notice. It
// implements drone.Planner.
func (a *Adapter) Plan(e drone.Event) []drone.Job {
	inc := e.Incident
	if e.Kind == drone.EntryReminder {
		return planRemind(e)
	}
	if e.Kind == drone.EntryDeclared {
		guild := orElse(guildOf(e.Entry.Origin), a.cfg.GuildID)
		if guild == "" {
			return nil // declared elsewhere, and no guild to open a channel in
		}
		return []drone.Job{{Kind: KindSpace, Args: spaceArgs{IncidentID: inc.ID, GuildID: guild}, UniqueKey: KindSpace + ":" + inc.ID}}
	}
	if e.Kind == drone.EntryReview {
		if inc.External[KeyChannel] == "" {
			return nil // no space on Discord: the incident lives elsewhere
		}
		return reviewJob(e)
	}
	if e.Kind == drone.EntryAccessRequest && inc.External[KeyChannel] != "" {
		args := noticeArgs{IncidentID: inc.ID, Post: e.Entry.Text}
		args.Mention, _ = strings.CutPrefix(inc.Lead, "discord:")
		return []drone.Job{{Kind: KindNotice, Args: args, UniqueKey: fmt.Sprintf("%s:%s:%d", KindNotice, inc.ID, e.Entry.Seq)}}
	}
	if !drone.ChangesIncident(e.Kind) {
		return nil
	}
	args := noticeArgs{IncidentID: inc.ID}
	if holder, ok := strings.CutPrefix(drone.NewHolder(e), "discord:"); ok && isSnowflake(holder) {
		args.Lead = holder
	}
	// Before the space has its notice, its job renders the latest state
	// itself once the notice is posted; but a new holder is let in by a job
	// of their own, which waits for the space: the space job may have read
	// the incident before they took their role.
	if inc.External[KeyMessage] == "" && args.Lead == "" {
		return nil
	}
	return []drone.Job{{Kind: KindNotice, Args: args, UniqueKey: fmt.Sprintf("%s:%s:%d", KindNotice, inc.ID, e.Entry.Seq)}}
}

// How long a job that needs an incident's space (letting someone in,
// posting a review) waits for the space job to make it, and how often it
// looks.
const (
	spaceWait  = 2 * time.Minute
	spaceRetry = 5 * time.Second
)

var _ drone.Planner = (*Adapter)(nil)

// Register adds the adapter's workers to the queue.
func (a *Adapter) Register(w *river.Workers) {
	river.AddWorker(w, &spaceWorker{a: a})
	river.AddWorker(w, &noticeWorker{a: a})
	river.AddWorker(w, &remindWorker{a: a})
	river.AddWorker(w, &reviewWorker{a: a})
	river.AddWorker(w, &timelineWorker{a: a})
}

type spaceWorker struct {
	river.WorkerDefaults[spaceArgs]
	a *Adapter
}

// Work opens the space of an incident.
func (w *spaceWorker) Work(ctx context.Context, job *river.Job[spaceArgs]) error {
	return w.a.jobError(w.a.openSpace(ctx, job.Args))
}

type noticeWorker struct {
	river.WorkerDefaults[noticeArgs]
	a *Adapter
}

// Work edits the notice of an incident.
func (w *noticeWorker) Work(ctx context.Context, job *river.Job[noticeArgs]) error {
	inc, err := w.a.svc.IncidentByID(ctx, job.Args.IncidentID)
	if err != nil {
		return w.a.jobError(err)
	}
	if job.Args.Post != "" {
		return w.a.jobError(w.a.postInSpace(ctx, inc, job.Args.Post, job.Args.Mention))
	}
	if job.Args.Lead != "" && isSnowflake(job.Args.Lead) {
		if inc.External[KeyChannel] == "" {
			if time.Since(job.CreatedAt) < spaceWait {
				return w.a.jobError(drone.RetryAfter(spaceRetry, fmt.Errorf("%s has no Discord space yet", inc.Ref())))
			}
			w.a.log.Warn("discord: incident has no space to let its people into", "incident", inc.Ref())
			return nil
		}
		if err := w.a.admit(ctx, inc, job.Args.Lead); err != nil {
			return w.a.jobError(err)
		}
	}
	return w.a.jobError(w.a.refreshNotice(ctx, inc.Number))
}

// jobError is what a job returns for err: it names the URL called, and the
// queue steers it by classify's word.
func (a *Adapter) jobError(err error) error { return queue.Steer(classify(a.limiter.named(err))) }

// classify says a Discord failure in drone's words, for the queue
// (queue.Steer) and for notify: a 429 waits its retry_after (snoozed, which
// costs no attempt), another 4xx but 408 is hopeless and permanent, and so
// are the core's refusals of the job's own request (EINVALID, EFORBIDDEN:
// the core gives them again; ENOTFOUND is permanent for every integration);
// anything else is retried with backoff.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if d, ok := retryAfter(err); ok {
		return drone.RetryAfter(d, err)
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		if c := re.Response.StatusCode; c >= 400 && c < 500 && c != http.StatusRequestTimeout {
			return drone.Permanent(err)
		}
	}
	switch drone.ErrorCode(err) {
	case drone.EINVALID, drone.EFORBIDDEN:
		return drone.Permanent(err)
	}
	return err
}

// retryAfter reads the wait a 429 asks for, from discordgo's error or, when
// discordgo did not read it, from the JSON body.
func retryAfter(err error) (time.Duration, bool) {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return max(rl.RetryAfter, time.Millisecond), true
	}
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	var body struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(re.ResponseBody, &body) != nil || body.RetryAfter < 0 || body.RetryAfter > 3600 {
		return time.Second, true
	}
	return max(time.Duration(body.RetryAfter*float64(time.Second)), time.Millisecond), true
}
