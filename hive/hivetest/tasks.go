package hivetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

var taskStatuses = map[string]bool{"Waiting": true, "InProgress": true, "Completed": true, "Cancel": true}

func (s *Server) checkTask(in taskIn) error {
	if in.Title == nil || *in.Title == "" {
		return attributeError("Missing attribute: title")
	}
	if in.Status != "" && !taskStatuses[in.Status] {
		return attributeError("Invalid attribute status: %q", in.Status)
	}
	return s.checkRefs("", first(in.Assignee, in.Owner))
}

// newTask builds a checked task input into a task, without ids.
func (s *Server) newTask(in taskIn) *Task {
	return &Task{
		Title: *in.Title, Group: first(in.Group, "default"), Description: in.Description,
		Status: first(in.Status, "Waiting"), Assignee: first(in.Assignee, in.Owner),
		Order: in.Order, DueDate: fromMillis(in.DueDate),
	}
}

func (st *state) addTask(caseID string, t *Task, now time.Time) *Task {
	t.ID, t.CaseID, t.CreatedAt = st.newID(), caseID, now
	st.tasks[caseID] = append(st.tasks[caseID], t)
	st.taskByID[t.ID] = t
	return t
}

func (s *Server) createTask(api string, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in taskIn
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	if err := s.checkTask(in); err != nil {
		fail(w, err)
		return
	}
	s.withCase(w, id, func(c *Case) {
		t := s.st.addTask(c.ID, s.newTask(in), s.opts.Now())
		writeJSON(w, http.StatusCreated, s.renderTask(api, t))
	})
}

func (s *Server) createTaskLog(api string, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in struct {
		Message string `json:"message"`
	}
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	if in.Message == "" {
		fail(w, attributeError("Missing attribute: message"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.taskByID[id] == nil {
		fail(w, notFound("Task", id))
		return
	}
	l := &TaskLog{ID: s.st.newID(), TaskID: id, Message: in.Message, CreatedAt: s.opts.Now()}
	s.st.logs[id] = append(s.st.logs[id], l)
	writeJSON(w, http.StatusCreated, s.renderLog(api, l))
}

// updateTask answers PATCH /api/v1/task/{id} (204) and PATCH
// /api/case/task/{id} (v0: the task): title, status, assignee (v0: owner)
// and dueDate; an unknown status is refused and changes nothing.
func (s *Server) updateTask(api string, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in taskIn
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	if in.Status != "" && !taskStatuses[in.Status] {
		fail(w, attributeError("Invalid attribute status: %q", in.Status))
		return
	}
	if err := s.checkRefs("", first(in.Assignee, in.Owner)); err != nil {
		fail(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.taskByID[id]
	if t == nil {
		fail(w, notFound("Task", id))
		return
	}
	if in.Title != nil && *in.Title != "" {
		t.Title = *in.Title
	}
	if in.Status != "" {
		t.Status = in.Status
	}
	if a := first(in.Assignee, in.Owner); a != "" {
		t.Assignee = a
	}
	if in.DueDate != 0 {
		t.DueDate = fromMillis(in.DueDate)
	}
	if api == v0 {
		writeJSON(w, http.StatusOK, s.renderTask(api, t))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// queryTasks answers a v1 query [getCase, tasks, sort, page] with the
// case's tasks, oldest first. The caller holds s.mu.
func (s *Server) queryTasks(w http.ResponseWriter, c *Case, steps []json.RawMessage) {
	tasks := slices.Clone(s.st.tasks[c.ID])
	for i, raw := range steps {
		var step queryStep
		if json.Unmarshal(raw, &step) != nil {
			fail(w, badRequest("Invalid query step %d", i+2))
			return
		}
		switch step.Name {
		case "sort":
			for _, f := range step.Fields {
				if f["_createdAt"] == "desc" {
					slices.Reverse(tasks)
				}
			}
		case "page":
			tasks = page(tasks, step.From, step.To)
		default:
			fail(w, badRequest("hivetest answers tasks queries with sort and page only, not %q", step.Name))
			return
		}
	}
	out := make([]map[string]any, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, s.renderTask(v1, t))
	}
	writeJSON(w, http.StatusOK, out)
}

// searchTasksV0 answers POST /api/case/task/_search with {"query":
// {"_parent": {"_type": "case", "_query": {"_id": ID}}}}: the case's tasks.
func (s *Server) searchTasksV0(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query struct {
			Parent struct {
				Type  string `json:"_type"`
				Query struct {
					ID string `json:"_id"`
				} `json:"_query"`
			} `json:"_parent"`
		} `json:"query"`
	}
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	if in.Query.Parent.Type != "case" || in.Query.Parent.Query.ID == "" {
		fail(w, badRequest(`hivetest answers task searches only by {"_parent": {"_type": "case", "_query": {"_id": ...}}}`))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.findCase(in.Query.Parent.Query.ID)
	var tasks []*Task
	if c != nil {
		tasks = s.st.tasks[c.ID]
	}
	out := make([]map[string]any, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, s.renderTask(v0, t))
	}
	writeJSON(w, http.StatusOK, out)
}
