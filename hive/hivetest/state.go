package hivetest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Case is a case the server holds.
type Case struct {
	ID     string
	Number int
	// API is the version of the route that created the case.
	API                string
	Title, Description string
	Severity           int
	// TLP and PAP are the numbers as sent, in API's numbering.
	TLP, PAP int
	Tags     []string
	Flag     bool
	// Status is in TheHive 5's vocabulary (New ... Duplicated); Stage is
	// New, InProgress or Closed.
	Status, Stage         string
	ImpactStatus, Summary string
	Assignee              string
	CaseTemplate          string
	CustomFields          map[string]any
	StartDate, CreatedAt  time.Time
	CreatedBy             string
}

// Observable is an observable of a case.
type Observable struct {
	ID, CaseID     string
	DataType, Data string
	Message        string
	TLP            int
	// PAP is the number as sent; -1 when none was.
	PAP          int
	IOC, Sighted bool
	Tags         []string
	CreatedAt    time.Time
	// Attachment is the file of a "file" observable, which has no Data.
	Attachment *Attachment
}

// Task is a task of a case.
type Task struct {
	ID, CaseID                string
	Title, Group, Description string
	Status, Assignee          string
	Order                     int
	DueDate, CreatedAt        time.Time
}

// TaskLog is a log entry of a task.
type TaskLog struct {
	ID, TaskID, Message string
	CreatedAt           time.Time
}

// Alert is an alert the server holds.
type Alert struct {
	ID                      string
	Type, Source, SourceRef string
	Title, Description      string
	Severity, TLP, PAP      int
	Tags                    []string
	CaseTemplate            string
	Status                  string
	// CaseID is the case the alert was promoted to.
	CaseID      string
	Observables []Observable
	CreatedAt   time.Time
}

// state is everything the server holds; guarded by Server.mu.
type state struct {
	nextID      int
	nextNumber  int
	cases       []*Case
	observables map[string][]*Observable // by case id
	tasks       map[string][]*Task       // by case id
	taskByID    map[string]*Task
	logs        map[string][]*TaskLog // by task id
	alerts      []*Alert
}

func newState() state {
	return state{
		observables: map[string][]*Observable{},
		tasks:       map[string][]*Task{},
		taskByID:    map[string]*Task{},
		logs:        map[string][]*TaskLog{},
	}
}

// newID returns an id shaped like TheHive's (~40968).
func (st *state) newID() string {
	st.nextID++
	return fmt.Sprintf("~%d", 40960+8*st.nextID)
}

// findCase finds a case by id or by number.
func (st *state) findCase(idOrNumber string) *Case {
	if !strings.HasPrefix(idOrNumber, "~") {
		n, err := strconv.Atoi(idOrNumber)
		if err != nil {
			return nil
		}
		for _, c := range st.cases {
			if c.Number == n {
				return c
			}
		}
		return nil
	}
	for _, c := range st.cases {
		if c.ID == idOrNumber {
			return c
		}
	}
	return nil
}

func (st *state) findAlert(id string) *Alert {
	for _, a := range st.alerts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func copyCase(c *Case) Case {
	out := *c
	out.Tags = slices.Clone(c.Tags)
	out.CustomFields = maps.Clone(c.CustomFields)
	return out
}

func copyObservable(o *Observable) Observable {
	out := *o
	out.Tags = slices.Clone(o.Tags)
	if o.Attachment != nil {
		a := *o.Attachment
		a.Content = slices.Clone(a.Content)
		out.Attachment = &a
	}
	return out
}

// copyEach returns cp of each item, in order, and nil when there is none
// (an unknown id), as the accessors answer.
func copyEach[P, T any](items []P, cp func(P) T) []T {
	var out []T
	for _, it := range items {
		out = append(out, cp(it))
	}
	return out
}

// Cases returns copies of every case, oldest first.
func (s *Server) Cases() []Case {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Case, 0, len(s.st.cases))
	for _, c := range s.st.cases {
		out = append(out, copyCase(c))
	}
	return out
}

// Case returns a copy of a case found by id or number.
func (s *Server) Case(idOrNumber string) (Case, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.findCase(idOrNumber)
	if c == nil {
		return Case{}, false
	}
	return copyCase(c), true
}

// Observables returns copies of a case's observables, oldest first.
func (s *Server) Observables(caseID string) []Observable {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyEach(s.st.observables[caseID], copyObservable)
}

// Tasks returns copies of a case's tasks, oldest first.
func (s *Server) Tasks(caseID string) []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyEach(s.st.tasks[caseID], func(t *Task) Task { return *t })
}

// TaskLogs returns copies of a task's log entries, oldest first.
func (s *Server) TaskLogs(taskID string) []TaskLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyEach(s.st.logs[taskID], func(l *TaskLog) TaskLog { return *l })
}

// Alerts returns copies of every alert, oldest first.
func (s *Server) Alerts() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Alert, 0, len(s.st.alerts))
	for _, a := range s.st.alerts {
		cp := *a
		cp.Tags = slices.Clone(a.Tags)
		cp.Observables = slices.Clone(a.Observables)
		out = append(out, cp)
	}
	return out
}
