package servicenow

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/tracker"
)

// Display is the correlation_display drone's records carry: the name of
// the system that the correlation_id belongs to.
const Display = "drone"

// timeLayout is how the Table API writes times, in UTC.
const timeLayout = "2006-01-02 15:04:05"

// fields are the fields drone reads of a record.
const fields = "sys_id,number,state,sys_updated_on,correlation_id"

// pageSize is how many records one request of a listing asks for.
const pageSize = 100

var _ tracker.Tracker = (*Client)(nil)

// record is a record as the Table API sends it (sysparm_fields=fields).
type record struct {
	SysID         string `json:"sys_id"`
	Number        string `json:"number"`
	State         string `json:"state"`
	Updated       string `json:"sys_updated_on"`
	CorrelationID string `json:"correlation_id"`
}

// stateNames are the incident table's states, for people.
var stateNames = map[string]string{"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}

func (c *Client) ticket(r record) tracker.Ticket {
	t := tracker.Ticket{ID: r.SysID, Number: r.Number, URL: c.RecordURL(r.SysID), State: tracker.StateOpen,
		Status: "state " + r.State, Correlation: r.CorrelationID}
	if name, ok := stateNames[r.State]; ok && c.cfg.Table == DefaultTable {
		t.Status = name
	}
	switch {
	case r.State == c.cfg.CancelState:
		t.State = tracker.StateCancelled
	case slices.Contains(c.cfg.DoneStates, r.State):
		t.State = tracker.StateDone
	}
	if u, err := time.ParseInLocation(timeLayout, r.Updated, time.UTC); err == nil {
		t.Updated = u
	}
	if t.Number == "" {
		t.Number = r.SysID
	}
	return t
}

// RecordURL returns the page of a record for people.
func (c *Client) RecordURL(sysID string) string {
	return c.base + "/" + c.cfg.Table + ".do?sys_id=" + url.QueryEscape(sysID)
}

func (c *Client) tablePath() string { return "/api/now/table/" + url.PathEscape(c.cfg.Table) }

// list reads the records matching an encoded query, page after page, up to
// limit records (0: all).
func (c *Client) list(ctx context.Context, query string, limit int) ([]record, error) {
	var all []record
	size := pageSize
	if limit > 0 {
		size = min(limit, pageSize)
	}
	for {
		q := url.Values{"sysparm_query": {query}, "sysparm_fields": {fields}, "sysparm_limit": {strconv.Itoa(size)},
			"sysparm_offset": {strconv.Itoa(len(all))}, "sysparm_exclude_reference_link": {"true"}}
		var out struct {
			Result []record `json:"result"`
		}
		if err := c.do(ctx, http.MethodGet, c.tablePath()+"?"+q.Encode(), nil, &out); err != nil {
			return nil, fmt.Errorf("listing %s where %s: %w", c.cfg.Table, query, err)
		}
		all = append(all, out.Result...)
		if len(out.Result) < size || (limit > 0 && len(all) >= limit) {
			return all, nil
		}
	}
}

// Find returns the oldest record of the table carrying correlation as its
// correlation_id, or nil.
func (c *Client) Find(ctx context.Context, correlation string) (*tracker.Ticket, error) {
	found, err := c.list(ctx, "correlation_id="+correlation+"^ORDERBYsys_created_on", 1)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	t := c.ticket(found[0])
	return &t, nil
}

// Changed returns drone's records of the table updated within window.
func (c *Client) Changed(ctx context.Context, window time.Duration) ([]tracker.Ticket, error) {
	minutes := int((window + time.Minute - 1) / time.Minute)
	query := fmt.Sprintf("correlation_display=%s^sys_updated_onRELATIVEGE@minute@ago@%d", Display, minutes)
	found, err := c.list(ctx, query, 0)
	if err != nil {
		return nil, err
	}
	out := make([]tracker.Ticket, 0, len(found))
	for _, r := range found {
		out = append(out, c.ticket(r))
	}
	return out, nil
}

// Create inserts a record.
func (c *Client) Create(ctx context.Context, nt tracker.NewTicket) (*tracker.Ticket, error) {
	in := map[string]string{"short_description": nt.Summary, "description": nt.Description,
		"correlation_id": nt.Correlation, "correlation_display": Display}
	if c.cfg.AssignmentGroup != "" {
		in["assignment_group"] = c.cfg.AssignmentGroup
	}
	if nt.Due != nil && c.cfg.DueField != "none" {
		in[c.cfg.DueField] = nt.Due.UTC().Format(timeLayout)
	}
	if nt.Assignee != "" {
		in["assigned_to"] = nt.Assignee
	}
	var out struct {
		Result record `json:"result"`
	}
	if err := c.do(ctx, http.MethodPost, c.tablePath()+"?sysparm_fields="+fields, in, &out); err != nil {
		return nil, err
	}
	if out.Result.SysID == "" {
		return nil, drone.Permanent(fmt.Errorf("servicenow: POST %s: the answer names no sys_id", c.tablePath()))
	}
	t := c.ticket(out.Result)
	return &t, nil
}

// Get reads a record by its sys_id, with its due date.
func (c *Client) Get(ctx context.Context, sysID string) (*tracker.Ticket, error) {
	var out struct {
		Result map[string]string `json:"result"`
	}
	want := fields
	if c.cfg.DueField != "none" {
		want += "," + c.cfg.DueField
	}
	path := c.tablePath() + "/" + url.PathEscape(sysID) + "?sysparm_fields=" + want + "&sysparm_exclude_reference_link=true"
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	r := out.Result
	t := c.ticket(record{SysID: r["sys_id"], Number: r["number"], State: r["state"], Updated: r["sys_updated_on"],
		CorrelationID: r["correlation_id"]})
	if d, err := time.ParseInLocation(timeLayout, r[c.cfg.DueField], time.UTC); err == nil {
		t.Due = &d
	}
	return &t, nil
}

// SetDue writes the due date into servicenow.due_field, unless the record
// has it already (to the second) or the field is "none".
func (c *Client) SetDue(ctx context.Context, t *tracker.Ticket, due time.Time) error {
	at := due.UTC().Format(timeLayout)
	if c.cfg.DueField == "none" || (t.Due != nil && t.Due.UTC().Format(timeLayout) == at) {
		return nil
	}
	path := c.tablePath() + "/" + url.PathEscape(t.ID) + "?sysparm_fields=sys_id"
	return c.do(ctx, http.MethodPatch, path, map[string]string{c.cfg.DueField: at}, nil)
}

// Move sets the record's state: CloseState (with close_code and
// close_notes) for done, CancelState for cancelled, ReopenState for open.
func (c *Client) Move(ctx context.Context, t *tracker.Ticket, to tracker.State, note string) error {
	in := map[string]string{}
	switch to {
	case tracker.StateDone:
		in["state"] = c.cfg.CloseState
		if c.cfg.CloseCode != "" {
			in["close_code"] = c.cfg.CloseCode
		}
		in["close_notes"] = note
	case tracker.StateCancelled:
		in["state"], in["close_notes"] = c.cfg.CancelState, note
		if c.cfg.CloseCode != "" {
			in["close_code"] = c.cfg.CloseCode
		}
	default:
		in["state"], in["work_notes"] = c.cfg.ReopenState, note
	}
	path := c.tablePath() + "/" + url.PathEscape(t.ID) + "?sysparm_fields=" + fields
	var out struct {
		Result record `json:"result"`
	}
	if err := c.do(ctx, http.MethodPatch, path, in, &out); err != nil {
		return err
	}
	if out.Result.State != "" && out.Result.State != in["state"] {
		// A business rule or the state model refused the move silently.
		return drone.Permanent(fmt.Errorf("servicenow: %s stays in state %s after drone set %s; check servicenow.%s",
			t.Number, out.Result.State, in["state"], stateSetting(to)))
	}
	return nil
}

func stateSetting(to tracker.State) string {
	switch to {
	case tracker.StateDone:
		return "close_state"
	case tracker.StateCancelled:
		return "cancel_state"
	}
	return "reopen_state"
}
