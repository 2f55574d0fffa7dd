package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/queue"
)

// Job kinds of the queue.
const (
	// KindOpen creates an incident's channel, invites its people and posts
	// the notification there.
	KindOpen = "slack.open"
	// KindEvent edits the notification after a change and posts the change
	// in its thread.
	KindEvent = "slack.event"
	// KindInvite invites a new lead or role holder to the incident's
	// channel.
	KindInvite = "slack.invite"
)

// Queue timing: how long a change waits for its incident's channel to
// exist, and how often it looks.
const (
	channelWait  = 2 * time.Minute
	channelRetry = 5 * time.Second
)

// worker is who the jobs act as on the timeline.
var worker = drone.Actor{Platform: "slack", ID: "drone", Name: "drone (Slack)"}

type openArgs struct {
	IncidentID string `json:"incident_id"`
}

func (openArgs) Kind() string { return KindOpen }

type eventArgs struct {
	IncidentID string `json:"incident_id"`
	Seq        int64  `json:"seq"`
	EntryKind  string `json:"entry_kind"`
	Text       string `json:"text"` // what to post in the thread
}

func (eventArgs) Kind() string { return KindEvent }

type inviteArgs struct {
	IncidentID string `json:"incident_id"`
	User       string `json:"user"` // a Slack user id
}

func (inviteArgs) Kind() string { return KindInvite }

// Planner plans Slack's jobs: a declared incident gets its channel; every
// later change (drone.ChangesIncident) edits the notification and is posted
// in its thread.
func (h *Handler) Planner() drone.Planner {
	return drone.PlannerFunc(func(e drone.Event) []drone.Job {
		id := e.Incident.ID
		switch {
		case e.Kind == drone.EntryReminder:
			return planRemind(e)
		case e.Kind == drone.EntryDeclared:
			return []drone.Job{{Kind: KindOpen, Args: openArgs{IncidentID: id}, UniqueKey: KindOpen + ":" + id}}
		case e.Kind == drone.EntryReview:
			return reviewJob(e)
		case drone.ChangesIncident(e.Kind) || e.Kind == drone.EntryAccessRequest:
			args := eventArgs{IncidentID: id, Seq: e.Entry.Seq, EntryKind: e.Kind, Text: threadText(e)}
			jobs := []drone.Job{{Kind: KindEvent, Args: args, UniqueKey: fmt.Sprintf("%s:%s:%d", KindEvent, id, e.Entry.Seq)}}
			if user := slackID(drone.NewHolder(e)); user != "" {
				// Unique per person and incident: handing them a second
				// role invites nobody twice.
				jobs = append(jobs, drone.Job{Kind: KindInvite, Args: inviteArgs{IncidentID: id, User: user},
					UniqueKey: KindInvite + ":" + id + ":" + user})
			}
			return jobs
		}
		return nil
	})
}

// refNames say the Slack references for people.
var refNames = map[string]string{KeyChannel: "channel", KeyTS: "notification"}

// awaitRefs reports whether the incident has the Slack references keys
// (its channel, its notification) that a job needs. While the job that
// makes them may still run (channelWait after this job was created) it
// asks the queue to wait; past that it logs that the incident has no
// what and ends the job (ok false, no error).
func (h *Handler) awaitRefs(inc *drone.Incident, created time.Time, what string, keys ...string) (ok bool, err error) {
	for _, k := range keys {
		if inc.External[k] != "" {
			continue
		}
		if time.Since(created) < channelWait {
			return false, drone.RetryAfter(channelRetry, fmt.Errorf("%s has no Slack %s yet", inc.Ref(), refNames[k]))
		}
		h.log.Warn("slack: incident has no "+what, "incident", inc.Ref())
		return false, nil
	}
	return true, nil
}

// slackID is the Slack user of an identity "slack:U…", or "".
func slackID(identity string) string {
	id, _ := strings.CutPrefix(identity, "slack:")
	if id == identity {
		return ""
	}
	return id
}

