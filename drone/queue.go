package drone

import (
	"encoding/json"
	"time"
)

// JobInfo describes a queued, running, finished or dead job, as the queue
// shows it to people (drone queue list, the console's queue page).
type JobInfo struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	State       string          `json:"state"` // available, scheduled, running, retryable, completed, discarded (dead), cancelled
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Args        json.RawMessage `json:"args"`
	LastError   string          `json:"last_error,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	ScheduledAt time.Time       `json:"scheduled_at"`
}
