package web

import (
	"net/http"
	"strings"

	"github.com/ttp0/drone/drone"
)

// fieldPAP is the console's own field of the declare form: the dialog the
// chat modals share leaves PAP to its default, for want of room in a
// Discord modal; the console has the room.
const fieldPAP = "pap"

// declareDialog is the declare form: drone's declare dialog, the one the
// Slack and Discord modals are built from, plus PAP.
func (c *Console) declareDialog() drone.Dialog {
	d := c.svc.DeclareDialog()
	pap := make([]drone.Option, len(c.svc.Framework.PAP))
	for i, p := range c.svc.Framework.PAP {
		pap[i] = drone.Option{Value: p, Label: p}
	}
	initial := c.svc.DefaultPAP
	if initial == "" {
		initial = "AMBER"
	}
	field := drone.Field{ID: fieldPAP, Label: "PAP", Kind: drone.FieldSelect, Required: true, Options: pap, Initial: initial,
		Hint: "What responders may do with the indicators."}
	// After the TLP, which it goes with.
	for i, f := range d.Fields {
		if f.ID == drone.FieldTLP {
			d.Fields = append(d.Fields[:i+1], append([]drone.Field{field}, d.Fields[i+1:]...)...)
			return d
		}
	}
	d.Fields = append(d.Fields, field)
	return d
}

// formData is a dialog as a form: its fields with the values typed so far
// and the message beside each field that needs one.
type formData struct {
	Dialog drone.Dialog
	Action string
	Values map[string]string
	Errors map[string]string
	Error  string // about the whole form
	Key    string // the idempotency key of a declaration
	CSRF   string // the session's token, set by the template (withCSRF)
}

// Parent returns the options of the field a dependent field follows.
func (f formData) Parent(id string) []drone.Option {
	if p := f.Dialog.Field(id); p != nil {
		return p.Options
	}
	return nil
}

func (c *Console) declarePage(w http.ResponseWriter, r *http.Request, u *user) {
	if err := c.svc.Authorize(u.actor, drone.PermDeclare); err != nil {
		c.failErr(w, r, u, err)
		return
	}
	d := c.declareDialog()
	values := map[string]string{}
	for _, f := range d.Fields {
		values[f.ID] = f.Initial
	}
	// The category may come preset from the board's filter.
	if cat := r.URL.Query().Get("category"); cat != "" {
		values[drone.FieldCategory] = cat
	}
	key, err := randomToken()
	if err != nil {
		c.internal(w, r, u, err)
		return
	}
	c.render(w, r, u, http.StatusOK, "declare", "Declare an incident", formData{Dialog: d, Action: "/declare", Values: values, Key: key})
}

type declaredData struct {
	Incident *drone.Incident
	Result   drone.AddResult
}

func (c *Console) declare(w http.ResponseWriter, r *http.Request, u *user) {
	if err := c.svc.Authorize(u.actor, drone.PermDeclare); err != nil {
		c.failErr(w, r, u, err)
		return
	}
	d := c.declareDialog()
	values := formValues(r, d)
	fd := formData{Dialog: d, Action: "/declare", Values: values, Errors: d.Validate(values), Key: r.PostFormValue("key")}
	if len(fd.Errors) > 0 {
		c.render(w, r, u, http.StatusUnprocessableEntity, "declare", "Declare an incident", fd)
		return
	}
	in := drone.DeclareInputFromDialog(values)
	in.PAP = values[fieldPAP]
	if len(fd.Key) >= 32 {
		in.Key = "web:" + fd.Key
	}
	if t := c.svc.Framework.TLPRank(in.TLP); t > u.rank {
		fd.Errors = map[string]string{drone.FieldTLP: "This is above your clearance (" + u.acc.Clearance + "): you could not see the incident."}
		c.render(w, r, u, http.StatusUnprocessableEntity, "declare", "Declare an incident", fd)
		return
	}
	inc, res, err := c.svc.Declare(r.Context(), u.actor, origin(r), in)
	if drone.ErrorCode(err) == drone.EINVALID {
		fd.Error = drone.ErrorMessage(err)
		c.render(w, r, u, http.StatusUnprocessableEntity, "declare", "Declare an incident", fd)
		return
	}
	if err != nil {
		c.failErr(w, r, u, err)
		return
	}
	c.index.put(inc)
	if len(res.Rejected) == 0 {
		http.Redirect(w, r, "/incidents/"+itoa(inc.Number), http.StatusSeeOther)
		return
	}
	c.render(w, r, u, http.StatusOK, "declared", "Declared "+inc.Ref(), declaredData{Incident: inc, Result: res})
}

// formValues reads a dialog's fields from a posted form.
func formValues(r *http.Request, d drone.Dialog) map[string]string {
	v := map[string]string{}
	for _, f := range d.Fields {
		s := r.PostFormValue(f.ID)
		if f.Kind != drone.FieldTextArea {
			s = strings.TrimSpace(s)
		}
		v[f.ID] = s
	}
	return v
}

// origin is where a console change came from, for the timeline.
func origin(r *http.Request) drone.Origin {
	return drone.Origin{Channel: Platform, Ref: r.URL.Path}
}
