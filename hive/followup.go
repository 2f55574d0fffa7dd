package hive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// FollowUpKind is the kind of the queue job that keeps a follow-up
// action's TheHive task in line with the action.
const FollowUpKind = "hive.followup"

// ExtTaskID is the reference of an action's TheHive task
// (FollowUp.External).
const ExtTaskID = "hive.task_id"

// FollowUpArgs are the arguments of a hive.followup job.
type FollowUpArgs struct {
	IncidentID string `json:"incident_id"`
	Action     int64  `json:"action"` // ACT-<n>
	Seq        int64  `json:"seq"`
}

// Kind returns FollowUpKind.
func (FollowUpArgs) Kind() string { return FollowUpKind }

// planFollowUp returns the job of an action's entry: every change of an
// action (added, done, reopened, cancelled, given, due) reaches its task,
// but the record of the task's own id.
func planFollowUp(e drone.Event) []drone.Job {
	if e.Kind != drone.EntryAction && e.Kind != drone.EntryActionUpdated {
		return nil
	}
	if e.Entry.Actor.Identity() == Actor.Identity() {
		return nil // the task's id recorded: following it would make every job cause another
	}
	var ac drone.FollowUp
	if err := json.Unmarshal(e.Entry.Data, &ac); err != nil || ac.Number == 0 {
		return nil
	}
	args := FollowUpArgs{IncidentID: e.Incident.ID, Action: ac.Number, Seq: e.Entry.Seq}
	return []drone.Job{{Kind: FollowUpKind, Args: args,
		UniqueKey: fmt.Sprintf("%s:%s:%d", FollowUpKind, args.IncidentID, args.Seq)}}
}

// taskTitle is the title of an action's task; its prefix finds the task
// again ("Follow-up ACT-3: ").
func taskTitle(ac *drone.FollowUp) string { return taskPrefix(ac) + ac.Text }

func taskPrefix(ac *drone.FollowUp) string { return "Follow-up " + ac.Ref() + ": " }

// taskStatus is the TheHive status of an action.
func taskStatus(ac *drone.FollowUp) string {
	switch ac.Status {
	case drone.ActionDone:
		return "Completed"
	case drone.ActionCancelled:
		return "Cancel"
	}
	return "Waiting"
}

// FollowUpWorker works hive.followup jobs.
type FollowUpWorker struct {
	river.WorkerDefaults[FollowUpArgs]
	w *Worker
}

// FollowUps returns the worker of the follow-up actions' tasks, which
// shares the sync's client, service and users.
func (w *Worker) FollowUps() *FollowUpWorker { return &FollowUpWorker{w: w} }

// Work makes the action's task exist once and carry the action's status,
// assignee and due date. It holds the incident's LockCase, as syncs do,
// so that it never races the creation of the case or another change of
// the same action.
func (f *FollowUpWorker) Work(ctx context.Context, job *river.Job[FollowUpArgs]) error {
	unlock, err := f.w.svc.Lock(ctx, LockCase, job.Args.IncidentID)
	if err != nil {
		return queue.Steer(classify(fmt.Errorf("waiting for a sync of incident %s: %w", job.Args.IncidentID, err)))
	}
	defer unlock()
	return queue.Steer(classify(f.w.followUp(ctx, job.Args)))
}

// errNoCase says the incident's case is not made yet: its sync job, queued
// at the declaration, makes it, and this job is retried after it.
var errNoCase = errors.New("the incident has no TheHive case yet")

func (w *Worker) followUp(ctx context.Context, a FollowUpArgs) error {
	inc, err := w.svc.IncidentByID(ctx, a.IncidentID)
	if err != nil {
		return err
	}
	caseID := inc.External[ExtCaseID]
	if caseID == "" {
		// An incident declared before TheHive was on has no case, and no
		// sync will come unless it changes: this job brings it in line
		// (it holds the incident's lock, as a sync does).
		if err := w.sync(ctx, SyncArgs{IncidentID: a.IncidentID, Seq: a.Seq, EntryKind: drone.EntryAction}); err != nil {
			return err
		}
		if inc, err = w.svc.IncidentByID(ctx, a.IncidentID); err != nil {
			return err
		}
		if caseID = inc.External[ExtCaseID]; caseID == "" {
			return fmt.Errorf("%s: %w", inc.Ref(), errNoCase)
		}
	}
	ac, err := w.svc.FollowUp(ctx, a.Action)
	if err != nil {
		return err
	}
	taskID := ac.External[ExtTaskID]
	if taskID == "" {
		return w.createTask(ctx, inc, caseID, ac)
	}
	return w.client.UpdateTask(ctx, taskID, w.taskUpdate(ac))
}

