package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/notify/email"
)

// Job kinds of the notifier (the measures' checks and clocks are
// measure.KindCheck and measure.KindClock).
const (
	KindDeliver = "notify.deliver" // one message to one address
	KindDigest  = "notify.digest"  // a scheduled digest
)

// QueueEmail is the queue of e-mail deliveries. A relay is slow (a second
// a message is common) and may hang until its timeout: in a queue of their
// own, its deliveries never hold the workers that Slack, Discord, TheHive
// and the incident channels need.
const QueueEmail = "notify_email"

// laneOf returns the queue of a delivery by its medium ("" is the default
// queue).
func laneOf(medium string) string {
	if medium == drone.MediumEmail {
		return QueueEmail
	}
	return ""
}

// Lanes returns the queues of the notifier's jobs besides the default one,
// with their workers: the e-mail queue, two workers per SMTP session, so
// that a session never waits for a worker to bring its next message.
func (n *Notifier) Lanes() map[string]int {
	return map[string]int{QueueEmail: 2 * n.cfg.Email.Connections}
}

// eventDelivery is the notice to the SOC of a delivery that failed for good.
const eventDelivery = "delivery"

// Notifier routes incident events to targets and delivers them.
type Notifier struct {
	cfg       Config
	svc       *drone.Service
	router    *Router
	media     map[string]drone.Medium // the chat media, by name
	email     *EmailMedium            // nil when e-mail is off
	sender    *email.Sender
	templates *Templates
	redactor  Redactor
	org, soc  string
	log       *slog.Logger
	now       func() time.Time

	mu      sync.Mutex
	records map[string]*cachedRecord
}

// Options configure a Notifier.
type Options struct {
	Config Config
	// Service is drone's core: the notifier reads incidents through it and
	// records missed targets and reminders on their timelines.
	Service *drone.Service
	// Media are the chat media (Slack, Discord) besides e-mail, which the
	// notifier builds from Config.Email.
	Media []drone.Medium
	// EmailTLS, when set, replaces the TLS settings of the SMTP relay.
	EmailTLS *tls.Config
	// Org and SOC name the organisation and its SOC in messages.
	Org, SOC string
	Log      *slog.Logger
	Now      drone.Clock
}

// New returns a Notifier. It creates the table of sent messages if needed.
func New(ctx context.Context, o Options) (*Notifier, error) {
	cfg := o.Config.WithDefaults()
	n := &Notifier{cfg: cfg, svc: o.Service, router: NewRouter(cfg, o.Service.Framework), media: map[string]drone.Medium{},
		redactor: Redactor{Extractor: o.Service.Extractor}, org: o.Org, soc: o.SOC, log: o.Log,
		now: time.Now, records: map[string]*cachedRecord{}}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if o.Now != nil {
		n.now = o.Now
	}
	var err error
	var override fs.FS
	if cfg.Templates != "" {
		override = os.DirFS(cfg.Templates)
	}
	if n.templates, err = NewTemplates(override); err != nil {
		return nil, err
	}
	if cfg.Email.Enabled() {
		if n.sender, err = email.NewSender(cfg.Email, o.EmailTLS); err != nil {
			return nil, err
		}
		n.email = &EmailMedium{Sender: n.sender, Templates: n.templates, Config: cfg.Email, Now: n.now}
	}
	n.UseMedia(o.Media)
	return n, nil
}

// UseMedia adds chat media (Slack, Discord) besides e-mail. Call it before
// the queue starts: the delivery workers read the media without a lock.
func (n *Notifier) UseMedia(media []drone.Medium) {
	for _, m := range media {
		n.media[m.Name()] = m
	}
}

// on reports whether the medium of that name is on.
func (n *Notifier) on(medium string) bool {
	return (medium == drone.MediumEmail && n.email != nil) || n.media[medium] != nil
}

// send sends m to address by the named medium: e-mail renders view with
// the templates, a chat medium renders the notice its own way.
func (n *Notifier) send(ctx context.Context, medium, address string, m *drone.Message, view *View, prev drone.MessageRef) (drone.MessageRef, error) {
	if medium == drone.MediumEmail && n.email != nil {
		return n.email.Send(ctx, address, m, view, prev)
	}
	if chat := n.media[medium]; chat != nil {
		return chat.Send(ctx, address, m, prev)
	}
	return drone.MessageRef{}, fmt.Errorf("no %s medium is on", medium)
}

// Close ends the SMTP sessions kept open.
func (n *Notifier) Close() error {
	if n.sender != nil {
		return n.sender.Close()
	}
	return nil
}

// Templates returns the notifier's templates.
func (n *Notifier) Templates() *Templates { return n.templates }

// Deliveries returns the record of sent messages.
func (n *Notifier) Deliveries(ctx context.Context, incidentID string) ([]drone.Delivery, error) {
	return n.svc.Deliveries(ctx, incidentID)
}

