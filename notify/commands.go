package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/measure"
)

// Extensions are the notifier's commands of drone's grammar: summary (the
// measures offer reportable and reported).
func (n *Notifier) Extensions() []drone.Extension {
	return []drone.Extension{
		{CommandSpec: drone.CommandSpec{Name: "summary", Usage: "summary [PERIOD]",
			Summary: "post the SOC summary: open incidents and the DRONE measures"},
			Options: []drone.ExtensionOption{{Name: "period", Description: "How far back, such as 24h, 7d or 2w (default 7d)", MaxLength: 10}},
			Run:     n.Summary},
	}
}

// Summary runs "/drone summary [PERIOD]": the report of the last PERIOD
// (default 7d), posted in the channel, listing only incidents at most
// notify.summary_tlp.
func (n *Notifier) Summary(ctx context.Context, _ drone.Actor, _ drone.Origin, cmd drone.Command) (*drone.Reply, error) {
	period := 7 * 24 * time.Hour
	if len(cmd.Args) > 0 {
		var err error
		if period, err = measure.ParsePeriod(cmd.Args[0]); err != nil {
			return nil, err
		}
	}
	now := n.now()
	r, err := n.Report(ctx, now.Add(-period), now, SummaryIncludes(n.svc.Framework, n.cfg.SummaryTLP))
	if err != nil {
		return nil, err
	}
	text, err := n.templates.RenderReport("text", &View{Org: n.org, SOC: n.soc, Notice: DigestNotice(r, drone.AudienceLeaders), Report: r, Now: now})
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("\n(incidents above TLP:%s are left out of this channel's summary)", n.cfg.SummaryTLP)
	if fw := n.svc.Framework; fw.TLPRank(n.cfg.SummaryTLP) < len(fw.TLP)-1 {
		note = fmt.Sprintf("\n(incidents above TLP:%s, and private ones, are left out of this channel's summary)", n.cfg.SummaryTLP)
	}
	return &drone.Reply{Text: strings.TrimSpace(string(text)) + note, Public: true}, nil
}

// TestResult is what became of one address in drone notify test.
type TestResult struct {
	Target  string
	Medium  string
	Address string
	Ref     drone.MessageRef
	Err     error
}

// Test sends a sample through a rule now, outside the queue: to every
// address of its targets, as the rule's audience would get it. rec is the
// incident to show (SampleRecord when nil); event defaults to the rule's
// first. A target not cleared for rec's TLP gets nothing.
func (n *Notifier) Test(ctx context.Context, ruleName, event string, rec *drone.Record) ([]TestResult, error) {
	rule, ok := n.router.Rule(ruleName)
	if !ok {
		var names []string
		for _, r := range n.cfg.Rules {
			names = append(names, r.Name)
		}
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no rule %q; rules: %s", ruleName, strings.Join(names, ", "))
	}
	if event == "" {
		event = EventDeclared
		for _, e := range rule.Events {
			if e != "all" {
				event = e
				break
			}
		}
	}
	if rec == nil {
		rec = SampleRecord(n.svc.Framework, n.now())
	}
	var out []TestResult
	for _, name := range rule.Targets {
		t, ok := n.router.Target(name)
		if !ok {
			// The configuration check refuses such a rule; a Notifier
			// built around it says so rather than sending nothing.
			out = append(out, TestResult{Target: name, Err: drone.Errorf(drone.EINVALID, "rule %q names no target %q", rule.Name, name)})
			continue
		}
		for _, addr := range t.To {
			res := TestResult{Target: name, Medium: t.Medium, Address: addr}
			res.Ref, res.Err = n.testOne(ctx, rule, t, addr, event, rec)
			out = append(out, res)
		}
	}
	return out, nil
}

