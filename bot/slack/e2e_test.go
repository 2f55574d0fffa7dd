package slack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// TestDeclare drives the declare modal from /drone to the incident's
// channel: sub-contexts follow the category, field errors keep the modal,
// a replayed submission makes no second incident, and the channel (private
// at TLP:RED) gets the reporter, the responders and the notification.
func TestDeclare(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		if r := e.command(alice, e.general, ""); len(r.Body) != 0 {
			t.Fatalf("/drone answered %q; want an empty acknowledgement and a modal", r.Body)
		}
		v := e.newView(alice, 1)
		if v.CallbackID != "drone.declare" || v.Input("subcontext") != nil {
			t.Fatalf("declare modal: callback %q, sub-context shown before a category: %v", v.CallbackID, v.Input("subcontext"))
		}
		if v.Input("category")["dispatch_action"] != true {
			t.Error("the category select does not dispatch its choice")
		}

		e.interact(e.srv.ViewSelect(v.ID, "category", "CAT1"))
		e.wait("the sub-contexts of CAT1", func(s *slacktest.Server) bool { return s.ViewUpdates(v.ID) > 0 })
		v, _ = e.srv.View(v.ID)
		if got := v.Options("subcontext.CAT1"); !contains(got, "Phishing") || contains(got, "Ransomware") {
			t.Fatalf("sub-contexts after CAT1 = %v", got)
		}

		values := map[string][]string{"subcontext": {"Phishing"}, "severity": {"3"}, "tier": {"T1"},
			"business_unit": {"SALES"}, "tlp": {"RED"}, "overview": {"   "}}
		a := e.submit(v.ID, values)
		if a.ResponseAction != "errors" || a.Errors["overview"] == "" {
			t.Fatalf("submission without overview = %+v; want an error beside the overview", a)
		}

		values["overview"] = []string{"Credential phishing <!channel> against sales"}
		values["indicators"] = []string{"hxxp://evil-login[.]com/login from 45.33.32.156, seen on 10.1.2.3"}
		a = e.submit(v.ID, values)
		if a.ResponseAction != "update" || !strings.Contains(a.text(), "INC-1 declared") {
			t.Fatalf("submission = %+v", a)
		}
		replay := e.submit(v.ID, nil)
		if replay.ResponseAction != "update" || !strings.Contains(replay.text(), "INC-1") {
			t.Fatalf("replayed submission = %+v", replay)
		}
		if incs, _ := e.svc.Incidents(e.ctx, drone.IncidentFilter{}); len(incs) != 1 {
			t.Fatalf("%d incidents after a replayed submission; want 1", len(incs))
		}

		ch := e.channelOf(1)
		if ch.Name != "inc-1-phishing-sales" || !ch.Private {
			t.Errorf("channel %q private=%v; want inc-1-phishing-sales, private at TLP:RED", ch.Name, ch.Private)
		}
		// A RED incident is private: its reporter is invited, not every
		// responder (they join as lead, role holders or members).
		if !ch.Members[alice] {
			t.Errorf("the reporter was not invited to the incident channel")
		}
		for _, u := range []string{bob, carol, eve} {
			if ch.Members[u] {
				t.Errorf("%s was invited to a private incident's channel", u)
			}
		}
		notice := unescaped(ch.Messages[0].Blocks)
		for _, want := range []string{"Security Incident Notification — INC-1", "evil-login[.]com", "virustotal.com",
			"drone.ack", "drone.ioc", "drone.status", "drone.close", "&lt;!channel&gt;", "10[.]1[.]2[.]3` _(internal)_"} {
			if !strings.Contains(notice, want) {
				t.Errorf("notification lacks %q:\n%s", want, notice)
			}
		}
	})
}

