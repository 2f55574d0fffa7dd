package misp

import (
	"context"
	"fmt"
	"strings"

	"github.com/ttp0/drone/drone"
)

// The references an export records on an incident (Incident.External).
const (
	ExtEventID   = "misp.event_id"
	ExtEventUUID = "misp.event_uuid"
	ExtEventURL  = "misp.event_url"
)

// LockExport is the purpose of the lock an export holds on its incident
// (drone.Service.Lock), so that two exports cannot both miss the event and
// both create one.
const LockExport = "misp.export"

// Actor is who MISP's jobs are on incidents' timelines.
var Actor = drone.Actor{Platform: "misp", ID: "misp", Name: "MISP"}

// IncidentTag is the tag every exported event carries, by which an export
// finds the event of its incident again.
func IncidentTag(incidentID string) string { return "drone:incident-id=" + incidentID }

// Refusal is an export the configuration forbids: the incident's TLP or
// PAP is above what may leave drone.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return "not exported to MISP: " + r.Reason }

// Allowed returns a *Refusal when cfg forbids exporting inc: its TLP above
// export.max_tlp, RED without export.allow_red, its PAP above
// export.max_pap, or a level drone does not know (refused rather than
// guessed).
func Allowed(cfg Config, inc *drone.Incident) error {
	e := cfg.WithDefaults().Export
	tlp, max := tlpRank(inc.TLP), tlpRank(e.MaxTLP)
	switch {
	case tlp < 0:
		return &Refusal{fmt.Sprintf("%s has TLP %q, which drone cannot rank", inc.Ref(), inc.TLP)}
	case level(inc.TLP, "TLP:") == "RED" && !e.AllowRed:
		return &Refusal{fmt.Sprintf("%s is TLP:RED; RED incidents never leave drone (misp.export.allow_red)", inc.Ref())}
	case max < 0 || tlp > max:
		return &Refusal{fmt.Sprintf("%s is TLP:%s, above misp.export.max_tlp (%s)", inc.Ref(), level(inc.TLP, "TLP:"), e.MaxTLP)}
	}
	pap, maxPAP := papRank(inc.PAP), papRank(e.MaxPAP)
	if inc.PAP != "" && (pap < 0 || maxPAP < 0 || pap > maxPAP) {
		return &Refusal{fmt.Sprintf("%s is PAP:%s, above misp.export.max_pap (%s)", inc.Ref(), level(inc.PAP, "PAP:"), e.MaxPAP)}
	}
	return nil
}

// Exporter makes MISP events of incidents.
type Exporter struct {
	Client  *Client
	Service *drone.Service
	Config  Config
}

// ExportResult says what an export did.
type ExportResult struct {
	EventID    string
	URL        string
	Attributes int
	// Created is false when the incident already had its event (recorded,
	// or found by its tag after a lost answer).
	Created bool
}

// Export makes the incident numbered number a MISP event, with its
// indicators that may leave drone and its TLP as a tag, exactly once: an
// event recorded on the incident, or carrying its tag, is the incident's
// event. A refusal by TLP or PAP is a *Refusal and sends nothing.
func (x *Exporter) Export(ctx context.Context, number int64) (ExportResult, error) {
	inc, err := x.Service.Incident(ctx, number)
	if err != nil {
		return ExportResult{}, err
	}
	if err := Allowed(x.Config, inc); err != nil {
		return ExportResult{}, err
	}
	unlock, err := x.Service.Lock(ctx, LockExport, inc.ID)
	if err != nil {
		return ExportResult{}, fmt.Errorf("waiting for another export of %s: %w", inc.Ref(), err)
	}
	defer unlock()
	if inc, err = x.Service.Incident(ctx, number); err != nil { // as the last export left it
		return ExportResult{}, err
	}
	if id := inc.External[ExtEventID]; id != "" {
		return ExportResult{EventID: id, URL: inc.External[ExtEventURL]}, nil
	}
	id, uuid, err := x.Client.FindEvent(ctx, IncidentTag(inc.ID))
	if err != nil {
		return ExportResult{}, fmt.Errorf("looking for %s's event in MISP: %w", inc.Ref(), err)
	}
	res := ExportResult{EventID: id}
	if id == "" {
		ev, err := x.event(ctx, inc)
		if err != nil {
			return ExportResult{}, err
		}
		if ev, err = x.Client.AddEvent(ctx, ev); err != nil {
			return ExportResult{}, fmt.Errorf("creating %s's event in MISP: %w", inc.Ref(), err)
		}
		id, uuid, res = ev.ID, ev.UUID, ExportResult{EventID: ev.ID, Attributes: len(ev.Attributes), Created: true}
	}
	res.URL = x.Client.Base() + "/events/view/" + id
	text := fmt.Sprintf("Exported to MISP as event %s (%s)", id, res.URL)
	vals := map[string]string{ExtEventID: id, ExtEventUUID: uuid, ExtEventURL: res.URL}
	if err := x.Service.SetExternal(ctx, Actor, inc.ID, vals, text); err != nil {
		return res, fmt.Errorf("recording MISP event %s on %s: %w", id, inc.Ref(), err)
	}
	return res, nil
}

