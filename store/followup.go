package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ttp0/drone/drone"
)

// Follow-up actions and post-incident reviews in SQLite.

const followUpColumns = `id, number, incident_id, text, owner, due, status, created_by, created_at, updated_at,
	done_at, note, external`

const (
	qNextFollowUpNumber = `SELECT COALESCE(MAX(number), 0) + 1 FROM action`
	qNextReviewVersion  = `SELECT COALESCE(MAX(version), 0) + 1 FROM review WHERE incident_id = ?`
	qInsertReview       = `INSERT INTO review (incident_id, version, created_at, author, markdown, html) VALUES (?,?,?,?,?,?)`
)

var qSaveFollowUp = `INSERT INTO action (` + followUpColumns + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT (id) DO UPDATE SET text = excluded.text, owner = excluded.owner, due = excluded.due,
	status = excluded.status, updated_at = excluded.updated_at, done_at = excluded.done_at,
	note = excluded.note, external = excluded.external`

// NextFollowUpNumber returns one more than the highest action number; the
// write lock taken at BEGIN serialises it as for incidents.
func (t *sqliteTx) NextFollowUpNumber(ctx context.Context) (int64, error) {
	var n int64
	if err := t.queryRow(ctx, qNextFollowUpNumber).Scan(&n); err != nil {
		return 0, fmt.Errorf("numbering action: %w", err)
	}
	return n, nil
}

// FollowUp reads an action inside the transaction.
func (t *sqliteTx) FollowUp(ctx context.Context, number int64) (*drone.FollowUp, error) {
	return getFollowUp(ctx, t.tx, number)
}

// SaveFollowUp inserts or updates an action.
func (t *sqliteTx) SaveFollowUp(ctx context.Context, f *drone.FollowUp) error {
	by, err1 := json.Marshal(f.CreatedBy)
	ext, err2 := json.Marshal(nonNilMap(f.External))
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("encoding %s: %w", f.Ref(), err)
	}
	_, err := t.exec(ctx, qSaveFollowUp, f.ID, f.Number, f.IncidentID, f.Text, f.Owner, formatTimePtr(f.Due),
		string(f.Status), string(by), formatTime(f.CreatedAt), formatTime(f.UpdatedAt), formatTimePtr(f.DoneAt),
		f.Note, string(ext))
	if err != nil {
		return fmt.Errorf("saving %s: %w", f.Ref(), err)
	}
	return nil
}

// SaveReview adds a version of an incident's review.
func (t *sqliteTx) SaveReview(ctx context.Context, r *drone.Review) error {
	if err := t.queryRow(ctx, qNextReviewVersion, r.IncidentID).Scan(&r.Version); err != nil {
		return fmt.Errorf("numbering review: %w", err)
	}
	author, err := json.Marshal(r.Author)
	if err != nil {
		return fmt.Errorf("encoding review author: %w", err)
	}
	_, err = t.exec(ctx, qInsertReview, r.IncidentID, r.Version, formatTime(r.CreatedAt), string(author), r.Markdown, r.HTML)
	if err != nil {
		return fmt.Errorf("saving review %d: %w", r.Version, err)
	}
	return nil
}

// FollowUp returns the action ACT-<number>.
func (db *SQLite) FollowUp(ctx context.Context, number int64) (*drone.FollowUp, error) {
	return getFollowUp(ctx, db.sql, number)
}

func getFollowUp(ctx context.Context, q querier, number int64) (*drone.FollowUp, error) {
	f, err := scanFollowUp(q.QueryRowContext(ctx, `SELECT `+followUpColumns+` FROM action WHERE number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no ACT-%d", number)
	}
	if err != nil {
		return nil, fmt.Errorf("reading ACT-%d: %w", number, err)
	}
	return f, nil
}

// FollowUps lists actions, oldest first.
func (db *SQLite) FollowUps(ctx context.Context, f drone.FollowUpFilter) ([]*drone.FollowUp, error) {
	q, args := followUpListing(f, false)
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing actions: %w", err)
	}
	defer rows.Close()
	var out []*drone.FollowUp
	for rows.Next() {
		fu, err := scanFollowUp(rows)
		if err != nil {
			return nil, fmt.Errorf("listing actions: %w", err)
		}
		out = append(out, fu)
	}
	return out, rows.Err()
}

func scanFollowUp(row scanner) (*drone.FollowUp, error) {
	var f drone.FollowUp
	var status, by, created, updated, ext string
	var due, done sql.NullString
	if err := row.Scan(&f.ID, &f.Number, &f.IncidentID, &f.Text, &f.Owner, &due, &status, &by, &created, &updated,
		&done, &f.Note, &ext); err != nil {
		return nil, err
	}
	f.Status = drone.FollowUpStatus(status)
	if err := errors.Join(json.Unmarshal([]byte(by), &f.CreatedBy), json.Unmarshal([]byte(ext), &f.External)); err != nil {
		return nil, fmt.Errorf("decoding ACT-%d: %w", f.Number, err)
	}
	var err error
	if f.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if f.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	if f.Due, err = parseTimePtr(due); err != nil {
		return nil, err
	}
	if f.DoneAt, err = parseTimePtr(done); err != nil {
		return nil, err
	}
	if len(f.External) == 0 {
		f.External = nil
	}
	return &f, nil
}

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Review returns the latest review of an incident.
func (db *SQLite) Review(ctx context.Context, incidentID string) (*drone.Review, error) {
	r := drone.Review{IncidentID: incidentID}
	var created, author string
	err := db.sql.QueryRowContext(ctx, `SELECT version, created_at, author, markdown, html FROM review
		WHERE incident_id = ? ORDER BY version DESC LIMIT 1`, incidentID).Scan(&r.Version, &created, &author, &r.Markdown, &r.HTML)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "no review has been drafted for this incident yet")
	}
	if err != nil {
		return nil, fmt.Errorf("reading review: %w", err)
	}
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(author), &r.Author); err != nil {
		return nil, fmt.Errorf("decoding review author: %w", err)
	}
	return &r, nil
}
