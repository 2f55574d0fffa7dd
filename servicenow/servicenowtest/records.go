package servicenowtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Record is a record the stand-in holds: every field as a string, as the
// Table API sends them.
type Record map[string]string

// timeLayout is how the Table API writes times, in UTC.
const timeLayout = "2006-01-02 15:04:05"

// Records returns copies of a table's records, oldest first.
func (s *Server) Records(table string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.records[table]))
	for _, r := range s.records[table] {
		out = append(out, maps.Clone(r))
	}
	return out
}

// SetState sets a record's state as a user would in ServiceNow's form.
func (s *Server) SetState(table, sysID, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(table, sysID)
	if r == nil {
		return fmt.Errorf("servicenowtest: no %s record %s", table, sysID)
	}
	r["state"], r["sys_updated_on"] = state, s.opts.Now().UTC().Format(timeLayout)
	return nil
}

func (s *Server) find(table, sysID string) Record {
	for _, r := range s.records[table] {
		if r["sys_id"] == sysID {
			return r
		}
	}
	return nil
}

// table returns the table of the request, answering 400 itself for a
// table it does not know as ServiceNow does.
func (s *Server) table(w http.ResponseWriter, r *http.Request) (string, bool) {
	t := r.PathValue("table")
	if slices.Contains(s.opts.Tables, t) || t == "sys_user" || t == "sys_user_group" {
		return t, true
	}
	writeError(w, http.StatusBadRequest, "Invalid table "+t, "")
	return "", false
}