// event builds the MISP event of an incident: its public indicators whose
// own TLP may leave drone, the incident's TLP and PAP as tags.
func (x *Exporter) event(ctx context.Context, inc *drone.Incident) (Event, error) {
	obs, err := x.Service.Observables(ctx, inc.ID)
	if err != nil {
		return Event{}, err
	}
	cfg := x.Config.WithDefaults()
	ev := Event{Info: fmt.Sprintf("%s: %s", inc.Ref(), inc.Title), Distribution: cfg.Export.Distribution,
		ThreatLevelID: threatLevelOf(inc.Severity), Analysis: analysisOf(inc.Status),
		Date: inc.DeclaredAt.UTC().Format("2006-01-02"), Tags: eventTags(cfg, inc)}
	for _, o := range exportable(cfg, inc, obs) {
		typ, cat, _ := exportType(o.Type)
		ev.Attributes = append(ev.Attributes, Attribute{Type: typ, Category: cat, Value: o.Value, ToIDS: o.IOC,
			Comment: "from drone " + inc.Ref(), Tags: o.Tags})
	}
	return ev, nil
}

// exportable keeps the observables that may leave drone: not the
// organisation's own, of a type MISP has, and of a TLP (the incident's when
// the observable has none) the export allows.
func exportable(cfg Config, inc *drone.Incident, obs []drone.Observable) []drone.Observable {
	var out []drone.Observable
	for _, o := range obs {
		tlp := o.TLP
		if tlp == "" {
			tlp = inc.TLP
		}
		r := tlpRank(tlp)
		_, _, known := exportType(o.Type)
		if o.Internal || !known || r < 0 || r > tlpRank(cfg.Export.MaxTLP) || (r == tlpRank("RED") && !cfg.Export.AllowRed) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// eventTags are the MISP taxonomy tags of the incident's TLP and PAP,
// drone's own tag, and the configured ones.
func eventTags(cfg Config, inc *drone.Incident) []string {
	tags := []string{"tlp:" + strings.ToLower(level(inc.TLP, "TLP:"))}
	if inc.PAP != "" {
		tags = append(tags, "PAP:"+level(inc.PAP, "PAP:"))
	}
	tags = append(tags, IncidentTag(inc.ID))
	return append(tags, cfg.Export.Tags...)
}

// threatLevelOf maps drone's severity (1 LOW .. 4 CRITICAL) to MISP's
// threat_level_id (1 high .. 3 low).
func threatLevelOf(severity int) int {
	switch {
	case severity >= 3:
		return 1
	case severity == 2:
		return 2
	case severity == 1:
		return 3
	}
	return 4
}

// analysisOf maps the incident's status to MISP's analysis: 2 (completed)
// once resolved or closed, 1 (ongoing) before.
func analysisOf(s drone.Status) int {
	if s == drone.StatusResolved || s == drone.StatusClosed {
		return 2
	}
	return 1
}
