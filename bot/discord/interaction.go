package discord

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/drone"
)

// errMalformed marks an interaction drone cannot read: a 400 over HTTP.
var errMalformed = errors.New("malformed interaction")

// Time limits of an interaction's work.
const (
	workTimeout = time.Minute // a deferred answer's work; Discord waits 15 minutes
	editTries   = 3
)

// step is the work an interaction asks for.
type step struct {
	run func(ctx context.Context) *discordgo.InteractionResponse
	// defers says the work may outlast DeferAfter; it is then answered
	// with a deferral, and the response edited when the work is done.
	// Opening a modal never defers: a modal must be the first answer.
	defers bool
	public bool // the deferral, and so the answer, is seen by the channel
	// changes says the work changes an incident: its interaction is
	// claimed first, so that a delivery seen twice changes it once.
	// Reading and opening a form need no claim, which is a durable write.
	changes bool
}

// handle answers one interaction. It returns the first response, and, when
// that is a deferral, later: the rest of the work, which edits the response
// and must be called once the first response is sent. A nil response means
// the interaction was handled before (a delivery seen twice).
func (a *Adapter) handle(ctx context.Context, i *discordgo.Interaction) (*discordgo.InteractionResponse, func(), error) {
	if i.Type == discordgo.InteractionPing {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}, nil, nil
	}
	actor, err := a.wellFormed(i)
	if err != nil {
		return nil, nil, err
	}
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		return a.safe(ctx, func(ctx context.Context) *discordgo.InteractionResponse { return a.autocomplete(ctx, i) }), nil, nil
	}
	st := a.route(i, actor)
	if st.changes {
		first, err := a.svc.Claim(ctx, "discord.interaction:"+i.ID)
		if err != nil {
			return a.fail(fmt.Errorf("claiming interaction %s: %w", i.ID, err)), nil, nil
		}
		if !first {
			a.log.Info("interaction delivered twice; handled once", "interaction", i.ID)
			return nil, nil, nil
		}
	}
	resp, later := a.run(ctx, i, st)
	return resp, later, nil
}

// wellFormed checks what drone relies on: ids, a token fit for a URL path,
// data of the interaction's type, and who acted, whom it returns.
func (a *Adapter) wellFormed(i *discordgo.Interaction) (drone.Actor, error) {
	if !isSnowflake(i.ID) || !urlSafe(i.Token) {
		return drone.Actor{}, errMalformed
	}
	if i.AppID == "" {
		i.AppID = a.cfg.AppID
	}
	for _, id := range []string{i.AppID, i.GuildID, i.ChannelID} {
		if id != "" && !isSnowflake(id) {
			return drone.Actor{}, errMalformed
		}
	}
	ok := false
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		_, ok = i.Data.(discordgo.ApplicationCommandInteractionData)
	case discordgo.InteractionMessageComponent:
		_, ok = i.Data.(discordgo.MessageComponentInteractionData)
	case discordgo.InteractionModalSubmit:
		_, ok = i.Data.(discordgo.ModalSubmitInteractionData)
	}
	actor, known := actorOf(i)
	if !ok || !known {
		return drone.Actor{}, errMalformed
	}
	return actor, nil
}

// urlSafe reports whether an interaction token can go in a URL path as is.
func urlSafe(s string) bool {
	if s == "" || len(s) > 1000 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// run runs a step, deferring its answer when the work takes too long.
func (a *Adapter) run(ctx context.Context, i *discordgo.Interaction, st step) (*discordgo.InteractionResponse, func()) {
	if !st.defers {
		return a.safe(ctx, st.run), nil
	}
	if !a.work.start() {
		return textResponse("drone is stopping; try again in a moment.", false), nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), workTimeout)
	done := make(chan *discordgo.InteractionResponse, 1)
	go func() { done <- a.safe(wctx, st.run) }()
	timer := time.NewTimer(a.DeferAfter)
	defer timer.Stop()
	select {
	case r := <-done:
		cancel()
		a.work.done()
		return r, nil
	case <-timer.C:
	}
	deferral := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{}}
	if !st.public {
		deferral.Data.Flags = discordgo.MessageFlagsEphemeral
	}
	return deferral, func() {
		defer a.work.done()
		defer cancel()
		a.editOriginal(wctx, i, <-done)
	}
}

// safe runs work, turning a panic into an internal error: one bad
// interaction must not take the gateway connection down.
func (a *Adapter) safe(ctx context.Context, work func(context.Context) *discordgo.InteractionResponse) (r *discordgo.InteractionResponse) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("interaction panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r = a.fail(errors.New("panic"))
		}
	}()
	return work(ctx)
}

