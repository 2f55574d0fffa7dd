package hive

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Case statuses, in TheHive 5's vocabulary; the client translates them for
// the v0 API (New and InProgress are Open there, the others are Resolved
// with this resolution status).
const (
	StatusNew           = "New"
	StatusInProgress    = "InProgress"
	StatusTruePositive  = "TruePositive"
	StatusFalsePositive = "FalsePositive"
	StatusIndeterminate = "Indeterminate"
	StatusOther         = "Other"
	StatusDuplicated    = "Duplicated"
)

// Impact statuses of a closed case.
const (
	ImpactWith          = "WithImpact"
	ImpactNone          = "NoImpact"
	ImpactNotApplicable = "NotApplicable"
)

// CaseInput is a case to create.
type CaseInput struct {
	// Title is required, at most 512 characters.
	Title string
	// Description is required.
	Description string
	// Severity is 1 (low) to 4 (critical); 0 leaves TheHive's default (2).
	Severity int
	// TLP and PAP are names (CLEAR, GREEN, AMBER, AMBER+STRICT, RED); empty
	// leaves TheHive's default.
	TLP, PAP string
	// Tags are sent once each, in order.
	Tags []string
	// Flag marks the case.
	Flag bool
	// StartDate defaults to now on TheHive's side.
	StartDate time.Time
	// CaseTemplate is the name of the template to apply.
	CaseTemplate string
	// Assignee is a TheHive login.
	Assignee string
	// CustomFields maps internal custom-field names to values (string,
	// bool, integers, floats or time.Time).
	CustomFields map[string]any
	// Tasks are created with the case.
	Tasks []TaskInput
}

// CaseUpdate is a change to a case; zero fields are left as they are.
type CaseUpdate struct {
	Title, Description string
	// Severity is 1 to 4; 0 leaves it.
	Severity int
	// TLP and PAP are names; empty leaves them.
	TLP, PAP string
	// Tags, when not nil, replace the case's tags.
	Tags []string
	// Flag, when not nil, sets the flag.
	Flag *bool
	// Status is one of the Status constants (TheHive 5 vocabulary).
	Status string
	// ImpactStatus is one of the Impact constants, for a closed case.
	ImpactStatus string
	// Summary is the closing summary.
	Summary string
	// Assignee is a TheHive login.
	Assignee string
	// CustomFields sets these custom fields.
	CustomFields map[string]any
}

// Case is a case as TheHive returned it.
type Case struct {
	// ID is TheHive's id (~123456); Number is the case number people see.
	ID     string
	Number int
	// Title and Description of the case.
	Title, Description string
	// Severity is 1 to 4.
	Severity int
	// TLP and PAP are names.
	TLP, PAP string
	// Tags of the case.
	Tags []string
	// Flag is set on flagged cases.
	Flag bool
	// Status is TheHive's status as returned (v0: Open or Resolved).
	Status string
	// Closed is true once the case is closed (v1 stage Closed, v0 Resolved).
	Closed bool
	// Resolution is the closing status (TruePositive, ...) of a closed case.
	Resolution string
	// ImpactStatus and Summary are set when the case was closed.
	ImpactStatus, Summary string
	// Assignee is the login of the assignee (v0: owner).
	Assignee string
	// CaseTemplate is the template the case was created from.
	CaseTemplate string
	// CustomFields maps custom-field names to their values.
	CustomFields map[string]any
	// StartDate and CreatedAt are TheHive's dates.
	StartDate, CreatedAt time.Time
	// CreatedBy is the login of the creator.
	CreatedBy string
}