// threadText is the thread's message about a change: the timeline's
// sentence, and the indicators added, defanged.
func threadText(e drone.Event) string {
	text := e.Entry.Text
	const most = 20
	for i, o := range e.Observables {
		if i == most {
			text += fmt.Sprintf("\nand %d more", len(e.Observables)-most)
			break
		}
		text += "\n• " + string(o.Type) + " " + ioc.Defang(o.Type, o.Value)
		if o.Internal {
			text += " (internal)"
		}
	}
	return text
}

// Register adds Slack's queue workers.
func (h *Handler) Register(w *river.Workers) {
	river.AddWorker(w, &openWorker{h: h})
	river.AddWorker(w, &eventWorker{h: h})
	river.AddWorker(w, &remindWorker{h: h})
	river.AddWorker(w, &reviewWorker{h: h})
	river.AddWorker(w, &timelineWorker{h: h})
	river.AddWorker(w, &inviteWorker{h: h})
}

type inviteWorker struct {
	river.WorkerDefaults[inviteArgs]
	h *Handler
}

func (w *inviteWorker) Work(ctx context.Context, job *river.Job[inviteArgs]) error {
	release, err := w.h.jobSlot(ctx)
	if err != nil {
		return queue.Steer(err)
	}
	defer release()
	return queue.Steer(classify(w.h.inviteHolder(ctx, job.Args, job.CreatedAt)))
}

