package slack_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/chattest"
	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
)

// TestContract runs the chat adapters' contract against the Slack
// stand-in, over HTTP (signed requests) and over Socket Mode.
func TestContract(t *testing.T) {
	chattest.Run(t, transports, func(t *testing.T, mode string) chattest.Chat { return slackChat{setup(t, mode)} })
}

// slackChat drives drone the way Slack does: slash commands, modals,
// message shortcuts.
type slackChat struct{ e *env }

var _ chattest.Chat = slackChat{}

func (c slackChat) Harness() *dronetest.Harness { return c.e.harness }
func (c slackChat) Responder() chattest.User    { return chattest.User{ID: carol, Name: "carol"} }
func (c slackChat) Outsider() chattest.User     { return chattest.User{ID: eve, Name: "eve"} }

// view runs open, which opens a modal for u, and returns the modal.
func (c slackChat) view(u chattest.User, open func()) slacktest.View {
	c.e.t.Helper()
	n := len(c.e.srv.Views(u.ID)) + 1
	open()
	return c.e.newView(u.ID, n)
}

// answer is a view submission's answer as the person reads it.
func (a viewAnswer) answer() string {
	if a.ResponseAction == "errors" {
		return "errors: " + strings.Join(mapValues(a.Errors), "; ")
	}
	return a.View.Title.Text + ": " + a.text()
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+": "+v)
	}
	return out
}

func (c slackChat) Declare(u chattest.User, f chattest.Form) string {
	e := c.e
	e.t.Helper()
	v := c.view(u, func() { e.command(u.ID, e.general, "") })
	e.interact(e.srv.ViewSelect(v.ID, "category", f.Category))
	e.wait("the sub-contexts of "+f.Category, func(s *slacktest.Server) bool { return s.ViewUpdates(v.ID) > 0 })
	return e.submit(v.ID, map[string][]string{"subcontext": {f.SubContext}, "severity": {f.Severity},
		"tlp": {f.TLP}, "overview": {f.Overview}, "indicators": {f.Indicators}}).answer()
}

// channel returns the id of inc's channel, once it is made.
func (c slackChat) channel(inc *drone.Incident) string { return c.e.channelOf(inc.Number).ID }

func (c slackChat) IndicatorsFromMessage(u chattest.User, inc *drone.Incident, text string) string {
	e := c.e
	e.t.Helper()
	ch := c.channel(inc)
	ts, err := e.srv.Post(ch, u.ID, text, "")
	if err != nil {
		e.t.Fatal(err)
	}
	v := c.view(u, func() { e.interact(e.srv.MessageShortcut(short, u.ID, ch, ts)) })
	return e.submit(v.ID, map[string][]string{"incident": {strconv.FormatInt(inc.Number, 10)}}).answer()
}

func (c slackChat) Acknowledge(u chattest.User, inc *drone.Incident) string {
	c.e.t.Helper()
	_, text := c.e.commandText(u.ID, c.channel(inc), "ack")
	return text
}

func (c slackChat) StatusUpdate(u chattest.User, inc *drone.Incident, status drone.Status, summary string) func() string {
	e := c.e
	e.t.Helper()
	ch := c.channel(inc)
	v := c.view(u, func() { e.command(u.ID, ch, "status") })
	payload, err := e.srv.ViewSubmission(v.ID, map[string][]string{"status": {string(status)}, "summary": {summary}})
	return func() string {
		e.t.Helper()
		var a viewAnswer
		if r := e.interact(payload, err); len(r.Body) > 0 {
			if err := r.JSON(&a); err != nil {
				e.t.Fatal(err)
			}
		}
		return a.answer()
	}
}

func (c slackChat) AddToTimeline(u chattest.User, text string) (string, time.Time) {
	e := c.e
	e.t.Helper()
	ts, err := e.srv.Post(e.general, alice, text, "")
	if err != nil {
		e.t.Fatal(err)
	}
	n := e.srv.EphemeralCount(u.ID)
	e.interact(e.srv.MessageShortcut(droneslack.ShortcutAddToTimeline, u.ID, e.general, ts))
	e.h.Wait()
	var answer []string
	for _, m := range e.srv.Ephemerals(u.ID)[n:] { // the confirmation and the offer
		answer = append(answer, m.Text+" "+unescaped(m.Blocks))
	}
	return strings.Join(answer, "\n"), tsTime(e.t, ts)
}

func (c slackChat) Notice(inc *drone.Incident) (string, string) {
	e := c.e
	cur, err := e.svc.Incident(e.ctx, inc.Number)
	if err != nil {
		e.t.Fatal(err)
	}
	ch, ok := e.srv.Channel(cur.External[droneslack.KeyChannel])
	if !ok {
		return "", ""
	}
	for _, m := range ch.Messages {
		if m.TS == cur.External[droneslack.KeyTS] {
			return m.TS, m.Text + "\n" + unescaped(m.Blocks)
		}
	}
	return "", ""
}
