package slack_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/store"
)

// The workspace of the tests.
const (
	alice = "U0ALICE" // declares; anyone may declare and add indicators
	bob   = "U0BOB"   // a responder through the user group S0RESP
	carol = "U0CAROL" // a responder by name, invited to every channel
	eve   = "U0EVE"   // no role beyond everyone's
	group = "S0RESP"  // the responders' user group
	cmd   = "/drone"  // the slash command
	short = "drone.add_indicators"
)

// env is what an end-to-end test needs: the stand-in, drone's store and
// service with the Slack handler running (its HTTP endpoints or its Socket
// Mode connection), the queue working Slack's jobs, and the transport
// Slack's requests come by.
type env struct {
	t       testing.TB
	ctx     context.Context
	harness *dronetest.Harness
	srv     *slacktest.Server
	db      *store.DB
	svc     *drone.Service
	h       *droneslack.Handler
	tr      slacktest.Transport
	appURL  string // drone's HTTP endpoints, in http mode
	general string // a public channel everyone is in
}

// transports are the two ways Slack reaches drone.
var transports = []string{"http", "socket"}

// forEachTransport runs a test once over HTTP and once over Socket Mode.
func forEachTransport(t *testing.T, f func(t *testing.T, e *env)) {
	for _, mode := range transports {
		t.Run(mode, func(t *testing.T) { f(t, setup(t, mode)) })
	}
}

// setup starts everything for one transport; mods adjust the configuration.
func setup(t testing.TB, mode string, mods ...func(*droneslack.Config)) *env {
	t.Helper()
	h := dronetest.New(t)
	ctx := h.Ctx
	srv := slacktest.New(t, slacktest.Options{PingInterval: time.Second})
	for id, name := range map[string]string{alice: "alice", bob: "bob", carol: "carol", eve: "eve"} {
		srv.AddUser(id, name)
	}
	srv.AddUserGroup(group, "soc", bob)
	general := srv.AddChannel("general", slacktest.BotUserID, alice, bob, carol, eve)

	svc := h.Service
	svc.Framework.Zones = []string{"ZONE-A", "DMZ"}
	svc.Framework.BusinessUnits = []string{"SALES", "FINANCE", "VARIOUS"}
	svc.Extractor = ioc.New(ioc.Options{InternalDomains: []string{"example.org"}})
	svc.Roles = drone.Roles{
		{Name: "everyone", Permissions: []drone.Permission{drone.PermDeclare, drone.PermIOC}, Members: []string{"*"}},
		{Name: "responders", Permissions: []drone.Permission{drone.PermAcknowledge, drone.PermLead, drone.PermUpdate, drone.PermClose},
			Members: []string{"slack:group:" + group, "slack:" + carol}},
	}
	cfg := droneslack.Config{BotToken: srv.BotToken(), AppToken: srv.AppToken(), SigningSecret: srv.SigningSecret(),
		Mode: mode, APIURL: srv.APIURL(), Responders: []string{carol, group}, OfferIndicators: true,
		PostInterval: 10 * time.Millisecond}
	for _, m := range mods {
		m(&cfg)
	}
	log, _ := dronetest.NewLog(t, slog.LevelWarn) // printed if the test fails
	hd, err := droneslack.New(droneslack.Options{Config: cfg, Service: svc, Log: log})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	svc.Planners = []drone.Planner{hd.Planner()}

	workers := river.NewWorkers()
	hd.Register(workers)
	h.StartQueue(workers, dronetest.QueueConfig())

	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- hd.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-ran; err != nil && err != context.Canceled {
			t.Errorf("Run: %v", err)
		}
	})

	e := &env{t: t, ctx: ctx, harness: h, srv: srv, db: h.DB, svc: svc, h: hd, general: general}
	if mode == "http" {
		mux := http.NewServeMux()
		for pattern, route := range hd.Routes() {
			mux.Handle(pattern, route)
		}
		app := httptest.NewServer(mux)
		t.Cleanup(app.Close)
		e.tr, e.appURL = srv.HTTPTransport(app.URL), app.URL
	} else {
		e.tr = srv.SocketTransport()
	}
	e.wait("auth.test", func(s *slacktest.Server) bool { return s.Count("auth.test") > 0 })
	return e
}

// wait waits for a condition on the stand-in, failing the test at the
// deadline.
func (e *env) wait(what string, cond func(*slacktest.Server) bool) {
	e.t.Helper()
	if err := e.srv.Wait(e.ctx, what, cond); err != nil {
		e.t.Fatal(err)
	}
}