// editOriginal replaces a deferral with the answer. Over HTTP, the edit may
// reach Discord before the deferral it edits: a 404 is tried again.
func (a *Adapter) editOriginal(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) {
	var err error
	for try := 1; try <= editTries; try++ {
		if _, err = a.session.InteractionResponseEdit(i, editOf(r), discordgo.WithContext(ctx)); err == nil {
			return
		}
		var re *discordgo.RESTError
		if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != 404 {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(try) * 250 * time.Millisecond):
		}
	}
	a.log.Error("editing a deferred answer", "interaction", i.ID, "err", a.limiter.named(err))
}

// fail answers with what went wrong, to the person who asked only; the
// log keeps the cause of internal errors.
func (a *Adapter) fail(err error) *discordgo.InteractionResponse {
	if drone.ErrorCode(err) == drone.EINTERNAL {
		a.log.Error("answering an interaction", "err", a.limiter.named(err))
	}
	return textResponse(drone.ErrorMessage(err), false)
}

// route decides what an interaction asks for.
func (a *Adapter) route(i *discordgo.Interaction, actor drone.Actor) step {
	switch data := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		if data.CommandType == discordgo.MessageApplicationCommand && data.Name == TimelineMenuName {
			return step{defers: true, changes: true, run: func(ctx context.Context) *discordgo.InteractionResponse {
				return a.timelineFromMenu(ctx, i, actor, data)
			}}
		}
		if data.CommandType == discordgo.MessageApplicationCommand && data.Name == MessageMenuName {
			return step{run: func(ctx context.Context) *discordgo.InteractionResponse {
				return a.indicatorsFromMessage(ctx, i, actor, data)
			}}
		}
		if data.Name == CommandName {
			return a.slash(i, actor, data)
		}
	case discordgo.MessageComponentInteractionData:
		if action, ref, err := parseButtonID(data.CustomID); err == nil {
			return a.button(i, actor, action, ref)
		}
	case discordgo.ModalSubmitInteractionData:
		if mid, err := parseModalID(data.CustomID); err == nil {
			values := modalValues(data)
			public := mid.Dialog != "ioc" && !a.privateSubmit(i, mid)
			return step{defers: true, public: public, changes: true, run: func(ctx context.Context) *discordgo.InteractionResponse {
				return a.submit(ctx, i, actor, mid, values)
			}}
		}
	}
	return answer(textResponse("drone does not know this command: ask an administrator to run drone discord register.", false))
}

// answer is a step whose answer is already known.
func answer(r *discordgo.InteractionResponse) step {
	return step{run: func(context.Context) *discordgo.InteractionResponse { return r }}
}

// exec runs a command of drone's grammar in the interaction's channel.
func (a *Adapter) exec(i *discordgo.Interaction, actor drone.Actor, cmd drone.Command, public bool) step {
	public = public && !a.privateElsewhere(i, cmd.Ref)
	return step{defers: true, public: public, changes: changing[cmd.Name], run: func(ctx context.Context) *discordgo.InteractionResponse {
		here, err := a.router.ChannelIncident(ctx, i.ChannelID)
		if err != nil {
			return a.fail(err)
		}
		r, err := a.svc.Execute(ctx, actor, originOf(i, ""), cmd, here)
		if err != nil {
			return a.fail(err)
		}
		return a.replyResponse(r)
	}}
}

// changing are the commands that change an incident.
var changing = map[string]bool{"ioc": true, "ack": true, "lead": true, "role": true, "access": true, "status": true, "close": true,
	"reopen": true, "action": true, "snooze": true}

// button answers a press on a notice's buttons.
func (a *Adapter) button(i *discordgo.Interaction, actor drone.Actor, action string, ref int64) step {
	switch action {
	case "ack":
		return a.exec(i, actor, drone.Command{Name: "ack", Ref: ref}, true)
	case "status":
		return step{run: func(ctx context.Context) *discordgo.InteractionResponse {
			return a.openStatus(ctx, i, actor, ref, nil)
		}}
	case "close":
		return step{run: func(ctx context.Context) *discordgo.InteractionResponse {
			return a.openClose(ctx, i, actor, ref, nil)
		}}
	}
	return step{run: func(ctx context.Context) *discordgo.InteractionResponse {
		if err := a.svc.Authorize(actor, drone.PermIOC); err != nil {
			return a.fail(err)
		}
		if _, err := a.svc.Incident(ctx, ref); err != nil {
			return a.fail(err)
		}
		d := iocDialog(ref, nil)
		return a.openModal(&d, modalID{Dialog: "ioc", Ref: ref, Key: i.ID}, []string{drone.FieldIndicators})
	}}
}