// createTask creates the action's task, unless an earlier attempt did and
// lost TheHive's answer: it looks for the task by its title first. Either
// way it records the task's id on the action.
func (w *Worker) createTask(ctx context.Context, inc *drone.Incident, caseID string, ac *drone.FollowUp) error {
	tasks, err := w.client.CaseTasks(ctx, caseID)
	if err != nil {
		return fmt.Errorf("%s: %w", ac.Ref(), err)
	}
	var task *Task
	for i := range tasks {
		if strings.HasPrefix(tasks[i].Title, taskPrefix(ac)) {
			task = &tasks[i]
			break
		}
	}
	text := "TheHive task created for %s in case #%s"
	if task != nil {
		text = "Linked %s to its TheHive task in case #%s, found by its title"
		if err := w.client.UpdateTask(ctx, task.ID, w.taskUpdate(ac)); err != nil {
			return fmt.Errorf("%s: %w", ac.Ref(), err)
		}
	} else {
		in := TaskInput{Title: taskTitle(ac), Group: "follow-up", Status: taskStatus(ac),
			Description: fmt.Sprintf("Follow-up action %s of %s: %s", ac.Ref(), inc.Ref(), ac.Text),
			Assignee:    lookupFold(w.mapper.cfg.Users, ac.Owner)}
		if ac.Due != nil {
			in.DueDate = *ac.Due
		}
		if task, err = w.client.CreateTask(ctx, caseID, in); err != nil {
			return fmt.Errorf("%s: %w", ac.Ref(), err)
		}
	}
	_, err = w.svc.SetFollowUpExternal(ctx, Actor, ac.Number, map[string]string{ExtTaskID: task.ID},
		fmt.Sprintf(text, ac.Ref(), inc.External[ExtCaseNumber]))
	if err != nil {
		return fmt.Errorf("recording the TheHive task of %s: %w", ac.Ref(), err)
	}
	return nil
}

func (w *Worker) taskUpdate(ac *drone.FollowUp) TaskUpdate {
	up := TaskUpdate{Status: taskStatus(ac), Title: taskTitle(ac), Assignee: lookupFold(w.mapper.cfg.Users, ac.Owner)}
	if ac.Due != nil {
		up.DueDate = *ac.Due
	}
	return up
}

// TaskUpdate is what a PATCH of a task sets; empty fields are left as
// they are.
type TaskUpdate struct {
	Title    string
	Status   string
	Assignee string
	DueDate  time.Time
}

// UpdateTask changes a task (TheHive answers 204, or the task in v0).
func (c *Client) UpdateTask(ctx context.Context, taskID string, up TaskUpdate) error {
	path, err := with(c.routes.taskByID, "task", taskID)
	if err != nil {
		return fmt.Errorf("updating task: %w", err)
	}
	body := &wireTaskIn{Title: up.Title, Status: up.Status, DueDate: millis(up.DueDate)}
	c.setAssignee(&body.Assignee, &body.Owner, up.Assignee)
	if _, err := c.do(ctx, http.MethodPatch, path, body); err != nil {
		return fmt.Errorf("updating task %s: %w", taskID, err)
	}
	return nil
}

// CaseTasks returns a case's tasks, oldest first (at most 1000).
func (c *Client) CaseTasks(ctx context.Context, caseID string) ([]Task, error) {
	if caseID == "" {
		return nil, fmt.Errorf("listing tasks: %w: empty case id", ErrInvalidInput)
	}
	var path string
	var body any
	if c.api == APIv0 {
		path = c.routes.taskSearch + "?range=0-1000&sort=%2BcreatedAt"
		body = map[string]any{"query": map[string]any{"_parent": map[string]any{"_type": "case", "_query": map[string]any{"_id": caseID}}}}
	} else {
		path = c.routes.taskSearch
		body = map[string]any{"query": []map[string]any{
			{"_name": "getCase", "idOrName": caseID}, {"_name": "tasks"},
			{"_name": "sort", "_fields": []map[string]string{{"_createdAt": "asc"}}},
			{"_name": "page", "from": 0, "to": 1000},
		}}
	}
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, fmt.Errorf("listing the tasks of case %s: %w", caseID, err)
	}
	var wire []struct {
		ID       string `json:"_id"`
		LegacyID string `json:"id"`
		Title    string `json:"title"`
		Group    string `json:"group"`
		Status   string `json:"status"`
		Assignee string `json:"assignee"`
		Owner    string `json:"owner"`
		DueDate  int64  `json:"dueDate"`
	}
	if err := decode(http.MethodPost, path, resp.body, &wire); err != nil {
		return nil, fmt.Errorf("listing the tasks of case %s: %w", caseID, err)
	}
	out := make([]Task, 0, len(wire))
	for _, t := range wire {
		out = append(out, Task{ID: first(t.ID, t.LegacyID), Title: t.Title, Group: t.Group, Status: t.Status,
			Assignee: first(t.Assignee, t.Owner), DueDate: fromMillis(t.DueDate)})
	}
	return out, nil
}