func (n *Notifier) testOne(ctx context.Context, rule Rule, t Target, addr, event string, rec *drone.Record) (drone.MessageRef, error) {
	if event != EventDigest && !n.router.Sees(t, rec.Incident) {
		return drone.MessageRef{}, errWithheld
	}
	if !n.on(t.Medium) {
		return drone.MessageRef{}, fmt.Errorf("no %s medium is on", t.Medium)
	}
	key := "test/" + rule.Name + "/" + uuid.NewString()
	now := n.now()
	var notice *drone.Notice
	var view *View
	if event == EventDigest {
		r, err := n.Report(ctx, now.Add(-n.cfg.Digest.Period), now, n.router.DigestIncludes(rule, t))
		if err != nil {
			return drone.MessageRef{}, err
		}
		notice = DigestNotice(r, rule.Audience)
		view = &View{Org: n.org, SOC: n.soc, Notice: notice, Report: r, Now: now}
	} else {
		in := NoticeInput{Record: rec, Event: event, Seq: int64(len(rec.Timeline)), Audience: rule.Audience, Now: now, Added: rec.Observables}
		notice = n.redactor.BuildNotice(in)
		view = n.redactor.IncidentView(n.org, n.soc, notice, rec, n.svc.Targets, now)
	}
	notice.Actions = nil // the sample incident is not one to act on
	notice.Subject = "[TEST] " + notice.Subject
	notice.Headline = "[TEST — drone notify test " + rule.Name + "] " + notice.Headline
	return n.send(ctx, t.Medium, addr, &drone.Message{Key: key, Event: event, Notice: notice}, view, drone.MessageRef{})
}

// SampleRecord is a made-up incident at the lowest TLP, with one indicator
// of each common type, for drone notify test and the golden files.
func SampleRecord(fw drone.Framework, now time.Time) *drone.Record {
	now = now.UTC().Truncate(time.Second)
	tlp := "CLEAR"
	if len(fw.TLP) > 0 {
		tlp = fw.TLP[0]
	}
	ack, due := now.Add(-40*time.Minute), now.Add(3*time.Hour)
	inc := &drone.Incident{ID: "00000000-0000-7000-8000-000000000001", Number: 0, Category: "CAT1", CategoryName: "Intrusion",
		SubContext: "Phishing", Severity: 3, SeverityName: "HIGH", Tier: "T1", Zone: "ZONE-A", BusinessUnit: "SALES",
		TLP: tlp, PAP: tlp, Overview: "Sample incident from drone notify test: a credential phishing mail from login-examp1e.com; nothing happened.",
		Reporter: drone.Actor{Platform: "local", ID: "drone"}, Lead: "local:drone", Status: drone.StatusAcknowledged,
		DeclaredAt: now.Add(-time.Hour), AcknowledgedAt: &ack, UpdatedAt: now, NextUpdateDue: &due}
	inc.Title = inc.DroneTitle() + " (sample)"
	obs := []drone.Observable{
		{Type: ioc.IPv4, Value: "203.0.113.7"}, {Type: ioc.Domain, Value: "login-examp1e.com"},
		{Type: ioc.URL, Value: "https://login-examp1e.com/o365/auth"},
		{Type: ioc.SHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{Type: ioc.Email, Value: "it-support@login-examp1e.com"}, {Type: ioc.IPv4, Value: "10.20.30.40", Internal: true},
	}
	for i := range obs {
		obs[i].IncidentID, obs[i].TLP, obs[i].FirstSeen = inc.ID, tlp, now.Add(-50*time.Minute)
	}
	tl := []drone.Entry{
		{IncidentID: inc.ID, Seq: 1, At: inc.DeclaredAt, Kind: drone.EntryDeclared, Text: "drone declared INC-0: " + inc.Title},
		{IncidentID: inc.ID, Seq: 2, At: ack, Kind: drone.EntryAcknowledged, Text: "drone acknowledged INC-0"},
	}
	return &drone.Record{Incident: inc, Observables: obs, Timeline: tl}
}

// IsWithheld reports whether a test result was withheld for its TLP.
func IsWithheld(err error) bool { return errors.Is(err, errWithheld) }
