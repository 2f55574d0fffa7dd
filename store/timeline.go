package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ttp0/drone/drone"
)

const (
	qLastEntry   = `SELECT seq, hash FROM timeline WHERE incident_id = ? ORDER BY seq DESC LIMIT 1`
	qAppendEntry = `INSERT INTO timeline (incident_id, seq, at, actor, origin, kind, text, data, prev_hash, hash)
		VALUES (?,?,?,?,?,?,?,?,?,?)`
)

// LastEntry returns the sequence and hash of an incident's last entry.
func (t *sqliteTx) LastEntry(ctx context.Context, incidentID string) (int64, string, error) {
	var seq int64
	var hash string
	err := t.queryRow(ctx, qLastEntry, incidentID).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("reading last timeline entry: %w", err)
	}
	return seq, hash, nil
}

// AppendEntry adds an entry to an incident's timeline.
func (t *sqliteTx) AppendEntry(ctx context.Context, e *drone.Entry) error {
	actor, err1 := json.Marshal(e.Actor)
	origin, err2 := json.Marshal(e.Origin)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("encoding timeline entry: %w", err)
	}
	var data any
	if len(e.Data) > 0 {
		data = string(e.Data)
	}
	_, err := t.exec(ctx, qAppendEntry, e.IncidentID, e.Seq, formatTime(e.At), string(actor),
		string(origin), e.Kind, e.Text, data, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("appending timeline entry %d: %w", e.Seq, err)
	}
	return nil
}

// Timeline returns an incident's entries in order.
func (db *SQLite) Timeline(ctx context.Context, incidentID string) ([]drone.Entry, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT incident_id, seq, at, actor, origin, kind, text, data,
		prev_hash, hash FROM timeline WHERE incident_id = ? ORDER BY seq`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("reading timeline: %w", err)
	}
	defer rows.Close()
	var out []drone.Entry
	for rows.Next() {
		var e drone.Entry
		var at, actor, origin string
		var data sql.NullString
		if err := rows.Scan(&e.IncidentID, &e.Seq, &at, &actor, &origin, &e.Kind, &e.Text, &data,
			&e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("reading timeline entry: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(actor), &e.Actor), json.Unmarshal([]byte(origin), &e.Origin)); err != nil {
			return nil, fmt.Errorf("decoding timeline entry %d: %w", e.Seq, err)
		}
		if data.Valid {
			e.Data = json.RawMessage(data.String)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
