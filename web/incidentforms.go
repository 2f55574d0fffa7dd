package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

// The incident page's forms for its people (roles, letting someone into a
// private incident), its follow-up actions and its next update (snooze).
// Each goes through the same drone.Service method as its chat command, so
// the same roles allow it; the page leaves out the forms the user's roles
// do not allow, and the service refuses them anyway.

// smallForm is one of these forms as it comes back refused: what was
// typed, and the message saying what is wrong.
type smallForm struct {
	Values map[string]string
	Error  string
}

// V returns what was typed in field k.
func (f smallForm) V(k string) string { return f.Values[k] }

// actionError is a change of one follow-up action refused, shown on its row.
type actionError struct {
	Number int64
	Error  string
}

// roleRow is one of an incident's roles and who holds it.
type roleRow struct {
	Role, Label, Holder string
}

// actionRow is a follow-up action with what the user may do to it.
type actionRow struct {
	*drone.FollowUp
	Change bool // mark it done, or reopen it: who may update incidents, and its owner
	Cancel bool // cancel it: who may update incidents
}

// peopleData fills what the forms of people, actions and snooze show.
func (c *Console) peopleData(ctx context.Context, u *user, d *incidentData) error {
	inc := d.Inc
	d.Private = c.svc.IsPrivate(inc)
	for _, role := range drone.IncidentRoles {
		d.Roles = append(d.Roles, roleRow{Role: role, Label: drone.RoleLabel(role), Holder: inc.Holder(role)})
	}
	me := u.actor.Identity()
	for _, ac := range d.Actions {
		own := ac.Owner != "" && strings.EqualFold(ac.Owner, me)
		row := actionRow{FollowUp: ac, Change: d.Can[string(drone.PermUpdate)] || own, Cancel: d.Can[string(drone.PermUpdate)]}
		d.ActCol = d.ActCol || row.Change || row.Cancel
		d.Rows = append(d.Rows, row)
	}
	if !d.Can[string(drone.PermLead)] && !d.Can[string(drone.PermUpdate)] {
		return nil // no form names anyone
	}
	accs, err := c.accounts.ListAccounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accs {
		if !a.Disabled {
			d.People = append(d.People, drone.Option{Value: Platform + ":" + a.Name, Label: a.DisplayName})
		}
	}
	return nil
}

// personOf reads a person typed in a form as an identity: platform:id as
// typed, a console account's name (or @name) as web:name; empty and
// "none" are kept, and release a role.
func personOf(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	if s == "" || strings.Contains(s, ":") || strings.EqualFold(s, "none") {
		return s
	}
	return Platform + ":" + NormaliseName(s)
}

// formOf reads the named fields of a posted form.
func formOf(r *http.Request, names ...string) smallForm {
	f := smallForm{Values: map[string]string{}}
	for _, k := range names {
		f.Values[k] = r.PostFormValue(k)
	}
	return f
}

// assignRole hands a role of the incident to someone, or releases it
// (person empty or "none"): drone.Service.AssignRole, which needs the
// permission lead.
func (c *Console) assignRole(w http.ResponseWriter, r *http.Request, u *user) {
	inc := c.incidentFor(w, r, u)
	if inc == nil {
		return
	}
	f := formOf(r, "role", "person")
	changed, err := c.svc.AssignRole(r.Context(), u.actor, origin(r), inc.Number, f.V("role"), personOf(f.V("person")))
	c.settle(w, r, u, inc.Number, "inc-people", changed, err, func(d *incidentData, msg string) {
		f.Error = msg
		d.Role = f
	})
}

// grant lets someone into a private incident: drone.Service.Grant, which
// needs the permission lead.
func (c *Console) grant(w http.ResponseWriter, r *http.Request, u *user) {
	inc := c.incidentFor(w, r, u)
	if inc == nil {
		return
	}
	f := formOf(r, "person")
	changed, err := c.svc.Grant(r.Context(), u.actor, origin(r), inc.Number, personOf(f.V("person")))
	c.settle(w, r, u, inc.Number, "inc-people", changed, err, func(d *incidentData, msg string) {
		f.Error = msg
		d.Grant = f
	})
}

