package hive

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// TaskInput is a task to create in a case.
type TaskInput struct {
	// Title is required.
	Title string
	// Group gathers tasks in TheHive's view; empty is TheHive's "default".
	Group string
	// Description of the work.
	Description string
	// Status is Waiting, InProgress, Completed or Cancel; empty is Waiting.
	Status string
	// Assignee is a TheHive login.
	Assignee string
	// DueDate is optional.
	DueDate time.Time
	// Order places the task among the case's tasks.
	Order int
}

// Task is a task as TheHive returned it.
type Task struct {
	ID          string
	Title       string
	Group       string
	Description string
	Status      string
	Assignee    string
	Order       int
	DueDate     time.Time
}

// TaskLog is a log entry of a task.
type TaskLog struct {
	ID        string
	Message   string
	CreatedAt time.Time
}

// CreateTask adds a task to a case.
func (c *Client) CreateTask(ctx context.Context, caseID string, in TaskInput) (*Task, error) {
	path, err := with(c.routes.tasks, "case", caseID)
	if err != nil {
		return nil, fmt.Errorf("creating task: %w", err)
	}
	body, err := c.taskBody(in)
	if err != nil {
		return nil, fmt.Errorf("creating task in case %s: %w", caseID, err)
	}
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, fmt.Errorf("creating task in case %s: %w", caseID, err)
	}
	var w struct {
		ID          string `json:"_id"`
		LegacyID    string `json:"id"`
		Title       string `json:"title"`
		Group       string `json:"group"`
		Description string `json:"description"`
		Status      string `json:"status"`
		Assignee    string `json:"assignee"`
		Owner       string `json:"owner"`
		Order       int    `json:"order"`
		DueDate     int64  `json:"dueDate"`
	}
	if err := decode(http.MethodPost, path, resp.body, &w); err != nil {
		return nil, fmt.Errorf("creating task in case %s: %w", caseID, err)
	}
	return &Task{
		ID: first(w.ID, w.LegacyID), Title: w.Title, Group: w.Group, Description: w.Description,
		Status: w.Status, Assignee: first(w.Assignee, w.Owner), Order: w.Order, DueDate: fromMillis(w.DueDate),
	}, nil
}

func (c *Client) taskBody(in TaskInput) (*wireTaskIn, error) {
	if strings.TrimSpace(in.Title) == "" {
		return nil, fmt.Errorf("%w: a task needs a title", ErrInvalidInput)
	}
	w := &wireTaskIn{
		Title: in.Title, Group: in.Group, Description: in.Description, Status: in.Status,
		DueDate: millis(in.DueDate), Order: in.Order,
	}
	c.setAssignee(&w.Assignee, &w.Owner, in.Assignee)
	return w, nil
}

// AddTaskLog adds a log entry to a task.
func (c *Client) AddTaskLog(ctx context.Context, taskID, message string) (*TaskLog, error) {
	path, err := with(c.routes.taskLog, "task", taskID)
	if err != nil {
		return nil, fmt.Errorf("adding task log: %w", err)
	}
	if strings.TrimSpace(message) == "" {
		return nil, fmt.Errorf("adding task log to %s: %w: empty message", taskID, ErrInvalidInput)
	}
	resp, err := c.do(ctx, http.MethodPost, path, map[string]string{"message": message})
	if err != nil {
		return nil, fmt.Errorf("adding task log to %s: %w", taskID, err)
	}
	var w struct {
		ID              string `json:"_id"`
		LegacyID        string `json:"id"`
		Message         string `json:"message"`
		CreatedAt       int64  `json:"_createdAt"`
		LegacyCreatedAt int64  `json:"createdAt"`
	}
	if err := decode(http.MethodPost, path, resp.body, &w); err != nil {
		return nil, fmt.Errorf("adding task log to %s: %w", taskID, err)
	}
	return &TaskLog{ID: first(w.ID, w.LegacyID), Message: w.Message, CreatedAt: fromMillis(max(w.CreatedAt, w.LegacyCreatedAt))}, nil
}