// deliverArgs are the arguments of a notify.deliver job.
type deliverArgs struct {
	IncidentID string `json:"incident_id,omitempty"`
	Seq        int64  `json:"seq,omitempty"`
	Event      string `json:"event"`
	Window     int64  `json:"window,omitempty"`    // unix start of an indicators batch
	DigestAt   int64  `json:"digest_at,omitempty"` // unix time of a digest
	Rule       string `json:"rule,omitempty"`
	Target     string `json:"target"`
	Medium     string `json:"medium"`
	Address    string `json:"address"`
	Audience   string `json:"audience"`
	// Key is the job's unique key, which the store adds to the arguments;
	// it is also the delivery's key in the record of sent messages.
	Key string `json:"unique_key,omitempty"`
}

// Kind implements river.JobArgs.
func (deliverArgs) Kind() string { return KindDeliver }

// digestArgs are the arguments of a notify.digest job.
type digestArgs struct {
	At time.Time `json:"at"`
}

// Kind implements river.JobArgs.
func (digestArgs) Kind() string { return KindDigest }

// Plan turns a timeline change into the deliveries its event routes to.
// It implements drone.Planner. (The checks of the promised times an event
// starts are the measures': measure.Measures.Plan.)
func (n *Notifier) Plan(e drone.Event) []drone.Job {
	var jobs []drone.Job
	inc := e.Incident
	var ds []Delivery
	kind := EventKind(e)
	switch {
	case e.Kind == drone.EntryDelivery && n.cfg.SOC != "":
		kind = eventDelivery
		ds = n.router.RouteTo(nil, []string{n.cfg.SOC}, drone.AudienceResponders, inc)
	case kind == "":
		return jobs
	case kind == EventIndicators && declaredWith(e):
		return jobs // the declaration's own notice lists them
	case kind == EventIndicators:
		return append(jobs, n.planBatch(e)...)
	default:
		ds = n.router.Route(kind, inc)
		if kind == EventReminder || (kind == EventTargetMissed && measure.MissedTarget(e.Entry) == "deadline") {
			ds = n.router.RouteTo(ds, n.cfg.Regulatory.Contacts, drone.AudienceLeaders, inc)
		}
	}
	for _, d := range ds {
		args := deliverArgs{IncidentID: inc.ID, Seq: e.Entry.Seq, Event: kind, Rule: d.Rule, Target: d.Target,
			Medium: d.Medium, Address: d.Address, Audience: d.Audience}
		jobs = append(jobs, drone.Job{Kind: KindDeliver, Args: args, Queue: laneOf(d.Medium),
			UniqueKey: deliveryKey(inc.ID, strconv.FormatInt(e.Entry.Seq, 10), d)})
	}
	return jobs
}

// planBatch gathers the indicators added within one batch window into one
// message per address, sent when the window ends.
func (n *Notifier) planBatch(e drone.Event) []drone.Job {
	w := n.cfg.BatchWindow
	start := e.Entry.At.Truncate(w)
	var jobs []drone.Job
	for _, d := range n.router.Route(EventIndicators, e.Incident) {
		args := deliverArgs{IncidentID: e.Incident.ID, Event: EventIndicators, Window: start.Unix(), Rule: d.Rule,
			Target: d.Target, Medium: d.Medium, Address: d.Address, Audience: d.Audience}
		jobs = append(jobs, drone.Job{Kind: KindDeliver, Args: args, RunAt: start.Add(w), Queue: laneOf(d.Medium),
			UniqueKey: deliveryKey(e.Incident.ID, "indicators/"+strconv.FormatInt(start.Unix(), 10), d)})
	}
	return jobs
}

// declaredWith reports whether the indicators of e came with the incident's
// declaration: the entry right after the declaration, by the reporter, in
// the same instant (Declare writes both in one transaction).
func declaredWith(e drone.Event) bool {
	return e.Entry.Seq == 2 && e.Entry.Actor.Identity() == e.Incident.Reporter.Identity() &&
		e.Entry.At.Sub(e.Incident.DeclaredAt) < time.Second
}

func deliveryKey(incidentID, event string, d Delivery) string {
	return "notify/" + incidentID + "/" + event + "/" + d.Medium + "/" + d.Address
}

// cachedRecord holds an incident as one event's deliveries saw it: the
// first delivery reads it, the hundreds after share it.
type cachedRecord struct {
	once sync.Once
	rec  *drone.Record
	err  error
	at   time.Time
}

// recordTTL bounds how long an event's deliveries share one reading.
const recordTTL = 30 * time.Second

func (n *Notifier) record(ctx context.Context, incidentID, event string) (*drone.Record, error) {
	key := incidentID + "/" + event
	n.mu.Lock()
	c := n.records[key]
	if c == nil || time.Since(c.at) > recordTTL {
		c = &cachedRecord{at: time.Now()}
		n.records[key] = c
		for k, old := range n.records {
			if time.Since(old.at) > recordTTL {
				delete(n.records, k)
			}
		}
	}
	n.mu.Unlock()
	c.once.Do(func() {
		var inc *drone.Incident
		if inc, c.err = n.svc.IncidentByID(ctx, incidentID); c.err == nil {
			c.rec, c.err = n.svc.Get(ctx, inc.Number)
		}
	})
	if c.err != nil {
		n.mu.Lock()
		delete(n.records, key)
		n.mu.Unlock()
		return nil, fmt.Errorf("reading incident %s: %w", incidentID, c.err)
	}
	return c.rec, nil
}