// TestIndicatorsFromThread runs the message shortcut on a thread: the
// modal lists the indicators of the message and its replies, public ones
// ticked, internal ones not, rejected ones with their reason; the ticked
// ones are added and the change is posted in the notification's thread.
func TestIndicatorsFromThread(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		_, ch := e.declare(phishing())
		parent, err := e.srv.Post(e.general, alice, "Phishing report from sales, details in the thread", "")
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{
			"sender bad-actor@evil-mail.net, link hxxp://evil-login[.]com/login",
			"the host 10.1.2.3 fetched it; 1.2.3.999 in the proxy log looks broken",
		} {
			if _, err := e.srv.Post(e.general, bob, text, parent); err != nil {
				t.Fatal(err)
			}
		}
		e.interact(e.srv.MessageShortcut(short, alice, e.general, parent))
		v := e.newView(alice, 1)
		if v.CallbackID != "drone.indicators" {
			t.Fatalf("view %q: %s", v.CallbackID, blocksText(v.Blocks))
		}
		found := v.Options("found.0")
		if len(found) != 3 {
			t.Fatalf("listed %v; want the e-mail, the URL and the internal IP", found)
		}
		el := v.Input("found.0")["element"].(map[string]any)
		ticked, _ := json.Marshal(el["initial_options"])
		if strings.Contains(string(ticked), "10.1.2.3") || !strings.Contains(string(ticked), "evil-mail.net") {
			t.Errorf("ticked %s; want the public ones only", ticked)
		}
		if text := blocksText(v.Blocks); !strings.Contains(text, "1.2.3.999") || !strings.Contains(text, "out of range") {
			t.Errorf("the rejected candidate and its reason are not shown: %s", text)
		}

		public := []string{}
		for _, o := range found {
			if !strings.Contains(o, "10.1.2.3") {
				public = append(public, o)
			}
		}
		a := e.submit(v.ID, map[string][]string{"incident": {"1"}, "found": public})
		if a.ResponseAction != "update" || !strings.Contains(a.text(), "2 new") {
			t.Fatalf("submission = %+v", a)
		}
		rec, err := e.svc.Get(e.ctx, 1)
		if err != nil || len(rec.Observables) != 2 {
			t.Fatalf("observables = %+v, %v", rec.Observables, err)
		}
		e.wait("the change in the thread", func(s *slacktest.Server) bool { return s.MessageCount(ch.ID) >= 2 })
		ch, _ = e.srv.Channel(ch.ID)
		if got := ch.Messages[1]; got.ThreadTS != ch.Messages[0].TS || !strings.Contains(got.Text, "evil-mail[.]net") {
			t.Errorf("thread post = %+v", got)
		}
	})
}

// TestStatusAndClose updates and closes an incident through its modals,
// from the slash command and from the notification's button; the
// notification is edited in place and each change is posted in its
// thread. A user without the role is told why.
func TestStatusAndClose(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		_, ch := e.declare(phishing())
		_, text := e.commandText(eve, ch.ID, "ack")
		if !strings.Contains(text, "you may not acknowledge") {
			t.Errorf("eve's ack answered %q", text)
		}

		e.command(bob, ch.ID, "status")
		v := e.newView(bob, 1)
		if v.CallbackID != "drone.status" {
			t.Fatalf("status modal: %q", v.CallbackID)
		}
		a := e.submit(v.ID, map[string][]string{"status": {"contained"}, "summary": {"Sender blocked"}, "next_update": {"soon"}})
		if a.ResponseAction != "errors" || a.Errors["next_update"] == "" {
			t.Fatalf("bad duration: %+v", a)
		}
		a = e.submit(v.ID, map[string][]string{"next_update": {"2h"}})
		if a.ResponseAction != "update" || !strings.Contains(a.text(), "contained") {
			t.Fatalf("status submission = %+v", a)
		}
		e.wait("the notification updated", func(s *slacktest.Server) bool { return s.Count("chat.update") >= 1 })

		e.interact(e.srv.ButtonClick(bob, ch.ID, ch.Messages[0].TS, "drone.close", "1"))
		v = e.newView(bob, 2)
		if v.CallbackID != "drone.close" {
			t.Fatalf("close modal: %q", v.CallbackID)
		}
		a = e.submit(v.ID, map[string][]string{"resolution": {"TruePositive"}, "impact": {"WithImpact"},
			"summary": {"Mailboxes cleaned"}})
		if a.ResponseAction != "update" || !strings.Contains(a.text(), "closed as TruePositive") {
			t.Fatalf("close submission = %+v", a)
		}
		e.wait("the close in the thread", func(s *slacktest.Server) bool {
			c, _ := s.Channel(ch.ID)
			return len(c.Messages) >= 3 && strings.Contains(c.Messages[len(c.Messages)-1].Text, "closed INC-1")
		})
		inc, _ := e.svc.Incident(e.ctx, 1)
		if inc.Status != drone.StatusClosed || inc.Summary != "Mailboxes cleaned" {
			t.Fatalf("incident = %+v", inc)
		}
		e.wait("the notification without buttons", func(s *slacktest.Server) bool {
			c, _ := s.Channel(ch.ID)
			return !strings.Contains(unescaped(c.Messages[0].Blocks), "drone.close")
		})
		rec, _ := e.svc.Get(e.ctx, 1)
		if !hasEntry(rec, drone.EntryDenied, "eve") {
			t.Error("eve's refused ack is not on the timeline")
		}
	})
}

