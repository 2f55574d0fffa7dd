package hivetest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"
)

const maxBody = 4 << 20

// readJSON decodes a request body, answering 400 when it cannot.
func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return badRequest("reading body: %v", err)
	}
	if len(b) == 0 {
		b = []byte("{}")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("Invalid json: %v", err)
	}
	return nil
}

type taskIn struct {
	Title       *string `json:"title"`
	Group       string  `json:"group"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	Assignee    string  `json:"assignee"`
	Owner       string  `json:"owner"`
	DueDate     int64   `json:"dueDate"`
	Order       int     `json:"order"`
}

type caseIn struct {
	Title        *string         `json:"title"`
	Description  *string         `json:"description"`
	Severity     *int            `json:"severity"`
	TLP          *int            `json:"tlp"`
	PAP          *int            `json:"pap"`
	Tags         []string        `json:"tags"`
	Flag         bool            `json:"flag"`
	StartDate    int64           `json:"startDate"`
	CaseTemplate string          `json:"caseTemplate"`
	Assignee     string          `json:"assignee"`
	Owner        string          `json:"owner"`
	CustomFields json.RawMessage `json:"customFields"`
	Tasks        []taskIn        `json:"tasks"`
}

func (s *Server) createCase(api string, w http.ResponseWriter, r *http.Request) {
	var in caseIn
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	c, err := s.newCase(api, in)
	if err != nil {
		fail(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.nextNumber++
	c.ID, c.Number = s.st.newID(), s.st.nextNumber
	s.st.cases = append(s.st.cases, c)
	for _, t := range in.Tasks {
		s.st.addTask(c.ID, s.newTask(t), s.opts.Now())
	}
	writeJSON(w, http.StatusCreated, s.renderCase(api, c))
}

// newCase checks a case input and builds the case, without id or number.
func (s *Server) newCase(api string, in caseIn) (*Case, error) {
	if err := checkCaseIn(api, in); err != nil {
		return nil, err
	}
	cf, err := s.parseCustomFields(in.CustomFields)
	if err != nil {
		return nil, err
	}
	if err := s.checkRefs(in.CaseTemplate, first(in.Assignee, in.Owner)); err != nil {
		return nil, err
	}
	for _, t := range in.Tasks {
		if err := s.checkTask(t); err != nil {
			return nil, err
		}
	}
	now := s.opts.Now()
	c := &Case{
		API: api, Title: *in.Title, Description: *in.Description, Severity: or(in.Severity, 2),
		TLP: or(in.TLP, 2), PAP: or(in.PAP, 2), Tags: uniq(in.Tags), Flag: in.Flag,
		Status: "New", Stage: "New", Assignee: first(in.Assignee, in.Owner),
		CaseTemplate: in.CaseTemplate, CustomFields: cf, StartDate: now, CreatedAt: now, CreatedBy: s.opts.Login,
	}
	if in.StartDate != 0 {
		c.StartDate = fromMillis(in.StartDate)
	}
	return c, nil
}

func checkCaseIn(api string, in caseIn) error {
	switch {
	case in.Title == nil || *in.Title == "":
		return attributeError("Missing attribute: title")
	case utf8.RuneCountInString(*in.Title) > 512:
		return attributeError("Invalid attribute title: longer than 512 characters")
	case in.Description == nil || *in.Description == "":
		return attributeError("Missing attribute: description")
	}
	return checkLevels(api, in.Severity, in.TLP, in.PAP)
}

func checkLevels(api string, severity, tlp, pap *int) error {
	maxTLP := 4
	if api == v0 {
		maxTLP = 3
	}
	switch {
	case severity != nil && (*severity < 1 || *severity > 4):
		return attributeError("Invalid attribute severity: %d is not 1 to 4", *severity)
	case tlp != nil && (*tlp < 0 || *tlp > maxTLP):
		return attributeError("Invalid attribute tlp: %d is not 0 to %d", *tlp, maxTLP)
	case pap != nil && (*pap < 0 || *pap > 3):
		return attributeError("Invalid attribute pap: %d is not 0 to 3", *pap)
	}
	return nil
}

// checkRefs checks that a case template and an assignee exist.
func (s *Server) checkRefs(template, assignee string) error {
	if template != "" && !s.templates[template] {
		return notFound("CaseTemplate", template)
	}
	if assignee != "" && !s.users[assignee] {
		return notFound("User", assignee)
	}
	return nil
}

// parseCustomFields reads {"name": value}, [{"name", "value"}] and v0's
// {"name": {"type": value}}; unknown names get 404.
func (s *Server) parseCustomFields(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	out := map[string]any{}
	var list []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	var obj map[string]any
	switch {
	case json.Unmarshal(raw, &list) == nil:
		for _, f := range list {
			out[f.Name] = f.Value
		}
	case json.Unmarshal(raw, &obj) == nil:
		for name, v := range obj {
			out[name] = unwrapTyped(v)
		}
	default:
		return nil, badRequest("Invalid customFields")
	}
	for name := range out {
		if !s.fields[name] {
			return nil, notFound("CustomField", name)
		}
	}
	return out, nil
}

func unwrapTyped(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, typ := range []string{"string", "boolean", "integer", "float", "date"} {
		if x, ok := m[typ]; ok {
			return x
		}
	}
	return v
}

// withCase runs f under s.mu with the case id (an id or a number), or
// answers 404 as TheHive does when there is no such case.
func (s *Server) withCase(w http.ResponseWriter, id string, f func(c *Case)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.findCase(id)
	if c == nil {
		fail(w, notFound("Case", id))
		return
	}
	f(c)
}

func (s *Server) getCase(api string, w http.ResponseWriter, r *http.Request) {
	s.withCase(w, r.PathValue("id"), func(c *Case) {
		writeJSON(w, http.StatusOK, s.renderCase(api, c))
	})
}

func (s *Server) updateCase(api string, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in map[string]json.RawMessage
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	s.withCase(w, id, func(c *Case) {
		next := copyCase(c)
		if err := s.patchCase(api, &next, in); err != nil {
			fail(w, err)
			return
		}
		*c = next
		if api == v0 {
			writeJSON(w, http.StatusOK, s.renderCase(api, c))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// patchCase applies an update to c; nothing is applied when it fails.
func (s *Server) patchCase(api string, c *Case, in map[string]json.RawMessage) error {
	for name, raw := range in {
		if err := s.patchField(api, c, name, raw); err != nil {
			return err
		}
	}
	return applyStatus(api, c, in)
}

func (s *Server) patchField(api string, c *Case, name string, raw json.RawMessage) error {
	var err error
	switch name {
	case "title":
		err = json.Unmarshal(raw, &c.Title)
	case "description":
		err = json.Unmarshal(raw, &c.Description)
	case "severity", "tlp", "pap":
		err = patchLevel(api, c, name, raw)
	case "tags":
		err = json.Unmarshal(raw, &c.Tags)
		c.Tags = uniq(c.Tags)
	case "flag":
		err = json.Unmarshal(raw, &c.Flag)
	case "summary":
		err = json.Unmarshal(raw, &c.Summary)
	case "impactStatus":
		err = json.Unmarshal(raw, &c.ImpactStatus)
	case "assignee", "owner":
		err = s.patchAssignee(c, raw)
	case "customFields":
		err = s.patchCustomFields(c, raw)
	case "status", "resolutionStatus":
		return nil // applyStatus
	default:
		return attributeError("Unknown attribute: %s", name)
	}
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return err
		}
		return attributeError("Invalid attribute %s: %v", name, err)
	}
	return nil
}

func patchLevel(api string, c *Case, name string, raw json.RawMessage) error {
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	switch name { // c is a copy: a refused value is dropped with it
	case "severity":
		c.Severity = v
		return checkLevels(api, &v, nil, nil)
	case "tlp":
		c.TLP = v
		return checkLevels(api, nil, &v, nil)
	}
	c.PAP = v
	return checkLevels(api, nil, nil, &v)
}

func (s *Server) patchAssignee(c *Case, raw json.RawMessage) error {
	var login string
	if err := json.Unmarshal(raw, &login); err != nil {
		return err
	}
	if err := s.checkRefs("", login); err != nil {
		return err
	}
	c.Assignee = login
	return nil
}

func (s *Server) patchCustomFields(c *Case, raw json.RawMessage) error {
	cf, err := s.parseCustomFields(raw)
	if err != nil {
		return err
	}
	if c.CustomFields == nil {
		c.CustomFields = map[string]any{}
	}
	for k, v := range cf {
		c.CustomFields[k] = v
	}
	return nil
}

var closing = map[string]bool{"TruePositive": true, "FalsePositive": true, "Indeterminate": true, "Other": true, "Duplicated": true}

// applyStatus sets status and stage: v1 statuses directly, v0's Open and
// Resolved (with resolutionStatus) translated.
func applyStatus(api string, c *Case, in map[string]json.RawMessage) error {
	var status, resolution string
	if raw, ok := in["status"]; ok && json.Unmarshal(raw, &status) != nil {
		return attributeError("Invalid attribute status")
	}
	if raw, ok := in["resolutionStatus"]; ok && json.Unmarshal(raw, &resolution) != nil {
		return attributeError("Invalid attribute resolutionStatus")
	}
	if api == v0 {
		return applyV0Status(c, status, resolution)
	}
	switch {
	case status == "":
	case status == "New" || status == "InProgress":
		c.Status, c.Stage = status, status
	case closing[status]:
		c.Status, c.Stage = status, "Closed"
	default:
		return badRequest("Invalid status %q", status)
	}
	return nil
}

func applyV0Status(c *Case, status, resolution string) error {
	if resolution != "" && !closing[resolution] {
		return badRequest("Invalid resolutionStatus %q", resolution)
	}
	switch status {
	case "":
		if resolution != "" && c.Stage == "Closed" {
			c.Status = resolution
		}
	case "Open":
		if c.Stage == "Closed" {
			c.Status, c.Stage = "InProgress", "InProgress"
		}
	case "Resolved":
		c.Status, c.Stage = first(resolution, "Other"), "Closed"
	default:
		return badRequest("Invalid status %q", status)
	}
	return nil
}

func or(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
