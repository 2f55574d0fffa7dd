package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttp0/drone/drone"
)

// Follow-up actions and post-incident reviews in PostgreSQL.

var pgSaveFollowUp = `INSERT INTO action (` + followUpColumns + `) VALUES (` + placeholders(1, 13) + `)
	ON CONFLICT (id) DO UPDATE SET text = excluded.text, owner = excluded.owner, due = excluded.due,
	status = excluded.status, updated_at = excluded.updated_at, done_at = excluded.done_at,
	note = excluded.note, external = excluded.external`

// NextFollowUpNumber returns one more than the highest action number,
// gap-free under a transaction lock as incident numbers are.
func (t *pgTx) NextFollowUpNumber(ctx context.Context) (int64, error) {
	var n int64
	err := t.lockThenRead(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, []any{lockClass, lockAction},
		`SELECT COALESCE(MAX(number), 0) + 1 FROM action`, nil, &n)
	if err != nil {
		return 0, fmt.Errorf("numbering action: %w", err)
	}
	return n, nil
}

// FollowUp reads an action inside the transaction and locks its row.
func (t *pgTx) FollowUp(ctx context.Context, number int64) (*drone.FollowUp, error) {
	return pgGetFollowUp(ctx, t.tx, "number = $1 FOR NO KEY UPDATE", number)
}

// SaveFollowUp inserts or updates an action.
func (t *pgTx) SaveFollowUp(ctx context.Context, f *drone.FollowUp) error {
	_, err := t.tx.Exec(ctx, pgSaveFollowUp, f.ID, f.Number, f.IncidentID, f.Text, f.Owner, f.Due, string(f.Status),
		f.CreatedBy, f.CreatedAt, f.UpdatedAt, f.DoneAt, f.Note, nonNilMap(f.External))
	if err != nil {
		return fmt.Errorf("saving %s: %w", f.Ref(), err)
	}
	return nil
}

// SaveReview adds a version of an incident's review; a lock per incident
// keeps two drafts at once from taking the same version.
func (t *pgTx) SaveReview(ctx context.Context, r *drone.Review) error {
	err := t.lockThenRead(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, []any{lockReview, r.IncidentID},
		`SELECT COALESCE(MAX(version), 0) + 1 FROM review WHERE incident_id = $1`, []any{r.IncidentID}, &r.Version)
	if err != nil {
		return fmt.Errorf("numbering review: %w", err)
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO review (incident_id, version, created_at, author, markdown, html)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.IncidentID, r.Version, r.CreatedAt, r.Author, r.Markdown, r.HTML)
	if err != nil {
		return fmt.Errorf("saving review %d: %w", r.Version, err)
	}
	return nil
}

// FollowUp returns the action ACT-<number>.
func (db *Postgres) FollowUp(ctx context.Context, number int64) (*drone.FollowUp, error) {
	return pgGetFollowUp(ctx, db.pool, "number = $1", number)
}

func pgGetFollowUp(ctx context.Context, q pgQuerier, where string, number int64) (*drone.FollowUp, error) {
	f, err := pgScanFollowUp(q.QueryRow(ctx, `SELECT `+followUpColumns+` FROM action WHERE `+where, number))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no ACT-%d", number)
	}
	if err != nil {
		return nil, fmt.Errorf("reading ACT-%d: %w", number, err)
	}
	return f, nil
}

// FollowUps lists actions, oldest first.
func (db *Postgres) FollowUps(ctx context.Context, f drone.FollowUpFilter) ([]*drone.FollowUp, error) {
	q, args := followUpListing(f, true)
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing actions: %w", err)
	}
	defer rows.Close()
	var out []*drone.FollowUp
	for rows.Next() {
		fu, err := pgScanFollowUp(rows)
		if err != nil {
			return nil, fmt.Errorf("listing actions: %w", err)
		}
		out = append(out, fu)
	}
	return out, rows.Err()
}

func pgScanFollowUp(row pgx.Row) (*drone.FollowUp, error) {
	var f drone.FollowUp
	var status string
	if err := row.Scan(&f.ID, &f.Number, &f.IncidentID, &f.Text, &f.Owner, &f.Due, &status, &f.CreatedBy,
		&f.CreatedAt, &f.UpdatedAt, &f.DoneAt, &f.Note, &f.External); err != nil {
		return nil, err
	}
	f.Status = drone.FollowUpStatus(status)
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	for _, p := range []**time.Time{&f.Due, &f.DoneAt} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	if len(f.External) == 0 {
		f.External = nil
	}
	return &f, nil
}

// Review returns the latest review of an incident.
func (db *Postgres) Review(ctx context.Context, incidentID string) (*drone.Review, error) {
	r := drone.Review{IncidentID: incidentID}
	err := db.pool.QueryRow(ctx, `SELECT version, created_at, author, markdown, html FROM review
		WHERE incident_id = $1 ORDER BY version DESC LIMIT 1`, incidentID).Scan(&r.Version, &r.CreatedAt, &r.Author, &r.Markdown, &r.HTML)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "no review has been drafted for this incident yet")
	}
	if err != nil {
		return nil, fmt.Errorf("reading review: %w", err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}