// rows returns the records of a table, the users and groups included.
func (s *Server) rows(table string) []Record {
	switch table {
	case "sys_user":
		return []Record{{"sys_id": "6816f79cc0a8016401c5a33be04be441", "user_name": s.opts.User, "name": "drone integration"}}
	case "sys_user_group":
		var out []Record
		for name, id := range s.opts.Groups {
			out = append(out, Record{"sys_id": id, "name": name})
		}
		return out
	}
	return s.records[table]
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	table, ok := s.table(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	query, err := parseQuery(q.Get("sysparm_query"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid query", err.Error())
		return
	}
	limit, offset := 10000, 0
	if v := q.Get("sysparm_limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			writeError(w, http.StatusBadRequest, "Invalid sysparm_limit", v)
			return
		}
	}
	if v := q.Get("sysparm_offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			writeError(w, http.StatusBadRequest, "Invalid sysparm_offset", v)
			return
		}
	}
	s.mu.Lock()
	found := query.run(s.rows(table), s.opts.Now())
	s.mu.Unlock()
	found = found[min(offset, len(found)):]
	found = found[:min(limit, len(found))]
	out := make([]Record, 0, len(found))
	for _, rec := range found {
		out = append(out, project(rec, q.Get("sysparm_fields")))
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": out})
}

// project keeps the fields asked for (all when none are).
func project(r Record, fields string) Record {
	if fields == "" {
		return maps.Clone(r)
	}
	out := Record{}
	for _, f := range strings.Split(fields, ",") {
		out[f] = r[f]
	}
	return out
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	table, ok := s.table(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	var rec Record
	for _, x := range s.rows(table) {
		if x["sys_id"] == r.PathValue("sys_id") {
			rec = maps.Clone(x)
		}
	}
	s.mu.Unlock()
	if rec == nil {
		writeError(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": project(rec, r.URL.Query().Get("sysparm_fields"))})
}

func newSysID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func (s *Server) insert(w http.ResponseWriter, r *http.Request) {
	table, ok := s.table(w, r)
	if !ok {
		return
	}
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Exception while reading request", "The payload is not valid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := in["assignment_group"]; g != "" && !slices.Contains(slices.Collect(maps.Values(s.opts.Groups)), g) {
		in["assignment_group"] = "" // ServiceNow drops a reference to nothing
	}
	s.seq++
	now := s.opts.Now().UTC().Format(timeLayout)
	rec := Record{"state": "1"}
	maps.Copy(rec, in)
	rec["sys_id"], rec["number"] = newSysID(), fmt.Sprintf("%s%07d", numberPrefix(table), 10000+s.seq)
	rec["sys_created_on"], rec["sys_updated_on"] = now, now
	if err := policy(table, rec); err != "" {
		writeError(w, http.StatusForbidden, "Operation Failed", err)
		return
	}
	s.records[table] = append(s.records[table], rec)
	writeJSON(w, http.StatusCreated, map[string]any{"result": project(rec, r.URL.Query().Get("sysparm_fields"))})
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request) {
	table, ok := s.table(w, r)
	if !ok {
		return
	}
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Exception while reading request", "The payload is not valid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.find(table, r.PathValue("sys_id"))
	if rec == nil {
		writeError(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		return
	}
	next := maps.Clone(rec)
	maps.Copy(next, in)
	if err := policy(table, next); err != "" {
		writeError(w, http.StatusForbidden, "Operation Failed", err)
		return
	}
	next["sys_updated_on"] = s.opts.Now().UTC().Format(timeLayout)
	maps.Copy(rec, next)
	writeJSON(w, http.StatusOK, map[string]any{"result": project(rec, r.URL.Query().Get("sysparm_fields"))})
}

// policy is the incident table's data policy: a resolved or closed
// incident has a resolution code and notes.
func policy(table string, rec Record) string {
	if table != "incident" || (rec["state"] != "6" && rec["state"] != "7") {
		return ""
	}
	var missing []string
	if rec["close_code"] == "" {
		missing = append(missing, "Resolution code")
	}
	if rec["close_notes"] == "" {
		missing = append(missing, "Resolution notes")
	}
	if len(missing) == 0 {
		return ""
	}
	return "Data Policy Exception: \n\tThe following fields are mandatory: " + strings.Join(missing, ", ")
}

// condition is one condition of an encoded query.
type condition struct {
	field, op, value string
	ago              time.Duration
}

// query is an encoded query.
type query struct {
	conds []condition
	order string
	desc  bool
}

// parseQuery reads conditions joined by ^: field=value,
// fieldSTARTSWITHvalue, fieldRELATIVEGE@minute@ago@N (or @hour@), and
// ORDERBYfield / ORDERBYDESCfield.
func parseQuery(q string) (query, error) {
	var out query
	if q == "" {
		return out, nil
	}
	for _, part := range strings.Split(q, "^") {
		switch {
		case strings.HasPrefix(part, "ORDERBYDESC"):
			out.order, out.desc = strings.TrimPrefix(part, "ORDERBYDESC"), true
		case strings.HasPrefix(part, "ORDERBY"):
			out.order = strings.TrimPrefix(part, "ORDERBY")
		case strings.Contains(part, "RELATIVEGE@"):
			field, rel, _ := strings.Cut(part, "RELATIVEGE@")
			bits := strings.Split(rel, "@")
			unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "dayofweek": 24 * time.Hour}
			n, err := strconv.Atoi(bits[len(bits)-1])
			if len(bits) != 3 || bits[1] != "ago" || unit[bits[0]] == 0 || err != nil {
				return out, fmt.Errorf("servicenowtest does not understand %q", part)
			}
			out.conds = append(out.conds, condition{field: field, op: "RELATIVEGE", ago: time.Duration(n) * unit[bits[0]]})
		case strings.Contains(part, "STARTSWITH"):
			field, v, _ := strings.Cut(part, "STARTSWITH")
			out.conds = append(out.conds, condition{field: field, op: "STARTSWITH", value: v})
		case strings.Contains(part, "="):
			field, v, _ := strings.Cut(part, "=")
			out.conds = append(out.conds, condition{field: field, op: "=", value: v})
		default:
			return out, fmt.Errorf("servicenowtest does not understand %q", part)
		}
	}
	return out, nil
}

func (q query) run(rows []Record, now time.Time) []Record {
	var out []Record
	for _, r := range rows {
		if q.matches(r, now) {
			out = append(out, maps.Clone(r))
		}
	}
	if q.order != "" {
		slices.SortStableFunc(out, func(a, b Record) int {
			c := strings.Compare(a[q.order], b[q.order])
			if q.desc {
				return -c
			}
			return c
		})
	}
	return out
}

func (q query) matches(r Record, now time.Time) bool {
	for _, c := range q.conds {
		v := r[c.field]
		switch c.op {
		case "=":
			if v != c.value {
				return false
			}
		case "STARTSWITH":
			if !strings.HasPrefix(v, c.value) {
				return false
			}
		case "RELATIVEGE":
			t, err := time.ParseInLocation(timeLayout, v, time.UTC)
			if err != nil || t.Before(now.UTC().Add(-c.ago).Truncate(time.Second)) {
				return false
			}
		}
	}
	return true
}
