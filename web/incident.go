package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// incidentFor returns the incident of the request's {n} when the user may
// see it, and otherwise answers 404 (also when it exists above their
// clearance) and returns nil.
func (c *Console) incidentFor(w http.ResponseWriter, r *http.Request, u *user) *drone.Incident {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n < 1 {
		c.notFound(w, r, u)
		return nil
	}
	inc, err := c.svc.Incident(r.Context(), n)
	if err == nil && !c.sees(u, inc) {
		c.aboveClearance(r, u, inc)
		c.notFound(w, r, u)
		return nil
	}
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		c.notFound(w, r, u)
		return nil
	}
	if err != nil {
		c.internal(w, r, u, err)
		return nil
	}
	return inc
}

// isTop reports whether an incident is at the framework's highest TLP
// (RED): every view of it is recorded on its timeline.
func (c *Console) isTop(inc *drone.Incident) bool {
	return c.tlpRank(inc.TLP) >= len(c.svc.Framework.TLP)-1
}

// recordView records a view of a TLP:RED incident.
func (c *Console) recordView(ctx context.Context, r *http.Request, u *user, inc *drone.Incident, what string) error {
	if !c.isTop(inc) {
		return nil
	}
	_, err := c.svc.RecordView(ctx, u.actor, origin(r), inc.Number, what, c.cfg.ViewWindow)
	return err
}

type obsRow struct {
	drone.Observable
	Seen []int64 // other incidents the user may see where it was seen too
}

type link struct{ Label, URL, Text string }

type incidentData struct {
	Inc        *drone.Incident
	Obs        []obsRow
	Actions    []*drone.FollowUp // follow-up actions, which outlive the incident
	Review     int               // the latest post-incident review's version, 0 when none
	Timeline   []drone.Entry
	ChainOK    bool
	ChainError string
	Links      []link
	External   []link // the other references, as text
	Red        bool
	Can        map[string]bool
	Status     formData
	Close      formData
	LeadValue  string
	LeadName   string // how people know the lead: "Ada Admin", not web:admin
	IOCText    string
	IOCError   string
	Preview    *previewData
	ReopenText string
	Message    string // after an action refused for the state it found

	// The forms of people, follow-up actions and the next update.
	Private   bool           // private: people are let in one by one (grant)
	Roles     []roleRow      // the roles besides the lead, and who holds them
	Rows      []actionRow    // the follow-up actions with what the user may do to each
	ActCol    bool           // some action has a change the user may make
	People    []drone.Option // the console accounts, offered as people to name
	Role      smallForm
	Grant     smallForm
	AddAction smallForm
	Cancel    actionError // a cancel refused, beside its action
	Change    actionError // a done or reopen refused, beside its action
	Snooze    smallForm
}

type previewData struct {
	Text     string
	Found    []previewRow
	Rejected []ioc.Rejected
}

type previewRow struct {
	Type     ioc.Type
	Value    string
	Internal bool
	Known    bool // already on the incident
}

func (c *Console) incidentPage(w http.ResponseWriter, r *http.Request, u *user) {
	inc := c.viewIncident(w, r, u, "incident page")
	if inc == nil {
		return
	}
	d, err := c.incidentData(r.Context(), u, inc.Number)
	if err != nil {
		c.failErr(w, r, u, err)
		return
	}
	c.showIncident(w, r, u, http.StatusOK, d)
}

func (c *Console) showIncident(w http.ResponseWriter, r *http.Request, u *user, status int, d *incidentData) {
	c.renderLive(w, r, u, status, "incident", d.Inc.Ref()+" "+d.Inc.Title, "incident="+itoa(d.Inc.Number), d)
}

