package hive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ObservableInput is one or more observables of one data type to add to a
// case: TheHive creates one observable per element of Data.
type ObservableInput struct {
	// DataType is a TheHive data type: ip, domain, url, hash, mail, ...
	DataType string
	// Data holds the values; duplicates are sent once.
	Data []string
	// Message describes the observables.
	Message string
	// TLP is a name; empty leaves TheHive's default.
	TLP string
	// IOC marks the observables as indicators of compromise.
	IOC bool
	// Sighted marks them as seen in the organisation.
	Sighted bool
	// Tags of the observables.
	Tags []string
}

// Observable is an observable as TheHive returned it.
type Observable struct {
	ID        string
	DataType  string
	Data      string
	Message   string
	TLP       string
	IOC       bool
	Sighted   bool
	Tags      []string
	CreatedAt time.Time
	// Attachment is the file of a "file" observable, which has no Data.
	Attachment *Attachment
}

// ObservableFailure is one value TheHive did not create.
type ObservableFailure struct {
	// Type and Message are TheHive's error, such as CreateError.
	Type, Message string
	// Data is the value that failed.
	Data string
}

// Duplicate reports whether the value was refused because the case already
// holds it, which is success for a caller that adds observables again.
func (f ObservableFailure) Duplicate() bool {
	return (f.Type == "CreateError" || f.Type == "ConflictError") &&
		strings.Contains(strings.ToLower(f.Message), "already exists")
}

// ObservableResult is the per-value outcome of CreateObservables.
type ObservableResult struct {
	Created  []Observable
	Failures []ObservableFailure
}

// Duplicates returns the values the case already held.
func (r *ObservableResult) Duplicates() []string {
	var out []string
	for _, f := range r.Failures {
		if f.Duplicate() {
			out = append(out, f.Data)
		}
	}
	return out
}

// Errors returns the failures that are not duplicates.
func (r *ObservableResult) Errors() []ObservableFailure {
	var out []ObservableFailure
	for _, f := range r.Failures {
		if !f.Duplicate() {
			out = append(out, f)
		}
	}
	return out
}

// CreateObservables adds observables to a case. TheHive answers 201 when
// every value was created and 207 when some failed; both give a result, the
// failures in it. An error means nothing can be said per value (unknown
// data type, unknown case, transport).
func (c *Client) CreateObservables(ctx context.Context, caseID string, in ObservableInput) (*ObservableResult, error) {
	path, err := with(c.routes.observables, "case", caseID)
	if err != nil {
		return nil, fmt.Errorf("adding observables: %w", err)
	}
	body, err := c.observableBody(in)
	if err != nil {
		return nil, fmt.Errorf("adding observables to case %s: %w", caseID, err)
	}
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, fmt.Errorf("adding observables to case %s: %w", caseID, err)
	}
	res, err := decodeObservables(c.api, resp.body)
	if err != nil {
		return nil, fmt.Errorf("adding observables to case %s: %w", caseID, err)
	}
	return res, nil
}

func (c *Client) observableBody(in ObservableInput) (map[string]any, error) {
	data := uniq(in.Data)
	if in.DataType == "" || len(data) == 0 {
		return nil, fmt.Errorf("%w: observables need a data type and at least one value", ErrInvalidInput)
	}
	tlp, err := TLPNumber(c.api, in.TLP)
	if err != nil {
		return nil, err
	}
	m := map[string]any{"dataType": in.DataType, "data": data, "ioc": in.IOC, "sighted": in.Sighted}
	if in.Message != "" {
		m["message"] = in.Message
	}
	if tlp >= 0 {
		m["tlp"] = tlp
	}
	if len(in.Tags) > 0 {
		m["tags"] = uniq(in.Tags)
	}
	return m, nil
}

type wireObservable struct {
	ID              string   `json:"_id"`
	LegacyID        string   `json:"id"`
	DataType        string   `json:"dataType"`
	Data            string   `json:"data"`
	Message         string   `json:"message"`
	TLP             *int     `json:"tlp"`
	IOC             bool     `json:"ioc"`
	Sighted         bool     `json:"sighted"`
	Tags            []string `json:"tags"`
	CreatedAt       int64    `json:"_createdAt"`
	LegacyCreatedAt int64    `json:"createdAt"`
	// Attachment is set on file observables.
	Attachment *wireAttachment `json:"attachment"`
}

type wireFailure struct {
	Type    string          `json:"type"`
	Message string          `json:"message"`
	Object  json.RawMessage `json:"object"`
}

// decodeObservables reads a 201 array or a 207 {"success", "failure"}.
func decodeObservables(api string, body []byte) (*ObservableResult, error) {
	body = bytes.TrimSpace(body)
	var created []wireObservable
	var failed []wireFailure
	switch {
	case len(body) > 0 && body[0] == '[':
		if err := json.Unmarshal(body, &created); err != nil {
			return nil, fmt.Errorf("decoding observables: %w", err)
		}
	case len(body) > 0 && body[0] == '{':
		var multi struct {
			Success []wireObservable `json:"success"`
			Failure []wireFailure    `json:"failure"`
		}
		if err := json.Unmarshal(body, &multi); err != nil {
			return nil, fmt.Errorf("decoding observables: %w", err)
		}
		created, failed = multi.Success, multi.Failure
	default:
		return nil, fmt.Errorf("decoding observables: neither an array nor an object")
	}
	res := &ObservableResult{}
	for _, w := range created {
		res.Created = append(res.Created, observableFromWire(api, w))
	}
	for _, f := range failed {
		res.Failures = append(res.Failures, ObservableFailure{Type: f.Type, Message: f.Message, Data: failureData(f.Object)})
	}
	return res, nil
}

func observableFromWire(api string, w wireObservable) Observable {
	o := Observable{
		ID: first(w.ID, w.LegacyID), DataType: w.DataType, Data: w.Data, Message: w.Message,
		IOC: w.IOC, Sighted: w.Sighted, Tags: w.Tags,
		CreatedAt:  fromMillis(max(w.CreatedAt, w.LegacyCreatedAt)),
		Attachment: w.Attachment.attachment(),
	}
	if w.TLP != nil {
		o.TLP = TLPName(api, *w.TLP)
	}
	return o
}

// failureData reads {"data": "..."}, or the file name of a refused
// attachment; data of another kind (a list, a number) is kept as the JSON
// TheHive sent, and an object drone cannot read gives "".
func failureData(raw json.RawMessage) string {
	var obj struct {
		Data       json.RawMessage `json:"data"`
		Attachment *struct {
			Name string `json:"name"`
		} `json:"attachment"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	data := bytes.TrimSpace(obj.Data)
	if len(data) == 0 || string(data) == "null" {
		if obj.Attachment != nil {
			return obj.Attachment.Name
		}
		return ""
	}
	var s string
	if json.Unmarshal(data, &s) == nil {
		return s
	}
	return string(data)
}