// addAction adds a follow-up action, open or closed the incident:
// drone.Service.AddFollowUp, which needs the permission update. The due
// date reads as the chat command's: 2026-12-20, or in 3d.
func (c *Console) addAction(w http.ResponseWriter, r *http.Request, u *user) {
	inc := c.incidentFor(w, r, u)
	if inc == nil {
		return
	}
	f := formOf(r, "text", "owner", "due")
	show := func(d *incidentData, msg string) {
		f.Error = msg
		d.AddAction = f
	}
	in := drone.FollowUpInput{Text: f.V("text"), Owner: personOf(f.V("owner"))}
	if strings.EqualFold(in.Owner, "none") {
		in.Owner = ""
	}
	if due := strings.TrimSpace(f.V("due")); due != "" {
		t, err := drone.ParseDue([]string{due}, c.now())
		// The date's mistake is told to those who may add actions; the
		// service refuses the others, and records that they tried.
		if err != nil && u.can(c, drone.PermUpdate) {
			c.settle(w, r, u, inc.Number, "", nil, err, show)
			return
		}
		if err == nil {
			in.Due = &t
		}
	}
	_, err := c.svc.AddFollowUp(r.Context(), u.actor, origin(r), inc.Number, in)
	c.settle(w, r, u, inc.Number, "inc-followups", nil, err, show)
}

// changeAction marks a follow-up action of the incident done, reopens it,
// or cancels it with the reason: drone.Service.UpdateFollowUp, which lets
// its owner mark it done or reopen it, and anyone who may update
// incidents do anything. An action of another incident is not found here.
func (c *Console) changeAction(w http.ResponseWriter, r *http.Request, u *user) {
	inc := c.incidentFor(w, r, u)
	if inc == nil {
		return
	}
	number, err := strconv.ParseInt(r.PathValue("act"), 10, 64)
	if err != nil || number < 1 {
		c.notFound(w, r, u)
		return
	}
	ac, err := c.svc.FollowUp(r.Context(), number)
	if err == nil && ac.IncidentID != inc.ID {
		err = drone.Errorf(drone.ENOTFOUND, "there is no ACT-%d on %s", number, inc.Ref())
	}
	if err != nil {
		c.failErr(w, r, u, err)
		return
	}
	ch := drone.FollowUpChange{Note: strings.TrimSpace(r.PostFormValue("reason"))}
	show := func(d *incidentData, msg string) { d.Change = actionError{Number: number, Error: msg} }
	switch r.PathValue("verb") {
	case "done":
		ch.Status = drone.ActionDone
	case "reopen":
		ch.Status = drone.ActionOpen
	case "cancel":
		ch.Status = drone.ActionCancelled
		show = func(d *incidentData, msg string) { d.Cancel = actionError{Number: number, Error: msg} }
		// As in chat, a cancel says why. Those who may not cancel are
		// refused by the service, which records that they tried.
		if ch.Note == "" && u.can(c, drone.PermUpdate) {
			err := drone.Errorf(drone.EINVALID, "Say why %s is cancelled.", ac.Ref())
			c.settle(w, r, u, inc.Number, "", nil, err, show)
			return
		}
	default:
		c.notFound(w, r, u)
		return
	}
	_, err = c.svc.UpdateFollowUp(r.Context(), u.actor, origin(r), number, ch)
	c.settle(w, r, u, inc.Number, "inc-followups", nil, err, show)
}

// snooze puts the next update off: drone.Service.Snooze, which needs the
// permission update and a reason.
func (c *Console) snooze(w http.ResponseWriter, r *http.Request, u *user) {
	inc := c.incidentFor(w, r, u)
	if inc == nil {
		return
	}
	f := formOf(r, "for", "reason")
	show := func(d *incidentData, msg string) {
		if !d.Inc.Open() || d.Inc.NextUpdateDue == nil {
			d.Message = msg // the page shows no snooze form to put it beside
			return
		}
		f.Error = msg
		d.Snooze = f
	}
	v := strings.TrimSpace(f.V("for"))
	dur, err := time.ParseDuration(v)
	if err != nil {
		// Told to those who may snooze; the service refuses the others.
		if u.can(c, drone.PermUpdate) {
			err := drone.Errorf(drone.EINVALID, "%q is not a duration such as 45m or 2h.", v)
			c.settle(w, r, u, inc.Number, "", nil, err, show)
			return
		}
		dur = time.Minute
	}
	changed, err := c.svc.Snooze(r.Context(), u.actor, origin(r), inc.Number, dur, f.V("reason"))
	c.settle(w, r, u, inc.Number, "", changed, err, show)
}