// inviteHolder invites a new role holder to the incident's channel, once
// it exists. Someone already in it is no error (a retry, or a responder);
// someone Slack will not invite is logged, not retried.
func (h *Handler) inviteHolder(ctx context.Context, a inviteArgs, created time.Time) error {
	inc, err := h.svc.IncidentByID(ctx, a.IncidentID)
	if err != nil {
		return err
	}
	if ok, err := h.awaitRefs(inc, created, "channel to invite its people to", KeyChannel); !ok {
		return err
	}
	channel := inc.External[KeyChannel]
	if a.User == h.bot().userID {
		return nil
	}
	err = h.inviteUsers(ctx, channel, []string{a.User})
	if hopeless(err) {
		h.log.Warn("slack: inviting a role holder to an incident channel", "incident", inc.Ref(), "user", a.User, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("inviting %s to the channel of %s: %w", a.User, inc.Ref(), err)
	}
	return nil
}

type openWorker struct {
	river.WorkerDefaults[openArgs]
	h *Handler
}

func (w *openWorker) Work(ctx context.Context, job *river.Job[openArgs]) error {
	release, err := w.h.jobSlot(ctx)
	if err != nil {
		return queue.Steer(err)
	}
	defer release()
	return queue.Steer(classify(w.h.open(ctx, job.Args.IncidentID)))
}

type eventWorker struct {
	river.WorkerDefaults[eventArgs]
	h *Handler
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[eventArgs]) error {
	release, err := w.h.jobSlot(ctx)
	if err != nil {
		return queue.Steer(err)
	}
	defer release()
	return queue.Steer(classify(w.h.change(ctx, job.Args, job.CreatedAt)))
}

// maxJobs bounds the Slack jobs worked at once. Slack's rate limits on
// conversations.create and conversations.invite (about 20 a minute) make
// more pointless, and each job takes the store's only connection a few
// times, which requests waiting for an answer also need.
const maxJobs = 4

// jobSlot waits for one of the maxJobs slots; the job gives it back with
// release. A job still waiting when drone stops is snoozed, not failed.
func (h *Handler) jobSlot(ctx context.Context) (release func(), err error) {
	select {
	case h.jobs <- struct{}{}:
		return func() { <-h.jobs }, nil
	case <-ctx.Done():
		return nil, drone.RetryAfter(0, fmt.Errorf("waiting for a Slack job slot: %w", ctx.Err()))
	}
}

// LockChannel is the purpose of the lock an open job holds on its incident
// (drone.Service.Lock): across every drone process, one job at a time
// creates an incident's channel, so that an attempt still running on one
// replica and its rescue on another cannot both miss it and both make one.
const LockChannel = "slack.channel"

// open creates the incident's channel (private from AMBER+STRICT up, and
// for a private incident), invites the reporter, its lead and role holders
// and (unless it is private) the responders, and posts the notification.
// Each step records what it made, so a retried job goes on where it failed.
// It holds the incident's LockChannel throughout, and reads the incident
// once it holds it.
func (h *Handler) open(ctx context.Context, incidentID string) error {
	unlock, err := h.svc.Lock(ctx, LockChannel, incidentID)
	if err != nil {
		return drone.RetryAfter(0, fmt.Errorf("waiting for another opening of the channel of incident %s: %w", incidentID, err))
	}
	defer unlock()
	inc, err := h.svc.IncidentByID(ctx, incidentID)
	if err != nil {
		return err
	}
	channel := inc.External[KeyChannel]
	if channel == "" {
		ch, err := h.createChannel(ctx, inc)
		if err != nil {
			return err
		}
		channel = ch.ID
		text := fmt.Sprintf("Slack channel #%s created for %s", ch.Name, inc.Ref())
		if err := h.svc.SetExternal(ctx, worker, inc.ID, map[string]string{KeyChannel: channel}, text); err != nil {
			return fmt.Errorf("recording the channel of %s: %w", inc.Ref(), err)
		}
	}
	if err := h.invite(ctx, channel, inc); err != nil {
		return err
	}
	if inc.External[KeyTS] != "" {
		return nil
	}
	rec, err := h.svc.Get(ctx, inc.Number)
	if err != nil {
		return err
	}
	n := drone.BuildNotice(rec, drone.EntryDeclared, drone.AudienceResponders, h.now())
	if err := h.pace.wait(ctx, channel); err != nil {
		return err
	}
	_, ts, err := h.api.PostMessageContext(ctx, channel, slack.MsgOptionText(noticeText(n), false),
		slack.MsgOptionBlocks(noticeBlocks(n)...))
	if err != nil {
		return fmt.Errorf("posting the notification of %s: %w", inc.Ref(), err)
	}
	err = h.svc.SetExternal(ctx, worker, inc.ID, map[string]string{KeyTS: ts}, "Security Incident Notification posted in Slack")
	if err != nil {
		return fmt.Errorf("recording the notification of %s: %w", inc.Ref(), err)
	}
	return nil
}

// createChannel creates the channel named by the pattern. When the name is
// taken, the channel is this job's own if an earlier attempt made it and
// died before recording it (drone's bot made it, after the declaration):
// it is taken up. Otherwise (an older channel) a suffix from the incident
// id makes the name unique.
func (h *Handler) createChannel(ctx context.Context, inc *drone.Incident) (*slack.Channel, error) {
	name := ChannelName(h.cfg.ChannelName, inc)
	private := strings.EqualFold(inc.TLP, "AMBER+STRICT") || h.svc.IsPrivate(inc)
	ch, err := h.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: private})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "name_taken" {
		if own, ferr := h.ownChannel(ctx, name, inc); ferr != nil || own != nil {
			return own, ferr
		}
		id := strings.ReplaceAll(inc.ID, "-", "")
		name = trimName(name, maxChannelName-7) + "-" + id[len(id)-6:]
		ch, err = h.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: private})
	}
	if err != nil {
		return nil, fmt.Errorf("creating channel #%s for %s: %w", name, inc.Ref(), err)
	}
	return ch, nil
}