// incidentData reads everything the incident page shows.
func (c *Console) incidentData(ctx context.Context, u *user, n int64) (*incidentData, error) {
	rec, err := c.svc.Get(ctx, n)
	if err != nil {
		return nil, err
	}
	inc := rec.Incident
	d := &incidentData{Inc: inc, Timeline: rec.Timeline, Red: c.isTop(inc), LeadValue: u.actor.Identity(),
		Can: map[string]bool{}}
	for _, p := range drone.Permissions {
		d.Can[string(p)] = u.can(c, p)
	}
	if err := drone.Verify(rec.Timeline); err != nil {
		d.ChainError = err.Error()
	} else {
		d.ChainOK = true
	}
	if err := c.index.ensure(ctx); err != nil {
		return nil, err
	}
	seen, err := c.svc.SeenElsewhere(ctx, inc.ID, 5*len(rec.Observables)+100)
	if err != nil {
		return nil, err
	}
	where := map[string][]int64{}
	for _, s := range seen {
		other := c.index.byNumber(s.Number)
		if other == nil || !c.sees(u, other) {
			continue
		}
		k := string(s.Type) + "\x00" + s.Value
		if l := where[k]; len(l) == 0 || l[len(l)-1] != s.Number {
			where[k] = append(l, s.Number)
		}
	}
	d.Obs = make([]obsRow, len(rec.Observables))
	for i, o := range rec.Observables {
		d.Obs[i] = obsRow{Observable: o, Seen: where[string(o.Type)+"\x00"+o.Value]}
	}
	d.Actions = rec.FollowUps
	if err := c.peopleData(ctx, u, d); err != nil {
		return nil, err
	}
	for _, e := range rec.Timeline {
		if v, ok := drone.ReviewVersion(e); ok {
			d.Review = v
		}
	}
	d.LeadName = c.leadName(ctx, inc.Lead, rec.Timeline)
	d.Links, d.External = externalLinks(inc.External)
	d.Status = c.statusForm(inc)
	d.Close = c.closeForm(inc)
	return d, nil
}

func (c *Console) statusForm(inc *drone.Incident) formData {
	dlg := c.svc.StatusDialog(inc)
	v := map[string]string{}
	for _, f := range dlg.Fields {
		v[f.ID] = f.Initial
	}
	return formData{Dialog: dlg, Action: "/incidents/" + itoa(inc.Number) + "/status", Values: v}
}

func (c *Console) closeForm(inc *drone.Incident) formData {
	dlg := c.svc.CloseDialog(inc)
	v := map[string]string{drone.FieldImpact: "NotApplicable"}
	return formData{Dialog: dlg, Action: "/incidents/" + itoa(inc.Number) + "/close", Values: v}
}

