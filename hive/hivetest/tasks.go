package hivetest

import (
	"net/http"
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