// ownChannel finds the channel called name that drone's bot created for
// inc since it was declared, or nil.
func (h *Handler) ownChannel(ctx context.Context, name string, inc *drone.Incident) (*slack.Channel, error) {
	if h.bot().userID == "" { // drone deliver never ran auth.test
		if err := h.whoami(ctx); err != nil {
			return nil, err
		}
		if h.bot().userID == "" {
			return nil, fmt.Errorf("cannot tell whether channel #%s is drone's own: Slack's auth.test did not answer", name)
		}
	}
	since := inc.DeclaredAt.Add(-time.Minute) // Slack's clock may run behind ours
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"},
		ExcludeArchived: true, Limit: 1000}
	for {
		chans, next, err := h.api.GetConversationsContext(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("looking for channel #%s of %s: %w", name, inc.Ref(), err)
		}
		for i := range chans {
			c := &chans[i]
			if c.Name == name && c.Creator == h.bot().userID && !c.Created.Time().Before(since) {
				return c, nil
			}
		}
		if next == "" {
			return nil, nil
		}
		params.Cursor = next
	}
}

// invite invites the incident's people (its reporter, lead and role
// holders who are Slack users) and, unless it is private, the responders,
// user groups expanded to their members. Slack refuses a whole invitation for
// one bad user, so a refused one is retried a user at a time; someone
// Slack will not invite (a deactivated user) is logged, not retried: the
// channel is still useful.
func (h *Handler) invite(ctx context.Context, channel string, inc *drone.Incident) error {
	users, err := h.invitees(ctx, inc)
	if err != nil || len(users) == 0 {
		return err
	}
	err = h.inviteUsers(ctx, channel, users)
	if hopeless(err) && len(users) > 1 {
		for _, u := range users {
			if err := h.inviteUsers(ctx, channel, []string{u}); hopeless(err) {
				h.log.Warn("slack: inviting to an incident channel", "incident", inc.Ref(), "user", u, "err", err)
			} else if err != nil {
				return fmt.Errorf("inviting to the channel of %s: %w", inc.Ref(), err)
			}
		}
		return nil
	}
	if hopeless(err) {
		h.log.Warn("slack: inviting to an incident channel", "incident", inc.Ref(), "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("inviting to the channel of %s: %w", inc.Ref(), err)
	}
	return nil
}

// inviteUsers invites users; already being in the channel is no error.
func (h *Handler) inviteUsers(ctx context.Context, channel string, users []string) error {
	_, err := h.api.InviteUsersToConversationContext(ctx, channel, users...)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "already_in_channel" {
		return nil
	}
	return err
}

// hopeless reports whether Slack refused with an error it will give again.
func hopeless(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && !transient(se.Err)
}

func (h *Handler) invitees(ctx context.Context, inc *drone.Incident) ([]string, error) {
	seen := map[string]bool{}
	var users []string
	add := func(id string) {
		if id != "" && !seen[id] && id != h.bot().userID {
			seen[id] = true
			users = append(users, id)
		}
	}
	// The incident's people: its reporter, lead, role holders and members.
	for _, m := range inc.Members() {
		if id, ok := strings.CutPrefix(m, "slack:"); ok {
			add(id)
		}
	}
	if h.svc.IsPrivate(inc) {
		return users, nil // only those invited to it, not every responder
	}
	for _, r := range h.cfg.Responders {
		if !strings.HasPrefix(r, "S") {
			add(r)
			continue
		}
		members, err := h.api.GetUserGroupMembersContext(ctx, r)
		if err != nil {
			var se slack.SlackErrorResponse
			if errors.As(err, &se) && !transient(se.Err) {
				h.log.Warn("slack: reading a responders' user group", "group", r, "err", se.Err)
				continue
			}
			return nil, fmt.Errorf("reading user group %s: %w", r, err)
		}
		for _, m := range members {
			add(m)
		}
	}
	return users, nil
}

// change edits the notification to the incident's current state and posts
// the change in its thread. Until the channel and notification exist (the
// open job may still be running) it waits a little.
func (h *Handler) change(ctx context.Context, a eventArgs, created time.Time) error {
	inc, err := h.svc.IncidentByID(ctx, a.IncidentID)
	if err != nil {
		return err
	}
	if ok, err := h.awaitRefs(inc, created, "notification to update", KeyChannel, KeyTS); !ok {
		return err
	}
	channel, ts := inc.External[KeyChannel], inc.External[KeyTS]
	if a.EntryKind == drone.EntryAccessRequest {
		return h.postAccessRequest(ctx, inc, channel, a.Text)
	}
	rec, err := h.svc.Get(ctx, inc.Number)
	if err != nil {
		return err
	}
	n := drone.BuildNotice(rec, a.EntryKind, drone.AudienceResponders, h.now())
	if err := h.pace.wait(ctx, channel); err != nil {
		return err
	}
	_, _, _, err = h.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(noticeText(n), false),
		slack.MsgOptionBlocks(noticeBlocks(n)...))
	if err != nil {
		return fmt.Errorf("updating the notification of %s: %w", inc.Ref(), err)
	}
	if err := h.pace.wait(ctx, channel); err != nil {
		return err
	}
	_, _, err = h.api.PostMessageContext(ctx, channel, slack.MsgOptionText(mentions(escape(a.Text)), false),
		slack.MsgOptionTS(ts))
	if err != nil {
		return fmt.Errorf("posting a change of %s in its thread: %w", inc.Ref(), err)
	}
	return nil
}