// openModal answers with a modal, or with the reason it cannot be opened.
func (a *Adapter) openModal(d *drone.Dialog, id modalID, ask []string) *discordgo.InteractionResponse {
	m, err := modal(d, id, ask)
	if err != nil {
		return a.fail(err)
	}
	return m
}

// incidentFor returns the incident an interaction names, or its channel's.
func (a *Adapter) incidentFor(ctx context.Context, i *discordgo.Interaction, ref int64) (*drone.Incident, error) {
	if ref == 0 {
		var err error
		if ref, err = a.router.ChannelIncident(ctx, i.ChannelID); err != nil {
			return nil, err
		}
	}
	if ref == 0 {
		return nil, drone.Errorf(drone.EINVALID, "which incident? Give the incident option, or use the command in the incident's channel")
	}
	return a.svc.Incident(ctx, ref)
}

// openStatus opens the status-update modal, pre-filled with the options
// given (status, next).
func (a *Adapter) openStatus(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, ref int64, opts map[string]string) *discordgo.InteractionResponse {
	if err := a.svc.Authorize(actor, drone.PermUpdate); err != nil {
		return a.fail(err)
	}
	inc, err := a.incidentFor(ctx, i, ref)
	if err != nil {
		return a.fail(err)
	}
	d := a.svc.StatusDialog(inc)
	prefill(&d, opts, drone.FieldStatus)
	if f := d.Field(drone.FieldNextUpdate); f != nil && opts["next"] != "" {
		f.Initial = opts["next"]
	}
	return a.openModal(&d, modalID{Dialog: "status", Ref: inc.Number, Key: i.ID},
		[]string{drone.FieldStatus, drone.FieldSummary, drone.FieldNextUpdate})
}

// openClose opens the closing modal, pre-filled with the options given
// (resolution, impact).
func (a *Adapter) openClose(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, ref int64, opts map[string]string) *discordgo.InteractionResponse {
	if err := a.svc.Authorize(actor, drone.PermClose); err != nil {
		return a.fail(err)
	}
	inc, err := a.incidentFor(ctx, i, ref)
	if err != nil {
		return a.fail(err)
	}
	if inc.Status == drone.StatusClosed {
		return a.fail(drone.Errorf(drone.ECONFLICT, "%s is already closed", inc.Ref()))
	}
	d := a.svc.CloseDialog(inc)
	prefill(&d, opts, drone.FieldResolution, drone.FieldImpact)
	return a.openModal(&d, modalID{Dialog: "close", Ref: inc.Number, Key: i.ID},
		[]string{drone.FieldResolution, drone.FieldImpact, drone.FieldSummary})
}

// prefill sets the initial values of the named fields from options.
func prefill(d *drone.Dialog, opts map[string]string, ids ...string) {
	for _, id := range ids {
		if f := d.Field(id); f != nil && opts[id] != "" {
			f.Initial = opts[id]
		}
	}
}

// submit acts on a submitted modal.
func (a *Adapter) submit(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, mid modalID, typed map[string]string) *discordgo.InteractionResponse {
	switch mid.Dialog {
	case "declare":
		return a.submitDeclare(ctx, i, actor, mid, typed)
	case "ioc":
		return a.submitIndicators(ctx, i, actor, mid, typed)
	case "timeline":
		return a.submitTimeline(ctx, i, actor, mid, typed)
	}
	inc, err := a.svc.Incident(ctx, mid.Ref)
	if err != nil {
		return a.fail(err)
	}
	var d drone.Dialog
	var cmd drone.Command
	if mid.Dialog == "status" {
		d = a.svc.StatusDialog(inc)
	} else {
		d = a.svc.CloseDialog(inc)
	}
	values := fieldsOf(&d, typed)
	normaliseSelects(&d, values)
	errs := d.Validate(values)
	if mid.Dialog == "status" {
		_, more := drone.UpdateInputFromDialog(values)
		for k, v := range more {
			errs[k] = v
		}
		cmd = drone.Command{Name: "status", Ref: mid.Ref, Args: []string{values[drone.FieldSummary]},
			Flags: map[string]string{"status": values[drone.FieldStatus]}}
		if n := values[drone.FieldNextUpdate]; n != "" {
			cmd.Flags["next"] = n
		}
	} else {
		cmd = drone.Command{Name: "close", Ref: mid.Ref, Flags: map[string]string{"resolution": values[drone.FieldResolution],
			"impact": values[drone.FieldImpact], "summary": values[drone.FieldSummary]}}
	}
	if len(errs) > 0 {
		return textResponse(fixMessage(&d, errs, values), false)
	}
	r, err := a.svc.Execute(ctx, actor, originOf(i, ""), cmd, mid.Ref)
	if err != nil {
		return a.fail(err)
	}
	return a.replyResponse(r)
}

