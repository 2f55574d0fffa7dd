package web

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/notify"
)

// leaderLine is one open incident in the leaders' overview, in plain
// language: its title and free text without indicators.
type leaderLine struct {
	Inc     *drone.Incident
	Title   string
	Summary notify.Summary
}

type leadersData struct {
	Lines      []leaderLine
	BySeverity []measure.Count
	Clearance  string
}

// leaders is the overview for business leaders: every open incident at or
// under the viewer's clearance, most severe first, in plain language and
// without indicators.
func (c *Console) leaders(w http.ResponseWriter, r *http.Request, u *user) {
	if err := c.index.ensure(r.Context()); err != nil {
		c.internal(w, r, u, err)
		return
	}
	now := c.now().UTC()
	d := leadersData{Clearance: u.acc.Clearance}
	count := map[string]int{}
	// Leads are identities; a console account's display name reads better.
	names := map[string]string{}
	if accs, err := c.accounts.ListAccounts(r.Context()); err == nil {
		for _, a := range accs {
			if a.DisplayName != "" {
				names[Platform+":"+a.Name] = a.DisplayName
			}
		}
	}
	c.index.each(func(inc *drone.Incident) bool {
		if !inc.Open() || !c.sees(u, inc) {
			return true
		}
		v := c.redactor.IncidentView(c.org, c.soc, drone.BuildNotice(&drone.Record{Incident: inc}, "", drone.AudienceLeaders, now),
			&drone.Record{Incident: inc}, c.svc.Targets, now)
		if n := names[inc.Lead]; n != "" {
			v.Summary.Lead = n
		}
		d.Lines = append(d.Lines, leaderLine{Inc: inc, Title: c.redactor.Redact(inc.Title), Summary: v.Summary})
		count[inc.SeverityName]++
		return true
	})
	// Most severe first; newest first within a severity (the index's order).
	slices.SortStableFunc(d.Lines, func(a, b leaderLine) int { return cmp.Compare(b.Inc.Severity, a.Inc.Severity) })
	for i := len(c.svc.Framework.Severities) - 1; i >= 0; i-- {
		name := c.svc.Framework.Severities[i].Name
		if n := count[name]; n > 0 {
			d.BySeverity = append(d.BySeverity, measure.Count{Key: name, N: n})
		}
	}
	c.renderLive(w, r, u, http.StatusOK, "leaders", "Leaders' view", "board=1", d)
}

type leaderData struct {
	Inc   *drone.Incident
	Title string
	View  *notify.View
	Red   bool
}

// leaderPage is the plain-language summary of one incident: what
// happened, the business impact, who leads, what is next, its measures
// against the targets, and the timeline without indicators. It prints.
func (c *Console) leaderPage(w http.ResponseWriter, r *http.Request, u *user) {
	rec := c.viewRecord(w, r, u, "leaders' view")
	if rec == nil {
		return
	}
	now := c.now().UTC()
	n := c.redactor.BuildNotice(notify.NoticeInput{Record: rec, Audience: drone.AudienceLeaders, Now: now})
	v := c.redactor.IncidentView(c.org, c.soc, n, rec, c.svc.Targets, now)
	d := leaderData{Inc: rec.Incident, Title: c.redactor.Redact(rec.Incident.Title), View: v, Red: c.isTop(rec.Incident)}
	c.renderLive(w, r, u, http.StatusOK, "leader", d.Title, "incident="+itoa(rec.Incident.Number), d)
}