// CreateCase creates a case, with its tasks.
func (c *Client) CreateCase(ctx context.Context, in CaseInput) (*Case, error) {
	body, err := c.caseBody(in)
	if err != nil {
		return nil, fmt.Errorf("creating case: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, c.routes.createCase, body)
	if err != nil {
		return nil, fmt.Errorf("creating case: %w", err)
	}
	cs, err := c.decodeCase(http.MethodPost, c.routes.createCase, resp.body)
	if err != nil {
		return nil, fmt.Errorf("creating case: %w", err)
	}
	return cs, nil
}

// GetCase returns a case by id (~123456) or by number.
func (c *Client) GetCase(ctx context.Context, idOrNumber string) (*Case, error) {
	path, err := with(c.routes.caseByID, "case", idOrNumber)
	if err != nil {
		return nil, fmt.Errorf("getting case: %w", err)
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, fmt.Errorf("getting case %s: %w", idOrNumber, err)
	}
	cs, err := c.decodeCase(http.MethodGet, path, resp.body)
	if err != nil {
		return nil, fmt.Errorf("getting case %s: %w", idOrNumber, err)
	}
	return cs, nil
}

// UpdateCase changes a case (PATCH); TheHive 5 answers 204, TheHive 4 the
// updated case, which is not read.
func (c *Client) UpdateCase(ctx context.Context, id string, up CaseUpdate) error {
	path, err := with(c.routes.caseByID, "case", id)
	if err != nil {
		return fmt.Errorf("updating case: %w", err)
	}
	body, err := c.updateBody(up)
	if err != nil {
		return fmt.Errorf("updating case %s: %w", id, err)
	}
	if _, err := c.do(ctx, http.MethodPatch, path, body); err != nil {
		return fmt.Errorf("updating case %s: %w", id, err)
	}
	return nil
}

type wireTaskIn struct {
	Title       string `json:"title"`
	Group       string `json:"group,omitempty"`
	Description string `json:"description,omitempty"`
	Status      string `json:"status,omitempty"`
	Assignee    string `json:"assignee,omitempty"`
	Owner       string `json:"owner,omitempty"`
	DueDate     int64  `json:"dueDate,omitempty"`
	Order       int    `json:"order,omitempty"`
}

type wireCaseIn struct {
	Title        string       `json:"title"`
	Description  string       `json:"description"`
	Severity     int          `json:"severity,omitempty"`
	TLP          *int         `json:"tlp,omitempty"`
	PAP          *int         `json:"pap,omitempty"`
	Tags         []string     `json:"tags,omitempty"`
	Flag         bool         `json:"flag,omitempty"`
	StartDate    int64        `json:"startDate,omitempty"`
	CaseTemplate string       `json:"caseTemplate,omitempty"`
	Assignee     string       `json:"assignee,omitempty"`
	Owner        string       `json:"owner,omitempty"`
	CustomFields any          `json:"customFields,omitempty"`
	Tasks        []wireTaskIn `json:"tasks,omitempty"`
}

func (c *Client) caseBody(in CaseInput) (*wireCaseIn, error) {
	if err := checkCaseInput(in); err != nil {
		return nil, err
	}
	tlp, pap, err := c.levels(in.TLP, in.PAP)
	if err != nil {
		return nil, err
	}
	cf, err := c.customFields(in.CustomFields)
	if err != nil {
		return nil, err
	}
	w := &wireCaseIn{
		Title: in.Title, Description: in.Description, Severity: in.Severity,
		TLP: tlp, PAP: pap, Tags: uniq(in.Tags), Flag: in.Flag,
		StartDate: millis(in.StartDate), CaseTemplate: in.CaseTemplate, CustomFields: cf,
	}
	c.setAssignee(&w.Assignee, &w.Owner, in.Assignee)
	for _, t := range in.Tasks {
		wt, err := c.taskBody(t)
		if err != nil {
			return nil, err
		}
		w.Tasks = append(w.Tasks, *wt)
	}
	return w, nil
}

func checkCaseInput(in CaseInput) error {
	switch {
	case strings.TrimSpace(in.Title) == "":
		return fmt.Errorf("%w: a case needs a title", ErrInvalidInput)
	case utf8.RuneCountInString(in.Title) > 512:
		return fmt.Errorf("%w: case title longer than 512 characters", ErrInvalidInput)
	case strings.TrimSpace(in.Description) == "":
		return fmt.Errorf("%w: a case needs a description", ErrInvalidInput)
	}
	return checkSeverity(in.Severity)
}

func checkSeverity(s int) error {
	if s < 0 || s > 4 {
		return fmt.Errorf("%w: severity %d is not 1 to 4", ErrInvalidInput, s)
	}
	return nil
}

// levels turns TLP and PAP names into this version's numbers; nil leaves
// the default.
func (c *Client) levels(tlpName, papName string) (tlp, pap *int, err error) {
	t, err := TLPNumber(c.api, tlpName)
	if err != nil {
		return nil, nil, err
	}
	p, err := PAPNumber(papName)
	if err != nil {
		return nil, nil, err
	}
	if t >= 0 {
		tlp = &t
	}
	if p >= 0 {
		pap = &p
	}
	return tlp, pap, nil
}

func (c *Client) setAssignee(assignee, owner *string, login string) {
	if c.api == APIv0 {
		*owner = login
	} else {
		*assignee = login
	}
}

// customFields writes custom fields as this version expects them: v1
// {"name": value}, v0 {"name": {"type": value}}.
func (c *Client) customFields(in map[string]any) (any, error) {
	if len(in) == 0 {
		return nil, nil
	}
	v1 := map[string]any{}
	v0 := map[string]map[string]any{}
	for name, v := range in {
		if name == "" {
			return nil, fmt.Errorf("%w: custom field without a name", ErrInvalidInput)
		}
		typ, val, ok := customFieldValue(v)
		if !ok {
			return nil, fmt.Errorf("%w: custom field %q: unsupported value type %T", ErrInvalidInput, name, v)
		}
		v1[name] = val
		v0[name] = map[string]any{typ: val}
	}
	if c.api == APIv0 {
		return v0, nil
	}
	return v1, nil
}

func customFieldValue(v any) (typ string, val any, ok bool) {
	switch x := v.(type) {
	case string:
		return "string", x, true
	case bool:
		return "boolean", x, true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "integer", x, true
	case float32, float64:
		return "float", x, true
	case time.Time:
		return "date", x.UnixMilli(), true
	}
	return "", nil, false
}

// v0Status translates a TheHive 5 status for TheHive 4.
func v0Status(status string) (st, resolution string) {
	switch status {
	case StatusNew, StatusInProgress:
		return "Open", ""
	case StatusTruePositive, StatusFalsePositive, StatusIndeterminate, StatusOther, StatusDuplicated:
		return "Resolved", status
	}
	return status, ""
}

func (c *Client) updateBody(up CaseUpdate) (map[string]any, error) {
	if err := checkSeverity(up.Severity); err != nil {
		return nil, err
	}
	tlp, pap, err := c.levels(up.TLP, up.PAP)
	if err != nil {
		return nil, err
	}
	cf, err := c.customFields(up.CustomFields)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	set := func(k string, v any, ok bool) {
		if ok {
			m[k] = v
		}
	}
	set("title", up.Title, up.Title != "")
	set("description", up.Description, up.Description != "")
	set("severity", up.Severity, up.Severity != 0)
	set("tlp", tlp, tlp != nil)
	set("pap", pap, pap != nil)
	set("tags", uniq(up.Tags), up.Tags != nil)
	set("flag", up.Flag, up.Flag != nil)
	set("impactStatus", up.ImpactStatus, up.ImpactStatus != "")
	set("summary", up.Summary, up.Summary != "")
	set("customFields", cf, cf != nil)
	c.statusFields(m, up)
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: nothing to update", ErrInvalidInput)
	}
	return m, nil
}

func (c *Client) statusFields(m map[string]any, up CaseUpdate) {
	if c.api != APIv0 {
		if up.Status != "" {
			m["status"] = up.Status
		}
		if up.Assignee != "" {
			m["assignee"] = up.Assignee
		}
		return
	}
	if up.Status != "" {
		st, res := v0Status(up.Status)
		m["status"] = st
		if res != "" {
			m["resolutionStatus"] = res
		}
	}
	if up.Assignee != "" {
		m["owner"] = up.Assignee
	}
}

// wireCase is a case on the wire, both versions' fields together.
type wireCase struct {
	ID               string          `json:"_id"`
	LegacyID         string          `json:"id"`
	Number           int             `json:"number"`
	CaseID           int             `json:"caseId"`
	Title            string          `json:"title"`
	Description      string          `json:"description"`
	Severity         int             `json:"severity"`
	TLP              *int            `json:"tlp"`
	PAP              *int            `json:"pap"`
	Tags             []string        `json:"tags"`
	Flag             bool            `json:"flag"`
	Status           string          `json:"status"`
	Stage            string          `json:"stage"`
	ResolutionStatus string          `json:"resolutionStatus"`
	ImpactStatus     string          `json:"impactStatus"`
	Summary          string          `json:"summary"`
	Assignee         string          `json:"assignee"`
	Owner            string          `json:"owner"`
	CaseTemplate     string          `json:"caseTemplate"`
	StartDate        int64           `json:"startDate"`
	CreatedAt        int64           `json:"_createdAt"`
	LegacyCreatedAt  int64           `json:"createdAt"`
	CreatedBy        string          `json:"_createdBy"`
	LegacyCreatedBy  string          `json:"createdBy"`
	CustomFields     json.RawMessage `json:"customFields"`
}

func (c *Client) decodeCase(method, path string, body []byte) (*Case, error) {
	var w wireCase
	if err := decode(method, path, body, &w); err != nil {
		return nil, err
	}
	return c.caseFromWire(w), nil
}

func (c *Client) caseFromWire(w wireCase) *Case {
	cs := &Case{
		ID: first(w.ID, w.LegacyID), Number: w.Number, Title: w.Title, Description: w.Description,
		Severity: w.Severity, Tags: w.Tags, Flag: w.Flag, Status: w.Status,
		ImpactStatus: w.ImpactStatus, Summary: w.Summary, Assignee: first(w.Assignee, w.Owner),
		CaseTemplate: w.CaseTemplate, CustomFields: decodeCustomFields(w.CustomFields),
		StartDate: fromMillis(w.StartDate), CreatedAt: fromMillis(max(w.CreatedAt, w.LegacyCreatedAt)),
		CreatedBy: first(w.CreatedBy, w.LegacyCreatedBy),
	}
	if cs.Number == 0 {
		cs.Number = w.CaseID
	}
	if w.TLP != nil {
		cs.TLP = TLPName(c.api, *w.TLP)
	}
	if w.PAP != nil {
		cs.PAP = PAPName(*w.PAP)
	}
	if c.api == APIv0 {
		cs.Closed = w.Status == "Resolved"
		if cs.Closed {
			cs.Resolution = w.ResolutionStatus
		}
		return cs
	}
	cs.Closed = w.Stage == "Closed" || (w.Stage == "" && isClosing(w.Status))
	if cs.Closed {
		cs.Resolution = w.Status
	}
	return cs
}

func isClosing(status string) bool {
	_, res := v0Status(status)
	return res != ""
}

// decodeCustomFields reads v1's [{"name", "value"}] or {"name": value} and
// v0's {"name": {"type": value}}; what it cannot read it leaves out.
func decodeCustomFields(raw json.RawMessage) map[string]any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	out := map[string]any{}
	var list []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	if json.Unmarshal(raw, &list) == nil {
		for _, f := range list {
			if f.Name != "" {
				out[f.Name] = f.Value
			}
		}
		return out
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	for name, v := range obj {
		out[name] = typedValue(v)
	}
	return out
}

// typedValue unwraps v0's {"string": "x", "order": 1}.
func typedValue(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, typ := range []string{"string", "boolean", "integer", "float", "date", "number"} {
		if x, ok := m[typ]; ok {
			return x
		}
	}
	return v
}

func uniq(in []string) []string {
	if in == nil {
		return nil
	}
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
