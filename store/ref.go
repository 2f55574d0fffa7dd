package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ttp0/drone/drone"
)

const (
	qPutRef  = `INSERT INTO incident_ref (key, value, incident_id) VALUES (?, ?, ?) ON CONFLICT (key, value) DO NOTHING`
	qFindRef = `SELECT i.number FROM incident_ref r JOIN incident i ON i.id = r.incident_id WHERE r.key = ? AND r.value = ?`
)

// PutRef records that (key, value) names the incident; a pair already taken
// keeps its incident.
func (t *sqliteTx) PutRef(ctx context.Context, incidentID, key, value string) error {
	if _, err := t.exec(ctx, qPutRef, key, value, incidentID); err != nil {
		return fmt.Errorf("recording reference %s: %w", key, err)
	}
	return nil
}

// FindRef returns the number of the incident (key, value) names, or 0.
func (t *sqliteTx) FindRef(ctx context.Context, key, value string) (int64, error) {
	return findRef(ctx, t.queryRow(ctx, qFindRef, key, value))
}

func findRef(ctx context.Context, row *sql.Row) (int64, error) {
	var n int64
	err := row.Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("looking up reference: %w", err)
	}
	return n, nil
}

// putRefs records an incident's external references, in a stable order.
func (t *sqliteTx) putRefs(ctx context.Context, inc *drone.Incident) error {
	keys := make([]string, 0, len(inc.External))
	for k := range inc.External {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := t.PutRef(ctx, inc.ID, k, inc.External[k]); err != nil {
			return err
		}
	}
	return nil
}

// IncidentByRef returns the incident an external reference names, such as
// the one whose Slack channel is C123 ("slack.channel", "C123").
func (db *SQLite) IncidentByRef(ctx context.Context, key, value string) (*drone.Incident, error) {
	n, err := findRef(ctx, db.sql.QueryRowContext(ctx, qFindRef, key, value))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, drone.Errorf(drone.ENOTFOUND, "no incident has %s %s", key, value)
	}
	return db.Incident(ctx, n)
}

// Claim records key and reports whether this is its first claim, so that a
// delivery retried by a chat platform is handled once. Claims older than
// a day are forgotten: platforms retry within minutes.
func (db *SQLite) Claim(ctx context.Context, key string) (bool, error) {
	first := false
	err := db.Update(ctx, func(tx drone.Tx) error {
		t := tx.(*sqliteTx)
		now := time.Now().UTC()
		if _, err := t.exec(ctx, qForgetClaims, formatTime(now.Add(-24*time.Hour))); err != nil {
			return fmt.Errorf("forgetting old claims: %w", err)
		}
		res, err := t.exec(ctx, qClaim, key, formatTime(now))
		if err != nil {
			return fmt.Errorf("claiming %s: %w", key, err)
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	return first, err
}

const (
	qClaim        = `INSERT INTO claim (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
	qForgetClaims = `DELETE FROM claim WHERE at < ?`
)