// fieldsOf keeps the typed values that are fields of d.
func fieldsOf(d *drone.Dialog, typed map[string]string) map[string]string {
	values := map[string]string{}
	for _, f := range d.Fields {
		if v, ok := typed[f.ID]; ok {
			values[f.ID] = v
		}
	}
	return values
}

// submitDeclare declares the incident of a submitted declare modal. The
// interaction that opened the modal is the declaration's idempotency key:
// a replayed or doubled submission returns the same incident.
func (a *Adapter) submitDeclare(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, mid modalID, typed map[string]string) *discordgo.InteractionResponse {
	d := a.declareDialog()
	values := map[string]string{}
	for _, id := range []string{drone.FieldTitle, drone.FieldOverview, drone.FieldIndicators} {
		values[id] = typed[id]
	}
	if err := decodeFixed(&d, mid.Fixed, values); err != nil {
		return a.fail(drone.Errorf(drone.EINVALID, "%s", err.Error()))
	}
	if errs := d.Validate(values); len(errs) > 0 {
		return textResponse(fixMessage(&d, errs, values), false)
	}
	in := drone.DeclareInputFromDialog(values)
	in.Key = "discord:" + orElse(mid.Key, i.ID)
	inc, res, err := a.svc.Declare(ctx, actor, originOf(i, ""), in)
	if err != nil {
		return a.fail(err)
	}
	text := fmt.Sprintf("Declared %s: %s", inc.Ref(), inc.Title)
	if n := len(res.Added) + len(res.Known) + len(res.Rejected); n > 0 {
		text += "\n" + drone.RenderAddResult(res)
	}
	// A private incident is not announced where it was declared.
	return textResponse(text, !a.svc.IsPrivate(inc))
}

// orElse returns v, or def when v is empty.
func orElse(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// submitIndicators adds the indicators of a submitted modal.
func (a *Adapter) submitIndicators(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, mid modalID, typed map[string]string) *discordgo.InteractionResponse {
	ref := mid.Ref
	if ref == 0 {
		var err error
		if ref, err = drone.ParseRef(typed[fieldIncident]); err != nil {
			return a.fail(err)
		}
	}
	text := strings.TrimSpace(typed[drone.FieldIndicators] + "\n" + typed[fieldInternal])
	if text == "" {
		return a.fail(drone.Errorf(drone.EINVALID, "no indicators were given"))
	}
	res, err := a.svc.AddObservables(ctx, actor, originOf(i, ""), ref, drone.ObservableInput{Text: text})
	if err != nil {
		return a.fail(err)
	}
	return textResponse(fmt.Sprintf("INC-%d: %s", ref, a.svc.RenderAdded(ctx, actor, res)), false)
}

// privateElsewhere reports whether incident ref is private and the
// interaction comes from another channel than its own: the answer, which
// may be deferred before the core says so, must then be ephemeral from the
// start. ref 0 is the channel's own incident.
func (a *Adapter) privateElsewhere(i *discordgo.Interaction, ref int64) bool {
	if ref == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	inc, err := a.svc.Incident(ctx, ref)
	if err != nil || !a.svc.IsPrivate(inc) {
		return false // a missing incident's answer is an error, ephemeral anyway
	}
	here, err := a.router.ChannelIncident(ctx, i.ChannelID)
	return err != nil || here != ref
}

// privateSubmit reports whether a submitted modal is about a private
// incident outside its channel: a declaration made private (or RED), or a
// status or closing form of a private incident.
func (a *Adapter) privateSubmit(i *discordgo.Interaction, mid modalID) bool {
	if mid.Dialog != "declare" {
		return a.privateElsewhere(i, mid.Ref)
	}
	d := a.declareDialog()
	values := map[string]string{}
	if err := decodeFixed(&d, mid.Fixed, values); err != nil {
		return true // refused by the submission itself; nothing to show the channel
	}
	in := drone.DeclareInputFromDialog(values)
	return a.svc.IsPrivate(&drone.Incident{TLP: in.TLP, Private: in.Private})
}
