package hivetest

import (
	"sort"
	"time"
)

var (
	severityLabels = []string{"", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
	tlpLabelsV1    = []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"}
	papLabels      = []string{"CLEAR", "GREEN", "AMBER", "RED"}
)

func label(labels []string, n int) string {
	if n < 0 || n >= len(labels) {
		return ""
	}
	return labels[n]
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

// putIf sets m[k] when v is not empty.
func putIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// renderCase writes a case as the API version shows it.
func (s *Server) renderCase(api string, c *Case) map[string]any {
	m := map[string]any{
		"title": c.Title, "description": c.Description, "severity": c.Severity,
		"tlp": c.TLP, "pap": c.PAP, "tags": nonNil(c.Tags), "flag": c.Flag,
		"startDate": millis(c.StartDate),
	}
	putIf(m, "summary", c.Summary)
	putIf(m, "impactStatus", c.ImpactStatus)
	putIf(m, "caseTemplate", c.CaseTemplate)
	if api == v0 {
		return renderCaseV0(m, c)
	}
	m["_id"], m["_type"], m["number"] = c.ID, "Case", c.Number
	m["_createdBy"], m["_createdAt"] = c.CreatedBy, millis(c.CreatedAt)
	m["status"], m["stage"] = c.Status, c.Stage
	m["severityLabel"], m["tlpLabel"], m["papLabel"] = label(severityLabels, c.Severity), label(tlpLabelsV1, c.TLP), label(papLabels, c.PAP)
	putIf(m, "assignee", c.Assignee)
	m["customFields"] = customFieldList(c.CustomFields)
	m["extraData"] = map[string]any{}
	return m
}

func renderCaseV0(m map[string]any, c *Case) map[string]any {
	m["id"], m["_id"], m["_type"], m["caseId"] = c.ID, c.ID, "case", c.Number
	m["createdBy"], m["createdAt"] = c.CreatedBy, millis(c.CreatedAt)
	m["status"] = "Open"
	if c.Stage == "Closed" {
		m["status"], m["resolutionStatus"] = "Resolved", c.Status
	}
	putIf(m, "owner", c.Assignee)
	typed := map[string]any{}
	for i, name := range sortedKeys(c.CustomFields) {
		typed[name] = map[string]any{typeOf(c.CustomFields[name]): c.CustomFields[name], "order": i}
	}
	m["customFields"] = typed
	return m
}

// customFieldList is v1's [{"name", "type", "value", "order"}].
func customFieldList(cf map[string]any) []map[string]any {
	out := []map[string]any{}
	for i, name := range sortedKeys(cf) {
		out = append(out, map[string]any{"_id": "~cf-" + name, "name": name, "description": name,
			"type": typeOf(cf[name]), "value": cf[name], "order": i})
	}
	return out
}

func typeOf(v any) string {
	switch x := v.(type) {
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "float"
	}
	return "string"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) renderObservable(api string, o *Observable) map[string]any {
	m := map[string]any{
		"dataType": o.DataType, "data": o.Data, "tlp": o.TLP, "ioc": o.IOC,
		"sighted": o.Sighted, "tags": nonNil(o.Tags), "startDate": millis(o.CreatedAt),
	}
	putIf(m, "message", o.Message)
	if o.Attachment != nil {
		delete(m, "data") // TheHive gives a file observable no data
		m["attachment"] = renderAttachment(api, o.Attachment)
	}
	if o.PAP >= 0 && api == v1 {
		m["pap"] = o.PAP
	}
	if api == v0 {
		m["id"], m["_id"], m["_type"], m["status"] = o.ID, o.ID, "case_artifact", "Ok"
		m["createdAt"], m["createdBy"] = millis(o.CreatedAt), s.opts.Login
		return m
	}
	m["_id"], m["_type"], m["tlpLabel"] = o.ID, "Observable", label(tlpLabelsV1, o.TLP)
	m["_createdAt"], m["_createdBy"] = millis(o.CreatedAt), s.opts.Login
	m["reports"], m["extraData"] = map[string]any{}, map[string]any{}
	return m
}

// renderAttachment writes a file observable's attachment; TheHive lists its
// hashes SHA-256 first.
func renderAttachment(api string, a *Attachment) map[string]any {
	m := map[string]any{"id": a.ID, "name": a.Name, "contentType": a.ContentType, "size": a.Size,
		"hashes": []string{a.SHA256, a.SHA1, a.MD5}}
	if api == v1 {
		m["_id"], m["_type"] = a.ID, "Attachment"
	}
	return m
}

func (s *Server) renderTask(api string, t *Task) map[string]any {
	m := map[string]any{
		"title": t.Title, "group": t.Group, "description": t.Description,
		"status": t.Status, "order": t.Order, "flag": false,
	}
	if !t.DueDate.IsZero() {
		m["dueDate"] = millis(t.DueDate)
	}
	if api == v0 {
		m["id"], m["_id"], m["_type"] = t.ID, t.ID, "case_task"
		m["createdAt"], m["createdBy"] = millis(t.CreatedAt), s.opts.Login
		putIf(m, "owner", t.Assignee)
		return m
	}
	m["_id"], m["_type"] = t.ID, "Task"
	m["_createdAt"], m["_createdBy"] = millis(t.CreatedAt), s.opts.Login
	putIf(m, "assignee", t.Assignee)
	m["extraData"] = map[string]any{}
	return m
}

func (s *Server) renderLog(api string, l *TaskLog) map[string]any {
	m := map[string]any{"message": l.Message, "date": millis(l.CreatedAt)}
	if api == v0 {
		m["id"], m["_id"], m["_type"], m["status"] = l.ID, l.ID, "case_task_log", "Ok"
		m["createdAt"], m["createdBy"], m["startDate"] = millis(l.CreatedAt), s.opts.Login, millis(l.CreatedAt)
		return m
	}
	m["_id"], m["_type"] = l.ID, "Log"
	m["_createdAt"], m["_createdBy"] = millis(l.CreatedAt), s.opts.Login
	return m
}

func (s *Server) renderAlert(api string, a *Alert) map[string]any {
	m := map[string]any{
		"type": a.Type, "source": a.Source, "sourceRef": a.SourceRef, "title": a.Title,
		"description": a.Description, "severity": a.Severity, "tlp": a.TLP, "pap": a.PAP,
		"tags": nonNil(a.Tags), "status": a.Status,
	}
	putIf(m, "caseTemplate", a.CaseTemplate)
	if api == v0 {
		m["id"], m["_id"], m["_type"] = a.ID, a.ID, "alert"
		m["createdAt"], m["createdBy"] = millis(a.CreatedAt), s.opts.Login
		putIf(m, "case", a.CaseID)
		return m
	}
	m["_id"], m["_type"], m["observableCount"] = a.ID, "Alert", len(a.Observables)
	m["_createdAt"], m["_createdBy"] = millis(a.CreatedAt), s.opts.Login
	m["stage"] = "New"
	if a.CaseID != "" {
		m["stage"], m["caseId"] = "Imported", a.CaseID
	}
	return m
}
