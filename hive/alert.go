package hive

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// AlertInput is an alert to raise; (Type, Source, SourceRef) is unique in
// an organisation.
type AlertInput struct {
	// Type, Source and SourceRef identify the alert; all are required.
	Type, Source, SourceRef string
	// Title and Description are required.
	Title, Description string
	// Severity is 1 to 4; 0 leaves TheHive's default.
	Severity int
	// TLP and PAP are names; empty leaves TheHive's default.
	TLP, PAP string
	// Tags of the alert.
	Tags []string
	// Date is when the alert was raised; zero is now on TheHive's side.
	Date time.Time
	// CaseTemplate applies when the alert is promoted.
	CaseTemplate string
	// Observables are created with the alert.
	Observables []AlertObservable
}

// AlertObservable is one observable of an alert.
type AlertObservable struct {
	DataType, Data, Message string
	// TLP is a name; empty leaves TheHive's default.
	TLP  string
	IOC  bool
	Tags []string
}

// Alert is an alert as TheHive returned it.
type Alert struct {
	ID                      string
	Type, Source, SourceRef string
	Title                   string
	Status                  string
	// CaseID is the case the alert was promoted to, if any.
	CaseID string
}

// CreateAlert raises an alert. A second alert with the same type, source
// and sourceRef is refused with a 400 CreateError.
func (c *Client) CreateAlert(ctx context.Context, in AlertInput) (*Alert, error) {
	body, err := c.alertBody(in)
	if err != nil {
		return nil, fmt.Errorf("creating alert: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, c.routes.createAlert, body)
	if err != nil {
		return nil, fmt.Errorf("creating alert %s/%s/%s: %w", in.Type, in.Source, in.SourceRef, err)
	}
	var w struct {
		ID        string `json:"_id"`
		LegacyID  string `json:"id"`
		Type      string `json:"type"`
		Source    string `json:"source"`
		SourceRef string `json:"sourceRef"`
		Title     string `json:"title"`
		Status    string `json:"status"`
		CaseID    string `json:"caseId"`
		Case      string `json:"case"`
	}
	if err := decode(http.MethodPost, c.routes.createAlert, resp.body, &w); err != nil {
		return nil, fmt.Errorf("creating alert: %w", err)
	}
	return &Alert{
		ID: first(w.ID, w.LegacyID), Type: w.Type, Source: w.Source, SourceRef: w.SourceRef,
		Title: w.Title, Status: w.Status, CaseID: first(w.CaseID, w.Case),
	}, nil
}

func (c *Client) alertBody(in AlertInput) (map[string]any, error) {
	if in.Type == "" || in.Source == "" || in.SourceRef == "" || in.Title == "" || in.Description == "" {
		return nil, fmt.Errorf("%w: an alert needs type, source, sourceRef, title and description", ErrInvalidInput)
	}
	if err := checkSeverity(in.Severity); err != nil {
		return nil, err
	}
	tlp, pap, err := c.levels(in.TLP, in.PAP)
	if err != nil {
		return nil, err
	}
	m := map[string]any{
		"type": in.Type, "source": in.Source, "sourceRef": in.SourceRef,
		"title": in.Title, "description": in.Description,
	}
	setAlertOptions(m, in, tlp, pap)
	obs, err := c.alertObservables(in.Observables)
	if err != nil {
		return nil, err
	}
	if len(obs) > 0 {
		key := "observables"
		if c.api == APIv0 {
			key = "artifacts"
		}
		m[key] = obs
	}
	return m, nil
}

// setAlertOptions adds the fields of in that are set.
func setAlertOptions(m map[string]any, in AlertInput, tlp, pap *int) {
	if in.Severity != 0 {
		m["severity"] = in.Severity
	}
	if len(in.Tags) > 0 {
		m["tags"] = uniq(in.Tags)
	}
	if !in.Date.IsZero() {
		m["date"] = in.Date.UnixMilli()
	}
	if in.CaseTemplate != "" {
		m["caseTemplate"] = in.CaseTemplate
	}
	if tlp != nil {
		m["tlp"] = *tlp
	}
	if pap != nil {
		m["pap"] = *pap
	}
}

func (c *Client) alertObservables(in []AlertObservable) ([]map[string]any, error) {
	var out []map[string]any
	for _, o := range in {
		if o.DataType == "" || o.Data == "" {
			return nil, fmt.Errorf("%w: an alert observable needs a data type and a value", ErrInvalidInput)
		}
		tlp, err := TLPNumber(c.api, o.TLP)
		if err != nil {
			return nil, err
		}
		m := map[string]any{"dataType": o.DataType, "data": o.Data, "ioc": o.IOC}
		if o.Message != "" {
			m["message"] = o.Message
		}
		if tlp >= 0 {
			m["tlp"] = tlp
		}
		if len(o.Tags) > 0 {
			m["tags"] = uniq(o.Tags)
		}
		out = append(out, m)
	}
	return out, nil
}

// PromoteAlert turns an alert into a case and returns the case.
func (c *Client) PromoteAlert(ctx context.Context, alertID string) (*Case, error) {
	path, err := with(c.routes.promote, "alert", alertID)
	if err != nil {
		return nil, fmt.Errorf("promoting alert: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, path, map[string]any{})
	if err != nil {
		return nil, fmt.Errorf("promoting alert %s: %w", alertID, err)
	}
	cs, err := c.decodeCase(http.MethodPost, path, resp.body)
	if err != nil {
		return nil, fmt.Errorf("promoting alert %s: %w", alertID, err)
	}
	return cs, nil
}
