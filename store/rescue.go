package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RescueStuck makes due again the jobs of the given kinds (every kind when
// none is given) that have been running for longer than after, and returns
// how many. A process killed with SIGKILL leaves its jobs running, and
// River's own rescuer only retries them after an hour; with after at least
// twice the queue's job timeout, no live attempt is taken, since River
// cancels an attempt at its timeout. The attempt keeps its count, so
// max_attempts still bounds a job that kills its worker every time.
func (db *SQLite) RescueStuck(ctx context.Context, after time.Duration, kinds ...string) (int64, error) {
	q := `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec')
		WHERE state = 'running' AND attempted_at < datetime('now', 'subsec', ?)`
	args := []any{fmt.Sprintf("-%.3f seconds", after.Seconds())}
	if len(kinds) > 0 {
		q += ` AND kind IN (?` + strings.Repeat(", ?", len(kinds)-1) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	res, err := db.sql.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("rescuing stuck jobs: %w", err)
	}
	return res.RowsAffected()
}