// postAccessRequest tells the lead, in the incident's channel, that
// someone asks to be let in, with the command that does it.
func (h *Handler) postAccessRequest(ctx context.Context, inc *drone.Incident, channel, text string) error {
	if inc.Lead != "" {
		text = inc.Lead + ": " + text
	}
	if err := h.pace.wait(ctx, channel); err != nil {
		return err
	}
	_, _, err := h.api.PostMessageContext(ctx, channel, slack.MsgOptionText(mentions(escape(text)), false))
	if err != nil {
		return fmt.Errorf("posting an access request for %s: %w", inc.Ref(), err)
	}
	return nil
}

// transient reports whether an ok:false error of the Web API may pass.
func transient(code string) bool {
	switch code {
	case "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org":
		return true
	}
	return false
}

// classify says a Slack failure in drone's words, for the queue
// (queue.Steer) and for notify: a 429 or a busy channel waits as long as
// asked (without using up an attempt), an error Slack will give again (a
// missing scope, a channel gone, a 4xx but 408) is permanent, anything else
// is retried with backoff.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var busy *busyError
	if errors.As(err, &busy) {
		return drone.RetryAfter(busy.After, err)
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return drone.RetryAfter(max(rl.RetryAfter, time.Second), err)
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && !transient(se.Err) {
		return drone.Permanent(err)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusRequestTimeout {
		return drone.Permanent(err)
	}
	return err
}

// maxChannelName is Slack's limit on channel names.
const maxChannelName = 80

var (
	nonSlug    = regexp.MustCompile(`[^a-z0-9]+`)
	nonName    = regexp.MustCompile(`[^a-z0-9_-]+`)
	runsHyphen = regexp.MustCompile(`-{2,}`)
)

// ChannelName fills a channel name pattern for an incident: each
// placeholder becomes lower-case letters, digits and hyphens, as Slack's
// channel names allow, within 80 characters.
func ChannelName(pattern string, inc *drone.Incident) string {
	slug := func(s string) string { return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-") }
	r := strings.NewReplacer("{number}", strconv.FormatInt(inc.Number, 10), "{category}", slug(inc.Category),
		"{subcontext}", slug(inc.SubContext), "{severity}", slug(inc.SeverityName), "{tier}", slug(inc.Tier),
		"{zone}", slug(inc.Zone), "{bu}", slug(inc.BusinessUnit), "{tlp}", slug(inc.TLP))
	name := strings.ToLower(r.Replace(pattern))
	name = nonName.ReplaceAllString(name, "-")
	name = runsHyphen.ReplaceAllString(name, "-")
	name = strings.Trim(name, "-_")
	if name == "" {
		name = "inc-" + strconv.FormatInt(inc.Number, 10)
	}
	return trimName(name, maxChannelName)
}

func trimName(name string, n int) string {
	if len(name) <= n {
		return name
	}
	return strings.TrimRight(name[:n], "-_")
}