// command sends "/drone text" by a user in a channel.
func (e *env) command(user, channel, text string) slacktest.Reply {
	e.t.Helper()
	r, err := e.tr.Command(e.ctx, e.srv.SlashCommand(cmd, user, channel, text))
	if err != nil {
		e.t.Fatalf("/drone %s: %v", text, err)
	}
	if r.Status != http.StatusOK {
		e.t.Fatalf("/drone %s: status %d: %s", text, r.Status, r.Body)
	}
	return r
}

// commandText sends a command and returns the text of its answer.
func (e *env) commandText(user, channel, text string) (string, string) {
	e.t.Helper()
	r := e.command(user, channel, text)
	var m struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := r.JSON(&m); err != nil {
		e.t.Fatal(err)
	}
	return m.ResponseType, m.Text
}

// interact delivers an interaction payload and returns the answer.
func (e *env) interact(payload []byte, err error) slacktest.Reply {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("building payload: %v", err)
	}
	r, err := e.tr.Interaction(e.ctx, payload)
	if err != nil {
		e.t.Fatalf("interaction: %v", err)
	}
	if r.Status != http.StatusOK {
		e.t.Fatalf("interaction: status %d: %s", r.Status, r.Body)
	}
	return r
}

// viewAnswer is a view submission's answer.
type viewAnswer struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
	View           struct {
		Title struct {
			Text string `json:"text"`
		} `json:"title"`
		Blocks []struct {
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	} `json:"view"`
}

func (a viewAnswer) text() string {
	var b strings.Builder
	for _, bl := range a.View.Blocks {
		b.WriteString(bl.Text.Text)
	}
	return b.String()
}

// submit submits a modal with values and decodes the answer.
func (e *env) submit(viewID string, values map[string][]string) viewAnswer {
	e.t.Helper()
	r := e.interact(e.srv.ViewSubmission(viewID, values))
	var a viewAnswer
	if len(r.Body) > 0 {
		if err := r.JSON(&a); err != nil {
			e.t.Fatal(err)
		}
	}
	return a
}

// newView waits for the n-th view opened for a user and returns it, once
// it is filled in (no longer the "reading…" modal).
func (e *env) newView(user string, n int) slacktest.View {
	e.t.Helper()
	var v slacktest.View
	e.wait("a view for "+user+" filled in", func(s *slacktest.Server) bool {
		vs := s.Views(user)
		if len(vs) < n {
			return false
		}
		v = vs[n-1]
		return !strings.Contains(blocksText(v.Blocks), "Reading the message")
	})
	return v
}

// declare declares an incident as alice, straight through the service,
// and waits for its channel and notification.
func (e *env) declare(in drone.DeclareInput) (*drone.Incident, slacktest.Channel) {
	e.t.Helper()
	inc, _, err := e.svc.Declare(e.ctx, drone.Actor{Platform: "slack", ID: alice, Name: "alice"},
		drone.Origin{Channel: "slack"}, in)
	if err != nil {
		e.t.Fatalf("Declare: %v", err)
	}
	return inc, e.channelOf(inc.Number)
}

// channelOf waits for an incident's channel and notification.
func (e *env) channelOf(number int64) slacktest.Channel {
	e.t.Helper()
	var inc *drone.Incident
	if err := e.srv.Wait(e.ctx, "the incident's notification", func(s *slacktest.Server) bool {
		var err error
		inc, err = e.svc.Incident(e.ctx, number)
		return err == nil && inc.External[droneslack.KeyTS] != ""
	}); err != nil {
		jobs, _ := e.db.Jobs(context.Background(), 20)
		e.t.Fatalf("%v\ncalls: %+v\njobs: %+v", err, e.srv.Calls(), jobs)
	}
	ch, ok := e.srv.Channel(inc.External[droneslack.KeyChannel])
	if !ok {
		e.t.Fatalf("no channel %s", inc.External[droneslack.KeyChannel])
	}
	return ch
}

// blocksText is blocks as JSON, without the HTML escaping of encoding/json.
func blocksText(blocks []map[string]any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(blocks)
	return b.String()
}

// unescaped is raw JSON blocks without the HTML escaping of encoding/json.
func unescaped(raw json.RawMessage) string {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return string(raw)
	}
	return blocksText(blocks)
}

func phishing() drone.DeclareInput {
	return drone.DeclareInput{Category: "CAT1", SubContext: "Phishing", Severity: "high", BusinessUnit: "SALES",
		TLP: "AMBER", Overview: "Phishing wave against sales"}
}