// TestGrammar runs the rest of /drone through the shared router.
func TestGrammar(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		_, ch := e.declare(phishing())
		if _, text := e.commandText(alice, e.general, "frobnicate"); !strings.Contains(text, "unknown command") ||
			!strings.Contains(text, "ioc [INC-n] TEXT") && !strings.Contains(text, "drone commands") {
			t.Errorf("unknown subcommand answered %q", text)
		}
		kind, text := e.commandText(alice, ch.ID, "ioc 45.33.32.156 evil-login[.]com 1.2.3.999")
		if kind != "ephemeral" || !strings.Contains(text, "2 new, 0 already known, 1 rejected") ||
			!strings.Contains(text, "out of range") {
			t.Errorf("ioc answered %s %q", kind, text)
		}
		if _, text = e.commandText(alice, ch.ID, "ioc 45.33.32.156"); !strings.Contains(text, "0 new, 1 already known") {
			t.Errorf("ioc again answered %q", text)
		}
		kind, text = e.commandText(carol, ch.ID, "lead <@"+bob+"|bob>")
		if kind != "in_channel" || !strings.Contains(text, "<@"+bob+">") {
			t.Errorf("lead answered %s %q", kind, text)
		}
		if inc, _ := e.svc.Incident(e.ctx, 1); inc.Lead != "slack:"+bob {
			t.Errorf("lead = %q", inc.Lead)
		}
		if _, text = e.commandText(bob, e.general, "list"); !strings.Contains(text, "INC-1") {
			t.Errorf("list answered %q", text)
		}
		if _, text = e.commandText(bob, ch.ID, "show"); !strings.Contains(text, "45[.]33[.]32[.]156") {
			t.Errorf("show answered %q", text)
		}
		if _, text = e.commandText(bob, e.general, "help"); !strings.Contains(text, "drone commands") {
			t.Errorf("help answered %q", text)
		}
		e.interact(e.srv.ButtonClick(bob, ch.ID, ch.Messages[0].TS, "drone.ack", "1"))
		e.wait("the ack answered", func(s *slacktest.Server) bool { return s.EphemeralCount(bob) > 0 })
		if inc, _ := e.svc.Incident(e.ctx, 1); inc.Status != drone.StatusAcknowledged {
			t.Errorf("status after the Acknowledge button = %s", inc.Status)
		}
	})
}

// TestOffer answers a message with new indicators in an incident channel
// with an ephemeral offer, once however often Slack delivers the event;
// its button opens the indicators modal with the incident chosen.
func TestOffer(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		_, ch := e.declare(phishing())
		id, body, err := e.srv.MessageEvent(alice, ch.ID, "also saw 45.33.32.156 beaconing", "")
		if err != nil {
			t.Fatal(err)
		}
		for retry := range 3 {
			if r, err := e.tr.Event(e.ctx, body, retry); err != nil || r.Status != 200 {
				t.Fatalf("event %s (retry %d): %v %d", id, retry, err, r.Status)
			}
		}
		e.wait("the offer", func(s *slacktest.Server) bool { return s.EphemeralCount(alice) > 0 })
		e.h.Wait()
		offers := e.srv.Ephemerals(alice)
		if len(offers) != 1 || !strings.Contains(string(offers[0].Blocks), "drone.offer") {
			t.Fatalf("offers = %+v; want one with a button", offers)
		}
		msgs := e.srv.Channels()
		var ts string
		for _, c := range msgs {
			if c.ID == ch.ID {
				ts = c.Messages[len(c.Messages)-1].TS
			}
		}
		e.interact(e.srv.ButtonClick(alice, ch.ID, offers[0].TS, "drone.offer", ch.ID+"/"+ts))
		v := e.newView(alice, 1)
		if v.CallbackID != "drone.indicators" || !strings.Contains(blocksText(v.Blocks), "45.33.32.156") {
			t.Fatalf("offer modal: %s", blocksText(v.Blocks))
		}
		sel, _ := json.Marshal(v.Input("incident")["element"].(map[string]any)["initial_option"])
		if !strings.Contains(string(sel), `"value":"1"`) {
			t.Errorf("the incident of the channel is not chosen: %s", sel)
		}
		a := e.submit(v.ID, nil)
		if !strings.Contains(a.text(), "1 new") {
			t.Errorf("submission = %+v", a)
		}
	})
}

func hasEntry(rec *drone.Record, kind, text string) bool {
	for _, en := range rec.Timeline {
		if en.Kind == kind && strings.Contains(en.Text, text) {
			return true
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}

// TestSocketReconnect keeps serving after Slack asks the Socket Mode
// client to reconnect.
func TestSocketReconnect(t *testing.T) {
	e := setup(t, "socket")
	e.wait("a connection", func(s *slacktest.Server) bool { return s.SocketConnections() == 1 })
	if err := e.srv.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if _, text := e.commandText(alice, e.general, "help"); !strings.Contains(text, "drone commands") {
		t.Errorf("after reconnecting, help answered %q", text)
	}
	if n := len(e.srv.Calls("apps.connections.open")); n != 2 {
		t.Errorf("apps.connections.open called %d times; want 2 (a reconnection)", n)
	}
}