// externalLinks turns an incident's external references into links out
// (TheHive's case, the Slack or Discord channel) and the rest into text.
func externalLinks(ext map[string]string) (links, rest []link) {
	if u := ext["hive.case_url"]; isWebURL(u) {
		label := "TheHive case"
		if n := ext["hive.case_number"]; n != "" {
			label += " #" + n
		}
		links = append(links, link{Label: label, URL: u})
	}
	if ch := ext["slack.channel"]; ch != "" {
		links = append(links, link{Label: "Slack channel", URL: "https://slack.com/app_redirect?channel=" + url.QueryEscape(ch)})
	}
	if ch, g := ext["discord.channel"], ext["discord.guild"]; ch != "" && g != "" {
		links = append(links, link{Label: "Discord channel", URL: "https://discord.com/channels/" + url.PathEscape(g) + "/" + url.PathEscape(ch)})
	}
	keys := make([]string, 0, len(ext))
	for k := range ext {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rest = append(rest, link{Label: k, Text: ext[k]})
	}
	return links, rest
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// act runs an action of the incident page: ack, lead, status, ioc (the
// preview), ioc-save, close, reopen. A form with mistakes comes back with
// the messages beside its fields; a refusal for the incident's state comes
// back with the message on the page; a refusal by role is a 403.
func (c *Console) act(w http.ResponseWriter, r *http.Request, u *user) {
	inc := c.incidentFor(w, r, u)
	if inc == nil {
		return
	}
	ctx, n, o := r.Context(), inc.Number, origin(r)
	var err error
	var changed *drone.Incident
	again := func(status int, edit func(d *incidentData)) { c.again(w, r, u, n, status, edit) }
	switch r.PathValue("action") {
	case "ack":
		changed, err = c.svc.Acknowledge(ctx, u.actor, o, n)
	case "lead":
		lead := strings.TrimSpace(r.PostFormValue("lead"))
		if lead != "" && !strings.Contains(lead, ":") {
			lead = Platform + ":" + NormaliseName(lead) // a console account's name
		}
		changed, err = c.svc.SetLead(ctx, u.actor, o, n, lead)
	case "status":
		f := c.statusForm(inc)
		f.Values = formValues(r, f.Dialog)
		f.Errors = f.Dialog.Validate(f.Values)
		in, errs := drone.UpdateInputFromDialog(f.Values)
		for k, v := range errs {
			f.Errors[k] = v
		}
		if len(f.Errors) > 0 {
			again(http.StatusUnprocessableEntity, func(d *incidentData) { d.Status = f })
			return
		}
		changed, err = c.svc.PostUpdate(ctx, u.actor, o, n, in)
		if drone.ErrorCode(err) == drone.EINVALID {
			f.Error = drone.ErrorMessage(err)
			again(http.StatusUnprocessableEntity, func(d *incidentData) { d.Status = f })
			return
		}
	case "close":
		f := c.closeForm(inc)
		f.Values = formValues(r, f.Dialog)
		if f.Errors = f.Dialog.Validate(f.Values); len(f.Errors) > 0 {
			again(http.StatusUnprocessableEntity, func(d *incidentData) { d.Close = f })
			return
		}
		changed, err = c.svc.Close(ctx, u.actor, o, n, drone.CloseInputFromDialog(f.Values))
	case "reopen":
		changed, err = c.svc.Reopen(ctx, u.actor, o, n, r.PostFormValue("reason"))
	case "ioc":
		text := r.PostFormValue("text")
		if err := c.svc.Authorize(u.actor, drone.PermIOC); err != nil {
			c.failErr(w, r, u, err)
			return
		}
		p, perr := c.preview(ctx, inc, text)
		if perr != nil {
			c.internal(w, r, u, perr)
			return
		}
		status := http.StatusOK
		if strings.TrimSpace(text) == "" {
			status = http.StatusUnprocessableEntity
		}
		again(status, func(d *incidentData) {
			d.IOCText = text
			if strings.TrimSpace(text) == "" {
				d.IOCError = "Paste the text that holds the indicators."
				return
			}
			d.Preview = p
		})
		return
	case "ioc-save":
		text := r.PostFormValue("text")
		if strings.TrimSpace(text) == "" {
			again(http.StatusUnprocessableEntity, func(d *incidentData) { d.IOCError = "Paste the text that holds the indicators." })
			return
		}
		_, err = c.svc.AddObservables(ctx, u.actor, o, n, drone.ObservableInput{Text: text})
	default:
		c.notFound(w, r, u)
		return
	}
	c.settle(w, r, u, n, "", changed, err, func(d *incidentData, msg string) { d.Message = msg })
}

// again draws the incident page once more in answer to a form, with what
// edit sets (the form as it was typed, a message).
func (c *Console) again(w http.ResponseWriter, r *http.Request, u *user, n int64, status int, edit func(d *incidentData)) {
	d, err := c.incidentData(r.Context(), u, n)
	if err != nil {
		c.failErr(w, r, u, err)
		return
	}
	edit(d)
	c.showIncident(w, r, u, status, d)
}

// settle answers a change made from the incident page: after it is made,
// back to the page (at anchor, when set), so that a reload posts nothing
// twice; refused for its input or for the incident's state, the page
// again with show putting the message beside the form; refused by role
// or failed, an error page.
func (c *Console) settle(w http.ResponseWriter, r *http.Request, u *user, n int64, anchor string, changed *drone.Incident,
	err error, show func(d *incidentData, msg string)) {
	switch drone.ErrorCode(err) {
	case "":
	case drone.ECONFLICT, drone.EINVALID:
		msg := drone.ErrorMessage(err)
		status := http.StatusConflict
		if drone.ErrorCode(err) == drone.EINVALID {
			status = http.StatusUnprocessableEntity
		}
		c.again(w, r, u, n, status, func(d *incidentData) { show(d, msg) })
		return
	default:
		c.failErr(w, r, u, err)
		return
	}
	if changed != nil {
		c.index.put(changed)
	}
	to := "/incidents/" + itoa(n)
	if anchor != "" {
		to += "#" + anchor
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// preview runs the extractor over text as adding would, without saving:
// what would be added, what is on the incident already, and what was
// rejected with the reason.
func (c *Console) preview(ctx context.Context, inc *drone.Incident, text string) (*previewData, error) {
	p := &previewData{Text: text}
	if strings.TrimSpace(text) == "" {
		return p, nil
	}
	ex := c.svc.Extractor
	if ex == nil {
		ex = &ioc.Extractor{}
	}
	res := ex.Extract(text)
	obs, err := c.svc.Observables(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, o := range obs {
		have[string(o.Type)+"\x00"+o.Value] = true
	}
	for _, ind := range res.Indicators {
		p.Found = append(p.Found, previewRow{Type: ind.Type, Value: ind.Value, Internal: ind.Internal,
			Known: have[string(ind.Type)+"\x00"+ind.Value]})
	}
	p.Rejected = res.Rejected
	return p, nil
}

// viewIncident returns the incident of the request's path, as incidentFor
// does, once its view is recorded (a RED incident's views go on its
// timeline); nil when the answer has been written.
func (c *Console) viewIncident(w http.ResponseWriter, r *http.Request, u *user, what string) *drone.Incident {
	inc := c.incidentFor(w, r, u)
	if inc == nil {
		return nil
	}
	if err := c.recordView(r.Context(), r, u, inc, what); err != nil {
		c.internal(w, r, u, err)
		return nil
	}
	return inc
}

// viewRecord is viewIncident with the incident's indicators and timeline.
func (c *Console) viewRecord(w http.ResponseWriter, r *http.Request, u *user, what string) *drone.Record {
	inc := c.viewIncident(w, r, u, what)
	if inc == nil {
		return nil
	}
	rec, err := c.svc.Get(r.Context(), inc.Number)
	if err != nil {
		c.failErr(w, r, u, err)
		return nil
	}
	return rec
}

// review shows the latest post-incident review, the printable page drone
// rendered (goldmark, no raw HTML). The page is the review's own, so it
// gets its own policy: its inline style, and nothing else.
func (c *Console) review(w http.ResponseWriter, r *http.Request, u *user) {
	inc := c.viewIncident(w, r, u, "post-incident review")
	if inc == nil {
		return
	}
	rv, err := c.svc.Review(r.Context(), inc.ID)
	if err != nil {
		c.failErr(w, r, u, err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, rv.HTML)
}

// export downloads the incident's evidence file: the JSON drone incident
// export writes.
func (c *Console) export(w http.ResponseWriter, r *http.Request, u *user) {
	rec := c.viewRecord(w, r, u, "evidence export")
	if rec == nil {
		return
	}
	ev, err := drone.NewEvidence(rec, u.actor.Identity(), c.now())
	if err != nil {
		c.fail(w, r, u, http.StatusConflict, err.Error())
		return
	}
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		c.internal(w, r, u, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="`+strings.ToLower(rec.Incident.Ref())+`-evidence.json"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(append(b, '\n'))
}

// leadName is the lead as people know them, as the leaders' notices name
// them: the display name the lead had on the timeline last, else a console
// account's display name, else the identity itself.
func (c *Console) leadName(ctx context.Context, lead string, timeline []drone.Entry) string {
	if lead == "" {
		return ""
	}
	for i := len(timeline) - 1; i >= 0; i-- {
		if a := timeline[i].Actor; a.Name != "" && a.Identity() == lead {
			return a.Name
		}
	}
	if name, ok := strings.CutPrefix(lead, Platform+":"); ok {
		if acc, err := c.accounts.Account(ctx, name); err == nil && acc.DisplayName != "" {
			return acc.DisplayName
		}
	}
	return lead
}

// aboveClearance records, in the log only, that u asked for an incident
// above their clearance: on the incident's timeline the attempt would tell
// them, and everyone who reads it, that the incident exists.
func (c *Console) aboveClearance(r *http.Request, u *user, inc *drone.Incident) {
	c.log.Warn("web console: incident above the user's clearance refused (answered 404)", "user", u.acc.Name,
		"clearance", u.acc.Clearance, "incident", inc.Ref(), "tlp", inc.TLP, "path", r.URL.Path, "ip", clientIP(r))
}
